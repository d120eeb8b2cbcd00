package structural

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// Mini-block layout.
//
// Buffer 0 holds one metadata word per chunk: 16 bits, or 32 bits when
// has_large_chunk is set (2.2). The low 4 bits are log2 of the chunk's
// value count (every chunk but the last holds a power of two values; the
// last holds whatever remains of num_items), the rest is the chunk's size
// in 8-byte words, minus one. Buffer 1 holds the chunks back to back.
// Buffer 2 holds the dictionary when the layout has one, and the next
// buffer the repetition index when repetition_index_depth > 0.
//
// A chunk starts with a header: the number of levels (u16), the size of
// the repetition levels (u16, when rep_compression is set), the size of the
// definition levels (u16, when def_compression is set), and the size of
// each of the num_buffers value buffers (u16, or u32 with has_large_chunk),
// padded to 8 bytes. Then come the repetition levels, the definition levels
// and the value buffers, each padded to 8 bytes.

// maxChunkBuffers bounds num_buffers; codecs use at most a handful.
const maxChunkBuffers = 64

type chunkMeta struct {
	items int
	off   int // start in buffer 1
	size  int
}

// parseChunkMeta reads the chunk metadata words and checks the chunks fit
// in the chunk buffer and hold numItems values in all.
func parseChunkMeta(meta []byte, chunkBytes int, large bool, numItems uint64) ([]chunkMeta, error) {
	ws := 2
	if large {
		ws = 4
	}
	if len(meta)%ws != 0 {
		return nil, fmt.Errorf("%w: chunk metadata of %d bytes", ErrCorrupt, len(meta))
	}
	n := len(meta) / ws
	if n == 0 {
		if numItems != 0 {
			return nil, fmt.Errorf("%w: no chunks for %d items", ErrCorrupt, numItems)
		}
		return nil, nil
	}
	if uint64(n) > numItems {
		return nil, fmt.Errorf("%w: %d chunks for %d items", ErrCorrupt, n, numItems)
	}
	if numItems > uint64(n)*maxChunkItems {
		return nil, fmt.Errorf("%w: %d chunks cannot hold %d items", ErrCorrupt, n, numItems)
	}
	chunks := make([]chunkMeta, n)
	var seen uint64
	off := 0
	for i := range chunks {
		var w uint64
		if large {
			w = uint64(binary.LittleEndian.Uint32(meta[4*i:]))
		} else {
			w = uint64(binary.LittleEndian.Uint16(meta[2*i:]))
		}
		size := ((w >> 4) + 1) * 8
		var items uint64
		if i < n-1 {
			items = 1 << (w & 0xf)
		} else {
			if seen >= numItems {
				return nil, fmt.Errorf("%w: chunks hold more than %d items", ErrCorrupt, numItems)
			}
			items = numItems - seen
		}
		seen += items
		if items > maxChunkItems {
			return nil, fmt.Errorf("%w: chunk %d of %d items", ErrCorrupt, i, items)
		}
		if seen > numItems {
			return nil, fmt.Errorf("%w: chunks hold more than %d items", ErrCorrupt, numItems)
		}
		if size > uint64(chunkBytes-off) {
			return nil, fmt.Errorf("%w: chunk %d of %d bytes overruns the %d-byte chunk buffer", ErrCorrupt, i, size, chunkBytes)
		}
		chunks[i] = chunkMeta{items: int(items), off: off, size: int(size)}
		off += int(size)
	}
	return chunks, nil
}

// chunk is one parsed mini-block chunk.
type chunk struct {
	levels int
	rep    []byte
	def    []byte
	bufs   [][]byte
}

