package hnsw

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/lancegate/lancegate/storage/index/distance"
)

// DefaultEf is the smallest beam width Search uses when SearchOptions.Ef
// is 0 (the width is max(K, DefaultEf)).
const DefaultEf = 40

// SearchOptions parameterises Search.
type SearchOptions struct {
	// K is the number of results; K ≤ 0 returns none.
	K int
	// NProbes is the number of partitions searched first, nearest centroid
	// first; it is clamped to [1, NumPartitions].
	NProbes int
	// Ef is the beam width of the level-0 search in each partition; 0
	// means max(K, DefaultEf), and a value below K is raised to K.
	Ef int
	// Allow, when not nil, is a prefilter: only rows for which it returns
	// true are returned. Rejected rows are still traversed, so the graph
	// stays connected. It must be safe for concurrent calls if the Index
	// is searched concurrently with the same function.
	Allow func(rowID uint64) bool
	// Partitions, when set, are the partitions searched instead of the
	// NProbes nearest (no widening): a distributed search's share.
	Partitions []int
}

// SearchStats reports the work one Search did.
type SearchStats struct {
	// PartitionsProbed counts the partitions whose graphs were searched,
	// including those probed beyond NProbes to reach K results.
	PartitionsProbed int
	// Distances counts SQ8 code distances computed (the NumPartitions
	// coarse centroid distances are not included).
	Distances int
}

// searchScratch is the per-search working memory, pooled across searches.
type searchScratch struct {
	vis   visited
	cand  minHeap
	res   maxHeap
	out   [1]float32
	dists []float32 // scan's distances
	ids   []uint32  // searchGraph: the unvisited neighbours of one node
	nbd   []float32 // and their distances
}

var scratchPool = sync.Pool{New: func() any { return new(searchScratch) }}

// Search returns the K rows nearest to query, best first, with distances
// computed on the SQ8 codes: squared L2; for Cosine, half the squared L2
// between unit vectors (≈ 1 − cos); for Dot, −q·x̂ (ivfpq.Search's
// conventions). It probes the NProbes partitions whose centroids are
// nearest to the query and, while fewer than K rows have been found
// (because Allow rejects most rows or the probed lists are small), further
// partitions in coarse-distance order until K are found or every
// partition has been probed.
func (ix *Index) Search(query []float32, opts SearchOptions) ([]Candidate, SearchStats, error) {
	var st SearchStats
	if len(query) != ix.Dim {
		return nil, st, fmt.Errorf("%w: query has %d values, index dimension %d", ErrInvalidArgument, len(query), ix.Dim)
	}
	for _, v := range query {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, st, fmt.Errorf("%w in the query", ErrNonFinite)
		}
	}
	if opts.K <= 0 || len(ix.Partitions) == 0 {
		return nil, st, nil
	}
	ef := opts.Ef
	if ef == 0 {
		ef = max(opts.K, DefaultEf)
	}
	ef = max(ef, opts.K)
	q := query
	if ix.Metric == distance.Cosine {
		q = slices.Clone(query)
		distance.Normalize(q)
	}
	// Every metric scans with SQ8's Dot kernel (a multiply-add per byte,
	// ≈ 1.5× faster than its L2 kernel); L2 and Cosine expand
	// ‖q − x̂‖² = ‖q‖² + ‖x̂‖² − 2·q·x̂ with ‖x̂‖² precomputed per row.
	sq, err := ix.SQ.Query(distance.Dot, q)
	if err != nil {
		return nil, st, fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	qnorm := float32(-1) // < 0: Dot, no expansion
	if ix.Metric != distance.Dot {
		qnorm = distance.InnerProduct(q, q)
	}
	order := ix.partitionOrder(q)
	nprobes := max(1, min(opts.NProbes, len(order)))
	if opts.Partitions != nil {
		for _, p := range opts.Partitions {
			if p < 0 || p >= len(ix.Partitions) {
				return nil, st, fmt.Errorf("%w: partition %d of %d", ErrInvalidArgument, p, len(ix.Partitions))
			}
		}
		order, nprobes = opts.Partitions, len(opts.Partitions)
		if nprobes == 0 {
			return nil, st, nil
		}
	}

	s := scratchPool.Get().(*searchScratch)
	defer scratchPool.Put(s)
	top := topK{k: opts.K, h: make([]Candidate, 0, min(opts.K, 1024))}
	for i, p := range order {
		if i >= nprobes && len(top.h) >= opts.K {
			break
		}
		part := &ix.Partitions[p]
		if len(part.RowIDs) == 0 {
			continue
		}
		st.PartitionsProbed++
		if part.norms == nil && qnorm >= 0 {
			return nil, st, fmt.Errorf("%w: partition %d was not built or assembled by this package", ErrInvalidArgument, p)
		}
		k := kernel{sq: sq, qnorm: qnorm, norms: part.norms, codes: part.Codes, dim: ix.Dim}
		if ef >= len(part.RowIDs) {
			st.Distances += k.scan(part, opts.Allow, s, &top)
		} else {
			st.Distances += ix.searchGraph(part, k, ef, opts.Allow, s, &top)
		}
	}
	res := top.sorted()
	if ix.Metric == distance.Cosine {
		for i := range res {
			res[i].Distance /= 2
		}
	}
	return res, st, nil
}

// Probes returns the nprobes partitions nearest to query, nearest first:
// those a search with NProbes = nprobes visits before widening.
func (ix *Index) Probes(query []float32, nprobes int) ([]int, error) {
	if len(query) != ix.Dim {
		return nil, fmt.Errorf("%w: query has %d values, index dimension %d", ErrInvalidArgument, len(query), ix.Dim)
	}
	q := query
	if ix.Metric == distance.Cosine {
		q = slices.Clone(query)
		distance.Normalize(q)
	}
	order := ix.partitionOrder(q)
	return order[:max(0, min(max(1, nprobes), len(order)))], nil
}

