package gateway

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/gateway/pgcatalog"
	"github.com/lancegate/lancegate/planner"
	"github.com/lancegate/lancegate/storage/catalog"
	"github.com/lancegate/lancegate/storage/index/indexspec"
	"github.com/lancegate/lancegate/storage/lance"
)

// pg_catalog and information_schema (gateway/pgcatalog).
//
// The binder passes catalog relations as "pg_catalog.<name>" and
// "information_schema.<name>", and unqualified names as they are; an
// unqualified name that is a pg_catalog relation is that relation, since
// pg_catalog comes first on every search path. The rows come from one
// pgcatalog.Snapshot per transaction (implicit or explicit), built on the
// first catalog relation a statement reads, so that joins across
// pg_class, pg_attribute and pg_index agree.

// catalogRelation resolves a name the binder passed to a catalog relation.
func (c *storageCatalog) catalogRelation(name string) (*pgcatalog.Relation, bool) {
	schema, rel, qualified := strings.Cut(name, ".")
	if !qualified {
		return c.pg.Lookup("", name)
	}
	if schema != "pg_catalog" && schema != "information_schema" {
		return nil, false
	}
	return c.pg.Lookup(schema, rel)
}

// catalogTable returns a catalog relation as a read-only table over the
// transaction's snapshot.
func (s *Session) catalogTable(ctx context.Context, r *pgcatalog.Relation) (planner.Table, error) {
	cols := make([]planner.ColumnDef, len(r.Columns))
	for i, c := range r.Columns {
		cols[i] = planner.ColumnDef{Name: c.Name, Type: c.Type, NotNull: c.NotNull}
	}
	sc := s.e.tables
	return &sysTable{name: r.Schema + "." + r.Name, oid: r.OID, cols: cols, rows: func(ctx context.Context) (int, rowAppender, error) {
		snap, err := s.catalogSnapshot(ctx)
		if err != nil {
			return 0, nil, err
		}
		rows := sc.pg.Rows(r, snap)
		index := map[string]int{}
		for i, c := range r.Columns {
			index[c.Name] = i
		}
		return len(rows), func(i int, col string, fb array.Builder) {
			if err := pgcatalog.AppendValue(fb, rows[i][index[col]]); err != nil {
				fb.AppendNull()
			}
		}, nil
	}}, nil
}

// catalogSnapshot returns the transaction's catalog snapshot, building it
// on first use.
func (s *Session) catalogSnapshot(ctx context.Context) (*pgcatalog.Snapshot, error) {
	tx := s.transaction()
	if tx.catalog != nil {
		return tx.catalog, nil
	}
	snap, err := s.e.tables.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	snap.User = s.User()
	snap.Owner = s.User()
	snap.PID = s.BackendPID()
	snap.ApplicationName, _ = s.Setting("application_name")
	snap.Database = s.Database()
	if store := s.e.opts.Roles; store != nil {
		st, err := store.Snapshot(ctx)
		if err != nil {
			return nil, storageError(err, "")
		}
		for _, r := range st.Roles {
			pr := pgcatalog.Role{OID: r.OID, Name: r.Name, Superuser: r.Superuser, Inherit: r.Inherit, CreateRole: r.CreateRole,
				CreateDB: r.CreateDB, Login: r.Login, ConnLimit: int32(r.ConnLimit), MemberOf: r.MemberOf}
			if !r.ValidUntil.IsZero() {
				pr.ValidUntil = r.ValidUntil.UnixMicro()
			}
			if r.OID == pgcatalog.BootstrapRoleOID {
				snap.Owner = r.Name
			}
			snap.Roles = append(snap.Roles, pr)
		}
		slices.SortFunc(snap.Roles, func(a, b pgcatalog.Role) int { return cmp.Compare(a.OID, b.OID) })
		for i := range snap.Tables {
			if acl, ok := st.Tables[snap.Tables[i].Name]; ok {
				snap.Tables[i].Owner = acl.Owner
			}
		}
	}
	for _, st := range s.settings.all() {
		snap.Settings = append(snap.Settings, pgcatalog.Setting{Name: st[0], Value: st[1], Description: st[2]})
	}
	tx.catalog = snap
	return snap, nil
}

