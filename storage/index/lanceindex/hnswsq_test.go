package lanceindex

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/hnsw"
	"github.com/lancegate/lancegate/storage/index/ivfpq"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
)

// buildHNSW builds a small SingleRange IVF_HNSW_SQ index over vecs.
func buildHNSW(t testing.TB, vecs []float32, addrs []uint64, dim int, metric distance.Metric, parts int) *hnsw.Index {
	t.Helper()
	ix, err := hnsw.Build(context.Background(), vecs, addrs, dim, hnsw.BuildOptions{
		Metric: metric, NumPartitions: parts, M: 8, EfConstruction: 40, Seed: 11, SingleRange: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// TestWriteHNSWSQRoundTrip writes a built index, reads it back with
// OpenHNSWSQ and checks the model, rows, codes and graphs are unchanged,
// the manifest entry, and that searches equal the in-memory index's on the
// same (Lance-prepared) query.
func TestWriteHNSWSQRoundTrip(t *testing.T) {
	const n, dim, perFrag = 2000, 16, 700
	for _, metric := range []distance.Metric{distance.L2, distance.Cosine, distance.Dot} {
		t.Run(metric.String(), func(t *testing.T) {
			ctx := context.Background()
			store := objstore.NewMemory()
			ds, vecs, addrs := clusteredDataset(t, store, n, dim, perFrag)
			ix := buildHNSW(t, vecs, addrs, dim, metric, 5)
			next, err := WriteHNSWSQ(ctx, ds, "vec", ix, "vec_idx")
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
				info.TypeURL != detailsURL || info.IndexVersion != 1 || len(info.Files) != 2 {
				t.Fatalf("listed %+v", info)
			}
			if typ, err := IndexType(ctx, reopened, info); err != nil || typ != typeIVFHNSWSQ {
				t.Fatalf("IndexType = %q, %v", typ, err)
			}
			x, err := OpenHNSWSQ(ctx, reopened, info)
			if err != nil {
				t.Fatal(err)
			}
			if x.Metric() != metric || x.Dim() != dim || x.NumPartitions() != 5 || x.Len() != n {
				t.Fatalf("opened %v dim %d, %d partitions, %d rows", x.Metric(), x.Dim(), x.NumPartitions(), x.Len())
			}
			got := x.ix
			if !slices.Equal(got.Centroids, ix.Centroids) || got.Loss != ix.Loss || got.M != ix.M ||
				got.EfConstruction != ix.EfConstruction || got.MaxLevel != ix.MaxLevel {
				t.Fatal("IVF model or HNSW parameters differ")
			}
			s0, e0, _ := ix.SQBounds()
			s1, e1, ok := got.SQBounds()
			if !ok || s0 != s1 || e1-e0 > 1e-5*max(1, e0-s0) || e0-e1 > 1e-5*max(1, e0-s0) {
				t.Fatalf("SQ bounds [%v, %v], want [%v, %v]", s1, e1, s0, e0)
			}
			for p := range ix.Partitions {
				a, b := &ix.Partitions[p], &got.Partitions[p]
				if !slices.Equal(a.RowIDs, b.RowIDs) || !slices.Equal(a.Codes, b.Codes) || a.Graph.Entry != b.Graph.Entry ||
					len(a.Graph.Levels) != len(b.Graph.Levels) {
					t.Fatalf("partition %d differs", p)
				}
				for l := range a.Graph.Levels {
					la, lb := &a.Graph.Levels[l], &b.Graph.Levels[l]
					if !slices.Equal(la.Nodes, lb.Nodes) || !slices.Equal(la.Offsets, lb.Offsets) || !slices.Equal(la.Neighbors, lb.Neighbors) {
						t.Fatalf("partition %d level %d differs", p, l)
					}
				}
			}
			// The reference: the in-memory index searched with the query
			// SearchWith prepares (for cosine, as the L2 index over the
			// same unit vectors that OpenHNSWSQ assembles).
			ref := ix
			if metric == distance.Cosine {
				if ref, err = hnsw.FromParts(distance.L2, dim, ix.Centroids, ix.SQ, ix.Partitions); err != nil {
					t.Fatal(err)
				}
			}
			r := rand.New(rand.NewPCG(5, 6))
			var raw [][]uint64
			var ours [][]uint64
			for range 25 {
				q := slices.Clone(vecs[r.IntN(n)*dim:][:dim])
				q[0] += 0.3
				opts := hnsw.SearchOptions{K: 10, NProbes: 2, Ef: 32}
				hits, _, err := x.SearchWith(q, opts)
				if err != nil {
					t.Fatal(err)
				}
				want, _, err := ref.Search(x.prepareQuery(q), opts)
				if err != nil {
					t.Fatal(err)
				}
				if len(hits) != len(want) {
					t.Fatalf("%d hits, want %d", len(hits), len(want))
				}
				for i := range hits {
					wd := want[i].Distance
					if metric == distance.Dot {
						wd = 1 + wd
					}
					if hits[i].RowAddr != want[i].RowID || hits[i].Distance != wd {
						t.Fatalf("hit %d: %+v, want %+v (%v)", i, hits[i], want[i], wd)
					}
				}
				plain, _, err := ix.Search(q, opts)
				if err != nil {
					t.Fatal(err)
				}
				var ids, pids []uint64
				for i := range hits {
					ids = append(ids, hits[i].RowAddr)
				}
				for _, c := range plain {
					pids = append(pids, c.RowID)
				}
				ours, raw = append(ours, ids), append(raw, pids)
			}
			ov := overlap(ours, raw)
			t.Logf("%v: overlap with the unquantised query's results %.3f", metric, ov)
			if ov < 0.9 {
				t.Errorf("overlap with the in-memory index %.3f < 0.9", ov)
			}
		})
	}
}

// TestWriteHNSWSQRefuses checks the argument checks.
func TestWriteHNSWSQRefuses(t *testing.T) {
	ctx := context.Background()
	ds, vecs, addrs := clusteredDataset(t, objstore.NewMemory(), 600, 8, 600)
	perDim, err := hnsw.Build(ctx, vecs, addrs, 8, hnsw.BuildOptions{NumPartitions: 2, M: 4, EfConstruction: 16})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteHNSWSQ(ctx, ds, "vec", perDim, "i"); !errors.Is(err, lance.ErrUnsupported) {
		t.Errorf("per-dimension SQ: %v, want ErrUnsupported", err)
	}
	ix := buildHNSW(t, vecs, addrs, 8, distance.L2, 2)
	if _, err := WriteHNSWSQ(ctx, ds, "nope", ix, "i"); err == nil {
		t.Error("unknown column accepted")
	}
	if _, err := WriteHNSWSQ(ctx, ds, "id", ix, "i"); err == nil {
		t.Error("int column accepted")
	}
	if _, err := WriteHNSWSQ(ctx, ds, "vec", nil, "i"); err == nil {
		t.Error("nil index accepted")
	}
}

// TestIndexTypeIVFPQ checks IndexType on an IVF_PQ index and that
// OpenHNSWSQ refuses it.
func TestIndexTypeIVFPQ(t *testing.T) {
	ctx := context.Background()
	ds, _ := writeSmallIVFPQ(t)
	infos, err := ds.Indexes()
	if err != nil || len(infos) != 1 {
		t.Fatalf("indexes %v, %v", infos, err)
	}
	if typ, err := IndexType(ctx, ds, infos[0]); err != nil || typ != typeIVFPQ {
		t.Fatalf("IndexType = %q, %v", typ, err)
	}
	if _, err := OpenHNSWSQ(ctx, ds, infos[0]); !errors.Is(err, lance.ErrUnsupported) {
		t.Fatalf("OpenHNSWSQ on IVF_PQ: %v", err)
	}
}

func TestListPages(t *testing.T) {
	// Row lengths: a run of big rows, empties between and at the end.
	lens := []int{0, 3, 2000, 2000, 0, 90, 4096, 0, 1, 0, 0}
	offs := []uint32{0}
	for _, k := range lens {
		offs = append(offs, offs[len(offs)-1]+uint32(k))
	}
	pages := listPages(offs)
	next := 0
	for _, pg := range pages {
		if pg.lo != next || pg.hi <= pg.lo {
			t.Fatalf("pages %v do not tile the rows", pages)
		}
		next = pg.hi
		levels, items := 0, 0
		for r := pg.lo; r < pg.hi; r++ {
			levels += max(1, lens[r])
			items += lens[r]
		}
		if items == 0 || (levels > maxListLevels && pg.hi-pg.lo > 1) {
			t.Errorf("page %v: %d levels, %d items", pg, levels, items)
		}
	}
	if next != len(lens) {
		t.Fatalf("pages %v end at %d of %d rows", pages, next, len(lens))
	}
}

func TestQuantizeQuery(t *testing.T) {
	sq := &distance.SQ8{Min: []float32{-1, -1, -1, -1}, Scale: []float32{2.0 / 255, 2.0 / 255, 2.0 / 255, 2.0 / 255}}
	q := quantizeQuery(sq, sqBounds{Start: -1, End: 1}, []float32{-5, 1, 0, 5})
	// (0+1)·255/2 = 127.5 truncates to 127.
	lo, sc := sq.Min[0], sq.Scale[0]
	want := []float32{lo, lo + sc*255, lo + sc*127, lo + sc*255}
	if !slices.Equal(q, want) {
		t.Errorf("got %v, want %v", q, want)
	}
}

func TestHNSWVectorIndexDetails(t *testing.T) {
	got := hnswVectorIndexDetails(&hnsw.Index{Metric: distance.Cosine, M: 20, EfConstruction: 150, MaxLevel: 7})
	want := []byte{0x08, 0x01, 0x1a, 0x07, 0x08, 20, 0x10, 0x96, 0x01, 0x18, 7, 0x2a, 0x02, 0x08, 0x08}
	if !slices.Equal(got, want) {
		t.Errorf("% x, want % x", got, want)
	}
}

// writeSmallIVFPQ writes a small IVF_PQ index with WriteIVFPQ.
func writeSmallIVFPQ(t *testing.T) (*lance.Dataset, objstore.Store) {
	t.Helper()
	ctx := context.Background()
	store := objstore.NewMemory()
	ds, vecs, addrs := clusteredDataset(t, store, 600, 8, 600)
	ix, err := ivfpq.Build(ctx, vecs, addrs, 8, ivfpq.BuildOptions{NumPartitions: 2, NumSubVectors: 2})
	if err != nil {
		t.Fatal(err)
	}
	ds, err = WriteIVFPQ(ctx, ds, "vec", ix, "vec_idx")
	if err != nil {
		t.Fatal(err)
	}
	return ds, store
}
