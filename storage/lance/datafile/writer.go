package datafile

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/lancegate/lancegate/storage/lance/datafile/structural"
	"github.com/lancegate/lancegate/storage/lance/pb"
)

// alignment is the boundary page buffers and global buffer 0 start on;
// 2.1+ readers assert it, and pylance pads with 'H' (0x48).
const alignment = 64

var padding = [alignment]byte{
	0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48,
	0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48,
	0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48,
	0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48, 0x48,
}

// DefaultPageBytes is the page size a Writer aims for per column; pylance
// recommends about 8 MiB for 2.0 files.
const DefaultPageBytes = 8 << 20

// WriterOptions configures a Writer.
type WriterOptions struct {
	// PageBytes is the target size of one page; 0 means DefaultPageBytes.
	PageBytes int
	// DictionaryStrings enables dictionary pages for low-cardinality utf8
	// columns, as pylance writes them. Only 2.0 files have them.
	DictionaryStrings bool
	// Version is the format version of the file: V2_0, V2_1 or V2_2. The
	// zero value means V2_0.
	Version Version
	// GlobalBuffers are extra global buffers, numbered 1, 2, … after the
	// FileDescriptor (global buffer 0). Lance index files keep protobufs
	// there (an IVF model, a PQ codebook) and name them by number in the
	// schema metadata. They are written aligned after the descriptor.
	GlobalBuffers [][]byte
}

// columnEncodingAny is the mandatory per-column encoding,
// Any("/lance.encodings.ColumnEncoding", ColumnEncoding{values: Empty}).
var columnEncodingBytes = mustMarshal(&anypb.Any{TypeUrl: URLColumnEncoding, Value: []byte{0x0a, 0x00}})

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// Writer writes one data file of format version 2.0, 2.1 or 2.2. Columns
// are the top-level fields of the Arrow schema, one column each: flat
// types, and in 2.1+ files lists of flat types (a list's column holds its
// items, and the Lance field ids that map to it are the item's). Write buffers each column until a page is full; Close
// writes the remaining pages and the metadata. A Writer is not safe for
// concurrent use.
type Writer struct {
	w       *bufio.Writer
	pos     uint64
	schema  *arrow.Schema
	desc    *pb.Schema
	opts    WriterOptions
	cols    []*columnWriter
	rows    uint64
	err     error
	closed  bool
	scratch []byte
}

type columnWriter struct {
	dt      arrow.DataType
	pending []arrow.Array
	bytes   int
	rows    int
	flushed uint64 // rows already written in pages: the pending page's first row
	meta    *pb.ColumnMetadata
}

// NewWriter starts a data file on w. desc is the Lance schema stored in the
// file (the dataset's fields with their ids, pre-order); its top-level
// fields must match schema's fields one to one.
func NewWriter(w io.Writer, schema *arrow.Schema, desc *pb.Schema, opts WriterOptions) (*Writer, error) {
	if opts.PageBytes <= 0 {
		opts.PageBytes = DefaultPageBytes
	}
	switch opts.Version {
	case Version{}:
		opts.Version = V2_0
	case V2_0, V2_1, V2_2:
	default:
		return nil, fmt.Errorf("data file writer: %w: format version %s", ErrUnsupported, opts.Version)
	}
	top := 0
	for _, f := range desc.GetFields() {
		if f.ParentId == -1 {
			top++
		}
	}
	if top != schema.NumFields() {
		return nil, fmt.Errorf("data file writer: %d top-level lance fields for %d arrow fields", top, schema.NumFields())
	}
	wr := &Writer{w: bufio.NewWriterSize(w, 1<<20), schema: schema, desc: desc, opts: opts}
	for _, f := range schema.Fields() {
		if err := writable(f.Type, opts.Version); err != nil {
			return nil, fmt.Errorf("data file writer: column %q: %w", f.Name, err)
		}
		wr.cols = append(wr.cols, &columnWriter{dt: f.Type, meta: &pb.ColumnMetadata{
			Encoding: &pb.Encoding{Location: &pb.Encoding_Direct{Direct: &pb.DirectEncoding{Encoding: columnEncodingBytes}}},
		}})
	}
	return wr, nil
}

