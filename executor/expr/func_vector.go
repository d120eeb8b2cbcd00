package expr

import (
	"context"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// pgvector's functions and operators (pg-compat.md §7.6). A vector is a
// list<float32> or, for vector(n), a fixed_size_list<float32, n>; both
// are read through vectors, which exposes the flat float32 child. The
// distance kernels specialise the exact-search shape: a constant query
// against a fixed_size_list column runs one batch kernel over the flat
// child buffer, with no per-row slicing.

// vectors reads the rows of a vector array.
type vectors struct {
	flat []float32 // the child's values, child offset applied
	offs []int32   // list offsets for rows [0, n], array offset applied; nil for fixed size
	dim  int       // fixed size lists: the dimension
	off  int       // fixed size lists: the array offset
}

func newVectors(a arrow.Array) vectors {
	switch l := a.(type) {
	case *array.FixedSizeList:
		dim := int(l.DataType().(*arrow.FixedSizeListType).Len())
		return vectors{flat: values[float32](l.ListValues()), dim: dim, off: l.Data().Offset()}
	case *array.List:
		off := l.Data().Offset()
		return vectors{flat: values[float32](l.ListValues()), offs: l.Offsets()[off : off+l.Len()+1]}
	}
	return vectors{}
}

// at returns row i's elements.
func (v vectors) at(i int) []float32 {
	if v.offs != nil {
		return v.flat[v.offs[i]:v.offs[i+1]]
	}
	s := (v.off + i) * v.dim
	return v.flat[s : s+v.dim]
}

// fixedDim reports whether every row has the same, known dimension.
func (v vectors) fixedDim() bool { return v.offs == nil }

// rows returns the flat elements of rows [0, n) of a fixed size list.
func (v vectors) rows(n int) []float32 { return v.flat[v.off*v.dim : (v.off+n)*v.dim] }

func errDims(a, b int) error {
	return sqlstate.New(sqlstate.DataException, "different vector dimensions %d and %d", a, b)
}

type distKind int8

const (
	distL2 distKind = iota
	distCosine
	distInner    // a·b
	distNegInner // −a·b
	distL1
)

func init() {
	vv := []pgtype.Type{pgtype.Vector, pgtype.Vector}
	hh := []pgtype.Type{{OID: oidHalfvec, Mod: -1}, {OID: oidHalfvec, Mod: -1}}
	h := []pgtype.Type{{OID: oidHalfvec, Mod: -1}}
	for _, d := range []struct {
		names []string
		kind  distKind
	}{
		{[]string{"l2_distance", "<->"}, distL2},
		{[]string{"cosine_distance", "<=>"}, distCosine},
		{[]string{"inner_product"}, distInner},
		{[]string{"vector_negative_inner_product", "<#>"}, distNegInner},
		{[]string{"l1_distance", "<+>"}, distL1},
	} {
		for _, name := range d.names {
			register(&Function{Name: name, Args: vv, Result: pgtype.Float8, Kernel: distanceKernel(d.kind)})
			// halfvec overloads exist so that resolution is as ambiguous
			// as pgvector's ("l2_distance(unknown, unknown)").
			register(&Function{Name: name, Args: hh, Result: pgtype.Float8})
		}
	}
	register(
		&Function{Name: "vector_dims", Args: vv[:1], Result: pgtype.Int4, Kernel: vectorDims},
		&Function{Name: "vector_dims", Args: h, Result: pgtype.Int4},
		&Function{Name: "vector_norm", Args: vv[:1], Result: pgtype.Float8, Kernel: vectorNorm},
		&Function{Name: "l2_normalize", Args: vv[:1], Result: pgtype.Vector, Kernel: l2Normalize},
		&Function{Name: "l2_normalize", Args: h, Result: h[0]},
	)
	for _, op := range []byte{'+', '-', '*'} {
		register(
			&Function{Name: string(op), Args: vv, Result: pgtype.Vector, Kernel: vectorArith(op)},
			&Function{Name: string(op), Args: hh, Result: hh[0]},
		)
	}
}

// distanceKernel computes one distance per row.
func distanceKernel(kind distKind) func(context.Context, *Env, []arrow.Array, int) (arrow.Array, error) {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		a, b := args[0], args[1]
		valid, nulls := andValidity(env.Mem, args, n)
		buf, out := allocValues[float64](env.Mem, n)
		err := distances(kind, a, b, n, out, valid)
		if err != nil {
			buf.Release()
			if valid != nil {
				valid.Release()
			}
			return nil, err
		}
		return fixedArray(arrow.PrimitiveTypes.Float64, n, valid, nulls, buf), nil
	}
}

