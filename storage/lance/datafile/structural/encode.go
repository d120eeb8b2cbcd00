package structural

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// Encoding.
//
// EncodePage turns one page's worth of a flat column, or of a list of a
// flat type (encode_list.go), into a PageLayout and its buffers, choosing
// the layout the way pylance does by default:
//
//	all rows null                      constant (2.1: all-null) layout, no buffers
//	variable width, longest < 256 B    mini-block, Variable (offsets + bytes)
//	variable width, longest >= 256 B   full-zip, Variable, with a repetition index
//	fixed-size list, row < 256 B       mini-block, FixedSizeList of Flat
//	fixed-size list, row >= 256 B      full-zip, FixedSizeList of Flat
//	integers (8-64 bits)               mini-block, inline bitpacking when it
//	                                   saves space, otherwise Flat
//	other fixed width, bool            mini-block, Flat (full-zip from 256 B)
//
// A page with nulls has one nullable item layer: mini-block chunks carry
// their definition levels bitpacked out of line at width 1, and full-zip
// rows a one-byte control word. Pages without nulls have an all-valid
// layer and no levels. 2.2 pages use the large-chunk mini-block grammar
// (u32 chunk metadata and buffer sizes), which pylance 14 writes for every
// 2.2 mini-block page. Dictionaries, FSST, RLE and general compression are
// not written.

// Version is the minor version of the 2.x data file format a page is
// encoded for.
type Version int

// The versions EncodePage writes.
const (
	V2_1 Version = 1
	V2_2 Version = 2
)

// EncodeOptions configures EncodePage.
type EncodeOptions struct {
	// Version is the file format version; it must be V2_1 or V2_2.
	Version Version
}

// EncodedPage is one encoded page.
type EncodedPage struct {
	// Layout is the page's encoding, stored as
	// Any("/lance.encodings21.PageLayout").
	Layout *enc21.PageLayout
	// Buffers are the page's buffers in the order of the page's buffer
	// list. They may alias the input arrays, so they are valid only while
	// those are.
	Buffers [][]byte
	// Rows is the number of rows in the page.
	Rows uint64
}

// Encodable reports whether EncodePage encodes values of type dt: nil, or
// an error wrapping ErrUnsupported.
func Encodable(dt arrow.DataType) error {
	t, err := newTarget(dt)
	if err != nil {
		return err
	}
	if t.shape == shapeList {
		switch t.elem.shape {
		case shapeFixed, shapeBool, shapeVariable:
		default:
			return fmt.Errorf("%w: writing %s", ErrUnsupported, dt)
		}
	}
	return nil
}

// EncodePage encodes the rows of chunks, arrays of type dt that together
// form one page, as a page of a 2.1 or 2.2 data file. The chunks are not
// retained, but the returned buffers may alias them.
func EncodePage(dt arrow.DataType, chunks []arrow.Array, opts EncodeOptions) (page *EncodedPage, err error) {
	if err := checkHost(); err != nil {
		return nil, err
	}
	if opts.Version != V2_1 && opts.Version != V2_2 {
		return nil, fmt.Errorf("%w: encoding for format version 2.%d", ErrUnsupported, opts.Version)
	}
	if err := Encodable(dt); err != nil {
		return nil, err
	}
	t, _ := newTarget(dt)
	for _, a := range chunks {
		if !arrow.TypeEqual(a.DataType(), dt) {
			return nil, fmt.Errorf("structural: encoding a page of %s: chunk of type %s", dt, a.DataType())
		}
	}
	// A panic here is a bug; report it rather than take the caller down.
	defer func() {
		if r := recover(); r != nil {
			page, err = nil, fmt.Errorf("structural: encoding a page of %s failed: %v", dt, r)
		}
	}()
	if t.shape == shapeList {
		ls, err := gatherList(t, chunks)
		if err != nil {
			return nil, err
		}
		e := &pageEncoder{large: opts.Version >= V2_2}
		layout, bufs, err := e.encodeList(ls)
		if err != nil {
			return nil, fmt.Errorf("structural: encoding a page of %s: %w", dt, err)
		}
		return &EncodedPage{Layout: layout, Buffers: bufs, Rows: uint64(ls.rows)}, nil
	}
	src, err := gatherPage(t, chunks)
	if err != nil {
		return nil, err
	}
	e := &pageEncoder{src: src, large: opts.Version >= V2_2}
	layout, bufs, err := e.encode()
	if err != nil {
		return nil, fmt.Errorf("structural: encoding a page of %s: %w", dt, err)
	}
	return &EncodedPage{Layout: layout, Buffers: bufs, Rows: uint64(src.n)}, nil
}

