package distance

import (
	"errors"
	"fmt"
	"math"
)

// ErrUnsupportedMetric is returned by SQ8.Query for Cosine, which SQ8 does
// not serve directly: normalise the vectors before training and use Dot.
// Test for it with errors.Is.
var ErrUnsupportedMetric = errors.New("distance: metric not supported by this quantizer")

// SQ8 is an 8-bit scalar quantizer with a range per dimension. Dimension d
// maps the value x to the code
//
//	c = clamp(round((x − Min[d]) / Scale[d]), 0, 255)     (c = 0 when Scale[d] = 0)
//
// and the code back to x̂ = Min[d] + Scale[d]·c. Min and Scale have one entry
// per dimension; an SQ8 must not be modified once queries are built from it.
type SQ8 struct {
	// Min is the smallest trained value of each dimension.
	Min []float32
	// Scale is (max − min)/255 of each dimension: the width of one code step.
	Scale []float32
}

// TrainSQ8 fits an SQ8 to the vectors in vecs, a block of len(vecs)/dim
// vectors of dim values each: Min and Scale span each dimension's observed
// range. NaN and ±Inf values are ignored; a dimension with no finite value
// gets Min 0 and Scale 0. It fails when dim ≤ 0 or len(vecs) is not a
// positive multiple of dim.
func TrainSQ8(vecs []float32, dim int) (*SQ8, error) {
	if dim <= 0 || len(vecs) == 0 || len(vecs)%dim != 0 {
		return nil, fmt.Errorf("distance: TrainSQ8 needs a positive multiple of dim=%d values, got %d", dim, len(vecs))
	}
	lo := make([]float32, dim)
	hi := make([]float32, dim)
	for d := range lo {
		lo[d], hi[d] = float32(math.Inf(1)), float32(math.Inf(-1))
	}
	for i := 0; i < len(vecs); i += dim {
		for d, x := range vecs[i : i+dim] {
			if x-x != 0 { // NaN or ±Inf
				continue
			}
			lo[d] = min(lo[d], x)
			hi[d] = max(hi[d], x)
		}
	}
	for d := range lo {
		if lo[d] > hi[d] { // no finite value seen
			lo[d], hi[d] = 0, 0
		}
		hi[d] = (hi[d] - lo[d]) / 255
		if hi[d]-hi[d] != 0 { // range overflowed float32
			hi[d] = math.MaxFloat32 / 255
		}
	}
	return &SQ8{Min: lo, Scale: hi}, nil
}

// Dim returns the number of dimensions s encodes.
func (s *SQ8) Dim() int { return len(s.Min) }

// Encode appends the codes of every complete vector in vecs (Dim values
// each) to dst and returns the extended slice; a trailing partial vector is
// ignored. Values outside the trained range clamp to 0 or 255; NaN encodes
// as 0.
func (s *SQ8) Encode(dst []byte, vecs []float32) []byte {
	dim := s.Dim()
	if dim == 0 || len(s.Scale) != dim {
		return dst
	}
	n := len(vecs) / dim
	for i := 0; i < n*dim; i += dim {
		for d, x := range vecs[i : i+dim] {
			var c byte
			if sc := s.Scale[d]; sc > 0 {
				v := math.Round(float64(x-s.Min[d]) / float64(sc))
				switch {
				case v >= 255:
					c = 255
				case v > 0:
					c = byte(v)
				}
			}
			dst = append(dst, c)
		}
	}
	return dst
}

// Decode appends the reconstruction Min[d] + Scale[d]·c of every complete
// code row in codes to dst and returns the extended slice.
func (s *SQ8) Decode(dst []float32, codes []byte) []float32 {
	dim := s.Dim()
	if dim == 0 || len(s.Scale) != dim {
		return dst
	}
	n := len(codes) / dim
	for i := 0; i < n*dim; i += dim {
		for d, c := range codes[i : i+dim] {
			dst = append(dst, s.Min[d]+s.Scale[d]*float32(c))
		}
	}
	return dst
}

// SQ8Query is a query vector pre-transformed for one SQ8 and one metric, so
// that scanning codes costs one multiply-add (Dot) or a subtract and two
// multiplies (L2) per byte. It is immutable and safe for concurrent use.
type SQ8Query struct {
	metric Metric
	u, w   []float32 // per-dimension terms; w is used by L2 only
	bias   float32
}

