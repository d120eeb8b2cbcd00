package lance

import (
	"context"
	"fmt"
	"sort"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/lancegate/lancegate/storage/lance/datafile"
	"github.com/lancegate/lancegate/storage/lance/pb"
	"github.com/lancegate/lancegate/storage/objstore"
)

// Feature flags (reader_feature_flags / writer_feature_flags bits).
const (
	flagDeletionFiles       = 1
	flagStableRowIDs        = 2
	flagUseV2Format         = 4
	flagTableConfig         = 8
	flagBasePaths           = 16
	flagNoTransactionFile   = 32
	readerFlagsUnderstood   = flagDeletionFiles | flagUseV2Format | flagTableConfig | flagNoTransactionFile
	writerFlagsUnderstood   = flagDeletionFiles | flagUseV2Format | flagTableConfig | flagNoTransactionFile
	unsupportedReaderReason = "stable row ids (2) and base paths (16) are not supported yet; bits above 32 are unknown"
)

// Dataset is one version of a Lance dataset: an immutable snapshot. Writes
// return a new Dataset for the version they committed. A Dataset is safe
// for concurrent use.
type Dataset struct {
	store        objstore.Store
	root         string
	manifest     *pb.Manifest
	indexSection []byte
	schema       *Schema
	scheme       namingScheme
	format       datafile.Version
	live         *liveRowsCache
}

// Open opens the newest version of the dataset rooted at root (a key
// prefix such as "t.lance") in store.
func Open(ctx context.Context, store objstore.Store, root string) (*Dataset, error) {
	ref, err := latestManifest(ctx, store, root)
	if err != nil {
		return nil, err
	}
	return openRef(ctx, store, root, ref)
}

// OpenVersion opens version v of the dataset (time travel).
func OpenVersion(ctx context.Context, store objstore.Store, root string, v uint64) (*Dataset, error) {
	ref, err := findManifest(ctx, store, root, v)
	if err != nil {
		return nil, err
	}
	return openRef(ctx, store, root, ref)
}

// OpenAsOf opens the newest version committed at or before t.
func OpenAsOf(ctx context.Context, store objstore.Store, root string, t time.Time) (*Dataset, error) {
	refs, err := listManifests(ctx, store, root)
	if err != nil {
		return nil, err
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].version > refs[j].version })
	for _, ref := range refs {
		mf, err := readManifest(ctx, store, ref.key, ref.size)
		if err != nil {
			return nil, err
		}
		if !mf.manifest.GetTimestamp().AsTime().After(t) {
			return fromManifest(store, root, ref, mf)
		}
	}
	return nil, fmt.Errorf("%w: no version of %s committed at or before %s", ErrNotFound, root, t.UTC().Format(time.RFC3339Nano))
}

func openRef(ctx context.Context, store objstore.Store, root string, ref manifestRef) (*Dataset, error) {
	mf, err := readManifest(ctx, store, ref.key, ref.size)
	if err != nil {
		return nil, err
	}
	return fromManifest(store, root, ref, mf)
}

func fromManifest(store objstore.Store, root string, ref manifestRef, mf *manifestFile) (*Dataset, error) {
	m := mf.manifest
	if m.Version != ref.version {
		return nil, fmt.Errorf("%w: %s holds version %d", ErrCorrupt, ref.key, m.Version)
	}
	if bad := m.ReaderFeatureFlags &^ readerFlagsUnderstood; bad != 0 {
		return nil, fmt.Errorf("%w: dataset %s version %d needs reader feature flags %#x (%s)", ErrUnsupported, root, m.Version, bad, unsupportedReaderReason)
	}
	format, err := dataFormat(m)
	if err != nil {
		return nil, fmt.Errorf("dataset %s version %d: %w", root, m.Version, err)
	}
	schema, err := SchemaFromFields(m.Fields, m.SchemaMetadata)
	if err != nil {
		return nil, fmt.Errorf("dataset %s version %d: %w", root, m.Version, err)
	}
	return &Dataset{
		store:        store,
		root:         root,
		manifest:     m,
		indexSection: mf.indexSection,
		schema:       schema,
		scheme:       ref.scheme,
		format:       format,
		live:         &liveRowsCache{},
	}, nil
}

