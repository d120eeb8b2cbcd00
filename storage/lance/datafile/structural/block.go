package structural

import (
	"encoding/binary"
	"fmt"

	"github.com/lancegate/lancegate/storage/lance/datafile/structural/fastlanes"
	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// block is a buffer decoded in the block context (dictionaries, levels):
// either n fixed-width values of bits bits, or n variable-width values
// data[offs[i]:offs[i+1]].
type block struct {
	n    int
	bits int // fixed width; 0 for variable width
	data []byte
	offs []uint64
}

// decodeBlock decodes a whole buffer holding n values compressed with e.
// Blocks are small (a page's dictionary or levels), so it allocates.
func decodeBlock(e *enc21.CompressiveEncoding, buf []byte, n int, depth int) (block, error) {
	if depth >= maxDepth {
		return block{}, fmt.Errorf("%w: compressive encoding nested too deeply", ErrCorrupt)
	}
	switch c := e.GetCompression().(type) {
	case *enc21.CompressiveEncoding_Flat:
		bits := clampBits(c.Flat.GetBitsPerValue())
		if bits == 0 || (bits != 1 && bits%8 != 0) {
			return block{}, fmt.Errorf("%w: flat block of %d bits", ErrUnsupported, c.Flat.GetBitsPerValue())
		}
		src, err := maybeDecompress(c.Flat.Data, buf)
		if err != nil {
			return block{}, err
		}
		if need := (uint64(n)*uint64(bits) + 7) / 8; uint64(len(src)) < need {
			return block{}, fmt.Errorf("%w: %d bytes for %d values of %d bits", ErrCorrupt, len(src), n, bits)
		}
		return block{n: n, bits: bits, data: src}, nil
	case *enc21.CompressiveEncoding_Variable:
		src, err := maybeDecompress(c.Variable.Values, buf)
		if err != nil {
			return block{}, err
		}
		return variableBlock(src, n)
	case *enc21.CompressiveEncoding_General:
		out, err := decompress(c.General.GetCompression(), buf, nil)
		if err != nil {
			return block{}, err
		}
		return decodeBlock(c.General.GetValues(), out, n, depth+1)
	case *enc21.CompressiveEncoding_OutOfLineBitpacking:
		return outOfLineBlock(c.OutOfLineBitpacking, buf, n)
	case *enc21.CompressiveEncoding_InlineBitpacking:
		bits := clampBits(c.InlineBitpacking.GetUncompressedBitsPerValue())
		if bits != 8 && bits != 16 && bits != 32 && bits != 64 {
			return block{}, fmt.Errorf("%w: inline bitpacking block of %d-bit values", ErrUnsupported, bits)
		}
		src, err := maybeDecompress(c.InlineBitpacking.Values, buf)
		if err != nil {
			return block{}, err
		}
		// Blocks of 1024 values, each led by its bit width; every block
		// takes at least one word, which bounds n by the buffer.
		if uint64(n) > uint64(len(src))/uint64(bits/8)*fastlanes.BlockLen {
			return block{}, fmt.Errorf("%w: %d bitpacked values in %d bytes", ErrCorrupt, n, len(src))
		}
		out := make([]byte, n*bits/8)
		d := &decoder{}
		for at := 0; at < n; at += fastlanes.BlockLen {
			k := min(fastlanes.BlockLen, n-at)
			used, err := d.unpackInline(src, k, bits, out[at*bits/8:])
			if err != nil {
				return block{}, err
			}
			src = src[used:]
		}
		return block{n: n, bits: bits, data: out}, nil
	case *enc21.CompressiveEncoding_Constant:
		v := c.Constant.GetValue()
		if len(v) == 0 || len(v) > 16 || uint64(n)*uint64(len(v)) > maxDecompressed {
			return block{}, fmt.Errorf("%w: constant block of %d-byte values", ErrUnsupported, len(v))
		}
		out := make([]byte, n*len(v))
		fillRepeat(out, v)
		return block{n: n, bits: 8 * len(v), data: out}, nil
	case *enc21.CompressiveEncoding_Rle:
		return rleBlock(c.Rle, buf, n)
	case *enc21.CompressiveEncoding_FixedSizeList:
		inner, err := decodeBlock(c.FixedSizeList.GetValues(), buf, n*int(min(c.FixedSizeList.GetItemsPerValue(), maxFSLDim)), depth+1)
		if err != nil {
			return block{}, err
		}
		if inner.bits == 0 || c.FixedSizeList.GetHasValidity() {
			return block{}, fmt.Errorf("%w: fixed-size list block with validity or variable items", ErrUnsupported)
		}
		inner.n, inner.bits = n, inner.bits*int(c.FixedSizeList.GetItemsPerValue())
		return inner, nil
	case nil:
		return block{}, fmt.Errorf("%w: empty compressive encoding", ErrCorrupt)
	}
	return block{}, fmt.Errorf("%w: %s compression of a block", ErrUnsupported, encodingName(e))
}

func maybeDecompress(c *enc21.BufferCompression, b []byte) ([]byte, error) {
	if c == nil {
		return b, nil
	}
	return decompress(c, b, nil)
}

// variableBlock reads the block form of variable-width values: the offset
// width in bits (4 bytes, or 8 for 64-bit offsets), the position where the
// value bytes start (same width), n+1 offsets relative to that position,
// then the value bytes.
func variableBlock(src []byte, n int) (block, error) {
	if len(src) < 8 {
		return block{}, fmt.Errorf("%w: variable-width block of %d bytes", ErrCorrupt, len(src))
	}
	var w, hdr int
	var start uint64
	switch binary.LittleEndian.Uint32(src) {
	case 32:
		w, hdr, start = 4, 8, uint64(binary.LittleEndian.Uint32(src[4:]))
	case 64:
		if len(src) < 16 {
			return block{}, fmt.Errorf("%w: variable-width block of %d bytes", ErrCorrupt, len(src))
		}
		w, hdr, start = 8, 16, binary.LittleEndian.Uint64(src[8:])
	default:
		return block{}, fmt.Errorf("%w: variable-width block with %d-bit offsets", ErrUnsupported, binary.LittleEndian.Uint32(src))
	}
	if start > uint64(len(src)) || start < uint64(hdr) || (start-uint64(hdr))/uint64(w) < uint64(n)+1 {
		return block{}, fmt.Errorf("%w: variable-width block offsets end at %d of %d bytes for %d values", ErrCorrupt, start, len(src), n)
	}
	data := src[start:]
	offs := make([]uint64, n+1)
	var prev uint64
	for i := range offs {
		o := readUint(src[hdr+i*w:], w)
		if o < prev || o > uint64(len(data)) {
			return block{}, fmt.Errorf("%w: variable-width block offset %d is %d (previous %d, %d bytes)", ErrCorrupt, i, o, prev, len(data))
		}
		offs[i] = o
		prev = o
	}
	if offs[0] != 0 {
		first := offs[0]
		data = data[first:]
		for i := range offs {
			offs[i] -= first
		}
	}
	return block{n: n, data: data, offs: offs}, nil
}

// outOfLineBlock unpacks values bitpacked at one width for the whole
// buffer, 1024 at a time. The last partial block is either packed padded
// to 1024 values or stored raw; the buffer length tells which.
func outOfLineBlock(b *enc21.OutOfLineBitpacking, buf []byte, n int) (block, error) {
	bits := clampBits(b.GetUncompressedBitsPerValue())
	f := b.GetValues().GetFlat()
	if f == nil {
		return block{}, fmt.Errorf("%w: out-of-line bitpacking with %s values", ErrUnsupported, encodingName(b.GetValues()))
	}
	width := f.GetBitsPerValue()
	if width > uint64(bits) {
		return block{}, fmt.Errorf("%w: bit width %d for %d-bit values", ErrCorrupt, width, bits)
	}
	if bits != 8 && bits != 16 && bits != 32 && bits != 64 {
		return block{}, fmt.Errorf("%w: bitpacking of %d-bit values", ErrUnsupported, bits)
	}
	out := make([]byte, n*bits/8)
	var err error
	switch bits {
	case 8:
		err = unpackOutOfLine(buf, n, int(width), out, new([]uint8))
	case 16:
		err = unpackOutOfLine(buf, n, int(width), out, new([]uint16))
	case 32:
		err = unpackOutOfLine(buf, n, int(width), out, new([]uint32))
	case 64:
		err = unpackOutOfLine(buf, n, int(width), out, new([]uint64))
	default:
		return block{}, fmt.Errorf("%w: bitpacking of %d-bit values", ErrUnsupported, bits)
	}
	if err != nil {
		return block{}, err
	}
	return block{n: n, bits: bits, data: out}, nil
}

func unpackOutOfLine[T fastlanes.Unsigned](buf []byte, n, width int, out []byte, scratch *[]T) error {
	words := viewAs(buf, scratch)
	wpb := fastlanes.WordsPerBlock[T](width)
	whole, tail := n/fastlanes.BlockLen, n%fastlanes.BlockLen
	size := len(bytesOf([]T{0}))
	rawTail := tail > 0 && len(words) == whole*wpb+tail
	need := whole * wpb
	if tail > 0 && !rawTail {
		need += wpb
	}
	if len(words) < need {
		return fmt.Errorf("%w: %d bitpacked words for %d values of width %d", ErrCorrupt, len(words), n, width)
	}
	var blk [fastlanes.BlockLen]T
	for i := 0; i < whole; i++ {
		fastlanes.Unpack(width, words[i*wpb:(i+1)*wpb], &blk)
		copy(out[i*fastlanes.BlockLen*size:], bytesOf(blk[:]))
	}
	if tail > 0 {
		at := whole * fastlanes.BlockLen * size
		if rawTail {
			copy(out[at:], bytesOf(words[whole*wpb:whole*wpb+tail]))
		} else {
			fastlanes.Unpack(width, words[whole*wpb:(whole+1)*wpb], &blk)
			copy(out[at:], bytesOf(blk[:tail]))
		}
	}
	return nil
}

// rleBlock expands the block form of run-length encoding: the byte size
// of the run values (u64), the run values, then the run lengths.
func rleBlock(r *enc21.Rle, buf []byte, n int) (block, error) {
	vf, lf := r.GetValues().GetFlat(), r.GetRunLengths().GetFlat()
	if vf == nil || lf == nil {
		return block{}, fmt.Errorf("%w: rle block with values %s and run lengths %s", ErrUnsupported, encodingName(r.GetValues()), encodingName(r.GetRunLengths()))
	}
	bits := clampBits(vf.GetBitsPerValue())
	if bits != 8 && bits != 16 && bits != 32 && bits != 64 {
		return block{}, fmt.Errorf("%w: rle block values of %d bits", ErrUnsupported, vf.GetBitsPerValue())
	}
	if len(buf) < 8 {
		return block{}, fmt.Errorf("%w: rle block of %d bytes", ErrCorrupt, len(buf))
	}
	vl := binary.LittleEndian.Uint64(buf)
	if vl > uint64(len(buf)-8) {
		return block{}, fmt.Errorf("%w: rle block values of %d bytes in %d", ErrCorrupt, vl, len(buf))
	}
	out := make([]byte, n*bits/8)
	d := &decoder{}
	bufs := [][]byte{buf[8 : 8+vl], buf[8+vl:]}
	if err := d.rle(r, bufs, n, bits, fixedDst{b: out}); err != nil {
		return block{}, err
	}
	return block{n: n, bits: bits, data: out}, nil
}

// decodeLevels decodes n repetition or definition levels: 16-bit values,
// raw when e is nil.
func decodeLevels(e *enc21.CompressiveEncoding, buf []byte, n int) ([]uint16, error) {
	if e == nil {
		if len(buf) < 2*n {
			return nil, fmt.Errorf("%w: %d bytes for %d levels", ErrCorrupt, len(buf), n)
		}
		out := make([]uint16, n)
		copy(bytesOf(out), buf[:2*n])
		return out, nil
	}
	b, err := decodeBlock(e, buf, n, 0)
	if err != nil {
		return nil, fmt.Errorf("levels: %w", err)
	}
	if b.bits != 16 {
		return nil, fmt.Errorf("%w: levels of %d bits", ErrCorrupt, b.bits)
	}
	out := make([]uint16, n)
	copy(bytesOf(out), b.data[:2*n])
	return out, nil
}