// Query prepares q for scanning codes of s under m, which must be L2 or Dot.
// The distances it yields are those between q and the decoded vectors x̂:
//
//	L2:  Σ_d (q[d] − x̂[d])²  = bias + Σ_d w[d]·(u[d] − c[d])²
//	     with u[d] = (q[d] − Min[d])/Scale[d], w[d] = Scale[d]², and bias
//	     collecting (q[d] − Min[d])² of the dimensions with Scale[d] = 0;
//	Dot: −Σ_d q[d]·x̂[d]      = −(bias + Σ_d u[d]·c[d])
//	     with u[d] = q[d]·Scale[d] and bias = Σ_d q[d]·Min[d].
//
// It fails when len(q) != s.Dim() or m is neither L2 nor Dot (Cosine wraps
// ErrUnsupportedMetric).
func (s *SQ8) Query(m Metric, q []float32) (*SQ8Query, error) {
	dim := s.Dim()
	if len(q) != dim || len(s.Scale) != dim || dim == 0 {
		return nil, fmt.Errorf("distance: SQ8 query has %d values, quantizer has %d dimensions", len(q), dim)
	}
	p := &SQ8Query{metric: m, u: make([]float32, dim)}
	switch m {
	case L2:
		p.w = make([]float32, dim)
		for d, x := range q {
			r := x - s.Min[d]
			if sc := s.Scale[d]; sc > 0 {
				p.u[d] = r / sc
				p.w[d] = sc * sc
			} else {
				p.bias += r * r
			}
		}
	case Dot:
		for d, x := range q {
			p.u[d] = x * s.Scale[d]
			p.bias += x * s.Min[d]
		}
	default:
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedMetric, m)
	}
	return p, nil
}

// Metric returns the metric p was prepared for.
func (p *SQ8Query) Metric() Metric { return p.metric }

// Distances writes the distance from the query to each code row of codes
// (Dim bytes per vector, row-major) into out and returns how many it wrote:
// n = min(len(codes)/Dim, len(out)). Distances does not allocate. One row
// costs one kernel call; n rows cost one batched kernel call.
func (p *SQ8Query) Distances(codes []byte, out []float32) int {
	dim := len(p.u)
	if len(codes) == dim && len(out) > 0 {
		// One row, a graph search's step: no division, no batch loop,
		// one kernel call.
		if p.metric == L2 {
			out[0] = p.bias + impl.sq8L2(p.u, p.w, codes)
		} else {
			out[0] = -(p.bias + impl.sq8Dot(p.u, codes))
		}
		return 1
	}
	n := min(len(codes)/dim, len(out))
	if n == 0 {
		return 0
	}
	codes, out = codes[:n*dim], out[:n]
	if p.metric == L2 {
		impl.sq8L2Batch(p.u, p.w, codes, out)
	} else {
		impl.sq8DotBatch(p.u, codes, out)
	}
	p.finish(out)
	return n
}

// DistancesAt is the gathering form of Distances: it writes the distance
// from the query to code row rows[i] of codes (Dim bytes per row) into
// out[i], for i < min(len(rows), len(out)), and returns how many it wrote.
// It stops before the first row index that does not name a complete row of
// codes. It is meant for graph searches, which score the unvisited
// neighbours of a node together: one kernel call for the whole list, and
// the rows' loads overlap. DistancesAt does not allocate.
func (p *SQ8Query) DistancesAt(codes []byte, rows []uint32, out []float32) int {
	dim := len(p.u)
	nrows := uint64(len(codes) / dim)
	n := min(len(rows), len(out))
	for i, r := range rows[:n] {
		if uint64(r) >= nrows {
			n = i
			break
		}
	}
	rows, out = rows[:n], out[:n]
	if n == 0 {
		return 0
	}
	if p.metric == L2 {
		impl.sq8L2Gather(p.u, p.w, codes, rows, out)
	} else {
		impl.sq8DotGather(p.u, codes, rows, out)
	}
	p.finish(out)
	return n
}

// finish turns the kernels' raw sums into distances: bias + Σ for L2,
// −(bias + Σ) for Dot (the same expressions as the one-row case, so every
// shape gives the same bits).
func (p *SQ8Query) finish(out []float32) {
	if p.metric == L2 {
		for i, v := range out {
			out[i] = p.bias + v
		}
		return
	}
	for i, v := range out {
		out[i] = -(p.bias + v)
	}
}
