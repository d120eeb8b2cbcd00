package deletion

import (
	"fmt"

	"github.com/lancegate/lancegate/storage/lance/pb"
)

// Dir is the directory, relative to the dataset root, that holds the
// deletion files.
const Dir = "_deletions"

// BitmapThreshold is the number of deleted rows from which Encode writes a
// BITMAP file instead of an ARROW_ARRAY one. Lance builds a deletion vector
// from a batch of n offsets as a bitmap when n >= 5000
// (BITMAP_THRESDHOLD in lance-core's DeletionVector::extend, asserted by its
// test_threshold); a vector grown across several batches switches only
// once it exceeds 5000, so pylance may also write an ARROW_ARRAY file of
// exactly 5000 rows. Both kinds are valid for any size.
const BitmapThreshold = 5000

// Extension returns the file extension, without the dot, of deletion files
// of kind: "arrow" for ARROW_ARRAY and "bin" for BITMAP.
func Extension(kind pb.DeletionFile_DeletionFileType) string {
	if kind == pb.DeletionFile_BITMAP {
		return "bin"
	}
	return "arrow"
}

// Path returns the key, relative to the dataset root, of the deletion file
// of fragment fragmentID written by a transaction that read readVersion,
// with random id id and kind kind.
func Path(fragmentID, readVersion, id uint64, kind pb.DeletionFile_DeletionFileType) string {
	return fmt.Sprintf("%s/%d-%d-%d.%s", Dir, fragmentID, readVersion, id, Extension(kind))
}
