package planner

import (
	"context"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// ResultColumn describes one column of a statement's result.
type ResultColumn struct {
	Name string
	Type pgtype.Type
	// TableOID and AttNum identify a plain table column (0 otherwise).
	TableOID uint32
	AttNum   int16
}

// Prepared is a bound statement: its parameter types, result columns and
// plan. It may be executed many times; each execution reads the tables'
// snapshots current then.
type Prepared struct {
	// Params are the parameter types, inferred where the client left them
	// unspecified.
	Params []pgtype.Type
	// Columns describes the rows the statement returns; nil when it
	// returns none.
	Columns []ResultColumn
	// Kind is the statement's command tag word: SELECT, INSERT, …
	Kind    string
	query   *boundQuery
	insert  *insertPlan
	update  *updatePlan
	delete  *deletePlan
	create  *createTablePlan
	drop    *dropTablePlan
	alter   *alterTablePlan
	explain *explainPlan
	// subplans are the plans of subqueries in expressions, by id.
	subplans []node
}

// Prepare binds one statement. paramTypes are the types the client
// declared ($1 is index 0); missing or zero entries are inferred from
// context, as PostgreSQL does.
func Prepare(ctx context.Context, cat Catalog, sess Session, src Source, paramTypes []pgtype.Type) (p *Prepared, err error) {
	defer func() {
		// The TiDB AST and the bound plan are our own data; a panic here
		// is a bug, reported as XX000 without taking the session down.
		if r := recover(); r != nil {
			p, err = nil, sqlstate.New(sqlstate.InternalError, "internal error while planning: %v", r)
		}
	}()
	n := max(src.NumParams(), len(paramTypes))
	b := &binder{ctx: ctx, cat: cat, sess: sess, src: src, params: make([]pgtype.Type, n), paramUsed: make([]bool, n)}
	for i := range b.params {
		b.params[i] = pgtype.Unknown
		if i < len(paramTypes) && paramTypes[i].OID != 0 {
			b.params[i] = paramTypes[i]
		}
	}
	p, err = b.bindStatement(src.AST())
	if err != nil {
		return nil, err
	}
	// Parameters no context typed are text; one never used is an error.
	for i, t := range b.params {
		if t == pgtype.Unknown {
			if !b.paramUsed[i] && i < src.NumParams() {
				return nil, sqlstate.New(sqlstate.IndeterminateDatatype, "could not determine data type of parameter $%d", i+1)
			}
			b.params[i] = pgtype.Text
		}
	}
	p.Params = b.params
	p.subplans = b.subplans
	return p, nil
}

func (b *binder) bindStatement(stmt ast.StmtNode) (*Prepared, error) {
	p := &Prepared{}
	var err error
	switch s := stmt.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
		p.Kind = "SELECT"
		if p.query, err = b.bindQuery(s.(ast.ResultSetNode)); err != nil {
			return nil, err
		}
		if len(p.query.extra) > 0 {
			p.query.root = dropExtra(p.query)
		}
		p.query.root = useIndexes(pruneRoot(pushFilters(p.query.root)))
		if clusterOf(b.cat) != nil {
			p.query.root = distribute(p.query.root)
		}
		p.Columns = resultColumns(p.query.cols)
	case *ast.InsertStmt:
		p.Kind = "INSERT"
		if p.insert, err = b.bindInsert(s); err != nil {
			return nil, err
		}
		if p.insert.ret != nil {
			p.Columns = resultColumns(p.insert.ret.cols)
		}
	case *ast.UpdateStmt:
		p.Kind = "UPDATE"
		if p.update, err = b.bindUpdate(s); err != nil {
			return nil, err
		}
		if p.update.ret != nil {
			p.Columns = resultColumns(p.update.ret.cols)
		}
	case *ast.DeleteStmt:
		p.Kind = "DELETE"
		if p.delete, err = b.bindDelete(s); err != nil {
			return nil, err
		}
		if p.delete.ret != nil {
			p.Columns = resultColumns(p.delete.ret.cols)
		}
	case *ast.CreateTableStmt:
		p.Kind = "CREATE TABLE"
		if p.create, err = b.bindCreateTable(s); err != nil {
			return nil, err
		}
	case *ast.DropTableStmt:
		p.Kind = "DROP TABLE"
		if p.drop, err = b.bindDropTable(s); err != nil {
			return nil, err
		}
	case *ast.AlterTableStmt:
		p.Kind = "ALTER TABLE"
		if p.alter, err = b.bindAlterTable(s); err != nil {
			return nil, err
		}
	case *ast.ExplainStmt:
		p.Kind = "EXPLAIN"
		if p.explain, err = b.bindExplain(s); err != nil {
			return nil, err
		}
		p.Columns = []ResultColumn{{Name: "QUERY PLAN", Type: pgtype.Text}}
	default:
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "statement %T is not supported", stmt)
	}
	return p, nil
}

