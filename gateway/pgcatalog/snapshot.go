package pgcatalog

import (
	"strings"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// Snapshot is what the catalog describes at one moment: the database,
// the role running the statement, the user's tables and the session's
// settings. The gateway builds one per statement.
type Snapshot struct {
	Database string
	// Owner is the name of the role that owns every object (OID 10).
	Owner string
	// User is the session's role; PID its pg_backend_pid();
	// ApplicationName its application_name.
	User            string
	PID             int32
	ApplicationName string
	Tables          []Table
	// Sequences are the sequences of CREATE SEQUENCE (a serial column's
	// is its table's).
	Sequences []Sequence
	// Roles are the roles, the bootstrap superuser (OID 10) first; empty
	// means only the bootstrap role, named Owner.
	Roles []Role
	// Settings are the session's configuration parameters, for
	// pg_settings.
	Settings []Setting

	cat *Catalog // set by Catalog.Rows
}

// Rows computes relation r's rows over s.
func (c *Catalog) Rows(r *Relation, s *Snapshot) [][]Value {
	s.cat = c
	return r.Rows(s)
}

func catalogOf(s *Snapshot) *Catalog { return s.cat }

// Table is a user table of schema public.
type Table struct {
	OID  uint32
	Name string
	// Owner is the owning role's OID (relowner); 0 means the bootstrap
	// role.
	Owner   uint32
	Columns []Column
	Indexes []Index
	// Rows is the table's row count (reltuples); -1 when unknown.
	Rows int64
	// Bytes is the size of the table's data files (pg_table_size).
	Bytes int64
	// Sequences are the sequences of the table's serial and identity
	// columns.
	Sequences []Sequence
	// Comment is COMMENT ON TABLE's text, "" for none; a column's is in
	// its Column.
	Comment string
}

// Role is one role of pg_roles.
type Role struct {
	OID                                             uint32
	Name                                            string
	Superuser, Inherit, CreateRole, CreateDB, Login bool
	ConnLimit                                       int32
	// ValidUntil is VALID UNTIL in microseconds since the Unix epoch; 0
	// means none.
	ValidUntil int64
	// MemberOf are the OIDs of the roles this role belongs to.
	MemberOf []uint32
}

// Index is an index of a table: a vector index, or the unique btree index
// PostgreSQL creates for a primary key.
type Index struct {
	OID  uint32
	Name string
	// Columns are the indexed columns' attnums, in key order.
	Columns []int16
	// Method is the access method: hnsw or ivfflat (pgvector's names),
	// btree for a primary key.
	Method string
	// OpClass is the operator class of vector indexes: vector_l2_ops,
	// vector_cosine_ops, …; empty for btree.
	OpClass string
	// Primary marks the primary key's index; ConstraintOID is then the
	// pg_constraint row's OID.
	Primary       bool
	ConstraintOID uint32
}

// Sequence is the sequence of a serial or identity column.
type Sequence struct {
	OID  uint32
	Name string
	// Column is the attnum of the column it fills; 0 for a sequence of
	// CREATE SEQUENCE (Snapshot.Sequences).
	Column int16
	// Def is a CREATE SEQUENCE's definition; nil for a serial column's
	// (from 1 by 1 to its column type's maximum).
	Def *SequenceDef
}

// SequenceDef is a sequence's parameters (pg_sequence).
type SequenceDef struct {
	Type                                  uint32
	Start, Increment, Min, Max, CacheSize int64
	Cycle                                 bool
}

// SerialSequence is pg_get_serial_sequence(table, column): the qualified
// name of the sequence filling the column.
func (s *Snapshot) SerialSequence(table, column string) (string, bool) {
	for _, t := range s.Tables {
		if t.Name != table {
			continue
		}
		for _, q := range t.Sequences {
			if int(q.Column) >= 1 && int(q.Column) <= len(t.Columns) && t.Columns[q.Column-1].Name == column {
				return "public." + quoteIdent(q.Name), true
			}
		}
	}
	return "", false
}

// Setting is one configuration parameter of pg_settings.
type Setting struct {
	Name, Value, Description string
}

// relation returns the table with OID oid.
func (s *Snapshot) table(oid uint32) (*Table, bool) {
	for i := range s.Tables {
		if s.Tables[i].OID == oid {
			return &s.Tables[i], true
		}
	}
	return nil, false
}

// RelationName returns the name of a relation, user table, index or
// catalog relation, by OID, for regclass output and pg_get_indexdef.
func (c *Catalog) RelationName(s *Snapshot, oid uint32) (string, bool) {
	if r, ok := c.ByOID(oid); ok {
		return r.Name, true
	}
	for _, t := range s.Tables {
		if t.OID == oid {
			return t.Name, true
		}
		for _, ix := range t.Indexes {
			if ix.OID == oid {
				return ix.Name, true
			}
		}
		for _, q := range t.Sequences {
			if q.OID == oid {
				return q.Name, true
			}
		}
	}
	for _, q := range s.Sequences {
		if q.OID == oid {
			return q.Name, true
		}
	}
	return "", false
}

// IndexDef is pg_get_indexdef(oid, column): for column 0 the CREATE
// INDEX statement (CREATE [UNIQUE] INDEX name ON public.table USING method
// (column [opclass], …)); for column n the n-th key column's name.
func (s *Snapshot) IndexDef(oid uint32, column int32) (string, bool, error) {
	for _, t := range s.Tables {
		for _, ix := range t.Indexes {
			if ix.OID != oid {
				continue
			}
			cols := make([]string, 0, len(ix.Columns))
			for _, a := range ix.Columns {
				if int(a) < 1 || int(a) > len(t.Columns) {
					return "", false, nil
				}
				cols = append(cols, quoteIdent(t.Columns[a-1].Name))
			}
			switch {
			case column == 0:
				keys := make([]string, len(cols))
				for i, c := range cols {
					keys[i] = c
					if ix.OpClass != "" {
						keys[i] += " " + ix.OpClass
					}
				}
				unique := ""
				if ix.Primary {
					unique = "UNIQUE "
				}
				return "CREATE " + unique + "INDEX " + quoteIdent(ix.Name) + " ON public." + quoteIdent(t.Name) + " USING " + ix.Method +
					" (" + strings.Join(keys, ", ") + ")", true, nil
			case int(column) <= len(cols):
				return cols[column-1], true, nil
			}
			return "", true, nil
		}
	}
	return "", false, nil
}

// ConstraintDef is pg_get_constraintdef(oid): PRIMARY KEY (a, b).
func (s *Snapshot) ConstraintDef(oid uint32) (string, bool) {
	for _, t := range s.Tables {
		for _, ix := range t.Indexes {
			if !ix.Primary || ix.ConstraintOID != oid {
				continue
			}
			cols := make([]string, 0, len(ix.Columns))
			for _, a := range ix.Columns {
				if int(a) >= 1 && int(a) <= len(t.Columns) {
					cols = append(cols, quoteIdent(t.Columns[a-1].Name))
				}
			}
			return "PRIMARY KEY (" + strings.Join(cols, ", ") + ")", true
		}
	}
	return "", false
}

// quoteIdent quotes an identifier when PostgreSQL's quote_ident would.
func quoteIdent(s string) string {
	plain := s != ""
	for i, c := range s {
		if !(c >= 'a' && c <= 'z' || c == '_' || i > 0 && (c >= '0' && c <= '9' || c == '$')) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	out := []byte{'"'}
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			out = append(out, '"')
		}
		out = append(out, s[i])
	}
	return string(append(out, '"'))
}

