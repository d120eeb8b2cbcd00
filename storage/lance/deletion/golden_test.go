package deletion

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/lancegate/lancegate/storage/lance/pb"
)

// TestPylanceFixtures decodes the deletion files pylance 14.0.2 wrote (see
// testdata/README.md) and checks them against the rows its deletes removed.
func TestPylanceFixtures(t *testing.T) {
	// Fragment 1 held ids 10000..19999; "id >= 10000 AND id % 97 = 3"
	// deleted these offsets.
	sparse := roaring.New()
	for id := uint32(10000); id < 20000; id++ {
		if id%97 == 3 {
			sparse.Add(id - 10000)
		}
	}
	tests := []struct {
		name                  string
		fragment, version, id uint64
		kind                  pb.DeletionFile_DeletionFileType
		wantRows              uint64
		want                  *roaring.Bitmap
	}{
		{"arrow", 1, 1, 16288611624592448259, pb.DeletionFile_ARROW_ARRAY, 103, sparse},
		{"bitmap", 0, 2, 6859533726168385136, pb.DeletionFile_BITMAP, 6000, rangeBitmap(0, 6000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join("testdata", "pylance", filepath.FromSlash(Path(tt.fragment, tt.version, tt.id, tt.kind)))
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read fixture: %v", err)
			}
			got, err := Decode(tt.kind, data)
			if err != nil {
				t.Fatalf("Decode(%s) = %v; want nil", path, err)
			}
			if got.GetCardinality() != tt.wantRows {
				t.Errorf("Decode(%s) has %d rows; want %d", path, got.GetCardinality(), tt.wantRows)
			}
			if !got.Equals(tt.want) {
				t.Errorf("Decode(%s) = %v; want %v", path, got.ToArray(), tt.want.ToArray())
			}
			// Encode chooses the kind pylance chose for the same set.
			kind, enc, err := Encode(got)
			if err != nil || kind != tt.kind {
				t.Fatalf("Encode = %v, %v; want %v, nil", kind, err, tt.kind)
			}
			if tt.kind == pb.DeletionFile_BITMAP && !bytes.Equal(enc, data) {
				t.Errorf("Encode wrote %d bytes unlike pylance's %d; want the same bytes", len(enc), len(data))
			}
		})
	}
}

// TestPylanceArrowOrder checks that the pylance ARROW_ARRAY fixture lists
// offsets in hash-set order, not sorted: Decode must not assume order.
func TestPylanceArrowOrder(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "pylance", "_deletions", "1-1-16288611624592448259.arrow"))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	offsets := arrowOffsets(t, data)
	if slices.IsSorted(offsets) {
		t.Errorf("fixture offsets are sorted; want pylance's unsorted order, which this test relies on")
	}
}
