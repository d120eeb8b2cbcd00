package datafile

import (
	"encoding/binary"
	"fmt"
)

// The footer is the last 40 bytes of every v2 data file:
//
//	offset  size  field
//	     0     8  column_meta_start   u64 LE, position of ColumnMetadata 0
//	     8     8  cmo_table_start     u64 LE, position of the column-metadata offset table
//	    16     8  gbo_table_start     u64 LE, position of the global-buffer offset table
//	    24     4  num_global_buffers  u32 LE, >= 1 (buffer 0 is the FileDescriptor)
//	    28     4  num_columns         u32 LE
//	    32     2  major               u16 LE
//	    34     2  minor               u16 LE
//	    36     4  magic               "LANC"
//
// The offset tables hold (u64 position, u64 length) pairs.
const (
	footerSize = 40
	magic      = "LANC"
)

// Footer is the decoded fixed-size tail of a data file.
type Footer struct {
	ColumnMetaStart  uint64
	CMOTableStart    uint64
	GBOTableStart    uint64
	NumGlobalBuffers uint32
	NumColumns       uint32
	Major, Minor     uint16
}

// Version is a data file format version as the manifest names it.
type Version struct {
	Major, Minor uint16
}

// The versions lancegate knows.
var (
	V2_0 = Version{2, 0}
	V2_1 = Version{2, 1}
	V2_2 = Version{2, 2}
)

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// ParseVersion parses "2.0", "2.1", "2.2". Aliases such as "stable" are not
// stored in manifests and are not accepted here.
func ParseVersion(s string) (Version, error) {
	switch s {
	case "2.0":
		return V2_0, nil
	case "2.1":
		return V2_1, nil
	case "2.2":
		return V2_2, nil
	}
	return Version{}, fmt.Errorf("%w: data storage version %q", ErrUnsupported, s)
}

// footerVersion maps the numbers in a footer to a format version: (0,3) and
// (2,0) are 2.0; (2,1) and (2,2) are themselves; (0,0)-(0,2) are legacy.
func footerVersion(major, minor uint16) (Version, error) {
	switch {
	case major == 0 && minor == 3, major == 2 && minor == 0:
		return V2_0, nil
	case major == 2 && minor == 1:
		return V2_1, nil
	case major == 2 && minor == 2:
		return V2_2, nil
	case major == 0 && minor <= 2:
		return Version{}, fmt.Errorf("%w: legacy (0.%d) data file", ErrUnsupported, minor)
	}
	return Version{}, fmt.Errorf("%w: data file version %d.%d", ErrUnsupported, major, minor)
}

// footerNumbers are the numbers written into a footer for v: 2.0 files carry
// (0,3), which every pylance reads as 2.0; (2,0) crashes older readers.
func footerNumbers(v Version) (uint16, uint16) {
	if v == V2_0 {
		return 0, 3
	}
	return v.Major, v.Minor
}

func decodeFooter(b []byte) (Footer, error) {
	if len(b) < footerSize {
		return Footer{}, fmt.Errorf("%w: %d bytes is too short for a footer", ErrCorrupt, len(b))
	}
	b = b[len(b)-footerSize:]
	if string(b[36:40]) != magic {
		return Footer{}, fmt.Errorf("%w: missing LANC magic", ErrCorrupt)
	}
	return Footer{
		ColumnMetaStart:  binary.LittleEndian.Uint64(b[0:]),
		CMOTableStart:    binary.LittleEndian.Uint64(b[8:]),
		GBOTableStart:    binary.LittleEndian.Uint64(b[16:]),
		NumGlobalBuffers: binary.LittleEndian.Uint32(b[24:]),
		NumColumns:       binary.LittleEndian.Uint32(b[28:]),
		Major:            binary.LittleEndian.Uint16(b[32:]),
		Minor:            binary.LittleEndian.Uint16(b[34:]),
	}, nil
}

func appendFooter(dst []byte, f Footer) []byte {
	dst = binary.LittleEndian.AppendUint64(dst, f.ColumnMetaStart)
	dst = binary.LittleEndian.AppendUint64(dst, f.CMOTableStart)
	dst = binary.LittleEndian.AppendUint64(dst, f.GBOTableStart)
	dst = binary.LittleEndian.AppendUint32(dst, f.NumGlobalBuffers)
	dst = binary.LittleEndian.AppendUint32(dst, f.NumColumns)
	dst = binary.LittleEndian.AppendUint16(dst, f.Major)
	dst = binary.LittleEndian.AppendUint16(dst, f.Minor)
	return append(dst, magic...)
}
