package structural

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow/bitutil"

	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// Dictionary pages.
//
// A mini-block page may replace its values by indices into a dictionary
// stored whole in buffer 2 and compressed as a block (Flat or Variable,
// usually wrapped in General). The chunks then hold the indices, compressed
// like any fixed-width values; the index width is the one the value
// compression declares. Decoding materializes the values: the page's
// Arrow type is the dictionary's value type.

// miniDictionary decodes a dictionary-encoded mini-block page into o.
func (d *decoder) miniDictionary(o *output, l *enc21.MiniBlockLayout, chunks []chunkMeta, bufs [][]byte) error {
	t := d.t
	nd := l.NumDictionaryItems
	if nd > uint64(len(bufs[2]))*8+1 {
		return fmt.Errorf("%w: %d dictionary items in %d bytes", ErrCorrupt, nd, len(bufs[2]))
	}
	dict, err := decodeBlock(l.Dictionary, bufs[2], int(nd), 0)
	if err != nil {
		return fmt.Errorf("dictionary: %w", err)
	}
	switch {
	case t.shape == shapeVariable && dict.bits == 0:
	case t.shape != shapeVariable && dict.bits == t.rowBits() && dict.bits%8 == 0:
	default:
		return fmt.Errorf("%w: dictionary of %d-bit values for type %s", ErrUnsupported, dict.bits, t.dt)
	}
	ib := declaredBits(l.ValueCompression)
	if ib != 8 && ib != 16 && ib != 32 && ib != 64 {
		return fmt.Errorf("%w: dictionary indices of %d bits", ErrUnsupported, ib)
	}
	idx := make([]byte, o.n*ib/8)
	err = d.eachChunk(o, l, chunks, bufs[1], func(pos int, cm chunkMeta, c chunk) error {
		return d.miniFixed(l.ValueCompression, c.bufs, cm.items, ib, fixedDst{b: idx, bit: pos * ib}, 0)
	})
	if err != nil {
		return err
	}
	switch ib {
	case 8:
		return gather(o, dict, viewAs(idx, new([]uint8)))
	case 16:
		return gather(o, dict, viewAs(idx, new([]uint16)))
	case 32:
		return gather(o, dict, viewAs(idx, new([]uint32)))
	}
	return gather(o, dict, viewAs(idx, new([]uint64)))
}

// gather writes dict[idx[i]] to row i of o. An index outside the
// dictionary is an error unless its row is null.
func gather[I word](o *output, dict block, idx []I) error {
	var valid []byte
	if o.valid != nil {
		valid = o.valid.Bytes()
	}
	nd := uint64(dict.n)
	bad := func(i int) error {
		if valid != nil && !bitutil.BitIsSet(valid, i) {
			return nil
		}
		return fmt.Errorf("%w: dictionary index %d of %d items at row %d", ErrCorrupt, idx[i], nd, i)
	}
	if dict.bits == 0 {
		var total uint64
		for i, k := range idx {
			if uint64(k) >= nd {
				if err := bad(i); err != nil {
					return err
				}
				continue
			}
			total += dict.offs[k+1] - dict.offs[k]
		}
		if total > maxValueBytes {
			return fmt.Errorf("%w: dictionary page expands to %d bytes", ErrUnsupported, total)
		}
		dst, err := o.growData(int(total))
		if err != nil {
			return err
		}
		base := o.dataLen
		ob := o.offsets.Bytes()
		if o.t.large {
			if offs, ok := alignedView[uint64](ob); ok {
				gatherVar(dst, dict, idx, offs[1:len(idx)+1], uint64(base))
				o.dataLen += int(total)
				return nil
			}
		} else if offs, ok := alignedView[uint32](ob); ok {
			gatherVar(dst, dict, idx, offs[1:len(idx)+1], uint32(base))
			o.dataLen += int(total)
			return nil
		}
		at := 0
		for i, k := range idx {
			if uint64(k) < nd {
				at += copy(dst[at:], dict.data[dict.offs[k]:dict.offs[k+1]])
			}
			o.setOffset(i+1, base+at)
		}
		o.dataLen += at
		return nil
	}
	w := dict.bits / 8
	out := o.values.Bytes()
	switch w {
	case 8:
		dv := viewAs(dict.data[:dict.n*8], new([]uint64))
		ov, ok := alignedView[uint64](out)
		if ok {
			for i, k := range idx {
				if uint64(k) >= nd {
					if err := bad(i); err != nil {
						return err
					}
					ov[i] = 0
					continue
				}
				ov[i] = dv[k]
			}
			return nil
		}
	case 4:
		dv := viewAs(dict.data[:dict.n*4], new([]uint32))
		ov, ok := alignedView[uint32](out)
		if ok {
			for i, k := range idx {
				if uint64(k) >= nd {
					if err := bad(i); err != nil {
						return err
					}
					ov[i] = 0
					continue
				}
				ov[i] = dv[k]
			}
			return nil
		}
	}
	for i, k := range idx {
		if uint64(k) >= nd {
			if err := bad(i); err != nil {
				return err
			}
			clear(out[i*w : i*w+w])
			continue
		}
		copy(out[i*w:i*w+w], dict.data[int(k)*w:int(k)*w+w])
	}
	return nil
}

// gatherVar copies the dictionary values idx names into dst and writes
// their end offsets (plus base); indices outside the dictionary (null
// rows, already checked) get empty values.
func gatherVar[I word, O uint32 | uint64](dst []byte, dict block, idx []I, offs []O, base O) {
	nd := uint64(dict.n)
	at := 0
	for i, k := range idx {
		if uint64(k) < nd {
			at += copy(dst[at:], dict.data[dict.offs[k]:dict.offs[k+1]])
		}
		offs[i] = base + O(at)
	}
}
