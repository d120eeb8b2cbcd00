package structural

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// Encoding lists.
//
// A page of list<T>, T flat, is written as pylance writes it: one column of
// items with an item layer and a list layer (lists.go has the meaning of
// the levels). Every item, and every null or empty list (which has no
// item), gets a repetition level (1 starts a row) and a definition level:
//
//	0             a valid item
//	1             a null item, when the page has null items
//	next          a null list, when the page has null lists
//	next (+1)     an empty list, when the page has empty lists
//
// The layers say which of these the page uses, so a page without null
// items, null lists or empty lists spends no level on them. The layout is
// chosen as for flat pages, on the items:
//
//	no item, or every item null   constant (2.1: all-null) layout with the
//	                              levels raw in two buffers
//	items under 256 bytes         mini-block: chunks of a power of two
//	                              items (Flat, or Variable for strings)
//	                              with their levels bitpacked out of line,
//	                              and a repetition index
//	items of 256 bytes or more    full-zip: a control word per level
//	                              (repetition above definition), then the
//	                              item when the level has one, and a
//	                              repetition index
//
// A mini-block chunk holds the levels up to its last item; the null and
// empty lists that follow it go to the next chunk, and the last chunk
// takes the rest. A row may span chunks. The repetition index has two
// words a chunk: the rows that end in it, and the levels of the row still
// open at its end (0 when the next chunk starts a row). Chunk headers count
// levels in 16 bits and 2.1 chunks are at most 32 KiB, so a list page holds
// at most MaxListPageRows rows: then a chunk of at most 4096 items has at
// most 4096+MaxListPageRows levels, and its levels and values fit.

// MaxListPageRows is the most rows EncodePage takes in one page of a list
// column; writers cut list columns into pages of at most this many rows.
const MaxListPageRows = 16384

// listSource is one page of a list column gathered from its Arrow chunks.
type listSource struct {
	rows    int
	rep     []uint16 // one per level: 1 starts a row, 0 continues it
	def     []uint16 // one per level, numbered as described above
	maxItem uint16   // highest definition level with an item
	maxDef  uint16   // highest definition level used
	layers  []enc21.RepDefLayer
	items   *pageSource // the visible items; nil when there are none
}

// Level kinds before numbering.
const (
	kindItem = iota
	kindNullItem
	kindNullList
	kindEmptyList
)

// gatherList collects the levels and items of list chunks of type t.
func gatherList(t *target, chunks []arrow.Array) (*listSource, error) {
	ls := &listSource{}
	var kinds []uint16
	var slices []arrow.Array
	defer func() {
		for _, a := range slices {
			a.Release()
		}
	}()
	var has [4]bool
	for _, a := range chunks {
		n := a.Len()
		ls.rows += n
		var child arrow.Array
		var span func(i int) (int64, int64)
		switch l := a.(type) {
		case *array.List:
			child, span = l.ListValues(), l.ValueOffsets
		case *array.LargeList:
			child, span = l.ListValues(), l.ValueOffsets
		default:
			return nil, fmt.Errorf("%w: writing %s", ErrUnsupported, a.DataType())
		}
		// Items of consecutive valid lists form runs, each taken as one
		// slice of the child; items under null lists are skipped.
		runStart, runEnd := -1, -1
		flush := func() {
			if runStart >= 0 && runEnd > runStart {
				slices = append(slices, array.NewSlice(child, int64(runStart), int64(runEnd)))
			}
			runStart, runEnd = -1, -1
		}
		for i := 0; i < n; i++ {
			if a.IsNull(i) {
				kinds, ls.rep = append(kinds, kindNullList), append(ls.rep, 1)
				has[kindNullList] = true
				continue
			}
			lo64, hi64 := span(i)
			lo, hi := int(lo64), int(hi64)
			if hi <= lo {
				kinds, ls.rep = append(kinds, kindEmptyList), append(ls.rep, 1)
				has[kindEmptyList] = true
				continue
			}
			if lo != runEnd {
				flush()
				runStart = lo
			}
			runEnd = hi
			for j := lo; j < hi; j++ {
				r := uint16(0)
				if j == lo {
					r = 1
				}
				k := uint16(kindItem)
				if child.IsNull(j) {
					k = kindNullItem
					has[kindNullItem] = true
				}
				kinds, ls.rep = append(kinds, k), append(ls.rep, r)
			}
			if len(kinds) > maxRows {
				return nil, fmt.Errorf("%w: list page of more than %d levels", ErrUnsupported, maxRows)
			}
		}
		flush()
	}
	if ls.rows > MaxListPageRows {
		return nil, fmt.Errorf("%w: list page of %d rows (at most %d)", ErrUnsupported, ls.rows, MaxListPageRows)
	}
	// Number the levels and name the layers.
	var level [4]uint16
	next := uint16(1)
	itemLayer, listLayer := enc21.RepDefLayer_REPDEF_ALL_VALID_ITEM, enc21.RepDefLayer_REPDEF_ALL_VALID_LIST
	if has[kindNullItem] {
		level[kindNullItem], ls.maxItem, next = next, next, next+1
		itemLayer = enc21.RepDefLayer_REPDEF_NULLABLE_ITEM
	}
	switch {
	case has[kindNullList] && has[kindEmptyList]:
		level[kindNullList], level[kindEmptyList] = next, next+1
		listLayer = enc21.RepDefLayer_REPDEF_NULL_AND_EMPTY_LIST
	case has[kindNullList]:
		level[kindNullList] = next
		listLayer = enc21.RepDefLayer_REPDEF_NULLABLE_LIST
	case has[kindEmptyList]:
		level[kindEmptyList] = next
		listLayer = enc21.RepDefLayer_REPDEF_EMPTYABLE_LIST
	}
	ls.layers = []enc21.RepDefLayer{itemLayer, listLayer}
	for _, l := range level {
		ls.maxDef = max(ls.maxDef, l)
	}
	if ls.maxDef > 0 {
		ls.def = kinds
		for i, k := range kinds {
			ls.def[i] = level[k]
		}
	}
	if len(slices) > 0 {
		items, err := gatherPage(t.elem, slices)
		if err != nil {
			return nil, err
		}
		ls.items = items
	}
	return ls, nil
}