// snapshot describes the tables in storage: their columns, OIDs (assigned
// here to tables that have none yet) and vector indexes.
func (c *storageCatalog) snapshot(ctx context.Context) (*pgcatalog.Snapshot, error) {
	names, err := c.cat.List(ctx)
	if err != nil {
		return nil, storageError(err, "")
	}
	oids, err := c.cat.RelationOIDs(ctx)
	if err != nil {
		return nil, storageError(err, "")
	}
	oid := func(name string) (uint32, error) {
		if v, ok := oids[name]; ok {
			return v, nil
		}
		v, err := c.cat.AssignOID(ctx, name)
		if err != nil {
			return 0, storageError(err, name)
		}
		return v, nil
	}
	snap := &pgcatalog.Snapshot{}
	for _, name := range names {
		ds, err := c.cat.Open(ctx, name)
		if errors.Is(err, catalog.ErrNoTable) {
			continue // dropped meanwhile
		}
		if err != nil {
			return nil, storageError(err, name)
		}
		lt, err := newLanceTable(c, name, ds)
		if err != nil {
			return nil, err
		}
		t := pgcatalog.Table{Name: name, Comment: ds.Config()[commentKey("")]}
		if t.OID, err = oid(name); err != nil {
			return nil, err
		}
		c.rememberOID(name, t.OID)
		for i, col := range lt.cols {
			pc := pgcatalog.Column{Name: col.Name, Type: col.Type, NotNull: col.NotNull, Identity: col.Identity,
				Comment: ds.Config()[commentKey(col.Name)]}
			if col.Sequence != "" {
				if col.Identity == 0 {
					pc.Default = "nextval('" + col.Sequence + "'::regclass)"
				}
				seq := pgcatalog.Sequence{Name: col.Sequence, Column: int16(i + 1)}
				if seq.OID, err = oid(name + "." + col.Sequence); err != nil {
					return nil, err
				}
				t.Sequences = append(t.Sequences, seq)
			}
			t.Columns = append(t.Columns, pc)
		}
		for _, f := range ds.Fragments() {
			t.Rows += int64(f.Rows())
			t.Bytes += int64(f.DataBytes())
		}
		names := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			names[i] = c.Name
		}
		if pk := primaryKey(ds, names); len(pk) > 0 {
			ix := pgcatalog.Index{Name: name + "_pkey", Method: "btree", Primary: true}
			for _, c := range pk {
				ix.Columns = append(ix.Columns, int16(c+1))
			}
			if ix.ConstraintOID, err = oid(name + ".pkey~constraint"); err != nil {
				return nil, err
			}
			t.Indexes = append(t.Indexes, ix)
		}
		for _, ix := range catalogIndexes(ds, t.Columns) {
			t.Indexes = append(t.Indexes, ix)
		}
		for i := range t.Indexes {
			if t.Indexes[i].OID, err = oid(name + "." + t.Indexes[i].Name); err != nil {
				return nil, err
			}
		}
		snap.Tables = append(snap.Tables, t)
	}
	defs, err := c.cat.SequenceDefs(ctx)
	if err != nil {
		return nil, storageError(err, "")
	}
	for _, name := range slices.Sorted(maps.Keys(defs)) {
		d := defs[name]
		q := pgcatalog.Sequence{Name: name, Def: &pgcatalog.SequenceDef{Type: d.Type, Start: d.Start, Increment: d.Increment,
			Min: d.Min, Max: d.Max, CacheSize: d.Cache, Cycle: d.Cycle}}
		if q.OID, err = oid(name); err != nil {
			return nil, err
		}
		snap.Sequences = append(snap.Sequences, q)
	}
	return snap, nil
}

