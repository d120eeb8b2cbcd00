package datafile

import (
	"context"
	"encoding/binary"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/lancegate/lancegate/storage/lance/pb"
)

// Source reads byte ranges of objects. objstore.Store satisfies it; so does
// a caching decorator of one.
type Source interface {
	// GetRange returns length bytes of key from off (length < 0: to the end).
	// The slice belongs to the caller.
	GetRange(ctx context.Context, key string, off, length int64) ([]byte, error)
}

// tailSize is how much of a file's end Open reads first: enough for the
// footer, offset tables, schema and column metadata of typical files, so a
// file opens in one request when its size is known.
const tailSize = 64 << 10

// BufferRange is a byte range of a data file.
type BufferRange struct {
	Offset, Length uint64
}

// File is the metadata of one opened data file. It is immutable and safe to
// share; page bytes are fetched on demand through a Source.
type File struct {
	// Key is the object key the file was opened from.
	Key string
	// Size is the file's length in bytes.
	Size int64
	// Version is the data file format version from the footer.
	Version Version
	// Footer is the decoded footer.
	Footer Footer
	// Schema is the schema stored in global buffer 0, with dataset field ids.
	Schema *pb.Schema
	// NumRows is the number of rows in the file.
	NumRows uint64
	// Columns holds each column's metadata, by column index.
	Columns []*pb.ColumnMetadata
	// GlobalBuffers locates the global buffers; 0 is the FileDescriptor.
	GlobalBuffers []BufferRange
}

// Open reads a data file's footer and metadata. size must be the file's
// exact length (from the manifest, a listing, or Stat): object stores have
// no suffix ranges.
func Open(ctx context.Context, src Source, key string, size int64) (*File, error) {
	if size < footerSize {
		return nil, fmt.Errorf("data file %s: %w: %d bytes is too short", key, ErrCorrupt, size)
	}
	start := size - tailSize
	if start < 0 {
		start = 0
	}
	tail, err := src.GetRange(ctx, key, start, size-start)
	if err != nil {
		return nil, fmt.Errorf("data file %s: read footer: %w", key, err)
	}
	if int64(len(tail)) != size-start {
		return nil, fmt.Errorf("data file %s: %w: short read of tail (%d of %d bytes); is file_size_bytes right?", key, ErrCorrupt, len(tail), size-start)
	}
	f, need, err := parseMetadata(key, size, start, tail)
	if err == nil && need >= 0 {
		// The metadata starts before the tail we read: fetch the rest once.
		more, rerr := src.GetRange(ctx, key, need, start-need)
		if rerr != nil {
			return nil, fmt.Errorf("data file %s: read metadata: %w", key, rerr)
		}
		if int64(len(more)) != start-need {
			return nil, fmt.Errorf("data file %s: %w: short read of metadata", key, ErrCorrupt)
		}
		f, _, err = parseMetadata(key, size, need, append(more, tail...))
	}
	if err != nil {
		return nil, fmt.Errorf("data file %s: %w", key, err)
	}
	return f, nil
}

// ParseFile decodes the metadata of a data file held entirely in memory.
func ParseFile(key string, data []byte) (*File, error) {
	f, need, err := parseMetadata(key, int64(len(data)), 0, data)
	if err == nil && need >= 0 {
		err = fmt.Errorf("%w: metadata starts before the file", ErrCorrupt)
	}
	if err != nil {
		return nil, fmt.Errorf("data file %s: %w", key, err)
	}
	return f, nil
}

