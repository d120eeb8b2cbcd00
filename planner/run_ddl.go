package planner

import (
	"fmt"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

func tagOnly(tag string) *Result {
	return &Result{Tag: func(int64) string { return tag }}
}

func (x *execution) runCreate(p *createTablePlan) (*Result, error) {
	created, err := x.cat.CreateTable(x.ctx, p.def)
	if err != nil {
		return nil, err
	}
	r := tagOnly("CREATE TABLE")
	if !created {
		r.Notices = append(r.Notices, sqlstate.New(sqlstate.DuplicateTable, "relation %q already exists, skipping", p.def.Name))
	}
	return r, nil
}

func (x *execution) runDrop(p *dropTablePlan) (*Result, error) {
	r := tagOnly("DROP TABLE")
	for _, name := range p.names {
		dropped, err := x.cat.DropTable(x.ctx, name, p.ifExists)
		if err != nil {
			return nil, err
		}
		if !dropped {
			r.Notices = append(r.Notices, &sqlstate.Error{Code: sqlstate.SuccessfulCompletion, Message: fmt.Sprintf("table %q does not exist, skipping", name)})
		}
	}
	return r, nil
}

func (x *execution) runAlter(p *alterTablePlan) (*Result, error) {
	r := tagOnly("ALTER TABLE")
	for i, d := range p.add {
		t, err := x.cat.Table(x.ctx, p.table)
		if err != nil {
			return nil, err
		}
		exists := false
		for _, c := range t.Columns() {
			exists = exists || c.Name == d.Name
		}
		if exists {
			if p.addIfNotExists[i] {
				r.Notices = append(r.Notices, sqlstate.New(sqlstate.DuplicateColumn, "column %q of relation %q already exists, skipping", d.Name, p.table))
				continue
			}
			return nil, sqlstate.New(sqlstate.DuplicateColumn, "column %q of relation %q already exists", d.Name, p.table)
		}
		if err := t.AddColumn(x.ctx, d); err != nil {
			return nil, err
		}
	}
	for i, name := range p.drop {
		t, err := x.cat.Table(x.ctx, p.table)
		if err != nil {
			return nil, err
		}
		exists := false
		for _, c := range t.Columns() {
			exists = exists || c.Name == name
		}
		if !exists {
			if p.dropIfExists[i] {
				r.Notices = append(r.Notices, &sqlstate.Error{Code: sqlstate.SuccessfulCompletion, Message: fmt.Sprintf("column %q of relation %q does not exist, skipping", name, p.table)})
				continue
			}
			return nil, sqlstate.New(sqlstate.UndefinedColumn, "column %q of relation %q does not exist", name, p.table)
		}
		if err := t.DropColumn(x.ctx, name); err != nil {
			return nil, err
		}
	}
	return r, nil
}
