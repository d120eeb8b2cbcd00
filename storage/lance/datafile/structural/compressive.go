package structural

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow/bitutil"

	"github.com/lancegate/lancegate/storage/lance/datafile/structural/fastlanes"
	"github.com/lancegate/lancegate/storage/lance/datafile/structural/fsst"
	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// maxDepth bounds the nesting of compressive encodings, which a hostile
// protobuf could make arbitrarily deep.
const maxDepth = 8

// decoder holds the state of decoding one page: scratch space reused from
// chunk to chunk so that the hot loops do not allocate.
type decoder struct {
	t *target

	general [maxDepth][]byte // decompressed buffers, by nesting depth
	bufs    [maxDepth][][]byte

	// Alignment copies and unpacked FastLanes blocks.
	w8  []uint8
	w16 []uint16
	w32 []uint32
	w64 []uint64
	b8  [fastlanes.BlockLen]uint8
	b16 [fastlanes.BlockLen]uint16
	b32 [fastlanes.BlockLen]uint32
	b64 [fastlanes.BlockLen]uint64

	// Levels of the current chunk.
	lvl, lvlRep []uint16

	// Variable-width scratch: relative offsets and decoded bytes.
	vOffs  []uint64
	vOffs2 []uint64
	vData  []byte

	fsstTables map[*enc21.Fsst]*fsst.Table

	// List pages: what the levels mean, and where they are collected.
	lists  *listLevels
	levels *levelSink
}

func newDecoder(t *target) *decoder { return &decoder{t: t} }

// fixedDst is where fixed-width values go: bits of b from bit position
// bit. When out is set, fixed-size-list item validity goes to out too.
type fixedDst struct {
	b   []byte
	bit int
	out *output
}

// swapFirst returns bufs with its first buffer replaced by b, in scratch
// space of the given depth.
func (d *decoder) swapFirst(depth int, bufs [][]byte, b []byte) [][]byte {
	s := append(d.bufs[depth][:0], b)
	s = append(s, bufs[1:]...)
	d.bufs[depth] = s
	return s
}

// compressed decompresses b with c when c is set.
func (d *decoder) compressed(c *enc21.BufferCompression, b []byte, depth int) ([]byte, error) {
	if c == nil {
		return b, nil
	}
	out, err := decompress(c, b, d.general[depth])
	if err != nil {
		return nil, err
	}
	d.general[depth] = out
	return out, nil
}

// checkBufs reports whether a codec that needs k buffers got them.
func checkBufs(what string, bufs [][]byte, k int) error {
	if len(bufs) < k {
		return fmt.Errorf("%w: %s needs %d buffers, chunk has %d", ErrCorrupt, what, k, len(bufs))
	}
	return nil
}

