package hashtable

import (
	"fmt"
	"math/bits"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Missing is the id Lookup reports for a key not in the table.
const Missing = ^uint32(0)

// hashMask is all ones; tests narrow it to force hash collisions.
var hashMask = ^uint64(0)

// Table maps key tuples to dense ids.
type Table struct {
	// A single fixed-width key column takes a faster path: its slots hold
	// the key word itself, so a probe compares keys directly and needs no
	// verification pass.
	single *wordColumn
	wslots []wordSlot
	nullID uint32 // id of the NULL key, or Missing

	cols   []column
	slots  []uint32 // id+1, or 0 for an empty slot
	mask   uint64
	hashes []uint64 // per id: the key's hash
	n      int

	// Per-batch scratch.
	h     []uint64
	fresh []bool
	ok    []bool
	rows  []int32
}

// New returns an empty table for keys of the given Arrow types.
func New(types []arrow.DataType) (*Table, error) {
	t := &Table{}
	for _, dt := range types {
		c, err := newColumn(dt)
		if err != nil {
			return nil, err
		}
		t.cols = append(t.cols, c)
	}
	t.slots = make([]uint32, 1024)
	t.mask = uint64(len(t.slots) - 1)
	t.nullID = Missing
	if len(t.cols) == 1 {
		if w, ok := t.cols[0].(*wordColumn); ok {
			t.single = w
			t.slots = nil
			t.wslots = make([]wordSlot, 1024)
			t.mask = uint64(len(t.wslots) - 1)
		}
	}
	return t, nil
}

// wordSlot is a slot of the single-word table: a key and its id+1 (0 for
// an empty slot).
type wordSlot struct {
	key uint64
	id  uint32
}

// Len returns the number of distinct keys seen.
func (t *Table) Len() int { return t.n }

// prepare reads the key columns of a batch and hashes every row.
func (t *Table) prepare(cols []arrow.Array) (int, error) {
	if len(cols) != len(t.cols) {
		return 0, fmt.Errorf("hashtable: %d key columns for a table of %d", len(cols), len(t.cols))
	}
	n := 0
	if len(cols) > 0 {
		n = cols[0].Len()
	}
	if cap(t.h) < n {
		t.h = make([]uint64, n)
		t.fresh = make([]bool, n)
		t.ok = make([]bool, n)
	}
	t.h = t.h[:n]
	for k, c := range t.cols {
		if cols[k].Len() != n {
			return 0, fmt.Errorf("hashtable: key columns of %d and %d rows", n, cols[k].Len())
		}
		c.load(cols[k])
		c.hash(t.h, k == 0)
	}
	if len(t.cols) == 0 {
		clear(t.h)
	}
	for i, h := range t.h {
		t.h[i] = fmix(h) & hashMask
	}
	return n, nil
}

// Insert writes the id of each row's key to ids (len(ids) ≥ rows),
// adding keys not seen before. The new keys of a batch get the ids
// Len() (before the call) onwards, normally in row order; a key whose
// 64-bit hash equals another key's is only added after the batch's other
// new keys.
func (t *Table) Insert(cols []arrow.Array, ids []uint32) error {
	if t.single != nil {
		return t.wordProbe(cols, ids, true)
	}
	n, err := t.prepare(cols)
	if err != nil {
		return err
	}
	ids = ids[:n]
	fresh := t.fresh[:n]
	hs := t.h
	for i, h := range hs {
		slot := h & t.mask
		for {
			s := t.slots[slot]
			if s == 0 {
				id := t.add(i, h)
				t.slots[slot] = id + 1
				ids[i] = id
				fresh[i] = true
				if t.n*2 > len(t.slots) {
					t.grow()
				}
				break
			}
			if t.hashes[s-1] == h {
				ids[i] = s - 1
				fresh[i] = false
				break
			}
			slot = (slot + 1) & t.mask
		}
	}
	// Verify tentative matches.
	rows := t.rows[:0]
	for i := range ids {
		if !fresh[i] {
			rows = append(rows, int32(i))
		}
	}
	t.rows = rows
	if len(rows) == 0 {
		return nil
	}
	ok := t.ok[:len(rows)]
	for k := range ok {
		ok[k] = true
	}
	for _, c := range t.cols {
		c.verify(rows, ids, ok)
	}
	for k, good := range ok {
		if !good {
			i := int(rows[k])
			ids[i] = t.slowInsert(i, hs[i])
		}
	}
	return nil
}

// Lookup writes the id of each row's key to ids, or Missing.
func (t *Table) Lookup(cols []arrow.Array, ids []uint32) error {
	if t.single != nil {
		return t.wordProbe(cols, ids, false)
	}
	n, err := t.prepare(cols)
	if err != nil {
		return err
	}
	ids = ids[:n]
	rows := t.rows[:0]
	for i, h := range t.h {
		slot := h & t.mask
		ids[i] = Missing
		for {
			s := t.slots[slot]
			if s == 0 {
				break
			}
			if t.hashes[s-1] == h {
				ids[i] = s - 1
				rows = append(rows, int32(i))
				break
			}
			slot = (slot + 1) & t.mask
		}
	}
	t.rows = rows
	if len(rows) == 0 {
		return nil
	}
	if cap(t.ok) < len(rows) {
		t.ok = make([]bool, len(rows))
	}
	ok := t.ok[:len(rows)]
	for k := range ok {
		ok[k] = true
	}
	for _, c := range t.cols {
		c.verify(rows, ids, ok)
	}
	for k, good := range ok {
		if !good {
			i := int(rows[k])
			ids[i] = t.slowFind(i, t.h[i], ids[i])
		}
	}
	return nil
}

// add stores row i's key as a new id.
func (t *Table) add(i int, h uint64) uint32 {
	id := uint32(t.n)
	for _, c := range t.cols {
		c.appendRow(i)
	}
	t.hashes = append(t.hashes, h)
	t.n++
	return id
}

// slowInsert probes for row i comparing full keys, inserting if absent.
func (t *Table) slowInsert(i int, h uint64) uint32 {
	slot := h & t.mask
	for {
		s := t.slots[slot]
		if s == 0 {
			id := t.add(i, h)
			t.slots[slot] = id + 1
			if t.n*2 > len(t.slots) {
				t.grow()
			}
			return id
		}
		if t.hashes[s-1] == h && t.equal(i, s-1) {
			return s - 1
		}
		slot = (slot + 1) & t.mask
	}
}

// slowFind probes for row i comparing full keys.
func (t *Table) slowFind(i int, h uint64, _ uint32) uint32 {
	slot := h & t.mask
	for {
		s := t.slots[slot]
		if s == 0 {
			return Missing
		}
		if t.hashes[s-1] == h && t.equal(i, s-1) {
			return s - 1
		}
		slot = (slot + 1) & t.mask
	}
}

func (t *Table) equal(i int, id uint32) bool {
	for _, c := range t.cols {
		if !c.equalRow(i, id) {
			return false
		}
	}
	return true
}

// grow doubles the slot array and re-inserts every id by its hash.
func (t *Table) grow() {
	t.slots = make([]uint32, len(t.slots)*2)
	t.mask = uint64(len(t.slots) - 1)
	for id, h := range t.hashes {
		slot := h & t.mask
		for t.slots[slot] != 0 {
			slot = (slot + 1) & t.mask
		}
		t.slots[slot] = uint32(id) + 1
	}
}

// Keys returns the key columns of ids [from, to), in the Arrow types
// given to New.
func (t *Table) Keys(mem memory.Allocator, from, to int) []arrow.Array {
	out := make([]arrow.Array, len(t.cols))
	for k, c := range t.cols {
		out[k] = c.build(mem, from, to)
	}
	return out
}

// fmix is MurmurHash3's 64-bit finaliser.
func fmix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// combine mixes a column's hash into a row's running hash. The running
// hash is finalised first, so that no simple relation between two
// columns' values (a^b, a+b) collides.
func combine(h, c uint64, first bool) uint64 {
	if first {
		return c
	}
	return fmix(h+0x9E3779B97F4A7C15) ^ c
}

// wordProbe is Insert (insert set) or Lookup for a single fixed-width
// key column.
func (t *Table) wordProbe(cols []arrow.Array, ids []uint32, insert bool) error {
	if len(cols) != 1 {
		return fmt.Errorf("hashtable: %d key columns for a table of 1", len(cols))
	}
	c := t.single
	c.load(cols[0])
	ids = ids[:len(c.words)]
	for i, w := range c.words {
		if c.null != nil && c.null[i] {
			if t.nullID == Missing && insert {
				t.nullID = uint32(t.n)
				c.appendRow(i)
				t.n++
			}
			ids[i] = t.nullID
			continue
		}
		slot := fibHash(w, t.mask)
		for {
			s := &t.wslots[slot]
			if s.id == 0 {
				if !insert {
					ids[i] = Missing
					break
				}
				id := uint32(t.n)
				c.appendRow(i)
				t.n++
				s.key, s.id = w, id+1
				ids[i] = id
				if t.n*4 > len(t.wslots) {
					t.growWords()
				}
				break
			}
			if s.key == w {
				ids[i] = s.id - 1
				break
			}
			slot = (slot + 1) & t.mask
		}
	}
	return nil
}

// growWords doubles the single-word slots, keeping them at most a quarter
// full.
func (t *Table) growWords() {
	old := t.wslots
	t.wslots = make([]wordSlot, len(old)*2)
	t.mask = uint64(len(t.wslots) - 1)
	for _, s := range old {
		if s.id == 0 {
			continue
		}
		slot := fibHash(s.key, t.mask)
		for t.wslots[slot].id != 0 {
			slot = (slot + 1) & t.mask
		}
		t.wslots[slot] = s
	}
}

// fibHash is Fibonacci hashing: the top bits of w·2⁶⁴/φ, as many as the
// mask has.
func fibHash(w, mask uint64) uint64 {
	return (w * 0x9E3779B97F4A7C15) >> (bits.LeadingZeros64(mask))
}
