package ivfpq

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/lancegate/lancegate/storage/index/distance"
)

// Errors returned by the training and build functions. Test for them with
// errors.Is; the returned errors wrap them with the offending sizes.
var (
	// ErrInvalidArgument reports inconsistent sizes or parameters.
	ErrInvalidArgument = errors.New("ivfpq: invalid argument")
	// ErrTooFewVectors reports fewer training vectors than centroids.
	ErrTooFewVectors = errors.New("ivfpq: too few vectors to train")
	// ErrNonFinite reports a NaN or ±Inf value in the input vectors.
	ErrNonFinite = errors.New("ivfpq: non-finite vector value")
)

// Init selects how KMeans picks its initial centroids.
type Init int

const (
	// InitKMeansPlusPlus seeds with k-means++ (D² sampling). It is the
	// default: it costs one pass over the sample per centroid, like one
	// Lloyd iteration, and converges in fewer iterations than random seeds.
	InitKMeansPlusPlus Init = iota
	// InitRandom picks k distinct sample vectors uniformly, as Lance does.
	InitRandom
)

// Defaults used when the corresponding KMeansOptions field is zero.
const (
	DefaultMaxIters   = 50   // Lance's lance.ivf.max_iters / lance.pq.max_iters
	DefaultTolerance  = 1e-4 // relative change in loss that stops Lloyd's loop
	DefaultSampleRate = 256  // Lance's sample_rate: at most SampleRate·k vectors train
)

// KMeansOptions parameterises KMeans. The zero value is valid: L2, k-means++,
// 50 iterations, tolerance 1e-4, sample rate 256, seed 0, GOMAXPROCS workers.
type KMeansOptions struct {
	// Metric is the clustering metric; 0 means distance.L2. Cosine
	// normalises the vectors and runs L2 k-means (centroids are not
	// renormalised, as in Lance). Dot assigns by largest inner product and
	// keeps the centroids at unit length (spherical k-means, as in Lance).
	Metric distance.Metric
	// Init is the seeding method.
	Init Init
	// MaxIters caps Lloyd iterations; 0 means DefaultMaxIters.
	MaxIters int
	// Tolerance stops the loop when |loss − previous| ≤ Tolerance·|previous|;
	// 0 means DefaultTolerance, a negative value disables the test.
	Tolerance float64
	// SampleRate caps the training set at SampleRate·k vectors, drawn
	// uniformly without replacement; 0 means DefaultSampleRate, a negative
	// value trains on every vector.
	SampleRate int
	// Seed seeds the PCG source for sampling, seeding and empty-cluster
	// repair. Equal seeds and inputs give bit-identical centroids.
	Seed uint64
	// Parallelism is the number of assignment goroutines; 0 means
	// runtime.GOMAXPROCS(0). Results do not depend on it.
	Parallelism int
}

func (o KMeansOptions) withDefaults() KMeansOptions {
	if o.Metric == 0 {
		o.Metric = distance.L2
	}
	if o.MaxIters <= 0 {
		o.MaxIters = DefaultMaxIters
	}
	if o.Tolerance == 0 {
		o.Tolerance = DefaultTolerance
	}
	if o.SampleRate == 0 {
		o.SampleRate = DefaultSampleRate
	}
	if o.Parallelism <= 0 {
		o.Parallelism = runtime.GOMAXPROCS(0)
	}
	return o
}