// miniFixed decodes n fixed-width values of bits bits each from the
// buffers of one mini-block chunk into dst.
func (d *decoder) miniFixed(e *enc21.CompressiveEncoding, bufs [][]byte, n, bits int, dst fixedDst, depth int) error {
	if depth >= maxDepth {
		return fmt.Errorf("%w: compressive encoding nested too deeply", ErrCorrupt)
	}
	if need := (uint64(dst.bit) + uint64(n)*uint64(bits) + 7) / 8; need > uint64(len(dst.b)) {
		return fmt.Errorf("%w: %d values overflow the page", ErrCorrupt, n)
	}
	switch c := e.GetCompression().(type) {
	case *enc21.CompressiveEncoding_Flat:
		if err := checkBufs("flat", bufs, 1); err != nil {
			return err
		}
		if c.Flat.GetBitsPerValue() != uint64(bits) {
			return fmt.Errorf("%w: flat values of %d bits, expected %d", ErrCorrupt, c.Flat.GetBitsPerValue(), bits)
		}
		src, err := d.compressed(c.Flat.Data, bufs[0], depth)
		if err != nil {
			return err
		}
		return copyFixed(src, n, bits, dst)
	case *enc21.CompressiveEncoding_InlineBitpacking:
		if err := checkBufs("inline bitpacking", bufs, 1); err != nil {
			return err
		}
		ib := c.InlineBitpacking
		if ib.GetUncompressedBitsPerValue() != uint64(bits) {
			return fmt.Errorf("%w: bitpacked values of %d bits, expected %d", ErrCorrupt, ib.GetUncompressedBitsPerValue(), bits)
		}
		src, err := d.compressed(ib.Values, bufs[0], depth)
		if err != nil {
			return err
		}
		_, err = d.unpackInline(src, n, bits, dst.b[dst.bit/8:])
		return err
	case *enc21.CompressiveEncoding_Rle:
		return d.rle(c.Rle, bufs, n, bits, dst)
	case *enc21.CompressiveEncoding_ByteStreamSplit:
		return d.byteStreamSplit(c.ByteStreamSplit, bufs, n, bits, dst)
	case *enc21.CompressiveEncoding_General:
		g := c.General
		if err := checkBufs("general", bufs, 1); err != nil {
			return err
		}
		b, err := decompress(g.Compression, bufs[0], d.general[depth])
		if err != nil {
			return err
		}
		d.general[depth] = b
		return d.miniFixed(g.Values, d.swapFirst(depth, bufs, b), n, bits, dst, depth+1)
	case *enc21.CompressiveEncoding_FixedSizeList:
		return d.miniFSL(c.FixedSizeList, bufs, n, bits, dst, depth)
	case nil:
		return fmt.Errorf("%w: empty compressive encoding", ErrCorrupt)
	default:
		return fmt.Errorf("%w: %s compression of fixed-width mini-block values", ErrUnsupported, encodingName(e))
	}
}

// copyFixed copies n values of bits bits from src to dst.
func copyFixed(src []byte, n, bits int, dst fixedDst) error {
	switch {
	case bits == 1:
		if len(src) < (n+7)/8 {
			return fmt.Errorf("%w: %d bytes of bits for %d values", ErrCorrupt, len(src), n)
		}
		if dst.bit%8 == 0 {
			nb := n / 8
			copy(dst.b[dst.bit/8:], src[:nb])
			if r := n % 8; r != 0 {
				bitutil.CopyBitmap(src, nb*8, r, dst.b, dst.bit+nb*8)
			}
			return nil
		}
		bitutil.CopyBitmap(src, 0, n, dst.b, dst.bit)
		return nil
	case bits%8 == 0:
		nb := n * (bits / 8)
		if len(src) < nb {
			return fmt.Errorf("%w: %d bytes for %d values of %d bits", ErrCorrupt, len(src), n, bits)
		}
		copy(dst.b[dst.bit/8:], src[:nb])
		return nil
	}
	return fmt.Errorf("%w: flat values of %d bits", ErrUnsupported, bits)
}

// unpackInline decodes one FastLanes block whose bit width is stored in its
// first word, copies its first n values to dst, and returns the bytes the
// block took.
func (d *decoder) unpackInline(src []byte, n, bits int, dst []byte) (int, error) {
	if n > fastlanes.BlockLen {
		return 0, fmt.Errorf("%w: %d values in one bitpacked chunk", ErrCorrupt, n)
	}
	switch bits {
	case 8:
		return unpackBlock(src, n, dst, &d.w8, &d.b8)
	case 16:
		return unpackBlock(src, n, dst, &d.w16, &d.b16)
	case 32:
		return unpackBlock(src, n, dst, &d.w32, &d.b32)
	case 64:
		return unpackBlock(src, n, dst, &d.w64, &d.b64)
	}
	return 0, fmt.Errorf("%w: bitpacking of %d-bit values", ErrUnsupported, bits)
}

