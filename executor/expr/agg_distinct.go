package expr

import (
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/hashtable"
)

// distinctAcc is an aggregate over DISTINCT arguments: a hash table of
// (group, arguments) tuples lets only the first occurrence of each tuple
// in a group through to the wrapped accumulator.
type distinctAcc struct {
	inner Accumulator
	seen  *hashtable.Table
	ids   []uint32
	pass  []uint32
	gbuf  []uint32
	first []bool
}

func newDistinct(inner Accumulator, types []arrow.DataType) (Accumulator, error) {
	t, err := hashtable.New(append([]arrow.DataType{arrow.PrimitiveTypes.Uint32}, types...))
	if err != nil {
		return nil, err
	}
	return &distinctAcc{inner: inner, seen: t}, nil
}

func (d *distinctAcc) Grow(n int) { d.inner.Grow(n) }

func (d *distinctAcc) Update(n int, args []arrow.Array, groups []uint32) error {
	if groups == nil {
		if cap(d.gbuf) < n {
			d.gbuf = make([]uint32, n)
		}
		groups = d.gbuf[:n]
		clear(groups)
	}
	gcol := uint32Array(groups)
	defer gcol.Release()
	if cap(d.ids) < n {
		d.ids = make([]uint32, n)
		d.pass = make([]uint32, n)
	}
	ids, pass := d.ids[:n], d.pass[:n]
	before := uint32(d.seen.Len())
	if err := d.seen.Insert(append([]arrow.Array{gcol}, args...), ids); err != nil {
		return err
	}
	// A row passes when it is the first in the batch with a new id.
	first := d.first[:0]
	for i, id := range ids {
		pass[i] = SkipRow
		if id < before {
			continue
		}
		k := int(id - before)
		for len(first) <= k {
			first = append(first, false)
		}
		if !first[k] {
			first[k] = true
			pass[i] = groups[i]
		}
	}
	d.first = first
	return d.inner.Update(n, args, pass)
}

func (d *distinctAcc) Result(mem memory.Allocator) (arrow.Array, error) { return d.inner.Result(mem) }

// uint32Array wraps Go memory as a uint32 array (no allocator involved:
// it lives for one call).
func uint32Array(v []uint32) arrow.Array {
	var b []byte
	if len(v) > 0 {
		b = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 4*len(v))
	}
	d := array.NewData(arrow.PrimitiveTypes.Uint32, len(v), []*memory.Buffer{nil, memory.NewBufferBytes(b)}, nil, 0, 0)
	defer d.Release()
	return array.MakeFromData(d)
}
