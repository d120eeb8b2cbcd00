package datafile_test

import (
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/float16"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/pb"
)

// nullPattern says whether row i of n is null.
type nullPattern func(i, n int) bool

// The null patterns the 2.1+ tests write.
var nullPatterns = []struct {
	name string
	null nullPattern
}{
	{"none", func(int, int) bool { return false }},
	{"some", func(i, n int) bool { return i == 0 || i == n-1 || i%7 == 3 }},
	{"first", func(i, _ int) bool { return i == 0 }},
	{"last", func(i, n int) bool { return i == n-1 }},
	{"all", func(int, int) bool { return true }},
}

// typesSchema has a column of every type the writer takes, chosen to hit
// every layout: short and long strings, narrow and wide vectors, small
// integers that bitpack and full-range ones that do not.
var typesSchema = arrow.NewSchema([]arrow.Field{
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
	{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
	{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "small_i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "zero_i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "u8", Type: arrow.PrimitiveTypes.Uint8, Nullable: true},
	{Name: "u16", Type: arrow.PrimitiveTypes.Uint16, Nullable: true},
	{Name: "u32", Type: arrow.PrimitiveTypes.Uint32, Nullable: true},
	{Name: "u64", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
	{Name: "f16", Type: arrow.FixedWidthTypes.Float16, Nullable: true},
	{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "d32", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
	{Name: "tstz", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "dec", Type: &arrow.Decimal128Type{Precision: 20, Scale: 3}, Nullable: true},
	{Name: "fsb", Type: &arrow.FixedSizeBinaryType{ByteWidth: 5}, Nullable: true},
	{Name: "fsb300", Type: &arrow.FixedSizeBinaryType{ByteWidth: 300}, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "ls", Type: arrow.BinaryTypes.LargeString, Nullable: true},
	{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
	{Name: "lbin", Type: arrow.BinaryTypes.LargeBinary, Nullable: true},
	{Name: "long_s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "long_lbin", Type: arrow.BinaryTypes.LargeBinary, Nullable: true},
	{Name: "vec3", Type: arrow.FixedSizeListOf(3, arrow.PrimitiveTypes.Float32), Nullable: true},
	{Name: "vec128", Type: arrow.FixedSizeListOf(128, arrow.PrimitiveTypes.Float32), Nullable: true},
	{Name: "vec32d", Type: arrow.FixedSizeListOf(32, arrow.PrimitiveTypes.Float64), Nullable: true},
	{Name: "pair_i64", Type: arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Int64), Nullable: true},
	{Name: "bits5", Type: arrow.FixedSizeListOf(5, arrow.FixedWidthTypes.Boolean), Nullable: true},
}, nil)

// typesRecord builds n rows of typesSchema; rows where null says so are
// null in every column, and fixed-size lists have null items in some
// other rows unless the pattern has no nulls at all.
func typesRecord(mem memory.Allocator, n, seed int, null nullPattern) arrow.Record {
	b := array.NewRecordBuilder(mem, typesSchema)
	defer b.Release()
	anyNull := false
	for i := 0; i < n && !anyNull; i++ {
		anyNull = null(i, n)
	}
	for i := 0; i < n; i++ {
		if null(i, n) {
			for _, f := range b.Fields() {
				f.AppendNull()
			}
			continue
		}
		v := i + seed
		f := b.Fields()
		f[0].(*array.BooleanBuilder).Append(v%3 == 0)
		f[1].(*array.Int8Builder).Append(int8(v * 37))
		f[2].(*array.Int16Builder).Append(int16(v * 1031))
		f[3].(*array.Int32Builder).Append(int32(-v * 65537))
		f[4].(*array.Int64Builder).Append(int64(v) * -0x1234567890)
		f[5].(*array.Int64Builder).Append(int64(v % 1000))
		f[6].(*array.Int32Builder).Append(0)
		f[7].(*array.Uint8Builder).Append(uint8(v % 200))
		f[8].(*array.Uint16Builder).Append(uint16(v * 7))
		f[9].(*array.Uint32Builder).Append(uint32(v) * 2654435761)
		f[10].(*array.Uint64Builder).Append(uint64(v) << 40)
		f[11].(*array.Float16Builder).Append(float16.New(float32(v%500) / 4))
		f[12].(*array.Float32Builder).Append(float32(v) / 3)
		f[13].(*array.Float64Builder).Append(float64(v) / 7)
		f[14].(*array.Date32Builder).Append(arrow.Date32(18000 + v%3000))
		f[15].(*array.TimestampBuilder).Append(arrow.Timestamp(1_700_000_000_000_000 + int64(v)*1_000_003))
		f[16].(*array.TimestampBuilder).Append(arrow.Timestamp(-int64(v) * 86_400_000))
		f[17].(*array.Decimal128Builder).Append(decimal128.FromI64(int64(v)*12345 - 500000))
		f[18].(*array.FixedSizeBinaryBuilder).Append([]byte{byte(v), byte(v >> 8), 0, 0xff, byte(v % 7)})
		f[19].(*array.FixedSizeBinaryBuilder).Append([]byte(strings.Repeat(string(rune('a'+v%26)), 300)))
		f[20].(*array.StringBuilder).Append(shortString(v))
		f[21].(*array.LargeStringBuilder).Append(strings.Repeat("x", v%40))
		f[22].(*array.BinaryBuilder).Append([]byte{byte(v), 0, byte(v >> 8)}[:v%4%3])
		f[23].(*array.BinaryBuilder).Append(make([]byte, v%9))
		f[24].(*array.StringBuilder).Append(longString(v))
		f[25].(*array.BinaryBuilder).Append([]byte(longString(v * 3)))
		appendVector(f[26].(*array.FixedSizeListBuilder), 3, v, anyNull && v%5 == 1)
		appendVector(f[27].(*array.FixedSizeListBuilder), 128, v, anyNull && v%4 == 2)
		appendVector(f[28].(*array.FixedSizeListBuilder), 32, v, anyNull && v%6 == 0)
		lb := f[29].(*array.FixedSizeListBuilder)
		lb.Append(true)
		lb.ValueBuilder().(*array.Int64Builder).AppendValues([]int64{int64(v), -int64(v) << 20}, nil)
		bb := f[30].(*array.FixedSizeListBuilder)
		bb.Append(true)
		for j := 0; j < 5; j++ {
			if anyNull && (v+j)%9 == 0 {
				bb.ValueBuilder().AppendNull()
			} else {
				bb.ValueBuilder().(*array.BooleanBuilder).Append((v+j)%2 == 0)
			}
		}
	}
	return b.NewRecord()
}

// shortString is a short string, empty for every fifth value.
func shortString(v int) string {
	if v%5 == 0 {
		return ""
	}
	return strings.Repeat("é", v%4) + fmt.Sprint(v)
}

// longString is 0 to about 2 KB of text: long enough, mostly, that its
// page is full-zipped, and sometimes empty.
func longString(v int) string {
	if v%10 == 0 {
		return ""
	}
	return strings.Repeat(fmt.Sprintf("row %d says hello; ", v), 20+v%80)
}

// appendVector appends a vector of dim floats, with some null items when
// itemNulls is set.
func appendVector(b *array.FixedSizeListBuilder, dim, v int, itemNulls bool) {
	b.Append(true)
	switch vb := b.ValueBuilder().(type) {
	case *array.Float32Builder:
		for j := 0; j < dim; j++ {
			if itemNulls && j%7 == 3 {
				vb.AppendNull()
			} else {
				vb.Append(float32(v) + float32(j)/8)
			}
		}
	case *array.Float64Builder:
		for j := 0; j < dim; j++ {
			if itemNulls && j%5 == 0 {
				vb.AppendNull()
			} else {
				vb.Append(float64(v)*1.5 - float64(j))
			}
		}
	}
}

// lanceSchema gives each top-level field of s a Lance field with id i and
// its Lance logical type, as the dataset layer would.
func lanceSchema(s *arrow.Schema) *pb.Schema {
	out := &pb.Schema{}
	for i, f := range s.Fields() {
		out.Fields = append(out.Fields, &pb.Field{Name: f.Name, Id: int32(i), ParentId: -1, Nullable: f.Nullable, LogicalType: logicalType(f.Type)})
	}
	return out
}

// logicalType is the Lance logical type of the types the tests write.
func logicalType(dt arrow.DataType) string {
	switch t := dt.(type) {
	case *arrow.BooleanType:
		return "bool"
	case *arrow.Float16Type:
		return "halffloat"
	case *arrow.Float32Type:
		return "float"
	case *arrow.Float64Type:
		return "double"
	case *arrow.Date32Type:
		return "date32:day"
	case *arrow.TimestampType:
		tz := t.TimeZone
		if tz == "" {
			tz = "-"
		}
		return fmt.Sprintf("timestamp:%s:%s", map[arrow.TimeUnit]string{arrow.Second: "s", arrow.Millisecond: "ms", arrow.Microsecond: "us", arrow.Nanosecond: "ns"}[t.Unit], tz)
	case *arrow.Decimal128Type:
		return fmt.Sprintf("decimal:128:%d:%d", t.Precision, t.Scale)
	case *arrow.FixedSizeBinaryType:
		return fmt.Sprintf("fixed_size_binary:%d", t.ByteWidth)
	case *arrow.FixedSizeListType:
		return fmt.Sprintf("fixed_size_list:%s:%d", logicalType(t.Elem()), t.Len())
	case *arrow.StringType:
		return "string"
	case *arrow.LargeStringType:
		return "large_string"
	case *arrow.BinaryType:
		return "binary"
	case *arrow.LargeBinaryType:
		return "large_binary"
	}
	return dt.String() // int8 ... uint64
}