func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// KMeans clusters the n = len(vecs)/dim vectors of vecs (row-major n×dim)
// into k clusters with Lloyd's algorithm and returns the k×dim centroids,
// row-major. vecs is not modified. See KMeansOptions for the metrics; the
// loop stops after MaxIters iterations, when the loss changes by less than
// Tolerance (relative), or with ctx's error when ctx is done (checked before
// every iteration).
func KMeans(ctx context.Context, vecs []float32, dim, k int, opts KMeansOptions) ([]float32, error) {
	if dim <= 0 || k <= 0 || len(vecs)%dim != 0 {
		return nil, fmt.Errorf("%w: KMeans dim=%d k=%d len(vecs)=%d", ErrInvalidArgument, dim, k, len(vecs))
	}
	opts = opts.withDefaults()
	if !opts.Metric.Valid() {
		return nil, fmt.Errorf("%w: KMeans metric %v", ErrInvalidArgument, opts.Metric)
	}
	n := len(vecs) / dim
	if n < k {
		return nil, fmt.Errorf("%w: %d vectors for k=%d", ErrTooFewVectors, n, k)
	}
	if err := checkFinite(vecs); err != nil {
		return nil, err
	}
	rng := newRand(opts.Seed)
	data := sampleRows(vecs, dim, n, opts.SampleRate, k, rng)
	if opts.Metric == distance.Cosine {
		if &data[0] == &vecs[0] {
			data = append([]float32(nil), data...)
		}
		normalizeRows(data, dim)
	}
	km := kmeans{dim: dim, k: k, opts: opts, rng: rng, data: data}
	return km.run(ctx)
}

// kmeans is the state of one training run.
type kmeans struct {
	dim, k int
	opts   KMeansOptions
	rng    *rand.Rand
	data   []float32 // training sample, n×dim
	assign []int32
	// lower[i] is a lower bound on the Euclidean (not squared) distance
	// from row i to every centroid other than assign[i] (Hamerly's bound).
	lower []float64
	// cent holds the centroids, k×dim; blk is their blocked copy for
	// halfGaps and assignStep, refreshed at the start of every iteration.
	cent []float32
	blk  distance.Blocked
}

// run is Lloyd's loop with Hamerly's bounds. Assignment is always by L2:
// for Dot the centroids are kept at unit length, and then
// argmin ‖x−c‖² = argmin (‖x‖² + 1 − 2x·c) = argmax x·c, so spherical
// k-means needs no other kernel. Each iteration computes the exact distance
// from every row to its current centroid (so the loss is exact); the full
// scan over all k centroids runs only for rows whose distance exceeds both
// the lower bound to the other centroids and half the distance from their
// centroid to its nearest neighbour.
func (km *kmeans) run(ctx context.Context) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ivfpq: kmeans: %w", err)
	}
	n := len(km.data) / km.dim
	km.assign = make([]int32, n)
	km.lower = make([]float64, n)
	switch km.opts.Init {
	case InitRandom:
		km.initRandom()
	default:
		km.initPlusPlus()
	}
	spherical := km.opts.Metric == distance.Dot
	if spherical {
		normalizeRows(km.cent, km.dim)
	}
	sums := make([]float64, km.k*km.dim)
	counts := make([]int, km.k)
	old := make([]float32, len(km.cent))
	half := make([]float64, km.k)
	prev := math.Inf(1)
	for iter := 0; iter < km.opts.MaxIters; iter++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("ivfpq: kmeans iteration %d: %w", iter, err)
		}
		var loss float64
		km.blk.Reset(km.cent, km.dim)
		if iter == 0 {
			loss = km.assignStep(nil)
		} else {
			km.halfGaps(half)
			loss = km.assignStep(half)
		}
		copy(old, km.cent)
		km.update(sums, counts)
		if spherical {
			normalizeRows(km.cent, km.dim)
		}
		km.shiftBounds(old)
		if km.opts.Tolerance > 0 && !math.IsInf(prev, 0) &&
			math.Abs(prev-loss) <= km.opts.Tolerance*math.Abs(prev) {
			break
		}
		prev = loss
	}
	return km.cent, nil
}