// parseChunk splits a chunk into its level and value buffers. bufs is
// reused scratch space.
func parseChunk(b []byte, l *enc21.MiniBlockLayout, bufs [][]byte) (chunk, error) {
	var c chunk
	if len(b) < 2 {
		return c, fmt.Errorf("%w: chunk of %d bytes", ErrCorrupt, len(b))
	}
	c.levels = int(binary.LittleEndian.Uint16(b))
	off := 2
	u16 := func(what string) (int, error) {
		if len(b)-off < 2 {
			return 0, fmt.Errorf("%w: chunk header ends before %s", ErrCorrupt, what)
		}
		v := int(binary.LittleEndian.Uint16(b[off:]))
		off += 2
		return v, nil
	}
	repSize, defSize := 0, 0
	var err error
	if l.RepCompression != nil {
		if repSize, err = u16("the repetition size"); err != nil {
			return c, err
		}
	}
	if l.DefCompression != nil {
		if defSize, err = u16("the definition size"); err != nil {
			return c, err
		}
	}
	nb := int(l.NumBuffers)
	var sizeArr [maxChunkBuffers]int
	sizes := sizeArr[:0]
	ws := 2
	if l.HasLargeChunk {
		ws = 4
	}
	if len(b)-off < nb*ws {
		return c, fmt.Errorf("%w: chunk header ends before its %d buffer sizes", ErrCorrupt, nb)
	}
	for i := 0; i < nb; i++ {
		if l.HasLargeChunk {
			sizes = append(sizes, int(binary.LittleEndian.Uint32(b[off:])))
		} else {
			sizes = append(sizes, int(binary.LittleEndian.Uint16(b[off:])))
		}
		off += ws
	}
	off = pad8(off)
	take := func(size int, what string, i int) ([]byte, error) {
		if off > len(b) || size > len(b)-off {
			if i >= 0 {
				what = fmt.Sprintf("%s %d", what, i)
			}
			return nil, fmt.Errorf("%w: %s of %d bytes overruns a %d-byte chunk", ErrCorrupt, what, size, len(b))
		}
		s := b[off : off+size : off+size]
		off = pad8(off + size)
		return s, nil
	}
	if l.RepCompression != nil {
		if c.rep, err = take(repSize, "repetition levels", -1); err != nil {
			return c, err
		}
	}
	if l.DefCompression != nil {
		if c.def, err = take(defSize, "definition levels", -1); err != nil {
			return c, err
		}
	}
	bufs = bufs[:0]
	for i, s := range sizes {
		v, err := take(s, "value buffer", i)
		if err != nil {
			return c, err
		}
		bufs = append(bufs, v)
	}
	c.bufs = bufs
	return c, nil
}

// maxChunkItems bounds the values of one chunk (Lance writes at most a
// few thousand), so a hostile item count cannot size the output.
const maxChunkItems = 1 << 16

// decodeMiniBlock decodes a mini-block page of a flat or list column.
func decodeMiniBlock(mem memory.Allocator, t *target, l *enc21.MiniBlockLayout, numRows uint64, bufs [][]byte) (arrow.Array, error) {
	it, lv, err := pageShape(l.GetLayers(), t)
	if err != nil {
		return nil, fmt.Errorf("mini-block: %w", err)
	}
	numItems := numRows
	if lv == nil {
		if l.RepCompression != nil || l.RepetitionIndexDepth > 0 {
			return nil, fmt.Errorf("%w: mini-block page of a flat column with repetition levels", ErrCorrupt)
		}
		if l.NumItems != numRows {
			return nil, fmt.Errorf("%w: mini-block page of %d rows has %d items", ErrCorrupt, numRows, l.NumItems)
		}
	} else {
		if l.RepCompression == nil {
			return nil, fmt.Errorf("%w: mini-block list page without repetition levels", ErrCorrupt)
		}
		numItems = l.NumItems
	}
	if l.NumBuffers > maxChunkBuffers {
		return nil, fmt.Errorf("%w: %d buffers per chunk", ErrCorrupt, l.NumBuffers)
	}
	if l.ValueCompression == nil {
		return nil, fmt.Errorf("%w: mini-block page without value compression", ErrCorrupt)
	}
	need := 2
	if l.Dictionary != nil {
		need = 3
	}
	if len(bufs) < need {
		return nil, fmt.Errorf("%w: mini-block page with %d buffers", ErrCorrupt, len(bufs))
	}
	chunks, err := parseChunkMeta(bufs[0], len(bufs[1]), l.HasLargeChunk, numItems)
	if err != nil {
		return nil, err
	}
	o, err := newOutput(mem, it, int(numItems), true)
	if err != nil {
		return nil, err
	}
	d := newDecoder(it)
	if lv != nil {
		d.lists, d.levels = lv, &levelSink{}
	}
	if l.Dictionary != nil {
		err = d.miniDictionary(o, l, chunks, bufs)
	} else {
		err = d.miniValues(o, l, chunks, bufs[1])
	}
	if err != nil {
		o.release()
		return nil, err
	}
	if lv != nil {
		return lv.assemble(mem, t, int(numRows), d.levels, o)
	}
	return o.finish(), nil
}

