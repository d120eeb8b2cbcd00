package distance

import "math"

// BlockLanes is the number of vectors per block of a Blocked set: one
// 256-bit register holds one dimension of a block.
const BlockLanes = 8

// Blocked holds k vectors of dimension dim laid out for scoring one query
// against all of them when dim is small: PQ sub-quantizer codebooks (256
// centroids of 4–16 dimensions) and k-means centroids. The row-major
// kernels spend most of such a call on per-vector overhead and on the
// horizontal sum that ends every vector; here the vectors are stored
// dimension-major in blocks of BlockLanes, so that the kernel broadcasts
// q[d] once and accumulates (q[d] − v[d])² for 8 vectors in one register
// lane-wise, with no horizontal sum at all:
//
//	block b, dimension d, lane l at data[(b·dim + d)·8 + l]  =  vector 8b+l, value d
//
// The last block is padded with NaN, whose distances no search picks.
// Every vector's sum runs over d in index order, like the reference, so the
// distances agree with SquaredL2 to rounding (an FMA per step here) but not
// necessarily bit for bit; L2 and NearestL2 agree with each other bit for
// bit on one build. InnerProducts is the same scan for q·v. The zero value
// is an empty set; Reset fills it. A Blocked is safe for concurrent reads
// once filled.
type Blocked struct {
	dim, k int
	data   []float32
}

// NewBlocked returns the Blocked layout of the len(vecs)/dim row-major
// vectors of vecs (a trailing partial vector is ignored).
func NewBlocked(vecs []float32, dim int) *Blocked {
	b := new(Blocked)
	b.Reset(vecs, dim)
	return b
}

// Reset refills b with the len(vecs)/dim row-major vectors of vecs,
// reusing b's memory when it is large enough. dim ≤ 0 empties b.
func (b *Blocked) Reset(vecs []float32, dim int) {
	if dim <= 0 {
		b.dim, b.k, b.data = 0, 0, b.data[:0]
		return
	}
	k := len(vecs) / dim
	nb := (k + BlockLanes - 1) / BlockLanes
	size := nb * dim * BlockLanes
	if cap(b.data) < size {
		b.data = make([]float32, size)
	}
	b.dim, b.k, b.data = dim, k, b.data[:size]
	for blk := range nb {
		dst := b.data[blk*dim*BlockLanes : (blk+1)*dim*BlockLanes]
		for l := range BlockLanes {
			i := blk*BlockLanes + l
			if i >= k {
				nan := float32(math.NaN())
				for d := range dim {
					dst[d*BlockLanes+l] = nan
				}
				continue
			}
			for d, v := range vecs[i*dim : (i+1)*dim] {
				dst[d*BlockLanes+l] = v
			}
		}
	}
}

// Dim returns the dimension of b's vectors.
func (b *Blocked) Dim() int { return b.dim }

// Len returns the number of vectors in b.
func (b *Blocked) Len() int { return b.k }

// L2 writes the squared L2 distance from q to vector i of b into out[i],
// for i < n = min(b.Len(), len(out)), and returns n. It returns 0 and
// writes nothing when len(q) != b.Dim() or b is empty. L2 does not
// allocate.
func (b *Blocked) L2(q, out []float32) int { return b.sums(impl.l2Blocked, q, out) }

// sums runs a storing blocked kernel over b: whole blocks straight into
// out, a last partial block through a scratch block.
func (b *Blocked) sums(kernel func(q, blocks, out []float32), q, out []float32) int {
	if b.k == 0 || len(q) != b.dim {
		return 0
	}
	n := min(b.k, len(out))
	full := n / BlockLanes
	if full > 0 {
		kernel(q, b.data[:full*b.dim*BlockLanes], out[:full*BlockLanes])
	}
	if rest := n - full*BlockLanes; rest > 0 {
		var tail [BlockLanes]float32
		kernel(q, b.data[full*b.dim*BlockLanes:(full+1)*b.dim*BlockLanes], tail[:])
		copy(out[full*BlockLanes:n], tail[:rest])
	}
	return n
}

// InnerProducts writes the inner product q·v of q with vector i of b into
// out[i] (not negated, like InnerProduct), for i < n = min(b.Len(),
// len(out)), and returns n. It returns 0 and writes nothing when
// len(q) != b.Dim() or b is empty. InnerProducts does not allocate.
func (b *Blocked) InnerProducts(q, out []float32) int {
	return b.sums(impl.dotBlocked, q, out)
}

// NearestL2 returns the index of the vector of b nearest to q by squared
// L2 distance, that distance d1, and the second-smallest distance d2 over
// the other vectors: the result of L2 followed by an arg-min, in one pass
// and without the distances' round trip through memory. Ties go to the
// lowest index. Distances that are NaN or +Inf are never chosen: best is
// −1 (and d1 = d2 = +Inf) when no distance is finite, or when
// len(q) != b.Dim() or b is empty, and d2 is +Inf when fewer than two are.
func (b *Blocked) NearestL2(q []float32) (best int, d1, d2 float32) {
	return b.nearestL2(impl, q)
}

func (b *Blocked) nearestL2(kern kernels, q []float32) (best int, d1, d2 float32) {
	if b.k == 0 || len(q) != b.dim {
		inf := float32(math.Inf(1))
		return -1, inf, inf
	}
	return kern.nearestL2Blocked(q, b.data)
}

