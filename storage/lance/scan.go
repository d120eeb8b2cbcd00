package lance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/datafile"
	"github.com/lancegate/lancegate/storage/lance/pb"
	"github.com/lancegate/lancegate/storage/objstore"
)

// RowAddressColumn is the name of the optional row-address column a scan
// appends: fragment id << 32 | row offset within the fragment.
const RowAddressColumn = "_rowaddr"

// DefaultBatchRows caps the rows of one scanned batch.
const DefaultBatchRows = 8192

// ScanOptions selects what a scan reads.
type ScanOptions struct {
	// Columns lists the top-level columns to read, by index, in output
	// order; nil reads every column.
	Columns []int
	// Fragments restricts the scan to these fragment ids, in this order;
	// nil scans every fragment in manifest order.
	Fragments []uint64
	// WithRowAddress appends a uint64 RowAddressColumn.
	WithRowAddress bool
	// BatchRows caps rows per batch; 0 means DefaultBatchRows. Batches end
	// early at page boundaries, so they may be smaller.
	BatchRows int
	// Mem allocates the batches; nil means memory.DefaultAllocator.
	Mem memory.Allocator
}

// Scanner reads a dataset snapshot as record batches, applying deletions.
// It is not safe for concurrent use.
type Scanner struct {
	ds      *Dataset
	opts    ScanOptions
	schema  *arrow.Schema
	frags   []*pb.DataFragment
	next    int
	cur     *fragmentReader
	closed  bool
	columns []int
}

// Scan returns a scanner over the snapshot. No I/O happens until Next.
func (d *Dataset) Scan(opts ScanOptions) (*Scanner, error) {
	if opts.Mem == nil {
		opts.Mem = memory.DefaultAllocator
	}
	if opts.BatchRows <= 0 {
		opts.BatchRows = DefaultBatchRows
	}
	cols := opts.Columns
	if cols == nil {
		cols = make([]int, d.schema.Arrow().NumFields())
		for i := range cols {
			cols[i] = i
		}
	}
	fields := make([]arrow.Field, 0, len(cols)+1)
	for _, c := range cols {
		if c < 0 || c >= d.schema.Arrow().NumFields() {
			return nil, fmt.Errorf("scan: no column %d", c)
		}
		if r := d.schema.Unsupported(c); r != "" {
			return nil, fmt.Errorf("%w: column %q: %s", ErrUnsupportedType, d.schema.Arrow().Field(c).Name, r)
		}
		fields = append(fields, d.schema.Arrow().Field(c))
	}
	if opts.WithRowAddress {
		fields = append(fields, arrow.Field{Name: RowAddressColumn, Type: arrow.PrimitiveTypes.Uint64})
	}
	frags := d.manifest.Fragments
	if opts.Fragments != nil {
		byID := make(map[uint64]*pb.DataFragment, len(frags))
		for _, f := range frags {
			byID[f.Id] = f
		}
		frags = make([]*pb.DataFragment, 0, len(opts.Fragments))
		for _, id := range opts.Fragments {
			f, ok := byID[id]
			if !ok {
				return nil, fmt.Errorf("scan: version %d has no fragment %d", d.Version(), id)
			}
			frags = append(frags, f)
		}
	}
	md := d.schema.Arrow().Metadata()
	return &Scanner{ds: d, opts: opts, schema: arrow.NewSchema(fields, &md), frags: frags, columns: cols}, nil
}

// Schema returns the schema of the batches Next returns.
func (s *Scanner) Schema() *arrow.Schema { return s.schema }

// Next returns the next batch, or io.EOF after the last. The caller owns
// the batch and must Release it.
func (s *Scanner) Next(ctx context.Context) (arrow.Record, error) {
	if s.closed {
		return nil, io.EOF
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if s.cur == nil {
			if s.next >= len(s.frags) {
				return nil, io.EOF
			}
			fr, err := s.openFragment(ctx, s.frags[s.next])
			if err != nil {
				return nil, err
			}
			s.next++
			s.cur = fr
		}
		rec, err := s.cur.next(ctx)
		if errors.Is(err, io.EOF) {
			s.cur.release()
			s.cur = nil
			continue
		}
		return rec, err
	}
}

