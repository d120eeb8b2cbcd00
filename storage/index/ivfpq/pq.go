package ivfpq

import (
	"context"
	"fmt"
	"sync"

	"github.com/lancegate/lancegate/storage/index/distance"
)

// Codes is the number of centroids per sub-quantizer (8-bit codes).
const Codes = distance.PQCodebookSize

// PQ is a trained 8-bit product quantizer: the dim-dimensional space is cut
// into M sub-spaces of SubDim = Dim/M consecutive dimensions, each with its
// own 256-centroid codebook. A vector encodes to M bytes, byte j being the
// nearest (L2) centroid of its j-th sub-vector. A PQ must not be modified
// once in use; its methods are safe for concurrent use.
type PQ struct {
	Dim, M, SubDim int
	// Codebook is laid out as Lance stores it, [M][256][SubDim]: centroid c
	// of sub-quantizer j starts at (j·256 + c)·SubDim.
	Codebook []float32

	// blocked holds the M codebooks in distance.Blocked layout for
	// encoding and distance tables, built on first use from Codebook.
	blockedOnce sync.Once
	blocked     []distance.Blocked
}

// DefaultPQMaxIters caps the Lloyd iterations of each sub-quantizer when
// KMeansOptions.MaxIters is 0. Lance uses 50, but PQ k-means rarely meets
// the tolerance and creeps: on the 128-d benchmark data (65,536 rows,
// PQ16) 25 iterations reconstruct with 0.4 % more squared error than 50
// (12 with 1.3 % more), for half the training time, which is most of an
// index build below a few million rows.
const DefaultPQMaxIters = 25

// TrainPQ trains a PQ with m sub-quantizers on the n = len(vecs)/dim
// vectors of vecs. dim must be a multiple of m and n at least 256. Each
// sub-quantizer is an L2 k-means with 256 centroids over its sub-vectors
// (also for Dot data: Lance encodes dot vectors by L2-nearest
// sub-centroid); opts.Metric is ignored, opts.MaxIters 0 means
// DefaultPQMaxIters, and opts.SampleRate caps the
// training set at SampleRate·256 vectors (Lance: 256·256 = 65,536). The m
// k-means runs are spread over opts.Parallelism goroutines, each seeded
// from opts.Seed and its sub-quantizer number, so the result is
// deterministic.
func TrainPQ(ctx context.Context, vecs []float32, dim, m int, opts KMeansOptions) (*PQ, error) {
	if dim <= 0 || m <= 0 || dim%m != 0 || len(vecs)%dim != 0 {
		return nil, fmt.Errorf("%w: TrainPQ dim=%d m=%d len(vecs)=%d (dim must be a multiple of m)", ErrInvalidArgument, dim, m, len(vecs))
	}
	if opts.MaxIters <= 0 {
		opts.MaxIters = DefaultPQMaxIters
	}
	opts = opts.withDefaults()
	opts.Metric = distance.L2
	n := len(vecs) / dim
	if n < Codes {
		return nil, fmt.Errorf("%w: PQ needs %d vectors, got %d", ErrTooFewVectors, Codes, n)
	}
	if err := checkFinite(vecs); err != nil {
		return nil, err
	}
	// Sample whole vectors once, so every sub-quantizer sees the same rows.
	data := sampleRows(vecs, dim, n, opts.SampleRate, Codes, newRand(opts.Seed))
	n = len(data) / dim
	sub := dim / m
	pq := &PQ{Dim: dim, M: m, SubDim: sub, Codebook: make([]float32, m*Codes*sub)}

	workers := min(opts.Parallelism, m)
	inner := opts
	inner.SampleRate = -1 // already sampled
	inner.Parallelism = max(1, opts.Parallelism/workers)
	errs := make([]error, m)
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers)
	for j := range m {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			subv := make([]float32, n*sub)
			for i := range n {
				copy(subv[i*sub:(i+1)*sub], data[i*dim+j*sub:i*dim+(j+1)*sub])
			}
			o := inner
			o.Seed = opts.Seed + uint64(j)*0x9e3779b97f4a7c15 + 1
			km := kmeans{dim: sub, k: Codes, opts: o, rng: newRand(o.Seed), data: subv}
			cent, err := km.run(ctx)
			if err != nil {
				errs[j] = fmt.Errorf("ivfpq: sub-quantizer %d: %w", j, err)
				return
			}
			copy(pq.Codebook[j*Codes*sub:(j+1)*Codes*sub], cent)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return pq, nil
}

