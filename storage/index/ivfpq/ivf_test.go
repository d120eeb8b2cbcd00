package ivfpq

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/lancegate/lancegate/storage/index/distance"
)

// recallSet is a generated data set with its exact top-k per query.
type recallSet struct {
	dim           int
	base, queries []float32
	metric        distance.Metric
	truth         [][]Candidate
	rc            float64
}

func newRecallSet(p genParams, metric distance.Metric, k int) *recallSet {
	base, queries := genClustered(p)
	if metric != distance.L2 {
		// Cosine and dot workloads run on normalised embeddings (§3.3 step 4).
		normalizeRows(base, p.dim)
		normalizeRows(queries, p.dim)
	}
	s := &recallSet{dim: p.dim, base: base, queries: queries, metric: metric}
	for i := range p.nq {
		s.truth = append(s.truth, exactTopK(metric, base, s.query(i), k))
	}
	s.rc = relativeContrast(base, queries, p.dim)
	return s
}

func (s *recallSet) query(i int) []float32 { return s.queries[i*s.dim : (i+1)*s.dim] }
func (s *recallSet) vec(id uint64) []float32 {
	return s.base[int(id)*s.dim : (int(id)+1)*s.dim]
}

func (s *recallSet) rowIDs() []uint64 {
	ids := make([]uint64, len(s.base)/s.dim)
	for i := range ids {
		ids[i] = uint64(i)
	}
	return ids
}