// Thresholds of the layout choice, as pylance's defaults.
const (
	// fullZipMinBytes is the value size from which values are full-zipped
	// rather than put in mini-blocks.
	fullZipMinBytes = 256
)

// pageEncoder encodes one gathered page.
type pageEncoder struct {
	src   *pageSource
	large bool // 2.2 mini-block grammar
}

// layers is the page's single item layer.
func (e *pageEncoder) layers() []enc21.RepDefLayer {
	if e.src.nulls > 0 {
		return []enc21.RepDefLayer{enc21.RepDefLayer_REPDEF_NULLABLE_ITEM}
	}
	return []enc21.RepDefLayer{enc21.RepDefLayer_REPDEF_ALL_VALID_ITEM}
}

func (e *pageEncoder) encode() (*enc21.PageLayout, [][]byte, error) {
	s := e.src
	t := s.t
	if s.n == 0 {
		return nil, nil, fmt.Errorf("%w: empty page", ErrUnsupported)
	}
	if s.nulls == s.n {
		return allNullLayout(), nil, nil
	}
	switch t.shape {
	case shapeVariable:
		if s.maxLen >= fullZipMinBytes {
			return e.fullZipVariable()
		}
		return e.miniVariable()
	case shapeFSL:
		if t.byteWidth > 0 && t.rowBits()/8 >= fullZipMinBytes {
			return e.fullZipFixed()
		}
		return e.miniFixed()
	case shapeFixed:
		if t.byteWidth >= fullZipMinBytes {
			return e.fullZipFixed()
		}
		if bitpackable(t) {
			if l, bufs, ok, err := e.miniBitpacked(); ok || err != nil {
				return l, bufs, err
			}
		}
		return e.miniFixed()
	case shapeBool:
		return e.miniFixed()
	}
	return nil, nil, fmt.Errorf("%w: writing %s", ErrUnsupported, t.dt)
}

// allNullLayout is the layout of a page whose rows are all null: the
// constant layout without a value (2.1 reads the same message as its
// all-null layout).
func allNullLayout() *enc21.PageLayout {
	return &enc21.PageLayout{Layout: &enc21.PageLayout_ConstantLayout{ConstantLayout: &enc21.ConstantLayout{
		Layers: []enc21.RepDefLayer{enc21.RepDefLayer_REPDEF_NULLABLE_ITEM},
	}}}
}

// Compressive encoding constructors.

func flatEncoding(bits int) *enc21.CompressiveEncoding {
	return &enc21.CompressiveEncoding{Compression: &enc21.CompressiveEncoding_Flat{Flat: &enc21.Flat{BitsPerValue: uint64(bits)}}}
}

func fslEncoding(dim, itemBits int, hasValidity bool) *enc21.CompressiveEncoding {
	return &enc21.CompressiveEncoding{Compression: &enc21.CompressiveEncoding_FixedSizeList{FixedSizeList: &enc21.FixedSizeList{
		ItemsPerValue: uint64(dim),
		Values:        flatEncoding(itemBits),
		HasValidity:   hasValidity,
	}}}
}

func variableEncoding(offsetBits int) *enc21.CompressiveEncoding {
	return &enc21.CompressiveEncoding{Compression: &enc21.CompressiveEncoding_Variable{Variable: &enc21.Variable{
		Offsets: flatEncoding(offsetBits),
	}}}
}

func inlineBitpackingEncoding(bits int) *enc21.CompressiveEncoding {
	return &enc21.CompressiveEncoding{Compression: &enc21.CompressiveEncoding_InlineBitpacking{InlineBitpacking: &enc21.InlineBitpacking{
		UncompressedBitsPerValue: uint64(bits),
	}}}
}

func outOfLineBitpackingEncoding(bits, width int) *enc21.CompressiveEncoding {
	return &enc21.CompressiveEncoding{Compression: &enc21.CompressiveEncoding_OutOfLineBitpacking{OutOfLineBitpacking: &enc21.OutOfLineBitpacking{
		UncompressedBitsPerValue: uint64(bits),
		Values:                   flatEncoding(width),
	}}}
}