// partitionOrder returns every partition id, nearest centroid to q first
// (L2 with the normalised query for L2 and Cosine, Dot for Dot, as Lance
// ranks partitions).
func (ix *Index) partitionOrder(q []float32) []int {
	m := distance.L2
	if ix.Metric == distance.Dot {
		m = distance.Dot
	}
	np := len(ix.Partitions)
	d := make([]float32, np)
	m.Batch(q, ix.Centroids, d)
	order := make([]int, np)
	for p := range order {
		order[p] = p
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(d[a], d[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return order
}

// searchGraph searches one partition's graph and pushes its best allowed
// rows into top. It returns the number of distances computed.
//
// The upper levels are a greedy descent from the entry point. Level 0 is
// hnswlib's filtered beam search: every node is a candidate for
// traversal, but only allowed nodes enter the result set, and the search
// stops when the nearest unexpanded candidate is farther than the worst
// of ef allowed results. With few allowed rows the bar stays at +Inf and
// the search floods the whole (connected part of the) partition, which is
// what a selective prefilter costs; it ends because every node is visited
// at most once.
func (ix *Index) searchGraph(part *Partition, k kernel, ef int, allow func(uint64) bool, s *searchScratch, top *topK) int {
	g := &part.Graph
	computed := 0
	dist := func(id uint32) float32 {
		computed++
		return k.one(id, s.out[:])
	}
	ep := node{g.Entry, dist(g.Entry)}
	for l := len(g.Levels) - 1; l > 0; l-- {
		for changed := true; changed; {
			changed = false
			for _, nb := range g.Neighbors(l, ep.id) {
				if d := dist(nb); d < ep.dist || (d == ep.dist && nb < ep.id) {
					ep, changed = node{nb, d}, true
				}
			}
		}
	}

	lv0 := &g.Levels[0]
	ok := func(id uint32) bool { return allow == nil || allow(part.RowIDs[id]) }
	s.vis.reset(len(part.RowIDs))
	s.cand, s.res = s.cand[:0], s.res[:0]
	s.vis.add(ep.id)
	s.cand.push(ep)
	if ok(ep.id) {
		s.res.push(ep)
	}
	bar := float32(math.Inf(1))
	if len(s.res) == ef {
		bar = s.res[0].dist
	}
	for len(s.cand) > 0 {
		c := s.cand.pop()
		if c.dist > bar {
			break
		}
		// Mark and collect the unvisited neighbours, then score them in
		// one gathering kernel call: the rows' loads overlap, and the
		// per-call overhead is paid once per expanded node. The distances
		// are bit-identical to one call per row, so the walk is too.
		ids := s.ids[:0]
		for _, nb := range lv0.Neighbors[lv0.Offsets[c.id]:lv0.Offsets[c.id+1]] {
			if s.vis.add(nb) {
				ids = append(ids, nb)
			}
		}
		s.ids = ids
		if len(ids) == 0 {
			continue
		}
		computed += len(ids)
		for i, d := range k.at(ids, s) {
			nb := ids[i]
			if d > bar {
				continue
			}
			s.cand.push(node{nb, d})
			if ok(nb) {
				s.res.push(node{nb, d})
				if len(s.res) > ef {
					s.res.pop()
				}
				if len(s.res) == ef {
					bar = s.res[0].dist
				}
			}
		}
	}
	for _, r := range s.res {
		top.push(Candidate{RowID: part.RowIDs[r.id], Distance: r.dist})
	}
	return computed
}

// kernel computes SQ8 code distances for one partition: −q·x̂ from the
// SQ8 Dot query, and for L2 and Cosine (qnorm ≥ 0) the squared L2
// ‖q‖² + ‖x̂‖² − 2·q·x̂, clamped at 0 against rounding.
type kernel struct {
	sq    *distance.SQ8Query
	qnorm float32
	norms []float32
	codes []byte
	dim   int
}

// fix turns the Dot kernel's value for row i into the metric's distance.
func (k kernel) fix(i int, d float32) float32 {
	if k.qnorm < 0 {
		return d
	}
	return max(0, k.qnorm+k.norms[i]+2*d)
}

// one returns the distance to local row id, using out as scratch.
func (k kernel) one(id uint32, out []float32) float32 {
	k.sq.Distances(k.codes[int(id)*k.dim:int(id+1)*k.dim], out[:1])
	return k.fix(int(id), out[0])
}

// at returns the distances to the local rows ids, in order, computed by one
// gathering kernel call into s.nbd.
func (k kernel) at(ids []uint32, s *searchScratch) []float32 {
	if cap(s.nbd) < len(ids) {
		s.nbd = make([]float32, len(ids), 2*len(ids))
	}
	d := s.nbd[:len(ids)]
	k.sq.DistancesAt(k.codes, ids, d)
	for i, id := range ids {
		d[i] = k.fix(int(id), d[i])
	}
	return d
}

// scan computes the distance to every row of a partition no larger than
// the beam: cheaper than walking the graph, and exact on the codes even
// for a node no search path reaches.
func (k kernel) scan(part *Partition, allow func(uint64) bool, s *searchScratch, top *topK) int {
	n := len(part.RowIDs)
	if cap(s.dists) < n {
		s.dists = make([]float32, n)
	}
	d := s.dists[:n]
	k.sq.Distances(k.codes, d)
	for i, v := range d {
		id := part.RowIDs[i]
		if allow == nil || allow(id) {
			top.push(Candidate{RowID: id, Distance: k.fix(i, v)})
		}
	}
	return n
}
