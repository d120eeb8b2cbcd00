package gateway

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/compute"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/remote"
	"github.com/lancegate/lancegate/executor/scan"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/pgcatalog"
	"github.com/lancegate/lancegate/planner"
	"github.com/lancegate/lancegate/storage/catalog"
	"github.com/lancegate/lancegate/storage/events"
	"github.com/lancegate/lancegate/storage/index/lanceindex"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
)

// storageCatalog is the planner's view of the tables in storage: every
// lookup opens the newest committed version (a statement's snapshot).
type storageCatalog struct {
	cat *catalog.Catalog
	// pub, when set, receives an event per commit (see publish).
	pub     Publisher
	rootURI string
	node    string
	logger  *slog.Logger
	// indexes and pages serve vector searches (gateway/vector.go).
	indexes *lanceindex.SegmentCache
	pages   lance.PageCache
	// members lists the plan executors (lancegate.executors); nil: none.
	members func() []remote.MemberStatus
	// pg is pg_catalog and information_schema (pgcatalog_tables.go).
	pg *pgcatalog.Catalog
	// oids caches the OIDs of tables this node has seen, for
	// RowDescription; guarded by oidMu.
	oidMu sync.Mutex
	oids  map[string]uint32
	// seqs serves serial columns' values (sequences.go).
	seqs sequences
}

var _ planner.Catalog = (*storageCatalog)(nil)

func (c *storageCatalog) Table(ctx context.Context, name string) (planner.Table, error) {
	if isSystemName(name) {
		return c.systemTable(name)
	}
	ds, err := c.cat.Open(ctx, name)
	if err != nil {
		return nil, storageError(err, name)
	}
	if c.cachedOID(name) == 0 {
		// First use on this node: learn (or assign) the table's OID, so
		// RowDescription and ::regclass agree with pg_class.
		if oid, err := c.cat.AssignOID(ctx, name); err == nil {
			c.rememberOID(name, oid)
		}
	}
	return newLanceTable(c, name, ds)
}

func (c *storageCatalog) CreateTable(ctx context.Context, def planner.TableDef) (bool, error) {
	name := def.Name
	fields := make([]arrow.Field, len(def.Columns))
	for i, col := range def.Columns {
		f, err := pgtype.Field(col.Name, col.Type, !col.NotNull)
		if err != nil {
			return false, sqlstate.New(sqlstate.FeatureNotSupported, "column %q: %v", col.Name, err)
		}
		fields[i] = f
	}
	ds, err := c.cat.Create(ctx, name, arrow.NewSchema(fields, nil), def.Location)
	if errors.Is(err, catalog.ErrTableExists) {
		if def.IfNotExists {
			return false, nil
		}
		return false, sqlstate.New(sqlstate.DuplicateTable, "relation %q already exists", name)
	}
	if err != nil {
		return false, storageError(err, name)
	}
	c.publish(ctx, name, nil, ds, "create", 0, 0)
	if cfg := sequenceConfigs(def); len(def.PrimaryKey) > 0 || len(cfg) > 0 {
		if len(def.PrimaryKey) > 0 {
			cfg[primaryKeyConfig] = strings.Join(def.PrimaryKey, ",")
		}
		next, err := ds.UpdateConfig(ctx, cfg, nil)
		if err != nil {
			// Without its key the table would silently accept duplicates.
			_ = c.cat.Drop(ctx, name)
			return false, storageError(err, name)
		}
		c.publish(ctx, name, ds, next, "config", 0, 0)
	}
	if oid, err := c.cat.AssignOID(ctx, name); err == nil {
		c.rememberOID(name, oid)
	} else {
		// The table exists; its OID is assigned when the catalog is read.
		c.logger.Warn("new table has no oid yet", "table", name, "err", err)
	}
	return true, nil
}

func (c *storageCatalog) DropTable(ctx context.Context, name string, ifExists bool) (bool, error) {
	prev, _ := c.cat.Open(ctx, name)
	var seqs []string
	if prev != nil {
		seqs = tableSequences(prev)
	}
	if c.pub == nil {
		prev = nil
	}
	err := c.cat.Drop(ctx, name)
	if errors.Is(err, catalog.ErrNoTable) {
		if ifExists {
			return false, nil
		}
		return false, sqlstate.New(sqlstate.UndefinedTable, "table %q does not exist", name)
	}
	if err != nil {
		return false, storageError(err, name)
	}
	c.forgetOID(name)
	c.releaseOIDs(ctx, name)
	c.forgetSequences(ctx, seqs)
	c.publish(ctx, name, prev, nil, "drop", 0, 0)
	return true, nil
}

