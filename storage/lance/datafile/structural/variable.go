package structural

import (
	"fmt"

	"github.com/lancegate/lancegate/storage/lance/datafile/structural/fsst"
	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// varChunk is a run of decoded variable-width values: value i is
// data[offs[i]:offs[i+1]], and offs[0] == 0.
type varChunk struct {
	offs []uint64
	data []byte
}

// miniVar decodes n variable-width values from the buffers of one
// mini-block chunk. The result may alias the chunk or the decoder's
// scratch space and is valid until the next call.
func (d *decoder) miniVar(e *enc21.CompressiveEncoding, bufs [][]byte, n int, depth int) (varChunk, error) {
	if depth >= maxDepth {
		return varChunk{}, fmt.Errorf("%w: compressive encoding nested too deeply", ErrCorrupt)
	}
	switch c := e.GetCompression().(type) {
	case *enc21.CompressiveEncoding_Variable:
		if err := checkBufs("variable", bufs, 1); err != nil {
			return varChunk{}, err
		}
		src, err := d.compressed(c.Variable.Values, bufs[0], depth)
		if err != nil {
			return varChunk{}, err
		}
		f := c.Variable.GetOffsets().GetFlat()
		if f == nil {
			return varChunk{}, fmt.Errorf("%w: variable-width offsets with %s compression", ErrUnsupported, encodingName(c.Variable.GetOffsets()))
		}
		return d.inlineOffsets(src, n, int(f.GetBitsPerValue()))
	case *enc21.CompressiveEncoding_Fsst:
		inner, err := d.miniVar(c.Fsst.GetValues(), bufs, n, depth+1)
		if err != nil {
			return varChunk{}, err
		}
		return d.fsstDecode(c.Fsst, inner)
	case *enc21.CompressiveEncoding_General:
		g := c.General
		if err := checkBufs("general", bufs, 1); err != nil {
			return varChunk{}, err
		}
		b, err := decompress(g.Compression, bufs[0], d.general[depth])
		if err != nil {
			return varChunk{}, err
		}
		d.general[depth] = b
		return d.miniVar(g.Values, d.swapFirst(depth, bufs, b), n, depth+1)
	case nil:
		return varChunk{}, fmt.Errorf("%w: empty compressive encoding", ErrCorrupt)
	}
	return varChunk{}, fmt.Errorf("%w: %s compression of variable-width mini-block values", ErrUnsupported, encodingName(e))
}

// inlineOffsets reads a mini-block variable-width buffer: n+1 offsets of
// bits bits at its start, pointing at value bytes later in the same buffer.
func (d *decoder) inlineOffsets(src []byte, n, bits int) (varChunk, error) {
	if bits != 32 && bits != 64 {
		return varChunk{}, fmt.Errorf("%w: variable-width offsets of %d bits", ErrUnsupported, bits)
	}
	w := bits / 8
	if uint64(len(src)) < uint64(n+1)*uint64(w) {
		return varChunk{}, fmt.Errorf("%w: %d bytes cannot hold %d offsets", ErrCorrupt, len(src), n+1)
	}
	offs := d.offsScratch(&d.vOffs, n+1)
	first := readUint(src, w)
	prev := first
	if w == 4 {
		raw := viewAs(src[:4*(n+1)], &d.w32)
		for i, o := range raw {
			v := uint64(o)
			if v < prev {
				return varChunk{}, fmt.Errorf("%w: offsets decrease at value %d", ErrCorrupt, i)
			}
			offs[i] = v - first
			prev = v
		}
	} else {
		raw := viewAs(src[:8*(n+1)], &d.w64)
		for i, v := range raw {
			if v < prev {
				return varChunk{}, fmt.Errorf("%w: offsets decrease at value %d", ErrCorrupt, i)
			}
			offs[i] = v - first
			prev = v
		}
	}
	if prev > uint64(len(src)) {
		return varChunk{}, fmt.Errorf("%w: offset %d beyond a %d-byte chunk", ErrCorrupt, prev, len(src))
	}
	return varChunk{offs: offs, data: src[first:prev]}, nil
}

func (d *decoder) offsScratch(s *[]uint64, n int) []uint64 {
	if cap(*s) < n {
		*s = make([]uint64, n, n+n/4)
	}
	return (*s)[:n]
}

// fsstTable parses (once per page) the symbol table of an Fsst node.
func (d *decoder) fsstTable(f *enc21.Fsst) (*fsst.Table, error) {
	if t, ok := d.fsstTables[f]; ok {
		return t, nil
	}
	t, err := fsst.ParseTable(f.GetSymbolTable())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if d.fsstTables == nil {
		d.fsstTables = map[*enc21.Fsst]*fsst.Table{}
	}
	d.fsstTables[f] = t
	return t, nil
}

// fsstDecode expands the FSST codes of each value of in.
func (d *decoder) fsstDecode(f *enc21.Fsst, in varChunk) (varChunk, error) {
	t, err := d.fsstTable(f)
	if err != nil {
		return varChunk{}, err
	}
	n := len(in.offs) - 1
	offs := d.offsScratch(&d.vOffs2, n+1)
	out := d.vData[:0]
	offs[0] = 0
	for i := 0; i < n; i++ {
		out, err = t.Decode(out, in.data[in.offs[i]:in.offs[i+1]])
		if err != nil {
			return varChunk{}, fmt.Errorf("%w: value %d: %v", ErrCorrupt, i, err)
		}
		offs[i+1] = uint64(len(out))
	}
	d.vData = out
	return varChunk{offs: offs, data: out}, nil
}

// appendChunk appends a chunk of values as rows [pos, pos+n) of o.
func (o *output) appendChunk(pos int, vc varChunk) error {
	n := len(vc.offs) - 1
	if pos+n > o.n {
		return fmt.Errorf("%w: %d values overflow a page of %d rows", ErrCorrupt, pos+n, o.n)
	}
	dst, err := o.growData(len(vc.data))
	if err != nil {
		return err
	}
	copy(dst, vc.data)
	base := uint64(o.dataLen)
	o.dataLen += len(vc.data)
	ob := o.offsets.Bytes()
	if o.t.large {
		if out, ok := alignedView[uint64](ob); ok {
			out = out[pos+1 : pos+n+1]
			for i := range out {
				out[i] = base + vc.offs[i+1]
			}
			return nil
		}
	} else if out, ok := alignedView[uint32](ob); ok {
		out = out[pos+1 : pos+n+1]
		for i := range out {
			out[i] = uint32(base + vc.offs[i+1])
		}
		return nil
	}
	for i := 1; i <= n; i++ {
		o.setOffset(pos+i, int(base+vc.offs[i]))
	}
	return nil
}
