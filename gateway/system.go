package gateway

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/planner"
	"github.com/lancegate/lancegate/storage/jobs"
	"github.com/lancegate/lancegate/storage/lance"
)

// System tables.
//
// The schema lancegate holds read-only tables about the server itself,
// built from storage when a statement scans them:
//
//	lancegate.jobs       the agent's maintenance jobs (storage/jobs), newest first
//	lancegate.indexes    the vector indexes, declared and built (index_ddl.go)
//	lancegate.executors  a query node's plan executors and their health
//
// SHOW JOBS is SELECT * FROM lancegate.jobs. Writing to a system table is
// 42501, as for PostgreSQL's catalogs.

// systemSchema prefixes the names the planner passes for lancegate.<t>.
const systemSchema = planner.SystemSchema + "."

// showJobsQuery is what SHOW JOBS runs.
const showJobsQuery = "SELECT * FROM lancegate.jobs ORDER BY created DESC, id DESC"

// isSystemName reports whether a catalog name is a system table's.
func isSystemName(name string) bool { return strings.HasPrefix(name, systemSchema) }

// jobsColumns are lancegate.jobs' columns.
var jobsColumns = []planner.ColumnDef{
	{Name: "id", Type: pgtype.Text, NotNull: true},
	{Name: "table_name", Type: pgtype.Text, NotNull: true},
	{Name: "type", Type: pgtype.Text, NotNull: true},
	{Name: "state", Type: pgtype.Text, NotNull: true},
	{Name: "reason", Type: pgtype.Text},
	{Name: "created", Type: pgtype.TimestampTZ},
	{Name: "started", Type: pgtype.TimestampTZ},
	{Name: "finished", Type: pgtype.TimestampTZ},
	{Name: "read_version", Type: pgtype.Int8},
	{Name: "version", Type: pgtype.Int8},
	{Name: "error", Type: pgtype.Text},
	{Name: "runner", Type: pgtype.Text},
	{Name: "stats", Type: pgtype.Text},
}

// systemTable opens a system table, or reports 42P01.
func (c *storageCatalog) systemTable(name string) (planner.Table, error) {
	switch name {
	case systemSchema + "jobs":
		hist := jobs.NewHistory(c.cat.Store())
		return &sysTable{name: name, cols: jobsColumns, rows: func(ctx context.Context) (int, rowAppender, error) {
			recs, err := hist.List(ctx, jobs.ListOptions{})
			return len(recs), func(i int, col string, fb array.Builder) { appendJobField(fb, recs[i], col) }, err
		}}, nil
	case systemSchema + "indexes":
		return &sysTable{name: name, cols: indexesColumns, rows: c.indexRows}, nil
	case systemSchema + "executors":
		return &sysTable{name: name, cols: executorsColumns, rows: c.executorRows}, nil
	}
	return nil, sqlstate.New(sqlstate.UndefinedTable, "relation %q does not exist", name)
}

// rowAppender appends column col of row i to fb.
type rowAppender func(i int, col string, fb array.Builder)

// sysTable is a read-only system table computed at each scan: rows
// returns the row count and how to append each row's fields.
type sysTable struct {
	name string
	oid  uint32 // pg_class OID of catalog relations; 0 for lancegate's
	cols []planner.ColumnDef
	rows func(ctx context.Context) (int, rowAppender, error)
}

var _ planner.Table = (*sysTable)(nil)

func (t *sysTable) Name() string                 { return t.name }
func (t *sysTable) OID() uint32                  { return t.oid }
func (t *sysTable) Columns() []planner.ColumnDef { return t.cols }
func (t *sysTable) Version() uint64              { return 0 }

func (t *sysTable) noHistory() error {
	return sqlstate.New(sqlstate.FeatureNotSupported, "system table %s has no versions", t.Name())
}

