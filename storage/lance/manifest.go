package lance

import (
	"context"
	"encoding/binary"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/lancegate/lancegate/storage/lance/pb"
	"github.com/lancegate/lancegate/storage/objstore"
)

// A manifest file, little-endian, as Lance frames it:
//
//	[ u32 len | IndexSection ]     optional; Manifest.index_section = offset of the u32
//	[ u32 len | Transaction  ]     optional; Manifest.transaction_section = offset of the u32
//	[ u32 len | Manifest     ]     followed immediately by the footer
//	[ i64 manifest_pos ]           offset of the Manifest's u32 length
//	[ u16 major ][ u16 minor ]     ignored by readers; lancegate writes (0, 2)
//	[ "LANC" ]
//
// The manifest region must end exactly where the footer starts:
// len == size - manifest_pos - 4 - 16.
const (
	manifestFooterSize = 16
	manifestMajor      = 0
	manifestMinor      = 2
)

// manifestFile is a decoded manifest file.
type manifestFile struct {
	manifest *pb.Manifest
	// indexSection is the raw IndexSection protobuf, or nil when absent.
	indexSection []byte
}

// readManifest reads and decodes the manifest at key, whose size is known
// from a listing (size < 0: ask the store).
func readManifest(ctx context.Context, store objstore.Store, key string, size int64) (*manifestFile, error) {
	var data []byte
	var err error
	if size < 0 {
		data, err = objstore.ReadAll(ctx, store, key)
	} else {
		data, err = store.GetRange(ctx, key, 0, size)
	}
	if err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", key, err)
	}
	mf, err := decodeManifest(data)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", key, err)
	}
	return mf, nil
}

// decodeManifest decodes a whole manifest file.
func decodeManifest(data []byte) (*manifestFile, error) {
	n := len(data)
	if n < manifestFooterSize+4 {
		return nil, fmt.Errorf("%w: %d bytes is too short for a manifest", ErrCorrupt, n)
	}
	if string(data[n-4:]) != "LANC" {
		return nil, fmt.Errorf("%w: missing LANC magic", ErrCorrupt)
	}
	pos := int64(binary.LittleEndian.Uint64(data[n-16:]))
	if pos < 0 || pos > int64(n-manifestFooterSize-4) {
		return nil, fmt.Errorf("%w: manifest position %d out of bounds", ErrCorrupt, pos)
	}
	region := data[pos : n-manifestFooterSize]
	l := binary.LittleEndian.Uint32(region)
	if int64(l) != int64(len(region)-4) {
		return nil, fmt.Errorf("%w: manifest length %d does not fill its region of %d bytes", ErrCorrupt, l, len(region)-4)
	}
	m := &pb.Manifest{}
	if err := proto.Unmarshal(region[4:], m); err != nil {
		return nil, fmt.Errorf("%w: manifest protobuf: %v", ErrCorrupt, err)
	}
	mf := &manifestFile{manifest: m}
	if m.IndexSection != nil {
		sec, err := lengthPrefixed(data[:pos], *m.IndexSection)
		if err != nil {
			return nil, fmt.Errorf("index section: %w", err)
		}
		mf.indexSection = sec
	}
	return mf, nil
}

// lengthPrefixed returns the u32-length-prefixed bytes at off.
func lengthPrefixed(data []byte, off uint64) ([]byte, error) {
	if off > uint64(len(data)) || uint64(len(data))-off < 4 {
		return nil, fmt.Errorf("%w: section offset %d out of bounds", ErrCorrupt, off)
	}
	l := uint64(binary.LittleEndian.Uint32(data[off:]))
	if uint64(len(data))-off-4 < l {
		return nil, fmt.Errorf("%w: section of %d bytes at %d overruns the file", ErrCorrupt, l, off)
	}
	return data[off+4 : off+4+l], nil
}

// encodeManifest frames m, writing indexSection (raw IndexSection bytes)
// first when present and pointing m.index_section at it. m is modified.
func encodeManifest(m *pb.Manifest, indexSection []byte) ([]byte, error) {
	var out []byte
	m.IndexSection = nil
	m.TransactionSection = nil
	if indexSection != nil {
		off := uint64(0)
		m.IndexSection = &off
		out = binary.LittleEndian.AppendUint32(out, uint32(len(indexSection)))
		out = append(out, indexSection...)
	}
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, err
	}
	pos := uint64(len(out))
	out = binary.LittleEndian.AppendUint32(out, uint32(len(body)))
	out = append(out, body...)
	out = binary.LittleEndian.AppendUint64(out, pos)
	out = binary.LittleEndian.AppendUint16(out, manifestMajor)
	out = binary.LittleEndian.AppendUint16(out, manifestMinor)
	return append(out, "LANC"...), nil
}
