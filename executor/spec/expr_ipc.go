package spec

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Arrow's IPC reader trusts the sizes in its input: a corrupt vector
// length in the flatbuffer metadata makes it allocate gigabytes (a fatal
// out-of-memory, not a panic), and offsets that point back at a parent
// make it recurse without end. checkIPC walks the framing and the
// metadata of a stream before the reader sees it, and refuses anything
// whose sizes do not fit in the bytes at hand or that constants never
// use (dictionaries, compression, unions). Other malformations are left
// to the reader, whose panics readOneRow recovers.

var errIPC = errors.New("spec: malformed Arrow IPC stream")

const (
	ipcMaxDepth  = 32      // nesting of fields
	ipcMaxFields = 1 << 14 // fields visited in a schema, counting repeats
	ipcMaxLength = 1 << 20 // values in one array node
	ipcMaxRows   = 1       // rows of a record: constants and parameters are one row
)

// checkIPC checks an Arrow IPC stream's framing and message metadata.
func checkIPC(data []byte) error {
	le := binary.LittleEndian
	pos := 0
	var need ipcNeed
	for msg := 0; ; msg++ {
		if pos == len(data) {
			return nil
		}
		if len(data)-pos < 4 {
			return fmt.Errorf("%w: truncated message length", errIPC)
		}
		n := le.Uint32(data[pos:])
		pos += 4
		if n == 0xFFFFFFFF {
			if len(data)-pos < 4 {
				return fmt.Errorf("%w: truncated message length", errIPC)
			}
			n = le.Uint32(data[pos:])
			pos += 4
		}
		if n == 0 {
			return nil
		}
		if uint64(n) > uint64(len(data)-pos) {
			return fmt.Errorf("%w: message of %d bytes in %d", errIPC, n, len(data)-pos)
		}
		meta := data[pos : pos+int(n)]
		pos += int(n)
		body, err := checkMessage(fbuf(meta), msg == 0, &need)
		if err != nil {
			return err
		}
		if body < 0 || body > int64(len(data)-pos) {
			return fmt.Errorf("%w: message body of %d bytes in %d", errIPC, body, len(data)-pos)
		}
		pos += int(body)
	}
}

// fbuf is flatbuffer bytes, read with bounds checks.
type fbuf []byte

func (b fbuf) u32(pos int) (uint32, error) {
	if pos < 0 || pos > len(b)-4 {
		return 0, fmt.Errorf("%w: offset %d out of range", errIPC, pos)
	}
	return binary.LittleEndian.Uint32(b[pos:]), nil
}

func (b fbuf) u16(pos int) (uint16, error) {
	if pos < 0 || pos > len(b)-2 {
		return 0, fmt.Errorf("%w: offset %d out of range", errIPC, pos)
	}
	return binary.LittleEndian.Uint16(b[pos:]), nil
}

func (b fbuf) i64(pos int) (int64, error) {
	if pos < 0 || pos > len(b)-8 {
		return 0, fmt.Errorf("%w: offset %d out of range", errIPC, pos)
	}
	return int64(binary.LittleEndian.Uint64(b[pos:])), nil
}

// fbTable is a flatbuffer table: its position and its vtable's.
type fbTable struct {
	b      fbuf
	pos    int
	vt     int
	vtSize int
}

// table returns the table whose uoffset is at pos.
func (b fbuf) table(pos int) (fbTable, error) {
	off, err := b.u32(pos)
	if err != nil {
		return fbTable{}, err
	}
	tpos := pos + int(off)
	so, err := b.u32(tpos)
	if err != nil {
		return fbTable{}, err
	}
	vt := tpos - int(int32(so))
	size, err := b.u16(vt)
	if err != nil {
		return fbTable{}, err
	}
	if size < 4 || vt+int(size) > len(b) {
		return fbTable{}, fmt.Errorf("%w: bad vtable", errIPC)
	}
	return fbTable{b: b, pos: tpos, vt: vt, vtSize: int(size)}, nil
}

