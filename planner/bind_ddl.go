package planner

import (
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/planner/dialect"
)

// createTablePlan is CREATE TABLE.
type createTablePlan struct {
	def TableDef
}

// dropTablePlan is DROP TABLE.
type dropTablePlan struct {
	names    []string
	ifExists bool
}

// alterTablePlan is ALTER TABLE … ADD COLUMN / DROP COLUMN.
type alterTablePlan struct {
	table string
	add   []ColumnDef
	drop  []string
	// ifNotExists / ifExists per add / drop.
	addIfNotExists []bool
	dropIfExists   []bool
}

// columnDef binds one column definition; its type comes from the dialect
// bridge's record of what the client wrote, never from TiDB's types.
func (b *binder) columnDef(c *ast.ColumnDef) (ColumnDef, error) {
	name, mod, ok := b.src.ColumnType(c)
	if !ok {
		return ColumnDef{}, sqlstate.New(sqlstate.SyntaxError, "column %q has no type", c.Name.Name.O).WithPosition(b.pos(c))
	}
	serial, identity := b.src.ColumnGenerated(c)
	t, err := typeByName(name, mod)
	if err != nil {
		return ColumnDef{}, withPos(err, b.pos(c))
	}
	if err := storable(t); err != nil {
		return ColumnDef{}, withPos(err, b.pos(c))
	}
	d := ColumnDef{Name: c.Name.Name.O, Type: t, Serial: serial, Identity: identity}
	if serial {
		d.NotNull = true
	}
	for _, o := range c.Options {
		switch o.Tp {
		case ast.ColumnOptionNotNull:
			d.NotNull = true
		case ast.ColumnOptionNull:
			d.NotNull = false
		case ast.ColumnOptionPrimaryKey:
			d.NotNull, d.PrimaryKey = true, true
		case ast.ColumnOptionUniqKey:
			return ColumnDef{}, sqlstate.New(sqlstate.FeatureNotSupported, "UNIQUE constraints are not supported yet: lancegate would not enforce them").WithPosition(b.pos(c))
		case ast.ColumnOptionDefaultValue:
			return ColumnDef{}, sqlstate.New(sqlstate.FeatureNotSupported, "column defaults are not supported yet").WithPosition(b.pos(c))
		case ast.ColumnOptionComment:
		default:
			return ColumnDef{}, sqlstate.New(sqlstate.FeatureNotSupported, "column constraint %d is not supported", o.Tp).WithPosition(b.pos(c))
		}
	}
	return d, nil
}

func (b *binder) bindCreateTable(s *ast.CreateTableStmt) (*createTablePlan, error) {
	if s.Select != nil || s.ReferTable != nil {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "CREATE TABLE AS and LIKE are not supported yet").WithPosition(b.pos(s))
	}
	if s.TemporaryKeyword != ast.TemporaryNone {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "temporary tables are not supported").WithPosition(b.pos(s))
	}
	for _, c := range s.Constraints {
		if c.Tp != ast.ConstraintPrimaryKey {
			return nil, sqlstate.New(sqlstate.FeatureNotSupported, "table constraints other than PRIMARY KEY are not supported yet: lancegate would not enforce them").WithPosition(b.pos(s))
		}
	}
	if sch := s.Table.Schema.O; sch != "" && sch != "public" {
		return nil, sqlstate.New(sqlstate.InvalidSchemaName, "schema %q does not exist", sch).WithPosition(b.pos(s.Table))
	}
	p := &createTablePlan{def: TableDef{Name: s.Table.Name.O, IfNotExists: s.IfNotExists}}
	for _, sp := range b.src.StorageParams() {
		switch sp.Name {
		case "location":
			if p.def.Location != "" {
				return nil, sqlstate.New(sqlstate.InvalidParameterValue, "parameter \"location\" specified more than once").WithPosition(sp.Pos)
			}
			if sp.Value == "" {
				return nil, sqlstate.New(sqlstate.InvalidParameterValue, "location must not be empty").WithPosition(sp.Pos)
			}
			p.def.Location = sp.Value
		default:
			return nil, sqlstate.New(sqlstate.InvalidParameterValue, "unrecognized parameter %q", sp.Name).WithPosition(sp.Pos)
		}
	}
	seen := map[string]bool{}
	for _, c := range s.Cols {
		d, err := b.columnDef(c)
		if err != nil {
			return nil, err
		}
		if seen[d.Name] {
			return nil, sqlstate.New(sqlstate.DuplicateColumn, "column %q specified more than once", d.Name).WithPosition(b.pos(c))
		}
		seen[d.Name] = true
		p.def.Columns = append(p.def.Columns, d)
	}
	if len(p.def.Columns) == 0 {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "tables need at least one column").WithPosition(b.pos(s))
	}
	if err := b.primaryKey(s, &p.def); err != nil {
		return nil, err
	}
	return p, nil
}

