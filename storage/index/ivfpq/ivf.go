package ivfpq

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"

	"github.com/lancegate/lancegate/storage/index/distance"
)

// BuildOptions parameterises Build. The zero value builds an L2 index with
// the defaults documented on each field.
type BuildOptions struct {
	// Metric is the distance the index answers; 0 means distance.L2.
	Metric distance.Metric
	// NumPartitions is the number of IVF lists; 0 means ⌊√n⌋ (at least 1),
	// LanceDB's suggested_num_partitions.
	NumPartitions int
	// NumSubVectors is the PQ's m; it must divide the dimension. 0 means
	// DefaultSubVectors(dim).
	NumSubVectors int
	// IVF configures the coarse k-means (its Metric is set from Metric).
	IVF KMeansOptions
	// PQ configures the sub-quantizer k-means (Metric is ignored).
	PQ KMeansOptions
	// Parallelism bounds the goroutines of assignment and encoding; 0 means
	// runtime.GOMAXPROCS(0). It also fills IVF/PQ.Parallelism when those
	// are 0.
	Parallelism int
}

// DefaultSubVectors returns the default PQ m for dim: dim/16 when 16
// divides dim (PQ8 for 128-d), else dim/8 when 8 divides it, else 1. This
// is LanceDB's suggested_num_sub_vectors rule (quoted from memory, not
// checked against pylance 14). More sub-vectors cost more memory and scan
// time but quantise better: PQ16 at 128-d is the common choice for recall.
func DefaultSubVectors(dim int) int {
	switch {
	case dim%16 == 0:
		return dim / 16
	case dim%8 == 0:
		return dim / 8
	}
	return 1
}

// Partition is one IVF list: the row ids of its vectors, in input order,
// and their PQ codes, row-major (M bytes per row, not transposed).
type Partition struct {
	RowIDs []uint64
	Codes  []byte
}

// Index is an in-memory IVF_PQ index. Centroids are the IVF centroids
// (NumPartitions×Dim): L2 k-means centroids of the (for Cosine,
// normalised) vectors, or unit-length spherical centroids for Dot. PQ
// encodes residuals x − centroid for L2 and Cosine and raw vectors for
// Dot. An Index is immutable once built; Search is safe for concurrent use.
type Index struct {
	Metric     distance.Metric
	Dim        int
	Centroids  []float32
	PQ         *PQ
	Partitions []Partition
	// Loss is the IVF k-means loss over all indexed vectors (the sum of
	// their distances to their centroids), as Lance reports it.
	Loss float64

	// pre holds, for residual PQ, the query-independent part of every
	// partition's L2 table (see Precompute); nil means tables are built
	// from scratch per partition.
	pre []float32
}

// Precompute fills the per-partition term tables that make residual (L2,
// Cosine) search build each probed partition's ADC table with M·256
// additions instead of M·256 sub-distances. With y a sub-centroid and c_p
// the partition centroid,
//
//	‖q − c_p − y‖² = ‖q − c_p‖² + (‖y‖² + 2·c_p·y) − 2·q·y
//
// where the middle term depends only on the partition (stored here:
// NumPartitions·M·256 float32s, 4 MiB for 256 partitions of PQ16) and the
// last only on the query (one table per query). Build calls it; call it on
// an Index assembled by hand before searching concurrently. It does nothing
// for Dot, whose codes are not residuals.
func (ix *Index) Precompute() {
	if !ix.residual() || ix.PQ == nil {
		return
	}
	pq, dim := ix.PQ, ix.Dim
	per := pq.M * Codes
	pre := make([]float32, len(ix.Partitions)*per)
	norms := make([]float32, per)
	for j := range pq.M {
		cb := pq.codebook(j)
		for c := range Codes {
			y := cb[c*pq.SubDim : (c+1)*pq.SubDim]
			norms[j*Codes+c] = distance.InnerProduct(y, y)
		}
	}
	for p := range ix.Partitions {
		cp := ix.Centroids[p*dim : (p+1)*dim]
		t := pre[p*per : (p+1)*per]
		for j := range pq.M {
			// Dot.Batch gives −c·y; the term is ‖y‖² + 2·c·y.
			row := t[j*Codes : (j+1)*Codes]
			distance.Dot.Batch(cp[j*pq.SubDim:(j+1)*pq.SubDim], pq.codebook(j), row)
			for c := range row {
				row[c] = norms[j*Codes+c] - 2*row[c]
			}
		}
	}
	ix.pre = pre
}