// assignStep assigns every row to its nearest centroid and returns the sum
// of squared distances. half == nil forces a full scan of every row.
func (km *kmeans) assignStep(half []float64) float64 {
	dim, k := km.dim, km.k
	n := len(km.data) / dim
	inf := float32(math.Inf(1))
	const chunk = 512
	chunks := (n + chunk - 1) / chunk
	losses := make([]float64, chunks)
	parallelChunks(chunks, km.opts.Parallelism, func() func(c int) {
		var out []float32
		return func(c int) {
			var loss float64
			for i := c * chunk; i < min(n, (c+1)*chunk); i++ {
				x := km.data[i*dim : (i+1)*dim]
				if half != nil {
					a := int(km.assign[i])
					d2 := float64(distance.SquaredL2(x, km.cent[a*dim:(a+1)*dim]))
					if u := math.Sqrt(d2); u <= max(half[a], km.lower[i]) {
						loss += d2
						continue
					}
				}
				// The blocked kernel finds the nearest centroid and the
				// second-smallest distance (the new lower bound) in one
				// pass, ≈ 8× faster than a row-major scan and an
				// arg-min at PQ's 8 dimensions. Rows with a non-finite
				// distance take the exhaustive path below, whose
				// handling of NaN and +Inf the bounds rely on.
				if best, d1, d2 := km.blk.NearestL2(x); best >= 0 && (k == 1 || d2 < inf) {
					km.assign[i] = int32(best)
					loss += float64(d1)
					km.lower[i] = math.Sqrt(float64(d2)) // +Inf when k == 1
					continue
				}
				if out == nil {
					out = make([]float32, k)
				}
				distance.L2.Batch(x, km.cent, out)
				best, second := bestTwo(out)
				km.assign[i] = int32(best)
				if !(out[best] < float32(math.Inf(1))) { // NaN or +Inf
					km.lower[i] = 0
					continue
				}
				loss += float64(out[best])
				if second >= 0 {
					km.lower[i] = math.Sqrt(float64(out[second]))
				} else {
					km.lower[i] = math.Inf(1)
				}
			}
			losses[c] = loss
		}
	})
	var total float64
	for _, l := range losses {
		total += l
	}
	return total
}

// bestTwo returns the indexes of the smallest and second-smallest values
// of out (second is -1 when len(out) == 1). One pass tracking both values:
// after the first few elements almost every value fails the first test, so
// the branch predicts well. NaN values are never chosen unless all are NaN.
func bestTwo(out []float32) (best, second int) {
	inf := float32(math.Inf(1))
	b1, b2 := inf, inf
	best, second = 0, -1
	for j, d := range out {
		if d < b2 {
			if d < b1 {
				b2, second = b1, best
				b1, best = d, j
			} else {
				b2, second = d, j
			}
		}
	}
	if second == best || (second < 0 && len(out) > 1) {
		second = (best + 1) % len(out)
	}
	if len(out) == 1 {
		second = -1
	}
	return best, second
}

// halfGaps sets half[c] to half the distance from centroid c to its
// nearest other centroid: a row closer than that to c is nearest to c.
func (km *kmeans) halfGaps(half []float64) {
	dim, k := km.dim, km.k
	parallelChunks(k, km.opts.Parallelism, func() func(c int) {
		out := make([]float32, k)
		return func(c int) {
			km.blk.L2(km.cent[c*dim:(c+1)*dim], out)
			m := float32(math.Inf(1))
			for j, d := range out {
				if j != c && d < m {
					m = d
				}
			}
			half[c] = math.Sqrt(float64(m)) / 2
		}
	})
}

// shiftBounds lowers every row's bound by the largest movement of a
// centroid other than its own (triangle inequality).
func (km *kmeans) shiftBounds(old []float32) {
	dim := km.dim
	max1, max2, arg := 0.0, 0.0, -1
	for c := range km.k {
		mv := math.Sqrt(float64(distance.SquaredL2(old[c*dim:(c+1)*dim], km.cent[c*dim:(c+1)*dim])))
		if !(mv == mv) { // NaN: invalidate all bounds
			mv = math.Inf(1)
		}
		if mv > max1 {
			max1, max2, arg = mv, max1, c
		} else if mv > max2 {
			max2 = mv
		}
	}
	for i, a := range km.assign {
		if int(a) == arg {
			km.lower[i] -= max2
		} else {
			km.lower[i] -= max1
		}
	}
}

