package lance

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/storage/lance/datafile"
	"github.com/lancegate/lancegate/storage/lance/pb"
	"github.com/lancegate/lancegate/storage/objstore"
)

// DefaultMaxRowsPerFile is pylance's default cap on the rows of one data
// file, and so of one fragment written in one go.
const DefaultMaxRowsPerFile = 1 << 20

const dataDir = "data"

// WriteOptions configures how rows become data files.
type WriteOptions struct {
	// MaxRowsPerFile caps the rows per data file; 0 means
	// DefaultMaxRowsPerFile.
	MaxRowsPerFile int
	// PageBytes is the target page size; 0 means the data file default.
	PageBytes int
}

func (o WriteOptions) maxRows() int {
	if o.MaxRowsPerFile <= 0 {
		return DefaultMaxRowsPerFile
	}
	return o.MaxRowsPerFile
}

// dataFileName makes a data file name as current pylance does: the first
// 3 bytes of a random UUID as 24 '0'/'1' characters, then the other 13
// bytes in hex, then ".lance".
func dataFileName() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	var b strings.Builder
	for _, c := range u[:3] {
		fmt.Fprintf(&b, "%08b", c)
	}
	fmt.Fprintf(&b, "%x.lance", u[3:])
	return b.String()
}

// fileSink streams one data file to the store while it is written.
type fileSink struct {
	key    string
	pw     *io.PipeWriter
	w      *datafile.Writer
	done   chan error
	rows   int
	format datafile.Version
}

func newFileSink(ctx context.Context, store objstore.Store, root string, schema *Schema, format datafile.Version, opts WriteOptions) (*fileSink, error) {
	name := dataFileName()
	key := objstore.Join(root, dataDir, name)
	pr, pw := io.Pipe()
	desc := &pb.Schema{Fields: schema.Fields(), Metadata: metadataMap(schema.Arrow().Metadata())}
	w, err := datafile.NewWriter(pw, schema.Arrow(), desc, datafile.WriterOptions{PageBytes: opts.PageBytes, DictionaryStrings: true, Version: format})
	if err != nil {
		return nil, err
	}
	s := &fileSink{key: key, pw: pw, w: w, done: make(chan error, 1), format: format}
	// The upload goroutine ends when the pipe is closed, by finish or abort.
	go func() {
		err := store.Put(ctx, key, pr)
		pr.CloseWithError(err)
		s.done <- err
	}()
	return s, nil
}

func (s *fileSink) write(rec arrow.Record) error {
	s.rows += int(rec.NumRows())
	return s.w.Write(rec)
}

// finish completes the file and returns its DataFile entry.
func (s *fileSink) finish(schema *Schema) (*pb.DataFile, error) {
	info, err := s.w.Close()
	if err != nil {
		s.pw.CloseWithError(err)
		<-s.done
		return nil, err
	}
	s.pw.Close()
	if err := <-s.done; err != nil {
		return nil, fmt.Errorf("upload %s: %w", s.key, err)
	}
	df := &pb.DataFile{
		Path:             s.key[strings.LastIndex(s.key, "/")+1:],
		FileMajorVersion: uint32(s.format.Major),
		FileMinorVersion: uint32(s.format.Minor),
		FileSizeBytes:    info.Size,
	}
	for i := range schema.Arrow().Fields() {
		id := schema.FieldID(i)
		if s.format != datafile.V2_0 {
			// 2.1+ files give columns to leaf fields only, as pylance
			// records them.
			id = schema.ColumnFieldID(i)
		}
		df.Fields = append(df.Fields, id)
		df.ColumnIndices = append(df.ColumnIndices, int32(i))
	}
	return df, nil
}

func (s *fileSink) abort(err error) {
	s.w.Close()
	s.pw.CloseWithError(err)
	<-s.done
}

// batchSource yields the batches to write: io.EOF after the last, and each
// batch owned by the caller of Next, who releases it. *Scanner is one.
type batchSource interface {
	Next(ctx context.Context) (arrow.Record, error)
}

var (
	_ batchSource = (*Scanner)(nil)
	_ batchSource = readerSource{}
)

// readerSource adapts a RecordReader, whose batches it borrows, to a
// batchSource.
type readerSource struct{ r array.RecordReader }

