package hnsw

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/ivfpq"
)

// Defaults used when the corresponding BuildOptions field is zero.
const (
	DefaultM              = 20 // Lance's m
	DefaultEfConstruction = 150
	DefaultMaxLevel       = 7 // Lance's max_level: levels 0..6
	// DefaultPartitionSize is the target number of vectors per partition
	// when NumPartitions is 0. A graph pays off on large lists, so the
	// target is much larger than IVF_PQ's; this is lancegate's choice, not
	// checked against pylance's target_partition_size.
	DefaultPartitionSize = 1 << 16
)

// BuildOptions parameterises Build. The zero value builds an L2 index with
// Lance's HNSW defaults.
type BuildOptions struct {
	// Metric is the distance the index answers; 0 means distance.L2.
	Metric distance.Metric
	// NumPartitions is the number of IVF lists; 0 means
	// ⌈n / DefaultPartitionSize⌉. It must not exceed n.
	NumPartitions int
	// M is the degree bound of the upper levels; level 0 allows 2M. A new
	// node links to at most M neighbours on each of its levels. 0 means
	// DefaultM; at least 2.
	M int
	// EfConstruction is the beam width of insertion; 0 means
	// DefaultEfConstruction.
	EfConstruction int
	// MaxLevel caps the number of levels of every graph; 0 means
	// DefaultMaxLevel.
	MaxLevel int
	// Seed seeds the level draws of every graph (partition p draws from a
	// PCG stream of Seed and p), and the IVF k-means when KMeans.Seed is 0.
	Seed uint64
	// KMeans configures the IVF k-means (its Metric is set from Metric).
	KMeans ivfpq.KMeansOptions
	// SingleRange trains the SQ8 with one [min, max] range shared by all
	// dimensions, which is what Lance's auxiliary.idx can store
	// (docs/vector-index.md §2.4). The default, a range per dimension,
	// quantises more finely but must be widened to one range before it can
	// be written in Lance's layout.
	SingleRange bool
	// Parallelism bounds the goroutines of assignment and graph building;
	// 0 means runtime.GOMAXPROCS(0). The index does not depend on it.
	Parallelism int
}

func (o BuildOptions) withDefaults(n int) BuildOptions {
	if o.Metric == 0 {
		o.Metric = distance.L2
	}
	if o.NumPartitions == 0 {
		o.NumPartitions = max(1, (n+DefaultPartitionSize-1)/DefaultPartitionSize)
	}
	if o.M == 0 {
		o.M = DefaultM
	}
	if o.EfConstruction == 0 {
		o.EfConstruction = DefaultEfConstruction
	}
	if o.MaxLevel == 0 {
		o.MaxLevel = DefaultMaxLevel
	}
	if o.Parallelism <= 0 {
		o.Parallelism = runtime.GOMAXPROCS(0)
	}
	if o.KMeans.Parallelism <= 0 {
		o.KMeans.Parallelism = o.Parallelism
	}
	if o.KMeans.Seed == 0 {
		o.KMeans.Seed = o.Seed
	}
	o.KMeans.Metric = distance.L2
	if o.Metric == distance.Dot {
		o.KMeans.Metric = distance.Dot
	}
	return o
}

