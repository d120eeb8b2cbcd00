package deletion

import (
	"bytes"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/pb"
)

// Decoding budget: an ARROW_ARRAY file may claim at most
// budgetBase + budgetPerByte*len(data) bytes of decoded buffers. Real files
// need about twice their size (ZSTD shrinks row offsets by less than 2x).
const (
	budgetBase    = 1 << 20
	budgetPerByte = 64
)

// Decode returns the deleted row offsets held by data, the bytes of a
// deletion file of the given kind. Invalid input yields an error wrapping
// ErrCorrupt that says what is wrong.
func Decode(kind pb.DeletionFile_DeletionFileType, data []byte) (*roaring.Bitmap, error) {
	return decode(kind, data, budgetBase+budgetPerByte*len(data))
}

// decode is Decode with an explicit budget, in bytes, for the decoded
// buffers of an ARROW_ARRAY file.
func decode(kind pb.DeletionFile_DeletionFileType, data []byte, budget int) (bm *roaring.Bitmap, err error) {
	defer func() {
		// The Arrow IPC reader (and in places the roaring one) trusts its
		// input; a panic on garbage becomes a corrupt-file error here.
		if r := recover(); r != nil {
			bm = nil
			err = fmt.Errorf("%w: %s file: %v", ErrCorrupt, kindName(kind), r)
		}
	}()
	switch kind {
	case pb.DeletionFile_ARROW_ARRAY:
		return decodeArrow(&budgetAllocator{mem: memory.DefaultAllocator, budget: budget}, data)
	case pb.DeletionFile_BITMAP:
		return decodeBitmap(data)
	}
	return nil, fmt.Errorf("%w: unknown deletion file type %d", ErrCorrupt, kind)
}

// kindName names kind for messages.
func kindName(kind pb.DeletionFile_DeletionFileType) string {
	switch kind {
	case pb.DeletionFile_ARROW_ARRAY:
		return "ARROW_ARRAY"
	case pb.DeletionFile_BITMAP:
		return "BITMAP"
	}
	return fmt.Sprintf("type %d", kind)
}

// decodeArrow reads an ARROW_ARRAY file, allocating its buffers from mem.
func decodeArrow(mem memory.Allocator, data []byte) (*roaring.Bitmap, error) {
	if err := checkFooter(data); err != nil {
		return nil, err
	}
	r, err := ipc.NewFileReader(bytes.NewReader(data), ipc.WithAllocator(mem))
	if err != nil {
		return nil, fmt.Errorf("%w: not an Arrow IPC file: %w", ErrCorrupt, err)
	}
	defer r.Close()
	if !r.Schema().Equal(rowIDSchema) {
		return nil, fmt.Errorf("%w: schema %s; want %s", ErrCorrupt, r.Schema(), rowIDSchema)
	}
	if n := r.NumRecords(); n != 1 {
		return nil, fmt.Errorf("%w: %d record batches; want exactly 1", ErrCorrupt, n)
	}
	rec, err := r.Record(0)
	if err != nil {
		return nil, fmt.Errorf("%w: record batch: %w", ErrCorrupt, err)
	}
	col, ok := rec.Column(0).(*array.Uint32)
	if !ok {
		return nil, fmt.Errorf("%w: row_id column is %s; want uint32", ErrCorrupt, rec.Column(0).DataType())
	}
	if int64(col.Len()) != rec.NumRows() {
		return nil, fmt.Errorf("%w: row_id column has %d values in a batch of %d rows", ErrCorrupt, col.Len(), rec.NumRows())
	}
	if col.NullN() != 0 {
		return nil, fmt.Errorf("%w: %d null row ids; nulls are not allowed", ErrCorrupt, col.NullN())
	}
	if len(col.NullBitmapBytes()) != 0 {
		for i := range col.Len() {
			if col.IsNull(i) {
				return nil, fmt.Errorf("%w: row id %d is null; nulls are not allowed", ErrCorrupt, i)
			}
		}
	}
	bm := roaring.New()
	bm.AddMany(col.Uint32Values())
	return bm, nil
}

// decodeBitmap reads a BITMAP file: one portable roaring bitmap and nothing
// after it.
func decodeBitmap(data []byte) (*roaring.Bitmap, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: empty BITMAP file", ErrCorrupt)
	}
	bm := roaring.New()
	n, err := bm.ReadFrom(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: roaring bitmap: %w", ErrCorrupt, err)
	}
	if n != int64(len(data)) {
		return nil, fmt.Errorf("%w: %d bytes after the roaring bitmap's %d", ErrCorrupt, int64(len(data))-n, n)
	}
	if err := bm.Validate(); err != nil {
		return nil, fmt.Errorf("%w: roaring bitmap: %w", ErrCorrupt, err)
	}
	return bm, nil
}
