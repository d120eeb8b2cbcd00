package gateway

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/pgcatalog"
	"github.com/lancegate/lancegate/planner"
)

// Transactions.
//
// A transaction — an explicit BEGIN … COMMIT block, or the implicit one
// spanning the statements of one simple Query message or the messages up
// to a Sync — reads one snapshot of each table: the version current when
// the transaction first touches the table. Its writes are buffered in
// memory and committed at the end, one new version per table written (a
// Lance Update, Append or Delete). Reads inside the transaction see its
// own buffered writes: buffered rows carry negative row addresses so later
// UPDATEs and DELETEs can find them.
//
// Commits go table by table: if a later table's commit fails (a conflict,
// 40001), earlier tables stay committed. DDL is not transactional: inside
// an explicit block it is refused (0A000); inside an implicit transaction
// it first commits what is buffered, then runs on its own.

// txn is one transaction's state.
type txn struct {
	explicit bool
	failed   bool
	readOnly bool
	tables   map[string]*txnTable
	started  time.Time
	// savedSettings holds settings as they were before the block changed
	// them: SET LOCAL values are restored at the end, SET values on
	// rollback.
	savedSettings []savedSetting
	// savepoints are the open savepoints, oldest first.
	savepoints []savepoint
	// catalog is the pg_catalog snapshot of the transaction's statements
	// (pgcatalog_tables.go); nil until one reads the catalog.
	catalog *pgcatalog.Snapshot
	// cursors are the block's declared cursors (cursor.go).
	cursors map[string]*cursor
}

type savedSetting struct {
	name, value string
	local       bool
}

// rememberSetting records a setting's value before the block changes it.
func (tx *txn) rememberSetting(s *settings, name string, local bool) {
	v, canon, err := s.get(name)
	if err != nil {
		return
	}
	for _, ss := range tx.savedSettings {
		if ss.name == canon {
			return
		}
	}
	tx.savedSettings = append(tx.savedSettings, savedSetting{name: canon, value: v, local: local})
}

func newTxn(explicit bool) *txn {
	return &txn{explicit: explicit, tables: map[string]*txnTable{}, started: time.Now()}
}

// txnTable is a table inside a transaction: a pinned snapshot plus
// buffered writes.
type txnTable struct {
	base *lanceTable
	tx   *txn
	// rows are buffered inserted rows (table columns in order); removed
	// marks the ones deleted again within the transaction.
	rows    []arrow.Record
	removed map[int64]bool
	// deleted holds the row addresses of stored rows deleted.
	deleted map[uint64]bool
}

var _ planner.Table = (*txnTable)(nil)

func (t *txnTable) Name() string                 { return t.base.Name() }
func (t *txnTable) OID() uint32                  { return t.base.OID() }
func (t *txnTable) Columns() []planner.ColumnDef { return t.base.Columns() }
func (t *txnTable) Version() uint64              { return t.base.Version() }

func (t *txnTable) AtVersion(ctx context.Context, v uint64) (planner.Table, error) {
	return t.base.AtVersion(ctx, v)
}

func (t *txnTable) AsOf(ctx context.Context, at time.Time) (planner.Table, error) {
	return t.base.AsOf(ctx, at)
}

func (t *txnTable) Versions(ctx context.Context) ([]planner.VersionInfo, error) {
	return t.base.Versions(ctx)
}

func (t *txnTable) dirty() bool { return len(t.rows) > 0 || len(t.deleted) > 0 }

func (t *txnTable) checkWritable() error {
	if t.tx.readOnly {
		return sqlstate.New(sqlstate.ReadOnlySQLTransaction, "cannot execute this statement in a read-only transaction")
	}
	return nil
}

func (t *txnTable) Insert(ctx context.Context, rows []arrow.Record) error {
	if err := t.checkWritable(); err != nil {
		return err
	}
	if pk := t.base.primaryKey(); len(pk) > 0 {
		// Checked against the transaction's view now, as PostgreSQL does,
		// and against the newest version again at commit.
		if err := checkUnique(ctx, t.base.name, t, keyColumns(t.base), pk, rows, nil); err != nil {
			return err
		}
	}
	for _, r := range rows {
		r.Retain()
		t.rows = append(t.rows, r)
	}
	return nil
}

