package structural

import (
	"encoding/binary"
	"fmt"
	"unsafe"
)

// The decoders and encoders reinterpret little-endian file bytes as native
// integers, so they need a little-endian host (every platform lancegate
// targets). On any other host DecodePage and EncodePage return
// ErrUnsupported; hostLittleEndian is a variable so tests can pretend.
var hostLittleEndian = isLittleEndian()

func isLittleEndian() bool {
	var x uint16 = 1
	return *(*byte)(unsafe.Pointer(&x)) == 1
}

// checkHost reports ErrUnsupported on a big-endian host.
func checkHost() error {
	if !hostLittleEndian {
		return fmt.Errorf("%w: big-endian host", ErrUnsupported)
	}
	return nil
}

type word interface {
	~uint8 | ~uint16 | ~uint32 | ~uint64
}

// viewAs returns b as a slice of T without copying when b is suitably
// aligned; otherwise it copies b into *scratch (grown as needed) and
// returns that. Trailing bytes that do not fill a T are ignored.
func viewAs[T word](b []byte, scratch *[]T) []T {
	var z T
	size := int(unsafe.Sizeof(z))
	n := len(b) / size
	if n == 0 {
		return nil
	}
	if uintptr(unsafe.Pointer(&b[0]))%uintptr(size) == 0 {
		return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), n)
	}
	if cap(*scratch) < n {
		*scratch = make([]T, n)
	}
	s := (*scratch)[:n]
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), n*size), b[:n*size])
	return s
}

// bytesOf returns the bytes of s.
func bytesOf[T word](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(z)))
}

// readUint reads a little-endian unsigned integer of width bytes (1, 2,
// 4 or 8) from b, which must be long enough.
func readUint(b []byte, width int) uint64 {
	switch width {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	}
	return binary.LittleEndian.Uint64(b)
}

// pad8 rounds n up to a multiple of 8.
func pad8(n int) int { return (n + 7) &^ 7 }

// alignedView returns b as a slice of T without copying, or false when b
// is not aligned for T.
func alignedView[T word](b []byte) ([]T, bool) {
	var z T
	size := int(unsafe.Sizeof(z))
	n := len(b) / size
	if n == 0 {
		return nil, true
	}
	if uintptr(unsafe.Pointer(&b[0]))%uintptr(size) != 0 {
		return nil, false
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), n), true
}
