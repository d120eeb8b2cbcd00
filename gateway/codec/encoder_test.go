package codec_test

import (
	"encoding/hex"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/codec"
)

// Encoders read bitmaps (values and validity) at a slice's offset, also
// when it is not a multiple of eight.
func TestEncodeSlicedBitmaps(t *testing.T) {
	mem := newMem(t)
	b := array.NewBooleanBuilder(mem)
	var want []string
	for i := 0; i < 40; i++ {
		switch {
		case i%7 == 3:
			b.AppendNull()
			want = append(want, "ffffffff")
		case i%3 == 0:
			b.Append(true)
			want = append(want, "0000000101")
		default:
			b.Append(false)
			want = append(want, "0000000100")
		}
	}
	arr := b.NewArray()
	b.Release()
	defer arr.Release()
	for _, off := range []int{0, 1, 3, 9, 17} {
		s := array.NewSlice(arr, int64(off), int64(arr.Len()))
		for row := 0; row < s.Len(); row++ {
			if got := hex.EncodeToString(encode(t, s, pgtype.Bool, codec.FormatBinary, nil, row)); got != want[off+row] {
				t.Errorf("offset %d row %d = %s; want %s", off, row, got, want[off+row])
			}
		}
		s.Release()
	}
}

// Narrower Arrow types are sent in the PostgreSQL type's width; other
// timestamp units are converted; dictionaries are looked through.
func TestEncodeArrowVariants(t *testing.T) {
	mem := newMem(t)
	i32 := array.NewInt32Builder(mem)
	i32.AppendValues([]int32{-1, 7}, nil)
	ints := i32.NewArray()
	i32.Release()
	defer ints.Release()

	u32 := array.NewUint32Builder(mem)
	u32.AppendValues([]uint32{4294967295}, nil)
	oids := u32.NewArray()
	u32.Release()
	defer oids.Release()

	f32 := array.NewFloat32Builder(mem)
	f32.AppendValues([]float32{0.1}, nil)
	floats := f32.NewArray()
	f32.Release()
	defer floats.Release()

	ts := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Second, TimeZone: "UTC"})
	ts.AppendValues([]arrow.Timestamp{946684801}, nil)
	secs := ts.NewArray()
	ts.Release()
	defer secs.Release()

	ls := array.NewLargeStringBuilder(mem)
	ls.AppendValues([]string{"large"}, nil)
	large := ls.NewArray()
	ls.Release()
	defer large.Release()

	db := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String})
	sb := db.(*array.BinaryDictionaryBuilder)
	_ = sb.AppendString("x")
	sb.AppendNull()
	_ = sb.AppendString("yz")
	dict := db.NewArray()
	db.Release()
	defer dict.Release()
	dictSlice := array.NewSlice(dict, 1, 3)
	defer dictSlice.Release()

	cases := []struct {
		arr    arrow.Array
		typ    pgtype.Type
		format int16
		row    int
		want   string
	}{
		{ints, pgtype.Int8, codec.FormatBinary, 0, "00000008ffffffffffffffff"},
		{ints, pgtype.Int8, codec.FormatText, 1, "0000000137"},
		{ints, pgtype.OID, codec.FormatText, 0, "0000000a" + hex.EncodeToString([]byte("4294967295"))},
		{oids, pgtype.Int8, codec.FormatBinary, 0, "0000000800000000ffffffff"},
		{oids, pgtype.OID, codec.FormatBinary, 0, "00000004ffffffff"},
		{floats, pgtype.Float8, codec.FormatText, 0, "00000013" + hex.EncodeToString([]byte("0.10000000149011612"))},
		{floats, pgtype.Float4, codec.FormatText, 0, "00000003" + hex.EncodeToString([]byte("0.1"))},
		{secs, pgtype.TimestampTZ, codec.FormatBinary, 0, "0000000800000000000f4240"},
		{secs, pgtype.TimestampTZ, codec.FormatText, 0, "00000016" + hex.EncodeToString([]byte("2000-01-01 00:00:01+00"))},
		{large, pgtype.Text, codec.FormatBinary, 0, "00000005" + hex.EncodeToString([]byte("large"))},
		{dict, pgtype.Text, codec.FormatText, 2, "00000002797a"},
		{dictSlice, pgtype.Text, codec.FormatText, 0, "ffffffff"},
		{dictSlice, pgtype.Text, codec.FormatText, 1, "00000002797a"},
	}
	for _, c := range cases {
		if got := hex.EncodeToString(encode(t, c.arr, c.typ, c.format, nil, c.row)); got != c.want {
			t.Errorf("encode %s as %s format %d row %d = %s; want %s", c.arr.DataType(), c.typ, c.format, c.row, got, c.want)
		}
	}
}

func TestNewEncoderErrors(t *testing.T) {
	mem := newMem(t)
	i64 := array.NewInt64Builder(mem)
	i64.Append(1)
	ints := i64.NewArray()
	i64.Release()
	defer ints.Release()
	cases := []struct {
		arr    arrow.Array
		typ    pgtype.Type
		format int16
		code   sqlstate.Code
	}{
		{ints, pgtype.Int8, 2, sqlstate.InvalidParameterValue},
		{ints, pgtype.Int4, codec.FormatBinary, sqlstate.InternalError}, // would truncate
		{ints, pgtype.Text, codec.FormatText, sqlstate.InternalError},
		{ints, pgtype.Interval, codec.FormatText, sqlstate.FeatureNotSupported},
		{ints, pgtype.Type{OID: pgtype.OIDUUID, Mod: -1}, codec.FormatBinary, sqlstate.FeatureNotSupported},
	}
	for _, c := range cases {
		_, err := codec.NewEncoder(c.arr, c.typ, c.format, nil)
		if got := sqlstate.CodeOf(err); got != c.code {
			t.Errorf("NewEncoder(%s, %s, %d) = %v; want %s", c.arr.DataType(), c.typ, c.format, err, c.code)
		}
	}
}

// A null-typed array (SELECT NULL) is NULL in every row.
func TestEncodeNullArray(t *testing.T) {
	arr := array.NewNull(3)
	defer arr.Release()
	if got := hex.EncodeToString(encode(t, arr, pgtype.Text, codec.FormatText, nil, 2)); got != "ffffffff" {
		t.Errorf("got %s", got)
	}
}

// Append allocates nothing once the buffer is large enough.
func TestEncodeAllocs(t *testing.T) {
	mem := newMem(t)
	paris := codec.DefaultSettings()
	loc, err := pgtype.LoadZone("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	paris.Text.TimeZone, paris.Text.ByteaHex = loc, false
	for _, c := range roundTripValues {
		arr := arrayOf(t, mem, c.typ, lits(c.vals...)...)
		for _, f := range []int16{codec.FormatText, codec.FormatBinary, codec.FormatText + 2} {
			s := paris
			if f == codec.FormatText+2 {
				f, s = codec.FormatText, nil
			}
			e, err := codec.NewEncoder(arr, c.typ, f, s)
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 0, 1<<16)
			allocs := testing.AllocsPerRun(10, func() {
				buf = buf[:0]
				for row := 0; row < arr.Len(); row++ {
					buf = e.Append(buf, row)
				}
			})
			if allocs != 0 {
				t.Errorf("encoding %s in format %d allocates %.1f times", c.typ, f, allocs)
			}
		}
	}
}
