// Package fastlanes packs and unpacks integers in the FastLanes bit-packed
// layout that Lance uses for its bitpacking encodings.
//
// FastLanes packs blocks of 1024 values of an unsigned type T of B bits
// (8, 16, 32 or 64). The block is seen as 1024/B "lanes" of B rows; lane l
// packs its B values one after another, W bits each, into W words of T, and
// word k of lane l is stored at word index k*(1024/B)+l. Values are
// assigned to (row, lane) pairs in a transposed order: the value at row r of
// lane l is element order[r/8]*16 + (r%8)*128 + l of the block, where
// order = [0 4 2 6 1 5 3 7]. A block of width W thus takes exactly 1024*W/B
// words, whatever W is (0 <= W <= B).
package fastlanes

import "unsafe"

// Unsigned is the set of word types FastLanes packs.
type Unsigned interface {
	~uint8 | ~uint16 | ~uint32 | ~uint64
}

// BlockLen is the number of values in one packed block.
const BlockLen = 1024

var order = [8]int{0, 4, 2, 6, 1, 5, 3, 7}

// WordsPerBlock returns how many words of T a block packed at width bits
// occupies.
func WordsPerBlock[T Unsigned](width int) int {
	var z T
	return BlockLen * width / bitsOf(z)
}

func bitsOf[T Unsigned](z T) int {
	return int(unsafe.Sizeof(z)) * 8
}

// Unpack decodes one block of 1024 values packed at width bits from in
// into out. in must hold WordsPerBlock[T](width) words. width must be in
// [0, bits of T]; Unpack panics otherwise, so callers validate it first.
func Unpack[T Unsigned](width int, in []T, out *[BlockLen]T) {
	var z T
	b := bitsOf(z)
	lanes := BlockLen / b
	if width == 0 {
		clear(out[:])
		return
	}
	in = in[:BlockLen*width/b]
	if width == b {
		for row := 0; row < b; row++ {
			base := order[row/8]*16 + (row%8)*128
			src := in[row*lanes : row*lanes+lanes]
			dst := out[base : base+lanes]
			copy(dst, src)
		}
		return
	}
	unpackRows(width, in, out)
}

// unpackRows unpacks row by row, all lanes at once: the lanes of a row
// are contiguous in both the packed words and the output, so the inner
// loops are straight slice walks.
func unpackRows[T Unsigned](width int, in []T, out *[BlockLen]T) {
	var z T
	b := bitsOf(z)
	lanes := BlockLen / b
	mask := T(1)<<uint(width) - 1
	ub := uint(b)
	uw := uint(width)
	for row := 0; row < b; row++ {
		bit := uint(row) * uw
		word := int(bit / ub)
		shift := bit % ub
		base := order[row/8]*16 + (row%8)*128
		dst := out[base : base+lanes]
		src := in[word*lanes : word*lanes+lanes]
		if shift+uw <= ub {
			for l := range dst {
				dst[l] = src[l] >> shift & mask
			}
			continue
		}
		next := in[(word+1)*lanes : (word+1)*lanes+lanes]
		up := ub - shift
		for l := range dst {
			dst[l] = (src[l]>>shift | next[l]<<up) & mask
		}
	}
}

// Pack is the inverse of Unpack: it packs the low width bits of each value
// of in into a new slice of WordsPerBlock words.
func Pack[T Unsigned](width int, in *[BlockLen]T) []T {
	return PackInto(width, in, make([]T, WordsPerBlock[T](width)))
}

// PackInto packs the low width bits of each value of in into the first
// WordsPerBlock[T](width) words of out, overwriting them, and returns
// those words. out must be long enough and width must be in [0, bits of
// T]; PackInto panics otherwise, so callers validate them first.
func PackInto[T Unsigned](width int, in *[BlockLen]T, out []T) []T {
	var z T
	b := bitsOf(z)
	lanes := BlockLen / b
	out = out[:BlockLen*width/b]
	if width == 0 {
		return out
	}
	uw := uint(width)
	ub := uint(b)
	var mask T = ^T(0)
	if width < b {
		mask = T(1)<<uw - 1
	}
	// Row by row, all lanes at once, as unpackRows reads them. The rows
	// fill the words exactly, so each word's first write (at shift 0, or
	// the spill of the row before) assigns and later ones OR.
	for row := 0; row < b; row++ {
		bit := uint(row) * uw
		word := int(bit / ub)
		shift := bit % ub
		base := order[row/8]*16 + (row%8)*128
		src := in[base : base+lanes]
		dst := out[word*lanes : word*lanes+lanes]
		dst = dst[:len(src)]
		if shift == 0 {
			for l, v := range src {
				dst[l] = v & mask
			}
		} else {
			for l, v := range src {
				dst[l] |= (v & mask) << shift
			}
		}
		if shift+uw > ub {
			up := ub - shift
			next := out[(word+1)*lanes : (word+1)*lanes+lanes]
			next = next[:len(src)]
			for l, v := range src {
				next[l] = (v & mask) >> up
			}
		}
	}
	return out
}
