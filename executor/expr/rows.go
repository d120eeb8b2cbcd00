package expr

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// String and date functions cannot be vectorised the way arithmetic is:
// their work per row dwarfs a call. rowArgs reads arguments row by row
// (constants broadcast), and the out helpers build the result, skipping
// rows where a strict function's argument is NULL.

type rowArgs struct {
	args []arrow.Array
	strs []*array.String
}

func newRowArgs(args []arrow.Array) rowArgs {
	r := rowArgs{args: args, strs: make([]*array.String, len(args))}
	for k, a := range args {
		r.strs[k], _ = a.(*array.String)
	}
	return r
}

func (r rowArgs) row(k, i int) int {
	if r.args[k].Len() == 1 {
		return 0
	}
	return i
}

func (r rowArgs) str(k, i int) string  { return r.strs[k].Value(r.row(k, i)) }
func (r rowArgs) i32(k, i int) int32   { return values[int32](r.args[k])[r.row(k, i)] }
func (r rowArgs) i64(k, i int) int64   { return values[int64](r.args[k])[r.row(k, i)] }
func (r rowArgs) u32(k, i int) uint32  { return values[uint32](r.args[k])[r.row(k, i)] }
func (r rowArgs) f64(k, i int) float64 { return values[float64](r.args[k])[r.row(k, i)] }
func (r rowArgs) null(k, i int) bool {
	a := r.args[k]
	return a.DataType().ID() == arrow.NULL || a.IsNull(r.row(k, i))
}

// textOut builds a text array of n rows from f, NULL where valid (the
// strict validity of the arguments) says so.
func textOut(mem memory.Allocator, n int, valid *memory.Buffer, f func(i int) (string, error)) (arrow.Array, error) {
	defer releaseBuf(valid)
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(n)
	for i := 0; i < n; i++ {
		if valid != nil && !validAt(valid, i) {
			b.AppendNull()
			continue
		}
		s, err := f(i)
		if err != nil {
			return nil, err
		}
		b.Append(s)
	}
	return b.NewArray(), nil
}

// fixedOut builds a fixed-width array of n rows from f.
func fixedOut[T fixed](mem memory.Allocator, dt arrow.DataType, n int, valid *memory.Buffer, nulls int, f func(i int) (T, error)) (arrow.Array, error) {
	buf, out := allocValues[T](mem, n)
	for i := range out {
		if valid != nil && !validAt(valid, i) {
			var z T
			out[i] = z
			continue
		}
		v, err := f(i)
		if err != nil {
			buf.Release()
			releaseBuf(valid)
			return nil, err
		}
		out[i] = v
	}
	return fixedArray(dt, n, valid, nulls, buf), nil
}

// boolOut builds a boolean array of n rows from f.
func boolOut(mem memory.Allocator, n int, valid *memory.Buffer, nulls int, f func(i int) (bool, error)) (arrow.Array, error) {
	res := make([]bool, n)
	for i := range res {
		if valid != nil && !validAt(valid, i) {
			continue
		}
		v, err := f(i)
		if err != nil {
			releaseBuf(valid)
			return nil, err
		}
		res[i] = v
	}
	data := allocBitmap(mem, n)
	packBools(res, data.Bytes())
	return boolArray(n, valid, nulls, data), nil
}

// validityFromBools returns a bitmap of valid (nil when valid is nil or
// all true).
func validityFromBools(env *Env, valid []bool) *memory.Buffer {
	all := true
	for _, v := range valid {
		if !v {
			all = false
			break
		}
	}
	if all {
		return nil
	}
	b := allocBitmap(env.Mem, len(valid))
	packBools(valid, b.Bytes())
	return b
}
