package copyfmt

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
)

func checkFloat(t *testing.T, s string) {
	t.Helper()
	if f, ok := fastFloat32([]byte(s)); ok {
		want, err := strconv.ParseFloat(s, 32)
		if err != nil || float32(want) != f || math.Signbit(want) != math.Signbit(float64(f)) {
			t.Fatalf("fastFloat32(%q) = %v, strconv: %v, %v", s, f, float32(want), err)
		}
	}
	if f, ok := fastFloat64([]byte(s)); ok {
		want, err := strconv.ParseFloat(s, 64)
		if err != nil || want != f || math.Signbit(want) != math.Signbit(f) {
			t.Fatalf("fastFloat64(%q) = %v, strconv: %v, %v", s, f, want, err)
		}
	}
}

func TestFastFloat(t *testing.T) {
	for _, s := range []string{"1", "-1.5", "0.1", "1e-05", "3.4028235e38", "1.17549435e-38", "16777217", "0.000000000001",
		"123456789012345678", "9007199254740993", "1e22", "1e23", "0", "-0", "0.000", "-0e5", "+.5", "5.", ".", "", "-", "1e", "1e+", "inf", "NaN", "0x1p3", " 1", "1_0"} {
		checkFloat(t, s)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		f := rng.Float32()*2 - 1
		var s string
		switch rng.IntN(3) {
		case 0:
			s = strconv.FormatFloat(float64(f), 'f', -1, 32)
		case 1:
			s = strconv.FormatFloat(float64(f), 'g', 1+rng.IntN(17), 64)
		default:
			s = strconv.FormatFloat(rng.Float64()*1e6, 'f', rng.IntN(12), 64)
		}
		checkFloat(t, s)
	}
	if _, ok := fastFloat32([]byte("0.5")); !ok {
		t.Fatal("0.5 should take the fast path")
	}
}

func FuzzFastFloat(f *testing.F) {
	f.Add("1.5")
	f.Add("-0.000123456789e-3")
	f.Add("16777217")
	f.Fuzz(func(t *testing.T, s string) { checkFloat(t, s) })
}

// FuzzVectorText checks the vector fast path against pgtype.ParseText:
// the same value, or the fast path declines.
func FuzzVectorText(f *testing.F) {
	f.Add("[1,2.5,-3e-2]")
	f.Add("[0,-0,1e22,0.1]")
	f.Add("[1, 2]")
	f.Fuzz(func(t *testing.T, s string) {
		for _, typ := range []pgtype.Type{{OID: pgtype.OIDVector, Mod: -1}, pgtype.VectorOf(3)} {
			snk, err := newSink(typ, memory.DefaultAllocator, nil)
			if err != nil {
				t.Fatal(err)
			}
			vs := snk.(*vectorSink)
			fast := vs.parseText([]byte(s))
			got := append([]float32(nil), vs.buf...)
			snk.builder().Release()
			if !fast {
				continue
			}
			sc, err := pgtype.ParseText(typ, s, nil)
			if err != nil {
				t.Fatalf("%q: fast path took what ParseText refuses: %v", s, err)
			}
			var want []float32
			switch v := sc.(type) {
			case *scalar.List:
				want = v.Value.(*array.Float32).Float32Values()
			case *scalar.FixedSizeList:
				want = v.Value.(*array.Float32).Float32Values()
			}
			if len(got) != len(want) {
				t.Fatalf("%q: %v, ParseText %v", s, got, want)
			}
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%q: %v, ParseText %v", s, got, want)
				}
			}
		}
	})
}