// catalogIndexes lists a table's vector indexes, declared or built, as
// pg_index describes them: pgvector's access method and operator class
// names for lancegate's index types and metrics.
func catalogIndexes(ds *lance.Dataset, cols []pgcatalog.Column) []pgcatalog.Index {
	attnum := func(col string) int16 {
		for i, c := range cols {
			if c.Name == col {
				return int16(i + 1)
			}
		}
		return 0
	}
	var out []pgcatalog.Index
	seen := map[string]bool{}
	declared, _ := indexspec.Declared(ds.Config())
	for _, s := range declared {
		method := "ivfflat"
		if s.Type == indexspec.IVFHNSWSQ {
			method = "hnsw"
		}
		opclass := "vector_l2_ops"
		for name, metric := range opClasses {
			if metric == s.Metric {
				opclass = name
			}
		}
		if n := attnum(s.Column); n > 0 {
			out = append(out, pgcatalog.Index{Name: s.Name, Columns: []int16{n}, Method: method, OpClass: opclass})
			seen[s.Name] = true
		}
	}
	infos, err := ds.Indexes()
	if err != nil {
		return out
	}
	fields := ds.Schema().Arrow().Fields()
	for _, info := range infos {
		if seen[info.Name] || !strings.HasSuffix(info.TypeURL, "VectorIndexDetails") || len(info.Fields) != 1 {
			continue
		}
		for i, f := range fields {
			if ds.Schema().FieldID(i) == info.Fields[0] {
				if n := attnum(f.Name); n > 0 {
					out = append(out, pgcatalog.Index{Name: info.Name, Columns: []int16{n}, Method: "ivfflat", OpClass: "vector_l2_ops"})
					seen[info.Name] = true
				}
			}
		}
	}
	return out
}

// rememberOID caches a table's OID for RowDescription (lanceTable.OID).
func (c *storageCatalog) rememberOID(name string, oid uint32) {
	c.oidMu.Lock()
	defer c.oidMu.Unlock()
	if c.oids == nil {
		c.oids = map[string]uint32{}
	}
	c.oids[name] = oid
}

// forgetOID drops a table's cached OID.
func (c *storageCatalog) forgetOID(name string) {
	c.oidMu.Lock()
	defer c.oidMu.Unlock()
	delete(c.oids, name)
}

// cachedOID returns a table's OID if this node has seen it, else 0 (the
// RowDescription value for "not a table column").
func (c *storageCatalog) cachedOID(name string) uint32 {
	c.oidMu.Lock()
	defer c.oidMu.Unlock()
	return c.oids[name]
}

// catalogFuncs answers the catalog functions (expr.Catalog) from the
// session's catalog snapshot.
type catalogFuncs struct{ s *Session }

var _ expr.Catalog = catalogFuncs{}

// RelationName implements expr.Catalog.
func (f catalogFuncs) RelationName(ctx context.Context, oid uint32) (string, bool, error) {
	snap, err := f.s.catalogSnapshot(ctx)
	if err != nil {
		return "", false, err
	}
	name, ok := f.s.e.tables.pg.RelationName(snap, oid)
	return name, ok, nil
}

// RelationOID implements expr.Catalog: name is resolved as regclassin
// does, with pg_catalog searched before public.
func (f catalogFuncs) RelationOID(ctx context.Context, name string) (uint32, bool, error) {
	schema, rel := splitRelationName(name, f.s.Database())
	if schema == "" || schema == "pg_catalog" || schema == "information_schema" {
		if r, ok := f.s.e.tables.pg.Lookup(schema, rel); ok {
			return r.OID, true, nil
		}
		if schema != "" {
			return 0, false, nil
		}
	} else if schema != "public" {
		return 0, false, nil
	}
	snap, err := f.s.catalogSnapshot(ctx)
	if err != nil {
		return 0, false, err
	}
	for _, t := range snap.Tables {
		if t.Name == rel {
			return t.OID, true, nil
		}
		for _, ix := range t.Indexes {
			if ix.Name == rel {
				return ix.OID, true, nil
			}
		}
		for _, q := range t.Sequences {
			if q.Name == rel {
				return q.OID, true, nil
			}
		}
	}
	for _, q := range snap.Sequences {
		if q.Name == rel {
			return q.OID, true, nil
		}
	}
	return 0, false, nil
}

