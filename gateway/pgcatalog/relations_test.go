package pgcatalog

import (
	"fmt"
	"testing"

	"github.com/lancegate/lancegate/executor/pgtype"
)

func testSnapshot() *Snapshot {
	return &Snapshot{
		Database: "lancegate", Owner: "lancegate", User: "lancegate",
		Tables: []Table{{
			OID: 17001, Name: "items", Rows: 2,
			Columns: []Column{{Name: "id", Type: pgtype.Int8, NotNull: true}, {Name: "name", Type: pgtype.VarcharOf(20)},
				{Name: "price", Type: pgtype.NumericOf(10, 2)}, {Name: "embedding", Type: pgtype.VectorOf(3)}},
			Indexes: []Index{{OID: 17002, Name: "items_emb_idx", Columns: []int16{4}, Method: "hnsw", OpClass: "vector_l2_ops"},
				{OID: 17003, Name: "items_pkey", Columns: []int16{1}, Method: "btree", Primary: true, ConstraintOID: 17004}},
		}},
		Settings: []Setting{{Name: "TimeZone", Value: "UTC"}},
		Roles: []Role{{OID: 10, Name: "lancegate", Superuser: true, Login: true, ConnLimit: -1},
			{OID: 16500, Name: "app", Login: true, ConnLimit: 3, ValidUntil: 1, MemberOf: []uint32{16501}}, {OID: 16501, Name: "readers"}},
	}
}

// checkValue reports whether v is the Go type catalog rows use for t.
func checkValue(t pgtype.Type, v Value) error {
	if v == nil {
		return nil
	}
	ok := false
	switch t.OID {
	case pgtype.OIDBool:
		_, ok = v.(bool)
	case pgtype.OIDInt2:
		_, ok = v.(int16)
	case pgtype.OIDInt4:
		_, ok = v.(int32)
	case pgtype.OIDInt8:
		_, ok = v.(int64)
	case pgtype.OIDFloat4:
		_, ok = v.(float32)
	case pgtype.OIDTimestampTZ:
		_, ok = v.(int64)
	case pgtype.OIDOID, pgtype.OIDRegproc, pgtype.OIDXID:
		_, ok = v.(uint32)
	case pgtype.OIDName, pgtype.OIDText, pgtype.OIDVarchar, pgtype.OIDPGNodeTree:
		_, ok = v.(string)
	case pgtype.OIDChar:
		s, isStr := v.(string)
		ok = isStr && len(s) <= 1
	case pgtype.OIDInt2Vector, pgtype.OIDInt2Array:
		_, ok = v.([]int16)
	case pgtype.OIDOIDVector, pgtype.OIDOIDArray:
		_, ok = v.([]uint32)
	case pgtype.OIDTextArray, pgtype.OIDACLItemArr, pgtype.OIDCharArray:
		_, ok = v.([]string)
	default:
		return fmt.Errorf("no Go type for %s", t)
	}
	if !ok {
		return fmt.Errorf("%T for %s", v, t)
	}
	return nil
}

// Every row of every relation has one value per column, of the column's
// type; NOT NULL columns hold no NULL; every column type has an Arrow
// mapping.
func TestRowsMatchColumns(t *testing.T) {
	c := New()
	s := testSnapshot()
	for _, r := range c.Relations() {
		for _, col := range r.Columns {
			if _, err := col.Type.Arrow(); err != nil {
				t.Errorf("%s.%s: %v", r.Name, col.Name, err)
			}
		}
		for i, row := range c.Rows(r, s) {
			if len(row) != len(r.Columns) {
				t.Errorf("%s row %d: %d values for %d columns", r.Name, i, len(row), len(r.Columns))
				continue
			}
			for j, v := range row {
				if v == nil && r.Columns[j].NotNull {
					t.Errorf("%s row %d column %s: NULL in a NOT NULL column", r.Name, i, r.Columns[j].Name)
				}
				if err := checkValue(r.Columns[j].Type, v); err != nil {
					t.Errorf("%s row %d column %s: %v", r.Name, i, r.Columns[j].Name, err)
				}
			}
		}
	}
}

// The OIDs clients hard-code (pg-compat §6.5) and the vector type's row.
func TestFixedOIDs(t *testing.T) {
	c := New()
	for name, oid := range map[string]uint32{"pg_type": 1247, "pg_attribute": 1249, "pg_proc": 1255, "pg_class": 1259,
		"pg_namespace": 2615, "pg_database": 1262, "pg_extension": 3079, "pg_description": 2609} {
		r, ok := c.Lookup("", name)
		if !ok || r.OID != oid {
			t.Errorf("%s: %v %v, want oid %d", name, r, ok, oid)
		}
	}
	r, _ := c.Lookup("pg_catalog", "pg_type")
	found := false
	for _, row := range c.Rows(r, testSnapshot()) {
		if row[1] == "vector" {
			found = true
			if row[0] != pgtype.OIDVector || row[2] != NamespacePublic || row[14] != pgtype.OIDVectorArray || row[10] != "," {
				t.Errorf("vector row %v", row)
			}
		}
	}
	if !found {
		t.Error("pg_type has no vector row")
	}
}
