package ivfpq

import (
	"cmp"
	"slices"
)

// Candidate is one search result: a row id and its distance to the query
// (approximate from Search, exact from Refine).
type Candidate struct {
	RowID    uint64
	Distance float32
}

// less orders candidates by distance, then row id, so results are
// deterministic under ties. NaN distances sort last.
func less(a, b Candidate) bool {
	if a.Distance != b.Distance {
		if a.Distance != a.Distance { // NaN
			return false
		}
		return b.Distance != b.Distance || a.Distance < b.Distance
	}
	return a.RowID < b.RowID
}

// topK keeps the k best candidates seen in a bounded binary max-heap: the
// root is the worst kept candidate, so a new one is compared with it in
// O(1) and inserted in O(log k).
type topK struct {
	k int
	h []Candidate
}

// newTopK makes a heap for k candidates; it preallocates at most 1024
// slots (k may be huge for a large LIMIT) and grows as needed.
func newTopK(k int) *topK { return &topK{k: k, h: make([]Candidate, 0, min(max(k, 0), 1024))} }

// full reports whether k candidates are held; then worst() is the bar.
func (t *topK) full() bool { return len(t.h) == t.k }

// worst returns the largest kept distance; valid only when full.
func (t *topK) worst() float32 { return t.h[0].Distance }

func (t *topK) push(c Candidate) {
	if t.k <= 0 {
		return
	}
	if len(t.h) < t.k {
		t.h = append(t.h, c)
		t.up(len(t.h) - 1)
		return
	}
	if !less(c, t.h[0]) {
		return
	}
	t.h[0] = c
	t.down(0)
}

func (t *topK) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !less(t.h[p], t.h[i]) {
			return
		}
		t.h[p], t.h[i] = t.h[i], t.h[p]
		i = p
	}
}

func (t *topK) down(i int) {
	n := len(t.h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		big := l
		if r := l + 1; r < n && less(t.h[l], t.h[r]) {
			big = r
		}
		if !less(t.h[i], t.h[big]) {
			return
		}
		t.h[i], t.h[big] = t.h[big], t.h[i]
		i = big
	}
}

// sorted returns the kept candidates, best first, and empties t.
func (t *topK) sorted() []Candidate {
	out := t.h
	t.h = nil
	slices.SortFunc(out, func(a, b Candidate) int {
		if less(a, b) {
			return -1
		}
		if less(b, a) {
			return 1
		}
		return cmp.Compare(a.RowID, b.RowID)
	})
	return out
}