func resultColumns(cols []column) []ResultColumn {
	out := make([]ResultColumn, len(cols))
	for i, c := range cols {
		out[i] = ResultColumn{Name: c.name, Type: c.typ, TableOID: c.tableOID, AttNum: c.attNum}
	}
	return out
}

// Result is the outcome of one execution: rows to stream (nil for
// statements without rows) and the command tag, which depends on how many
// rows the client received for queries.
type Result struct {
	// Rows streams the result rows, or is nil.
	Rows executor.Operator
	// Tag returns the command tag given the number of rows sent.
	Tag func(rows int64) string
	// Notices are notices raised by the statement (e.g. IF NOT EXISTS).
	Notices []error
}

// Execute runs a prepared statement against cat with the parameters and
// settings of env.
func (p *Prepared) Execute(ctx context.Context, cat Catalog, env *expr.Env) (*Result, error) {
	x := &execution{ctx: ctx, cat: cat, params: p.Params, subplans: p.subplans}
	if len(p.subplans) > 0 {
		withSubplans := *env
		withSubplans.Subplans = x
		env = &withSubplans
	}
	x.env = env
	return p.execute(x)
}

func (p *Prepared) execute(x *execution) (*Result, error) {
	switch {
	case p.query != nil:
		op, err := x.build(p.query.root)
		if err != nil {
			return nil, err
		}
		return &Result{Rows: op, Tag: func(n int64) string { return fmt.Sprintf("SELECT %d", n) }}, nil
	case p.insert != nil:
		return x.runInsert(p.insert)
	case p.update != nil:
		return x.runUpdate(p.update)
	case p.delete != nil:
		return x.runDelete(p.delete)
	case p.create != nil:
		return x.runCreate(p.create)
	case p.drop != nil:
		return x.runDrop(p.drop)
	case p.alter != nil:
		return x.runAlter(p.alter)
	case p.explain != nil:
		return x.runExplain(p.explain)
	}
	return nil, sqlstate.New(sqlstate.InternalError, "empty plan")
}

// execution is the state of one Execute.
type execution struct {
	ctx context.Context
	cat Catalog
	env *expr.Env
	// stats collects per-node measurements under EXPLAIN ANALYZE.
	stats map[node]*nodeStats
	// ann records what each vector search did, under EXPLAIN ANALYZE.
	ann map[*annScanNode]*annRun
	// remote records what each distributed subtree did, under EXPLAIN
	// ANALYZE.
	remote map[*remoteNode]*remoteRun
	// params are the statement's parameter types (for fragments).
	params []pgtype.Type
	// subplans are the statement's subquery plans (bind_subquery.go).
	subplans []node
	// work holds, while a recursive term is being built, the working
	// table its workNode reads (taken by the build).
	work map[*workNode][]arrow.Record
}

// PrepareExplain binds EXPLAIN [ANALYZE] of a statement; the dialect bridge
// parses EXPLAIN's option list itself and hands over the inner statement.
func PrepareExplain(ctx context.Context, cat Catalog, sess Session, src Source, analyze bool, paramTypes []pgtype.Type) (*Prepared, error) {
	p, err := Prepare(ctx, cat, sess, src, paramTypes)
	if err != nil {
		return nil, err
	}
	if p.explain != nil {
		return nil, sqlstate.New(sqlstate.SyntaxError, "EXPLAIN of EXPLAIN is not allowed")
	}
	return &Prepared{
		Params:   p.Params,
		Columns:  []ResultColumn{{Name: "QUERY PLAN", Type: pgtype.Text}},
		Kind:     "EXPLAIN",
		explain:  &explainPlan{inner: p, analyze: analyze},
		subplans: p.subplans,
	}, nil
}