// FromParts assembles an Index from trained parts, such as a Lance index
// loaded from disk: the IVF centroids (len(partitions)×dim, row-major), the
// PQ, and the partitions with row-major codes. It checks that the shapes
// agree (codebook laid out [M][256][SubDim], M·len(RowIDs) code bytes per
// partition); values are not checked. The parts are used in place, not
// copied, and must not be modified afterwards. The conventions are Build's
// (and Lance's): centroids of the normalised vectors and residual codes for
// L2 and Cosine, unit-length centroids and raw codes for Dot. Loss is left
// 0.
//
// FromParts does not call Precompute: without it, residual search builds
// every probed partition's table from the residual query, the arithmetic
// Lance uses, so distances match Lance's to the last bit or so; with it,
// search is faster but distances move by about 1e-6 relative and the
// tables cost NumPartitions·M KiB. Call Precompute before searching to opt
// in.
func FromParts(metric distance.Metric, dim int, centroids []float32, pq *PQ, partitions []Partition) (*Index, error) {
	if !metric.Valid() {
		return nil, fmt.Errorf("%w: FromParts metric %v", ErrInvalidArgument, metric)
	}
	np := len(partitions)
	if dim <= 0 || np == 0 || len(centroids) != np*dim {
		return nil, fmt.Errorf("%w: FromParts dim=%d with %d centroid values for %d partitions", ErrInvalidArgument, dim, len(centroids), np)
	}
	if pq == nil || pq.Dim != dim || pq.M <= 0 || dim%pq.M != 0 || pq.SubDim != dim/pq.M || len(pq.Codebook) != pq.M*Codes*pq.SubDim {
		return nil, fmt.Errorf("%w: FromParts PQ does not fit dimension %d", ErrInvalidArgument, dim)
	}
	for p, part := range partitions {
		if len(part.Codes) != len(part.RowIDs)*pq.M {
			return nil, fmt.Errorf("%w: FromParts partition %d has %d rows and %d code bytes (M=%d)", ErrInvalidArgument, p, len(part.RowIDs), len(part.Codes), pq.M)
		}
	}
	return &Index{Metric: metric, Dim: dim, Centroids: centroids, PQ: pq, Partitions: partitions}, nil
}

// NumPartitions returns the number of IVF lists.
func (ix *Index) NumPartitions() int { return len(ix.Partitions) }

// residual reports whether the PQ encodes residuals.
func (ix *Index) residual() bool { return ix.Metric != distance.Dot }

// coarseMetric is the metric that ranks partitions.
func (ix *Index) coarseMetric() distance.Metric {
	if ix.Metric == distance.Dot {
		return distance.Dot
	}
	return distance.L2
}