// ReadOnly implements planner.ReadOnlyTable.
func (t *sysTable) ReadOnly() error {
	_, name, _ := strings.Cut(t.Name(), ".")
	return sqlstate.New(sqlstate.InsufficientPrivilege, "permission denied for table %s", name).
		WithDetail("System tables are read-only.")
}

func (t *sysTable) AtVersion(context.Context, uint64) (planner.Table, error) {
	return nil, t.noHistory()
}
func (t *sysTable) AsOf(context.Context, time.Time) (planner.Table, error) {
	return nil, t.noHistory()
}
func (t *sysTable) Versions(context.Context) ([]planner.VersionInfo, error) {
	return nil, t.noHistory()
}
func (t *sysTable) Insert(context.Context, []arrow.Record) error           { return t.ReadOnly() }
func (t *sysTable) Delete(context.Context, []uint64) error                 { return t.ReadOnly() }
func (t *sysTable) Update(context.Context, []uint64, []arrow.Record) error { return t.ReadOnly() }
func (t *sysTable) AddColumn(context.Context, planner.ColumnDef) error     { return t.ReadOnly() }
func (t *sysTable) DropColumn(context.Context, string) error               { return t.ReadOnly() }

// Scan computes the table and returns it as one batch of the columns
// asked for. Row addresses are the rows' positions.
func (t *sysTable) Scan(ctx context.Context, cols []int, withRowAddr bool, mem memory.Allocator) (executor.Operator, error) {
	n, appendField, err := t.rows(ctx)
	if err != nil {
		return nil, storageError(err, t.Name())
	}
	fields := make([]arrow.Field, 0, len(cols)+1)
	for _, c := range cols {
		def := t.cols[c]
		f, err := pgtype.Field(def.Name, def.Type, !def.NotNull)
		if err != nil {
			return nil, err
		}
		fields = append(fields, f)
	}
	if withRowAddr {
		fields = append(fields, arrow.Field{Name: lance.RowAddressColumn, Type: arrow.PrimitiveTypes.Uint64})
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := range n {
		for j, c := range cols {
			appendField(i, t.cols[c].Name, b.Field(j))
		}
		if withRowAddr {
			b.Field(len(cols)).(*array.Uint64Builder).Append(uint64(i))
		}
	}
	rec := b.NewRecord()
	if len(fields) == 0 {
		// A builder of no columns makes a record of no rows; a scan of
		// no columns (count(*)) still has n rows.
		rec.Release()
		rec = array.NewRecord(schema, nil, int64(n))
	}
	return executor.NewRecords(schema, []arrow.Record{rec}), nil
}

// appendJobField appends one column of a job record.
func appendJobField(fb array.Builder, r jobs.Record, col string) {
	text := func(s string, null bool) {
		if null {
			fb.AppendNull()
			return
		}
		fb.(*array.StringBuilder).Append(s)
	}
	ts := func(t time.Time) {
		if t.IsZero() {
			fb.AppendNull()
			return
		}
		fb.(*array.TimestampBuilder).Append(arrow.Timestamp(t.UnixMicro()))
	}
	version := func(v uint64) {
		if v == 0 {
			fb.AppendNull()
			return
		}
		fb.(*array.Int64Builder).Append(int64(v))
	}
	switch col {
	case "id":
		text(r.ID, false)
	case "table_name":
		text(r.Table, false)
	case "type":
		text(r.Type, false)
	case "state":
		text(string(r.State), false)
	case "reason":
		text(r.Reason, r.Reason == "")
	case "created":
		ts(r.Created)
	case "started":
		ts(r.Started)
	case "finished":
		ts(r.Finished)
	case "read_version":
		version(r.ReadVersion)
	case "version":
		version(r.Version)
	case "error":
		text(r.Error, r.Error == "")
	case "runner":
		text(r.Runner, r.Runner == "")
	case "stats":
		if len(r.Stats) == 0 {
			fb.AppendNull()
			return
		}
		data, _ := json.Marshal(r.Stats) // map keys marshal sorted
		text(string(data), false)
	}
}
