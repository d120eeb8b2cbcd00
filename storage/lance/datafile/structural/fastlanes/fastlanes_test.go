package fastlanes

import (
	"math/rand"
	"testing"
)

func roundTrip[T Unsigned](t *testing.T, bits int) {
	r := rand.New(rand.NewSource(int64(bits)))
	for w := 0; w <= bits; w++ {
		var in, out [BlockLen]T
		for i := range in {
			v := T(r.Uint64())
			if w < bits {
				v &= T(1)<<uint(w) - 1
			}
			in[i] = v
		}
		packed := Pack(w, &in)
		if len(packed) != WordsPerBlock[T](w) {
			t.Fatalf("bits %d width %d: %d words, want %d", bits, w, len(packed), WordsPerBlock[T](w))
		}
		Unpack(w, packed, &out)
		if in != out {
			t.Fatalf("bits %d width %d: round trip differs", bits, w)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	roundTrip[uint8](t, 8)
	roundTrip[uint16](t, 16)
	roundTrip[uint32](t, 32)
	roundTrip[uint64](t, 64)
}

// TestKnownLayout checks one value against the layout spelled out in the
// package doc: value 1 of a u32 block at width 1 sits at lane 1, row 0.
func TestKnownLayout(t *testing.T) {
	var in [BlockLen]uint32
	in[1] = 1
	p := Pack(1, &in)
	if p[1] != 1 {
		t.Fatalf("word 1 = %x, want 1", p[1])
	}
	in = [BlockLen]uint32{}
	in[128] = 1 // row 1 of lane 0
	p = Pack(1, &in)
	if p[0] != 2 {
		t.Fatalf("word 0 = %x, want 2", p[0])
	}
}

func BenchmarkUnpack64w10(b *testing.B) {
	var in [BlockLen]uint64
	for i := range in {
		in[i] = uint64(i)
	}
	p := Pack(10, &in)
	var out [BlockLen]uint64
	b.SetBytes(BlockLen * 8)
	for b.Loop() {
		Unpack(10, p, &out)
	}
}

// TestPackIntoOverwrites checks that PackInto does not depend on what its
// output held before.
func TestPackIntoOverwrites(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for w := 0; w <= 32; w++ {
		var in [BlockLen]uint32
		for i := range in {
			in[i] = r.Uint32() & (uint32(1)<<uint(w) - 1)
		}
		dirty := make([]uint32, WordsPerBlock[uint32](32))
		for i := range dirty {
			dirty[i] = r.Uint32()
		}
		got := PackInto(w, &in, dirty)
		want := Pack(w, &in)
		if len(got) != len(want) {
			t.Fatalf("width %d: %d words, want %d", w, len(got), len(want))
		}
		var out [BlockLen]uint32
		Unpack(w, got, &out)
		if out != in {
			t.Fatalf("width %d: PackInto over a dirty buffer does not round-trip", w)
		}
	}
}
