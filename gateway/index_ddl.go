package gateway

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/planner"
	"github.com/lancegate/lancegate/planner/dialect"
	"github.com/lancegate/lancegate/storage/index/indexspec"
	"github.com/lancegate/lancegate/storage/index/lanceindex"
	"github.com/lancegate/lancegate/storage/jobs"
	"github.com/lancegate/lancegate/storage/lance"
)

// CREATE INDEX and DROP INDEX (docs/sql.md, "Vector indexes").
//
// CREATE INDEX validates the request, declares the index in the table's
// dataset config (indexspec) with one commit, publishes the commit's event
// and returns: the build is the agent's job, and the statement returns once
// the request is durable. WITH (wait = true) makes it return only when the
// index is committed (or its build failed). DROP INDEX removes the
// declaration and the index's manifest entries.

// indexMethods maps USING names to index types: lancegate's own and
// pgvector's, which map onto them.
var indexMethods = map[string]string{
	"ivf_pq":      indexspec.IVFPQ,
	"ivfflat":     indexspec.IVFPQ,
	"ivf_hnsw_sq": indexspec.IVFHNSWSQ,
	"hnsw":        indexspec.IVFHNSWSQ,
}

// opClasses maps pgvector's operator classes to metrics.
var opClasses = map[string]string{
	"vector_l2_ops":     "l2",
	"vector_cosine_ops": "cosine",
	"vector_ip_ops":     "dot",
}

func (s *Session) createIndexStmt(x *dialect.CreateIndexStmt) *utilityStatement {
	return s.utility("CREATE INDEX", func(ctx context.Context, r *utilityResult) error {
		if err := s.checkFailed(); err != nil {
			return err
		}
		spec, wait, err := s.indexSpec(ctx, x)
		if err != nil {
			return err
		}
		table := x.Table[len(x.Table)-1]
		if err := s.checkOwner(ctx, table); err != nil {
			return err
		}
		if err := (sessionCatalog{s: s}).ddl(ctx, table); err != nil {
			return err
		}
		ctx, cancel := s.statementContext(ctx)
		defer cancel()
		c := s.e.tables
		ds, err := c.cat.Open(ctx, table)
		if err != nil {
			return storageError(err, table)
		}
		// Index names are global, as in PostgreSQL (DROP INDEX finds the
		// table by name): look in every table.
		other, err := s.indexTable(ctx, spec.Name)
		if err != nil {
			return err
		}
		if other != "" {
			if x.IfNotExists {
				r.notices = append(r.notices, sqlstate.New(sqlstate.DuplicateTable, "relation %q already exists, skipping", spec.Name))
				return nil
			}
			return sqlstate.New(sqlstate.DuplicateTable, "relation %q already exists", spec.Name)
		}
		spec.Created = time.Now().UTC()
		val, err := spec.Encode()
		if err != nil {
			return err
		}
		next, err := ds.UpdateConfig(ctx, map[string]string{spec.Key(): val}, nil)
		if errors.Is(err, lance.ErrCommitConflict) {
			return sqlstate.New(sqlstate.SerializationFailure, "could not create index %q: the table changed concurrently", spec.Name).WithHint("Retry the statement.")
		}
		if err != nil {
			return storageError(err, table)
		}
		c.publish(ctx, table, ds, next, "create_index", 0, 0)
		if wait {
			return s.waitForIndex(ctx, table, spec, next.Version())
		}
		return nil
	})
}

// indexExists reports whether ds declares or holds an index named name.
func indexExists(ds *lance.Dataset, name string) (bool, error) {
	if _, ok := ds.Config()[indexspec.ConfigPrefix+name]; ok {
		return true, nil
	}
	infos, err := ds.Indexes()
	if err != nil {
		return false, err
	}
	for _, info := range infos {
		if info.Name == name {
			return true, nil
		}
	}
	return false, nil
}

