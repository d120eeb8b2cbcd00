package lanceindex

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/hnsw"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
)

// hnswPython returns the interpreter with pylance the HNSW interop tests
// run, or skips the test when LANCEGATE_PYTHON is not set (failing instead
// under LANCEGATE_REQUIRE_INTEROP=1).
func hnswPython(t *testing.T) string {
	t.Helper()
	py := os.Getenv("LANCEGATE_PYTHON")
	if py == "" {
		if os.Getenv("LANCEGATE_REQUIRE_INTEROP") == "1" {
			t.Fatal("LANCEGATE_REQUIRE_INTEROP=1 but LANCEGATE_PYTHON is not set")
		}
		t.Skip("set LANCEGATE_PYTHON to a Python with pylance to run the interop test")
	}
	return py
}

// runHNSWScript runs testdata/hnswsq_interop.py with args.
func runHNSWScript(t *testing.T, py string, args ...string) {
	t.Helper()
	script, err := filepath.Abs("testdata/hnswsq_interop.py")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), "LANCE_INCLUDE_VECTOR_CENTROIDS=false", "RUST_LOG=error")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", py, strings.Join(args, " "), err, out)
	}
}

// pyAnswers is what the script writes: pylance's answers to the queries and
// the exact ones.
type pyAnswers struct {
	Results   [][]uint64  `json:"results"`
	Distances [][]float64 `json:"distances"`
	Exact     [][]uint64  `json:"exact"`
	Plan      string      `json:"plan"`
	Indices   []struct {
		Name        string   `json:"name"`
		Type        string   `json:"type"`
		UUID        string   `json:"uuid"`
		FragmentIDs []uint32 `json:"fragment_ids"`
	} `json:"indices"`
	Stats map[string]any `json:"stats"`
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// overlap returns the mean fraction of want's rows found in got.
func overlap(got, want [][]uint64) float64 {
	hit, total := 0, 0
	for i := range want {
		for _, r := range want[i] {
			total++
			if slices.Contains(got[i], r) {
				hit++
			}
		}
	}
	return float64(hit) / float64(max(1, total))
}

// TestOpenPylanceHNSWSQ has pylance build IVF_HNSW_SQ indexes (l2,
// cosine, dot) and checks that OpenHNSWSQ loads them and answers like
// pylance: the same rows and the same distances.
func TestOpenPylanceHNSWSQ(t *testing.T) {
	py := hnswPython(t)
	for _, metric := range []distance.Metric{distance.L2, distance.Cosine, distance.Dot} {
		t.Run(metric.String(), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			const n, dim, parts = 3000, 16, 4
			qpath, opath := filepath.Join(dir, "q.json"), filepath.Join(dir, "o.json")
			runHNSWScript(t, py, "build", filepath.Join(dir, "d.lance"), metric.String(),
				strconv.Itoa(n), strconv.Itoa(dim), strconv.Itoa(parts), "7", qpath, opath)
			var queries [][]float32
			readJSON(t, qpath, &queries)
			var py pyAnswers
			readJSON(t, opath, &py)

			store, err := objstore.NewLocal(dir)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := lance.Open(ctx, store, "d.lance")
			if err != nil {
				t.Fatal(err)
			}
			infos, err := ds.Indexes()
			if err != nil || len(infos) != 1 {
				t.Fatalf("indexes %v, %v", infos, err)
			}
			typ, err := IndexType(ctx, ds, infos[0])
			if err != nil || typ != typeIVFHNSWSQ {
				t.Fatalf("IndexType = %q, %v", typ, err)
			}
			if _, err := OpenIVFPQ(ctx, ds, infos[0]); err == nil {
				t.Error("OpenIVFPQ accepted an IVF_HNSW_SQ index")
			}
			x, err := OpenHNSWSQ(ctx, ds, infos[0])
			if err != nil {
				t.Fatal(err)
			}
			if x.Metric() != metric || x.Dim() != dim || x.NumPartitions() != parts || x.Len() != n {
				t.Fatalf("opened %v dim %d, %d partitions, %d rows", x.Metric(), x.Dim(), x.NumPartitions(), x.Len())
			}
			got := make([][]uint64, len(queries))
			var maxRel float64
			for i, q := range queries {
				hits, _, err := x.SearchWith(q, hnsw.SearchOptions{K: 10, NProbes: parts, Ef: 64})
				if err != nil {
					t.Fatal(err)
				}
				for j, h := range hits {
					got[i] = append(got[i], h.RowAddr)
					// Compare distances of rows both found.
					if k := slices.Index(py.Results[i], h.RowAddr); k >= 0 {
						pd := py.Distances[i][k]
						rel := math.Abs(float64(h.Distance)-pd) / math.Max(1e-3, math.Abs(pd))
						if rel > maxRel {
							maxRel = rel
						}
						if i == 0 && j < 3 {
							t.Logf("row %#x: ours %.6g pylance %.6g", h.RowAddr, h.Distance, pd)
						}
					}
				}
			}
			ov := overlap(got, py.Results)
			t.Logf("%v: overlap with pylance %.3f, pylance recall %.3f, ours %.3f, max relative distance difference %.2g",
				metric, ov, overlap(py.Results, py.Exact), overlap(got, py.Exact), maxRel)
			if ov < 0.9 {
				t.Errorf("overlap with pylance %.3f < 0.9", ov)
			}
			if maxRel > 1e-3 {
				t.Errorf("distances differ from pylance's by up to %.2g (relative)", maxRel)
			}
		})
	}
}

