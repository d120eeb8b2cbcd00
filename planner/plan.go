package planner

import (
	"fmt"
	"strings"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
)

// node is one operator of a bound query plan. Nodes are immutable once
// built; executing a plan builds fresh executor operators from them, so a
// prepared statement can run many times.
type node interface {
	// columns is the node's output, in order.
	columns() []column
	// inputs are the node's children.
	inputs() []node
	// label describes the node for EXPLAIN.
	label() string
}

// tableRef names a table and the snapshot to read; the snapshot is
// resolved again at every execution.
type tableRef struct {
	name string
	// version pins a version (AS OF VERSION); 0 means current.
	version uint64
	// asOf pins a time (AS OF TIMESTAMP), as microseconds since the Unix
	// epoch; used when hasAsOf is set.
	asOf    int64
	hasAsOf bool
	// bound is the column list seen at bind time, to detect schema
	// changes between Prepare and Execute.
	bound []ColumnDef
}

type scanNode struct {
	table   tableRef
	cols    []int // table column indexes
	rowAddr bool
	out     []column
}

func (n *scanNode) columns() []column { return n.out }
func (n *scanNode) inputs() []node    { return nil }
func (n *scanNode) label() string {
	s := "Scan " + n.table.name
	if n.table.version > 0 {
		s += fmt.Sprintf(" AS OF VERSION %d", n.table.version)
	}
	if n.table.hasAsOf {
		s += " AS OF TIMESTAMP"
	}
	names := make([]string, len(n.out))
	for i, c := range n.out {
		names[i] = c.name
	}
	return s + " [" + strings.Join(names, ", ") + "]"
}

// versionsNode lists a table's versions (lance_versions('t')).
type versionsNode struct {
	table string
	out   []column
}

func (n *versionsNode) columns() []column { return n.out }
func (n *versionsNode) inputs() []node    { return nil }
func (n *versionsNode) label() string     { return "Versions " + n.table }

// seriesNode is generate_series(start, stop [, step]) over integers.
type seriesNode struct {
	args []expr.Expr // int8 constants or parameters
	out  []column
}

func (n *seriesNode) columns() []column { return n.out }
func (n *seriesNode) inputs() []node    { return nil }
func (n *seriesNode) label() string     { return "Series" }

// valuesNode produces constant rows (VALUES, FROM-less SELECT).
type valuesNode struct {
	rows [][]expr.Expr
	out  []column
}

func (n *valuesNode) columns() []column { return n.out }
func (n *valuesNode) inputs() []node    { return nil }
func (n *valuesNode) label() string     { return fmt.Sprintf("Values %d rows", len(n.rows)) }

type filterNode struct {
	in   node
	pred expr.Expr
}

func (n *filterNode) columns() []column { return n.in.columns() }
func (n *filterNode) inputs() []node    { return []node{n.in} }
func (n *filterNode) label() string     { return "Filter " + n.pred.String() }

type projectNode struct {
	in    node
	exprs []expr.Expr
	out   []column
}

func (n *projectNode) columns() []column { return n.out }
func (n *projectNode) inputs() []node    { return []node{n.in} }
func (n *projectNode) label() string {
	parts := make([]string, len(n.exprs))
	for i, e := range n.exprs {
		parts[i] = e.String()
	}
	return "Project " + strings.Join(parts, ", ")
}

// aggCall is one aggregate of an aggregation: its resolved function and
// argument (nil for count(*)).
type aggCall struct {
	agg *expr.Aggregate
	arg expr.Expr
	// consts are further arguments, constant per call (string_agg's
	// delimiter).
	consts   []expr.Expr
	distinct bool
	name     string
	// filter is FILTER (WHERE …) where it cannot become a CASE inside
	// the argument (array_agg keeps NULLs); such an aggregation runs on
	// the query node.
	filter expr.Expr
}

type aggNode struct {
	in     node
	groups []expr.Expr
	aggs   []aggCall
	out    []column
}