// committed makes ds the table's snapshot after a commit and publishes
// the commit's event.
func (t *lanceTable) committed(ctx context.Context, ds *lance.Dataset, op string, added, deleted uint64) {
	prev := t.ds
	t.ds = ds
	t.cat.publish(ctx, t.name, prev, ds, op, added, deleted)
}

// publish hands the event of a commit to the publisher: the new version
// (next, nil for a drop), the one it replaced (prev, nil for a create),
// and the fragments the commit added or changed. It never blocks on the
// transport and never fails the statement: the commit is durable already,
// and events are hints (see storage/events).
func (c *storageCatalog) publish(ctx context.Context, name string, prev, next *lance.Dataset, op string, added, deleted uint64) {
	if c.pub == nil {
		return
	}
	ev := events.FromCommit(name, c.cat.TableURI(ctx, c.rootURI, name, cmp.Or(next, prev)), op, c.node, prev, next)
	ev.RowsAdded, ev.RowsDeleted = added, deleted
	c.pub.Publish(ev)
}

// lanceTable is one snapshot of a table stored as a Lance dataset.
type lanceTable struct {
	cat  *storageCatalog
	name string
	ds   *lance.Dataset
	cols []planner.ColumnDef
}

var _ planner.Table = (*lanceTable)(nil)

func newLanceTable(c *storageCatalog, name string, ds *lance.Dataset) (*lanceTable, error) {
	t := &lanceTable{cat: c, name: name, ds: ds}
	for i, f := range ds.Schema().Arrow().Fields() {
		if r := ds.Schema().Unsupported(i); r != "" {
			// Columns of types lancegate cannot serve are left out of the
			// table's SQL view; the rest of the table stays usable.
			continue
		}
		typ, err := pgtype.FromField(f)
		if err != nil {
			continue
		}
		t.cols = append(t.cols, planner.ColumnDef{Name: f.Name, Type: typ, NotNull: !f.Nullable})
	}
	columnSequences(ds, t.cols)
	return t, nil
}

func (t *lanceTable) Name() string                 { return t.name }
func (t *lanceTable) OID() uint32                  { return t.cat.cachedOID(t.name) }
func (t *lanceTable) Columns() []planner.ColumnDef { return t.cols }
func (t *lanceTable) Version() uint64              { return t.ds.Version() }

// datasetColumn maps a SQL column index to the dataset's column index.
func (t *lanceTable) datasetColumn(i int) int {
	return t.ds.Schema().Index(t.cols[i].Name)
}

func (t *lanceTable) AtVersion(ctx context.Context, v uint64) (planner.Table, error) {
	ds, err := lance.OpenVersion(ctx, t.ds.Store(), t.ds.Root(), v)
	if errors.Is(err, lance.ErrNotFound) {
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "table %q has no version %d", t.name, v)
	}
	if err != nil {
		return nil, storageError(err, t.name)
	}
	return newLanceTable(t.cat, t.name, ds)
}

func (t *lanceTable) AsOf(ctx context.Context, at time.Time) (planner.Table, error) {
	ds, err := lance.OpenAsOf(ctx, t.ds.Store(), t.ds.Root(), at)
	if errors.Is(err, lance.ErrNotFound) {
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "table %q has no version committed at or before %s", t.name, at.UTC().Format(time.RFC3339Nano))
	}
	if err != nil {
		return nil, storageError(err, t.name)
	}
	return newLanceTable(t.cat, t.name, ds)
}

func (t *lanceTable) Versions(ctx context.Context) ([]planner.VersionInfo, error) {
	vs, err := lance.ListVersions(ctx, t.ds.Store(), t.ds.Root())
	if err != nil {
		return nil, storageError(err, t.name)
	}
	out := make([]planner.VersionInfo, len(vs))
	for i, v := range vs {
		out[i] = planner.VersionInfo{Version: v.Version, Timestamp: v.Timestamp, Operation: v.Operation, Rows: v.Rows}
	}
	return out, nil
}

func (t *lanceTable) Scan(ctx context.Context, cols []int, withRowAddr bool, mem memory.Allocator) (executor.Operator, error) {
	dcols := make([]int, len(cols))
	for i, c := range cols {
		dcols[i] = t.datasetColumn(c)
	}
	op, err := scan.NewLance(t.ds, lance.ScanOptions{Columns: dcols, WithRowAddress: withRowAddr, Mem: mem})
	if err != nil {
		return nil, storageError(err, t.name)
	}
	return op, nil
}

