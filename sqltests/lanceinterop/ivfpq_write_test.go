package lanceinterop

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/ivfpq"
	"github.com/lancegate/lancegate/storage/index/lanceindex"
	"github.com/lancegate/lancegate/storage/lance"
)

// ivfpqQueryRun is the answer of pylance_tool.py ivfpq-query.
type ivfpqQueryRun struct {
	Indices []struct {
		Name        string   `json:"name"`
		Type        string   `json:"type"`
		UUID        string   `json:"uuid"`
		Fields      []string `json:"fields"`
		Version     uint64   `json:"version"`
		FragmentIDs []uint32 `json:"fragment_ids"`
	} `json:"indices"`
	Stats map[string]any `json:"stats"`
	Plan  string         `json:"plan"`
	Hits  []struct {
		RowAddr  []uint64  `json:"rowaddr"`
		Distance []float32 `json:"distance"`
	} `json:"hits"`
}

// TestIVFPQGoIndexPylanceSearch has Go write 20,000 clustered 32-d vectors
// in two fragments, build IVF_PQ (16 partitions, 4 sub-vectors) over all
// rows and write it in Lance's format; pylance lists it, reads its stats,
// plans with it and answers 20 queries (nprobes 4, no refine) with rows
// that must mostly be the ones Go's own search returns.
func TestIVFPQGoIndexPylanceSearch(t *testing.T) {
	python(t)
	const n, dim, perFrag, k, nprobes, nq = 20000, 32, 10000, 10, 4, 20
	for _, metric := range []distance.Metric{distance.L2, distance.Cosine, distance.Dot} {
		t.Run(metric.String(), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			store, dir := localStore(t)
			r := rand.New(rand.NewPCG(7, uint64(metric)))
			centers := make([]float32, 40*dim)
			for i := range centers {
				centers[i] = float32(r.NormFloat64() * 4)
			}
			vecs := make([]float32, n*dim)
			addrs := make([]uint64, n)
			for i := range n {
				c := r.IntN(40)
				for j := range dim {
					vecs[i*dim+j] = centers[c*dim+j] + float32(r.NormFloat64())
				}
				addrs[i] = uint64(i/perFrag)<<32 | uint64(i%perFrag)
			}
			schema := arrow.NewSchema([]arrow.Field{
				{Name: "id", Type: arrow.PrimitiveTypes.Int64},
				{Name: "vec", Type: arrow.FixedSizeListOf(dim, arrow.PrimitiveTypes.Float32)},
			}, nil)
			b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
			for i := range n {
				b.Field(0).(*array.Int64Builder).Append(int64(i))
				lb := b.Field(1).(*array.FixedSizeListBuilder)
				lb.Append(true)
				lb.ValueBuilder().(*array.Float32Builder).AppendValues(vecs[i*dim:(i+1)*dim], nil)
			}
			rec := b.NewRecord()
			b.Release()
			rr, err := array.NewRecordReader(schema, []arrow.Record{rec})
			rec.Release()
			if err != nil {
				t.Fatal(err)
			}
			ds, err := lance.Create(ctx, store, "v.lance", schema, rr, lance.WriteOptions{MaxRowsPerFile: perFrag})
			rr.Release()
			if err != nil {
				t.Fatal(err)
			}
			ix, err := ivfpq.Build(ctx, vecs, addrs, dim, ivfpq.BuildOptions{
				Metric: metric, NumPartitions: 16, NumSubVectors: 4,
				IVF: ivfpq.KMeansOptions{Seed: 1}, PQ: ivfpq.KMeansOptions{Seed: 2},
			})
			if err != nil {
				t.Fatal(err)
			}
			ds2, err := lanceindex.WriteIVFPQ(ctx, ds, "vec", ix, "vec_idx")
			if err != nil {
				t.Fatal(err)
			}
			infos, err := ds2.Indexes()
			if err != nil || len(infos) != 1 {
				t.Fatalf("indexes %v, %v", infos, err)
			}

			queries := make([][]float32, nq)
			for i := range queries {
				row := r.IntN(n)
				q := make([]float32, dim)
				for j := range q {
					q[j] = vecs[row*dim+j] + float32(r.NormFloat64()*0.5)
				}
				queries[i] = q
			}
			qb, _ := json.Marshal(queries)
			qfile := filepath.Join(t.TempDir(), "q.json")
			if err := os.WriteFile(qfile, qb, 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := pylanceErr(t, "ivfpq-query", filepath.Join(dir, "v.lance"), qfile, "--k", "10", "--nprobes", "4")
			if err != nil {
				t.Fatalf("pylance rejects the index: %v", err)
			}
			var run ivfpqQueryRun
			raw, _ := json.Marshal(res)
			if err := json.Unmarshal(raw, &run); err != nil {
				t.Fatal(err)
			}
			if len(run.Indices) != 1 {
				t.Fatalf("pylance lists %d indices", len(run.Indices))
			}
			li := run.Indices[0]
			if li.Name != "vec_idx" || li.Type != "IVF_PQ" || li.UUID != infos[0].UUID || !slices.Equal(li.FragmentIDs, []uint32{0, 1}) {
				t.Errorf("pylance lists %+v; Go wrote %+v", li, infos[0])
			}
			t.Logf("list_indices: %+v", li)
			t.Logf("index_stats: type %v, %v indexed rows in %v fragments, %v unindexed rows, %v indices",
				run.Stats["index_type"], run.Stats["num_indexed_rows"], run.Stats["num_indexed_fragments"],
				run.Stats["num_unindexed_rows"], run.Stats["num_indices"])
			if got, _ := run.Stats["index_type"].(string); got != "IVF_PQ" {
				t.Errorf("index_stats index_type %q", got)
			}
			if got, _ := run.Stats["num_indexed_rows"].(float64); got != n {
				t.Errorf("index_stats num_indexed_rows %v, want %d", run.Stats["num_indexed_rows"], n)
			}
			if !strings.Contains(run.Plan, "ANNSubIndex") {
				t.Errorf("plan does not use the index:\n%s", run.Plan)
			}

			var overlap float64
			maxRel := 0.0
			for qi, q := range queries {
				want, err := ix.Search(q, k, nprobes)
				if err != nil {
					t.Fatal(err)
				}
				got := map[uint64]float32{}
				for i, a := range run.Hits[qi].RowAddr {
					got[a] = run.Hits[qi].Distance[i]
				}
				for _, c := range want {
					d, ok := got[c.RowID]
					if !ok {
						continue
					}
					overlap++
					wd := float64(c.Distance)
					switch metric {
					case distance.Cosine:
						wd *= 2
					case distance.Dot:
						wd++
					}
					maxRel = math.Max(maxRel, math.Abs(float64(d)-wd)/math.Max(math.Abs(wd), 1e-6))
				}
				if qi == 0 {
					t.Logf("query 0: Go %v; pylance %v %v", want, run.Hits[0].RowAddr, run.Hits[0].Distance)
				}
			}
			overlap /= nq * k
			t.Logf("%s: overlap with Go's search %.3f, max relative distance difference %.2g", metric, overlap, maxRel)
			if overlap < 0.9 {
				t.Errorf("overlap %.3f < 0.9", overlap)
			}
			if maxRel > 1e-3 {
				t.Errorf("distances differ by up to %.2g", maxRel)
			}
		})
	}
}