// Build trains and fills an IVF_PQ index over the n = len(vecs)/dim
// vectors of vecs (row-major), where rowIDs[i] names vector i. vecs is not
// modified. It checks ctx between the training and encoding stages and in
// every k-means iteration.
func Build(ctx context.Context, vecs []float32, rowIDs []uint64, dim int, opts BuildOptions) (*Index, error) {
	if dim <= 0 || len(vecs)%dim != 0 || len(vecs)/dim != len(rowIDs) || len(rowIDs) == 0 {
		return nil, fmt.Errorf("%w: Build dim=%d len(vecs)=%d len(rowIDs)=%d", ErrInvalidArgument, dim, len(vecs), len(rowIDs))
	}
	n := len(rowIDs)
	if opts.Metric == 0 {
		opts.Metric = distance.L2
	}
	if !opts.Metric.Valid() {
		return nil, fmt.Errorf("%w: Build metric %v", ErrInvalidArgument, opts.Metric)
	}
	if opts.Parallelism <= 0 {
		opts.Parallelism = runtime.GOMAXPROCS(0)
	}
	if opts.NumPartitions <= 0 {
		opts.NumPartitions = max(1, int(math.Sqrt(float64(n))))
	}
	if opts.NumSubVectors <= 0 {
		opts.NumSubVectors = DefaultSubVectors(dim)
	}
	if dim%opts.NumSubVectors != 0 {
		return nil, fmt.Errorf("%w: dimension %d is not a multiple of NumSubVectors %d", ErrInvalidArgument, dim, opts.NumSubVectors)
	}
	if opts.IVF.Parallelism <= 0 {
		opts.IVF.Parallelism = opts.Parallelism
	}
	if opts.PQ.Parallelism <= 0 {
		opts.PQ.Parallelism = opts.Parallelism
	}
	if err := checkFinite(vecs); err != nil {
		return nil, err
	}
	ix := &Index{Metric: opts.Metric, Dim: dim}

	// Cosine: everything (training, residuals, codes) works on unit vectors.
	data := vecs
	if opts.Metric == distance.Cosine {
		data = append([]float32(nil), vecs...)
		normalizeRows(data, dim)
	}
	ivfOpts := opts.IVF
	ivfOpts.Metric = distance.L2
	if opts.Metric == distance.Dot {
		ivfOpts.Metric = distance.Dot
	}
	cent, err := KMeans(ctx, data, dim, opts.NumPartitions, ivfOpts)
	if err != nil {
		return nil, fmt.Errorf("ivfpq: IVF training: %w", err)
	}
	ix.Centroids = cent
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ivfpq: build: %w", err)
	}

	assign := make([]int32, n)
	ix.Loss = assignAll(data, dim, cent, ix.coarseMetric(), assign, nil, opts.Parallelism)

	// PQ input: residuals for L2/Cosine, raw (normalised for Cosine) for Dot.
	pqIn := data
	if ix.residual() {
		pqIn = make([]float32, len(data))
		for i := range n {
			c := cent[int(assign[i])*dim : (int(assign[i])+1)*dim]
			for d, v := range data[i*dim : (i+1)*dim] {
				pqIn[i*dim+d] = v - c[d]
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ivfpq: build: %w", err)
	}
	pq, err := TrainPQ(ctx, pqIn, dim, opts.NumSubVectors, opts.PQ)
	if err != nil {
		return nil, fmt.Errorf("ivfpq: PQ training: %w", err)
	}
	ix.PQ = pq
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ivfpq: build: %w", err)
	}

	if err := ix.fill(ctx, pqIn, rowIDs, assign, opts.Parallelism); err != nil {
		return nil, err
	}
	ix.Precompute()
	return ix, nil
}

// fill encodes the PQ input of n rows (residuals or raw vectors, as the
// metric wants) and groups the codes into partitions by assign.
func (ix *Index) fill(ctx context.Context, pqIn []float32, rowIDs []uint64, assign []int32, parallelism int) error {
	n, dim, pq := len(rowIDs), ix.Dim, ix.PQ
	m := pq.M
	codes := make([]byte, n*m)
	const chunk = 1024
	parallelChunks((n+chunk-1)/chunk, parallelism, func() func(c int) {
		return func(c int) {
			if ctx.Err() != nil {
				return
			}
			lo, hi := c*chunk, min(n, (c+1)*chunk)
			pq.EncodeBatch(pqIn[lo*dim:hi*dim], codes[lo*m:hi*m])
		}
	})
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("ivfpq: build: encoding: %w", err)
	}
	nlist := len(ix.Centroids) / dim
	counts := make([]int, nlist)
	for _, p := range assign {
		counts[p]++
	}
	ix.Partitions = make([]Partition, nlist)
	for p, c := range counts {
		ix.Partitions[p] = Partition{RowIDs: make([]uint64, 0, c), Codes: make([]byte, 0, c*m)}
	}
	for i, p := range assign {
		part := &ix.Partitions[p]
		part.RowIDs = append(part.RowIDs, rowIDs[i])
		part.Codes = append(part.Codes, codes[i*m:(i+1)*m]...)
	}
	return nil
}