func distances(kind distKind, a, b arrow.Array, n int, out []float64, valid *memory.Buffer) error {
	va, vb := newVectors(a), newVectors(b)
	ac, bc := isConst(a, n), isConst(b, n)
	if n == 0 {
		return nil
	}
	// Hot path: a constant query against a fixed-size column.
	if ac != bc {
		q, col := va.at(0), vb
		if bc {
			q, col = vb.at(0), va
		}
		if col.fixedDim() {
			if len(q) != col.dim {
				if bc {
					return errDims(col.dim, len(q))
				}
				return errDims(len(q), col.dim)
			}
			flat := col.rows(n)
			switch kind {
			case distL2:
				l2Batch(q, flat, out)
			case distCosine:
				cosineBatch(q, flat, out)
			case distInner:
				dotBatch(q, flat, out, 1)
			case distNegInner:
				dotBatch(q, flat, out, -1)
			case distL1:
				l1Batch(q, flat, out)
			}
			return nil
		}
	}
	var vbits []byte
	if valid != nil {
		vbits = valid.Bytes()
	}
	for i := 0; i < n; i++ {
		if vbits != nil && vbits[i>>3]&(1<<(i&7)) == 0 {
			out[i] = 0
			continue
		}
		x, y := i, i
		if ac {
			x = 0
		}
		if bc {
			y = 0
		}
		p, q := va.at(x), vb.at(y)
		if len(p) != len(q) {
			return errDims(len(p), len(q))
		}
		out[i] = distance(kind, p, q)
	}
	return nil
}

// distance is one pair's distance.
func distance(kind distKind, p, q []float32) float64 {
	switch kind {
	case distL2:
		return math.Sqrt(float64(l2sq(p, q)))
	case distCosine:
		return cosineDistance(p, q)
	case distInner:
		return float64(dot(p, q))
	case distNegInner:
		return -float64(dot(p, q))
	}
	return float64(l1(p, q))
}

func vectorDims(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	v := newVectors(args[0])
	valid, nulls := andValidity(env.Mem, args, n)
	buf, out := allocValues[int32](env.Mem, n)
	for i := range out {
		if v.fixedDim() {
			out[i] = int32(v.dim)
		} else {
			out[i] = v.offs[i+1] - v.offs[i]
		}
	}
	return fixedArray(arrow.PrimitiveTypes.Int32, n, valid, nulls, buf), nil
}

func vectorNorm(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	v := newVectors(args[0])
	valid, nulls := andValidity(env.Mem, args, n)
	buf, out := allocValues[float64](env.Mem, n)
	for i := range out {
		out[i] = norm64(v.at(i))
	}
	return fixedArray(arrow.PrimitiveTypes.Float64, n, valid, nulls, buf), nil
}

// norm64 is pgvector's vector_norm: a float64 sum of squares.
func norm64(x []float32) float64 {
	var s float64
	for _, e := range x {
		s += float64(e) * float64(e)
	}
	return math.Sqrt(s)
}

func l2Normalize(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	v := newVectors(args[0])
	valid, _ := andValidity(env.Mem, args, n)
	b := newVectorBuilder(n)
	for i := 0; i < n; i++ {
		if valid != nil && !validAt(valid, i) {
			b.appendNull()
			continue
		}
		x := v.at(i)
		nrm := norm64(x)
		out := b.grow(len(x))
		if nrm > 0 {
			for j, e := range x {
				out[j] = float32(float64(e) / nrm)
				if math.IsInf(float64(out[j]), 0) {
					releaseBuf(valid)
					return nil, errFloatOverflow()
				}
			}
		}
	}
	releaseBuf(valid)
	return b.build(env.Mem), nil
}

