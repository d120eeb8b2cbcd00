package datafile

import (
	"encoding/binary"
	"fmt"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// maxDecompressed bounds the size a compressed buffer may claim, so a
// hostile length prefix cannot make us allocate without limit.
const maxDecompressed = 1 << 31

// decompress undoes the general-purpose compression Lance applies to a
// buffer. zstd buffers are an 8-byte little-endian uncompressed length
// followed by a zstd frame (older writers wrote a bare frame); lz4 buffers
// are a 4-byte little-endian length followed by an lz4 block.
func decompress(scheme string, b []byte) ([]byte, error) {
	switch scheme {
	case "zstd":
		dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxDecompressed))
		if err != nil {
			return nil, err
		}
		defer dec.Close()
		if len(b) >= 8 && !isZstdFrame(b) {
			n := binary.LittleEndian.Uint64(b)
			if n > maxDecompressed {
				return nil, fmt.Errorf("%w: zstd buffer claims %d bytes", ErrCorrupt, n)
			}
			out, err := dec.DecodeAll(b[8:], make([]byte, 0, n))
			if err != nil {
				return nil, fmt.Errorf("%w: zstd: %v", ErrCorrupt, err)
			}
			if uint64(len(out)) != n {
				return nil, fmt.Errorf("%w: zstd buffer decompressed to %d bytes, header says %d", ErrCorrupt, len(out), n)
			}
			return out, nil
		}
		out, err := dec.DecodeAll(b, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: zstd: %v", ErrCorrupt, err)
		}
		return out, nil
	case "lz4":
		if len(b) < 4 {
			return nil, fmt.Errorf("%w: lz4 buffer of %d bytes", ErrCorrupt, len(b))
		}
		n := binary.LittleEndian.Uint32(b)
		if n > maxDecompressed {
			return nil, fmt.Errorf("%w: lz4 buffer claims %d bytes", ErrCorrupt, n)
		}
		out := make([]byte, n)
		m, err := lz4.UncompressBlock(b[4:], out)
		if err != nil || m != int(n) {
			return nil, fmt.Errorf("%w: lz4 block (%d of %d bytes): %v", ErrCorrupt, m, n, err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: compression scheme %q", ErrUnsupported, scheme)
}

// isZstdFrame reports whether b starts like a bare zstd frame: the magic
// number and a frame header whose reserved bit is clear.
func isZstdFrame(b []byte) bool {
	return len(b) >= 5 && binary.LittleEndian.Uint32(b) == 0xFD2FB528 && b[4]&0x10 == 0
}

// compressZstd compresses b as Lance writes zstd buffers.
func compressZstd(b []byte) ([]byte, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	defer enc.Close()
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(b)))
	return enc.EncodeAll(b, out), nil
}
