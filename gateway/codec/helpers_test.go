package codec_test

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/gateway/codec"
)

// newMem returns a checked allocator that must be back to zero when the
// test ends (after every other cleanup).
func newMem(t testing.TB) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// arrayOf builds an array of typ holding the text literals vals, a nil
// entry being NULL. It fails the test on bad literals.
func arrayOf(t testing.TB, mem memory.Allocator, typ pgtype.Type, vals ...*string) arrow.Array {
	t.Helper()
	dt, err := typ.Arrow()
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	for _, v := range vals {
		if v == nil {
			b.AppendNull()
			continue
		}
		sc, err := pgtype.ParseText(typ, *v, nil)
		if err != nil {
			t.Fatalf("ParseText(%s, %q): %v", typ, *v, err)
		}
		if err := scalar.Append(b, sc); err != nil {
			t.Fatal(err)
		}
	}
	arr := b.NewArray()
	t.Cleanup(arr.Release)
	return arr
}

func lits(vals ...string) []*string {
	out := make([]*string, len(vals))
	for i := range vals {
		out[i] = &vals[i]
	}
	return out
}

// encode writes row of arr as typ in format and returns the field.
func encode(t testing.TB, arr arrow.Array, typ pgtype.Type, format int16, s *codec.Settings, row int) []byte {
	t.Helper()
	e, err := codec.NewEncoder(arr, typ, format, s)
	if err != nil {
		t.Fatalf("NewEncoder(%s, %s, %d): %v", arr.DataType(), typ, format, err)
	}
	prefix := []byte("pre")
	out := e.Append(prefix, row)
	if string(out[:3]) != "pre" {
		t.Fatal("Append overwrote the buffer's contents")
	}
	return out[3:]
}

// value splits a field into its bytes; nil for NULL.
func value(t testing.TB, field []byte) []byte {
	t.Helper()
	if len(field) < 4 {
		t.Fatalf("field %x has no length", field)
	}
	n := int32(binary.BigEndian.Uint32(field))
	if n == -1 {
		if len(field) != 4 {
			t.Fatalf("NULL field %x has data", field)
		}
		return nil
	}
	if int(n) != len(field)-4 {
		t.Fatalf("field %x: length %d, %d bytes", field, n, len(field)-4)
	}
	return field[4:len(field):len(field)]
}

// sameValue compares scalars, floats bit for bit (NaN equals NaN).
func sameValue(a, b scalar.Scalar) bool {
	switch x := a.(type) {
	case *scalar.Float32:
		y, ok := b.(*scalar.Float32)
		return ok && x.Valid == y.Valid && math.Float32bits(x.Value) == math.Float32bits(y.Value)
	case *scalar.Float64:
		y, ok := b.(*scalar.Float64)
		return ok && x.Valid == y.Valid && math.Float64bits(x.Value) == math.Float64bits(y.Value)
	}
	return scalar.Equals(a, b)
}

func arrowBuilder(t testing.TB, mem memory.Allocator, dt arrow.DataType) array.Builder {
	t.Helper()
	return array.NewBuilder(mem, dt)
}