// blockLanes is the portable nearest kernels' per-lane state (the asm
// kernel keeps the same in three registers): lane l has seen the vectors
// l, 8+l, 16+l, …; m1 is the smallest distance among them, i1 its index
// (the first on ties; −1 while none is finite), m2 the second smallest.
type blockLanes struct {
	m1 [BlockLanes]float32
	i1 [BlockLanes]int32
	m2 [BlockLanes]float32
}

func (s *blockLanes) init() {
	inf := float32(math.Inf(1))
	for l := range BlockLanes {
		s.m1[l], s.i1[l], s.m2[l] = inf, -1, inf
	}
}

// update folds the distances d of block blk into the lanes, with the asm
// kernel's rules: d < m1 (false for NaN) takes the index; m2 becomes
// min(m2, max(d, m1)) and m1 min(d, m1), ignoring NaN d.
func (s *blockLanes) update(blk int, d *[BlockLanes]float32) {
	for l, v := range d {
		if v != v {
			continue
		}
		if v < s.m1[l] {
			s.m2[l] = min(s.m2[l], s.m1[l])
			s.m1[l], s.i1[l] = v, int32(blk*BlockLanes+l)
		} else {
			s.m2[l] = min(s.m2[l], v)
		}
	}
}

// reduce combines the lanes: the best is the lane minimum with the lowest
// index; the second-smallest distance is the best lane's m2 or another
// lane's m1.
func (s *blockLanes) reduce() (best int, d1, d2 float32) {
	inf := float32(math.Inf(1))
	best, d1, bl := -1, inf, -1
	for l := range BlockLanes {
		i := int(s.i1[l])
		if i < 0 {
			continue
		}
		if m := s.m1[l]; m < d1 || (m == d1 && i < best) {
			best, d1, bl = i, m, l
		}
	}
	if bl < 0 {
		return -1, inf, inf
	}
	d2 = s.m2[bl]
	for l := range BlockLanes {
		if l != bl && s.m1[l] < d2 {
			d2 = s.m1[l]
		}
	}
	return best, d1, d2
}

// refL2Blocked is the reference blocked kernel: each lane's sum in
// dimension order, one accumulator. len(out) = 8·blocks, and
// len(blocks) = len(out)·len(q).
func refL2Blocked(q, blocks, out []float32) {
	dim := len(q)
	for i := range out {
		blk, l := i/BlockLanes, i%BlockLanes
		var s float32
		for d, x := range q {
			t := x - blocks[(blk*dim+d)*BlockLanes+l]
			s += t * t
		}
		out[i] = s
	}
}

// refDotBlocked is the reference blocked inner product, like
// refL2Blocked.
func refDotBlocked(q, blocks, out []float32) {
	dim := len(q)
	for i := range out {
		blk, l := i/BlockLanes, i%BlockLanes
		var s float32
		for d, x := range q {
			s += x * blocks[(blk*dim+d)*BlockLanes+l]
		}
		out[i] = s
	}
}

// goDotBlocked is the portable blocked inner product, like goL2Blocked.
func goDotBlocked(q, blocks, out []float32) {
	dim := len(q)
	for blk := 0; blk < len(out)/BlockLanes; blk++ {
		data := blocks[blk*dim*BlockLanes : (blk+1)*dim*BlockLanes]
		var s0, s1, s2, s3, s4, s5, s6, s7 float32
		for d, x := range q {
			c := (*[BlockLanes]float32)(data[d*BlockLanes:])
			s0 += x * c[0]
			s1 += x * c[1]
			s2 += x * c[2]
			s3 += x * c[3]
			s4 += x * c[4]
			s5 += x * c[5]
			s6 += x * c[6]
			s7 += x * c[7]
		}
		*(*[BlockLanes]float32)(out[blk*BlockLanes:]) = [BlockLanes]float32{s0, s1, s2, s3, s4, s5, s6, s7}
	}
}

// goL2Blocked is the portable blocked kernel: the eight lanes of a block as
// eight independent accumulators in registers, each summing in dimension
// order.
func goL2Blocked(q, blocks, out []float32) {
	dim := len(q)
	for blk := 0; blk < len(out)/BlockLanes; blk++ {
		data := blocks[blk*dim*BlockLanes : (blk+1)*dim*BlockLanes]
		var s0, s1, s2, s3, s4, s5, s6, s7 float32
		for d, x := range q {
			c := (*[BlockLanes]float32)(data[d*BlockLanes:])
			t0, t1, t2, t3 := x-c[0], x-c[1], x-c[2], x-c[3]
			t4, t5, t6, t7 := x-c[4], x-c[5], x-c[6], x-c[7]
			s0 += t0 * t0
			s1 += t1 * t1
			s2 += t2 * t2
			s3 += t3 * t3
			s4 += t4 * t4
			s5 += t5 * t5
			s6 += t6 * t6
			s7 += t7 * t7
		}
		*(*[BlockLanes]float32)(out[blk*BlockLanes:]) = [BlockLanes]float32{s0, s1, s2, s3, s4, s5, s6, s7}
	}
}

// nearestOf builds a nearest kernel from a blocked L2 kernel, so that the
// two agree bit for bit on one path.
func nearestOf(l2 func(q, blocks, out []float32)) func(q, blocks []float32) (int, float32, float32) {
	return func(q, blocks []float32) (int, float32, float32) {
		var s blockLanes
		s.init()
		step := len(q) * BlockLanes
		var d [BlockLanes]float32
		for blk := 0; blk*step < len(blocks); blk++ {
			l2(q, blocks[blk*step:(blk+1)*step], d[:])
			s.update(blk, &d)
		}
		return s.reduce()
	}
}
