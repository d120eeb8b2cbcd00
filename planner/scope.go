package planner

import (
	"strings"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// column is one column visible in a scope: the output of a plan node that
// expressions may reference by (table, name).
type column struct {
	// table is the alias or name of the FROM item the column comes from
	// ("" for computed columns).
	table string
	name  string
	typ   pgtype.Type
	// hidden columns (row addresses, ORDER BY helpers) are not expanded by *.
	hidden bool
	// qualifiedOnly columns are found only by table.name: the two sides'
	// columns of JOIN … USING, whose merged column has the bare name.
	qualifiedOnly bool
	// fields, for a record value, maps its field names to the scope
	// indexes of the columns holding them ((x).field).
	fields map[string]int
	// tableOID and attNum identify a plain table column for RowDescription.
	tableOID uint32
	attNum   int16
	// untyped marks a select-list column that was an untyped literal (a
	// NULL, a quoted string) made text by default: a set operation
	// (UNION, INTERSECT, EXCEPT, and so VALUES) resolves it to the other
	// branches' type instead, as PostgreSQL resolves unknown.
	untyped bool
}

// scope is the list of columns of a node's output, in order.
type scope struct {
	cols []column
}

func (s *scope) add(c column) int {
	s.cols = append(s.cols, c)
	return len(s.cols) - 1
}

// lookup finds a column by optional table qualifier and name. It fails
// with 42703 when absent and 42702 when ambiguous.
func (s *scope) lookup(table, name string, pos int) (int, error) {
	found := -1
	for i, c := range s.cols {
		if c.name != name || (table != "" && c.table != table) || (table == "" && c.qualifiedOnly) {
			continue
		}
		if c.hidden && table == "" && c.name != name {
			continue
		}
		if found >= 0 {
			return 0, sqlstate.New(sqlstate.AmbiguousColumn, "column reference %q is ambiguous", name).WithPosition(pos)
		}
		found = i
	}
	if found < 0 {
		if table != "" {
			if !s.hasTable(table) {
				return 0, sqlstate.New(sqlstate.UndefinedTable, "missing FROM-clause entry for table %q", table).WithPosition(pos)
			}
			return 0, sqlstate.New(sqlstate.UndefinedColumn, "column %s.%s does not exist", table, name).WithPosition(pos)
		}
		return 0, sqlstate.New(sqlstate.UndefinedColumn, "column %q does not exist", name).WithPosition(pos)
	}
	return found, nil
}

func (s *scope) hasTable(t string) bool {
	for _, c := range s.cols {
		if c.table == t {
			return true
		}
	}
	return false
}

// concat returns a scope with a's columns followed by b's.
func concat(a, b *scope) *scope {
	out := &scope{cols: make([]column, 0, len(a.cols)+len(b.cols))}
	out.cols = append(out.cols, a.cols...)
	out.cols = append(out.cols, b.cols...)
	return out
}

// fold lower-cases an unquoted identifier; the dialect bridge has already
// folded and quoted names, so this only normalises TiDB's CIStr.
func fold(s string) string { return strings.ToLower(s) }
