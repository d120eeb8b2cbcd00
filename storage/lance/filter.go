package lance

import (
	"context"
	"fmt"
	"unsafe"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/compute"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Dropping deleted rows from a batch. The columns of the types lancegate
// stores (fixed-width values, booleans, strings and binaries, fixed-size
// lists and lists of those) are copied run by run into buffers sized once; other
// types go through Arrow's take kernel. The kernels of the Arrow version in
// use are a poor fit here: every call hands its result between goroutines
// (a measurable cost per column per batch), the filter kernel misreads
// sliced booleans, and the variable-width kernels grow their data buffer
// by exactly each value's size, which is quadratic in the batch.

// rowRun is a run [start, end) of rows of an array.
type rowRun struct{ start, end int }

// keptRuns returns the runs of rows in [start, end) that deleted does not
// hold, relative to start, and how many rows they hold.
func keptRuns(deleted *roaring.Bitmap, start, end uint64) ([]rowRun, int) {
	var runs []rowRun
	kept := 0
	from := start
	it := deleted.Iterator()
	it.AdvanceIfNeeded(uint32(start))
	for it.HasNext() {
		d := uint64(it.Next())
		if d >= end {
			break
		}
		if d > from {
			runs = append(runs, rowRun{int(from - start), int(d - start)})
			kept += int(d - from)
		}
		from = d + 1
	}
	if from < end {
		runs = append(runs, rowRun{int(from - start), int(end - start)})
		kept += int(end - from)
	}
	return runs, kept
}

// dropDeleted returns cols, the physical rows [start, end) of a fragment,
// without the rows deleted holds, and how many rows remain.
func dropDeleted(ctx context.Context, mem memory.Allocator, cols []arrow.Array, deleted *roaring.Bitmap, start, end uint64) ([]arrow.Array, int, error) {
	runs, kept := keptRuns(deleted, start, end)
	out := make([]arrow.Array, 0, len(cols))
	for _, c := range cols {
		f, ok := selectRuns(mem, c, runs, kept)
		if !ok {
			indices := runIndices(mem, runs, kept)
			var err error
			f, err = compute.TakeArrayOpts(compute.WithAllocator(ctx, mem), c, indices, compute.TakeOptions{BoundsCheck: false})
			indices.Release()
			if err != nil {
				releaseAll(out)
				return nil, 0, fmt.Errorf("apply deletions: %w", err)
			}
		}
		out = append(out, f)
	}
	return out, kept, nil
}

// runIndices lists the rows in runs as an int32 array.
func runIndices(mem memory.Allocator, runs []rowRun, kept int) arrow.Array {
	b := array.NewInt32Builder(mem)
	defer b.Release()
	b.Reserve(kept)
	for _, r := range runs {
		for i := r.start; i < r.end; i++ {
			b.UnsafeAppend(int32(i))
		}
	}
	return b.NewArray()
}

// selectRuns returns the rows of a in runs (kept rows in all), or ok=false
// for a type it does not handle.
func selectRuns(mem memory.Allocator, a arrow.Array, runs []rowRun, kept int) (arrow.Array, bool) {
	switch a := a.(type) {
	case *array.String:
		return selectVarBinary(mem, a, a.ValueOffsets(), runs, kept), true
	case *array.Binary:
		return selectVarBinary(mem, a, a.ValueOffsets(), runs, kept), true
	case *array.LargeString:
		return selectVarBinary(mem, a, a.ValueOffsets(), runs, kept), true
	case *array.LargeBinary:
		return selectVarBinary(mem, a, a.ValueOffsets(), runs, kept), true
	case *array.Boolean:
		values := bitsBuffer(mem, kept)
		copyRunBits(a.Data().Buffers()[1].Bytes(), a.Data().Offset(), runs, values.Bytes())
		return finish(mem, a, runs, kept, []*memory.Buffer{values}, nil), true
	case *array.List:
		off := a.Data().Offset()
		return selectList(mem, a, a.ListValues(), a.Offsets()[off:off+a.Len()+1], runs, kept)
	case *array.LargeList:
		off := a.Data().Offset()
		return selectList(mem, a, a.ListValues(), a.Offsets()[off:off+a.Len()+1], runs, kept)
	case *array.FixedSizeList:
		child := a.ListValues()
		childRuns := make([]rowRun, len(runs))
		for i, r := range runs {
			s, _ := a.ValueOffsets(r.start)
			_, e := a.ValueOffsets(r.end - 1)
			childRuns[i] = rowRun{int(s), int(e)}
		}
		dim := int(a.DataType().(*arrow.FixedSizeListType).Len())
		values, ok := selectRuns(mem, child, childRuns, kept*dim)
		if !ok {
			return nil, false
		}
		defer values.Release()
		return finish(mem, a, runs, kept, nil, []arrow.ArrayData{values.Data()}), true
	}
	fw, ok := a.DataType().(arrow.FixedWidthDataType)
	if !ok || fw.BitWidth()%8 != 0 || len(a.Data().Buffers()) != 2 || len(a.Data().Children()) != 0 {
		return nil, false
	}
	size := fw.BitWidth() / 8
	values := memory.NewResizableBuffer(mem)
	values.Resize(kept * size)
	var raw []byte
	if b := a.Data().Buffers()[1]; b != nil {
		raw = b.Bytes()
	}
	dst, off, pos := values.Bytes(), a.Data().Offset(), 0
	for _, r := range runs {
		n := copy(dst[pos:], raw[(off+r.start)*size:(off+r.end)*size])
		pos += n
	}
	return finish(mem, a, runs, kept, []*memory.Buffer{values}, nil), true
}

// finish makes the selected array of a's type from its value buffers (after
// the validity bitmap, which it adds) and children; it takes over buffers.
func finish(mem memory.Allocator, a arrow.Array, runs []rowRun, kept int, buffers []*memory.Buffer, children []arrow.ArrayData) arrow.Array {
	var validity *memory.Buffer
	nulls := 0
	if a.NullN() > 0 {
		validity = bitsBuffer(mem, kept)
		copyRunBits(a.NullBitmapBytes(), a.Data().Offset(), runs, validity.Bytes())
		nulls = kept - bitutil.CountSetBits(validity.Bytes(), 0, kept)
	}
	all := append([]*memory.Buffer{validity}, buffers...)
	data := array.NewData(a.DataType(), kept, all, children, nulls, 0)
	for _, b := range all {
		if b != nil {
			b.Release()
		}
	}
	defer data.Release()
	return array.MakeFromData(data)
}

// bitsBuffer allocates a zeroed bitmap of n bits.
func bitsBuffer(mem memory.Allocator, n int) *memory.Buffer {
	b := memory.NewResizableBuffer(mem)
	b.Resize(int(bitutil.BytesForBits(int64(n))))
	clear(b.Bytes())
	return b
}

// copyRunBits copies the bits of runs (offset by off in src) to dst, one
// after the other.
func copyRunBits(src []byte, off int, runs []rowRun, dst []byte) {
	pos := 0
	for _, r := range runs {
		bitutil.CopyBitmap(src, off+r.start, r.end-r.start, dst, pos)
		pos += r.end - r.start
	}
}

// selectVarBinary copies the values of a in runs into new buffers sized
// once. offs are a's value offsets (len+1 of them, absolute positions in
// its data buffer).
func selectVarBinary[O int32 | int64](mem memory.Allocator, a arrow.Array, offs []O, runs []rowRun, kept int) arrow.Array {
	var raw []byte
	if b := a.Data().Buffers()[2]; b != nil {
		raw = b.Bytes()
	}
	size := 0
	for _, r := range runs {
		size += int(offs[r.end] - offs[r.start])
	}
	offBuf := memory.NewResizableBuffer(mem)
	offBuf.Resize((kept + 1) * int(unsafe.Sizeof(O(0))))
	outOffs := unsafe.Slice((*O)(unsafe.Pointer(unsafe.SliceData(offBuf.Bytes()))), kept+1)
	valBuf := memory.NewResizableBuffer(mem)
	valBuf.Resize(size)
	vals := valBuf.Bytes()
	pos, at := 0, O(0)
	for _, r := range runs {
		base := offs[r.start]
		copy(vals[at:], raw[base:offs[r.end]])
		for i := r.start; i < r.end; i++ {
			outOffs[pos] = at + offs[i] - base
			pos++
		}
		at += offs[r.end] - base
	}
	outOffs[kept] = at
	return finish(mem, a, runs, kept, []*memory.Buffer{offBuf, valBuf}, nil)
}

// selectList selects the rows of a list array in runs: the items of those
// rows from child (itself selected run by run), and offsets rebased onto
// them. offs are a's offsets (len+1 of them, into child).
func selectList[O int32 | int64](mem memory.Allocator, a, child arrow.Array, offs []O, runs []rowRun, kept int) (arrow.Array, bool) {
	childRuns := make([]rowRun, 0, len(runs))
	items := 0
	for _, r := range runs {
		if s, e := int(offs[r.start]), int(offs[r.end]); e > s {
			childRuns = append(childRuns, rowRun{s, e})
			items += e - s
		}
	}
	values, ok := selectRuns(mem, child, childRuns, items)
	if !ok {
		return nil, false
	}
	defer values.Release()
	offBuf := memory.NewResizableBuffer(mem)
	offBuf.Resize((kept + 1) * int(unsafe.Sizeof(O(0))))
	outOffs := unsafe.Slice((*O)(unsafe.Pointer(unsafe.SliceData(offBuf.Bytes()))), kept+1)
	pos, at := 0, O(0)
	for _, r := range runs {
		base := offs[r.start]
		for i := r.start; i < r.end; i++ {
			outOffs[pos] = at + offs[i] - base
			pos++
		}
		at += offs[r.end] - base
	}
	outOffs[kept] = at
	return finish(mem, a, runs, kept, []*memory.Buffer{offBuf}, []arrow.ArrayData{values.Data()}), true
}
