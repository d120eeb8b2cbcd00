package pgcatalog

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// Column is a column of a catalog relation or of a user table.
type Column struct {
	Name string
	Type pgtype.Type
	// NotNull is attnotnull.
	NotNull bool
	// Default is the column default's text (nextval('t_id_seq'::regclass)
	// for a serial column), "" for none; Identity is attidentity ('a',
	// 'd' or 0).
	Default  string
	Identity byte
	// Comment is COMMENT ON COLUMN's text, "" for none.
	Comment string
}

// Relation is one catalog relation: its identity, its columns in
// PostgreSQL 15's order, and how to compute its rows.
type Relation struct {
	Schema string // "pg_catalog" or "information_schema"
	Name   string
	OID    uint32
	// Kind is relkind: 'r' for tables, 'v' for views.
	Kind    byte
	Columns []Column
	// Rows computes the relation's rows from a snapshot; each row holds
	// one value per column (see Value for the Go types used).
	Rows func(s *Snapshot) [][]Value
}

// Value is one field of a catalog row: nil (NULL), bool, int16, int32,
// int64, float32, uint32 (oid, regproc, xid, …), string (name, text,
// "char"), []int16 (int2vector, int2[]), []uint32 (oidvector, oid[]) or
// []string (text[], aclitem[], "char"[]).
type Value = any

// Namespace OIDs.
const (
	NamespacePGCatalog  uint32 = 11
	NamespacePGToast    uint32 = 99
	NamespacePublic     uint32 = 2200
	NamespaceInfoSchema uint32 = 13000
)

// BootstrapRoleOID owns every object, as the bootstrap superuser does in
// PostgreSQL.
const BootstrapRoleOID uint32 = 10

// DatabaseOID is the one database's OID.
const DatabaseOID uint32 = 16384

// typeSpec maps the short type names of column specs to types.
var typeSpec = map[string]pgtype.Type{
	"oid": pgtype.OID, "name": pgtype.Name, "char": {OID: pgtype.OIDChar, Mod: -1},
	"int2": pgtype.Int2, "int4": pgtype.Int4, "int8": pgtype.Int8, "float4": pgtype.Float4, "float8": pgtype.Float8,
	"bool": pgtype.Bool, "text": pgtype.Text, "regproc": {OID: pgtype.OIDRegproc, Mod: -1},
	"int2vector": {OID: pgtype.OIDInt2Vector, Mod: -1}, "oidvector": {OID: pgtype.OIDOIDVector, Mod: -1},
	"aclitem[]": {OID: pgtype.OIDACLItemArr, Mod: -1}, "text[]": {OID: pgtype.OIDTextArray, Mod: -1},
	"oid[]": {OID: pgtype.OIDOIDArray, Mod: -1}, "int2[]": {OID: pgtype.OIDInt2Array, Mod: -1},
	"char[]": {OID: pgtype.OIDCharArray, Mod: -1}, "pg_node_tree": {OID: pgtype.OIDPGNodeTree, Mod: -1},
	"xid": {OID: pgtype.OIDXID, Mod: -1}, "timestamptz": pgtype.TimestampTZ,
	// information_schema's domains, reported as their base types.
	"sql_identifier": pgtype.Name, "cardinal_number": pgtype.Int4, "character_data": pgtype.Varchar,
	"yes_or_no": pgtype.VarcharOf(3),
}

// cols parses "name type, name type, …"; a type ending in ? is nullable
// (arrays and pg_node_tree always are), the others NOT NULL.
func cols(spec string) []Column {
	var out []Column
	for _, part := range strings.Split(spec, ",") {
		f := strings.Fields(part)
		if len(f) != 2 {
			panic(fmt.Sprintf("pgcatalog: bad column spec %q", part))
		}
		typ, nullable := strings.CutSuffix(f[1], "?")
		t, ok := typeSpec[typ]
		if !ok {
			panic(fmt.Sprintf("pgcatalog: unknown type %q", f[1]))
		}
		nullable = nullable || strings.HasSuffix(typ, "[]") || typ == "pg_node_tree"
		out = append(out, Column{Name: f[0], Type: t, NotNull: !nullable})
	}
	return out
}

// Catalog holds the relations, by schema-qualified name. It is immutable
// once built and shared by all sessions.
type Catalog struct {
	byName map[string]*Relation
	byOID  map[uint32]*Relation
	all    []*Relation
}

// New builds the catalog's relations.
func New() *Catalog {
	c := &Catalog{byName: map[string]*Relation{}, byOID: map[uint32]*Relation{}}
	for _, r := range append(pgCatalogRelations(), infoSchemaRelations()...) {
		if r.Kind == 'v' {
			// A view's columns are nullable, as PostgreSQL reports them.
			for i := range r.Columns {
				r.Columns[i].NotNull = false
			}
		}
		c.byName[r.Schema+"."+r.Name] = r
		c.byOID[r.OID] = r
		c.all = append(c.all, r)
	}
	sort.Slice(c.all, func(i, j int) bool { return c.all[i].OID < c.all[j].OID })
	return c
}

// Lookup finds a relation by schema and name. An empty schema searches
// pg_catalog, which PostgreSQL puts first on every search path.
func (c *Catalog) Lookup(schema, name string) (*Relation, bool) {
	if schema == "" {
		schema = "pg_catalog"
	}
	r, ok := c.byName[schema+"."+name]
	return r, ok
}

// ByOID finds a relation by OID.
func (c *Catalog) ByOID(oid uint32) (*Relation, bool) {
	r, ok := c.byOID[oid]
	return r, ok
}

// Relations lists the relations in OID order.
func (c *Catalog) Relations() []*Relation { return c.all }

// empty is the Rows of a relation that has none.
func empty(*Snapshot) [][]Value { return nil }