// field returns the position of field i, or 0 when absent.
func (t fbTable) field(i int) (int, error) {
	o := 4 + 2*i
	if o >= t.vtSize { // as flatbuffers reads it: a field whose slot starts in the vtable is present
		return 0, nil
	}
	off, err := t.b.u16(t.vt + o)
	if err != nil || off == 0 {
		return 0, err
	}
	return t.pos + int(off), nil
}

func (t fbTable) byteField(i int) (byte, error) {
	p, err := t.field(i)
	if err != nil || p == 0 {
		return 0, err
	}
	if p >= len(t.b) {
		return 0, fmt.Errorf("%w: offset %d out of range", errIPC, p)
	}
	return t.b[p], nil
}

func (t fbTable) i64Field(i int) (int64, error) {
	p, err := t.field(i)
	if err != nil || p == 0 {
		return 0, err
	}
	return t.b.i64(p)
}

// sub returns the table field i refers to (ok false when absent).
func (t fbTable) sub(i int) (fbTable, bool, error) {
	p, err := t.field(i)
	if err != nil || p == 0 {
		return fbTable{}, false, err
	}
	s, err := t.b.table(p)
	return s, err == nil, err
}

// vector returns the position of the first element and the length of the
// vector (or string) field i, checked to fit with elements of elem bytes.
func (t fbTable) vector(i, elem int) (int, int, error) {
	p, err := t.field(i)
	if err != nil || p == 0 {
		return 0, 0, err
	}
	off, err := t.b.u32(p)
	if err != nil {
		return 0, 0, err
	}
	vp := p + int(off)
	n, err := t.b.u32(vp)
	if err != nil {
		return 0, 0, err
	}
	start := vp + 4
	if uint64(n)*uint64(elem) > uint64(len(t.b)-start) {
		return 0, 0, fmt.Errorf("%w: vector of %d elements out of range", errIPC, n)
	}
	return start, int(n), nil
}

// tables returns the tables of a vector-of-tables field.
func (t fbTable) tables(i int) ([]fbTable, error) {
	start, n, err := t.vector(i, 4)
	if err != nil {
		return nil, err
	}
	out := make([]fbTable, n)
	for j := range out {
		if out[j], err = t.b.table(start + 4*j); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkKeyValues checks a custom_metadata field.
func checkKeyValues(t fbTable, i int) error {
	kvs, err := t.tables(i)
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		for f := range 2 {
			if _, _, err := kv.vector(f, 1); err != nil {
				return err
			}
		}
	}
	return nil
}

// Message header types and Arrow type ids of Schema.fbs.
const (
	fbHeaderSchema      = 1
	fbHeaderRecordBatch = 3
	fbTypeMax           = 26
)

// ipcNeed counts the array nodes and buffers a record of the schema has:
// the reader indexes a record's vectors without checking their lengths.
type ipcNeed struct{ nodes, buffers int }

// checkMessage checks one message's metadata and returns its body length.
// The first message must be the schema, the others record batches.
func checkMessage(b fbuf, first bool, need *ipcNeed) (int64, error) {
	m, err := b.table(0)
	if err != nil {
		return 0, err
	}
	ht, err := m.byteField(1)
	if err != nil {
		return 0, err
	}
	if first != (ht == fbHeaderSchema) || !first && ht != fbHeaderRecordBatch {
		return 0, fmt.Errorf("%w: unexpected message type %d", errIPC, ht)
	}
	h, ok, err := m.sub(2)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("%w: message without a header", errIPC)
	}
	body, err := m.i64Field(3)
	if err != nil {
		return 0, err
	}
	if err := checkKeyValues(m, 4); err != nil {
		return 0, err
	}
	if ht == fbHeaderSchema {
		fields, err := h.tables(1)
		if err != nil {
			return 0, err
		}
		count := 0
		for _, f := range fields {
			if err := checkField(f, 0, &count, need); err != nil {
				return 0, err
			}
		}
		if err := checkKeyValues(h, 2); err != nil {
			return 0, err
		}
		if _, _, err := h.vector(3, 8); err != nil {
			return 0, err
		}
		return body, nil
	}
	// RecordBatch: length, nodes, buffers, compression, variadic counts.
	if n, err := h.i64Field(0); err != nil || n < 0 || n > ipcMaxRows {
		return 0, fmt.Errorf("%w: record of %d rows (%v)", errIPC, n, err)
	}
	start, n, err := h.vector(1, 16)
	if err != nil {
		return 0, err
	}
	if n < need.nodes {
		return 0, fmt.Errorf("%w: %d array nodes for %d", errIPC, n, need.nodes)
	}
	for j := range n {
		l, _ := b.i64(start + 16*j)
		nulls, _ := b.i64(start + 16*j + 8)
		if l < 0 || l > ipcMaxLength || nulls < 0 || nulls > l {
			return 0, fmt.Errorf("%w: array node of %d values", errIPC, l)
		}
	}
	start, n, err = h.vector(2, 16)
	if err != nil {
		return 0, err
	}
	if n < need.buffers {
		return 0, fmt.Errorf("%w: %d buffers for %d", errIPC, n, need.buffers)
	}
	for j := range n {
		off, _ := b.i64(start + 16*j)
		l, _ := b.i64(start + 16*j + 8)
		if off < 0 || l < 0 || off > body || l > body-off {
			return 0, fmt.Errorf("%w: buffer out of the body", errIPC)
		}
	}
	if p, err := h.field(3); err != nil || p != 0 {
		return 0, fmt.Errorf("%w: compressed record (%v)", errIPC, err)
	}
	if _, _, err := h.vector(4, 8); err != nil {
		return 0, err
	}
	return body, nil
}

