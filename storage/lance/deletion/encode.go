package deletion

import (
	"errors"
	"fmt"
	"io"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/pb"
)

// Encode returns the kind and bytes of the deletion file that records the
// deleted row offsets, choosing the kind as pylance does: ARROW_ARRAY, an
// Arrow IPC file with ZSTD body compression and the offsets in ascending
// order, below BitmapThreshold rows, and BITMAP, a portable roaring bitmap
// without run containers (as roaring-rs writes it), from it on. An empty or nil set is ErrEmpty:
// Lance records no deletion file for a fragment without deletions. Encode
// does not modify deleted.
func Encode(deleted *roaring.Bitmap) (pb.DeletionFile_DeletionFileType, []byte, error) {
	if deleted == nil || deleted.IsEmpty() {
		return 0, nil, fmt.Errorf("deletion: encode: %w", ErrEmpty)
	}
	if deleted.GetCardinality() >= BitmapThreshold {
		return pb.DeletionFile_BITMAP, encodeBitmap(deleted), nil
	}
	data, err := encodeArrow(memory.DefaultAllocator, deleted.ToArray())
	return pb.DeletionFile_ARROW_ARRAY, data, err
}

// encodeArrow writes the offsets as an ARROW_ARRAY file, allocating Arrow
// buffers from mem and releasing them all before it returns.
func encodeArrow(mem memory.Allocator, offsets []uint32) ([]byte, error) {
	b := array.NewUint32Builder(mem)
	defer b.Release()
	b.AppendValues(offsets, nil)
	col := b.NewUint32Array()
	defer col.Release()
	rec := array.NewRecord(rowIDSchema, []arrow.Array{col}, int64(col.Len()))
	defer rec.Release()

	var out appendBuffer
	w, err := ipc.NewFileWriter(&out, ipc.WithSchema(rowIDSchema), ipc.WithAllocator(mem), ipc.WithZstd())
	if err != nil {
		return nil, fmt.Errorf("deletion: encode arrow: %w", err)
	}
	if err := w.Write(rec); err != nil {
		w.Close()
		return nil, fmt.Errorf("deletion: encode arrow: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("deletion: encode arrow: %w", err)
	}
	return out.b, nil
}

// appendBuffer is an in-memory io.WriteSeeker that only appends: the Arrow
// file writer seeks merely to learn its position.
type appendBuffer struct {
	b []byte
}

// Write implements io.Writer.
func (a *appendBuffer) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}

// Seek implements io.Seeker for positions at the end of the buffer.
func (a *appendBuffer) Seek(offset int64, whence int) (int64, error) {
	var pos int64
	switch whence {
	case io.SeekStart:
		pos = offset
	case io.SeekCurrent, io.SeekEnd:
		pos = int64(len(a.b)) + offset
	default:
		return 0, fmt.Errorf("deletion: seek whence %d", whence)
	}
	if pos != int64(len(a.b)) {
		return 0, errors.New("deletion: append buffer cannot seek away from its end")
	}
	return pos, nil
}
