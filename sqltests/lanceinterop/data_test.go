package lanceinterop

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/compute"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// allTypesSchema is a table with every type lancegate stores, plus the
// large-string type pylance users write; dim is the vector dimension.
func allTypesSchema(dim int) *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
		{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "low", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ls", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "tstz", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "vec", Type: arrow.FixedSizeListOf(int32(dim), arrow.PrimitiveTypes.Float32), Nullable: true},
		{Name: "nothing", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	}, nil)
}

// allTypesBatch makes rows [first, first+n) of allTypesSchema. Row values
// derive from the id, so any slice of the table can be rebuilt. Nulls sit
// in the first and last row of every batch and at scattered ids; a few rows
// carry strings of hundreds of kilobytes.
func allTypesBatch(mem memory.Allocator, first, n, dim int) arrow.Record {
	b := array.NewRecordBuilder(mem, allTypesSchema(dim))
	defer b.Release()
	for i := 0; i < n; i++ {
		id := first + i
		b.Field(0).(*array.Int64Builder).Append(int64(id))
		if i == 0 || i == n-1 || id%13 == 5 {
			for c := 1; c < len(b.Fields()); c++ {
				b.Field(c).AppendNull()
			}
			continue
		}
		b.Field(1).(*array.BooleanBuilder).Append(id%3 == 0)
		b.Field(2).(*array.Int8Builder).Append(int8(id))
		b.Field(3).(*array.Int16Builder).Append(int16(id * 7))
		b.Field(4).(*array.Int32Builder).Append(int32(id % 1000))
		b.Field(5).(*array.Int64Builder).Append(int64(id) * -1_000_003)
		b.Field(6).(*array.Float32Builder).Append(float32(id) / 3)
		b.Field(7).(*array.Float64Builder).Append(math.Sqrt(float64(id)))
		switch id % 5 {
		case 0:
			b.Field(8).(*array.StringBuilder).Append("")
		case 1:
			b.Field(8).(*array.StringBuilder).Append(fmt.Sprintf("grüße-%d-日本", id))
		default:
			b.Field(8).(*array.StringBuilder).Append(fmt.Sprintf("row %d %s", id, strings.Repeat("x", id%40)))
		}
		b.Field(9).(*array.StringBuilder).Append(fmt.Sprintf("cat-%d", id%7))
		if id%1000 == 17 {
			b.Field(10).(*array.LargeStringBuilder).Append(strings.Repeat(fmt.Sprintf("long%d", id), 40_000))
		} else {
			b.Field(10).(*array.LargeStringBuilder).Append(fmt.Sprint("ls", id))
		}
		b.Field(11).(*array.BinaryBuilder).Append([]byte{byte(id), 0, byte(id >> 8), 0xff})
		b.Field(12).(*array.Date32Builder).Append(arrow.Date32(18000 + id%5000))
		b.Field(13).(*array.TimestampBuilder).Append(arrow.Timestamp(int64(id) * 1_000_001))
		b.Field(14).(*array.TimestampBuilder).Append(arrow.Timestamp(1_700_000_000_000_000 + int64(id)))
		lb := b.Field(15).(*array.FixedSizeListBuilder)
		if id%11 == 4 {
			lb.AppendNull()
		} else {
			lb.Append(true)
			vb := lb.ValueBuilder().(*array.Float32Builder)
			for k := 0; k < dim; k++ {
				vb.Append(float32(math.Sin(float64(id*dim+k) * 0.001)))
			}
		}
		b.Field(16).AppendNull()
	}
	return b.NewRecord()
}

// ids returns the id column of rec.
func ids(rec arrow.Record) []int64 {
	return rec.Column(0).(*array.Int64).Int64Values()
}

// filterIDs keeps the rows whose id satisfies keep.
func filterIDs(t *testing.T, mem memory.Allocator, rec arrow.Record, keep func(int64) bool) arrow.Record {
	t.Helper()
	mb := array.NewBooleanBuilder(mem)
	defer mb.Release()
	for _, id := range ids(rec) {
		mb.Append(keep(id))
	}
	mask := mb.NewArray()
	defer mask.Release()
	out, err := compute.FilterRecordBatch(compute.WithAllocator(context.Background(), mem), rec, mask, compute.DefaultFilterOptions())
	if err != nil {
		t.Fatal(err)
	}
	return out
}
