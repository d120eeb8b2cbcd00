package deletion

import (
	"encoding/binary"

	"github.com/RoaringBitmap/roaring/v2"
)

// Portable roaring serialization, as roaring-rs 0.10 (Lance's Rust writer)
// produces it: the cookie of the format without run containers, the
// container count, one (key, cardinality-1) pair per container, one byte
// offset per container, then the containers. A container of up to
// arrayMaxSize values is an array of uint16; a larger one is a bitmap of
// 1024 uint64 words. All integers are little-endian.
const (
	cookieNoRuns = 12346
	arrayMaxSize = 4096
	bitmapBytes  = 8192
)

// encodeBitmap serializes deleted in the portable format without run
// containers. Go's roaring keeps run containers for dense ranges, which
// its own WriteTo would emit; Lance's writer never does, so this writes the
// containers from the values themselves, producing the bytes pylance
// writes for the same set.
func encodeBitmap(deleted *roaring.Bitmap) []byte {
	// First pass: the key and cardinality of each container.
	type header struct {
		key  uint16
		card int
	}
	var hs []header
	each(deleted, func(v uint32) {
		key := uint16(v >> 16)
		if len(hs) == 0 || hs[len(hs)-1].key != key {
			hs = append(hs, header{key: key})
		}
		hs[len(hs)-1].card++
	})

	size := 8 + 8*len(hs)
	for _, h := range hs {
		size += containerBytes(h.card)
	}
	out := make([]byte, size)
	le := binary.LittleEndian
	le.PutUint32(out, cookieNoRuns)
	le.PutUint32(out[4:], uint32(len(hs)))
	offset := 8 + 8*len(hs)
	starts := make([]int, len(hs))
	for i, h := range hs {
		le.PutUint16(out[8+4*i:], h.key)
		le.PutUint16(out[8+4*i+2:], uint16(h.card-1))
		le.PutUint32(out[8+4*len(hs)+4*i:], uint32(offset))
		starts[i] = offset
		offset += containerBytes(h.card)
	}

	// Second pass: the containers, into the space laid out above.
	c, pos := -1, 0
	each(deleted, func(v uint32) {
		if c < 0 || hs[c].key != uint16(v>>16) {
			c++
			pos = starts[c]
		}
		low := uint16(v)
		if hs[c].card <= arrayMaxSize {
			le.PutUint16(out[pos:], low)
			pos += 2
			return
		}
		out[starts[c]+int(low/8)] |= 1 << (low % 8)
	})
	return out
}

// each calls f with every value of bm in ascending order.
func each(bm *roaring.Bitmap, f func(uint32)) {
	it := bm.ManyIterator()
	buf := make([]uint32, 4096)
	for n := it.NextMany(buf); n > 0; n = it.NextMany(buf) {
		for _, v := range buf[:n] {
			f(v)
		}
	}
}

// containerBytes is the serialized size of a container of n values.
func containerBytes(n int) int {
	if n <= arrayMaxSize {
		return 2 * n
	}
	return bitmapBytes
}
