package sqltests

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/internal/benchdata"
	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/ivfpq"
	"github.com/lancegate/lancegate/storage/index/lanceindex"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
)

// BenchmarkVectorSearch runs k=10 nearest-neighbour queries through the
// wire (pgx, prepared, one client) over 100k × 128 vectors of the hard
// benchmark set, exactly (no index: the baseline) and through an IVF_PQ
// index (IVF316/PQ16) at several knob settings, reporting recall@10 and
// p50/p99 with each; ns/op ratios against the exact run give the speedup.
// The larger harness with LanceDB alongside is cmd/lancebench.
func BenchmarkVectorSearch(b *testing.B) {
	ctx := context.Background()
	const n, dim, nq, k = 100_000, 128, 200, 10
	p := benchdata.Default(n, dim, nq, 1)
	base, queries, err := benchdata.Generate(p)
	if err != nil {
		b.Fatal(err)
	}
	truth, err := benchdata.GroundTruth(distance.L2, base, queries, dim, k)
	if err != nil {
		b.Fatal(err)
	}
	srv := startServer(b)
	store, err := objstore.NewLocal(srv.dir)
	if err != nil {
		b.Fatal(err)
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "embedding", Type: arrow.FixedSizeListOf(dim, arrow.PrimitiveTypes.Float32)},
	}, nil)
	bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	for i := range n {
		bld.Field(0).(*array.Int64Builder).Append(int64(i))
		lb := bld.Field(1).(*array.FixedSizeListBuilder)
		lb.Append(true)
		lb.ValueBuilder().(*array.Float32Builder).AppendValues(base[i*dim:(i+1)*dim], nil)
	}
	rec := bld.NewRecord()
	bld.Release()
	var ds *lance.Dataset
	for _, name := range []string{"exact", "indexed"} {
		rr, _ := array.NewRecordReader(schema, []arrow.Record{rec})
		if ds, err = lance.Create(ctx, store, name+".lance", schema, rr, lance.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		rr.Release()
	}
	rec.Release()
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = uint64(i) // one fragment: row address = row number
	}
	start := time.Now()
	ix, err := ivfpq.Build(ctx, base, ids, dim, ivfpq.BuildOptions{NumPartitions: 316, NumSubVectors: 16})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := lanceindex.WriteIVFPQ(ctx, ds, "embedding", ix, "embedding_idx"); err != nil {
		b.Fatal(err)
	}
	b.Logf("IVF316/PQ16 over %d × %d built in %s", n, dim, time.Since(start).Round(time.Millisecond))

	conn := srv.connect(b)
	lits := make([]string, nq)
	for i := range lits {
		lits[i] = vecLiteral(queries[i*dim : (i+1)*dim])
	}
	for _, c := range []struct {
		name            string
		table           string
		nprobes, refine int
	}{
		{"exact", "exact", 0, 0},
		{"ivfpq/nprobes=20", "indexed", 20, 1},
		{"ivfpq/nprobes=20/refine=10", "indexed", 20, 10},
		{"ivfpq/nprobes=60/refine=20", "indexed", 60, 20},
	} {
		b.Run(c.name, func(b *testing.B) {
			if c.nprobes > 0 {
				execAll(b, conn, fmt.Sprintf("SET lancegate.nprobes = %d", c.nprobes), fmt.Sprintf("SET lancegate.refine_factor = %d", c.refine))
			}
			sql := "SELECT id FROM " + c.table + " ORDER BY embedding <-> $1 LIMIT 10"
			var lat []time.Duration
			var recall float64
			i := 0
			for b.Loop() {
				q := i % nq
				t0 := time.Now()
				got := queryIDs(b, conn, sql, lits[q])
				lat = append(lat, time.Since(t0))
				tids, tdist := truth.Row(q)
				qv := queries[q*dim : (q+1)*dim]
				recall += benchdata.Recall(tids, tdist[k-1], got, func(id int64) float32 {
					return distance.L2.Distance(qv, base[id*int64(dim):(id+1)*int64(dim)])
				})
				i++
			}
			slices.Sort(lat)
			b.ReportMetric(recall/float64(i), "recall@10")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
