package pgtype_test

import (
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/decimal128"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// AppendText reads rows relative to a sliced array's offset and accepts
// the Arrow types FromArrow maps to each PostgreSQL type.
func TestAppendTextArrays(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) }) // after the slices' cleanups

	i32 := array.NewInt32Builder(mem)
	i32.AppendValues([]int32{1, -2, 3, 4}, nil)
	ints := i32.NewArray()
	i32.Release()
	defer ints.Release()

	str := array.NewStringBuilder(mem)
	str.AppendValues([]string{"a", "bc", "", "déf"}, nil)
	strs := str.NewArray()
	str.Release()
	defer strs.Release()

	dict := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String})
	for _, s := range []string{"x", "y", "x", "z"} {
		if err := dict.(*array.BinaryDictionaryBuilder).AppendString(s); err != nil {
			t.Fatal(err)
		}
	}
	dicts := dict.NewArray()
	dict.Release()
	defer dicts.Release()

	tsb := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Millisecond})
	tsb.AppendValues([]arrow.Timestamp{0, 1500, -1}, nil)
	tss := tsb.NewArray()
	tsb.Release()
	defer tss.Release()

	d64 := array.NewDate64Builder(mem)
	d64.AppendValues([]arrow.Date64{0, 86400000, -1}, nil)
	d64s := d64.NewArray()
	d64.Release()
	defer d64s.Release()

	decType := &arrow.Decimal128Type{Precision: 10, Scale: 3}
	dec := array.NewDecimal128Builder(mem, decType)
	dec.AppendValues([]decimal128.Num{decimal128.FromI64(1500), decimal128.FromI64(-5), decimal128.FromI64(0)}, nil)
	decs := dec.NewArray()
	dec.Release()
	defer decs.Release()

	vb := array.NewFixedSizeListBuilder(mem, 2, arrow.PrimitiveTypes.Float32)
	vv := vb.ValueBuilder().(*array.Float32Builder)
	for i := 0; i < 3; i++ {
		vb.Append(true)
		vv.AppendValues([]float32{float32(i), 0.5}, nil)
	}
	vecs := vb.NewArray()
	vb.Release()
	defer vecs.Release()

	lb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Float32)
	lv := lb.ValueBuilder().(*array.Float32Builder)
	for i := 1; i <= 3; i++ {
		lb.Append(true)
		for j := 0; j < i; j++ {
			lv.Append(float32(j))
		}
	}
	lists := lb.NewArray()
	lb.Release()
	defer lists.Release()

	bin := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
	bin.AppendValues([][]byte{{1, 2}, {0xff}}, nil)
	bins := bin.NewArray()
	bin.Release()
	defer bins.Release()

	slice := func(a arrow.Array, i, j int64) arrow.Array {
		s := array.NewSlice(a, i, j)
		t.Cleanup(s.Release)
		return s
	}
	cases := []struct {
		typ  pgtype.Type
		arr  arrow.Array
		want []string
	}{
		{pgtype.Int8, ints, []string{"1", "-2", "3", "4"}},
		{pgtype.Int8, slice(ints, 1, 3), []string{"-2", "3"}},
		{pgtype.Text, slice(strs, 2, 4), []string{"", "déf"}},
		{pgtype.Type{OID: pgtype.OIDChar, Mod: -1}, strs, []string{"a", "b", "", "d"}},
		{pgtype.Text, dicts, []string{"x", "y", "x", "z"}},
		{pgtype.Text, slice(dicts, 1, 4), []string{"y", "x", "z"}},
		{pgtype.Timestamp, tss, []string{"1970-01-01 00:00:00", "1970-01-01 00:00:01.5", "1969-12-31 23:59:59.999"}},
		{pgtype.TimestampTZ, slice(tss, 1, 2), []string{"1970-01-01 00:00:01.5+00"}},
		{pgtype.Date, d64s, []string{"1970-01-01", "1970-01-02", "1969-12-31"}},
		{pgtype.NumericOf(10, 3), decs, []string{"1.500", "-0.005", "0.000"}},
		{pgtype.Numeric, decs, []string{"1.5", "-0.005", "0"}},
		{pgtype.VectorOf(2), vecs, []string{"[0,0.5]", "[1,0.5]", "[2,0.5]"}},
		{pgtype.VectorOf(2), slice(vecs, 2, 3), []string{"[2,0.5]"}},
		{pgtype.Vector, lists, []string{"[0]", "[0,1]", "[0,1,2]"}},
		{pgtype.Vector, slice(lists, 1, 3), []string{"[0,1]", "[0,1,2]"}},
		{pgtype.Bytea, bins, []string{`\x0102`, `\xff`}},
		{pgtype.Text, slice(bins, 0, 1), []string{"\x01\x02"}},
	}
	for _, c := range cases {
		for i, want := range c.want {
			if got := string(pgtype.AppendText(nil, c.typ, c.arr, i, nil)); got != want {
				t.Errorf("AppendText(%s, %s, %d) = %q; want %q", c.typ, c.arr.DataType(), i, got, want)
			}
		}
	}
}

// Types without a storage mapping are refused with 0A000.
func TestParseTextUnsupported(t *testing.T) {
	for _, typ := range []pgtype.Type{pgtype.Interval, {OID: pgtype.OIDUUID, Mod: -1}, {OID: 1187, Mod: -1}} {
		_, err := pgtype.ParseText(typ, "x", nil)
		checkError(t, err, "0A000", "", "")
	}
	sc, err := pgtype.ParseText(pgtype.Void, "anything", nil)
	if err != nil || sc.IsValid() || sc.DataType().ID() != arrow.NULL {
		t.Errorf("ParseText(void) = %v, %v; want a null of type null", sc, err)
	}
}
