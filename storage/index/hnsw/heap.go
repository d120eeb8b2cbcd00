package hnsw

import (
	"cmp"
	"slices"

	"github.com/lancegate/lancegate/storage/index/ivfpq"
)

// node is a graph node (a partition-local id) with its distance to the
// current query.
type node struct {
	id   uint32
	dist float32
}

// closer orders nodes by distance, then id, so that builds and searches are
// deterministic under ties.
func closer(a, b node) bool {
	if a.dist != b.dist {
		return a.dist < b.dist
	}
	return a.id < b.id
}

// minHeap pops the closest node first: the candidate queue of a beam search.
type minHeap []node

func (h *minHeap) push(n node) {
	*h = append(*h, n)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !closer(s[i], s[p]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *minHeap) pop() node {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		l := 2*i + 1
		if l >= len(s) {
			break
		}
		c := l
		if r := l + 1; r < len(s) && closer(s[r], s[l]) {
			c = r
		}
		if !closer(s[c], s[i]) {
			break
		}
		s[i], s[c] = s[c], s[i]
		i = c
	}
	*h = s
	return top
}

// maxHeap keeps the farthest node at the root: the bounded result set of a
// beam search, whose root is the bar a new node must beat.
type maxHeap []node

func (h *maxHeap) push(n node) {
	*h = append(*h, n)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !closer(s[p], s[i]) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *maxHeap) pop() node {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		l := 2*i + 1
		if l >= len(s) {
			break
		}
		c := l
		if r := l + 1; r < len(s) && closer(s[l], s[r]) {
			c = r
		}
		if !closer(s[i], s[c]) {
			break
		}
		s[i], s[c] = s[c], s[i]
		i = c
	}
	*h = s
	return top
}

// appendSorted appends the heap's nodes to dst, closest first, and empties
// the heap.
func (h *maxHeap) appendSorted(dst []node) []node {
	start := len(dst)
	dst = append(dst, *h...)
	slices.SortFunc(dst[start:], func(a, b node) int {
		if c := cmp.Compare(a.dist, b.dist); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	*h = (*h)[:0]
	return dst
}

// visited is a set of local ids cleared in O(1) by bumping an epoch: ids
// whose mark equals the epoch are in the set.
type visited struct {
	mark  []uint32
	epoch uint32
}

// reset empties the set and sizes it for ids below n.
func (v *visited) reset(n int) {
	if len(v.mark) < n {
		v.mark = make([]uint32, n)
		v.epoch = 0
	}
	v.epoch++
	if v.epoch == 0 { // wrapped: stale marks could collide
		clear(v.mark)
		v.epoch = 1
	}
}

// add inserts id and reports whether it was absent.
func (v *visited) add(id uint32) bool {
	if v.mark[id] == v.epoch {
		return false
	}
	v.mark[id] = v.epoch
	return true
}

// topK keeps the k best candidates (smallest distance, then row id) in a
// bounded max-heap, across partitions.
type topK struct {
	k int
	h []ivfpq.Candidate
}

func candLess(a, b ivfpq.Candidate) bool {
	if a.Distance != b.Distance {
		return a.Distance < b.Distance
	}
	return a.RowID < b.RowID
}

func (t *topK) push(c ivfpq.Candidate) {
	if t.k <= 0 {
		return
	}
	h := t.h
	if len(h) == t.k {
		if !candLess(c, h[0]) {
			return
		}
		h[0] = c
		for i := 0; ; {
			l := 2*i + 1
			if l >= len(h) {
				break
			}
			big := l
			if r := l + 1; r < len(h) && candLess(h[l], h[r]) {
				big = r
			}
			if !candLess(h[i], h[big]) {
				break
			}
			h[i], h[big] = h[big], h[i]
			i = big
		}
		return
	}
	h = append(h, c)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !candLess(h[p], h[i]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	t.h = h
}

// sorted returns the kept candidates, best first.
func (t *topK) sorted() []ivfpq.Candidate {
	out := t.h
	t.h = nil
	slices.SortFunc(out, func(a, b ivfpq.Candidate) int {
		if candLess(a, b) {
			return -1
		}
		if candLess(b, a) {
			return 1
		}
		return 0
	})
	return out
}