// TestPylanceReadsHNSWSQ writes IVF_HNSW_SQ indexes (l2, cosine, dot) with
// WriteHNSWSQ and has pylance list them, report their stats and answer
// nearest() with them.
func TestPylanceReadsHNSWSQ(t *testing.T) {
	py := hnswPython(t)
	for _, metric := range []distance.Metric{distance.L2, distance.Cosine, distance.Dot} {
		t.Run(metric.String(), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			store, err := objstore.NewLocal(dir)
			if err != nil {
				t.Fatal(err)
			}
			const n, dim, perFrag, parts = 3000, 16, 1000, 4
			ds, vecs, addrs := clusteredDataset(t, store, n, dim, perFrag)
			ix := buildHNSW(t, vecs, addrs, dim, metric, parts)
			ds, err = WriteHNSWSQ(ctx, ds, "vec", ix, "vec_idx")
			if err != nil {
				t.Fatal(err)
			}
			infos, err := ds.Indexes()
			if err != nil || len(infos) != 1 {
				t.Fatalf("indexes %v, %v", infos, err)
			}
			x, err := OpenHNSWSQ(ctx, ds, infos[0])
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(8, 9))
			queries := make([][]float32, 20)
			for i := range queries {
				q := slices.Clone(vecs[r.IntN(n)*dim:][:dim])
				for j := range q {
					q[j] += float32(r.NormFloat64() * 0.3)
				}
				queries[i] = q
			}
			qpath, opath := filepath.Join(dir, "q.json"), filepath.Join(dir, "o.json")
			b, err := json.Marshal(queries)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(qpath, b, 0o644); err != nil {
				t.Fatal(err)
			}
			runHNSWScript(t, py, "check", filepath.Join(dir, "v.lance"), qpath, strconv.Itoa(parts), opath)
			var ans pyAnswers
			readJSON(t, opath, &ans)
			if len(ans.Indices) != 1 || ans.Indices[0].Type != typeIVFHNSWSQ || ans.Indices[0].UUID != infos[0].UUID ||
				!slices.Equal(ans.Indices[0].FragmentIDs, []uint32{0, 1, 2}) {
				t.Fatalf("pylance lists %+v", ans.Indices)
			}
			if got, ok := ans.Stats["num_indexed_rows"].(float64); !ok || int(got) != n {
				t.Errorf("index_stats num_indexed_rows = %v", ans.Stats["num_indexed_rows"])
			}
			if got, ok := ans.Stats["index_type"].(string); !ok || got != typeIVFHNSWSQ {
				t.Errorf("index_stats index_type = %v", ans.Stats["index_type"])
			}
			if !strings.Contains(ans.Plan, "ANNSubIndex") || !strings.Contains(ans.Plan, infos[0].UUID) {
				t.Errorf("pylance's plan does not use the index:\n%s", ans.Plan)
			}
			ours := make([][]uint64, len(queries))
			var maxRel float64
			for i, q := range queries {
				hits, _, err := x.SearchWith(q, hnsw.SearchOptions{K: 10, NProbes: parts, Ef: 64})
				if err != nil {
					t.Fatal(err)
				}
				for _, h := range hits {
					ours[i] = append(ours[i], h.RowAddr)
					if k := slices.Index(ans.Results[i], h.RowAddr); k >= 0 {
						pd := ans.Distances[i][k]
						if i == 0 && len(ours[i]) <= 2 {
							t.Logf("row %#x: ours %.6g pylance %.6g", h.RowAddr, h.Distance, pd)
						}
						maxRel = math.Max(maxRel, math.Abs(float64(h.Distance)-pd)/math.Max(1e-3, math.Abs(pd)))
					}
				}
			}
			recall, ov := overlap(ans.Results, ans.Exact), overlap(ours, ans.Results)
			t.Logf("%v: pylance recall@10 with our index %.3f, overlap with our search %.3f, our recall %.3f, max relative distance difference %.2g",
				metric, recall, ov, overlap(ours, ans.Exact), maxRel)
			if recall < 0.9 {
				t.Errorf("pylance recall@10 %.3f < 0.9", recall)
			}
			if ov < 0.9 {
				t.Errorf("overlap with pylance %.3f < 0.9", ov)
			}
			if maxRel > 1e-3 {
				t.Errorf("distances differ from pylance's by up to %.2g (relative)", maxRel)
			}
		})
	}
}