// Close releases the scanner's buffers.
func (s *Scanner) Close() {
	if s.cur != nil {
		s.cur.release()
		s.cur = nil
	}
	s.closed = true
}

// fragmentReader reads one fragment: for each output column, the data
// file and column that hold it (or nothing: the column is all null there).
type fragmentReader struct {
	s       *Scanner
	frag    *pb.DataFragment
	cols    []*columnCursor
	deleted *roaring.Bitmap
	pos     uint64
	rows    uint64
}

// columnCursor walks the pages of one column of one data file.
type columnCursor struct {
	file  *datafile.File
	col   int
	dt    arrow.DataType
	page  int
	start uint64 // physical row of the current page's first row
	cur   arrow.Array
}

func (s *Scanner) openFragment(ctx context.Context, f *pb.DataFragment) (*fragmentReader, error) {
	d := s.ds
	cols, rows, err := d.fragmentColumns(ctx, f, s.columns, func(df *pb.DataFile) (*datafile.File, error) { return d.openDataFile(ctx, df) })
	if err != nil {
		return nil, err
	}
	fr := &fragmentReader{s: s, frag: f, rows: rows, cols: cols}
	if f.DeletionFile != nil {
		bm, err := d.readDeletions(ctx, f)
		if err != nil {
			return nil, err
		}
		fr.deleted = bm
	}
	return fr, nil
}

// fragmentColumns locates the output columns cols (dataset column indexes)
// in fragment f's data files, opening each file once with open, and
// returns a cursor per column (file nil: the column is all null there) and
// the fragment's physical row count.
func (d *Dataset) fragmentColumns(ctx context.Context, f *pb.DataFragment, cols []int, open func(*pb.DataFile) (*datafile.File, error)) ([]*columnCursor, uint64, error) {
	rows := f.PhysicalRows
	files := make(map[int]*datafile.File)
	out := make([]*columnCursor, 0, len(cols))
	for _, c := range cols {
		id := d.schema.FieldID(c)
		cc := &columnCursor{dt: d.schema.Arrow().Field(c).Type, col: -1}
		for fi, df := range f.Files {
			want := id
			if df.FileMajorVersion == 2 && df.FileMinorVersion > 0 {
				// Only leaf fields have columns: a list is its item's.
				want = d.schema.ColumnFieldID(c)
			} else if t := cc.dt.ID(); (t == arrow.LIST || t == arrow.LARGE_LIST) && slices.Contains(df.Fields, id) {
				// 2.0 files store a list as an offsets column and an
				// items column, which the 2.0 reader does not decode.
				return nil, 0, fmt.Errorf("%w: column %q: list columns of 2.0 data files", ErrUnsupported, d.schema.Arrow().Field(c).Name)
			}
			for k, fid := range df.Fields {
				if fid != want || k >= len(df.ColumnIndices) || df.ColumnIndices[k] < 0 {
					continue
				}
				file, ok := files[fi]
				if !ok {
					var err error
					if file, err = open(df); err != nil {
						return nil, 0, err
					}
					files[fi] = file
				}
				if int(df.ColumnIndices[k]) >= len(file.Columns) {
					return nil, 0, fmt.Errorf("%w: data file %s has no column %d", ErrCorrupt, df.Path, df.ColumnIndices[k])
				}
				cc.file, cc.col = file, int(df.ColumnIndices[k])
			}
		}
		out = append(out, cc)
	}
	for _, file := range files {
		if rows == 0 {
			rows = file.NumRows
		}
		if file.NumRows != rows {
			return nil, 0, fmt.Errorf("%w: fragment %d: data file %s has %d rows, fragment has %d", ErrCorrupt, f.Id, file.Key, file.NumRows, rows)
		}
	}
	return out, rows, nil
}