// typeOf returns pg_type facts of a column type.
func typeOf(t pgtype.Type) pgtype.Info { return t.Info() }

// RelationNamespace returns the namespace of a relation by OID.
func (c *Catalog) RelationNamespace(s *Snapshot, oid uint32) (uint32, bool) {
	if r, ok := c.ByOID(oid); ok {
		if r.Schema == "information_schema" {
			return NamespaceInfoSchema, true
		}
		return NamespacePGCatalog, true
	}
	for _, t := range s.Tables {
		if t.OID == oid {
			return NamespacePublic, true
		}
		for _, ix := range t.Indexes {
			if ix.OID == oid {
				return NamespacePublic, true
			}
		}
		for _, q := range t.Sequences {
			if q.OID == oid {
				return NamespacePublic, true
			}
		}
	}
	for _, q := range s.Sequences {
		if q.OID == oid {
			return NamespacePublic, true
		}
	}
	return 0, false
}

// RelationSize returns the bytes of a relation's data: a table's data
// files; 0 for indexes and catalog relations.
func (c *Catalog) RelationSize(s *Snapshot, oid uint32) (int64, bool) {
	if _, ok := c.ByOID(oid); ok {
		return 0, true
	}
	for _, t := range s.Tables {
		if t.OID == oid {
			return t.Bytes, true
		}
		for _, ix := range t.Indexes {
			if ix.OID == oid {
				return 0, true
			}
		}
	}
	return 0, false
}

// FunctionSignature returns the result type and argument list of a
// function of pg_proc, as pg_get_function_result and
// pg_get_function_arguments print them.
func FunctionSignature(oid uint32) (result, args string, ok bool) {
	for _, p := range procs {
		if p.oid != oid {
			continue
		}
		parts := make([]string, len(p.args))
		for i, a := range p.args {
			parts[i] = typeName(a)
		}
		return typeName(p.ret), strings.Join(parts, ", "), true
	}
	return "", "", false
}

// typeName is format_type without modifier, for the pseudo-types
// function signatures use too.
func typeName(oid uint32) string {
	switch oid {
	case 2275:
		return "cstring"
	case 2277:
		return "anyarray"
	case 2281:
		return "internal"
	case 325:
		return "index_am_handler"
	case 1263:
		return "cstring[]"
	}
	return pgtype.Type{OID: oid, Mod: -1}.String()
}

// Description is obj_description (subid 0) or col_description (subid the
// attnum) of a table.
func (s *Snapshot) Description(oid uint32, subid int32) (string, bool) {
	for _, t := range s.Tables {
		if t.OID != oid {
			continue
		}
		switch {
		case subid == 0 && t.Comment != "":
			return t.Comment, true
		case subid >= 1 && int(subid) <= len(t.Columns) && t.Columns[subid-1].Comment != "":
			return t.Columns[subid-1].Comment, true
		}
	}
	return "", false
}