// parseMetadata decodes the metadata from buf, which holds the file's bytes
// from position base to the end. If the metadata begins before base it
// returns need >= 0, the position to read from; otherwise need is -1.
func parseMetadata(key string, size, base int64, buf []byte) (*File, int64, error) {
	ft, err := decodeFooter(buf)
	if err != nil {
		return nil, -1, err
	}
	ver, err := footerVersion(ft.Major, ft.Minor)
	if err != nil {
		return nil, -1, err
	}
	end := uint64(size - footerSize)
	gboLen := uint64(ft.NumGlobalBuffers) * 16
	cmoLen := uint64(ft.NumColumns) * 16
	switch {
	case ft.NumGlobalBuffers == 0:
		return nil, -1, fmt.Errorf("%w: no global buffers", ErrCorrupt)
	case ft.GBOTableStart > end || gboLen > end-ft.GBOTableStart:
		return nil, -1, fmt.Errorf("%w: global buffer table out of bounds", ErrCorrupt)
	case ft.CMOTableStart > ft.GBOTableStart || cmoLen > ft.GBOTableStart-ft.CMOTableStart:
		return nil, -1, fmt.Errorf("%w: column metadata table out of bounds", ErrCorrupt)
	case ft.ColumnMetaStart > ft.CMOTableStart:
		return nil, -1, fmt.Errorf("%w: column metadata starts after its table", ErrCorrupt)
	}
	// Everything from the smallest metadata position to the end must be in buf.
	lo := ft.ColumnMetaStart
	if ft.CMOTableStart < lo {
		lo = ft.CMOTableStart
	}
	if uint64(base) > ft.GBOTableStart {
		return nil, int64(ft.GBOTableStart), nil
	}
	at := func(pos uint64) []byte { return buf[pos-uint64(base):] }
	gbo := at(ft.GBOTableStart)
	globals := make([]BufferRange, ft.NumGlobalBuffers)
	for i := range globals {
		globals[i] = BufferRange{binary.LittleEndian.Uint64(gbo[16*i:]), binary.LittleEndian.Uint64(gbo[16*i+8:])}
		if globals[i].Offset > end || globals[i].Length > end-globals[i].Offset {
			return nil, -1, fmt.Errorf("%w: global buffer %d out of bounds", ErrCorrupt, i)
		}
	}
	if globals[0].Offset < lo {
		lo = globals[0].Offset
	}
	if uint64(base) > lo {
		return nil, int64(lo), nil
	}
	desc := &pb.FileDescriptor{}
	g0 := globals[0]
	if err := proto.Unmarshal(at(g0.Offset)[:g0.Length], desc); err != nil {
		return nil, -1, fmt.Errorf("%w: file descriptor: %v", ErrCorrupt, err)
	}
	// 2.0 files give a list's items a column of their own, with one row
	// per item; only files without nested fields have a row per column row.
	nested := false
	for _, f := range desc.GetSchema().GetFields() {
		nested = nested || f.ParentId != -1
	}
	cmo := at(ft.CMOTableStart)
	cols := make([]*pb.ColumnMetadata, ft.NumColumns)
	for i := range cols {
		pos := binary.LittleEndian.Uint64(cmo[16*i:])
		n := binary.LittleEndian.Uint64(cmo[16*i+8:])
		if pos < lo || pos > end || n > end-pos {
			return nil, -1, fmt.Errorf("%w: column %d metadata out of bounds", ErrCorrupt, i)
		}
		cm := &pb.ColumnMetadata{}
		if err := proto.Unmarshal(at(pos)[:n], cm); err != nil {
			return nil, -1, fmt.Errorf("%w: column %d metadata: %v", ErrCorrupt, i, err)
		}
		var rows uint64
		for j, p := range cm.Pages {
			if len(p.BufferOffsets) != len(p.BufferSizes) {
				return nil, -1, fmt.Errorf("%w: column %d page %d: %d buffer offsets but %d sizes", ErrCorrupt, i, j, len(p.BufferOffsets), len(p.BufferSizes))
			}
			for k, off := range p.BufferOffsets {
				if off > end || p.BufferSizes[k] > end-off {
					return nil, -1, fmt.Errorf("%w: column %d page %d buffer %d out of bounds", ErrCorrupt, i, j, k)
				}
			}
			rows += p.Length
		}
		if rows != desc.Length && !(ver == V2_0 && nested) {
			return nil, -1, fmt.Errorf("%w: column %d has %d rows in its pages, file has %d", ErrCorrupt, i, rows, desc.Length)
		}
		cols[i] = cm
	}
	return &File{
		Key:           key,
		Size:          size,
		Version:       ver,
		Footer:        ft,
		Schema:        desc.GetSchema(),
		NumRows:       desc.Length,
		Columns:       cols,
		GlobalBuffers: globals,
	}, -1, nil
}

// PageBuffers fetches the buffers of one page. Adjacent buffers are read
// with one request.
func (f *File) PageBuffers(ctx context.Context, src Source, col, page int) ([][]byte, error) {
	if col < 0 || col >= len(f.Columns) || page < 0 || page >= len(f.Columns[col].Pages) {
		return nil, fmt.Errorf("data file %s: no page %d of column %d", f.Key, page, col)
	}
	p := f.Columns[col].Pages[page]
	return f.readBuffers(ctx, src, p.BufferOffsets, p.BufferSizes)
}

func (f *File) readBuffers(ctx context.Context, src Source, offs, sizes []uint64) ([][]byte, error) {
	out := make([][]byte, len(offs))
	if len(offs) == 0 {
		return out, nil
	}
	lo, hi, total := offs[0], offs[0], uint64(0)
	for i, o := range offs {
		lo = min(lo, o)
		hi = max(hi, o+sizes[i])
		total += sizes[i]
	}
	// One read when the gaps are small (alignment padding); else one each.
	if hi-lo <= 2*total+(64<<10) {
		b, err := src.GetRange(ctx, f.Key, int64(lo), int64(hi-lo))
		if err != nil {
			return nil, fmt.Errorf("data file %s: %w", f.Key, err)
		}
		if uint64(len(b)) != hi-lo {
			return nil, fmt.Errorf("data file %s: %w: short read", f.Key, ErrCorrupt)
		}
		for i, o := range offs {
			out[i] = b[o-lo : o-lo+sizes[i] : o-lo+sizes[i]]
		}
		return out, nil
	}
	for i, o := range offs {
		b, err := src.GetRange(ctx, f.Key, int64(o), int64(sizes[i]))
		if err != nil {
			return nil, fmt.Errorf("data file %s: %w", f.Key, err)
		}
		if uint64(len(b)) != sizes[i] {
			return nil, fmt.Errorf("data file %s: %w: short read", f.Key, ErrCorrupt)
		}
		out[i] = b
	}
	return out, nil
}

// Type URLs of the Any messages that carry encodings.
const (
	URLArrayEncoding  = "/lance.encodings.ArrayEncoding"
	URLPageLayout     = "/lance.encodings21.PageLayout"
	URLColumnEncoding = "/lance.encodings.ColumnEncoding"
)

// pageEncoding unwraps a page's direct encoding into its Any.
func pageEncoding(p *pb.ColumnMetadata_Page) (*anypb.Any, error) {
	d := p.GetEncoding().GetDirect()
	if d == nil {
		return nil, fmt.Errorf("%w: page encoding is not stored directly", ErrUnsupported)
	}
	a := &anypb.Any{}
	if err := proto.Unmarshal(d.Encoding, a); err != nil {
		return nil, fmt.Errorf("%w: page encoding: %v", ErrCorrupt, err)
	}
	return a, nil
}
