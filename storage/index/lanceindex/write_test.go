package lanceindex

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/ivfpq"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
)

// clusteredDataset writes n clustered dim-d vectors into a dataset of
// fragments of perFrag rows and returns it with the vectors and their row
// addresses.
func clusteredDataset(t testing.TB, store objstore.Store, n, dim, perFrag int) (*lance.Dataset, []float32, []uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	centers := make([]float32, 12*dim)
	for i := range centers {
		centers[i] = r.Float32()*20 - 10
	}
	vecs := make([]float32, n*dim)
	addrs := make([]uint64, n)
	for i := range n {
		c := r.IntN(12)
		for j := range dim {
			vecs[i*dim+j] = centers[c*dim+j] + float32(r.NormFloat64())
		}
		addrs[i] = uint64(i/perFrag)<<32 | uint64(i%perFrag)
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "vec", Type: arrow.FixedSizeListOf(int32(dim), arrow.PrimitiveTypes.Float32)},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := range n {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		lb := b.Field(1).(*array.FixedSizeListBuilder)
		lb.Append(true)
		lb.ValueBuilder().(*array.Float32Builder).AppendValues(vecs[i*dim:(i+1)*dim], nil)
	}
	rec := b.NewRecord()
	defer rec.Release()
	rr, err := array.NewRecordReader(schema, []arrow.Record{rec})
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	ds, err := lance.Create(context.Background(), store, "v.lance", schema, rr, lance.WriteOptions{MaxRowsPerFile: perFrag})
	if err != nil {
		t.Fatal(err)
	}
	return ds, vecs, addrs
}

// TestWriteIVFPQRoundTrip writes a built index and reads it back with
// OpenIVFPQ: same model, same rows and codes per partition, same search
// results, and the manifest entry pylance expects.
func TestWriteIVFPQRoundTrip(t *testing.T) {
	const n, dim, perFrag = 3000, 16, 1000
	for _, metric := range []distance.Metric{distance.L2, distance.Cosine, distance.Dot} {
		t.Run(metric.String(), func(t *testing.T) {
			ctx := context.Background()
			store := objstore.NewMemory()
			ds, vecs, addrs := clusteredDataset(t, store, n, dim, perFrag)
			ix, err := ivfpq.Build(ctx, vecs, addrs, dim, ivfpq.BuildOptions{
				Metric: metric, NumPartitions: 8, NumSubVectors: 4,
				IVF: ivfpq.KMeansOptions{Seed: 3}, PQ: ivfpq.KMeansOptions{Seed: 4},
			})
			if err != nil {
				t.Fatal(err)
			}
			next, err := WriteIVFPQ(ctx, ds, "vec", ix, "vec_idx")
			if err != nil {
				t.Fatal(err)
			}
			if next.Version() != ds.Version()+1 {
				t.Errorf("version %d after %d", next.Version(), ds.Version())
			}
			reopened, err := lance.Open(ctx, store, "v.lance")
			if err != nil {
				t.Fatal(err)
			}
			infos, err := reopened.Indexes()
			if err != nil || len(infos) != 1 {
				t.Fatalf("indexes %v, %v", infos, err)
			}
			info := infos[0]
			if info.Name != "vec_idx" || !slices.Equal(info.Fragments, []uint32{0, 1, 2}) || info.DatasetVersion != ds.Version() ||
				info.TypeURL != detailsURL || info.IndexVersion != 1 || len(info.Fields) != 1 ||
				info.Fields[0] != ds.Schema().FieldID(ds.Schema().Index("vec")) || len(info.Files) != 2 {
				t.Fatalf("listed %+v", info)
			}
			for _, f := range info.Files {
				oi, err := store.Stat(ctx, objstore.Join(reopened.IndexDir(info), f.Path))
				if err != nil || uint64(oi.Size) != f.Size {
					t.Errorf("%s: recorded size %d, stat %v, %v", f.Path, f.Size, oi, err)
				}
			}
			x, err := OpenIVFPQ(ctx, reopened, info)
			if err != nil {
				t.Fatal(err)
			}
			if x.Metric() != metric || x.Dim() != dim || x.NumPartitions() != 8 || x.NumSubVectors() != 4 || x.Len() != n {
				t.Fatalf("opened %v dim %d, %d partitions, %d sub-vectors, %d rows", x.Metric(), x.Dim(), x.NumPartitions(), x.NumSubVectors(), x.Len())
			}
			if !slices.Equal(x.centroids, ix.Centroids) || !slices.Equal(x.codebook, ix.PQ.Codebook) {
				t.Fatal("centroids or codebook differ")
			}
			for p, part := range ix.Partitions {
				got := x.ix.Partitions[p]
				if !slices.Equal(got.RowIDs, part.RowIDs) || !slices.Equal(got.Codes, part.Codes) {
					t.Fatalf("partition %d differs", p)
				}
			}
			r := rand.New(rand.NewPCG(5, 6))
			for range 20 {
				q := vecs[r.IntN(n)*dim:][:dim]
				q = append([]float32(nil), q...)
				q[0] += 0.1
				want, err := ix.Search(q, 10, 4)
				if err != nil {
					t.Fatal(err)
				}
				got, err := x.Search(q, 10, 4)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("%d hits, want %d", len(got), len(want))
				}
				for i := range got {
					// Build's index and the reopened one may sum the
					// distance tables in another order: allow rounding.
					wd := float64(lanceDistance(metric, want[i].Distance))
					if got[i].RowAddr != want[i].RowID || math.Abs(float64(got[i].Distance)-wd) > 1e-4*math.Max(1, math.Abs(wd)) {
						t.Fatalf("hit %d: %+v, want %+v", i, got[i], want[i])
					}
				}
			}
		})
	}
}

// TestWriteIVFPQRefuses checks the argument checks.
func TestWriteIVFPQRefuses(t *testing.T) {
	ctx := context.Background()
	ds, vecs, addrs := clusteredDataset(t, objstore.NewMemory(), 600, 8, 600)
	ix, err := ivfpq.Build(ctx, vecs, addrs, 8, ivfpq.BuildOptions{NumPartitions: 2, NumSubVectors: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteIVFPQ(ctx, ds, "nope", ix, "i"); err == nil {
		t.Error("unknown column accepted")
	}
	if _, err := WriteIVFPQ(ctx, ds, "id", ix, "i"); err == nil {
		t.Error("int column accepted")
	}
	if _, err := WriteIVFPQ(ctx, ds, "vec", nil, "i"); err == nil {
		t.Error("nil index accepted")
	}
}

func TestVectorIndexDetails(t *testing.T) {
	for _, tc := range []struct {
		metric distance.Metric
		want   []byte
	}{
		{distance.L2, []byte{0x22, 0x04, 0x08, 0x08, 0x10, 0x04}},
		{distance.Cosine, []byte{0x08, 0x01, 0x22, 0x04, 0x08, 0x08, 0x10, 0x04}},
		{distance.Dot, []byte{0x08, 0x02, 0x22, 0x04, 0x08, 0x08, 0x10, 0x04}},
	} {
		got := vectorIndexDetails(&ivfpq.Index{Metric: tc.metric, PQ: &ivfpq.PQ{M: 4}})
		if !slices.Equal(got, tc.want) {
			t.Errorf("%v: % x, want % x", tc.metric, got, tc.want)
		}
	}
}
