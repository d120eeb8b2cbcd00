package planner

import (
	"slices"

	"github.com/lancegate/lancegate/executor/expr"
)

// Privilege is a set of what a statement does to a table, in the terms
// of PostgreSQL's table privileges, for the gateway to check against the
// session role before every execution (as PostgreSQL's executor checks
// its range table at ExecutorStart, so a REVOKE takes effect for prepared
// statements too).
type Privilege uint8

// The privileges a statement may need.
const (
	// PrivSelect: the statement reads the table's rows (FROM, a WHERE or
	// RETURNING of UPDATE / DELETE, SET expressions that read columns,
	// INSERT … RETURNING).
	PrivSelect Privilege = 1 << iota
	// PrivInsert: INSERT into the table.
	PrivInsert
	// PrivUpdate: UPDATE of the table.
	PrivUpdate
	// PrivDelete: DELETE from the table.
	PrivDelete
	// PrivOwner: only the owner (or a superuser) may do this: DROP TABLE,
	// ALTER TABLE.
	PrivOwner
	// PrivCreate: CREATE TABLE; the creating role becomes the owner.
	PrivCreate
)

// TableUse is one table a statement touches and what it needs there.
type TableUse struct {
	// Table is the name as the catalog knows it (system tables qualified:
	// "lancegate.jobs").
	Table string
	Need  Privilege
}

// Uses lists the tables the statement touches, each once, in the order
// first met. The plan is walked, not the SQL, so what is listed is exactly
// what Execute will read and write.
func (p *Prepared) Uses() []TableUse {
	u := &uses{}
	u.prepared(p)
	return u.list
}

type uses struct{ list []TableUse }

func (u *uses) add(table string, need Privilege) {
	if i := slices.IndexFunc(u.list, func(t TableUse) bool { return t.Table == table }); i >= 0 {
		u.list[i].Need |= need
		return
	}
	u.list = append(u.list, TableUse{Table: table, Need: need})
}

func (u *uses) prepared(p *Prepared) {
	switch {
	case p.query != nil:
		u.node(p.query.root)
	case p.insert != nil:
		u.add(p.insert.table.name, PrivInsert)
		if p.insert.ret != nil {
			u.add(p.insert.table.name, PrivSelect)
		}
		u.node(p.insert.source)
	case p.update != nil:
		need := PrivUpdate
		if readsRows(p.update.source) || p.update.ret != nil || setReads(p.update.set) {
			need |= PrivSelect
		}
		u.add(p.update.table.name, need)
	case p.delete != nil:
		need := PrivDelete
		if readsRows(p.delete.source) || p.delete.ret != nil {
			need |= PrivSelect
		}
		u.add(p.delete.table.name, need)
	case p.create != nil:
		u.add(p.create.def.Name, PrivCreate)
	case p.drop != nil:
		for _, n := range p.drop.names {
			u.add(n, PrivOwner)
		}
	case p.alter != nil:
		u.add(p.alter.table, PrivOwner)
	case p.explain != nil:
		u.prepared(p.explain.inner)
	}
}

// node adds the tables a query plan reads.
func (u *uses) node(n node) {
	switch x := n.(type) {
	case nil:
		return
	case *scanNode:
		u.add(x.table.name, PrivSelect)
	case *annScanNode:
		u.add(x.scan.table.name, PrivSelect)
	case *versionsNode:
		u.add(x.table, PrivSelect)
	}
	for _, in := range n.inputs() {
		u.node(in)
	}
}

// readsRows reports whether the source of an UPDATE or DELETE filters the
// rows (a WHERE clause), which reads them.
func readsRows(source node) bool {
	_, scan := source.(*scanNode)
	return !scan
}

// setReads reports whether UPDATE's SET expressions read a column other
// than by keeping it (column i of set is the identity column i when not
// assigned).
func setReads(set []expr.Expr) bool {
	for i, e := range set {
		if c, ok := e.(*expr.Column); ok && c.Index == i {
			continue
		}
		reads := false
		visit(e, func(x expr.Expr) bool {
			if _, ok := x.(*expr.Column); ok {
				reads = true
			}
			return !reads
		})
		if reads {
			return true
		}
	}
	return false
}