// ipcBuffers is the number of buffers the reader takes for a node of
// each Schema.fbs type id (children apart); -1 for the types refused.
var ipcBuffers = [fbTypeMax + 1]int{
	1: 0,                                                    // Null
	2: 2, 3: 2, 6: 2, 7: 2, 8: 2, 9: 2, 10: 2, 11: 2, 18: 2, // fixed width
	4: 3, 5: 3, 19: 3, 20: 3, // (large) binary and string
	15: 2,        // fixed-size binary
	12: 2, 21: 2, // (large) list
	16: 1, // fixed-size list
	13: 1, // struct
	17: 2, // map
	0:  -1, 14: -1, 22: -1, 23: -1, 24: -1, 25: -1, 26: -1,
}

// checkField checks a Field table and its children, and adds the nodes
// and buffers a record has for them to need.
func checkField(f fbTable, depth int, count *int, need *ipcNeed) error {
	*count++
	if depth > ipcMaxDepth || *count > ipcMaxFields {
		return fmt.Errorf("%w: schema too deep or too large", errIPC)
	}
	if _, _, err := f.vector(0, 1); err != nil { // name
		return err
	}
	tt, err := f.byteField(2)
	if err != nil {
		return err
	}
	if tt > fbTypeMax || ipcBuffers[tt] < 0 {
		return fmt.Errorf("%w: type %d", errIPC, tt)
	}
	need.nodes++
	need.buffers += ipcBuffers[tt]
	{
		typ, ok, err := f.sub(3)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: field without its type", errIPC)
		}
		// The one variable-size part of the types constants use: the
		// time zone of a timestamp (field 1).
		if tt == 10 {
			if _, _, err := typ.vector(1, 1); err != nil {
				return err
			}
		}
	}
	if p, err := f.field(4); err != nil || p != 0 {
		return fmt.Errorf("%w: dictionary-encoded field (%v)", errIPC, err)
	}
	children, err := f.tables(5)
	if err != nil {
		return err
	}
	for _, c := range children {
		if err := checkField(c, depth+1, count, need); err != nil {
			return err
		}
	}
	return checkKeyValues(f, 6)
}

