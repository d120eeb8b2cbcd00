package dialect

import (
	"fmt"
	"sync"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/mysql"
)

// parsers pools TiDB parsers: an instance is not safe for concurrent use
// and is worth reusing (it keeps a large yacc stack).
var parsers = sync.Pool{New: func() any { return parser.New() }}

// tidbParse parses one statement of emitted text with SQL mode
// NO_BACKSLASH_ESCAPES only (the emitted text never relies on ANSI_QUOTES
// or PIPES_AS_CONCAT: it has no double quotes and no ||). A panic inside
// the parser becomes an error.
func tidbParse(sql string) (node ast.StmtNode, err error) {
	p := parsers.Get().(*parser.Parser)
	defer func() {
		if r := recover(); r != nil {
			node, err = nil, fmt.Errorf("tidb parser panic: %v", r)
			return // drop the instance: its state is unknown
		}
		parsers.Put(p)
	}()
	p.SetSQLMode(mysql.ModeNoBackslashEscapes)
	stmts, _, err := p.ParseSQL(sql)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		return nil, fmt.Errorf("tidb parser returned %d statements", len(stmts))
	}
	return stmts[0], nil
}
