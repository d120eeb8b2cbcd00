package pgcatalog

import (
	"strconv"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// information_schema: the SQL-standard views, with PostgreSQL 15's
// columns. Their domains (sql_identifier, cardinal_number,
// character_data, yes_or_no) are reported as the base types, as
// PostgreSQL's RowDescription does.

func infoSchemaRelations() []*Relation {
	rs := []*Relation{
		{Name: "tables", OID: 13100, Columns: cols(`table_catalog sql_identifier, table_schema sql_identifier,
			table_name sql_identifier, table_type character_data, self_referencing_column_name sql_identifier,
			reference_generation character_data, user_defined_type_catalog sql_identifier,
			user_defined_type_schema sql_identifier, user_defined_type_name sql_identifier,
			is_insertable_into yes_or_no, is_typed yes_or_no, commit_action character_data`), Rows: infoTablesRows},
		{Name: "columns", OID: 13101, Columns: cols(`table_catalog sql_identifier, table_schema sql_identifier,
			table_name sql_identifier, column_name sql_identifier, ordinal_position cardinal_number,
			column_default character_data, is_nullable yes_or_no, data_type character_data,
			character_maximum_length cardinal_number, character_octet_length cardinal_number,
			numeric_precision cardinal_number, numeric_precision_radix cardinal_number, numeric_scale cardinal_number,
			datetime_precision cardinal_number, interval_type character_data, interval_precision cardinal_number,
			character_set_catalog sql_identifier, character_set_schema sql_identifier, character_set_name sql_identifier,
			collation_catalog sql_identifier, collation_schema sql_identifier, collation_name sql_identifier,
			domain_catalog sql_identifier, domain_schema sql_identifier, domain_name sql_identifier,
			udt_catalog sql_identifier, udt_schema sql_identifier, udt_name sql_identifier,
			scope_catalog sql_identifier, scope_schema sql_identifier, scope_name sql_identifier,
			maximum_cardinality cardinal_number, dtd_identifier sql_identifier, is_self_referencing yes_or_no,
			is_identity yes_or_no, identity_generation character_data, identity_start character_data,
			identity_increment character_data, identity_maximum character_data, identity_minimum character_data,
			identity_cycle yes_or_no, is_generated character_data, generation_expression character_data,
			is_updatable yes_or_no`), Rows: infoColumnsRows},
		{Name: "schemata", OID: 13102, Columns: cols(`catalog_name sql_identifier, schema_name sql_identifier,
			schema_owner sql_identifier, default_character_set_catalog sql_identifier,
			default_character_set_schema sql_identifier, default_character_set_name sql_identifier,
			sql_path character_data`), Rows: func(s *Snapshot) [][]Value {
			var out [][]Value
			for _, ns := range []string{"information_schema", "pg_catalog", "pg_toast", "public"} {
				owner := s.Owner
				if ns == "public" {
					owner = "pg_database_owner"
				}
				out = append(out, []Value{s.Database, ns, owner, nil, nil, nil, nil})
			}
			return out
		}},
		{Name: "table_constraints", OID: 13103, Columns: cols(`constraint_catalog sql_identifier,
			constraint_schema sql_identifier, constraint_name sql_identifier, table_catalog sql_identifier,
			table_schema sql_identifier, table_name sql_identifier, constraint_type character_data,
			is_deferrable yes_or_no, initially_deferred yes_or_no, enforced yes_or_no, nulls_distinct yes_or_no`), Rows: tableConstraintRows},
		{Name: "key_column_usage", OID: 13104, Columns: cols(`constraint_catalog sql_identifier,
			constraint_schema sql_identifier, constraint_name sql_identifier, table_catalog sql_identifier,
			table_schema sql_identifier, table_name sql_identifier, column_name sql_identifier,
			ordinal_position cardinal_number, position_in_unique_constraint cardinal_number`), Rows: keyColumnRows},
		{Name: "constraint_column_usage", OID: 13105, Columns: cols(`table_catalog sql_identifier,
			table_schema sql_identifier, table_name sql_identifier, column_name sql_identifier,
			constraint_catalog sql_identifier, constraint_schema sql_identifier, constraint_name sql_identifier`), Rows: constraintColumnRows},
		{Name: "referential_constraints", OID: 13106, Columns: cols(`constraint_catalog sql_identifier,
			constraint_schema sql_identifier, constraint_name sql_identifier,
			unique_constraint_catalog sql_identifier, unique_constraint_schema sql_identifier,
			unique_constraint_name sql_identifier, match_option character_data, update_rule character_data,
			delete_rule character_data`), Rows: empty},
		{Name: "views", OID: 13107, Columns: cols(`table_catalog sql_identifier, table_schema sql_identifier,
			table_name sql_identifier, view_definition character_data, check_option character_data,
			is_updatable yes_or_no, is_insertable_into yes_or_no, is_trigger_updatable yes_or_no,
			is_trigger_deletable yes_or_no, is_trigger_insertable_into yes_or_no`), Rows: empty},
		{Name: "sequences", OID: 13108, Columns: cols(`sequence_catalog sql_identifier, sequence_schema sql_identifier,
			sequence_name sql_identifier, data_type character_data, numeric_precision cardinal_number,
			numeric_precision_radix cardinal_number, numeric_scale cardinal_number, start_value character_data,
			minimum_value character_data, maximum_value character_data, increment character_data,
			cycle_option yes_or_no`), Rows: infoSequencesRows},
		{Name: "routines", OID: 13109, Columns: cols(`specific_catalog sql_identifier, specific_schema sql_identifier,
			specific_name sql_identifier, routine_catalog sql_identifier, routine_schema sql_identifier,
			routine_name sql_identifier, routine_type character_data, data_type character_data`), Rows: empty},
	}
	for _, r := range rs {
		r.Schema, r.Kind = "information_schema", 'v'
	}
	return rs
}

func infoTablesRows(s *Snapshot) [][]Value {
	var out [][]Value
	row := func(schema, name, kind string, insertable bool) {
		yes := "NO"
		if insertable {
			yes = "YES"
		}
		out = append(out, []Value{s.Database, schema, name, kind, nil, nil, nil, nil, nil, yes, "NO", nil})
	}
	for _, t := range s.Tables {
		row("public", t.Name, "BASE TABLE", true)
	}
	for _, r := range catalogOf(s).Relations() {
		kind := "BASE TABLE"
		if r.Kind == 'v' {
			kind = "VIEW"
		}
		row(r.Schema, r.Name, kind, false)
	}
	return out
}

func infoColumnsRows(s *Snapshot) [][]Value {
	var out [][]Value
	add := func(schema, table string, cols []Column, updatable bool) {
		yes := "NO"
		if updatable {
			yes = "YES"
		}
		for i, c := range cols {
			out = append(out, infoColumnRow(s.Database, schema, table, i+1, c, yes))
		}
	}
	for _, t := range s.Tables {
		add("public", t.Name, t.Columns, true)
	}
	for _, r := range catalogOf(s).Relations() {
		add(r.Schema, r.Name, r.Columns, false)
	}
	return out
}

// infoColumnRow is one row of information_schema.columns.
func infoColumnRow(db, schema, table string, pos int, c Column, updatable string) []Value {
	t := c.Type
	info := t.Info()
	nullable := "YES"
	if c.NotNull {
		nullable = "NO"
	}
	dataType := t.String()
	udt, udtSchema := info.Name, "pg_catalog"
	if t.OID == pgtype.OIDVector || t.OID == pgtype.OIDVectorArray {
		udtSchema = "public"
	}
	switch {
	case info.Category == 'A':
		dataType = "ARRAY"
	case t.OID == pgtype.OIDVector:
		dataType = "USER-DEFINED"
	case t.Mod >= 0:
		// data_type has no modifier: character varying, numeric, …
		dataType = pgtype.Type{OID: t.OID, Mod: -1}.String()
	}
	var charMax, octetMax, numPrec, numRadix, numScale, dtPrec Value
	switch t.OID {
	case pgtype.OIDVarchar, pgtype.OIDBpchar:
		if t.Mod >= 4 {
			charMax, octetMax = int32(t.Mod-4), int32(4*(t.Mod-4))
		} else {
			octetMax = int32(1073741824)
		}
	case pgtype.OIDText:
		octetMax = int32(1073741824)
	case pgtype.OIDInt2:
		numPrec, numRadix, numScale = int32(16), int32(2), int32(0)
	case pgtype.OIDInt4:
		numPrec, numRadix, numScale = int32(32), int32(2), int32(0)
	case pgtype.OIDInt8:
		numPrec, numRadix, numScale = int32(64), int32(2), int32(0)
	case pgtype.OIDFloat4:
		numPrec, numRadix = int32(24), int32(2)
	case pgtype.OIDFloat8:
		numPrec, numRadix = int32(53), int32(2)
	case pgtype.OIDNumeric:
		numRadix = int32(10)
		if t.Mod >= 4 {
			m := t.Mod - 4
			numPrec, numScale = m>>16, m&0xffff
		}
	case pgtype.OIDDate:
		dtPrec = int32(0)
	case pgtype.OIDTimestamp, pgtype.OIDTimestampTZ, pgtype.OIDTime:
		dtPrec = int32(6)
		if t.Mod >= 0 {
			dtPrec = t.Mod
		}
	}
	var def Value
	if c.Default != "" {
		def = c.Default
	}
	isIdentity, generation := "NO", Value(nil)
	var idStart, idIncrement, idMax, idMin, idCycle Value
	if c.Identity != 0 {
		isIdentity, generation = "YES", "BY DEFAULT"
		if c.Identity == 'a' {
			generation = "ALWAYS"
		}
		idStart, idIncrement, idMin, idCycle = "1", "1", "1", "NO"
		switch t.OID {
		case pgtype.OIDInt2:
			idMax = "32767"
		case pgtype.OIDInt4:
			idMax = "2147483647"
		default:
			idMax = "9223372036854775807"
		}
	}
	return []Value{
		db, schema, table, c.Name, int32(pos),
		def, nullable, dataType,
		charMax, octetMax,
		numPrec, numRadix, numScale,
		dtPrec, nil, nil,
		nil, nil, nil,
		nil, nil, nil,
		nil, nil, nil,
		db, udtSchema, udt,
		nil, nil, nil,
		nil, strconv.Itoa(pos), "NO",
		isIdentity, generation, idStart,
		idIncrement, idMax, idMin,
		idCycle, "NEVER", nil,
		updatable,
	}
}

// primaryKeys calls f for each table's primary key index.
func primaryKeys(s *Snapshot, f func(t *Table, ix *Index)) {
	for i := range s.Tables {
		for j := range s.Tables[i].Indexes {
			if s.Tables[i].Indexes[j].Primary {
				f(&s.Tables[i], &s.Tables[i].Indexes[j])
			}
		}
	}
}

func tableConstraintRows(s *Snapshot) [][]Value {
	var out [][]Value
	primaryKeys(s, func(t *Table, ix *Index) {
		out = append(out, []Value{s.Database, "public", ix.Name, s.Database, "public", t.Name, "PRIMARY KEY", "NO", "NO", "YES", nil})
	})
	return out
}

func keyColumnRows(s *Snapshot) [][]Value {
	var out [][]Value
	primaryKeys(s, func(t *Table, ix *Index) {
		for k, a := range ix.Columns {
			if int(a) >= 1 && int(a) <= len(t.Columns) {
				out = append(out, []Value{s.Database, "public", ix.Name, s.Database, "public", t.Name, t.Columns[a-1].Name, int32(k + 1), nil})
			}
		}
	})
	return out
}

func constraintColumnRows(s *Snapshot) [][]Value {
	var out [][]Value
	primaryKeys(s, func(t *Table, ix *Index) {
		for _, a := range ix.Columns {
			if int(a) >= 1 && int(a) <= len(t.Columns) {
				out = append(out, []Value{s.Database, "public", t.Name, t.Columns[a-1].Name, s.Database, "public", ix.Name})
			}
		}
	})
	return out
}

// infoSequencesRows are information_schema.sequences' rows.
func infoSequencesRows(s *Snapshot) [][]Value {
	var out [][]Value
	for _, q := range sequenceDefs(s) {
		d := q.Def
		name, bits := "bigint", int32(64)
		switch d.Type {
		case pgtype.OIDInt2:
			name, bits = "smallint", 16
		case pgtype.OIDInt4:
			name, bits = "integer", 32
		}
		cycle := "NO"
		if d.Cycle {
			cycle = "YES"
		}
		out = append(out, []Value{s.Database, "public", q.Name, name, bits, int32(2), int32(0),
			strconv.FormatInt(d.Start, 10), strconv.FormatInt(d.Min, 10), strconv.FormatInt(d.Max, 10),
			strconv.FormatInt(d.Increment, 10), cycle})
	}
	return out
}