// eachChunk parses every chunk, applies its levels (to o's validity for a
// flat page, to the level sink for a list page) and calls fn with the
// chunk's first item.
func (d *decoder) eachChunk(o *output, l *enc21.MiniBlockLayout, chunks []chunkMeta, data []byte, fn func(pos int, cm chunkMeta, c chunk) error) error {
	var scratch [][]byte
	pos := 0
	for i, cm := range chunks {
		c, err := parseChunk(data[cm.off:cm.off+cm.size], l, scratch)
		if err != nil {
			return fmt.Errorf("chunk %d: %w", i, err)
		}
		scratch = c.bufs
		if d.levels != nil {
			if err := d.chunkLevels(l, c, cm.items); err != nil {
				return fmt.Errorf("chunk %d: %w", i, err)
			}
		} else if l.DefCompression != nil {
			defs, err := d.levels16(l.DefCompression, c.def, cm.items, &d.lvl)
			if err != nil {
				return fmt.Errorf("chunk %d definition levels: %w", i, err)
			}
			o.setDefs(pos, defs)
		}
		if err := fn(pos, cm, c); err != nil {
			return fmt.Errorf("chunk %d: %w", i, err)
		}
		pos += cm.items
	}
	return nil
}

// chunkLevels decodes the levels of one chunk of a list page into the
// level sink and checks they account for the chunk's items.
func (d *decoder) chunkLevels(l *enc21.MiniBlockLayout, c chunk, items int) error {
	n := c.levels
	if n < items {
		return fmt.Errorf("%w: %d levels for %d items", ErrCorrupt, n, items)
	}
	rep, err := d.levels16(l.RepCompression, c.rep, n, &d.lvlRep)
	if err != nil {
		return fmt.Errorf("repetition levels: %w", err)
	}
	var def []uint16
	if l.DefCompression != nil {
		if def, err = d.levels16(l.DefCompression, c.def, n, &d.lvl); err != nil {
			return fmt.Errorf("definition levels: %w", err)
		}
	} else {
		def = make([]uint16, n)
	}
	if v := d.lists.visible(def, n); v != items {
		return fmt.Errorf("%w: levels show %d items, chunk has %d", ErrCorrupt, v, items)
	}
	d.levels.rep = append(d.levels.rep, rep...)
	d.levels.def = append(d.levels.def, def...)
	return nil
}

// miniValues decodes chunks of plain (not dictionary) values into o.
func (d *decoder) miniValues(o *output, l *enc21.MiniBlockLayout, chunks []chunkMeta, data []byte) error {
	t := d.t
	return d.eachChunk(o, l, chunks, data, func(pos int, cm chunkMeta, c chunk) error {
		if t.shape == shapeVariable {
			vc, err := d.miniVar(l.ValueCompression, c.bufs, cm.items, 0)
			if err != nil {
				return err
			}
			return o.appendChunk(pos, vc)
		}
		bits := t.rowBits()
		return d.miniFixed(l.ValueCompression, c.bufs, cm.items, bits, fixedDst{b: o.values.Bytes(), bit: pos * bits, out: o}, 0)
	})
}

// levels16 decodes the n levels of one chunk. The common case, levels
// bitpacked out of line, is decoded into *scratch, reused from chunk to
// chunk; the result is valid until the next call with the same scratch.
func (d *decoder) levels16(e *enc21.CompressiveEncoding, buf []byte, n int, scratch *[]uint16) ([]uint16, error) {
	if ool := e.GetOutOfLineBitpacking(); ool != nil && ool.GetUncompressedBitsPerValue() == 16 {
		if f := ool.GetValues().GetFlat(); f != nil && f.GetBitsPerValue() <= 16 {
			if cap(*scratch) < n {
				*scratch = make([]uint16, n)
			}
			lv := (*scratch)[:n]
			if err := unpackOutOfLine(buf, n, int(f.GetBitsPerValue()), bytesOf(lv), &d.w16); err != nil {
				return nil, fmt.Errorf("levels: %w", err)
			}
			return lv, nil
		}
	}
	return decodeLevels(e, buf, n)
}