// RelationNamespace implements expr.Catalog.
func (f catalogFuncs) RelationNamespace(ctx context.Context, oid uint32) (uint32, bool, error) {
	if _, ok := f.s.e.tables.pg.ByOID(oid); ok {
		ns, ok := f.s.e.tables.pg.RelationNamespace(nil, oid)
		return ns, ok, nil
	}
	snap, err := f.s.catalogSnapshot(ctx)
	if err != nil {
		return 0, false, err
	}
	ns, ok := f.s.e.tables.pg.RelationNamespace(snap, oid)
	return ns, ok, nil
}

// RelationSize implements expr.Catalog.
func (f catalogFuncs) RelationSize(ctx context.Context, oid uint32) (int64, bool, error) {
	snap, err := f.s.catalogSnapshot(ctx)
	if err != nil {
		return 0, false, err
	}
	n, ok := f.s.e.tables.pg.RelationSize(snap, oid)
	return n, ok, nil
}

// FunctionSignature implements expr.Catalog.
func (f catalogFuncs) FunctionSignature(_ context.Context, oid uint32) (string, string, bool, error) {
	res, args, ok := pgcatalog.FunctionSignature(oid)
	return res, args, ok, nil
}

// RoleName implements expr.Catalog.
func (f catalogFuncs) RoleName(ctx context.Context, oid uint32) (string, bool, error) {
	snap, err := f.s.catalogSnapshot(ctx)
	if err != nil {
		return "", false, err
	}
	name, ok := snap.RoleName(oid)
	return name, ok, nil
}

// SerialSequence implements expr.Catalog.
func (f catalogFuncs) SerialSequence(ctx context.Context, table, column string) (string, bool, error) {
	snap, err := f.s.catalogSnapshot(ctx)
	if err != nil {
		return "", false, err
	}
	_, rel := splitRelationName(table, f.s.Database())
	name, ok := snap.SerialSequence(rel, column)
	return name, ok, nil
}

// Description implements expr.Catalog.
func (f catalogFuncs) Description(ctx context.Context, oid uint32, subid int32) (string, bool, error) {
	snap, err := f.s.catalogSnapshot(ctx)
	if err != nil {
		return "", false, err
	}
	d, ok := snap.Description(oid, subid)
	return d, ok, nil
}

// ConstraintDef implements expr.Catalog.
func (f catalogFuncs) ConstraintDef(ctx context.Context, oid uint32) (string, bool, error) {
	snap, err := f.s.catalogSnapshot(ctx)
	if err != nil {
		return "", false, err
	}
	def, ok := snap.ConstraintDef(oid)
	return def, ok, nil
}

// IndexDef implements expr.Catalog.
func (f catalogFuncs) IndexDef(ctx context.Context, oid uint32, column int32) (string, bool, error) {
	snap, err := f.s.catalogSnapshot(ctx)
	if err != nil {
		return "", false, err
	}
	return snap.IndexDef(oid, column)
}

// splitRelationName splits a regclass name ("items", "public.items",
// "db.public.items", "\"Items\"") into schema and relation; a database
// other than db gives schema "?", which matches nothing.
func splitRelationName(name, db string) (schema, rel string) {
	parts := pgtype.SplitQualifiedName(strings.TrimSpace(name))
	switch len(parts) {
	case 1:
		return "", parts[0]
	case 3:
		if parts[0] != db {
			return "?", parts[2]
		}
	}
	return parts[len(parts)-2], parts[len(parts)-1]
}

// releaseOIDs forgets the OIDs of a dropped table and of its indexes and
// constraints (recorded as "<table>.<name>"), so that a table created
// again under the name gets new ones.
func (c *storageCatalog) releaseOIDs(ctx context.Context, table string) {
	all, err := c.cat.RelationOIDs(ctx)
	if err == nil {
		for name := range all {
			if name == table || strings.HasPrefix(name, table+".") {
				err = errors.Join(err, c.cat.ReleaseOID(ctx, name))
			}
		}
	}
	if err != nil {
		c.logger.Warn("dropped table keeps oid records", "table", table, "err", err)
	}
}
