package lance

import (
	"context"
	"fmt"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// TestDropDeleted checks both ways deleted rows leave a batch (run-wise
// copies of the types lancegate stores, the take kernel for the others)
// against concatenating the kept rows one by one, on windows sliced from a
// larger page as the scanner makes them.
func TestDropDeleted(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	const n = 40
	build := func(dt arrow.DataType) arrow.Array {
		b := array.NewBuilder(mem, dt)
		defer b.Release()
		for i := 0; i < n; i++ {
			if i%7 == 3 {
				b.AppendNull()
				continue
			}
			v := fmt.Sprintf("v%d-%s", i, string(make([]byte, i%5)))
			switch b := b.(type) {
			case *array.StringBuilder:
				b.Append(v)
			case *array.LargeStringBuilder:
				b.Append(v)
			case *array.BinaryBuilder:
				b.Append([]byte(v))
			case *array.Int64Builder:
				b.Append(int64(i))
			case *array.Date32Builder:
				b.Append(arrow.Date32(i * 3))
			case *array.BooleanBuilder:
				b.Append(i%3 == 0)
			case *array.FixedSizeListBuilder:
				b.Append(true)
				b.ValueBuilder().(*array.Float32Builder).AppendValues([]float32{float32(i), -float32(i)}, nil)
			case array.ListLikeBuilder: // lists: empty ones, null items
				b.Append(true)
				for j := 0; j < i%4; j++ {
					if (i+j)%5 == 0 {
						b.ValueBuilder().AppendNull()
						continue
					}
					switch vb := b.ValueBuilder().(type) {
					case *array.Int32Builder:
						vb.Append(int32(i*10 + j))
					case *array.StringBuilder:
						vb.Append(v)
					case *array.BooleanBuilder:
						vb.Append(j%2 == 0)
					}
				}
			}
		}
		return b.NewArray()
	}
	types := []arrow.DataType{
		arrow.BinaryTypes.String, arrow.BinaryTypes.LargeString, arrow.BinaryTypes.Binary, arrow.BinaryTypes.LargeBinary,
		arrow.PrimitiveTypes.Int64, arrow.FixedWidthTypes.Boolean, arrow.FixedWidthTypes.Date32,
		arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float32), arrow.ListOf(arrow.PrimitiveTypes.Int32),
		arrow.ListOf(arrow.BinaryTypes.String), arrow.ListOf(arrow.FixedWidthTypes.Boolean),
		arrow.LargeListOf(arrow.PrimitiveTypes.Int32),
	}
	deletions := map[string][]uint32{
		"scattered":      {0, 5, 6, 7, 19, 39},
		"all but one":    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39},
		"nulls only":     {3, 10, 17, 24, 31, 38},
		"outside window": {1, 2},
	}
	for _, dt := range types {
		for name, del := range deletions {
			t.Run(fmt.Sprintf("%s/%s", dt, name), func(t *testing.T) {
				full := build(dt)
				defer full.Release()
				// Physical rows [5, 40) of the fragment, at an offset that is
				// not a multiple of 8 within the page.
				const start, end = 5, n
				win := array.NewSlice(full, start, end)
				defer win.Release()
				bm := roaring.BitmapOf(del...)
				got, kept, err := dropDeleted(ctx, mem, []arrow.Array{win}, bm, start, end)
				if err != nil {
					t.Fatal(err)
				}
				defer releaseAll(got)
				var parts []arrow.Array
				for i := start; i < end; i++ {
					if !bm.Contains(uint32(i)) {
						parts = append(parts, array.NewSlice(full, int64(i), int64(i+1)))
					}
				}
				want, err := array.Concatenate(parts, mem)
				releaseAll(parts)
				if err != nil {
					t.Fatal(err)
				}
				defer want.Release()
				if kept != want.Len() || !array.Equal(got[0], want) {
					t.Errorf("dropDeleted kept %d rows: %v; want %v", kept, got[0], want)
				}
			})
		}
	}
}