// indexSpec checks a CREATE INDEX against the table and returns what to
// declare, and whether to wait for the build.
func (s *Session) indexSpec(ctx context.Context, x *dialect.CreateIndexStmt) (indexspec.Spec, bool, error) {
	var spec indexspec.Spec
	switch {
	case x.Unique:
		return spec, false, sqlstate.New(sqlstate.FeatureNotSupported, "unique indexes are not supported")
	case x.Unsupported != "":
		return spec, false, sqlstate.New(sqlstate.FeatureNotSupported, "%s is not supported in CREATE INDEX", x.Unsupported).WithPosition(x.UnsupportedPos)
	case len(x.Columns) != 1:
		return spec, false, sqlstate.New(sqlstate.FeatureNotSupported, "indexes on more than one column are not supported").WithPosition(x.Columns[1].Pos)
	}
	method := x.Method
	if method == "" {
		method = "btree"
	}
	typ, ok := indexMethods[method]
	if !ok {
		switch method {
		case "btree", "hash", "gist", "gin", "spgist", "brin":
			return spec, false, sqlstate.New(sqlstate.FeatureNotSupported, "index access method %q is not supported", method).
				WithPosition(max(x.MethodPos, x.TablePos)).
				WithHint("lancegate builds vector indexes: USING ivf_pq, ivf_hnsw_sq, ivfflat or hnsw.")
		}
		return spec, false, sqlstate.New(sqlstate.UndefinedObject, "access method %q does not exist", method).WithPosition(x.MethodPos)
	}
	table := x.Table[len(x.Table)-1]
	t, err := s.e.tables.Table(ctx, table)
	if err != nil {
		return spec, false, err
	}
	if _, ok := t.(*lanceTable); !ok {
		return spec, false, sqlstate.New(sqlstate.WrongObjectType, "%q is not a table that can be indexed", table)
	}
	col := x.Columns[0]
	var colType pgtype.Type
	found := false
	for _, c := range t.Columns() {
		if c.Name == col.Name {
			colType, found = c.Type, true
		}
	}
	if !found {
		return spec, false, sqlstate.New(sqlstate.UndefinedColumn, "column %q does not exist", col.Name).WithPosition(col.Pos)
	}
	if colType.OID != pgtype.OIDVector || colType.Mod <= 0 {
		return spec, false, sqlstate.New(sqlstate.UndefinedObject, "data type %s has no default operator class for access method %q", colType, method).
			WithPosition(col.Pos).WithHint("Vector indexes need a vector(n) column.")
	}
	metric := "l2"
	if col.OpClass != "" {
		if metric, ok = opClasses[col.OpClass]; !ok {
			return spec, false, sqlstate.New(sqlstate.UndefinedObject, "operator class %q does not exist for access method %q", col.OpClass, method).WithPosition(col.Pos)
		}
	}
	name := x.Name
	if name == "" {
		name = table + "_" + col.Name + "_idx"
	}
	spec = indexspec.Spec{Name: name, Column: col.Name, Type: typ, Metric: metric}
	dim := int(colType.Mod)
	wait := false
	for _, o := range x.With {
		v := ""
		if o.Value != nil {
			v = o.Value.Text
		}
		var err error
		switch o.Name {
		case "num_partitions", "lists":
			spec.NumPartitions, err = positiveParam(o.Name, v)
		case "num_sub_vectors":
			if typ != indexspec.IVFPQ {
				err = sqlstate.New(sqlstate.InvalidParameterValue, "unrecognized parameter %q for %s indexes", o.Name, typ)
			} else if spec.NumSubVectors, err = positiveParam(o.Name, v); err == nil && dim%spec.NumSubVectors != 0 {
				err = sqlstate.New(sqlstate.InvalidParameterValue, "num_sub_vectors = %d does not divide the dimension %d of column %q", spec.NumSubVectors, dim, col.Name)
			}
		case "m", "ef_construction":
			if typ != indexspec.IVFHNSWSQ {
				err = sqlstate.New(sqlstate.InvalidParameterValue, "unrecognized parameter %q for %s indexes", o.Name, typ)
			} else if o.Name == "m" {
				if spec.M, err = positiveParam(o.Name, v); err == nil && spec.M < 2 {
					err = sqlstate.New(sqlstate.InvalidParameterValue, "m = %d is too small (at least 2)", spec.M)
				}
			} else {
				spec.EfConstruction, err = positiveParam(o.Name, v)
			}
		case "wait":
			wait, err = boolParam(o.Name, v)
		default:
			err = sqlstate.New(sqlstate.InvalidParameterValue, "unrecognized parameter %q", o.Name)
		}
		if err != nil {
			return spec, false, err
		}
	}
	return spec, wait, nil
}

func positiveParam(name, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for parameter %q: %q", name, v).WithDetail("Valid values are positive integers.")
	}
	return n, nil
}

func boolParam(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "true", "on", "1", "yes":
		return true, nil
	case "false", "off", "0", "no":
		return false, nil
	}
	return false, sqlstate.New(sqlstate.InvalidParameterValue, "parameter %q requires a Boolean value", name)
}

