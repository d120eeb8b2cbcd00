package structural

import (
	"github.com/apache/arrow/go/v17/arrow/bitutil"

	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// miniFixed encodes a page of fixed-width, bool or fixed-size-list values
// as Flat mini-block chunks. A fixed-size list whose items have nulls has
// two buffers a chunk: the items' validity bits, then their values.
func (e *pageEncoder) miniFixed() (*enc21.PageLayout, [][]byte, error) {
	s := e.src
	t := s.t
	rowBits := t.rowBits()
	var values *enc21.CompressiveEncoding
	nbufs, validBytes := 1, 0
	if t.shape == shapeFSL {
		values = fslEncoding(t.dim, t.itemBits(), s.itemValid != nil)
		if s.itemValid != nil {
			nbufs, validBytes = 2, (t.dim+7)/8
		}
	} else {
		values = flatEncoding(rowBits)
	}
	per := chunkRows(rowBits, validBytes)
	m := newMiniWriter(e.large, s.nulls > 0, nbufs, s.n, (s.n*rowBits+7)/8+s.n*validBytes)
	var scratch []byte
	bufs := make([][]byte, 0, 2)
	for pos := 0; pos < s.n; pos += per {
		k := min(per, s.n-pos)
		bufs = bufs[:0]
		if s.itemValid != nil {
			scratch = bitSlice(scratch, s.itemValid, pos*t.dim, k*t.dim)
			bufs = append(bufs, scratch)
		}
		// Chunks start on byte boundaries: per*rowBits is a multiple of 8.
		lo, hi := pos*rowBits/8, ((pos+k)*rowBits+7)/8
		bufs = append(bufs, s.values[lo:hi])
		if err := m.chunk(k, pos+k == s.n, s.valid, pos, bufs...); err != nil {
			return nil, nil, err
		}
	}
	l, b := m.layout(values, e.layers())
	return l, b, nil
}

// bitSlice returns bits [at, at+n) of bitmap as a bitmap of their own,
// aliasing bitmap when at is on a byte boundary and copying into dst
// otherwise.
func bitSlice(dst, bitmap []byte, at, n int) []byte {
	size := int(bitutil.BytesForBits(int64(n)))
	if at%8 == 0 {
		return bitmap[at/8 : at/8+size]
	}
	if cap(dst) < size {
		dst = make([]byte, size)
	}
	dst = dst[:size]
	clear(dst)
	bitutil.CopyBitmap(bitmap, at, n, dst, 0)
	return dst
}