// codebook returns the 256×SubDim centroids of sub-quantizer j.
func (pq *PQ) codebook(j int) []float32 {
	n := Codes * pq.SubDim
	return pq.Codebook[j*n : (j+1)*n]
}

// blocks returns the M codebooks in distance.Blocked layout, building them
// on the first call.
func (pq *PQ) blocks() []distance.Blocked {
	pq.blockedOnce.Do(func() {
		b := make([]distance.Blocked, pq.M)
		for j := range b {
			b[j].Reset(pq.codebook(j), pq.SubDim)
		}
		pq.blocked = b
	})
	return pq.blocked
}

// Encode writes the M-byte code of vec (len Dim) into dst[:M].
func (pq *PQ) Encode(vec []float32, dst []byte) {
	var out [Codes]float32
	pq.encode(pq.blocks(), vec, dst, out[:])
}

// encode picks each sub-vector's nearest centroid with the blocked kernel
// (one pass, no distance row); a sub-vector with no finite distance falls
// back to the row-major scan and argmin's convention (centroid 0 when all
// are NaN).
func (pq *PQ) encode(blk []distance.Blocked, vec []float32, dst []byte, out []float32) {
	_ = vec[pq.Dim-1]
	_ = dst[pq.M-1]
	s := pq.SubDim
	for j := range pq.M {
		sub := vec[j*s : (j+1)*s]
		c, _, _ := blk[j].NearestL2(sub)
		if c < 0 {
			distance.L2.Batch(sub, pq.codebook(j), out)
			c, _ = argmin(out)
		}
		dst[j] = byte(c)
	}
}

// EncodeBatch encodes the len(vecs)/Dim vectors of vecs, row-major, into
// dst (M bytes per vector, row-major), growing dst when it is too short,
// and returns it.
func (pq *PQ) EncodeBatch(vecs []float32, dst []byte) []byte {
	n := len(vecs) / pq.Dim
	if cap(dst) < n*pq.M {
		dst = make([]byte, n*pq.M)
	}
	dst = dst[:n*pq.M]
	var out [Codes]float32
	blk := pq.blocks()
	for i := range n {
		pq.encode(blk, vecs[i*pq.Dim:(i+1)*pq.Dim], dst[i*pq.M:(i+1)*pq.M], out[:])
	}
	return dst
}

// Decode writes the reconstruction of code (M bytes) into dst[:Dim].
func (pq *PQ) Decode(code []byte, dst []float32) {
	s := pq.SubDim
	for j, c := range code[:pq.M] {
		off := (j*Codes + int(c)) * s
		copy(dst[j*s:(j+1)*s], pq.Codebook[off:off+s])
	}
}

// DistanceTable fills table[:M·256] with the asymmetric-distance lookup
// table of query (len Dim) for distance.PQDistances: for L2,
// table[j·256+c] is the squared L2 distance from query sub-vector j to
// centroid c of sub-quantizer j; for Dot it is the negated partial inner
// product. Either way Σ_j table[j·256+code[j]] equals the metric's distance
// from query to the decoded vector (up to rounding). Cosine does not split
// into per-sub-vector terms: normalise the vectors and use L2 (as the index
// does), or Dot. It fails on a short table or query, or for Cosine.
func (pq *PQ) DistanceTable(metric distance.Metric, query, table []float32) error {
	if len(query) != pq.Dim || len(table) < pq.M*Codes {
		return fmt.Errorf("%w: DistanceTable query %d (want %d), table %d (want ≥ %d)", ErrInvalidArgument, len(query), pq.Dim, len(table), pq.M*Codes)
	}
	if metric != distance.L2 && metric != distance.Dot {
		return fmt.Errorf("ivfpq: DistanceTable %v: %w", metric, distance.ErrUnsupportedMetric)
	}
	// The blocked kernels: ≈ 7× faster than the row-major ones at PQ's
	// few dimensions per sub-vector.
	s := pq.SubDim
	blk := pq.blocks()
	for j := range pq.M {
		q, row := query[j*s:(j+1)*s], table[j*Codes:(j+1)*Codes]
		if metric == distance.L2 {
			blk[j].L2(q, row)
			continue
		}
		// Σ (−q)·c = −Σ q·c exactly (rounding is symmetric), so negate
		// the few query values rather than the 256 products.
		var neg [32]float32
		if s > len(neg) {
			blk[j].InnerProducts(q, row)
			for c, v := range row {
				row[c] = -v
			}
			continue
		}
		for d, v := range q {
			neg[d] = -v
		}
		blk[j].InnerProducts(neg[:s], row)
	}
	return nil
}