// search runs one query with an optional refine factor (0 = none).
func (s *recallSet) search(t testing.TB, ix *Index, i, k, nprobes, refine int) []Candidate {
	q := s.query(i)
	want := k
	if refine > 0 {
		want = k * refine
	}
	cands, err := ix.Search(q, want, nprobes)
	if err != nil {
		t.Fatal(err)
	}
	if refine == 0 {
		return cands
	}
	vecs := make([]float32, 0, len(cands)*s.dim)
	for _, c := range cands {
		vecs = append(vecs, s.vec(c.RowID)...)
	}
	out, err := Refine(s.metric, q, cands, vecs, k)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (s *recallSet) recall(t testing.TB, ix *Index, k, nprobes, refine int) float64 {
	var sum float64
	for i := range s.truth {
		got := s.search(t, ix, i, k, nprobes, refine)
		q := s.query(i)
		sum += recallAt(s.truth[i], got, func(id uint64) float32 { return s.metric.Distance(q, s.vec(id)) })
	}
	return sum / float64(len(s.truth))
}

// recallParams returns the data set of the recall test: performance.md's
// recipe at 20k × 128, 100 Zipf clusters, rank 16, 200 queries, or a
// smaller set under -short and -race.
func recallParams() genParams {
	p := genParams{n: 20000, nq: 200, dim: 128, clusters: 100, rank: 16, sc: 1, sigma: 0.3, seed: 1}
	if testing.Short() || raceEnabled {
		p.n, p.nq, p.dim, p.clusters = 4000, 100, 64, 40
	}
	return p
}

func TestRecall(t *testing.T) {
	const k = 10
	p := recallParams()
	pqIters := 10
	if testing.Short() || raceEnabled {
		pqIters = 6
	}
	for _, metric := range []distance.Metric{distance.L2, distance.Cosine, distance.Dot} {
		t.Run(metric.String(), func(t *testing.T) {
			s := newRecallSet(p, metric, k)
			start := time.Now()
			// PQ on raw vectors (Dot) needs twice the sub-vectors of PQ on
			// residuals for the same recall; 10 PQ iterations keep the
			// test fast (50 lower the reconstruction error by ≈ 1.5%).
			m := p.dim / 8
			if metric == distance.Dot {
				m = p.dim / 4
			}
			ix, err := Build(context.Background(), s.base, s.rowIDs(), p.dim, BuildOptions{
				Metric: metric, NumSubVectors: m,
				IVF: KMeansOptions{Seed: 1}, PQ: KMeansOptions{Seed: 2, MaxIters: pqIters},
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d×%d, %d clusters, RC %.2f: built %d partitions, PQ%d in %v",
				p.n, p.dim, p.clusters, s.rc, ix.NumPartitions(), ix.PQ.M, time.Since(start).Round(time.Millisecond))
			// Floors sit below the measured figures (logged) with margin:
			// np16/rf4 0.990–0.996, np4/rf4 0.984–0.994, np16/rf0 0.72–0.76.
			floors := map[[2]int]float64{{16, 4}: 0.95, {4, 4}: 0.93, {16, 0}: 0.6}
			line := ""
			for _, np := range []int{1, 4, 16} {
				for _, rf := range []int{0, 4} {
					r := s.recall(t, ix, k, np, rf)
					line += fmt.Sprintf(" np%d/rf%d=%.3f", np, rf, r)
					if f, ok := floors[[2]int{np, rf}]; ok && r < f {
						t.Errorf("recall@10 at nprobes %d, refine ×%d = %.3f < %.2f", np, rf, r, f)
					}
				}
			}
			t.Logf("recall@10:%s", line)
		})
	}
}

func TestBuildStructure(t *testing.T) {
	const dim = 16
	for _, metric := range []distance.Metric{distance.L2, distance.Cosine, distance.Dot} {
		base, _ := genClustered(genParams{n: 2000, dim: dim, clusters: 20, rank: 4, sc: 1, sigma: 0.3, seed: 3})
		ids := make([]uint64, 2000)
		for i := range ids {
			ids[i] = uint64(1000 + 3*i)
		}
		orig := slices.Clone(base)
		opts := BuildOptions{Metric: metric, NumSubVectors: 4, IVF: KMeansOptions{Seed: 9}, PQ: KMeansOptions{Seed: 9, MaxIters: 10}}
		ix, err := Build(context.Background(), base, ids, dim, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(base, orig) {
			t.Fatalf("%v: Build modified its input", metric)
		}
		if ix.NumPartitions() != 44 { // ⌊√2000⌋
			t.Errorf("%v: %d partitions, want 44", metric, ix.NumPartitions())
		}
		// Every row appears once, in input order within its partition, in
		// the partition of its nearest centroid.
		seen := map[uint64]int{}
		for p, part := range ix.Partitions {
			if len(part.Codes) != len(part.RowIDs)*4 {
				t.Fatalf("partition %d: %d codes for %d rows", p, len(part.Codes), len(part.RowIDs))
			}
			if !slices.IsSorted(part.RowIDs) {
				t.Errorf("partition %d: row ids not ascending", p)
			}
			for _, id := range part.RowIDs {
				seen[id] = p
			}
		}
		if len(seen) != 2000 {
			t.Fatalf("%v: %d distinct rows indexed", metric, len(seen))
		}
		for i, id := range ids {
			v := slices.Clone(base[i*dim : (i+1)*dim])
			if metric == distance.Cosine {
				distance.Normalize(v)
			}
			if got := ix.partitionOrder(v, 1).ids; got[0] != seen[id] {
				t.Fatalf("%v: row %d in partition %d, nearest centroid %d", metric, id, seen[id], got)
			}
		}
		if metric == distance.Dot {
			for p := range ix.NumPartitions() {
				if n := distance.Norm(ix.Centroids[p*dim : (p+1)*dim]); n < 0.99999 || n > 1.00001 {
					t.Errorf("dot centroid %d norm %g", p, n)
				}
			}
		}
		// Deterministic.
		ix2, err := Build(context.Background(), base, ids, dim, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ix.Centroids, ix2.Centroids) || !slices.Equal(ix.PQ.Codebook, ix2.PQ.Codebook) {
			t.Errorf("%v: same seeds, different index", metric)
		}
		// Search with all partitions and k = n returns every row once, sorted.
		res, err := ix.Search(base[:dim], 5000, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 2000 || !slices.IsSortedFunc(res, func(a, b Candidate) int {
			if less(a, b) {
				return -1
			}
			return 1
		}) {
			t.Errorf("%v: full search gave %d rows (sorted %v)", metric, len(res), slices.IsSortedFunc(res, func(a, b Candidate) int {
				if less(a, b) {
					return -1
				}
				return 1
			}))
		}
		// Precomputed residual tables give the same ranking and distances
		// as tables built from the residual directly.
		direct := *ix
		direct.pre = nil
		a, _ := ix.Search(base[:dim], 30, 8)
		b, _ := direct.Search(base[:dim], 30, 8)
		if len(a) != len(b) {
			t.Fatalf("%v: %d vs %d results", metric, len(a), len(b))
		}
		for i := range a {
			if d := math.Abs(float64(a[i].Distance - b[i].Distance)); d > 1e-4*(1+math.Abs(float64(b[i].Distance))) {
				t.Errorf("%v: result %d: precomputed %v, direct %v", metric, i, a[i], b[i])
			}
		}
		// ADC through Search equals the metric's distance to the decoded vector.
		q := base[dim : 2*dim]
		qn := slices.Clone(q)
		if metric == distance.Cosine {
			distance.Normalize(qn)
		}
		got, _ := ix.Search(q, 1, 1000)
		p := seen[got[0].RowID]
		part := ix.Partitions[p]
		j := slices.Index(part.RowIDs, got[0].RowID)
		dec := make([]float32, dim)
		ix.PQ.Decode(part.Codes[j*4:(j+1)*4], dec)
		if metric != distance.Dot {
			for d := range dec {
				dec[d] += ix.Centroids[p*dim+d]
			}
		}
		var want float32
		switch metric {
		case distance.L2:
			want = distance.SquaredL2(qn, dec)
		case distance.Cosine:
			want = distance.SquaredL2(qn, dec) / 2
		case distance.Dot:
			want = distance.Dot.Distance(qn, dec)
		}
		if diff := math.Abs(float64(got[0].Distance - want)); diff > 1e-4*(1+math.Abs(float64(want))) {
			t.Errorf("%v: search distance %g, decoded %g", metric, got[0].Distance, want)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	ctx := context.Background()
	vecs := make([]float32, 300*8)
	ids := make([]uint64, 300)
	if _, err := Build(ctx, vecs, ids[:10], 8, BuildOptions{}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("ids mismatch: %v", err)
	}
	if _, err := Build(ctx, vecs, ids, 8, BuildOptions{NumSubVectors: 3}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("m: %v", err)
	}
	if _, err := Build(ctx, vecs[:100*8], ids[:100], 8, BuildOptions{}); !errors.Is(err, ErrTooFewVectors) {
		t.Errorf("PQ too few: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Build(cctx, vecs, ids, 8, BuildOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	ix, err := Build(ctx, vecs, ids, 8, BuildOptions{NumPartitions: 4})
	if err != nil {
		t.Fatal(err) // all-zero vectors still build
	}
	if _, err := ix.Search(make([]float32, 3), 1, 1); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("short query: %v", err)
	}
	if _, err := Refine(distance.L2, make([]float32, 8), make([]Candidate, 2), make([]float32, 8), 1); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("refine sizes: %v", err)
	}
}

func TestFromParts(t *testing.T) {
	const dim = 16
	base, queries := genClustered(genParams{n: 2000, nq: 20, dim: dim, clusters: 20, rank: 4, sc: 1, sigma: 0.3, seed: 5})
	ids := make([]uint64, 2000)
	for i := range ids {
		ids[i] = uint64(i) * 3
	}
	for _, metric := range []distance.Metric{distance.L2, distance.Cosine, distance.Dot} {
		built, err := Build(context.Background(), base, ids, dim, BuildOptions{Metric: metric, NumPartitions: 8, NumSubVectors: 4})
		if err != nil {
			t.Fatal(err)
		}
		ix, err := FromParts(metric, dim, built.Centroids, built.PQ, built.Partitions)
		if err != nil {
			t.Fatal(err)
		}
		// Without Precompute the residual tables are built directly:
		// same rows, distances equal up to rounding.
		for i := range 20 {
			q := queries[i*dim : (i+1)*dim]
			want, _ := built.Search(q, 10, 3)
			got, err := ix.Search(q, 10, 3)
			if err != nil || len(got) != len(want) {
				t.Fatalf("%v: %d results (%v), want %d", metric, len(got), err, len(want))
			}
			for j := range got {
				if math.Abs(float64(got[j].Distance-want[j].Distance)) > 1e-4*(1+math.Abs(float64(want[j].Distance))) {
					t.Fatalf("%v query %d: result %d = %+v, want %+v", metric, i, j, got[j], want[j])
				}
			}
		}
	}
	built, _ := Build(context.Background(), base, ids, dim, BuildOptions{NumPartitions: 8, NumSubVectors: 4})
	bad := []struct {
		name  string
		dim   int
		cent  []float32
		pq    *PQ
		parts []Partition
	}{
		{"no partitions", dim, nil, built.PQ, nil},
		{"short centroids", dim, built.Centroids[:dim], built.PQ, built.Partitions},
		{"nil PQ", dim, built.Centroids, nil, built.Partitions},
		{"PQ dim", dim * 2, append(built.Centroids, built.Centroids...), built.PQ, built.Partitions},
		{"short codebook", dim, built.Centroids, &PQ{Dim: dim, M: 4, SubDim: 4, Codebook: built.PQ.Codebook[1:]}, built.Partitions},
		{"short codes", dim, built.Centroids, built.PQ, append([]Partition{{RowIDs: []uint64{1}, Codes: []byte{1}}}, built.Partitions[1:]...)},
	}
	for _, b := range bad {
		if _, err := FromParts(distance.L2, b.dim, b.cent, b.pq, b.parts); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: %v", b.name, err)
		}
	}
	if _, err := FromParts(distance.Metric(99), dim, built.Centroids, built.PQ, built.Partitions); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("bad metric: %v", err)
	}
}
