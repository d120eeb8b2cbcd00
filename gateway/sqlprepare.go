package gateway

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/pgwire"
	"github.com/lancegate/lancegate/planner"
	"github.com/lancegate/lancegate/planner/dialect"
)

// SQL-level prepared statements: PREPARE name [(types)] AS statement,
// EXECUTE name [(args)], DEALLOCATE [PREPARE] name | ALL. A prepared
// statement is the session's: it keeps the statement's text and its
// parameter types (declared, or inferred at PREPARE); EXECUTE binds and
// plans it again, so it sees the tables as they are then (a result whose
// columns changed is 0A000, as PostgreSQL's cached plans), evaluates the
// arguments (constants, or the EXECUTE's own $n parameters) and converts
// each to its parameter's type as an assignment would, through its text
// form. These names are not those of the protocol's Parse messages.

// sqlPrepared is one PREPARE's statement.
type sqlPrepared struct {
	query  *dialect.Rewrite
	params []pgtype.Type
	cols   []planner.ResultColumn
}

// prepareStmt is PREPARE name [(types)] AS statement.
func (s *Session) prepareStmt(x *dialect.PrepareStmt) (pgwire.Statement, error) {
	types := make([]pgtype.Type, len(x.Types))
	for i, t := range x.Types {
		pt, err := planner.TypeOf(t)
		if err != nil {
			return nil, err
		}
		types[i] = pt
	}
	return s.utility("PREPARE", func(ctx context.Context, r *utilityResult) error {
		if err := s.checkFailed(); err != nil {
			return err
		}
		if _, dup := s.prepared[x.Name]; dup {
			return sqlstate.New(sqlstate.DuplicatePreparedStatement, "prepared statement %q already exists", x.Name)
		}
		p, err := planner.Prepare(ctx, sessionCatalog{s: s}, s, planner.FromDialect(x.Query), types)
		if err != nil {
			return err
		}
		if s.prepared == nil {
			s.prepared = map[string]*sqlPrepared{}
		}
		s.prepared[x.Name] = &sqlPrepared{query: x.Query, params: p.Params, cols: p.Columns}
		return nil
	}), nil
}

// executeStmt is EXECUTE name [(args)].
func (s *Session) executeStmt(ctx context.Context, x *dialect.ExecuteStmt, paramOIDs []uint32) (pgwire.Statement, error) {
	prep, ok := s.prepared[x.Name]
	if !ok {
		return nil, sqlstate.New(sqlstate.InvalidSQLStatementName, "prepared statement %q does not exist", x.Name)
	}
	p, err := planner.Prepare(ctx, sessionCatalog{s: s}, s, planner.FromDialect(prep.query), prep.params)
	if err != nil {
		return nil, err
	}
	if !sameResult(prep.cols, p.Columns) {
		return nil, sqlstate.New(sqlstate.FeatureNotSupported, "cached plan must not change result type")
	}
	inner := newPlanned(s, p)
	var args *plannedStatement
	if x.Args != nil {
		ap, err := planner.Prepare(ctx, sessionCatalog{s: s}, s, planner.FromDialect(x.Args), paramTypes(paramOIDs))
		if err != nil {
			return nil, err
		}
		args = newPlanned(s, ap)
	}
	n := 0
	if args != nil {
		n = len(args.p.Columns)
	}
	if n != len(p.Params) {
		return nil, sqlstate.New(sqlstate.SyntaxError, "wrong number of parameters for prepared statement %q", x.Name).
			WithDetail("Expected %d parameters but got %d.", len(p.Params), n)
	}
	st := &cursorStatement{cols: inner.Columns(), run: func(ctx context.Context, params []scalar.Scalar) (pgwire.Result, error) {
		var values []scalar.Scalar
		if args != nil {
			var err error
			if values, err = s.evalArgs(ctx, args, params, p.Params); err != nil {
				return nil, err
			}
		}
		return inner.Execute(ctx, values)
	}}
	if args != nil {
		st.params = args.ParamOIDs()
	}
	return st, nil
}

// sameResult reports whether a statement planned again returns the
// columns it returned when prepared.
func sameResult(a, b []planner.ResultColumn) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Type != b[i].Type {
			return false
		}
	}
	return true
}

// evalArgs runs EXECUTE's argument list (a one-row SELECT) and converts
// its values to the prepared statement's parameter types.
func (s *Session) evalArgs(ctx context.Context, args *plannedStatement, params []scalar.Scalar, types []pgtype.Type) ([]scalar.Scalar, error) {
	res, err := args.Execute(ctx, params)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	rec, err := res.Next(ctx)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, sqlstate.New(sqlstate.InternalError, "EXECUTE's arguments gave no row")
		}
		return nil, err
	}
	out := make([]scalar.Scalar, len(types))
	for i, t := range types {
		col := rec.Column(i)
		if col.IsNull(0) {
			continue
		}
		from := args.p.Columns[i].Type
		if from == t {
			if out[i], err = scalar.GetScalar(col, 0); err != nil {
				return nil, sqlstate.Wrap(err, sqlstate.InternalError, "")
			}
			continue
		}
		text := pgtype.AppendText(nil, from, col, 0, &s.codec.Text)
		if out[i], err = pgtype.ParseText(t, string(text), s.codec.Text.TimeZone); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// deallocateStmt is DEALLOCATE [PREPARE] name | ALL.
func (s *Session) deallocateStmt(x *dialect.DeallocateStmt) pgwire.Statement {
	tag := "DEALLOCATE"
	if x.All {
		tag = "DEALLOCATE ALL"
	}
	return s.utility(tag, func(ctx context.Context, r *utilityResult) error {
		if x.All {
			s.prepared = nil
			return nil
		}
		if _, ok := s.prepared[x.Name]; !ok {
			return sqlstate.New(sqlstate.InvalidSQLStatementName, "prepared statement %q does not exist", x.Name)
		}
		delete(s.prepared, x.Name)
		return nil
	})
}