// initRandom picks k distinct rows uniformly.
func (km *kmeans) initRandom() {
	n := len(km.data) / km.dim
	perm := km.rng.Perm(n)[:km.k]
	km.cent = make([]float32, km.k*km.dim)
	for c, i := range perm {
		copy(km.cent[c*km.dim:(c+1)*km.dim], km.data[i*km.dim:(i+1)*km.dim])
	}
}

// initPlusPlus is k-means++: each next seed is drawn with probability
// proportional to its squared L2 distance to the nearest seed so far (L2
// also for Dot, whose centroids are then normalised).
func (km *kmeans) initPlusPlus() {
	dim, k := km.dim, km.k
	n := len(km.data) / dim
	km.cent = make([]float32, k*dim)
	minD := make([]float32, n)
	tmp := make([]float32, n)
	// Each pick costs a scan of the whole sample. For short rows (PQ's
	// sub-vectors) a blocked copy of the sample makes that scan ≈ 10×
	// faster; for long rows the row-major kernel is nearly as fast and
	// the copy would double the sample's memory.
	scan := func(row, out []float32) { distance.L2.Batch(row, km.data, out) }
	if dim <= blockedInitMaxDim {
		blk := distance.NewBlocked(km.data, dim)
		scan = func(row, out []float32) { blk.L2(row, out) }
	}
	first := km.rng.IntN(n)
	copy(km.cent[:dim], km.data[first*dim:(first+1)*dim])
	scan(km.cent[:dim], minD)
	var total float64 // Σ minD, in row order
	for _, d := range minD {
		total += float64(d)
	}
	for c := 1; c < k; c++ {
		pick := -1
		if total > 0 {
			r := km.rng.Float64() * total
			for i, d := range minD {
				r -= float64(d)
				if r < 0 {
					pick = i
					break
				}
			}
			if pick < 0 { // rounding: take the last row with positive weight
				for i := n - 1; i >= 0; i-- {
					if minD[i] > 0 {
						pick = i
						break
					}
				}
			}
		}
		if pick < 0 { // every row coincides with a seed
			pick = km.rng.IntN(n)
		}
		row := km.cent[c*dim : (c+1)*dim]
		copy(row, km.data[pick*dim:(pick+1)*dim])
		scan(row, tmp)
		total = 0
		for i, d := range tmp {
			if d < minD[i] {
				minD[i] = d
			}
			total += float64(minD[i])
		}
	}
}

// blockedInitMaxDim is the longest row for which initPlusPlus scans a
// blocked copy of the sample.
const blockedInitMaxDim = 32

// update recomputes the centroids as the means of their members and
// repairs empty clusters by splitting the largest one.
func (km *kmeans) update(sums []float64, counts []int) {
	dim := km.dim
	clear(sums)
	clear(counts)
	for i, c := range km.assign {
		counts[c]++
		s := sums[int(c)*dim : (int(c)+1)*dim]
		for d, v := range km.data[i*dim : (i+1)*dim] {
			s[d] += float64(v)
		}
	}
	for c, cnt := range counts {
		if cnt == 0 {
			continue
		}
		inv := 1 / float64(cnt)
		row := km.cent[c*dim : (c+1)*dim]
		for d := range row {
			row[d] = float32(sums[c*dim+d] * inv)
		}
	}
	for e, cnt := range counts {
		if cnt == 0 {
			km.split(e, counts)
		}
	}
}