func unpackBlock[T fastlanes.Unsigned](src []byte, n int, dst []byte, scratch *[]T, blk *[fastlanes.BlockLen]T) (int, error) {
	size := len(bytesOf(blk[:1]))
	if len(src) < size {
		return 0, fmt.Errorf("%w: bitpacked chunk of %d bytes", ErrCorrupt, len(src))
	}
	width := readUint(src, size)
	if width > uint64(8*size) {
		return 0, fmt.Errorf("%w: bit width %d for %d-bit values", ErrCorrupt, width, 8*size)
	}
	words := fastlanes.WordsPerBlock[T](int(width))
	used := size * (1 + words)
	if len(src) < used {
		return 0, fmt.Errorf("%w: bitpacked chunk of %d bytes, width %d needs %d", ErrCorrupt, len(src), width, used)
	}
	in := viewAs(src[size:used], scratch)
	if n == fastlanes.BlockLen {
		if out, ok := alignedView[T](dst[:n*size]); ok {
			fastlanes.Unpack(int(width), in, (*[fastlanes.BlockLen]T)(out))
			return used, nil
		}
	}
	fastlanes.Unpack(int(width), in, blk)
	copy(dst, bytesOf(blk[:n]))
	return used, nil
}

// rle expands run values and run lengths.
func (d *decoder) rle(r *enc21.Rle, bufs [][]byte, n, bits int, dst fixedDst) error {
	if err := checkBufs("rle", bufs, 2); err != nil {
		return err
	}
	vf, lf := r.GetValues().GetFlat(), r.GetRunLengths().GetFlat()
	if vf == nil || lf == nil {
		return fmt.Errorf("%w: rle with values %s and run lengths %s", ErrUnsupported, encodingName(r.GetValues()), encodingName(r.GetRunLengths()))
	}
	if vf.GetBitsPerValue() != uint64(bits) || bits%8 != 0 || bits == 0 {
		return fmt.Errorf("%w: rle values of %d bits, expected %d", ErrCorrupt, vf.GetBitsPerValue(), bits)
	}
	lw := int(lf.GetBitsPerValue() / 8)
	if lf.GetBitsPerValue()%8 != 0 || (lw != 1 && lw != 2 && lw != 4) {
		return fmt.Errorf("%w: rle run lengths of %d bits", ErrUnsupported, lf.GetBitsPerValue())
	}
	vals, lens := bufs[0], bufs[1]
	w := bits / 8
	runs := len(vals) / w
	if len(lens)/lw < runs {
		runs = len(lens) / lw
	}
	out := dst.b[dst.bit/8 : dst.bit/8+n*w]
	pos := 0
	for r := 0; r < runs && pos < len(out); r++ {
		k := int(readUint(lens[r*lw:], lw)) * w
		if k > len(out)-pos {
			k = len(out) - pos
		}
		v := vals[r*w : r*w+w]
		switch w {
		case 1:
			b := v[0]
			seg := out[pos : pos+k]
			for i := range seg {
				seg[i] = b
			}
		default:
			fillRepeat(out[pos:pos+k], v)
		}
		pos += k
	}
	if pos != len(out) {
		return fmt.Errorf("%w: rle runs cover %d of %d values", ErrCorrupt, pos/w, n)
	}
	return nil
}

// fillRepeat fills dst with copies of v; len(dst) is a multiple of len(v).
func fillRepeat(dst, v []byte) {
	if len(dst) == 0 {
		return
	}
	k := copy(dst, v)
	for k < len(dst) {
		k += copy(dst[k:], dst[:k])
	}
}

// byteStreamSplit reassembles values whose bytes were split into streams.
func (d *decoder) byteStreamSplit(b *enc21.ByteStreamSplit, bufs [][]byte, n, bits int, dst fixedDst) error {
	if err := checkBufs("byte stream split", bufs, 1); err != nil {
		return err
	}
	f := b.GetValues().GetFlat()
	if f == nil || f.GetBitsPerValue() != uint64(bits) || bits%8 != 0 || bits == 0 {
		return fmt.Errorf("%w: byte stream split of %s values, expected %d bits", ErrCorrupt, encodingName(b.GetValues()), bits)
	}
	w := bits / 8
	src := bufs[0]
	if len(src) < n*w {
		return fmt.Errorf("%w: byte stream split of %d bytes for %d values", ErrCorrupt, len(src), n)
	}
	out := dst.b[dst.bit/8 : dst.bit/8+n*w]
	for k := 0; k < w; k++ {
		s := src[k*n : k*n+n]
		for i, c := range s {
			out[i*w+k] = c
		}
	}
	return nil
}