// Build trains and fills an IVF_HNSW_SQ index over the n = len(vecs)/dim
// vectors of vecs (row-major), where rowIDs[i] names vector i. vecs is not
// modified. Equal inputs and options give identical indexes whatever
// Parallelism is. Build checks ctx in every k-means iteration, between
// stages, and every 128 insertions into a graph.
func Build(ctx context.Context, vecs []float32, rowIDs []uint64, dim int, opts BuildOptions) (*Index, error) {
	if dim <= 0 || len(vecs)%dim != 0 || len(vecs)/dim != len(rowIDs) || len(rowIDs) == 0 {
		return nil, fmt.Errorf("%w: Build dim=%d len(vecs)=%d len(rowIDs)=%d", ErrInvalidArgument, dim, len(vecs), len(rowIDs))
	}
	n := len(rowIDs)
	opts = opts.withDefaults(n)
	switch {
	case !opts.Metric.Valid():
		return nil, fmt.Errorf("%w: Build metric %v", ErrInvalidArgument, opts.Metric)
	case opts.NumPartitions < 0 || opts.NumPartitions > n:
		return nil, fmt.Errorf("%w: %d partitions for %d vectors", ErrInvalidArgument, opts.NumPartitions, n)
	case opts.M < 2 || opts.EfConstruction < 1 || opts.MaxLevel < 1 || opts.MaxLevel > 64:
		return nil, fmt.Errorf("%w: M=%d EfConstruction=%d MaxLevel=%d", ErrInvalidArgument, opts.M, opts.EfConstruction, opts.MaxLevel)
	}
	for i, v := range vecs {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("%w at value %d", ErrNonFinite, i)
		}
	}
	ix := &Index{Metric: opts.Metric, Dim: dim, M: opts.M, EfConstruction: opts.EfConstruction, MaxLevel: opts.MaxLevel}

	// Cosine: centroids, SQ8 and graphs all work on unit vectors.
	data := vecs
	if opts.Metric == distance.Cosine {
		data = slices.Clone(vecs)
		for i := 0; i < len(data); i += dim {
			distance.Normalize(data[i : i+dim])
		}
	}
	cent, err := ivfpq.KMeans(ctx, data, dim, opts.NumPartitions, opts.KMeans)
	if err != nil {
		return nil, fmt.Errorf("hnsw: IVF training: %w", err)
	}
	ix.Centroids = cent
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("hnsw: build: %w", err)
	}
	assign := make([]int32, n)
	ix.Loss = assignAll(data, dim, cent, opts.KMeans.Metric, assign, opts.Parallelism)

	// One quantizer over all the data, as Lance trains it: raw vectors
	// (normalised for Cosine), never residuals.
	sq, err := distance.TrainSQ8(data, dim)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	if opts.SingleRange {
		sq = singleRange(sq)
	}
	ix.SQ = sq
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("hnsw: build: %w", err)
	}

	// Group rows by partition, keeping input order.
	counts := make([]int, opts.NumPartitions)
	for _, p := range assign {
		counts[p]++
	}
	members := make([][]int32, opts.NumPartitions)
	for p, c := range counts {
		members[p] = make([]int32, 0, c)
	}
	for i, p := range assign {
		members[p] = append(members[p], int32(i))
	}
	ix.Partitions = make([]Partition, opts.NumPartitions)

	// Largest partitions first, so the last worker is not left with a big
	// one while the others idle.
	order := make([]int, opts.NumPartitions)
	for p := range order {
		order[p] = p
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(counts[b], counts[a]) })
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, opts.NumPartitions)
	for range max(1, min(opts.Parallelism, opts.NumPartitions)) {
		wg.Go(func() {
			for {
				j := int(next.Add(1) - 1)
				if j >= len(order) || ctx.Err() != nil {
					return
				}
				p := order[j]
				errs[p] = ix.buildPartition(ctx, p, data, rowIDs, members[p], opts)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("hnsw: build: %w", err)
	}
	for p, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("hnsw: build partition %d: %w", p, err)
		}
	}
	return ix, nil
}

// buildPartition encodes partition p's members and builds its graph on
// their decoded codes. It writes only ix.Partitions[p].
func (ix *Index) buildPartition(ctx context.Context, p int, data []float32, rowIDs []uint64, members []int32, opts BuildOptions) error {
	dim := ix.Dim
	part := &ix.Partitions[p]
	part.RowIDs = make([]uint64, len(members))
	part.Codes = make([]byte, 0, len(members)*dim)
	for j, i := range members {
		part.RowIDs[j] = rowIDs[i]
		part.Codes = ix.SQ.Encode(part.Codes, data[int(i)*dim:int(i+1)*dim])
	}
	if len(members) == 0 {
		return nil
	}
	dec := ix.SQ.Decode(make([]float32, 0, len(part.Codes)), part.Codes)
	if ix.Metric != distance.Dot {
		part.fillNorms(ix.SQ, dim, dec)
	}
	seed := opts.Seed ^ (uint64(p)+1)*0xbf58476d1ce4e5b9
	b := newGraphBuilder(ix.graphMetric(), dim, dec, opts.M, opts.EfConstruction, opts.MaxLevel, seed)
	b.sq, b.codes = ix.SQ, part.Codes
	if err := b.build(ctx); err != nil {
		return err
	}
	part.Graph = b.freeze()
	return nil
}

// singleRange widens an SQ8 to one range shared by every dimension: the
// smallest Min to the largest Min + 255·Scale.
func singleRange(s *distance.SQ8) *distance.SQ8 {
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for d := range s.Min {
		lo = min(lo, s.Min[d])
		hi = max(hi, s.Min[d]+255*s.Scale[d])
	}
	scale := (hi - lo) / 255
	out := &distance.SQ8{Min: make([]float32, len(s.Min)), Scale: make([]float32, len(s.Min))}
	for d := range out.Min {
		out.Min[d], out.Scale[d] = lo, scale
	}
	return out
}

// assignAll writes the nearest centroid (under m) of every row into assign
// and returns the sum of the distances. Fixed chunks summed in order make
// the loss independent of workers.
func assignAll(data []float32, dim int, cent []float32, m distance.Metric, assign []int32, workers int) float64 {
	n := len(data) / dim
	k := len(cent) / dim
	const chunk = 512
	chunks := (n + chunk - 1) / chunk
	losses := make([]float64, chunks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(workers, chunks)) {
		wg.Go(func() {
			out := make([]float32, k)
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				var loss float64
				for i := c * chunk; i < min(n, (c+1)*chunk); i++ {
					m.Batch(data[i*dim:(i+1)*dim], cent, out)
					best := 0
					for j, d := range out {
						if d < out[best] {
							best = j
						}
					}
					assign[i] = int32(best)
					loss += float64(out[best])
				}
				losses[c] = loss
			}
		})
	}
	wg.Wait()
	var total float64
	for _, l := range losses {
		total += l
	}
	return total
}
