package deletion

import (
	"encoding/binary"
	"errors"
)

// errOutOfBounds reports a flatbuffer offset or length that points outside
// its buffer.
var errOutOfBounds = errors.New("flatbuffer reference out of bounds")

// fbTable is a flatbuffer table read with every offset checked against the
// buffer: unlike the generated accessors the Arrow reader uses, it cannot
// index out of range or size an allocation from an unchecked length.
type fbTable struct {
	buf    []byte
	pos    int // start of the table
	vtable int // start of its vtable
	vtLen  int // vtable length in bytes
}

// u32 reads a little-endian uint32 at off, or fails.
func u32(buf []byte, off int) (uint32, error) {
	if off < 0 || off > len(buf)-4 {
		return 0, errOutOfBounds
	}
	return binary.LittleEndian.Uint32(buf[off:]), nil
}

// fbRoot returns the root table of the flatbuffer buf.
func fbRoot(buf []byte) (fbTable, error) {
	off, err := u32(buf, 0)
	if err != nil {
		return fbTable{}, err
	}
	return fbTableAt(buf, int64(off))
}

// fbTableAt returns the table starting at pos.
func fbTableAt(buf []byte, pos int64) (fbTable, error) {
	if pos < 0 || pos > int64(len(buf))-4 {
		return fbTable{}, errOutOfBounds
	}
	soff := int32(binary.LittleEndian.Uint32(buf[pos:]))
	vt := pos - int64(soff)
	if vt < 0 || vt > int64(len(buf))-4 {
		return fbTable{}, errOutOfBounds
	}
	vtLen := int(binary.LittleEndian.Uint16(buf[vt:]))
	tableLen := int64(binary.LittleEndian.Uint16(buf[vt+2:]))
	if vtLen < 4 || vtLen%2 != 0 || vt+int64(vtLen) > int64(len(buf)) || tableLen < 4 || pos+tableLen > int64(len(buf)) {
		return fbTable{}, errOutOfBounds
	}
	return fbTable{buf: buf, pos: int(pos), vtable: int(vt), vtLen: vtLen}, nil
}

// field returns the buffer offset of field slot (0-based), and false when
// the table does not store it.
func (t fbTable) field(slot int) (int, bool) {
	e := 4 + 2*slot
	if e+2 > t.vtLen {
		return 0, false
	}
	rel := int(binary.LittleEndian.Uint16(t.buf[t.vtable+e:]))
	if rel == 0 {
		return 0, false
	}
	return t.pos + rel, true
}

// scalar returns the size bytes of field slot, or nil when absent.
func (t fbTable) scalar(slot, size int) ([]byte, error) {
	off, ok := t.field(slot)
	if !ok {
		return nil, nil
	}
	if off > len(t.buf)-size {
		return nil, errOutOfBounds
	}
	return t.buf[off : off+size], nil
}

// u8 returns the byte field slot, or def when absent.
func (t fbTable) u8(slot int, def uint8) (uint8, error) {
	b, err := t.scalar(slot, 1)
	if err != nil || b == nil {
		return def, err
	}
	return b[0], nil
}

// i32 returns the int32 field slot, or def when absent.
func (t fbTable) i32(slot int, def int32) (int32, error) {
	b, err := t.scalar(slot, 4)
	if err != nil || b == nil {
		return def, err
	}
	return int32(binary.LittleEndian.Uint32(b)), nil
}

// target follows the offset stored in field slot; false when absent.
func (t fbTable) target(slot int) (int64, bool, error) {
	off, ok := t.field(slot)
	if !ok {
		return 0, false, nil
	}
	rel, err := u32(t.buf, off)
	if err != nil {
		return 0, false, err
	}
	return int64(off) + int64(rel), true, nil
}

// table returns the table field slot; false when absent.
func (t fbTable) table(slot int) (fbTable, bool, error) {
	pos, ok, err := t.target(slot)
	if err != nil || !ok {
		return fbTable{}, false, err
	}
	sub, err := fbTableAt(t.buf, pos)
	return sub, err == nil, err
}

// vector returns the start and element count of the vector field slot,
// whose elements are elemSize bytes each, after checking that it fits in
// the buffer. An absent vector is empty.
func (t fbTable) vector(slot, elemSize int) (start, n int, err error) {
	pos, ok, err := t.target(slot)
	if err != nil || !ok {
		return 0, 0, err
	}
	if pos > int64(len(t.buf))-4 {
		return 0, 0, errOutOfBounds
	}
	count := int64(binary.LittleEndian.Uint32(t.buf[pos:]))
	if count*int64(elemSize) > int64(len(t.buf))-pos-4 {
		return 0, 0, errOutOfBounds
	}
	return int(pos) + 4, int(count), nil
}

// vectorTable returns element i of a vector of tables that starts at start.
func (t fbTable) vectorTable(start, i int) (fbTable, error) {
	off := start + 4*i
	rel, err := u32(t.buf, off)
	if err != nil {
		return fbTable{}, err
	}
	return fbTableAt(t.buf, int64(off)+int64(rel))
}

// str returns the string field slot, and false when absent.
func (t fbTable) str(slot int) (string, bool, error) {
	start, n, err := t.vector(slot, 1)
	if err != nil {
		return "", false, err
	}
	if _, ok := t.field(slot); !ok {
		return "", false, nil
	}
	return string(t.buf[start : start+n]), true, nil
}