// visible reports whether level i has an item.
func (ls *listSource) visible(i int) bool {
	return ls.def == nil || ls.def[i] <= ls.maxItem
}

// encodeList encodes a gathered list page.
func (e *pageEncoder) encodeList(ls *listSource) (*enc21.PageLayout, [][]byte, error) {
	if ls.rows == 0 {
		return nil, nil, fmt.Errorf("%w: empty page", ErrUnsupported)
	}
	it := ls.items
	if it == nil || it.nulls == it.n {
		l := &enc21.ConstantLayout{Layers: ls.layers}
		return &enc21.PageLayout{Layout: &enc21.PageLayout_ConstantLayout{ConstantLayout: l}},
			[][]byte{append([]byte(nil), bytesOf(ls.rep)...), append([]byte(nil), bytesOf(ls.def)...)}, nil
	}
	switch it.t.shape {
	case shapeVariable:
		if it.maxLen >= fullZipMinBytes {
			return e.fullZipList(ls)
		}
	case shapeFixed:
		if it.t.byteWidth >= fullZipMinBytes {
			return e.fullZipList(ls)
		}
	case shapeBool:
	default:
		return nil, nil, fmt.Errorf("%w: writing list items of %s", ErrUnsupported, it.t.dt)
	}
	return e.miniList(ls)
}

// miniList writes a list page as mini-block chunks of items.
func (e *pageEncoder) miniList(ls *listSource) (*enc21.PageLayout, [][]byte, error) {
	s := ls.items
	t := s.t
	defWidth := bits.Len16(ls.maxDef)
	var values *enc21.CompressiveEncoding
	ow := 4
	if t.large {
		ow = 8
	}
	if t.shape == shapeVariable {
		values = variableEncoding(8 * ow)
	} else {
		values = flatEncoding(t.rowBits())
	}
	m := newMiniWriter(e.large, defWidth > 0, 1, s.n, len(s.values)+len(s.data)+s.n*ow+len(ls.rep)/2)
	m.reps = true
	var p levelPacker
	var repBuf, defBuf, vbuf []byte
	var index []byte
	lv := 0 // first level of the next chunk
	per := chunkRows(t.rowBits(), 0)
	size := func(a, b int) int { return (b-a+1)*ow + int(s.offs[b]-s.offs[a]) }
	for pos := 0; pos < s.n; {
		// Items in this chunk, as for flat pages.
		k := min(per, s.n-pos)
		if t.shape == shapeVariable {
			rest := s.n - pos
			k = rest
			if rest > maxMiniValues || size(pos, s.n) > aimVariableBytes {
				k = 2
				for 2*k < rest && 2*k <= maxMiniValues && size(pos, pos+2*k) <= aimVariableBytes {
					k *= 2
				}
			}
		}
		last := pos+k == s.n
		// Levels up to the chunk's last item; the last chunk takes all.
		end := len(ls.rep)
		if !last {
			seen := 0
			for end = lv; seen < k; end++ {
				if ls.visible(end) {
					seen++
				}
			}
		}
		rep := ls.rep[lv:end]
		repBuf = p.packLevels(repBuf[:0], rep, 1)
		var def []byte
		if defWidth > 0 {
			defBuf = p.packLevels(defBuf[:0], ls.def[lv:end], defWidth)
			def = defBuf
		}
		if t.shape == shapeVariable {
			vbuf = appendVariableChunk(vbuf[:0], s.offs[pos:pos+k+1], s.data, ow)
		} else {
			rb := t.rowBits()
			vbuf = s.values[pos*rb/8 : ((pos+k)*rb+7)/8]
		}
		if err := m.write(k, last, len(rep), repBuf, def, [][]byte{vbuf}); err != nil {
			return nil, nil, err
		}
		index = appendRepIndex(index, rep, last)
		lv, pos = end, pos+k
	}
	l, b := m.layout(values, ls.layers)
	mb := l.GetMiniBlockLayout()
	mb.RepCompression = levelEncoding(1)
	mb.RepetitionIndexDepth = 1
	if defWidth > 0 {
		mb.DefCompression = levelEncoding(defWidth)
	}
	return l, append(b, index), nil
}

