package structural

import (
	"github.com/apache/arrow/go/v17/arrow/bitutil"

	"github.com/lancegate/lancegate/storage/lance/datafile/structural/fastlanes"
	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// Definition levels of mini-block chunks.
//
// A flat page with nulls has one definition level per row: 0 for a valid
// row, 1 for a null one. Each chunk's levels are 16-bit values bitpacked
// out of line at width 1, as pylance writes them: whole blocks of 1024
// levels packed with FastLanes (64 words each), then the remaining levels
// either padded to a block and packed, or stored raw when padding would
// cost more than it saves. The reader tells the two apart by the buffer's
// length, so a tail that packs to exactly its raw size is stored raw.

// levelBits is the width levels are packed at: a flat page's levels are 0
// or 1.
const levelBits = 1

// levelEncoding is the compression of levels packed at width bits.
func levelEncoding(width int) *enc21.CompressiveEncoding {
	return outOfLineBitpackingEncoding(16, width)
}

// levelPacker packs the definition levels of chunks, reusing its scratch
// space from chunk to chunk.
type levelPacker struct {
	block [fastlanes.BlockLen]uint16
	words []uint16
	out   []byte
}

// pack returns the packed definition levels of rows [pos, pos+n), given
// the row validity bitmap. The result is valid until the next call.
func (p *levelPacker) pack(valid []byte, pos, n int) []byte {
	p.out = p.out[:0]
	wpb := fastlanes.WordsPerBlock[uint16](levelBits)
	if cap(p.words) < wpb {
		p.words = make([]uint16, wpb)
	}
	whole, tail := n/fastlanes.BlockLen, n%fastlanes.BlockLen
	for b := 0; b < whole; b++ {
		p.out = append(p.out, bytesOf(packLevelBlock(valid, pos+b*fastlanes.BlockLen, p.words[:wpb]))...)
	}
	if tail == 0 {
		return p.out
	}
	at := pos + whole*fastlanes.BlockLen
	padding := levelBits * (fastlanes.BlockLen - tail)
	savings := (16 - levelBits) * tail
	if padding < savings && wpb != tail {
		p.fill(valid, at, tail)
		clear(p.block[tail:])
		p.out = append(p.out, bytesOf(fastlanes.PackInto(levelBits, &p.block, p.words))...)
		return p.out
	}
	for i := 0; i < tail; i++ {
		lv := byte(0)
		if !bitutil.BitIsSet(valid, at+i) {
			lv = 1
		}
		p.out = append(p.out, lv, 0)
	}
	return p.out
}

// packLevelBlock packs the definition levels of the 1024 rows from row at
// into words, as fastlanes.PackInto at width 1 would: with 16-bit words
// the block has 64 lanes of 16 rows, and row r of lane l is level
// order[r/8]*16 + (r%8)*128 + l, so the 64 lanes of a row are 64
// consecutive levels, read from the bitmap at once.
func packLevelBlock(valid []byte, at int, words []uint16) []uint16 {
	words = words[:64]
	clear(words)
	if bitutil.CountSetBits(valid, at, fastlanes.BlockLen) == fastlanes.BlockLen {
		return words // all valid: all levels 0
	}
	for r := 0; r < 16; r++ {
		base := fastlanesOrder[r/8]*16 + (r%8)*128
		nulls := ^load64(valid, at+base)
		for l := range words {
			words[l] |= uint16(nulls>>l&1) << r
		}
	}
	return words
}

// fastlanesOrder is the FastLanes row order (see package fastlanes).
var fastlanesOrder = [8]int{0, 4, 2, 6, 1, 5, 3, 7}

// load64 returns the 64 bits of bitmap from bit at (bits past its end
// read as set).
func load64(bitmap []byte, at int) uint64 {
	i, sh := at/8, uint(at%8)
	var v uint64
	for k := 0; k < 9; k++ {
		b := byte(0xff)
		if i+k < len(bitmap) {
			b = bitmap[i+k]
		}
		if k < 8 {
			v |= uint64(b) << (8 * k)
		} else if sh > 0 {
			v = v>>sh | uint64(b)<<(64-sh)
			return v
		}
	}
	return v
}

// fill sets block[:k] to the definition levels of rows [at, at+k).
func (p *levelPacker) fill(valid []byte, at, k int) {
	i := 0
	for ; i < k && (at+i)%8 != 0; i++ {
		p.block[i] = level(valid, at+i)
	}
	for ; i+8 <= k; i += 8 {
		b := ^valid[(at+i)/8]
		blk := (*[8]uint16)(p.block[i : i+8])
		for j := range blk {
			blk[j] = uint16(b>>j) & 1
		}
	}
	for ; i < k; i++ {
		p.block[i] = level(valid, at+i)
	}
}

// packLevels appends levels, bitpacked out of line at width bits, to dst
// with the same block and tail rules as pack (list pages carry their
// levels explicitly rather than as a validity bitmap).
func (p *levelPacker) packLevels(dst []byte, levels []uint16, width int) []byte {
	wpb := fastlanes.WordsPerBlock[uint16](width)
	if cap(p.words) < wpb {
		p.words = make([]uint16, wpb)
	}
	n := len(levels)
	whole, tail := n/fastlanes.BlockLen, n%fastlanes.BlockLen
	for b := 0; b < whole; b++ {
		copy(p.block[:], levels[b*fastlanes.BlockLen:])
		dst = append(dst, bytesOf(fastlanes.PackInto(width, &p.block, p.words[:wpb]))...)
	}
	if tail == 0 {
		return dst
	}
	rest := levels[whole*fastlanes.BlockLen:]
	padding := width * (fastlanes.BlockLen - tail)
	savings := (16 - width) * tail
	if padding < savings && wpb != tail {
		copy(p.block[:], rest)
		clear(p.block[tail:])
		return append(dst, bytesOf(fastlanes.PackInto(width, &p.block, p.words[:wpb]))...)
	}
	return append(dst, bytesOf(rest)...)
}

func level(valid []byte, i int) uint16 {
	if bitutil.BitIsSet(valid, i) {
		return 0
	}
	return 1
}