func (s readerSource) Next(context.Context) (arrow.Record, error) {
	if !s.r.Next() {
		if err := s.r.Err(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	rec := s.r.Record()
	rec.Retain()
	return rec, nil
}

// writeFragments writes src's rows as new fragments (with id 0, assigned at
// commit) and returns them and the keys of the files written.
func writeFragments(ctx context.Context, store objstore.Store, root string, schema *Schema, format datafile.Version, src array.RecordReader, opts WriteOptions) ([]*pb.DataFragment, []string, error) {
	if src == nil {
		return nil, nil, nil
	}
	return writeBatches(ctx, store, root, schema, format, readerSource{src}, opts)
}

// writeBatches is writeFragments over any batch source. On failure it
// removes the files it wrote.
func writeBatches(ctx context.Context, store objstore.Store, root string, schema *Schema, format datafile.Version, src batchSource, opts WriteOptions) ([]*pb.DataFragment, []string, error) {
	switch format {
	case datafile.V2_0, datafile.V2_1, datafile.V2_2:
	default:
		return nil, nil, fmt.Errorf("%w: writing data files of format %s", ErrUnsupported, format)
	}
	for i := range schema.Arrow().Fields() {
		if r := schema.Unsupported(i); r != "" {
			return nil, nil, fmt.Errorf("%w: column %q: %s", ErrUnsupportedType, schema.Arrow().Field(i).Name, r)
		}
	}
	var frags []*pb.DataFragment
	var keys []string
	var sink *fileSink
	fail := func(err error) ([]*pb.DataFragment, []string, error) {
		if sink != nil {
			sink.abort(err)
			keys = append(keys, sink.key)
		}
		cleanup(store, keys)
		return nil, nil, err
	}
	flush := func() error {
		df, err := sink.finish(schema)
		keys = append(keys, sink.key)
		if err != nil {
			sink = nil
			return err
		}
		frags = append(frags, &pb.DataFragment{Files: []*pb.DataFile{df}, PhysicalRows: uint64(sink.rows)})
		sink = nil
		return nil
	}
	maxRows := opts.maxRows()
	for {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		in, err := src.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(err)
		}
		if err := checkBatch(schema, in); err != nil {
			in.Release()
			return fail(err)
		}
		// Re-label the batch with the dataset's schema (metadata may differ).
		rec := array.NewRecord(schema.Arrow(), in.Columns(), in.NumRows())
		in.Release()
		for off := int64(0); off < rec.NumRows(); {
			if sink == nil {
				var err error
				if sink, err = newFileSink(ctx, store, root, schema, format, opts); err != nil {
					rec.Release()
					return fail(err)
				}
			}
			n := min(rec.NumRows()-off, int64(maxRows-sink.rows))
			part := rec.NewSlice(off, off+n)
			err := sink.write(part)
			part.Release()
			if err != nil {
				rec.Release()
				return fail(err)
			}
			off += n
			if sink.rows == maxRows {
				if err := flush(); err != nil {
					rec.Release()
					return fail(err)
				}
			}
		}
		rec.Release()
	}
	if sink != nil && sink.rows > 0 {
		if err := flush(); err != nil {
			return fail(err)
		}
	} else if sink != nil {
		sink.abort(io.ErrUnexpectedEOF)
		cleanup(store, []string{sink.key})
	}
	return frags, keys, nil
}

// checkBatch verifies a batch fits the dataset's schema: same column names
// and types in the same order, and no nulls in non-nullable columns.
func checkBatch(schema *Schema, rec arrow.Record) error {
	want := schema.Arrow()
	got := rec.Schema()
	if got.NumFields() != want.NumFields() {
		return fmt.Errorf("batch has %d columns; the dataset has %d", got.NumFields(), want.NumFields())
	}
	for i, f := range want.Fields() {
		g := got.Field(i)
		if g.Name != f.Name || !arrow.TypeEqual(g.Type, f.Type) {
			return fmt.Errorf("batch column %d is %s %s; the dataset has %s %s", i, g.Name, g.Type, f.Name, f.Type)
		}
		if !f.Nullable && rec.Column(i).NullN() > 0 {
			return fmt.Errorf("%w: column %q is not nullable", ErrNullViolation, f.Name)
		}
	}
	return nil
}

// Create creates a dataset at root with the given schema and the rows of
// src (nil for an empty dataset), as version 1 with V2 manifest names, in
// data file version 2.0, or 2.1 when a column is a list. It fails with
// ErrExists if a dataset is already there.
func Create(ctx context.Context, store objstore.Store, root string, as *arrow.Schema, src array.RecordReader, opts WriteOptions) (*Dataset, error) {
	schema, err := NewSchema(as, 0)
	if err != nil {
		return nil, err
	}
	if _, err := latestManifest(ctx, store, root); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrExists, root)
	}
	format := createFormat(schema)
	frags, keys, err := writeFragments(ctx, store, root, schema, format, src, opts)
	if err != nil {
		return nil, err
	}
	txn := &pb.Transaction{Operation: &pb.Transaction_Overwrite_{Overwrite: &pb.Transaction_Overwrite{
		Fragments:      frags,
		Schema:         schema.Fields(),
		SchemaMetadata: metadataMap(as.Metadata()),
	}}}
	return commit(ctx, store, root, nil, commitSpec{
		txn:     txn,
		format:  format,
		scheme:  schemeV2,
		create:  true,
		written: keys,
		build: func(_ *pb.Manifest, _ *pb.IndexSection) (*pb.Manifest, *pb.IndexSection, error) {
			return &pb.Manifest{
				Fields:         schema.Fields(),
				SchemaMetadata: metadataMap(as.Metadata()),
				Fragments:      numberFragments(frags, 0),
			}, nil, nil
		},
	})
}

