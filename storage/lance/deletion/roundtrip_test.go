package deletion

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/pb"
)

// randomBitmap returns n distinct offsets below max drawn from a seeded
// generator.
func randomBitmap(seed uint64, n int, max uint32) *roaring.Bitmap {
	r := rand.New(rand.NewPCG(seed, seed))
	bm := roaring.New()
	for added := 0; added < n; {
		if bm.CheckedAdd(r.Uint32N(max)) {
			added++
		}
	}
	return bm
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	const top = 1<<32 - 1
	tests := []struct {
		name     string
		set      *roaring.Bitmap
		wantKind pb.DeletionFile_DeletionFileType
	}{
		{"one row", bitmapOf(0), pb.DeletionFile_ARROW_ARRAY},
		{"one row at the top", bitmapOf(top), pb.DeletionFile_ARROW_ARRAY},
		{"near 2^32-1", bitmapOf(0, 1, top-2, top-1, top), pb.DeletionFile_ARROW_ARRAY},
		{"sparse", randomBitmap(1, 103, 10000), pb.DeletionFile_ARROW_ARRAY},
		{"4999 random", randomBitmap(2, 4999, top), pb.DeletionFile_ARROW_ARRAY},
		{"4999 dense", rangeBitmap(0, 4999), pb.DeletionFile_ARROW_ARRAY},
		{"5000 dense", rangeBitmap(0, 5000), pb.DeletionFile_BITMAP},
		{"5000 random", randomBitmap(3, 5000, top), pb.DeletionFile_BITMAP},
		{"5001 dense", rangeBitmap(0, 5001), pb.DeletionFile_BITMAP},
		{"5001 at the top", rangeBitmap(top-5000, top+1), pb.DeletionFile_BITMAP},
		{"large mixed", roaring.Or(rangeBitmap(1<<20, 1<<21), randomBitmap(4, 100000, top)), pb.DeletionFile_BITMAP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.set.Clone()
			kind, data, err := Encode(tt.set)
			if err != nil {
				t.Fatalf("Encode = %v; want nil", err)
			}
			if kind != tt.wantKind {
				t.Errorf("Encode kind = %v; want %v", kind, tt.wantKind)
			}
			if !tt.set.Equals(before) {
				t.Errorf("Encode modified its input")
			}
			got, err := Decode(kind, data)
			if err != nil {
				t.Fatalf("Decode = %v; want nil", err)
			}
			if !got.Equals(tt.set) {
				t.Errorf("Decode(Encode(set)) has %d rows; want the %d of set", got.GetCardinality(), tt.set.GetCardinality())
			}
		})
	}
}

func TestEncodeEmpty(t *testing.T) {
	tests := []struct {
		name string
		set  *roaring.Bitmap
	}{
		{"nil", nil},
		{"empty", roaring.New()},
		{"emptied", func() *roaring.Bitmap { b := bitmapOf(3); b.Remove(3); return b }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := Encode(tt.set); !errors.Is(err, ErrEmpty) {
				t.Errorf("Encode(%s) = %v; want ErrEmpty", tt.name, err)
			}
		})
	}
}

func TestEncodeArrowWritesWhatPylanceWrites(t *testing.T) {
	set := bitmapOf(9, 3, 4000000000, 7, 0)
	kind, data, err := Encode(set)
	if err != nil || kind != pb.DeletionFile_ARROW_ARRAY {
		t.Fatalf("Encode = %v, %v; want ARROW_ARRAY, nil", kind, err)
	}
	if !bytes.HasPrefix(data, []byte("ARROW1\x00\x00")) || !bytes.HasSuffix(data, []byte("ARROW1")) {
		t.Fatalf("Encode output lacks the Arrow file magic at both ends")
	}
	r, err := ipc.NewFileReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("NewFileReader = %v; want nil", err)
	}
	defer r.Close()
	if !r.Schema().Equal(rowIDSchema) || r.Schema().HasMetadata() {
		t.Errorf("schema = %s; want %s", r.Schema(), rowIDSchema)
	}
	if r.NumRecords() != 1 {
		t.Fatalf("batches = %d; want 1", r.NumRecords())
	}
	rec, err := r.Record(0)
	if err != nil {
		t.Fatalf("Record(0) = %v; want nil", err)
	}
	got := rec.Column(0).(*array.Uint32).Uint32Values()
	want := []uint32{0, 3, 7, 9, 4000000000}
	if !slices.Equal(got, want) {
		t.Errorf("row_id = %v; want %v (ascending)", got, want)
	}
	if !bytes.Contains(data, []byte{0x28, 0xb5, 0x2f, 0xfd}) {
		t.Errorf("no ZSTD frame in the file; want ZSTD body compression as pylance writes")
	}
}

func TestEncodeBitmapHasNoRunContainers(t *testing.T) {
	set := rangeBitmap(0, 70000) // AddRange makes run containers
	set.RunOptimize()
	if !set.HasRunCompression() {
		t.Fatalf("test set has no run containers; the test needs some")
	}
	kind, data, err := Encode(set)
	if err != nil || kind != pb.DeletionFile_BITMAP {
		t.Fatalf("Encode = %v, %v; want BITMAP, nil", kind, err)
	}
	// 12346 is the cookie of the format without run containers, the one
	// roaring-rs (and so pylance) writes.
	if got := uint32(data[0]) | uint32(data[1])<<8 | uint32(data[2])<<16 | uint32(data[3])<<24; got != 12346 {
		t.Errorf("cookie = %d; want 12346 (no run containers)", got)
	}
	if !set.HasRunCompression() {
		t.Errorf("Encode changed its input's containers")
	}
}

func TestArrowNoLeaks(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	data, err := encodeArrow(mem, []uint32{1, 2, 3, 1000})
	if err != nil {
		t.Fatalf("encodeArrow = %v; want nil", err)
	}
	mem.AssertSize(t, 0)
	bm, err := decodeArrow(mem, data)
	if err != nil {
		t.Fatalf("decodeArrow = %v; want nil", err)
	}
	mem.AssertSize(t, 0)
	if got := bm.ToArray(); !slices.Equal(got, []uint32{1, 2, 3, 1000}) {
		t.Errorf("decoded %v; want [1 2 3 1000]", got)
	}
}
