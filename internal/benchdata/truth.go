package benchdata

import (
	"fmt"

	"github.com/lancegate/lancegate/storage/index/distance"
)

// Truth is the exact top-K of every query: IDs[q*K+i] is the i-th nearest
// base row (its position in the base, which is also the id column the
// harness writes) and Dists[q*K+i] its distance under the metric, nearest
// first, ties broken by the smaller id.
type Truth struct {
	K     int
	IDs   []int32
	Dists []float32
}

// Queries returns the number of queries t covers.
func (t *Truth) Queries() int {
	if t.K == 0 {
		return 0
	}
	return len(t.IDs) / t.K
}

// Row returns query q's true ids and distances.
func (t *Truth) Row(q int) ([]int32, []float32) {
	return t.IDs[q*t.K : (q+1)*t.K], t.Dists[q*t.K : (q+1)*t.K]
}

// Block sizes of GroundTruth: a group of queries walks the base in blocks
// that stay in cache, so the base streams from memory once per group, not
// once per query.
const (
	truthQueryGroup = 32
	truthBaseBlock  = 2048
)

// GroundTruth computes the exact top-k of every query over base (both
// row-major with dim values per vector) with the batched kernels of
// storage/index/distance, in parallel over GOMAXPROCS goroutines.
func GroundTruth(m distance.Metric, base, queries []float32, dim, k int) (*Truth, error) {
	if !m.Valid() || dim <= 0 || len(base)%dim != 0 || len(queries)%dim != 0 {
		return nil, fmt.Errorf("benchdata: GroundTruth metric %v dim %d", m, dim)
	}
	n, nq := len(base)/dim, len(queries)/dim
	if k <= 0 || k > n {
		return nil, fmt.Errorf("benchdata: GroundTruth k=%d over %d vectors", k, n)
	}
	t := &Truth{K: k, IDs: make([]int32, nq*k), Dists: make([]float32, nq*k)}
	groups := (nq + truthQueryGroup - 1) / truthQueryGroup
	parallelFor(groups, func(g int, d []float32) []float32 {
		if d == nil {
			d = make([]float32, truthBaseBlock)
		}
		lo, hi := g*truthQueryGroup, min(nq, (g+1)*truthQueryGroup)
		heaps := make([]topK, hi-lo)
		for i := range heaps {
			heaps[i] = newTopK(k)
		}
		for b0 := 0; b0 < n; b0 += truthBaseBlock {
			b1 := min(n, b0+truthBaseBlock)
			block := base[b0*dim : b1*dim]
			for qi := lo; qi < hi; qi++ {
				cnt := m.Batch(queries[qi*dim:(qi+1)*dim], block, d)
				h := &heaps[qi-lo]
				for j, v := range d[:cnt] {
					h.push(int32(b0+j), v)
				}
			}
		}
		for qi := lo; qi < hi; qi++ {
			heaps[qi-lo].sortedInto(t.IDs[qi*k:(qi+1)*k], t.Dists[qi*k:(qi+1)*k])
		}
		return d
	})
	return t, nil
}

// topK is a bounded max-heap of (distance, id): the root is the worst kept
// entry. Smaller distance wins, then smaller id; NaN never enters once the
// heap is full and sorts last.
type topK struct {
	k   int
	ids []int32
	ds  []float32
}

func newTopK(k int) topK {
	return topK{k: k, ids: make([]int32, 0, k), ds: make([]float32, 0, k)}
}

func worse(da float32, ia int32, db float32, ib int32) bool {
	if da != db {
		if da != da { // NaN
			return true
		}
		return db == db && da > db
	}
	return ia > ib
}

func (h *topK) push(id int32, d float32) {
	if len(h.ids) < h.k {
		h.ids = append(h.ids, id)
		h.ds = append(h.ds, d)
		for i := len(h.ids) - 1; i > 0; {
			p := (i - 1) / 2
			if !worse(h.ds[i], h.ids[i], h.ds[p], h.ids[p]) {
				break
			}
			h.swap(i, p)
			i = p
		}
		return
	}
	if !worse(h.ds[0], h.ids[0], d, id) {
		return
	}
	h.ids[0], h.ds[0] = id, d
	h.down(0, len(h.ids))
}

func (h *topK) swap(i, j int) {
	h.ids[i], h.ids[j] = h.ids[j], h.ids[i]
	h.ds[i], h.ds[j] = h.ds[j], h.ds[i]
}

func (h *topK) down(i, n int) {
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		w := l
		if r := l + 1; r < n && worse(h.ds[r], h.ids[r], h.ds[l], h.ids[l]) {
			w = r
		}
		if !worse(h.ds[w], h.ids[w], h.ds[i], h.ids[i]) {
			return
		}
		h.swap(i, w)
		i = w
	}
}

// sortedInto writes the kept entries nearest first (heap sort in place).
func (h *topK) sortedInto(ids []int32, ds []float32) {
	for n := len(h.ids) - 1; n > 0; n-- {
		h.swap(0, n)
		h.down(0, n)
	}
	copy(ids, h.ids)
	copy(ds, h.ds)
}

// Recall returns recall@k of one answer: |got ∩ truth| / k, where a
// returned id that is not among the true ids still counts as a hit when its
// exact distance ties the k-th true distance (kth), within a relative
// 1e-5 for the rounding of different kernels. Duplicates and ids exact
// cannot resolve (it returns NaN, e.g. out of range) are misses; only the
// first k of got are counted.
func Recall(truthIDs []int32, kth float32, got []int64, exact func(id int64) float32) float64 {
	k := len(truthIDs)
	if k == 0 {
		return 0
	}
	in := make(map[int64]bool, k)
	for _, id := range truthIDs {
		in[int64(id)] = true
	}
	bar := kth + 1e-5*abs32(kth) + 1e-7
	seen := make(map[int64]bool, k)
	hits := 0
	for _, id := range got[:min(len(got), k)] {
		if seen[id] {
			continue
		}
		seen[id] = true
		if in[id] {
			hits++
		} else if d := exact(id); d <= bar { // NaN compares false
			hits++
		}
	}
	return float64(hits) / float64(k)
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}
