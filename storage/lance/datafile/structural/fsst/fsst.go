// Package fsst decodes strings compressed with FSST (Fast Static Symbol
// Table) as Lance stores them.
//
// Lance serializes a symbol table in a fixed block of 2312 bytes: an 8-byte
// little-endian header whose high 32 bits are the magic "FSST"
// (0x46535354), bit 24 says whether the data is compressed at all (when
// clear the strings are stored verbatim), and the low byte is the number of
// symbols n (at most 255); then n symbols of 8 bytes each (little-endian,
// unused high bytes zero), then n one-byte symbol lengths (1..8); symbol i has code i. The rest
// of the block is zero.
//
// A compressed string is a sequence of codes: a code c < 255 stands for
// symbol c; code 255 escapes the next byte, which stands for itself.
package fsst

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrCorrupt reports a symbol table or compressed string that does not
// follow the format.
var ErrCorrupt = errors.New("corrupt fsst data")

const (
	magic     = 0x46535354
	escape    = 255
	tableSize = 8 + 256*8 + 256
)

// Table is a parsed symbol table.
type Table struct {
	symbols    [256]uint64
	lens       [256]uint8
	compressed bool
}

// ParseTable parses a serialized symbol table.
func ParseTable(b []byte) (*Table, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("%w: symbol table of %d bytes", ErrCorrupt, len(b))
	}
	hdr := binary.LittleEndian.Uint64(b)
	if hdr>>32 != magic {
		return nil, fmt.Errorf("%w: symbol table has no FSST magic", ErrCorrupt)
	}
	t := &Table{compressed: hdr&(1<<24) != 0}
	n := int(hdr & 0xff)
	if !t.compressed {
		return t, nil
	}
	if len(b) < 8+9*n || len(b) > tableSize {
		return nil, fmt.Errorf("%w: symbol table of %d bytes for %d symbols", ErrCorrupt, len(b), n)
	}
	for i := 0; i < n; i++ {
		t.symbols[i] = binary.LittleEndian.Uint64(b[8+8*i:])
	}
	lens := b[8+8*n:]
	for i := 0; i < n; i++ {
		l := lens[i]
		if l == 0 || l > 8 {
			return nil, fmt.Errorf("%w: symbol %d has length %d", ErrCorrupt, i, l)
		}
		t.lens[i] = l
	}
	return t, nil
}

// Compressed reports whether strings under this table are FSST codes; if
// not they are stored verbatim.
func (t *Table) Compressed() bool { return t.compressed }

// MaxExpansion is the most bytes one input byte can decode to.
const MaxExpansion = 8

// Decode appends the decoding of src to dst and returns the extended
// slice. An unknown code or a dangling escape is an error.
func (t *Table) Decode(dst, src []byte) ([]byte, error) {
	if !t.compressed {
		return append(dst, src...), nil
	}
	// Make room for the worst case plus 8 bytes of slack so every symbol
	// can be stored with one 8-byte write.
	need := len(dst) + len(src)*MaxExpansion + 8
	if cap(dst) < need {
		nd := make([]byte, len(dst), need+need/4)
		copy(nd, dst)
		dst = nd
	}
	out := dst[:cap(dst)]
	pos := len(dst)
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == escape {
			i++
			if i >= len(src) {
				return nil, fmt.Errorf("%w: string ends in an escape", ErrCorrupt)
			}
			out[pos] = src[i]
			pos++
			continue
		}
		l := t.lens[c]
		if l == 0 {
			return nil, fmt.Errorf("%w: code %d names no symbol", ErrCorrupt, c)
		}
		binary.LittleEndian.PutUint64(out[pos:pos+8], t.symbols[c])
		pos += int(l)
	}
	return out[:pos], nil
}