// checkData checks that an array's buffers hold what its type, length
// and offsets claim (Arrow's readers and kernels trust them: a string
// offset past its data makes Concatenate allocate to match). Only the
// layouts constants and parameters use are accepted.
func checkData(d arrow.ArrayData, depth int) error {
	if depth > ipcMaxDepth {
		return fmt.Errorf("%w: array nested too deeply", errIPC)
	}
	n, off := int64(d.Len()), int64(d.Offset())
	if n < 0 || off < 0 || n > ipcMaxLength || off > ipcMaxLength {
		return fmt.Errorf("%w: array of %d values at %d", errIPC, n, off)
	}
	end := n + off
	bufs := d.Buffers()
	bufLen := func(i int) int64 {
		if i >= len(bufs) || bufs[i] == nil {
			return 0
		}
		return int64(bufs[i].Len())
	}
	dt := d.DataType()
	if dt.ID() == arrow.NULL {
		return nil
	}
	if len(bufs) > 0 && bufs[0] != nil && bufLen(0)*8 < end {
		return fmt.Errorf("%w: validity bitmap too short", errIPC)
	}
	children := d.Children()
	switch t := dt.(type) {
	case *arrow.StringType, *arrow.BinaryType:
		return checkOffsets(bufs, end, off, bufLen(2), 4)
	case *arrow.LargeStringType, *arrow.LargeBinaryType:
		return checkOffsets(bufs, end, off, bufLen(2), 8)
	case *arrow.ListType, *arrow.LargeListType:
		if len(children) != 1 {
			return fmt.Errorf("%w: list without its values", errIPC)
		}
		width := 4
		if _, ok := t.(*arrow.LargeListType); ok {
			width = 8
		}
		if err := checkOffsets(bufs, end, off, int64(children[0].Len()), width); err != nil {
			return err
		}
		return checkData(children[0], depth+1)
	case *arrow.FixedSizeListType:
		if len(children) != 1 || t.Len() < 0 || int64(children[0].Len()) < end*int64(t.Len()) {
			return fmt.Errorf("%w: fixed-size list without its values", errIPC)
		}
		return checkData(children[0], depth+1)
	case *arrow.StructType:
		if len(children) != t.NumFields() {
			return fmt.Errorf("%w: struct without its fields", errIPC)
		}
		for _, c := range children {
			if int64(c.Len()) < end {
				return fmt.Errorf("%w: struct field too short", errIPC)
			}
			if err := checkData(c, depth+1); err != nil {
				return err
			}
		}
		return nil
	case *arrow.Decimal128Type:
		if t.Precision < 1 || t.Precision > 38 || t.Scale < 0 || t.Scale > t.Precision || bufLen(1) < end*16 {
			return fmt.Errorf("%w: bad %s", errIPC, dt)
		}
		return nil
	case arrow.FixedWidthDataType:
		bits := int64(t.BitWidth())
		if bits <= 0 || bufLen(1)*8 < end*bits {
			return fmt.Errorf("%w: values buffer too short", errIPC)
		}
		return nil
	}
	return fmt.Errorf("%w: unsupported Arrow type %s", errIPC, dt)
}

// checkOffsets checks the offsets of values [off, end) of a binary or
// list layout: in the buffer, non-decreasing, within limit.
func checkOffsets(bufs []*memory.Buffer, end, off, limit int64, width int) error {
	if len(bufs) < 2 || bufs[1] == nil {
		if end == 0 {
			return nil
		}
		return fmt.Errorf("%w: offsets missing", errIPC)
	}
	b := bufs[1].Bytes()
	if int64(len(b)) < (end+1)*int64(width) {
		return fmt.Errorf("%w: offsets buffer too short", errIPC)
	}
	at := func(i int64) int64 {
		if width == 4 {
			return int64(int32(binary.LittleEndian.Uint32(b[i*4:])))
		}
		return int64(binary.LittleEndian.Uint64(b[i*8:]))
	}
	prev := at(off)
	if prev < 0 {
		return fmt.Errorf("%w: negative offset", errIPC)
	}
	for i := off + 1; i <= end; i++ {
		o := at(i)
		if o < prev || o > limit {
			return fmt.Errorf("%w: offsets out of order or range", errIPC)
		}
		prev = o
	}
	return nil
}
