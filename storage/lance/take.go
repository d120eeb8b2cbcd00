package lance

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/datafile"
	"github.com/lancegate/lancegate/storage/lance/pb"
	"github.com/lancegate/lancegate/storage/objstore"
)

// Random access by row address: the read a vector search makes after its
// index named the candidate rows. A scan streams pages in order; Take
// reads only the pages holding the requested rows, through an optional
// PageCache so that repeated searches touch storage once per page.
//
//	addresses ─▶ group by fragment ─▶ per column: page holding each row
//	          ─▶ PageCache (or storage) ─▶ one-row slices ─▶ Concatenate (opts.Mem)

// PageCache keeps decoded data pages and opened data file metadata across
// reads. Lance data files are immutable, so entries never go stale; a
// cache only needs to bound its size. Implementations must be safe for
// concurrent use. NewPageCache returns the standard one.
type PageCache interface {
	// File returns the metadata of the data file key, calling open on a miss.
	File(ctx context.Context, key string, open func() (*datafile.File, error)) (*datafile.File, error)
	// Page returns page page of column col of data file key, calling read
	// on a miss. The returned array is retained for the caller, who must
	// Release it; read's array is handed to the cache.
	Page(ctx context.Context, key string, col, page int, read func() (arrow.Array, error)) (arrow.Array, error)
}

// TakeOptions parameterises Take.
type TakeOptions struct {
	// Columns lists the top-level columns to read, by index, in output
	// order; nil reads every column.
	Columns []int
	// WithRowAddress appends a uint64 RowAddressColumn.
	WithRowAddress bool
	// Mem allocates the result; nil means memory.DefaultAllocator.
	Mem memory.Allocator
	// Cache, when set, serves data file metadata and decoded pages. Pages
	// it holds are decoded with memory.DefaultAllocator, not Mem.
	Cache PageCache
}

// Take reads the rows at the given row addresses (fragment id << 32 |
// offset) of this version. The result holds one row per distinct address,
// in ascending address order; deleted rows are returned like live ones
// (callers mask deletions with LiveRows). An address whose fragment is not
// in this version, or whose offset is past the fragment's end, is an
// error. The caller owns the record.
func (d *Dataset) Take(ctx context.Context, addrs []uint64, opts TakeOptions) (arrow.Record, error) {
	if opts.Mem == nil {
		opts.Mem = memory.DefaultAllocator
	}
	sc, err := d.Scan(ScanOptions{Columns: opts.Columns, WithRowAddress: opts.WithRowAddress, Fragments: []uint64{}})
	if err != nil {
		return nil, err
	}
	schema := sc.Schema()
	sc.Close()
	sorted := slices.Clone(addrs)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)

	byID := make(map[uint64]*pb.DataFragment, len(d.manifest.Fragments))
	for _, f := range d.manifest.Fragments {
		byID[f.Id] = f
	}
	cols := sc.columns
	parts := make([][]arrow.Array, len(schema.Fields())) // per output column, one-row slices
	defer func() {
		for _, p := range parts {
			releaseAll(p)
		}
	}()
	for start := 0; start < len(sorted); {
		frag := sorted[start] >> 32
		end := start
		for end < len(sorted) && sorted[end]>>32 == frag {
			end++
		}
		f, ok := byID[frag]
		if !ok {
			return nil, fmt.Errorf("take: version %d has no fragment %d", d.Version(), frag)
		}
		if err := d.takeFragment(ctx, f, cols, sorted[start:end], opts, parts); err != nil {
			return nil, err
		}
		start = end
	}
	out := make([]arrow.Array, len(parts))
	defer func() { releaseAll(out[:countNonNil(out)]) }()
	for i, p := range parts {
		if len(p) == 0 {
			out[i] = array.MakeArrayOfNull(opts.Mem, schema.Field(i).Type, 0)
			continue
		}
		a, err := array.Concatenate(p, opts.Mem)
		if err != nil {
			return nil, fmt.Errorf("take: %w", err)
		}
		out[i] = a
	}
	return array.NewRecord(schema, out, int64(len(sorted))), nil
}

func countNonNil(a []arrow.Array) int {
	n := 0
	for n < len(a) && a[n] != nil {
		n++
	}
	return n
}

