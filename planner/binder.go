package planner

import (
	"context"
	"time"

	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/planner/dialect"
)

// Session is what binding needs of the client's session. The gateway
// implements it.
type Session interface {
	// User is the session user.
	User() string
	// Database is the current database.
	Database() string
	// BackendPID is pg_backend_pid().
	BackendPID() int32
	// Version is version()'s text.
	Version() string
	// Setting returns a configuration parameter (current_setting).
	Setting(name string) (string, bool)
	// TimeZone is the session time zone.
	TimeZone() *time.Location
}

// Source is a statement as the dialect bridge parsed it: the TiDB AST and
// what the AST cannot carry.
type Source interface {
	// AST is the statement's TiDB AST.
	AST() ast.StmtNode
	// ParamIndex returns the 0-based parameter number ($n - 1) of a
	// parameter marker, or -1.
	ParamIndex(m ast.ParamMarkerExpr) int
	// NumParams is the highest $n the statement uses.
	NumParams() int
	// Position returns the 1-based character position of a node in the
	// statement text the client sent, or 0.
	Position(n ast.Node) int
	// ColumnType returns the PostgreSQL type the client wrote for a column
	// definition of CREATE TABLE / ALTER TABLE, by column name.
	ColumnType(col *ast.ColumnDef) (name string, typmod int32, ok bool)
	// Returning returns the RETURNING list of an INSERT, UPDATE or DELETE
	// (as the fields of a SELECT), or nil.
	Returning() *ast.FieldList
	// ColumnAliases returns the column alias list written for a FROM item
	// (t AS a(x, y)), or nil.
	ColumnAliases(ts *ast.TableSource) []string
	// TableFunction returns the function call a FROM item stands for
	// (functions in FROM, e.g. lance_versions('t')), or nil.
	TableFunction(ts *ast.TableSource) *ast.FuncCallExpr
	// StorageParams returns CREATE TABLE's WITH ( name = value, … ).
	StorageParams() []StorageParam
	// ColumnGenerated reports whether a column definition takes its values
	// from a sequence (serial, bigserial, smallserial, GENERATED … AS
	// IDENTITY) and, for identity columns, 'a' (ALWAYS) or 'd' (BY
	// DEFAULT).
	ColumnGenerated(col *ast.ColumnDef) (serial bool, identity byte)
	// AlterColumns returns the ALTER TABLE … ALTER COLUMN actions, in
	// order (each appears in the AST as ALTER COLUMN c DROP DEFAULT).
	AlterColumns() []dialect.AlterColumn
}

// StorageParam is one storage parameter of CREATE TABLE … WITH (…).
type StorageParam struct {
	Name, Value string
	// Pos is the 1-based character position of the name.
	Pos int
}

// binder turns one statement's AST into a plan with PostgreSQL semantics.
type binder struct {
	ctx       context.Context
	cat       Catalog
	sess      Session
	src       Source
	params    []pgtype.Type
	paramUsed []bool
	// agg is set while binding expressions above an aggregation.
	agg *aggState
	// insertTargets are the target column types of INSERT … SELECT, for
	// the next SELECT bound (the top-level one): its untyped literals take
	// these types instead of text, as PostgreSQL leaves them unresolved
	// there.
	insertTargets []pgtype.Type
	// subplans are the plans of the statement's subqueries, by id;
	// outer are the scopes of the queries enclosing the subquery being
	// bound (bind_subquery.go).
	subplans []node
	outer    []*outerFrame
	// windows maps window function calls to the columns their
	// windowNodes add (bind_window.go).
	windows map[*ast.WindowFuncExpr]windowCol
	// with are the CTEs of the enclosing WITH clauses (bind_with.go).
	with []withScope
	// work are the recursive CTEs whose recursive terms are being bound
	// (bind_recursive.go).
	work []*workRef
	// srfs maps the select list's set-returning calls to the columns
	// their projectSetNode computes (bind_srf.go).
	srfs map[*ast.FuncCallExpr]srfCol
}

func (b *binder) pos(n ast.Node) int {
	if n == nil {
		return 0
	}
	return b.src.Position(n)
}

func (b *binder) tz() *time.Location {
	if b.sess == nil {
		return time.UTC
	}
	return b.sess.TimeZone()
}