// vectorArith is element-wise + - * on vectors of equal dimension.
func vectorArith(op byte) func(context.Context, *Env, []arrow.Array, int) (arrow.Array, error) {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		va, vb := newVectors(args[0]), newVectors(args[1])
		ac, bc := isConst(args[0], n), isConst(args[1], n)
		valid, _ := andValidity(env.Mem, args, n)
		defer releaseBuf(valid)
		b := newVectorBuilder(n)
		for i := 0; i < n; i++ {
			if valid != nil && !validAt(valid, i) {
				b.appendNull()
				continue
			}
			x, y := i, i
			if ac {
				x = 0
			}
			if bc {
				y = 0
			}
			p, q := va.at(x), vb.at(y)
			if len(p) != len(q) {
				return nil, errDims(len(p), len(q))
			}
			out := b.grow(len(p))
			for j := range out {
				switch op {
				case '+':
					out[j] = p[j] + q[j]
				case '-':
					out[j] = p[j] - q[j]
				default:
					out[j] = p[j] * q[j]
				}
			}
			for j := range out {
				if math.IsInf(float64(out[j]), 0) {
					return nil, errFloatOverflow()
				}
				if op == '*' && out[j] == 0 && p[j] != 0 && q[j] != 0 {
					return nil, errFloatUnderflow()
				}
			}
		}
		return b.build(env.Mem), nil
	}
}

func validAt(valid *memory.Buffer, i int) bool { return valid.Bytes()[i>>3]&(1<<(i&7)) != 0 }

func releaseBuf(b *memory.Buffer) {
	if b != nil {
		b.Release()
	}
}

// vectorBuilder collects list<float32> rows in Go memory and copies them
// into Arrow buffers once.
type vectorBuilder struct {
	offs  []int32
	vals  []float32
	valid []bool
	nulls int
}

func newVectorBuilder(n int) *vectorBuilder {
	return &vectorBuilder{offs: append(make([]int32, 0, n+1), 0), valid: make([]bool, 0, n)}
}

// grow appends a row of dim elements and returns them for writing.
func (b *vectorBuilder) grow(dim int) []float32 {
	s := len(b.vals)
	b.vals = append(b.vals, make([]float32, dim)...)
	b.offs = append(b.offs, int32(len(b.vals)))
	b.valid = append(b.valid, true)
	return b.vals[s:]
}

func (b *vectorBuilder) appendNull() {
	b.offs = append(b.offs, int32(len(b.vals)))
	b.valid = append(b.valid, false)
	b.nulls++
}

// build returns the rows as a list<float32> array.
func (b *vectorBuilder) build(mem memory.Allocator) arrow.Array {
	n := len(b.valid)
	offBuf, offs := allocValues[int32](mem, n+1)
	copy(offs, b.offs)
	valBuf, vals := allocValues[float32](mem, len(b.vals))
	copy(vals, b.vals)
	var validBuf *memory.Buffer
	if b.nulls > 0 {
		validBuf = allocBitmap(mem, n)
		packBools(b.valid, validBuf.Bytes())
	}
	child := array.NewData(arrow.PrimitiveTypes.Float32, len(b.vals), []*memory.Buffer{nil, valBuf}, nil, 0, 0)
	d := array.NewData(arrow.ListOf(arrow.PrimitiveTypes.Float32), n, []*memory.Buffer{validBuf, offBuf}, []arrow.ArrayData{child}, b.nulls, 0)
	out := array.MakeFromData(d)
	d.Release()
	child.Release()
	valBuf.Release()
	offBuf.Release()
	releaseBuf(validBuf)
	return out
}

// cmpVector is pgvector's vector_cmp_internal: element by element, then
// the shorter vector first.
func cmpVector(a, b []float32) int {
	for i := 0; i < min(len(a), len(b)); i++ {
		if a[i] < b[i] {
			return -1
		}
		if a[i] > b[i] {
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}
