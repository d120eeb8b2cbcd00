package structural

import (
	"encoding/binary"

	"github.com/apache/arrow/go/v17/arrow/bitutil"

	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// Full-zip pages (see fullzip.go for the format). A flat page with nulls
// starts every row with a one-byte control word holding its definition
// level (bits_def 1); a page without nulls has no control words.

// fullZipFixed encodes a page of wide fixed-width values (vectors of 256
// bytes or more): every row, null or not, is its control word, its item
// validity bits (when items have nulls) and its values. Without nulls the
// buffer is the values themselves, which are not copied.
func (e *pageEncoder) fullZipFixed() (*enc21.PageLayout, [][]byte, error) {
	s := e.src
	t := s.t
	rb := t.rowBits() / 8
	cw, vb := 0, 0
	if s.nulls > 0 {
		cw = 1
	}
	var values *enc21.CompressiveEncoding
	if t.shape == shapeFSL {
		if s.itemValid != nil {
			vb = (t.dim + 7) / 8
		}
		values = fslEncoding(t.dim, t.itemBits(), vb > 0)
	} else {
		values = flatEncoding(8 * rb)
	}
	var zipped []byte
	if cw == 0 && vb == 0 {
		zipped = s.values[:s.n*rb]
	} else {
		stride := cw + vb + rb
		zipped = make([]byte, s.n*stride)
		for i := 0; i < s.n; i++ {
			row := zipped[i*stride : (i+1)*stride]
			if cw > 0 && !bitutil.BitIsSet(s.valid, i) {
				row[0] = 1
			}
			if vb > 0 {
				bitutil.CopyBitmap(s.itemValid, i*t.dim, t.dim, row[cw:cw+vb], 0)
			}
			copy(row[cw+vb:], s.values[i*rb:(i+1)*rb])
		}
	}
	l := &enc21.FullZipLayout{
		BitsDef:          uint32(cw),
		Details:          &enc21.FullZipLayout_BitsPerValue{BitsPerValue: uint32(8 * (vb + rb))},
		NumItems:         uint32(s.n),
		NumVisibleItems:  uint32(s.n),
		ValueCompression: values,
		Layers:           e.layers(),
	}
	return &enc21.PageLayout{Layout: &enc21.PageLayout_FullZipLayout{FullZipLayout: l}}, [][]byte{zipped}, nil
}

// fullZipVariable encodes a page of long strings or binaries: every row is
// its control word and, when valid, its length (32 bits, or 64 for large
// types) and bytes. Buffer 1 is the repetition index pylance reads for
// random access: the position of every row in buffer 0 and the buffer's
// length, in the narrowest of 1, 2, 4 or 8 bytes that holds them.
func (e *pageEncoder) fullZipVariable() (*enc21.PageLayout, [][]byte, error) {
	s := e.src
	ow := 4
	if s.t.large {
		ow = 8
	}
	cw := 0
	if s.nulls > 0 {
		cw = 1
	}
	total := len(s.data) + s.n*cw + (s.n-s.nulls)*ow
	iw := indexWidth(uint64(total))
	zipped := make([]byte, 0, total)
	index := make([]byte, 0, (s.n+1)*iw)
	for i := 0; i < s.n; i++ {
		index = appendUintN(index, uint64(len(zipped)), iw)
		if cw > 0 && !bitutil.BitIsSet(s.valid, i) {
			zipped = append(zipped, 1)
			continue
		}
		if cw > 0 {
			zipped = append(zipped, 0)
		}
		v := s.data[s.offs[i]:s.offs[i+1]]
		zipped = appendUintN(zipped, uint64(len(v)), ow)
		zipped = append(zipped, v...)
	}
	index = appendUintN(index, uint64(len(zipped)), iw)
	l := &enc21.FullZipLayout{
		BitsDef:          uint32(cw),
		Details:          &enc21.FullZipLayout_BitsPerOffset{BitsPerOffset: uint32(8 * ow)},
		NumItems:         uint32(s.n),
		NumVisibleItems:  uint32(s.n),
		ValueCompression: variableEncoding(8 * ow),
		Layers:           e.layers(),
	}
	return &enc21.PageLayout{Layout: &enc21.PageLayout_FullZipLayout{FullZipLayout: l}}, [][]byte{zipped, index}, nil
}

// indexWidth is the byte width of repetition index entries up to max.
func indexWidth(max uint64) int {
	switch {
	case max <= 0xff:
		return 1
	case max <= 0xffff:
		return 2
	case max <= 0xffffffff:
		return 4
	}
	return 8
}

// appendUintN appends v as a little-endian integer of w bytes.
func appendUintN(dst []byte, v uint64, w int) []byte {
	switch w {
	case 1:
		return append(dst, byte(v))
	case 2:
		return binary.LittleEndian.AppendUint16(dst, uint16(v))
	case 4:
		return binary.LittleEndian.AppendUint32(dst, uint32(v))
	}
	return binary.LittleEndian.AppendUint64(dst, v)
}