// split re-seeds the empty cluster e with a random member of the largest
// cluster, nudged by ±1/1024 of each coordinate (as Lance perturbs), and
// moves half of that cluster's count to e so that a second empty cluster
// splits another one.
func (km *kmeans) split(e int, counts []int) {
	dim := km.dim
	big := 0
	for c, cnt := range counts {
		if cnt > counts[big] {
			big = c
		}
	}
	members := 0 // members of big in this iteration's assignment
	for _, c := range km.assign {
		if int(c) == big {
			members++
		}
	}
	if members < 2 {
		return
	}
	// Draw the r-th member of big and move it to e.
	r := km.rng.IntN(members)
	member := -1
	for i, c := range km.assign {
		if int(c) == big {
			if r == 0 {
				member = i
				break
			}
			r--
		}
	}
	km.assign[member] = int32(e)
	km.lower[member] = 0 // its old centroid is now an "other" one
	row := km.cent[e*dim : (e+1)*dim]
	copy(row, km.data[member*dim:(member+1)*dim])
	for d := range row {
		if km.rng.IntN(2) == 0 {
			row[d] += row[d] / 1024
		} else {
			row[d] -= row[d] / 1024
		}
	}
	counts[e] = counts[big] / 2
	counts[big] -= counts[e]
}

// assignAll writes the nearest centroid (under m) of every row of data
// into assign, and its distance into dist when dist is not nil, using up to
// workers goroutines. It returns the sum of the distances (the loss).
func assignAll(data []float32, dim int, cent []float32, m distance.Metric, assign []int32, dist []float32, workers int) float64 {
	n := len(data) / dim
	k := len(cent) / dim
	// Fixed chunks, summed in order, make the loss independent of workers.
	const chunk = 512
	chunks := (n + chunk - 1) / chunk
	losses := make([]float64, chunks)
	parallelChunks(chunks, workers, func() func(c int) {
		out := make([]float32, k)
		return func(c int) {
			var loss float64
			for i := c * chunk; i < min(n, (c+1)*chunk); i++ {
				m.Batch(data[i*dim:(i+1)*dim], cent, out)
				best, bd := argmin(out)
				assign[i] = int32(best)
				if dist != nil {
					dist[i] = bd
				}
				loss += float64(bd)
			}
			losses[c] = loss
		}
	})
	var total float64
	for _, l := range losses {
		total += l
	}
	return total
}

// parallelChunks runs chunks 0..chunks-1 on up to workers goroutines. Each
// goroutine calls newWorker once (for its scratch buffers) and then the
// returned function for every chunk it claims.
func parallelChunks(chunks, workers int, newWorker func() func(c int)) {
	workers = max(1, min(workers, chunks))
	if workers == 1 {
		f := newWorker()
		for c := range chunks {
			f(c)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			f := newWorker()
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				f(c)
			}
		})
	}
	wg.Wait()
}

// argmin returns the index and value of the smallest element of out; NaN
// elements never win, and index 0 is returned when all are NaN.
func argmin(out []float32) (int, float32) {
	best, bd := 0, float32(math.Inf(1))
	for j, d := range out {
		if d < bd {
			best, bd = j, d
		}
	}
	if math.IsInf(float64(bd), 1) {
		bd = out[0]
	}
	return best, bd
}

// sampleRows returns at most rate·k rows of vecs drawn without replacement
// (a partial Fisher–Yates shuffle), or vecs itself when it is small enough
// or rate < 0.
func sampleRows(vecs []float32, dim, n, rate, k int, rng *rand.Rand) []float32 {
	if rate < 0 || n <= rate*k {
		return vecs
	}
	s := rate * k
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	out := make([]float32, s*dim)
	for i := range s {
		j := i + rng.IntN(n-i)
		idx[i], idx[j] = idx[j], idx[i]
		r := idx[i]
		copy(out[i*dim:(i+1)*dim], vecs[r*dim:(r+1)*dim])
	}
	return out
}

// normalizeRows scales every row of vecs to unit length in place; zero rows
// are left as they are.
func normalizeRows(vecs []float32, dim int) {
	for i := 0; i+dim <= len(vecs); i += dim {
		distance.Normalize(vecs[i : i+dim])
	}
}

func checkFinite(vecs []float32) error {
	for i, v := range vecs {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%w at value %d", ErrNonFinite, i)
		}
	}
	return nil
}