// openDataFile opens a data file's metadata; its size comes from the
// manifest when recorded, saving a request.
func (d *Dataset) openDataFile(ctx context.Context, df *pb.DataFile) (*datafile.File, error) {
	if df.BaseId != nil {
		return nil, fmt.Errorf("%w: data file %s lives under another base path", ErrUnsupported, df.Path)
	}
	key := objstore.Join(d.root, dataDir, df.Path)
	size := int64(df.FileSizeBytes)
	if size == 0 {
		info, err := d.store.Stat(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("data file %s: %w", key, err)
		}
		size = info.Size
	}
	return datafile.Open(ctx, d.store, key, size)
}

func (fr *fragmentReader) release() {
	for _, c := range fr.cols {
		if c.cur != nil {
			c.cur.Release()
			c.cur = nil
		}
	}
}

// load makes sure the cursor's current page contains physical row pos.
func (c *columnCursor) load(ctx context.Context, src datafile.Source, mem memory.Allocator, pos uint64) error {
	for c.cur == nil || pos >= c.start+uint64(c.cur.Len()) {
		if c.cur != nil {
			c.start += uint64(c.cur.Len())
			c.cur.Release()
			c.cur = nil
			c.page++
		}
		if c.page >= len(c.file.Columns[c.col].Pages) {
			return fmt.Errorf("%w: data file %s column %d ends before row %d", ErrCorrupt, c.file.Key, c.col, pos)
		}
		a, err := c.file.ReadPage(ctx, src, mem, c.col, c.page, c.dt)
		if err != nil {
			return err
		}
		c.cur = a
	}
	return nil
}

func (fr *fragmentReader) next(ctx context.Context) (arrow.Record, error) {
	s := fr.s
	mem := s.opts.Mem
	for fr.pos < fr.rows {
		end := min(fr.rows, fr.pos+uint64(s.opts.BatchRows))
		for _, c := range fr.cols {
			if c.file == nil {
				continue
			}
			if err := c.load(ctx, s.ds.store, mem, fr.pos); err != nil {
				return nil, err
			}
			end = min(end, c.start+uint64(c.cur.Len()))
		}
		start := fr.pos
		fr.pos = end
		n := int64(end - start)
		filter := false
		if fr.deleted != nil {
			kept := uint64(n) - countRange(fr.deleted, start, end)
			if kept == 0 {
				continue
			}
			filter = kept < uint64(n)
		}
		cols := make([]arrow.Array, 0, len(s.schema.Fields()))
		for _, c := range fr.cols {
			if c.file == nil {
				cols = append(cols, array.MakeArrayOfNull(mem, c.dt, int(n)))
				continue
			}
			off := int64(start - c.start)
			cols = append(cols, array.NewSlice(c.cur, off, off+n))
		}
		if s.opts.WithRowAddress {
			cols = append(cols, rowAddresses(mem, fr.frag.Id, start, end))
		}
		if filter {
			filtered, kept, err := dropDeleted(ctx, mem, cols, fr.deleted, start, end)
			releaseAll(cols)
			if err != nil {
				return nil, err
			}
			cols, n = filtered, int64(kept)
		}
		rec := array.NewRecord(s.schema, cols, n)
		releaseAll(cols)
		return rec, nil
	}
	return nil, io.EOF
}

func releaseAll(arrs []arrow.Array) {
	for _, a := range arrs {
		a.Release()
	}
}

// countRange counts the members of bm in [start, end).
func countRange(bm *roaring.Bitmap, start, end uint64) uint64 {
	if end <= start {
		return 0
	}
	n := bm.Rank(uint32(end - 1))
	if start > 0 {
		n -= bm.Rank(uint32(start - 1))
	}
	return n
}

func rowAddresses(mem memory.Allocator, frag, start, end uint64) arrow.Array {
	b := array.NewUint64Builder(mem)
	defer b.Release()
	b.Resize(int(end - start))
	for r := start; r < end; r++ {
		b.UnsafeAppend(frag<<32 | r)
	}
	return b.NewArray()
}
