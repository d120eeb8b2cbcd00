// Package deletion reads and writes Lance deletion files, which hold the
// 0-based offsets of the deleted rows of one fragment.
//
// # Kinds
//
// A manifest's pb.DeletionFile names the kind of its file:
//
//   - ARROW_ARRAY (".arrow"): an Arrow IPC file (the random-access file
//     format, not the stream format) holding exactly one record batch whose
//     schema is exactly one field, row_id: uint32, not nullable, with no
//     metadata. pylance writes the offsets in hash-set order with ZSTD body
//     compression; readers accept any order, duplicates, any IPC body
//     compression, and reject nulls.
//   - BITMAP (".bin"): a 32-bit RoaringBitmap in the portable serialization
//     that the Roaring implementations share.
//
// pylance writes ARROW_ARRAY for small sets and BITMAP for large ones; Encode
// chooses the same way (see BitmapThreshold) and writes the same bytes a
// pylance writer would for the kind, except that its Arrow offsets are
// sorted. Lance never writes a deletion file for an empty set: a fragment
// without deletions has no DeletionFile.
//
// # Location
//
// A deletion file lives at _deletions/{fragment_id}-{read_version}-{id}.{ext}
// under the dataset root, where read_version is the dataset version the
// deleting transaction read and id is a random uint64. Deletion files are
// immutable: deleting more rows of a fragment writes a new file holding the
// union.
//
// # Untrusted input
//
// Decode treats its input as untrusted. Corrupt, truncated or foreign bytes
// yield an error wrapping ErrCorrupt, never a panic. The Arrow IPC reader
// panics on some malformed files and sizes some allocations from unchecked
// flatbuffer lengths, so Decode first checks the file's footer and schema
// with bounds-checked reads of its own, then lets the reader decode the
// batch with an allocator capped relative to the file's size, and recovers
// any panic at this package's boundary. One bound it cannot set: a ZSTD
// frame may make the decompressor reserve a window of up to 512 MiB.
package deletion