// writable reports whether the writer can encode type dt in files of
// version v.
func writable(dt arrow.DataType, v Version) error {
	if v != V2_0 {
		if err := structural.Encodable(dt); err != nil {
			return fmt.Errorf("writing %s: %w", dt, err)
		}
		return nil
	}
	if _, ok := fixedBits(dt); ok {
		return nil
	}
	if _, ok := varWidth(dt); ok {
		return nil
	}
	if fsl, ok := dt.(*arrow.FixedSizeListType); ok {
		if _, ok := fixedBits(fsl.Elem()); ok {
			return nil
		}
	}
	return fmt.Errorf("%w: writing %s", ErrUnsupported, dt)
}

// Write adds a record batch's rows. The batch's schema must equal the
// writer's. Write retains the columns it buffers; the caller keeps its own
// reference to rec.
func (w *Writer) Write(rec arrow.Record) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return fmt.Errorf("data file writer: write after close")
	}
	if !rec.Schema().Equal(w.schema) {
		return fmt.Errorf("data file writer: batch schema %s does not match %s", rec.Schema(), w.schema)
	}
	if rec.NumRows() == 0 {
		return nil
	}
	for i, c := range w.cols {
		if err := w.add(c, rec.Column(i)); err != nil {
			w.err = err
			return err
		}
	}
	w.rows += uint64(rec.NumRows())
	return nil
}