// conform relabels and, where the dataset stores a different Arrow type
// than the SQL type's canonical one (large_string for text, say), casts
// rows to the dataset's schema. Columns of the dataset that SQL does not
// see are filled with nulls.
func (t *lanceTable) conform(ctx context.Context, recs []arrow.Record) (array.RecordReader, error) {
	schema := t.ds.Schema().Arrow()
	mem := memory.DefaultAllocator
	var out []arrow.Record
	fail := func(err error) (array.RecordReader, error) {
		for _, r := range out {
			r.Release()
		}
		return nil, err
	}
	for _, rec := range recs {
		cols := make([]arrow.Array, schema.NumFields())
		for j, f := range schema.Fields() {
			src := -1
			for i, c := range t.cols {
				if c.Name == f.Name {
					src = i
				}
			}
			switch {
			case src < 0:
				cols[j] = array.MakeArrayOfNull(mem, f.Type, int(rec.NumRows()))
			case arrow.TypeEqual(rec.Column(src).DataType(), f.Type):
				cols[j] = rec.Column(src)
				cols[j].Retain()
			default:
				c, err := compute.CastArray(compute.WithAllocator(ctx, mem), rec.Column(src), compute.SafeCastOptions(f.Type))
				if err != nil {
					for _, a := range cols[:j] {
						if a != nil {
							a.Release()
						}
					}
					return fail(sqlstate.New(sqlstate.DatatypeMismatch, "cannot store column %q as %s: %v", f.Name, f.Type, err))
				}
				cols[j] = c
			}
		}
		out = append(out, array.NewRecord(schema, cols, rec.NumRows()))
		for _, c := range cols {
			c.Release()
		}
	}
	rr, err := array.NewRecordReader(schema, out)
	for _, r := range out {
		r.Release()
	}
	if err != nil {
		return nil, err
	}
	return rr, nil
}

func (t *lanceTable) Insert(ctx context.Context, rows []arrow.Record) error {
	if pk := t.primaryKey(); len(pk) > 0 {
		return t.insertKeyed(ctx, rows, pk)
	}
	rr, err := t.conform(ctx, rows)
	if err != nil {
		return err
	}
	defer rr.Release()
	ds, err := t.ds.Append(ctx, rr, lance.WriteOptions{})
	if err != nil {
		return storageError(err, t.name)
	}
	t.committed(ctx, ds, "append", countRows(rows), 0)
	return nil
}

func countRows(recs []arrow.Record) uint64 {
	var n int64
	for _, r := range recs {
		n += r.NumRows()
	}
	return uint64(n)
}

// byFragment groups row addresses (fragment << 32 | offset) by fragment.
func byFragment(addrs []uint64) map[uint64]*roaring.Bitmap {
	out := map[uint64]*roaring.Bitmap{}
	for _, a := range addrs {
		f := a >> 32
		if out[f] == nil {
			out[f] = roaring.New()
		}
		out[f].Add(uint32(a))
	}
	return out
}

func (t *lanceTable) Delete(ctx context.Context, addrs []uint64) error {
	ds, err := t.ds.Delete(ctx, byFragment(addrs), "")
	if err != nil {
		return storageError(err, t.name)
	}
	t.committed(ctx, ds, "delete", 0, uint64(len(addrs)))
	return nil
}

func (t *lanceTable) Update(ctx context.Context, addrs []uint64, rows []arrow.Record) error {
	if pk := t.primaryKey(); len(pk) > 0 {
		replaced := make(map[uint64]bool, len(addrs))
		for _, a := range addrs {
			replaced[a] = true
		}
		if err := checkUnique(ctx, t.name, t, keyColumns(t), pk, rows, replaced); err != nil {
			return err
		}
	}
	rr, err := t.conform(ctx, rows)
	if err != nil {
		return err
	}
	defer rr.Release()
	ds, err := t.ds.Update(ctx, byFragment(addrs), rr, lance.WriteOptions{})
	if err != nil {
		return storageError(err, t.name)
	}
	t.committed(ctx, ds, "update", countRows(rows), uint64(len(addrs)))
	return nil
}

