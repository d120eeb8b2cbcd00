package structural_test

import (
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"google.golang.org/protobuf/proto"

	"github.com/lancegate/lancegate/storage/lance/datafile/structural"
	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// TestDamagedPages decodes every seed page of the fuzz corpus after
// truncating and flipping bytes of its buffers and layout, as every type,
// and checks that decoding fails cleanly (or succeeds with the right row
// count) instead of panicking. It is a deterministic slice of what
// FuzzDecodePage explores.
func TestDamagedPages(t *testing.T) {
	seeds, err := filepath.Glob("testdata/fuzz/FuzzDecodePage/*")
	if err != nil || len(seeds) == 0 {
		t.Fatalf("no seed corpus: %v", err)
	}
	r := rand.New(rand.NewSource(1))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	runs := 0
	for _, path := range seeds {
		layoutBytes, bufBytes, rows, _, ok := readSeed(t, path)
		if !ok {
			continue
		}
		for trial := 0; trial < 40; trial++ {
			lb := append([]byte(nil), layoutBytes...)
			bb := append([]byte(nil), bufBytes...)
			switch trial % 4 {
			case 0:
				if len(bb) > 0 {
					bb = bb[:r.Intn(len(bb))]
				}
			case 1:
				for k := 0; k < 1+r.Intn(8) && len(bb) > 0; k++ {
					bb[r.Intn(len(bb))] ^= byte(1 << r.Intn(8))
				}
			case 2:
				if len(lb) > 0 {
					lb[r.Intn(len(lb))] ^= byte(1 << r.Intn(8))
				}
			case 3:
				rows = uint64(r.Intn(5000))
			}
			layout := &enc21.PageLayout{}
			if proto.Unmarshal(lb, layout) != nil {
				continue
			}
			dt := fuzzTypes[r.Intn(len(fuzzTypes))]
			if trial%2 == 0 {
				dt = fuzzTypes[trial%len(fuzzTypes)]
			}
			decodeNoPanic(t, mem, dt, layout, rows, unpackBuffers(bb))
			runs++
		}
	}
	t.Logf("%d damaged decodes", runs)
}

func decodeNoPanic(t *testing.T, mem memory.Allocator, dt arrow.DataType, layout *enc21.PageLayout, rows uint64, bufs [][]byte) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("panic decoding %s (%d rows, layout %v): %v", dt, rows, layout, p)
		}
	}()
	arr, err := structural.DecodePage(mem, dt, layout, rows, bufs)
	if err != nil {
		if !errors.Is(err, structural.ErrCorrupt) && !errors.Is(err, structural.ErrUnsupported) {
			t.Fatalf("error wraps neither sentinel: %v", err)
		}
		return
	}
	if uint64(arr.Len()) != rows {
		t.Fatalf("decoded %d rows, want %d", arr.Len(), rows)
	}
	touch(t, arr)
	arr.Release()
}

// readSeed parses a corpus file of FuzzDecodePage.
func readSeed(t *testing.T, path string) (layout, bufs []byte, rows uint64, typ byte, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := parseCorpus(b)
	if err != nil || len(vals) != 4 {
		t.Fatalf("%s: %v", path, err)
	}
	return vals[0].([]byte), vals[1].([]byte), vals[2].(uint64), vals[3].(byte), true
}