// add buffers a column's rows, flushing a page whenever one is full. Pages
// of list columns hold at most structural.MaxListPageRows rows, so a batch
// may be cut between pages.
func (w *Writer) add(c *columnWriter, a arrow.Array) error {
	maxRows := 0
	if c.dt.ID() == arrow.LIST || c.dt.ID() == arrow.LARGE_LIST {
		maxRows = structural.MaxListPageRows
	}
	for off := 0; off < a.Len(); {
		part := a
		n := a.Len() - off
		if maxRows > 0 && c.rows+n > maxRows {
			n = maxRows - c.rows
		}
		if off > 0 || n < a.Len() {
			part = array.NewSlice(a, int64(off), int64(off+n))
		} else {
			part.Retain()
		}
		c.pending = append(c.pending, part)
		c.rows += n
		c.bytes += arraySize(part)
		off += n
		if c.bytes >= w.opts.PageBytes || (maxRows > 0 && c.rows >= maxRows) {
			if err := w.flushColumn(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// arraySize estimates the encoded size of a.
func arraySize(a arrow.Array) int {
	n := 0
	for _, b := range a.Data().Buffers() {
		if b != nil {
			n += b.Len()
		}
	}
	for _, c := range a.Data().Children() {
		for _, b := range c.Buffers() {
			if b != nil {
				n += b.Len()
			}
		}
	}
	if a.Data().Offset() > 0 || a.Len() < a.Data().Len() {
		return n * a.Len() / max(1, a.Data().Len())
	}
	return n
}

func (w *Writer) write(b []byte) error {
	n, err := w.w.Write(b)
	w.pos += uint64(n)
	return err
}

func (w *Writer) pad() error {
	if r := w.pos % alignment; r != 0 {
		return w.write(padding[:alignment-r])
	}
	return nil
}

func (w *Writer) flushColumn(c *columnWriter) error {
	if c.rows == 0 {
		return nil
	}
	defer func() {
		for _, a := range c.pending {
			a.Release()
		}
		c.pending, c.rows, c.bytes = c.pending[:0], 0, 0
	}()
	encAny, bufs, err := w.encodePage(c)
	if err != nil {
		return fmt.Errorf("data file writer: %w", err)
	}
	page := &pb.ColumnMetadata_Page{
		Length:   uint64(c.rows),
		Encoding: &pb.Encoding{Location: &pb.Encoding_Direct{Direct: &pb.DirectEncoding{Encoding: encAny}}},
	}
	if w.opts.Version != V2_0 {
		// 2.1+ readers schedule pages by priority: the page's first row.
		page.Priority = c.flushed
	}
	for _, b := range bufs {
		if err := w.pad(); err != nil {
			return err
		}
		page.BufferOffsets = append(page.BufferOffsets, w.pos)
		page.BufferSizes = append(page.BufferSizes, uint64(len(b)))
		if err := w.write(b); err != nil {
			return err
		}
	}
	c.meta.Pages = append(c.meta.Pages, page)
	c.flushed += uint64(c.rows)
	return nil
}

// WrittenFile describes a finished data file.
type WrittenFile struct {
	// Rows is the number of rows written.
	Rows uint64
	// Size is the file's length in bytes.
	Size uint64
}

// Close writes the last pages and the file's metadata and flushes. It does
// not close the underlying writer.
func (w *Writer) Close() (WrittenFile, error) {
	if w.err != nil {
		w.release()
		return WrittenFile{}, w.err
	}
	if w.closed {
		return WrittenFile{}, fmt.Errorf("data file writer: closed twice")
	}
	w.closed = true
	for _, c := range w.cols {
		if err := w.flushColumn(c); err != nil {
			w.release()
			return WrittenFile{}, err
		}
	}
	if err := w.finish(); err != nil {
		return WrittenFile{}, fmt.Errorf("data file writer: %w", err)
	}
	return WrittenFile{Rows: w.rows, Size: w.pos}, nil
}

func (w *Writer) release() {
	for _, c := range w.cols {
		for _, a := range c.pending {
			a.Release()
		}
		c.pending = nil
	}
}

func (w *Writer) finish() error {
	// Global buffer 0, the FileDescriptor, aligned and not padded after.
	if err := w.pad(); err != nil {
		return err
	}
	desc, err := proto.Marshal(&pb.FileDescriptor{Schema: w.desc, Length: w.rows})
	if err != nil {
		return err
	}
	gbo := BufferRange{w.pos, uint64(len(desc))}
	if err := w.write(desc); err != nil {
		return err
	}
	gbos := []BufferRange{gbo}
	for _, b := range w.opts.GlobalBuffers {
		if err := w.pad(); err != nil {
			return err
		}
		gbos = append(gbos, BufferRange{w.pos, uint64(len(b))})
		if err := w.write(b); err != nil {
			return err
		}
	}
	// Column metadata back to back, then the two offset tables.
	metaStart := w.pos
	cmo := make([]byte, 0, 16*len(w.cols))
	for _, c := range w.cols {
		b, err := proto.Marshal(c.meta)
		if err != nil {
			return err
		}
		cmo = binary.LittleEndian.AppendUint64(cmo, w.pos)
		cmo = binary.LittleEndian.AppendUint64(cmo, uint64(len(b)))
		if err := w.write(b); err != nil {
			return err
		}
	}
	cmoStart := w.pos
	if err := w.write(cmo); err != nil {
		return err
	}
	gboStart := w.pos
	var tail []byte
	for _, g := range gbos {
		tail = binary.LittleEndian.AppendUint64(tail, g.Offset)
		tail = binary.LittleEndian.AppendUint64(tail, g.Length)
	}
	major, minor := footerNumbers(w.opts.Version)
	tail = appendFooter(tail, Footer{
		ColumnMetaStart:  metaStart,
		CMOTableStart:    cmoStart,
		GBOTableStart:    gboStart,
		NumGlobalBuffers: uint32(len(gbos)),
		NumColumns:       uint32(len(w.cols)),
		Major:            major,
		Minor:            minor,
	})
	if err := w.write(tail); err != nil {
		return err
	}
	return w.w.Flush()
}