// Delta returns an index over new vectors that shares ix's centroids and
// PQ codebook: what Lance calls a delta index, covering rows appended after
// ix was trained without retraining anything. Its Loss is the new rows'
// IVF loss, so Loss/rows compared with ix's says how far the new data has
// drifted from the model (see agent's index policy). parallelism 0 means
// GOMAXPROCS.
func (ix *Index) Delta(ctx context.Context, vecs []float32, rowIDs []uint64, parallelism int) (*Index, error) {
	dim := ix.Dim
	if dim <= 0 || ix.PQ == nil || len(vecs)%dim != 0 || len(vecs)/dim != len(rowIDs) || len(rowIDs) == 0 {
		return nil, fmt.Errorf("%w: Delta dim=%d len(vecs)=%d len(rowIDs)=%d", ErrInvalidArgument, dim, len(vecs), len(rowIDs))
	}
	if err := checkFinite(vecs); err != nil {
		return nil, err
	}
	if parallelism <= 0 {
		parallelism = runtime.GOMAXPROCS(0)
	}
	d := &Index{Metric: ix.Metric, Dim: dim, Centroids: ix.Centroids, PQ: ix.PQ}
	data := vecs
	if d.Metric == distance.Cosine {
		data = append([]float32(nil), vecs...)
		normalizeRows(data, dim)
	}
	n := len(rowIDs)
	assign := make([]int32, n)
	d.Loss = assignAll(data, dim, d.Centroids, d.coarseMetric(), assign, nil, parallelism)
	pqIn := data
	if d.residual() {
		pqIn = make([]float32, len(data))
		for i := range n {
			c := d.Centroids[int(assign[i])*dim : (int(assign[i])+1)*dim]
			for j, v := range data[i*dim : (i+1)*dim] {
				pqIn[i*dim+j] = v - c[j]
			}
		}
	}
	if err := d.fill(ctx, pqIn, rowIDs, assign, parallelism); err != nil {
		return nil, err
	}
	d.Precompute()
	return d, nil
}

// Rows returns the number of rows the index holds.
func (ix *Index) Rows() int {
	n := 0
	for _, p := range ix.Partitions {
		n += len(p.RowIDs)
	}
	return n
}

// SearchOptions parameterises SearchWith.
type SearchOptions struct {
	// K is the number of candidates wanted.
	K int
	// NProbes is the number of partitions, nearest first, searched before
	// widening; it is clamped to [1, NumPartitions].
	NProbes int
	// Allow, when set, is a prefilter: rows it rejects are never returned.
	// When fewer than K allowed rows are found in the first NProbes
	// partitions, the search widens to further partitions, nearest first,
	// until K are found or every partition has been searched. It is called
	// once per scanned row that could enter the result, so it must be
	// cheap (a bitmap lookup).
	Allow func(rowID uint64) bool
	// Partitions, when set, are the partitions to search instead of the
	// NProbes nearest (no widening): a distributed search, where each
	// executor probes the partitions it owns of those Probes chose.
	Partitions []int
}

// SearchStats describes what a search did.
type SearchStats struct {
	// Probed is the number of partitions searched (more than NProbes when
	// the search widened).
	Probed int
	// Scanned is the number of codes whose distance was computed.
	Scanned int
}

// Search returns the k candidates with the smallest approximate (PQ)
// distance to query among the nprobes partitions nearest to it, best first.
// Distances are the metric's: squared L2; for Cosine, half the squared L2
// between unit vectors (≈ 1 − cos); for Dot, −q·x̂. To refine, ask for
// k·refineFactor candidates, fetch their exact vectors and call Refine.
// nprobes is clamped to [1, NumPartitions].
func (ix *Index) Search(query []float32, k, nprobes int) ([]Candidate, error) {
	res, _, err := ix.SearchWith(query, SearchOptions{K: k, NProbes: nprobes})
	return res, err
}