// waitForIndex polls the table until the index is committed, its build
// failed (a failed index job recorded after the declaration), or ctx ends
// (statement_timeout, cancel).
func (s *Session) waitForIndex(ctx context.Context, table string, spec indexspec.Spec, declared uint64) error {
	c := s.e.tables
	hist := jobs.NewHistory(c.cat.Store())
	delay := 50 * time.Millisecond
	for {
		ds, err := c.cat.Open(ctx, table)
		if err != nil {
			return s.statementError(ctx, storageError(err, table))
		}
		infos, err := ds.Indexes()
		if err != nil {
			return storageError(err, table)
		}
		for _, info := range infos {
			if info.Name == spec.Name {
				return nil
			}
		}
		if _, ok := ds.Config()[spec.Key()]; !ok {
			return sqlstate.New(sqlstate.UndefinedObject, "index %q was dropped while waiting for its build", spec.Name)
		}
		recs, err := hist.List(ctx, jobs.ListOptions{Table: table})
		if err == nil {
			for _, rec := range recs {
				if rec.Type == "index" && rec.State == jobs.Failed && !rec.Created.Before(spec.Created) {
					return sqlstate.New(sqlstate.InternalError, "building index %q failed: %s", spec.Name, rec.Error).
						WithDetail("Job %s. The index stays declared; the agent retries on the table's next change. DROP INDEX removes it.", rec.ID)
				}
			}
		}
		select {
		case <-ctx.Done():
			return s.statementError(ctx, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
}

func (s *Session) dropIndexStmt(x *dialect.DropIndexStmt) *utilityStatement {
	return s.utility("DROP INDEX", func(ctx context.Context, r *utilityResult) error {
		if err := s.checkFailed(); err != nil {
			return err
		}
		if err := (sessionCatalog{s: s}).ddl(ctx, ""); err != nil {
			return err
		}
		for _, parts := range x.Names {
			name := parts[len(parts)-1]
			if err := s.checkIndexOwner(ctx, name); err != nil {
				return err
			}
			found, err := s.dropIndex(ctx, name)
			if err != nil {
				return err
			}
			if !found {
				if !x.IfExists {
					return sqlstate.New(sqlstate.UndefinedObject, "index %q does not exist", name).WithPosition(x.Pos)
				}
				r.notices = append(r.notices, sqlstate.New(sqlstate.UndefinedObject, "index %q does not exist, skipping", name))
			}
		}
		return nil
	})
}

// indexTable returns the table that declares or holds index name, or "".
func (s *Session) indexTable(ctx context.Context, name string) (string, error) {
	c := s.e.tables
	tables, err := c.cat.List(ctx)
	if err != nil {
		return "", storageError(err, "")
	}
	for _, table := range tables {
		ds, err := c.cat.Open(ctx, table)
		if err != nil {
			continue // dropped meanwhile, or unreadable: not this one
		}
		if ok, err := indexExists(ds, name); err == nil && ok {
			return table, nil
		}
	}
	return "", nil
}

// dropIndex removes index name from whichever table declares or holds it.
func (s *Session) dropIndex(ctx context.Context, name string) (bool, error) {
	c := s.e.tables
	table, err := s.indexTable(ctx, name)
	if err != nil || table == "" {
		return false, err
	}
	ds, err := c.cat.Open(ctx, table)
	if err != nil {
		return false, storageError(err, table)
	}
	prev := ds
	key := indexspec.ConfigPrefix + name
	if _, declared := ds.Config()[key]; declared {
		// First the declaration, so that no build or maintenance of the
		// index commits after this (they require it), then the entries.
		if ds, err = ds.UpdateConfig(ctx, nil, []string{key}); err != nil {
			return false, dropError(err, name, table)
		}
	}
	if ds, err = ds.DropIndex(ctx, name); err != nil && !errors.Is(err, lance.ErrNotFound) {
		return false, dropError(err, name, table)
	}
	if ds == nil {
		ds, _ = c.cat.Open(ctx, table)
	}
	c.publish(ctx, table, prev, ds, "drop_index", 0, 0)
	return true, nil
}

func dropError(err error, name, table string) error {
	if errors.Is(err, lance.ErrCommitConflict) {
		return sqlstate.New(sqlstate.SerializationFailure, "could not drop index %q: table %q changed concurrently", name, table).WithHint("Retry the statement.")
	}
	return storageError(fmt.Errorf("drop index %s: %w", name, err), table)
}

// indexesColumns are lancegate.indexes' columns: one row per index of
// every table, built or only declared.
var indexesColumns = []planner.ColumnDef{
	{Name: "table_name", Type: pgtype.Text, NotNull: true},
	{Name: "index_name", Type: pgtype.Text, NotNull: true},
	{Name: "column_name", Type: pgtype.Text},
	{Name: "index_type", Type: pgtype.Text},
	{Name: "metric", Type: pgtype.Text},
	{Name: "status", Type: pgtype.Text, NotNull: true},
	{Name: "segments", Type: pgtype.Int8, NotNull: true},
	{Name: "indexed_rows", Type: pgtype.Int8, NotNull: true},
	{Name: "unindexed_rows", Type: pgtype.Int8, NotNull: true},
	{Name: "num_partitions", Type: pgtype.Int8},
	{Name: "num_sub_vectors", Type: pgtype.Int8},
	{Name: "created", Type: pgtype.TimestampTZ},
}

// indexRow is one row of lancegate.indexes.
type indexRow struct {
	table, name, column, typ, metric, status string
	segments, indexed, unindexed             int64
	partitions, subVectors                   int64 // 0: unknown
	created                                  time.Time
}

// indexRows lists the indexes of every table: status "ready" when the
// manifest holds the index (its rows indexed and unindexed counted from
// the fragments it covers), "pending" when it is declared and not built.
func (c *storageCatalog) indexRows(ctx context.Context) (int, rowAppender, error) {
	tables, err := c.cat.List(ctx)
	if err != nil {
		return 0, nil, err
	}
	var rows []indexRow
	for _, table := range tables {
		ds, err := c.cat.Open(ctx, table)
		if err != nil {
			continue // dropped meanwhile
		}
		rs, err := c.tableIndexRows(ctx, table, ds)
		if err != nil {
			return 0, nil, err
		}
		rows = append(rows, rs...)
	}
	return len(rows), func(i int, col string, fb array.Builder) { appendIndexField(fb, rows[i], col) }, nil
}

func (c *storageCatalog) tableIndexRows(ctx context.Context, table string, ds *lance.Dataset) ([]indexRow, error) {
	infos, err := ds.Indexes()
	if err != nil {
		return nil, err
	}
	declared, _ := indexspec.Declared(ds.Config())
	byName := map[string]*indexRow{}
	var order []string
	row := func(name string) *indexRow {
		r, ok := byName[name]
		if !ok {
			r = &indexRow{table: table, name: name, status: "pending"}
			byName[name] = r
			order = append(order, name)
		}
		return r
	}
	for _, s := range declared {
		r := row(s.Name)
		r.column, r.typ, r.metric = s.Column, s.Type, s.Metric
		r.partitions, r.subVectors, r.created = int64(s.NumPartitions), int64(s.NumSubVectors), s.Created
	}
	covered := map[string]map[uint64]bool{}
	for _, info := range infos {
		if !strings.HasSuffix(info.TypeURL, "VectorIndexDetails") {
			continue
		}
		r := row(info.Name)
		r.status = "ready"
		r.segments++
		if covered[info.Name] == nil {
			covered[info.Name] = map[uint64]bool{}
		}
		for _, f := range info.Fragments {
			covered[info.Name][uint64(f)] = true
		}
		if len(info.Fields) == 1 {
			for i, f := range ds.Schema().Arrow().Fields() {
				if ds.Schema().FieldID(i) == info.Fields[0] {
					r.column = f.Name
				}
			}
		}
		if ix, err := c.indexes.Segment(ctx, ds, info); err == nil {
			r.typ, r.metric = ix.Type(), string(metricName(ix.Metric()))
			r.partitions = int64(ix.NumPartitions())
			if pq, ok := ix.(*lanceindex.IVFPQ); ok {
				r.subVectors = int64(pq.NumSubVectors())
			}
		} else if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	out := make([]indexRow, 0, len(order))
	for _, name := range order {
		r := byName[name]
		for _, f := range ds.Fragments() {
			if covered[name][f.ID] {
				r.indexed += int64(f.Rows())
			} else {
				r.unindexed += int64(f.Rows())
			}
		}
		out = append(out, *r)
	}
	return out, nil
}

func appendIndexField(fb array.Builder, r indexRow, col string) {
	text := func(s string) {
		if s == "" {
			fb.AppendNull()
			return
		}
		fb.(*array.StringBuilder).Append(s)
	}
	num := func(n int64, nullIfZero bool) {
		if n == 0 && nullIfZero {
			fb.AppendNull()
			return
		}
		fb.(*array.Int64Builder).Append(n)
	}
	switch col {
	case "table_name":
		text(r.table)
	case "index_name":
		text(r.name)
	case "column_name":
		text(r.column)
	case "index_type":
		text(r.typ)
	case "metric":
		text(r.metric)
	case "status":
		text(r.status)
	case "segments":
		num(r.segments, false)
	case "indexed_rows":
		num(r.indexed, false)
	case "unindexed_rows":
		num(r.unindexed, false)
	case "num_partitions":
		num(r.partitions, true)
	case "num_sub_vectors":
		num(r.subVectors, true)
	case "created":
		if r.created.IsZero() {
			fb.AppendNull()
			return
		}
		fb.(*array.TimestampBuilder).Append(arrow.Timestamp(r.created.UnixMicro()))
	}
}
