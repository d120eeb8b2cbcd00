package structural_test

import (
	"encoding/binary"
	"math/rand"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/bitutil"

	"github.com/lancegate/lancegate/storage/lance/datafile/structural"
	"github.com/lancegate/lancegate/storage/lance/datafile/structural/fastlanes"
)

// TestPackLevels unpacks packed definition levels the way the format
// defines them (whole FastLanes blocks at width 1, then a packed or raw
// tail told apart by length) and compares them with the bitmap, for
// chunks at unaligned positions, of every tail size around the raw/packed
// boundary, and for all-valid blocks.
func TestPackLevels(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	valid := make([]byte, 1200)
	for i := range valid {
		valid[i] = byte(r.Intn(256)) | byte(r.Intn(2)) // mostly valid
	}
	for i := 300; i < 600; i++ {
		valid[i] = 0xff // a stretch with no nulls
	}
	for _, n := range []int{1, 2, 63, 64, 65, 66, 700, 1024, 1087, 1088, 1089, 2048, 3000, 4096} {
		for _, pos := range []int{0, 3, 8, 2400, 2405} {
			b := structural.PackLevels(valid, pos, n)
			got := unpackLevels(t, b, n)
			for i, lv := range got {
				want := uint16(0)
				if !bitutil.BitIsSet(valid, pos+i) {
					want = 1
				}
				if lv != want {
					t.Fatalf("n %d pos %d: level %d is %d, want %d", n, pos, i, lv, want)
				}
			}
		}
	}
}

func unpackLevels(t *testing.T, b []byte, n int) []uint16 {
	t.Helper()
	wpb := fastlanes.WordsPerBlock[uint16](1)
	words := make([]uint16, len(b)/2)
	for i := range words {
		words[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	whole, tail := n/fastlanes.BlockLen, n%fastlanes.BlockLen
	var out []uint16
	var blk [fastlanes.BlockLen]uint16
	for i := 0; i < whole; i++ {
		fastlanes.Unpack(1, words[i*wpb:(i+1)*wpb], &blk)
		out = append(out, blk[:]...)
	}
	rest := words[whole*wpb:]
	switch {
	case tail == 0:
	case len(rest) == tail:
		out = append(out, rest...)
	case len(rest) == wpb:
		fastlanes.Unpack(1, rest, &blk)
		out = append(out, blk[:tail]...)
	default:
		t.Fatalf("%d levels packed into %d words", n, len(words))
	}
	return out
}