// dataFormat returns the dataset's data file version: data_format when
// present, else inferred from the first data file (old writers).
func dataFormat(m *pb.Manifest) (datafile.Version, error) {
	if df := m.GetDataFormat(); df != nil && df.Version != "" {
		if df.FileFormat != "" && df.FileFormat != "lance" {
			return datafile.Version{}, fmt.Errorf("%w: file format %q", ErrUnsupported, df.FileFormat)
		}
		return datafile.ParseVersion(df.Version)
	}
	for _, f := range m.Fragments {
		for _, df := range f.Files {
			switch {
			case df.FileMajorVersion == 0 && df.FileMinorVersion == 3:
				return datafile.V2_0, nil
			case df.FileMajorVersion == 0:
				return datafile.Version{}, fmt.Errorf("%w: legacy (0.%d) data files", ErrUnsupported, df.FileMinorVersion)
			}
			return datafile.ParseVersion(fmt.Sprintf("%d.%d", df.FileMajorVersion, df.FileMinorVersion))
		}
	}
	return datafile.V2_0, nil
}

// Root returns the dataset's key prefix in its store.
func (d *Dataset) Root() string { return d.root }

// Store returns the object store the dataset lives in.
func (d *Dataset) Store() objstore.Store { return d.store }

// Version returns the version this snapshot is.
func (d *Dataset) Version() uint64 { return d.manifest.Version }

// Timestamp returns when this version was committed.
func (d *Dataset) Timestamp() time.Time { return d.manifest.GetTimestamp().AsTime() }

// Schema returns the dataset's schema at this version.
func (d *Dataset) Schema() *Schema { return d.schema }

// DataFormat returns the data file format version of the dataset.
func (d *Dataset) DataFormat() datafile.Version { return d.format }

// Config returns the dataset's config map. Callers must not modify it.
func (d *Dataset) Config() map[string]string { return d.manifest.Config }

// Manifest returns a copy of the manifest protobuf.
func (d *Dataset) Manifest() *pb.Manifest { return proto.Clone(d.manifest).(*pb.Manifest) }

// HasIndexSection reports whether the manifest carries index metadata.
func (d *Dataset) HasIndexSection() bool { return d.indexSection != nil }

// Fragment is a horizontal slice of a dataset as of one version.
type Fragment struct {
	// ID is the fragment id; row addresses are ID<<32 | offset.
	ID uint64
	// PhysicalRows counts rows including deleted ones.
	PhysicalRows uint64
	// DeletedRows counts deleted rows.
	DeletedRows uint64
	meta        *pb.DataFragment
}

// Rows returns the number of visible rows.
func (f Fragment) Rows() uint64 { return f.PhysicalRows - f.DeletedRows }

// DataBytes returns the size of the fragment's data files as the manifest
// records it (0 for files written without their size).
func (f Fragment) DataBytes() uint64 {
	var n uint64
	for _, df := range f.meta.GetFiles() {
		n += df.GetFileSizeBytes()
	}
	return n
}

// Fragments returns the dataset's fragments in manifest order.
func (d *Dataset) Fragments() []Fragment {
	out := make([]Fragment, len(d.manifest.Fragments))
	for i, f := range d.manifest.Fragments {
		out[i] = Fragment{ID: f.Id, PhysicalRows: f.PhysicalRows, DeletedRows: f.GetDeletionFile().GetNumDeletedRows(), meta: f}
	}
	return out
}

// CountRows returns the number of visible rows, from metadata alone.
func (d *Dataset) CountRows() uint64 {
	var n uint64
	for _, f := range d.Fragments() {
		n += f.Rows()
	}
	return n
}

// ListVersions lists every committed version of the dataset at root, oldest
// first.
func ListVersions(ctx context.Context, store objstore.Store, root string) ([]VersionInfo, error) {
	refs, err := listManifests(ctx, store, root)
	if err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return nil, fmt.Errorf("%w: no manifest under %s", ErrNotFound, root)
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].version < refs[j].version })
	out := make([]VersionInfo, 0, len(refs))
	for _, ref := range refs {
		mf, err := readManifest(ctx, store, ref.key, ref.size)
		if err != nil {
			return nil, err
		}
		m := mf.manifest
		vi := VersionInfo{Version: m.Version, Timestamp: m.GetTimestamp().AsTime(), Fragments: len(m.Fragments)}
		for _, f := range m.Fragments {
			vi.Rows += f.PhysicalRows - f.GetDeletionFile().GetNumDeletedRows()
		}
		if txn, err := readTransaction(ctx, store, root, m); err == nil && txn != nil {
			vi.Operation = operationName(txn)
		}
		out = append(out, vi)
	}
	return out, nil
}