// createFormat is the data file version of a new dataset: 2.0, which
// every pylance since 0.16 reads, unless a column is a list, which only
// lancegate's 2.1 writer encodes (pylance reads 2.1 since 0.21).
func createFormat(schema *Schema) datafile.Version {
	if schema.HasLists() {
		return datafile.V2_1
	}
	return datafile.V2_0
}

// numberFragments returns copies of frags with ids from first on.
func numberFragments(frags []*pb.DataFragment, first uint64) []*pb.DataFragment {
	out := make([]*pb.DataFragment, len(frags))
	for i, f := range frags {
		c := cloneFragment(f)
		c.Id = first + uint64(i)
		out[i] = c
	}
	return out
}

// nextFragmentID is the first id a new fragment may take on top of m.
func nextFragmentID(m *pb.Manifest) uint64 {
	next := uint64(0)
	if m.MaxFragmentId != nil {
		next = uint64(*m.MaxFragmentId) + 1
	}
	for _, f := range m.Fragments {
		next = max(next, f.Id+1)
	}
	return next
}

// Append adds src's rows to the dataset as new fragments in one commit.
func (d *Dataset) Append(ctx context.Context, src array.RecordReader, opts WriteOptions) (*Dataset, error) {
	return d.appendRows(ctx, src, opts, false)
}

// AppendAtVersion is Append that commits only directly on top of d's
// version: if any version was committed after it, nothing is committed
// and the error is ErrCommitConflict. Callers that checked the rows
// against d (a primary key's uniqueness) re-check on the newer version
// and try again.
func (d *Dataset) AppendAtVersion(ctx context.Context, src array.RecordReader, opts WriteOptions) (*Dataset, error) {
	return d.appendRows(ctx, src, opts, true)
}

func (d *Dataset) appendRows(ctx context.Context, src array.RecordReader, opts WriteOptions, atVersion bool) (*Dataset, error) {
	frags, keys, err := writeFragments(ctx, d.store, d.root, d.schema, d.format, src, opts)
	if err != nil {
		return nil, err
	}
	if len(frags) == 0 {
		return d, nil
	}
	txn := &pb.Transaction{Operation: &pb.Transaction_Append_{Append: &pb.Transaction_Append{Fragments: frags}}}
	return commit(ctx, d.store, d.root, d, commitSpec{
		txn:     txn,
		format:  d.format,
		scheme:  d.scheme,
		written: keys,
		build: func(latest *pb.Manifest, idx *pb.IndexSection) (*pb.Manifest, *pb.IndexSection, error) {
			if atVersion && latest.Version != d.Version() {
				return nil, nil, fmt.Errorf("%w: version %d was committed after %d", ErrCommitConflict, latest.Version, d.Version())
			}
			latest.Fragments = append(latest.Fragments, numberFragments(frags, nextFragmentID(latest))...)
			return latest, idx, nil
		},
	})
}

// Overwrite replaces all rows with src's (nil: none) in one commit, keeping
// the schema, config and metadata. Indices are dropped, as pylance does.
func (d *Dataset) Overwrite(ctx context.Context, src array.RecordReader, opts WriteOptions) (*Dataset, error) {
	frags, keys, err := writeFragments(ctx, d.store, d.root, d.schema, d.format, src, opts)
	if err != nil {
		return nil, err
	}
	txn := &pb.Transaction{Operation: &pb.Transaction_Overwrite_{Overwrite: &pb.Transaction_Overwrite{
		Fragments:      frags,
		Schema:         d.schema.Fields(),
		SchemaMetadata: d.manifest.SchemaMetadata,
	}}}
	return commit(ctx, d.store, d.root, d, commitSpec{
		txn:     txn,
		format:  d.format,
		scheme:  d.scheme,
		written: keys,
		build: func(latest *pb.Manifest, _ *pb.IndexSection) (*pb.Manifest, *pb.IndexSection, error) {
			return &pb.Manifest{
				Fields:         d.schema.Fields(),
				SchemaMetadata: d.manifest.SchemaMetadata,
				Fragments:      numberFragments(frags, 0),
				Config:         latest.Config,
				TableMetadata:  latest.TableMetadata,
				BasePaths:      latest.BasePaths,
				NextRowId:      latest.NextRowId,
			}, nil, nil
		},
	})
}