// takeFragment appends the rows at addrs (all in fragment f, ascending) to
// parts, one single-row slice per row and column.
func (d *Dataset) takeFragment(ctx context.Context, f *pb.DataFragment, cols []int, addrs []uint64, opts TakeOptions, parts [][]arrow.Array) error {
	open := func(df *pb.DataFile) (*datafile.File, error) {
		if opts.Cache == nil {
			return d.openDataFile(ctx, df)
		}
		key := objstore.Join(d.root, dataDir, df.Path)
		return opts.Cache.File(ctx, key, func() (*datafile.File, error) { return d.openDataFile(ctx, df) })
	}
	cursors, rows, err := d.fragmentColumns(ctx, f, cols, open)
	if err != nil {
		return err
	}
	if last := addrs[len(addrs)-1] & 0xffffffff; last >= rows {
		return fmt.Errorf("take: fragment %d has %d rows, no row %d", f.Id, rows, last)
	}
	for ci, c := range cursors {
		if c.file == nil {
			null := array.MakeArrayOfNull(opts.Mem, c.dt, 1)
			for range addrs {
				null.Retain()
				parts[ci] = append(parts[ci], null)
			}
			null.Release()
			continue
		}
		pages := c.file.Columns[c.col].Pages
		page, pageStart := 0, uint64(0)
		var cur arrow.Array
		for _, a := range addrs {
			off := a & 0xffffffff
			for cur == nil || off >= pageStart+uint64(cur.Len()) {
				if cur != nil {
					pageStart += uint64(cur.Len())
					cur.Release()
					cur = nil
					page++
				}
				// Skip pages that hold no requested row without reading them.
				for page < len(pages) && off >= pageStart+pages[page].Length {
					pageStart += pages[page].Length
					page++
				}
				if page >= len(pages) {
					return fmt.Errorf("%w: data file %s column %d ends before row %d", ErrCorrupt, c.file.Key, c.col, off)
				}
				if cur, err = d.readPage(ctx, c, page, opts); err != nil {
					return err
				}
			}
			i := int64(off - pageStart)
			parts[ci] = append(parts[ci], array.NewSlice(cur, i, i+1))
		}
		if cur != nil {
			cur.Release()
		}
	}
	if opts.WithRowAddress {
		i := len(cursors)
		for _, a := range addrs {
			parts[i] = append(parts[i], rowAddresses(opts.Mem, f.Id, a&0xffffffff, a&0xffffffff+1))
		}
	}
	return nil
}

// readPage reads one page for Take, through the cache when there is one.
func (d *Dataset) readPage(ctx context.Context, c *columnCursor, page int, opts TakeOptions) (arrow.Array, error) {
	if opts.Cache == nil {
		return c.file.ReadPage(ctx, d.store, opts.Mem, c.col, page, c.dt)
	}
	return opts.Cache.Page(ctx, c.file.Key, c.col, page, func() (arrow.Array, error) {
		return c.file.ReadPage(ctx, d.store, memory.DefaultAllocator, c.col, page, c.dt)
	})
}

// LiveRows is the set of row addresses visible in one version: rows of the
// version's fragments that no deletion file marks. A vector index built
// at an older version may name rows since deleted, or fragments since
// removed; searches mask its results with Contains.
type LiveRows struct {
	frags map[uint64]liveFragment
}

type liveFragment struct {
	rows    uint64
	deleted *roaring.Bitmap // nil when none
}

// Contains reports whether the row at addr is visible.
func (l *LiveRows) Contains(addr uint64) bool {
	f, ok := l.frags[addr>>32]
	if !ok {
		return false
	}
	off := addr & 0xffffffff
	return off < f.rows && (f.deleted == nil || !f.deleted.Contains(uint32(off)))
}

// liveRowsCache memoises LiveRows for a Dataset (an immutable snapshot).
type liveRowsCache struct {
	mu   sync.Mutex
	rows *LiveRows
}

// LiveRows returns the visible rows of this version, reading every
// deletion file once per Dataset value.
func (d *Dataset) LiveRows(ctx context.Context) (*LiveRows, error) {
	d.live.mu.Lock()
	defer d.live.mu.Unlock()
	if d.live.rows != nil {
		return d.live.rows, nil
	}
	l := &LiveRows{frags: make(map[uint64]liveFragment, len(d.manifest.Fragments))}
	for _, f := range d.manifest.Fragments {
		lf := liveFragment{rows: f.PhysicalRows}
		if lf.rows == 0 {
			lf.rows = 1 << 32 // not recorded by an old writer: any offset
		}
		if f.DeletionFile != nil {
			bm, err := d.readDeletions(ctx, f)
			if err != nil {
				return nil, err
			}
			lf.deleted = bm
		}
		l.frags[f.Id] = lf
	}
	d.live.rows = l
	return l, nil
}
