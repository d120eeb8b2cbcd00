package fsst

import (
	"encoding/binary"
	"errors"
	"testing"
)

// table serializes a symbol table the way Lance does.
func table(compressed bool, syms ...string) []byte {
	hdr := uint64(magic)<<32 | uint64(len(syms))
	if compressed {
		hdr |= 1 << 24
	}
	b := binary.LittleEndian.AppendUint64(nil, hdr)
	for _, s := range syms {
		var w [8]byte
		copy(w[:], s)
		b = append(b, w[:]...)
	}
	for _, s := range syms {
		b = append(b, byte(len(s)))
	}
	return append(b, make([]byte, tableSize-len(b))...)
}

func TestDecode(t *testing.T) {
	tab, err := ParseTable(table(true, "the ", "quick", "x"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := tab.Decode([]byte("> "), []byte{0, 1, 255, '!', 2, 2})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "> the quick!xx" {
		t.Fatalf("got %q", got)
	}
}

func TestVerbatim(t *testing.T) {
	tab, err := ParseTable(table(false))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := tab.Decode(nil, []byte{255, 0, 7})
	if string(got) != "\xff\x00\x07" {
		t.Fatalf("got %q", got)
	}
}

func TestCorrupt(t *testing.T) {
	for name, b := range map[string][]byte{
		"short":    {1, 2, 3},
		"magic":    make([]byte, tableSize),
		"zero len": table(true, ""),
		"too long": append(table(true, "a"), 0),
	} {
		if _, err := ParseTable(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: got %v", name, err)
		}
	}
	tab, _ := ParseTable(table(true, "ab"))
	for name, src := range map[string][]byte{"unknown code": {1}, "dangling escape": {0, 255}} {
		if _, err := tab.Decode(nil, src); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: got %v", name, err)
		}
	}
}