// appendRepIndex appends the repetition index entry of a chunk whose
// repetition levels are rep: the rows that end in the chunk and the
// levels of the row still open at its end. A chunk that starts a row
// closes the row the previous chunk left open.
func appendRepIndex(index []byte, rep []uint16, last bool) []byte {
	rows, open := 0, 0
	for i, r := range rep {
		if r == 1 && i > 0 {
			rows++
		}
	}
	if !last {
		open = len(rep)
		for i := len(rep) - 1; i >= 0; i-- {
			if rep[i] == 1 {
				open = len(rep) - i
				break
			}
		}
	} else {
		rows++
	}
	if n := len(index); n >= 16 && len(rep) > 0 && rep[0] == 1 && binary.LittleEndian.Uint64(index[n-8:]) != 0 {
		binary.LittleEndian.PutUint64(index[n-16:], binary.LittleEndian.Uint64(index[n-16:])+1)
		binary.LittleEndian.PutUint64(index[n-8:], 0)
	}
	index = binary.LittleEndian.AppendUint64(index, uint64(rows))
	return binary.LittleEndian.AppendUint64(index, uint64(open))
}

// fullZipList writes a list page of wide items as full-zip: per level a
// control word, then the item when the level has one (fixed width: every
// visible item, null or not; variable width: length and bytes of valid
// items). Buffer 1 indexes where each row starts, and the end.
func (e *pageEncoder) fullZipList(ls *listSource) (*enc21.PageLayout, [][]byte, error) {
	s := ls.items
	t := s.t
	bitsDef := bits.Len16(ls.maxDef)
	cw, err := controlWordBytes(1, uint32(bitsDef))
	if err != nil {
		return nil, nil, err
	}
	ow := 4
	if t.large {
		ow = 8
	}
	l := &enc21.FullZipLayout{
		BitsRep:         1,
		BitsDef:         uint32(bitsDef),
		NumItems:        uint32(len(ls.rep)),
		NumVisibleItems: uint32(s.n),
		Layers:          ls.layers,
	}
	total := len(ls.rep) * cw
	if t.shape == shapeVariable {
		total += len(s.data) + s.n*ow
		l.Details = &enc21.FullZipLayout_BitsPerOffset{BitsPerOffset: uint32(8 * ow)}
		l.ValueCompression = variableEncoding(8 * ow)
	} else {
		total += len(s.values)
		l.Details = &enc21.FullZipLayout_BitsPerValue{BitsPerValue: uint32(8 * t.byteWidth)}
		l.ValueCompression = flatEncoding(8 * t.byteWidth)
	}
	iw := indexWidth(uint64(total))
	zipped := make([]byte, 0, total)
	index := make([]byte, 0, (ls.rows+1)*iw)
	item := 0
	for i, r := range ls.rep {
		if r == 1 {
			index = appendUintN(index, uint64(len(zipped)), iw)
		}
		var d uint16
		if ls.def != nil {
			d = ls.def[i]
		}
		zipped = appendUintN(zipped, uint64(r)<<bitsDef|uint64(d), cw)
		if !ls.visible(i) {
			continue
		}
		if t.shape == shapeVariable {
			if d == 0 {
				v := s.data[s.offs[item]:s.offs[item+1]]
				zipped = appendUintN(zipped, uint64(len(v)), ow)
				zipped = append(zipped, v...)
			}
		} else {
			zipped = append(zipped, s.values[item*t.byteWidth:(item+1)*t.byteWidth]...)
		}
		item++
	}
	index = appendUintN(index, uint64(len(zipped)), iw)
	return &enc21.PageLayout{Layout: &enc21.PageLayout_FullZipLayout{FullZipLayout: l}}, [][]byte{zipped, index}, nil
}
