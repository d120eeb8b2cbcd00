package planner

import (
	"context"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/pgtype"
)

// Catalog is the planner's view of the tables a statement may use. The
// gateway implements it over storage, pinning one snapshot of each table
// per statement (or per transaction) and buffering writes inside
// transaction blocks. Errors carry SQLSTATEs (42P01 for a missing table).
type Catalog interface {
	// Table resolves a table name (lower-cased unless quoted); system
	// tables come qualified ("lancegate.jobs").
	Table(ctx context.Context, name string) (Table, error)
	// CreateTable creates a table; it reports false when the table existed
	// and def.IfNotExists was set (42P07 otherwise).
	CreateTable(ctx context.Context, def TableDef) (bool, error)
	// DropTable drops a table; it reports false when the table did not
	// exist and ifExists was set (42P01 otherwise).
	DropTable(ctx context.Context, name string, ifExists bool) (bool, error)
}

// SystemSchema is the schema of lancegate's read-only system tables: the
// binder passes lancegate.t to Catalog.Table as "lancegate.t".
const SystemSchema = "lancegate"

// TableDef is what CREATE TABLE asks for.
type TableDef struct {
	Name        string
	Columns     []ColumnDef
	IfNotExists bool
	// Location is the storage URI of the table's dataset (CREATE TABLE …
	// WITH (location = '…')); empty for the default, <root>/<name>.lance.
	Location string
	// PrimaryKey names the primary key's columns, in key order; empty for
	// none.
	PrimaryKey []string
}

// ColumnDef is a column of CREATE TABLE or ALTER TABLE ADD COLUMN.
type ColumnDef struct {
	Name    string
	Type    pgtype.Type
	NotNull bool
	// PrimaryKey marks a column of the table's primary key.
	PrimaryKey bool
	// Serial asks CREATE TABLE for a sequence feeding the column's
	// values (serial, bigserial, … AS IDENTITY); Identity is 'a' (ALWAYS)
	// or 'd' (BY DEFAULT) for identity columns, 0 otherwise.
	Serial   bool
	Identity byte
	// Sequence names the sequence that fills the column when an INSERT or
	// COPY leaves it out or writes DEFAULT ("" for none).
	Sequence string
}

// Table is one snapshot of a table.
type Table interface {
	// Name is the table's name.
	Name() string
	// OID is the table's pg_class OID (0 when none is assigned yet).
	OID() uint32
	// Columns describes the table's columns in order.
	Columns() []ColumnDef
	// Version is the snapshot's version.
	Version() uint64
	// AtVersion returns the table as of version v (time travel); 22023
	// when there is no such version.
	AtVersion(ctx context.Context, v uint64) (Table, error)
	// AsOf returns the newest version committed at or before t.
	AsOf(ctx context.Context, t time.Time) (Table, error)
	// Versions lists the table's versions, oldest first.
	Versions(ctx context.Context) ([]VersionInfo, error)
	// Scan reads the snapshot's columns cols (indexes into Columns), with
	// a trailing uint64 row-address column when withRowAddr is set.
	Scan(ctx context.Context, cols []int, withRowAddr bool, mem memory.Allocator) (executor.Operator, error)
	// Insert appends rows (batches with the table's columns in order);
	// the batches stay owned by the caller.
	Insert(ctx context.Context, rows []arrow.Record) error
	// Delete deletes rows by row address.
	Delete(ctx context.Context, addrs []uint64) error
	// Update deletes rows by address and appends their new versions, as
	// one change.
	Update(ctx context.Context, addrs []uint64, rows []arrow.Record) error
	// AddColumn adds a nullable column.
	AddColumn(ctx context.Context, col ColumnDef) error
	// DropColumn drops a column.
	DropColumn(ctx context.Context, name string) error
}

// ReadOnlyTable is implemented by tables that refuse every write, such
// as system tables: INSERT, UPDATE and DELETE fail at binding with the
// error ReadOnly returns.
type ReadOnlyTable interface {
	Table
	ReadOnly() error
}

// VersionInfo describes one version of a table, for lance_versions().
type VersionInfo struct {
	Version   uint64
	Timestamp time.Time
	Operation string
	Rows      uint64
}
