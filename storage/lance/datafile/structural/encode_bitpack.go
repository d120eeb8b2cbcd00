package structural

import (
	"math/bits"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/storage/lance/datafile/structural/fastlanes"
	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// Inline bitpacking.
//
// Integer pages whose values leave high bits unused are written as pylance
// writes them by default: mini-block chunks of 1024 values (the last one
// fewer), each a FastLanes block packed at the narrowest width that holds
// its values, led by that width as one word of the value type. The last
// chunk is padded with zeros to a whole block. A page is bitpacked only if
// that is smaller than its flat values.

// bitpackable reports whether pages of t may be bitpacked: integer-like
// types of 8, 16, 32 or 64 bits (not floats, whose high bits are rarely
// unused).
func bitpackable(t *target) bool {
	if t.shape != shapeFixed {
		return false
	}
	switch t.dt.ID() {
	case arrow.INT8, arrow.UINT8, arrow.INT16, arrow.UINT16, arrow.INT32, arrow.UINT32,
		arrow.INT64, arrow.UINT64, arrow.DATE32, arrow.DATE64, arrow.TIME32, arrow.TIME64,
		arrow.TIMESTAMP, arrow.DURATION:
		return true
	}
	return false
}

// miniBitpacked encodes the page with inline bitpacking, or reports false
// when that would not save space.
func (e *pageEncoder) miniBitpacked() (*enc21.PageLayout, [][]byte, bool, error) {
	switch e.src.t.byteWidth {
	case 1:
		return bitpackPage(e, viewAs(e.src.values, new([]uint8)))
	case 2:
		return bitpackPage(e, viewAs(e.src.values, new([]uint16)))
	case 4:
		return bitpackPage(e, viewAs(e.src.values, new([]uint32)))
	case 8:
		return bitpackPage(e, viewAs(e.src.values, new([]uint64)))
	}
	return nil, nil, false, nil
}

func bitpackPage[T fastlanes.Unsigned](e *pageEncoder, vals []T) (*enc21.PageLayout, [][]byte, bool, error) {
	s := e.src
	size := len(bytesOf(vals[:1]))
	blocks := (len(vals) + fastlanes.BlockLen - 1) / fastlanes.BlockLen
	widths := make([]int, blocks)
	packed := 0
	for b := range widths {
		var or T
		for _, v := range vals[b*fastlanes.BlockLen : min(len(vals), (b+1)*fastlanes.BlockLen)] {
			or |= v
		}
		widths[b] = bits.Len64(uint64(or))
		packed += size * (1 + fastlanes.WordsPerBlock[T](widths[b]))
	}
	if packed >= len(vals)*size {
		return nil, nil, false, nil
	}
	m := newMiniWriter(e.large, s.nulls > 0, 1, s.n, packed)
	words := make([]T, 1+fastlanes.WordsPerBlock[T](8*size))
	var tail [fastlanes.BlockLen]T
	for b, w := range widths {
		pos := b * fastlanes.BlockLen
		k := min(fastlanes.BlockLen, s.n-pos)
		in := &tail
		if k == fastlanes.BlockLen {
			in = (*[fastlanes.BlockLen]T)(vals[pos : pos+k])
		} else {
			copy(tail[:], vals[pos:])
			clear(tail[k:])
		}
		words[0] = T(w)
		out := fastlanes.PackInto(w, in, words[1:])
		if err := m.chunk(k, pos+k == s.n, s.valid, pos, bytesOf(words[:1+len(out)])); err != nil {
			return nil, nil, false, err
		}
	}
	l, bufs := m.layout(inlineBitpackingEncoding(8*size), e.layers())
	return l, bufs, true, nil
}