// primaryKey collects the PRIMARY KEY of CREATE TABLE, written on a column
// or as a table constraint: its columns become NOT NULL. A second primary
// key is 42P16, an unknown key column 42703.
func (b *binder) primaryKey(s *ast.CreateTableStmt, def *TableDef) error {
	multiple := func() error {
		return sqlstate.New(sqlstate.InvalidTableDefinition, "multiple primary keys for table %q are not allowed", def.Name).WithPosition(b.pos(s))
	}
	for _, c := range def.Columns {
		if c.PrimaryKey {
			if len(def.PrimaryKey) > 0 {
				return multiple()
			}
			def.PrimaryKey = []string{c.Name}
		}
	}
	for _, con := range s.Constraints {
		if con.Tp != ast.ConstraintPrimaryKey {
			continue
		}
		if len(def.PrimaryKey) > 0 {
			return multiple()
		}
		for _, k := range con.Keys {
			if k.Column == nil {
				return sqlstate.New(sqlstate.FeatureNotSupported, "expressions in a PRIMARY KEY are not supported").WithPosition(b.pos(con))
			}
			name := k.Column.Name.O
			found := false
			for i := range def.Columns {
				if def.Columns[i].Name == name {
					def.Columns[i].NotNull, def.Columns[i].PrimaryKey, found = true, true, true
				}
			}
			if !found {
				return sqlstate.New(sqlstate.UndefinedColumn, "column %q named in key does not exist", name).WithPosition(b.pos(con))
			}
			def.PrimaryKey = append(def.PrimaryKey, name)
		}
	}
	return nil
}

func (b *binder) bindDropTable(s *ast.DropTableStmt) (*dropTablePlan, error) {
	if s.IsView {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "views are not supported yet").WithPosition(b.pos(s))
	}
	p := &dropTablePlan{ifExists: s.IfExists}
	for _, t := range s.Tables {
		if sch := t.Schema.O; sch != "" && sch != "public" {
			if s.IfExists {
				continue
			}
			return nil, sqlstate.New(sqlstate.UndefinedTable, "table %q does not exist", sch+"."+t.Name.O).WithPosition(b.pos(t))
		}
		p.names = append(p.names, t.Name.O)
	}
	return p, nil
}

func (b *binder) bindAlterTable(s *ast.AlterTableStmt) (*alterTablePlan, error) {
	if sch := s.Table.Schema.O; sch != "" && sch != "public" {
		return nil, sqlstate.New(sqlstate.UndefinedTable, "relation %q does not exist", sch+"."+s.Table.Name.O).WithPosition(b.pos(s.Table))
	}
	p := &alterTablePlan{table: s.Table.Name.O}
	alterIdx := 0
	for _, spec := range s.Specs {
		switch spec.Tp {
		case ast.AlterTableAddColumns:
			if len(spec.NewConstraints) > 0 {
				return nil, sqlstate.New(sqlstate.FeatureNotSupported, "constraints are not supported yet").WithPosition(b.pos(spec))
			}
			for _, c := range spec.NewColumns {
				d, err := b.columnDef(c)
				if err != nil {
					return nil, err
				}
				if d.NotNull {
					return nil, sqlstate.New(sqlstate.NotNullViolation, "column %q of relation %q contains null values", d.Name, p.table).WithPosition(b.pos(c))
				}
				p.add = append(p.add, d)
				p.addIfNotExists = append(p.addIfNotExists, spec.IfNotExists)
			}
		case ast.AlterTableDropColumn:
			p.drop = append(p.drop, spec.OldColumnName.Name.O)
			p.dropIfExists = append(p.dropIfExists, spec.IfExists)
		case ast.AlterTableAlterColumn:
			acts := b.src.AlterColumns()
			if alterIdx >= len(acts) {
				return nil, sqlstate.New(sqlstate.FeatureNotSupported, "this ALTER TABLE action is not supported yet").WithPosition(b.pos(spec))
			}
			if err := b.checkAlterColumn(p.table, acts[alterIdx]); err != nil {
				return nil, err
			}
			alterIdx++
		default:
			return nil, sqlstate.New(sqlstate.FeatureNotSupported, "this ALTER TABLE action is not supported yet").WithPosition(b.pos(spec))
		}
	}
	return p, nil
}

// checkAlterColumn accepts an ALTER COLUMN action that changes nothing
// (ORMs send the column's current definition when they sync a model):
// DROP DEFAULT (lancegate has no defaults), DROP NOT NULL of a nullable
// column, SET NOT NULL of a NOT NULL one, TYPE of the column's own type.
// Actions that would change the column are 0A000.
func (b *binder) checkAlterColumn(table string, a dialect.AlterColumn) error {
	t, err := b.cat.Table(b.ctx, table)
	if err != nil {
		return err
	}
	var col *ColumnDef
	for _, c := range t.Columns() {
		if c.Name == a.Column {
			c := c
			col = &c
		}
	}
	if col == nil {
		return sqlstate.New(sqlstate.UndefinedColumn, "column %q of relation %q does not exist", a.Column, table).WithPosition(a.Pos)
	}
	unsupported := func(what string) error {
		return sqlstate.New(sqlstate.FeatureNotSupported, "ALTER COLUMN … %s is not supported yet: it would change column %q", what, a.Column).WithPosition(a.Pos)
	}
	switch a.Action {
	case dialect.AlterDropDefault:
		return nil
	case dialect.AlterSetDefault:
		return unsupported("SET DEFAULT")
	case dialect.AlterDropNotNull:
		if col.NotNull {
			return unsupported("DROP NOT NULL")
		}
	case dialect.AlterSetNotNull:
		if !col.NotNull {
			return unsupported("SET NOT NULL")
		}
	case dialect.AlterType:
		nt, err := typeByName(a.Type.Name, int32(a.Type.Typmod))
		if err != nil {
			return withPos(err, a.Pos)
		}
		if nt != col.Type {
			return unsupported("TYPE " + nt.String())
		}
	}
	return nil
}
