package gateway

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/storage/lance"
)

// Primary keys.
//
// CREATE TABLE … PRIMARY KEY records the key's columns in the dataset's
// config under primaryKeyConfig ("id" or "a,b"), where pylance sees it
// too, and makes them NOT NULL. Lance has no unique index, so uniqueness
// is checked by scanning the key columns:
//
//   - when an INSERT, UPDATE or COPY buffers rows in a transaction, against
//     the transaction's view of the table (23505 at the statement, as in
//     PostgreSQL);
//   - when the rows are committed, against the newest version, and the
//     append commits only directly on top of the version checked
//     (lance.AppendAtVersion): if another writer committed meanwhile, the
//     check runs again on the newer version, so two sessions cannot both
//     insert one key.
//
// The cost of a write is a scan of the key columns, fine for the tables
// ORMs manage; bulk loads into large keyed tables pay it once per COPY.
// UPDATE commits re-check against the snapshot they update but not
// against concurrent inserts (documented in docs/sql.md).

// primaryKeyConfig is the dataset config key holding the primary key.
const primaryKeyConfig = "lancegate.primary_key"

// primaryKey returns the indexes (in cols) of ds's primary key columns, or
// nil when it has none.
func primaryKey(ds *lance.Dataset, cols []string) []int {
	spec := ds.Config()[primaryKeyConfig]
	if spec == "" {
		return nil
	}
	var out []int
	for _, name := range strings.Split(spec, ",") {
		for i, c := range cols {
			if c == name {
				out = append(out, i)
			}
		}
	}
	return out
}

// keyNames returns the names of the primary key columns of t, or nil.
func (t *lanceTable) primaryKey() []int {
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = c.Name
	}
	return primaryKey(t.ds, names)
}

// scanner is what uniqueness checks read: a table's Scan.
type scanner interface {
	Scan(ctx context.Context, cols []int, withRowAddr bool, mem memory.Allocator) (executor.Operator, error)
}

// keyOf encodes row i's key (the text forms of its key columns).
func keyOf(cols []arrow.Array, types []pgtype.Type, i int, buf []byte) []byte {
	for k, c := range cols {
		if k > 0 {
			buf = append(buf, 0)
		}
		buf = pgtype.AppendText(buf, types[k], c, i, nil)
	}
	return buf
}

// checkUnique reports 23505 when rows (batches with the table's columns)
// repeat a key among themselves or with a row of src other than those at
// the addresses in replaced (the old versions of updated rows).
func checkUnique(ctx context.Context, table string, src scanner, cols []keyCol, pk []int, rows []arrow.Record, replaced map[uint64]bool) error {
	types := make([]pgtype.Type, len(pk))
	names := make([]string, len(pk))
	for k, c := range pk {
		types[k], names[k] = cols[c].typ, cols[c].name
	}
	dup := func(key []byte) error {
		vals := strings.ReplaceAll(string(key), "\x00", ", ")
		return sqlstate.New(sqlstate.UniqueViolation, "duplicate key value violates unique constraint %q", table+"_pkey").
			WithDetail("Key (%s)=(%s) already exists.", strings.Join(names, ", "), vals)
	}
	fresh := map[string]bool{}
	var buf []byte
	for _, r := range rows {
		kc := make([]arrow.Array, len(pk))
		for k, c := range pk {
			kc[k] = r.Column(c)
		}
		for i := 0; i < int(r.NumRows()); i++ {
			buf = keyOf(kc, types, i, buf[:0])
			if fresh[string(buf)] {
				return dup(buf)
			}
			fresh[string(buf)] = true
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	op, err := src.Scan(ctx, pk, true, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	defer op.Close()
	for {
		rec, err := op.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		kc := make([]arrow.Array, len(pk))
		for k := range pk {
			kc[k] = rec.Column(k)
		}
		addrs, _ := rec.Column(len(pk)).(*array.Uint64)
		for i := 0; i < int(rec.NumRows()); i++ {
			if addrs != nil && replaced[addrs.Value(i)] {
				continue
			}
			buf = keyOf(kc, types, i, buf[:0])
			if fresh[string(buf)] {
				rec.Release()
				return dup(buf)
			}
		}
		rec.Release()
	}
}

// keyCol is the part of a column definition the checks need.
type keyCol struct {
	name string
	typ  pgtype.Type
}

func keyColumns(t *lanceTable) []keyCol {
	out := make([]keyCol, len(t.cols))
	for i, c := range t.cols {
		out[i] = keyCol{name: c.Name, typ: c.Type}
	}
	return out
}

// maxKeyedAppendAttempts bounds the re-checks of a keyed append racing
// other writers.
const maxKeyedAppendAttempts = 8

// insertKeyed appends rows to a table with a primary key: checked against
// the newest version and committed directly on top of it.
func (t *lanceTable) insertKeyed(ctx context.Context, rows []arrow.Record, pk []int) error {
	for attempt := 0; attempt < maxKeyedAppendAttempts; attempt++ {
		latest, err := t.cat.cat.Open(ctx, t.name)
		if err != nil {
			return storageError(err, t.name)
		}
		cur := &lanceTable{cat: t.cat, name: t.name, ds: latest, cols: t.cols}
		if err := checkUnique(ctx, t.name, cur, keyColumns(t), pk, rows, nil); err != nil {
			return err
		}
		rr, err := cur.conform(ctx, rows)
		if err != nil {
			return err
		}
		ds, err := latest.AppendAtVersion(ctx, rr, lance.WriteOptions{})
		rr.Release()
		if errors.Is(err, lance.ErrCommitConflict) {
			continue
		}
		if err != nil {
			return storageError(err, t.name)
		}
		t.ds = latest
		t.committed(ctx, ds, "append", countRows(rows), 0)
		return nil
	}
	return sqlstate.New(sqlstate.SerializationFailure, "could not serialize access due to concurrent update").
		WithDetail("Table %q kept changing while rows with its primary key were being checked.", t.name)
}
