package structural

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// maxDecompressed bounds what one compressed buffer may expand to. It is
// a variable so that tests can lower it.
var maxDecompressed uint64 = 1 << 28

// lz4MaxRatio is the most an lz4 block can expand: every 255 bytes of
// match length cost at least one byte.
const lz4MaxRatio = 255

var (
	zstdOnce sync.Once
	zstdDec  *zstd.Decoder
	zstdErr  error
)

// zstdDecoder returns the shared zstd decoder; DecodeAll is safe for
// concurrent use.
func zstdDecoder() (*zstd.Decoder, error) {
	zstdOnce.Do(func() {
		zstdDec, zstdErr = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(1<<28))
	})
	return zstdDec, zstdErr
}

// decompress undoes Lance's general-purpose compression of one buffer,
// appending the result to dst[:0]. lz4 buffers are a 4-byte little-endian
// uncompressed length and an lz4 block; zstd buffers are an 8-byte
// little-endian uncompressed length and a zstd frame, or (older writers) a
// bare frame.
func decompress(c *enc21.BufferCompression, src, dst []byte) ([]byte, error) {
	if c == nil {
		return nil, fmt.Errorf("%w: general compression without a scheme", ErrCorrupt)
	}
	switch c.GetScheme() {
	case enc21.CompressionScheme_COMPRESSION_ALGORITHM_LZ4:
		if len(src) < 4 {
			return nil, fmt.Errorf("%w: lz4 buffer of %d bytes", ErrCorrupt, len(src))
		}
		n := uint64(binary.LittleEndian.Uint32(src))
		if n > maxDecompressed || n > lz4MaxRatio*uint64(len(src))+16 {
			return nil, fmt.Errorf("%w: lz4 buffer of %d bytes claims %d", ErrCorrupt, len(src), n)
		}
		if uint64(cap(dst)) < n {
			dst = make([]byte, n)
		}
		dst = dst[:n]
		if n == 0 {
			return dst, nil
		}
		m, err := lz4.UncompressBlock(src[4:], dst)
		if err != nil || uint64(m) != n {
			return nil, fmt.Errorf("%w: lz4 block decoded %d of %d bytes: %v", ErrCorrupt, m, n, err)
		}
		return dst, nil
	case enc21.CompressionScheme_COMPRESSION_ALGORITHM_ZSTD:
		dec, err := zstdDecoder()
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		if len(src) == 0 {
			return dst[:0], nil
		}
		if isZstdFrame(src) {
			out, err := dec.DecodeAll(src, dst[:0])
			if err != nil {
				return nil, fmt.Errorf("%w: zstd: %v", ErrCorrupt, err)
			}
			return out, nil
		}
		if len(src) < 8 {
			return nil, fmt.Errorf("%w: zstd buffer of %d bytes", ErrCorrupt, len(src))
		}
		n := binary.LittleEndian.Uint64(src)
		if n > maxDecompressed {
			return nil, fmt.Errorf("%w: zstd buffer claims %d bytes", ErrCorrupt, n)
		}
		// Grow with the output rather than trusting the claim up front.
		if uint64(cap(dst)) < n && n <= 64*uint64(len(src))+(1<<20) {
			dst = make([]byte, 0, n)
		}
		out, err := dec.DecodeAll(src[8:], dst[:0])
		if err != nil {
			return nil, fmt.Errorf("%w: zstd: %v", ErrCorrupt, err)
		}
		if uint64(len(out)) != n {
			return nil, fmt.Errorf("%w: zstd buffer decoded to %d bytes, header says %d", ErrCorrupt, len(out), n)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: general compression scheme %v", ErrUnsupported, c.GetScheme())
}

// isZstdFrame reports whether b starts like a bare zstd frame: the magic
// number and a frame header whose reserved bit is clear.
func isZstdFrame(b []byte) bool {
	return len(b) >= 5 && binary.LittleEndian.Uint32(b) == 0xFD2FB528 && b[4]&0x10 == 0
}