// SearchWith is Search with a prefilter and statistics: see SearchOptions.
func (ix *Index) SearchWith(query []float32, opts SearchOptions) ([]Candidate, SearchStats, error) {
	var st SearchStats
	if len(query) != ix.Dim {
		return nil, st, fmt.Errorf("%w: query has %d values, index dimension %d", ErrInvalidArgument, len(query), ix.Dim)
	}
	k := opts.K
	if k <= 0 || len(ix.Partitions) == 0 {
		return nil, st, nil
	}
	dim, m := ix.Dim, ix.PQ.M
	q := query
	if ix.Metric == distance.Cosine {
		q = append([]float32(nil), query...)
		distance.Normalize(q)
	}
	var order *probeOrder
	if opts.Partitions != nil {
		var err error
		if order, err = ix.explicitOrder(q, opts.Partitions); err != nil {
			return nil, st, err
		}
	} else {
		order = ix.partitionOrder(q, opts.NProbes)
	}

	table := make([]float32, m*Codes)
	var qterm []float32 // −2·q·y per sub-centroid, for precomputed tables
	var rq []float32
	switch {
	case !ix.residual():
		if err := ix.PQ.DistanceTable(distance.Dot, q, table); err != nil {
			return nil, st, err
		}
	case ix.pre != nil:
		qterm = make([]float32, m*Codes)
		if err := ix.PQ.DistanceTable(distance.Dot, q, qterm); err != nil {
			return nil, st, err
		}
		for i := range qterm {
			qterm[i] *= 2
		}
	default:
		rq = make([]float32, dim)
	}
	top := newTopK(k)
	var dists []float32
	for i := 0; ; i++ {
		if i >= order.probes {
			// Widen only when a prefilter left the result short.
			if opts.Allow == nil || len(top.h) >= k || !order.widen() {
				break
			}
		}
		p, coarse := order.at(i)
		part := &ix.Partitions[p]
		st.Probed++
		if len(part.RowIDs) == 0 {
			continue
		}
		var base float32 // distance term common to the whole partition
		switch {
		case qterm != nil:
			base = coarse // ‖q − c_p‖²
			pre := ix.pre[p*m*Codes : (p+1)*m*Codes]
			for i := range table {
				table[i] = pre[i] + qterm[i]
			}
		case rq != nil:
			c := ix.Centroids[p*dim : (p+1)*dim]
			for d := range rq {
				rq[d] = q[d] - c[d]
			}
			if err := ix.PQ.DistanceTable(distance.L2, rq, table); err != nil {
				return nil, st, err
			}
		}
		if cap(dists) < len(part.RowIDs) {
			dists = make([]float32, len(part.RowIDs))
		}
		dists = dists[:len(part.RowIDs)]
		distance.PQDistances(table, m, part.Codes, dists)
		st.Scanned += len(dists)
		// bar is the worst kept distance once k are kept: almost every
		// code fails the one comparison against it.
		bar := float32(math.Inf(1))
		if top.full() {
			bar = top.worst()
		}
		ids := part.RowIDs[:len(dists)]
		for i, d := range dists {
			d += base
			if !(d <= bar) {
				continue
			}
			id := ids[i]
			if opts.Allow != nil && !opts.Allow(id) {
				continue
			}
			top.push(Candidate{RowID: id, Distance: d})
			if top.full() {
				bar = top.worst()
			}
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

// probeOrder is the order in which a query visits partitions: the nprobes
// nearest centroids first (selected with a heap, the common case), then,
// only if a prefilter makes the search widen, all the others by distance.
type probeOrder struct {
	ids    []int
	dists  []float32
	probes int       // partitions in the initial probe set
	all    []float32 // every partition's coarse distance, for widening
	wide   bool
}

// partitionOrder ranks the partitions for q (already normalised for
// Cosine) and selects the nprobes nearest.
func (ix *Index) partitionOrder(q []float32, nprobes int) *probeOrder {
	np := len(ix.Partitions)
	nprobes = max(1, min(nprobes, np))
	d := make([]float32, np)
	ix.coarseMetric().Batch(q, ix.Centroids, d)
	top := newTopK(nprobes)
	for p, v := range d {
		top.push(Candidate{RowID: uint64(p), Distance: v})
	}
	o := &probeOrder{probes: nprobes, all: d}
	for _, c := range top.sorted() {
		o.ids = append(o.ids, int(c.RowID))
		o.dists = append(o.dists, c.Distance)
	}
	return o
}

// Probes returns the nprobes partitions nearest to query, nearest first:
// the partitions a search with NProbes = nprobes visits before widening.
func (ix *Index) Probes(query []float32, nprobes int) ([]int, error) {
	if len(query) != ix.Dim {
		return nil, fmt.Errorf("%w: query has %d values, index dimension %d", ErrInvalidArgument, len(query), ix.Dim)
	}
	if len(ix.Partitions) == 0 {
		return nil, nil
	}
	q := query
	if ix.Metric == distance.Cosine {
		q = append([]float32(nil), query...)
		distance.Normalize(q)
	}
	return ix.partitionOrder(q, nprobes).ids, nil
}

// explicitOrder is the probe order of exactly the given partitions, with
// their coarse distances; it never widens.
func (ix *Index) explicitOrder(q []float32, parts []int) (*probeOrder, error) {
	dim := ix.Dim
	o := &probeOrder{probes: len(parts), wide: true}
	one := make([]float32, 1)
	for _, p := range parts {
		if p < 0 || p >= len(ix.Partitions) {
			return nil, fmt.Errorf("%w: partition %d of %d", ErrInvalidArgument, p, len(ix.Partitions))
		}
		ix.coarseMetric().Batch(q, ix.Centroids[p*dim:(p+1)*dim], one)
		o.ids = append(o.ids, p)
		o.dists = append(o.dists, one[0])
	}
	return o, nil
}

// widen appends every partition not yet in the order, nearest first; it
// reports false when there is nothing left to add.
func (o *probeOrder) widen() bool {
	if !o.wide {
		o.wide = true
		seen := make(map[int]bool, len(o.ids))
		for _, id := range o.ids {
			seen[id] = true
		}
		rest := make([]Candidate, 0, len(o.all)-len(o.ids))
		for p, v := range o.all {
			if !seen[p] {
				rest = append(rest, Candidate{RowID: uint64(p), Distance: v})
			}
		}
		slices.SortFunc(rest, func(a, b Candidate) int {
			if less(a, b) {
				return -1
			}
			if less(b, a) {
				return 1
			}
			return 0
		})
		for _, c := range rest {
			o.ids = append(o.ids, int(c.RowID))
			o.dists = append(o.dists, c.Distance)
		}
	}
	if o.probes >= len(o.ids) {
		return false
	}
	o.probes = len(o.ids)
	return true
}

func (o *probeOrder) at(i int) (int, float32) { return o.ids[i], o.dists[i] }

// Refine re-ranks candidates by their exact distance under metric and
// returns the best k, best first. vecs holds the candidates' vectors, in
// candidate order, row-major (len(cands)×len(query) values). This is
// Lance's refine_factor step: Search for k·refineFactor candidates, read
// their vectors, Refine to k. Cosine distances are exact 1 − cos here.
func Refine(metric distance.Metric, query []float32, cands []Candidate, vecs []float32, k int) ([]Candidate, error) {
	dim := len(query)
	if dim == 0 || len(vecs) != len(cands)*dim {
		return nil, fmt.Errorf("%w: Refine %d candidates with %d values of dimension %d", ErrInvalidArgument, len(cands), len(vecs), dim)
	}
	if !metric.Valid() {
		return nil, fmt.Errorf("%w: Refine metric %v", ErrInvalidArgument, metric)
	}
	d := make([]float32, len(cands))
	metric.Batch(query, vecs, d)
	top := newTopK(k)
	for i, c := range cands {
		top.push(Candidate{RowID: c.RowID, Distance: d[i]})
	}
	return top.sorted(), nil
}