// miniFSL decodes fixed-size-list rows: the flattened items, preceded by
// an item validity bitmap when the list has one.
func (d *decoder) miniFSL(f *enc21.FixedSizeList, bufs [][]byte, n, bits int, dst fixedDst, depth int) error {
	dim := int(f.GetItemsPerValue())
	if d.t.shape != shapeFSL || dim != d.t.dim || bits != d.t.rowBits() {
		return fmt.Errorf("%w: fixed-size list of %d items for type %s", ErrCorrupt, f.GetItemsPerValue(), d.t.dt)
	}
	item := d.t.itemBits()
	if f.GetHasValidity() {
		if err := checkBufs("fixed-size list validity", bufs, 2); err != nil {
			return err
		}
		v := bufs[0]
		if len(v) < (n*dim+7)/8 {
			return fmt.Errorf("%w: fixed-size list validity of %d bytes for %d items", ErrCorrupt, len(v), n*dim)
		}
		if dst.out != nil {
			bitutil.CopyBitmap(v, 0, n*dim, dst.out.itemValidBits(), dst.bit/item)
		}
		bufs = bufs[1:]
	}
	return d.miniFixed(f.GetValues(), bufs, n*dim, item, dst, depth+1)
}

// encodingName names the compression of e for error messages.
func encodingName(e *enc21.CompressiveEncoding) string {
	switch e.GetCompression().(type) {
	case *enc21.CompressiveEncoding_Flat:
		return "flat"
	case *enc21.CompressiveEncoding_Variable:
		return "variable"
	case *enc21.CompressiveEncoding_Constant:
		return "constant"
	case *enc21.CompressiveEncoding_OutOfLineBitpacking:
		return "out-of-line bitpacking"
	case *enc21.CompressiveEncoding_InlineBitpacking:
		return "inline bitpacking"
	case *enc21.CompressiveEncoding_Fsst:
		return "fsst"
	case *enc21.CompressiveEncoding_Dictionary:
		return "dictionary"
	case *enc21.CompressiveEncoding_Rle:
		return "rle"
	case *enc21.CompressiveEncoding_ByteStreamSplit:
		return "byte stream split"
	case *enc21.CompressiveEncoding_General:
		return "general"
	case *enc21.CompressiveEncoding_FixedSizeList:
		return "fixed-size list"
	case *enc21.CompressiveEncoding_PackedStruct:
		return "packed struct"
	case *enc21.CompressiveEncoding_VariablePackedStruct:
		return "variable packed struct"
	case *enc21.CompressiveEncoding_Range:
		return "range"
	case *enc21.CompressiveEncoding_Delta:
		return "delta"
	case nil:
		return "no"
	}
	return fmt.Sprintf("%T", e.GetCompression())
}

// declaredBits returns the width of the values a fixed-width encoding
// produces, or 0 if it does not say.
func declaredBits(e *enc21.CompressiveEncoding) int {
	for i := 0; i < maxDepth && e != nil; i++ {
		switch c := e.GetCompression().(type) {
		case *enc21.CompressiveEncoding_Flat:
			return clampBits(c.Flat.GetBitsPerValue())
		case *enc21.CompressiveEncoding_InlineBitpacking:
			return clampBits(c.InlineBitpacking.GetUncompressedBitsPerValue())
		case *enc21.CompressiveEncoding_OutOfLineBitpacking:
			return clampBits(c.OutOfLineBitpacking.GetUncompressedBitsPerValue())
		case *enc21.CompressiveEncoding_Rle:
			e = c.Rle.GetValues()
		case *enc21.CompressiveEncoding_ByteStreamSplit:
			e = c.ByteStreamSplit.GetValues()
		case *enc21.CompressiveEncoding_General:
			e = c.General.GetValues()
		default:
			return 0
		}
	}
	return 0
}

func clampBits(b uint64) int {
	if b > 1<<16 {
		return 0
	}
	return int(b)
}
