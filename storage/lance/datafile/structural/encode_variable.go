package structural

import (
	"encoding/binary"

	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// miniVariable encodes a page of short strings or binaries as Variable
// mini-block chunks. Each chunk is one buffer: its values' k+1 offsets
// (32-bit, or 64-bit for large types), counted from the start of the
// buffer, then the value bytes, padded to the offset width. Chunks hold a
// power of two values and aim at 4 KiB, as pylance's do; the last chunk
// takes whatever remains once it fits.
func (e *pageEncoder) miniVariable() (*enc21.PageLayout, [][]byte, error) {
	s := e.src
	ow := 4
	if s.t.large {
		ow = 8
	}
	size := func(a, b int) int { return (b-a+1)*ow + int(s.offs[b]-s.offs[a]) }
	m := newMiniWriter(e.large, s.nulls > 0, 1, s.n, len(s.data)+s.n*ow)
	var buf []byte
	for pos := 0; pos < s.n; {
		rest := s.n - pos
		k := rest
		if rest > maxMiniValues || size(pos, s.n) > aimVariableBytes {
			k = 2
			for 2*k < rest && 2*k <= maxMiniValues && size(pos, pos+2*k) <= aimVariableBytes {
				k *= 2
			}
		}
		buf = appendVariableChunk(buf[:0], s.offs[pos:pos+k+1], s.data, ow)
		if err := m.chunk(k, pos+k == s.n, s.valid, pos, buf); err != nil {
			return nil, nil, err
		}
		pos += k
	}
	l, b := m.layout(variableEncoding(8*ow), e.layers())
	return l, b, nil
}

// appendVariableChunk appends the chunk buffer of the values whose page
// offsets are offs (one more than the values) to dst.
func appendVariableChunk(dst []byte, offs []uint64, data []byte, ow int) []byte {
	k := len(offs) - 1
	base := uint64((k+1)*ow) - offs[0]
	for _, o := range offs {
		if ow == 4 {
			dst = binary.LittleEndian.AppendUint32(dst, uint32(base+o))
		} else {
			dst = binary.LittleEndian.AppendUint64(dst, base+o)
		}
	}
	dst = append(dst, data[offs[0]:offs[k]]...)
	for len(dst)%ow != 0 {
		dst = append(dst, 0)
	}
	return dst
}