// bufferedRow maps a negative row address to (batch, row) of the buffer.
func (t *txnTable) bufferedIndex(addr int64) int64 { return -addr - 1 }

func (t *txnTable) Delete(ctx context.Context, addrs []uint64) error {
	if err := t.checkWritable(); err != nil {
		return err
	}
	for _, a := range addrs {
		if int64(a) < 0 {
			if t.removed == nil {
				t.removed = map[int64]bool{}
			}
			t.removed[t.bufferedIndex(int64(a))] = true
			continue
		}
		if t.deleted == nil {
			t.deleted = map[uint64]bool{}
		}
		t.deleted[a] = true
	}
	return nil
}

func (t *txnTable) Update(ctx context.Context, addrs []uint64, rows []arrow.Record) error {
	if err := t.Delete(ctx, addrs); err != nil {
		return err
	}
	return t.Insert(ctx, rows)
}

func (t *txnTable) AddColumn(ctx context.Context, col planner.ColumnDef) error {
	return t.alter(ctx, func(b *lanceTable) error { return b.AddColumn(ctx, col) })
}

func (t *txnTable) DropColumn(ctx context.Context, name string) error {
	return t.alter(ctx, func(b *lanceTable) error { return b.DropColumn(ctx, name) })
}

// VectorIndex implements planner.VectorTable: the snapshot's index while
// the transaction has not written to the table; with pending writes the
// search is exact, over the merged rows.
func (t *txnTable) VectorIndex(ctx context.Context, col int, metric planner.VectorMetric) (planner.VectorIndex, error) {
	if t.dirty() {
		return nil, nil
	}
	return t.base.VectorIndex(ctx, col, metric)
}

// Scan reads the pinned snapshot without the rows this transaction
// deleted, then the rows it inserted.
func (t *txnTable) Scan(ctx context.Context, cols []int, withRowAddr bool, mem memory.Allocator) (executor.Operator, error) {
	if !t.dirty() {
		return t.base.Scan(ctx, cols, withRowAddr, mem)
	}
	stored, err := t.base.Scan(ctx, cols, true, mem)
	if err != nil {
		return nil, err
	}
	return &txnScan{t: t, stored: stored, cols: cols, withAddr: withRowAddr, mem: mem}, nil
}

// txnScan merges a stored scan with a transaction's buffered writes.
type txnScan struct {
	t        *txnTable
	stored   executor.Operator
	cols     []int
	withAddr bool
	mem      memory.Allocator
	// next is the index of the next buffered batch; base counts the
	// buffered rows before it (for their negative addresses).
	next int
	base int64
	done bool
}

func (s *txnScan) Schema() *arrow.Schema {
	sc := s.stored.Schema()
	if s.withAddr {
		return sc
	}
	fields := sc.Fields()[:sc.NumFields()-1]
	md := sc.Metadata()
	return arrow.NewSchema(fields, &md)
}

func (s *txnScan) Next(ctx context.Context) (arrow.Record, error) {
	for !s.done {
		rec, err := s.stored.Next(ctx)
		if errors.Is(err, io.EOF) {
			s.done = true
			break
		}
		if err != nil {
			return nil, err
		}
		out := s.filterStored(rec)
		if out != nil {
			return out, nil
		}
	}
	for s.next < len(s.t.rows) {
		rec := s.t.rows[s.next]
		first := s.base
		s.next++
		s.base += rec.NumRows()
		out, err := s.buffered(rec, first)
		if err != nil {
			return nil, err
		}
		if out != nil {
			return out, nil
		}
	}
	return nil, io.EOF
}

// filterStored drops rows the transaction deleted (and the address column
// when not wanted); nil when no row is left.
func (s *txnScan) filterStored(rec arrow.Record) arrow.Record {
	defer rec.Release()
	addrCol := int(rec.NumCols()) - 1
	addrs := rec.Column(addrCol).(*array.Int64).Int64Values()
	keep := make([]int, 0, len(addrs))
	for i, a := range addrs {
		if !s.t.deleted[uint64(a)] {
			keep = append(keep, i)
		}
	}
	return s.take(rec, keep, !s.withAddr)
}