// TestPylanceMaintainsHNSWSQ has pylance extend a lancegate IVF_HNSW_SQ
// index with a delta, merge it and remap it through compaction, checking
// that pylance's searches find appended rows after each step. The index
// files pylance writes in these steps are Lance 2.0 files with list
// columns, which OpenHNSWSQ reports as unsupported (not corrupt); the
// original index stays readable next to a delta.
func TestPylanceMaintainsHNSWSQ(t *testing.T) {
	py := hnswPython(t)
	ctx := context.Background()
	dir := t.TempDir()
	store, err := objstore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	const n, dim, perFrag, parts = 3000, 16, 1000, 4
	ds, vecs, addrs := clusteredDataset(t, store, n, dim, perFrag)
	ix := buildHNSW(t, vecs, addrs, dim, distance.L2, parts)
	ds, err = WriteHNSWSQ(ctx, ds, "vec", ix, "vec_idx")
	if err != nil {
		t.Fatal(err)
	}
	infos, err := ds.Indexes()
	if err != nil || len(infos) != 1 {
		t.Fatalf("indexes %v, %v", infos, err)
	}
	ours := infos[0].UUID
	uri, opath := filepath.Join(dir, "v.lance"), filepath.Join(dir, "o.json")
	var out struct {
		IDs     []int64 `json:"ids"`
		Want    int64   `json:"want"`
		Indices []struct {
			UUID        string   `json:"uuid"`
			Type        string   `json:"type"`
			FragmentIDs []uint32 `json:"fragment_ids"`
		} `json:"indices"`
	}
	for _, step := range []string{"delta", "merge", "compact"} {
		runHNSWScript(t, py, "maintain", uri, step, opath)
		readJSON(t, opath, &out)
		t.Logf("%s: pylance lists %+v, finds %v for row %d", step, out.Indices, out.IDs, out.Want)
		if len(out.IDs) == 0 || out.IDs[0] != out.Want {
			t.Errorf("%s: pylance's nearest rows %v, want %d first", step, out.IDs, out.Want)
		}
		for _, i := range out.Indices {
			if i.Type != typeIVFHNSWSQ {
				t.Errorf("%s: pylance lists %+v", step, i)
			}
		}
		cur, err := lance.Open(ctx, store, "v.lance")
		if err != nil {
			t.Fatal(err)
		}
		infos, err := cur.Indexes()
		if err != nil {
			t.Fatal(err)
		}
		if step == "delta" && (len(infos) != 2 || infos[0].UUID != ours) {
			t.Fatalf("after delta: indexes %+v", infos)
		}
		for _, info := range infos {
			_, err := OpenHNSWSQ(ctx, cur, info)
			switch {
			case info.UUID == ours && err != nil:
				t.Errorf("%s: our index: %v", step, err)
			case info.UUID != ours && err == nil:
				t.Logf("%s: pylance's index %s opened (2.0 lists are read now?)", step, info.UUID)
			case info.UUID != ours && !errors.Is(err, lance.ErrUnsupported):
				t.Errorf("%s: pylance's index %s: %v, want ErrUnsupported", step, info.UUID, err)
			}
			if _, err := IndexType(ctx, cur, info); info.UUID != ours && err != nil && !errors.Is(err, lance.ErrUnsupported) {
				t.Errorf("%s: IndexType: %v", step, err)
			}
		}
	}
}