func (n *aggNode) columns() []column { return n.out }
func (n *aggNode) inputs() []node    { return []node{n.in} }
func (n *aggNode) label() string {
	var parts []string
	for _, g := range n.groups {
		parts = append(parts, g.String())
	}
	s := "Aggregate"
	if len(parts) > 0 {
		s += " by " + strings.Join(parts, ", ")
	}
	var aggs []string
	for _, a := range n.aggs {
		arg := "*"
		if a.arg != nil {
			arg = a.arg.String()
			for _, c := range a.consts {
				arg += ", " + c.String()
			}
			if a.distinct {
				arg = "DISTINCT " + arg
			}
		}
		call := a.name + "(" + arg + ")"
		if a.filter != nil {
			call += " FILTER (WHERE " + a.filter.String() + ")"
		}
		aggs = append(aggs, call)
	}
	if len(aggs) > 0 {
		s += ": " + strings.Join(aggs, ", ")
	}
	return s
}

type sortKey struct {
	e          expr.Expr
	desc       bool
	nullsFirst bool
}

func (k sortKey) String() string {
	s := k.e.String()
	if k.desc {
		s += " DESC"
	}
	if k.nullsFirst != k.desc {
		if k.nullsFirst {
			s += " NULLS FIRST"
		} else {
			s += " NULLS LAST"
		}
	}
	return s
}

type sortNode struct {
	in   node
	keys []sortKey
}

func (n *sortNode) columns() []column { return n.in.columns() }
func (n *sortNode) inputs() []node    { return []node{n.in} }
func (n *sortNode) label() string     { return "Sort " + keysString(n.keys) }

func keysString(keys []sortKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.String()
	}
	return strings.Join(parts, ", ")
}

// limitNode keeps count rows after skipping offset; either may be nil.
type limitNode struct {
	in            node
	count, offset expr.Expr
}

func (n *limitNode) columns() []column { return n.in.columns() }
func (n *limitNode) inputs() []node    { return []node{n.in} }
func (n *limitNode) label() string {
	s := "Limit"
	if n.count != nil {
		s += " " + n.count.String()
	}
	if n.offset != nil {
		s += " offset " + n.offset.String()
	}
	return s
}

// topKNode is Sort followed by Limit, run with a bounded heap: the exact
// vector search plan (ORDER BY v <-> q LIMIT k).
type topKNode struct {
	in            node
	keys          []sortKey
	count, offset expr.Expr
}

func (n *topKNode) columns() []column { return n.in.columns() }
func (n *topKNode) inputs() []node    { return []node{n.in} }
func (n *topKNode) label() string {
	s := "TopK " + n.count.String() + " by " + keysString(n.keys)
	if n.offset != nil {
		s += " offset " + n.offset.String()
	}
	return s
}

type joinKind int

const (
	joinInner joinKind = iota
	joinLeft
	joinCross
)

type joinNode struct {
	left, right node
	kind        joinKind
	// cond is bound over the concatenated columns (left then right).
	cond expr.Expr
	out  []column
}

func (n *joinNode) columns() []column { return n.out }
func (n *joinNode) inputs() []node    { return []node{n.left, n.right} }
func (n *joinNode) label() string {
	k := map[joinKind]string{joinInner: "Inner", joinLeft: "Left", joinCross: "Cross"}[n.kind]
	s := k + " Join"
	if n.cond != nil {
		s += " on " + n.cond.String()
	}
	return s
}

type distinctNode struct {
	in node
}

func (n *distinctNode) columns() []column { return n.in.columns() }
func (n *distinctNode) inputs() []node    { return []node{n.in} }
func (n *distinctNode) label() string     { return "Distinct" }

// columnTypes returns the types of a node's columns.
func columnTypes(cols []column) []pgtype.Type {
	out := make([]pgtype.Type, len(cols))
	for i, c := range cols {
		out[i] = c.typ
	}
	return out
}