// buffered turns a batch of buffered rows into the scan's shape, with
// negative row addresses, skipping rows deleted again.
func (s *txnScan) buffered(rec arrow.Record, first int64) (arrow.Record, error) {
	n := int(rec.NumRows())
	keep := make([]int, 0, n)
	for i := 0; i < n; i++ {
		if !s.t.removed[first+int64(i)] {
			keep = append(keep, i)
		}
	}
	if len(keep) == 0 {
		return nil, nil
	}
	cols := make([]arrow.Array, 0, len(s.cols)+1)
	for _, c := range s.cols {
		a := rec.Column(c)
		a.Retain()
		cols = append(cols, a)
	}
	ab := array.NewInt64Builder(s.mem)
	for i := 0; i < n; i++ {
		ab.Append(-(first + int64(i)) - 1)
	}
	cols = append(cols, ab.NewArray())
	ab.Release()
	full := array.NewRecord(s.stored.Schema(), cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	defer full.Release()
	return s.take(full, keep, !s.withAddr), nil
}

// take selects rows (ascending indexes) of rec, optionally dropping its
// last column; it consumes nothing and returns nil for no rows.
func (s *txnScan) take(rec arrow.Record, rows []int, dropLast bool) arrow.Record {
	if len(rows) == 0 {
		return nil
	}
	ncols := int(rec.NumCols())
	if dropLast {
		ncols--
	}
	schema := s.Schema()
	if len(rows) == int(rec.NumRows()) {
		cols := make([]arrow.Array, ncols)
		for i := range cols {
			cols[i] = rec.Column(i)
		}
		return array.NewRecord(schema, cols, rec.NumRows())
	}
	// Rows are contiguous runs in practice; slice and concatenate runs.
	cols := make([]arrow.Array, ncols)
	for c := 0; c < ncols; c++ {
		var parts []arrow.Array
		for i := 0; i < len(rows); {
			j := i
			for j+1 < len(rows) && rows[j+1] == rows[j]+1 {
				j++
			}
			parts = append(parts, array.NewSlice(rec.Column(c), int64(rows[i]), int64(rows[j]+1)))
			i = j + 1
		}
		cat, err := array.Concatenate(parts, s.mem)
		for _, p := range parts {
			p.Release()
		}
		if err != nil {
			for _, x := range cols[:c] {
				x.Release()
			}
			return nil
		}
		cols[c] = cat
	}
	out := array.NewRecord(schema, cols, int64(len(rows)))
	for _, c := range cols {
		c.Release()
	}
	return out
}

func (s *txnScan) Close() { s.stored.Close() }

// commit writes the table's buffered changes as one new version.
func (t *txnTable) commit(ctx context.Context) error {
	if !t.dirty() {
		return nil
	}
	var live []arrow.Record
	var idx int64
	for _, r := range t.rows {
		n := r.NumRows()
		var keep []int64
		for i := int64(0); i < n; i++ {
			if !t.removed[idx+i] {
				keep = append(keep, i)
			}
		}
		idx += n
		switch {
		case len(keep) == int(n):
			r.Retain()
			live = append(live, r)
		case len(keep) > 0:
			for _, k := range keep {
				live = append(live, r.NewSlice(k, k+1))
			}
		}
	}
	defer func() {
		for _, r := range live {
			r.Release()
		}
	}()
	addrs := make([]uint64, 0, len(t.deleted))
	for a := range t.deleted {
		addrs = append(addrs, a)
	}
	switch {
	case len(addrs) > 0 && len(live) > 0:
		return t.base.Update(ctx, addrs, live)
	case len(addrs) > 0:
		return t.base.Delete(ctx, addrs)
	case len(live) > 0:
		return t.base.Insert(ctx, live)
	}
	return nil
}

// discard drops the buffered changes.
func (t *txnTable) discard() {
	for _, r := range t.rows {
		r.Release()
	}
	t.rows, t.removed, t.deleted = nil, nil, nil
}