func (t *lanceTable) AddColumn(ctx context.Context, col planner.ColumnDef) error {
	f, err := pgtype.Field(col.Name, col.Type, true)
	if err != nil {
		return sqlstate.New(sqlstate.FeatureNotSupported, "column %q: %v", col.Name, err)
	}
	ds, err := t.ds.AddColumns(ctx, []arrow.Field{f})
	if err != nil {
		return storageError(err, t.name)
	}
	t.committed(ctx, ds, "add_column", 0, 0)
	return nil
}

func (t *lanceTable) DropColumn(ctx context.Context, name string) error {
	ds, err := t.ds.DropColumns(ctx, []string{name})
	if err != nil {
		return storageError(err, t.name)
	}
	t.committed(ctx, ds, "drop_column", 0, 0)
	return nil
}

// storageError gives storage errors their SQLSTATE: the one place where
// storage's sentinels meet SQL.
func storageError(err error, table string) error {
	if err == nil || sqlstate.As(err) != nil {
		return err
	}
	if e := storageFault(err); e != nil {
		return e
	}
	switch {
	case errors.Is(err, catalog.ErrNoTable):
		return sqlstate.Wrap(err, sqlstate.UndefinedTable, "relation %q does not exist", table)
	case errors.Is(err, catalog.ErrLocationInUse):
		return sqlstate.Wrap(err, sqlstate.DuplicateObject, "%v", err)
	case errors.Is(err, objstore.ErrInvalidLocation):
		return sqlstate.Wrap(err, sqlstate.InvalidParameterValue, "invalid location for table %q: %v", table, err)
	case errors.Is(err, catalog.ErrNoLocations):
		return sqlstate.Wrap(err, sqlstate.FeatureNotSupported, "%v", err)
	case errors.Is(err, catalog.ErrInvalidName):
		return sqlstate.Wrap(err, sqlstate.InvalidParameterValue, "invalid table name %q", table)
	case errors.Is(err, lance.ErrCommitConflict):
		return sqlstate.Wrap(err, sqlstate.SerializationFailure, "could not serialize access due to concurrent update")
	case errors.Is(err, lance.ErrNullViolation):
		return sqlstate.Wrap(err, sqlstate.NotNullViolation, "")
	case errors.Is(err, lance.ErrColumnExists):
		return sqlstate.Wrap(err, sqlstate.DuplicateColumn, "")
	case errors.Is(err, lance.ErrNoColumn):
		return sqlstate.Wrap(err, sqlstate.UndefinedColumn, "")
	case errors.Is(err, lance.ErrUnsupported), errors.Is(err, lance.ErrUnsupportedType):
		return sqlstate.Wrap(err, sqlstate.FeatureNotSupported, "table %q: %v", table, err)
	case errors.Is(err, lance.ErrCorrupt):
		return sqlstate.Wrap(err, sqlstate.DataCorrupted, "table %q: %v", table, err)
	case errors.Is(err, lance.ErrNotFound), errors.Is(err, objstore.ErrNotExist):
		return sqlstate.Wrap(err, sqlstate.UndefinedTable, "relation %q does not exist", table)
	case errors.Is(err, context.Canceled):
		return sqlstate.Wrap(err, sqlstate.QueryCanceled, "canceling statement due to user request")
	case errors.Is(err, context.DeadlineExceeded):
		return sqlstate.Wrap(err, sqlstate.QueryCanceled, "canceling statement due to statement timeout")
	}
	return sqlstate.Wrap(err, sqlstate.IOError, "table %q: %v", table, fmt.Sprint(err))
}

// storageFault maps failures of the storage service itself, which can
// surface from any statement, also in the middle of a scan; nil when err
// is none of them. Their messages name the object, and so the table.
func storageFault(err error) error {
	switch {
	case errors.Is(err, objstore.ErrPermission):
		return sqlstate.Wrap(err, sqlstate.InsufficientPrivilege, "permission denied by storage: %v", err)
	case errors.Is(err, objstore.ErrThrottled):
		return sqlstate.Wrap(err, sqlstate.InsufficientResources, "storage is throttling requests; retry later: %v", err)
	case errors.Is(err, objstore.ErrNoContainer):
		return sqlstate.Wrap(err, sqlstate.IOError, "storage container does not exist: %v", err)
	case errors.Is(err, objstore.ErrUnavailable):
		return sqlstate.Wrap(err, sqlstate.IOError, "storage unavailable: %v", err)
	case errors.Is(err, lance.ErrCorrupt):
		return sqlstate.Wrap(err, sqlstate.DataCorrupted, "%v", err)
	}
	return nil
}
