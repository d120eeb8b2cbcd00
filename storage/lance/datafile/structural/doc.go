// Package structural decodes the pages of Lance 2.1 and 2.2 data files into
// Arrow arrays, and encodes flat columns and lists of flat types into such
// pages.
//
// # Pages, layouts and compression
//
// In the 2.1+ formats every leaf field of the schema is one column, and a
// column is a sequence of pages. A page's encoding is a PageLayout: the
// structural encoding, which says how rows, repetition/definition levels
// and values are arranged in the page's buffers. Inside it, trees of
// CompressiveEncoding say how the values (and the levels, and the
// dictionary) are compressed. DecodePage is the only entry point; the data
// file reader in the parent package fetches a page's buffers, in the order
// of the page's buffer list, and hands them here with the layout and the
// page's row count.
//
// There are three layouts, plus one wrapper this package does not read:
//
//   - Mini-block (miniblock.go) is the default for values up to a few
//     hundred bytes. Buffer 0 holds a metadata word per chunk (16 bits in
//     2.1, 32 bits in 2.2 pages with has_large_chunk): the log2 of the
//     chunk's value count in the low 4 bits and its size in 8-byte words,
//     less one, above. Buffer 1 holds the chunks; each is a small header
//     (level count, level sizes, value buffer sizes: u16, or u32 for large
//     chunks), then the repetition levels, definition levels and value
//     buffers, each padded to 8 bytes. Buffer 2 holds the dictionary when
//     the layout has one (dictionary.go), and the last buffer the
//     repetition index when repetition_index_depth > 0 (ignored: a full
//     scan does not need it).
//   - Full-zip (fullzip.go) is used for large values such as vectors and
//     long strings. Buffer 0 zips each level's control word (repetition and
//     definition bits packed in 0 to 4 bytes) with its value: fixed-width
//     values for every visible item, variable-width values (a length and
//     the bytes) for valid items only. Buffer 1 is the repetition index,
//     ignored. Without levels a fixed-width page is a plain array, which is
//     returned without copying.
//   - Constant (constant.go) is a page whose visible values are one scalar
//     (inline in the layout, or in a scalar buffer) or all null; 2.1 calls
//     the same message, without a value, the all-null layout. Its optional
//     buffers are raw or compressed levels.
//   - Blob (large values stored out of line) is reported as unsupported.
//
// The compressive encodings decoded are Flat, Variable, Constant,
// InlineBitpacking and OutOfLineBitpacking (FastLanes, in the fastlanes
// sub-package), Fsst (in the fsst sub-package), Rle, ByteStreamSplit,
// General (zstd and lz4, in general.go), FixedSizeList (with or without
// item validity) and the mini-block dictionary. Each is decoded in the
// contexts Lance writes it: inside mini-block chunks (compressive.go,
// variable.go), as whole blocks for dictionaries and levels (block.go), and
// per value in full-zip pages. PackedStruct, VariablePackedStruct and the
// 2.3 Range and Delta encodings are reported as unsupported.
//
// # Levels and validity
//
// Structure above the values is expressed with repetition and definition
// levels rather than validity bitmaps and offsets (repdef.go, lists.go).
// A page's layers list the meaning of each level of structure, innermost
// first. A definition level of 0 means the item and all its parents are
// valid; higher levels number the null (and empty-list) states of the
// layers from the inside out. So for a flat column, which has a single
// item layer, the definition levels are the inverse of the validity
// bitmap; a list column adds a repetition level per item, 1 where a row
// starts, and levels without an item for its null and empty lists.
//
// # What is decoded
//
// Flat columns of every fixed-width type (integers, floats, float16,
// dates, times, timestamps, durations, decimals, fixed-size binary), bool,
// string, binary and their large variants, and fixed-size lists of
// fixed-width or bool items (vectors), nullable or not, with null items
// or not. Lists and large lists whose items are one of those flat types.
// Struct children and deeper nesting (lists of lists, lists of structs)
// return ErrUnsupported naming the page's layers; so do layouts and
// encodings not listed above.
//
// # What is encoded
//
// EncodePage (encode.go) writes one page of a flat column of any of the
// flat types above, or of a list of a fixed-width, bool, string or binary
// type (encode_list.go: item and list layers, mini-block chunks with
// bitpacked repetition and definition levels and a repetition index, or
// full-zip for items of 256 bytes or more, or the constant layout with
// raw levels when no item is valid; a list page holds at most
// MaxListPageRows rows), choosing layouts as pylance does by default: all-null
// pages as the constant (2.1: all-null) layout, values under 256 bytes as
// mini-block chunks (Flat, inline bitpacking for integers when it saves
// space, Variable for strings, FixedSizeList for vectors; definition
// levels bitpacked out of line), wider values (long strings, vectors of
// 256 bytes or more) as full-zip. 2.2 mini-block pages use the large-chunk
// grammar, which pylance 14 requires of every 2.2 mini-block page. The
// files encode_*.go hold one layout or codec each; they write nothing this
// package's decoder, or pylance, does not read.
//
// Every length, count, offset, bit width and buffer index that comes from
// the page is checked before use: malformed input yields an error wrapping
// ErrCorrupt, never a panic. Decoded arrays are built with the caller's
// allocator, except that a level-free full-zip page of fixed-width values
// aliases its input buffer. On a big-endian host DecodePage and EncodePage
// return ErrUnsupported.
package structural

import (
	"errors"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// ErrCorrupt reports page bytes that contradict their layout. Test it with
// errors.Is.
var ErrCorrupt = errors.New("corrupt lance data file")

// ErrUnsupported reports a layout, compression or type this package does
// not decode. Test it with errors.Is.
var ErrUnsupported = errors.New("unsupported lance data file feature")

// DecodePage decodes one page into an array of type dt with numRows rows.
// bufs are the page's buffers in the order of the page's buffer list; the
// returned array may alias them, so the caller must not modify them
// afterwards. The caller owns the returned array and must Release it.
func DecodePage(mem memory.Allocator, dt arrow.DataType, layout *enc21.PageLayout, numRows uint64, bufs [][]byte) (arrow.Array, error) {
	if err := checkHost(); err != nil {
		return nil, err
	}
	t, err := newTarget(dt)
	if err != nil {
		return nil, err
	}
	if numRows > maxRows {
		return nil, fmt.Errorf("%w: page of %d rows", ErrUnsupported, numRows)
	}
	switch l := layout.GetLayout().(type) {
	case *enc21.PageLayout_MiniBlockLayout:
		return decodeMiniBlock(mem, t, l.MiniBlockLayout, numRows, bufs)
	case *enc21.PageLayout_FullZipLayout:
		return decodeFullZip(mem, t, l.FullZipLayout, numRows, bufs)
	case *enc21.PageLayout_ConstantLayout:
		return decodeConstant(mem, t, l.ConstantLayout, numRows, bufs)
	case *enc21.PageLayout_BlobLayout:
		return nil, fmt.Errorf("%w: blob page layout", ErrUnsupported)
	case nil:
		return nil, fmt.Errorf("%w: page layout is empty", ErrCorrupt)
	}
	return nil, fmt.Errorf("%w: page layout %T", ErrUnsupported, layout.GetLayout())
}
