package structural

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// Lists.
//
// A list<T> column whose items are a flat type is one Lance column of
// items with two layers: the item layer, then the list layer. Repetition
// level 1 starts a row and 0 continues it. Definition levels number the
// item's null state first (1 when items are nullable), then the list's:
// a null list, then an empty list, as the list layer allows. A null or
// empty list has a level but no item; every other level has an item (a
// null item still takes a value slot).

// listLevels is what the definition levels of a list page mean.
type listLevels struct {
	itemNull  uint16 // level of a null item; 0 when items cannot be null
	maxItem   uint16 // highest level that still has an item
	listNull  uint16 // level of a null list; 0 when there is none
	listEmpty uint16 // level of an empty list; 0 when there is none
}

func parseListLayers(layers []enc21.RepDefLayer) (listLevels, error) {
	var lv listLevels
	if len(layers) != 2 {
		return lv, fmt.Errorf("%w: list page with layers %v (only one list level over a flat item is decoded)", ErrUnsupported, layers)
	}
	next := uint16(1)
	switch layers[0] {
	case enc21.RepDefLayer_REPDEF_ALL_VALID_ITEM:
	case enc21.RepDefLayer_REPDEF_NULLABLE_ITEM:
		lv.itemNull, lv.maxItem, next = 1, 1, 2
	default:
		return lv, fmt.Errorf("%w: list page with layers %v", ErrUnsupported, layers)
	}
	switch layers[1] {
	case enc21.RepDefLayer_REPDEF_ALL_VALID_LIST:
	case enc21.RepDefLayer_REPDEF_NULLABLE_LIST:
		lv.listNull = next
	case enc21.RepDefLayer_REPDEF_EMPTYABLE_LIST:
		lv.listEmpty = next
	case enc21.RepDefLayer_REPDEF_NULL_AND_EMPTY_LIST:
		lv.listNull, lv.listEmpty = next, next+1
	default:
		return lv, fmt.Errorf("%w: list page with layers %v", ErrUnsupported, layers)
	}
	return lv, nil
}

// pageShape checks a page's layers against its target: flat layers for a
// flat type, list layers for a list type. It returns the target of the
// items and, for lists, the meaning of their levels.
func pageShape(layers []enc21.RepDefLayer, t *target) (*target, *listLevels, error) {
	if t.shape != shapeList {
		if _, err := flatNullable(layers); err != nil {
			return nil, nil, err
		}
		return t, nil, nil
	}
	lv, err := parseListLayers(layers)
	if err != nil {
		return nil, nil, err
	}
	return t.elem, &lv, nil
}

// levelSink collects the levels of a list page, chunk by chunk.
type levelSink struct {
	rep, def []uint16
}

// visible counts the levels that have an item.
func (lv *listLevels) visible(def []uint16, n int) int {
	if def == nil {
		return n
	}
	k := 0
	for _, d := range def {
		if d <= lv.maxItem {
			k++
		}
	}
	return k
}

// assemble builds the list array of numRows rows from the page's levels
// and its decoded items, whose output it finishes.
func (lv *listLevels) assemble(mem memory.Allocator, t *target, numRows int, ls *levelSink, items *output) (arrow.Array, error) {
	rep, def := ls.rep, ls.def
	if def != nil && len(def) != len(rep) {
		items.release()
		return nil, fmt.Errorf("%w: %d repetition levels but %d definition levels", ErrCorrupt, len(rep), len(def))
	}
	ow := 4
	if t.large {
		ow = 8
	}
	offsets := newBuffer(mem, (numRows+1)*ow)
	var valid *memory.Buffer
	fail := func(err error) (arrow.Array, error) {
		items.release()
		offsets.Release()
		if valid != nil {
			valid.Release()
		}
		return nil, err
	}
	ob := offsets.Bytes()
	put := func(i, v int) {
		if ow == 4 {
			putU32(ob[4*i:], uint32(v))
		} else {
			putU64(ob[8*i:], uint64(v))
		}
	}
	row, item, nulls := -1, 0, 0
	var iv []byte
	for i, r := range rep {
		var d uint16
		if def != nil {
			d = def[i]
		}
		switch r {
		case 1:
			row++
			if row >= numRows {
				return fail(fmt.Errorf("%w: more than %d rows in a list page", ErrCorrupt, numRows))
			}
			put(row, item)
		case 0:
			if row < 0 {
				return fail(fmt.Errorf("%w: list page starts in the middle of a row", ErrCorrupt))
			}
			if d > lv.maxItem {
				return fail(fmt.Errorf("%w: null or empty list continues a row", ErrCorrupt))
			}
		default:
			return fail(fmt.Errorf("%w: repetition level %d in a single list", ErrCorrupt, r))
		}
		if d > lv.maxItem {
			switch {
			case d == lv.listNull:
				if valid == nil {
					valid = newBuffer(mem, int(bitutil.BytesForBits(int64(numRows))))
					b := valid.Bytes()
					for k := range b {
						b[k] = 0xff
					}
				}
				bitutil.ClearBit(valid.Bytes(), row)
				nulls++
			case d == lv.listEmpty:
			default:
				return fail(fmt.Errorf("%w: definition level %d", ErrCorrupt, d))
			}
			continue
		}
		if item >= items.n {
			return fail(fmt.Errorf("%w: more than %d items in a list page", ErrCorrupt, items.n))
		}
		if d != 0 {
			if iv == nil {
				iv = items.validBits()
			}
			bitutil.ClearBit(iv, item)
		}
		item++
	}
	if row+1 != numRows || item != items.n {
		return fail(fmt.Errorf("%w: list page has %d rows and %d items, want %d and %d", ErrCorrupt, row+1, item, numRows, items.n))
	}
	put(numRows, item)
	child := items.finish()
	defer child.Release()
	data := array.NewData(t.dt, numRows, []*memory.Buffer{valid, offsets}, []arrow.ArrayData{child.Data()}, nulls, 0)
	offsets.Release()
	if valid != nil {
		valid.Release()
	}
	defer data.Release()
	return array.MakeFromData(data), nil
}
