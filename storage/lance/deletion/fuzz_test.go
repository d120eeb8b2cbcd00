package deletion

import (
	"errors"
	"testing"

	"github.com/lancegate/lancegate/storage/lance/pb"
)

// FuzzDecode feeds arbitrary bytes to Decode: it must never panic, must
// report failures as ErrCorrupt, and what it accepts must survive an
// Encode and Decode round trip. The seed corpus in
// testdata/fuzz/FuzzDecode holds valid and invalid files of both kinds.
func FuzzDecode(f *testing.F) {
	f.Add(encodeBitmap(rangeBitmap(0, 4097)), int(pb.DeletionFile_BITMAP)) // a bitmap container
	f.Add(encodeBitmap(bitmapOf(1, 1<<16, 1<<32-1)), int(pb.DeletionFile_BITMAP))
	f.Fuzz(func(t *testing.T, data []byte, kind int) {
		k := pb.DeletionFile_DeletionFileType(kind)
		bm, err := Decode(k, data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Decode error = %v; want ErrCorrupt", err)
			}
			if bm != nil {
				t.Fatalf("Decode returned a bitmap with error %v; want nil", err)
			}
			return
		}
		if bm == nil {
			t.Fatalf("Decode = nil, nil; want a bitmap")
		}
		// Re-encode only sets of a plausible size: a few bytes of runs can
		// describe four billion rows.
		if n := bm.GetCardinality(); n == 0 || n > 1<<20 {
			return
		}
		kind2, enc, err := Encode(bm)
		if err != nil {
			t.Fatalf("Encode(decoded) = %v; want nil", err)
		}
		back, err := Decode(kind2, enc)
		if err != nil {
			t.Fatalf("Decode(Encode(decoded)) = %v; want nil", err)
		}
		if !back.Equals(bm) {
			t.Fatalf("round trip has %d rows; want %d", back.GetCardinality(), bm.GetCardinality())
		}
	})
}
