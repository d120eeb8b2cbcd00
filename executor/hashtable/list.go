package hashtable

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// listColumn holds keys that are lists of any hashable element type
// (PostgreSQL arrays: GROUP BY tags, DISTINCT, UNION). The elements of
// every stored key live in a column of the element type, key after key;
// a row's hash combines its elements' hashes in order with its length,
// and two lists are equal when they have the same length and equal
// elements (NULL elements equal to each other, as array_eq has it).
// Lists of float32 (vectors) keep bytesColumn's faster path.
type listColumn struct {
	dt    *arrow.ListType
	elems column

	cur   *array.List
	null  []bool
	nbuf  []bool
	ehash []uint64

	offs  []int64 // per id: start of its elements in elems, plus the end
	knull []bool
}

func newListColumn(dt *arrow.ListType) (*listColumn, error) {
	elems, err := newColumn(dt.Elem())
	if err != nil {
		return nil, err
	}
	return &listColumn{dt: dt, elems: elems, offs: []int64{0}}, nil
}

func (c *listColumn) load(a arrow.Array) {
	c.cur = a.(*array.List)
	c.elems.load(c.cur.ListValues())
	c.null = nullsOf(a, c.nbuf)
	if c.null != nil {
		c.nbuf = c.null
	}
}

func (c *listColumn) isNull(i int) bool { return c.null != nil && c.null[i] }

func (c *listColumn) hash(h []uint64, first bool) {
	n := c.cur.ListValues().Len()
	if cap(c.ehash) < n {
		c.ehash = make([]uint64, n)
	}
	eh := c.ehash[:n]
	c.elems.hash(eh, true)
	for i := range h {
		x := uint64(nullHash)
		if !c.isNull(i) {
			s, e := c.cur.ValueOffsets(i)
			x = fmix(uint64(e-s) + 0x2545F4914F6CDD1D)
			for j := s; j < e; j++ {
				x = fmix(x+0x9E3779B97F4A7C15) ^ eh[j]
			}
		}
		h[i] = combine(h[i], x, first)
	}
}

func (c *listColumn) verify(rows []int32, ids []uint32, ok []bool) {
	for k, r := range rows {
		ok[k] = ok[k] && c.equalRow(int(r), ids[r])
	}
}

func (c *listColumn) appendRow(i int) {
	if !c.isNull(i) {
		s, e := c.cur.ValueOffsets(i)
		for j := s; j < e; j++ {
			c.elems.appendRow(int(j))
		}
		c.offs = append(c.offs, c.offs[len(c.offs)-1]+(e-s))
	} else {
		c.offs = append(c.offs, c.offs[len(c.offs)-1])
	}
	c.knull = append(c.knull, c.isNull(i))
}

func (c *listColumn) equalRow(i int, id uint32) bool {
	if c.isNull(i) || c.knull[id] {
		return c.isNull(i) == c.knull[id]
	}
	s, e := c.cur.ValueOffsets(i)
	ks, ke := c.offs[id], c.offs[id+1]
	if e-s != ke-ks {
		return false
	}
	for j := int64(0); j < e-s; j++ {
		if !c.elems.equalRow(int(s+j), uint32(ks+j)) {
			return false
		}
	}
	return true
}

func (c *listColumn) build(mem memory.Allocator, from, to int) arrow.Array {
	lo, hi := c.offs[from], c.offs[to]
	vals := c.elems.build(mem, int(lo), int(hi))
	defer vals.Release()
	n := to - from
	offsets := make([]int32, n+1)
	for i := range offsets {
		offsets[i] = int32(c.offs[from+i] - lo)
	}
	ob := memory.NewResizableBuffer(mem)
	ob.Resize(4 * (n + 1))
	copy(ob.Bytes(), arrow.Int32Traits.CastToBytes(offsets))
	var vb *memory.Buffer
	nulls := 0
	for _, isNull := range c.knull[from:to] {
		if isNull {
			nulls++
		}
	}
	if nulls > 0 {
		vb = memory.NewResizableBuffer(mem)
		vb.Resize((n + 7) / 8)
		bits := vb.Bytes()
		clear(bits)
		for i, isNull := range c.knull[from:to] {
			if !isNull {
				bits[i>>3] |= 1 << (i & 7)
			}
		}
	}
	d := array.NewData(c.dt, n, []*memory.Buffer{vb, ob}, []arrow.ArrayData{vals.Data()}, nulls, 0)
	out := array.MakeFromData(d)
	d.Release()
	ob.Release()
	if vb != nil {
		vb.Release()
	}
	return out
}
