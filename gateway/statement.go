package gateway

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/pgwire"
	"github.com/lancegate/lancegate/planner"
)

// plannedStatement is a statement bound by the planner.
type plannedStatement struct {
	s    *Session
	p    *planner.Prepared
	cols []pgwire.Column
}

var _ pgwire.Statement = (*plannedStatement)(nil)

func newPlanned(s *Session, p *planner.Prepared) *plannedStatement {
	st := &plannedStatement{s: s, p: p}
	if p.Columns != nil {
		st.cols = make([]pgwire.Column, len(p.Columns))
		for i, c := range p.Columns {
			st.cols[i] = pgwire.Column{Name: c.Name, TableOID: c.TableOID, AttNum: c.AttNum, TypeOID: c.Type.OID, TypeLen: c.Type.Len(), TypeMod: c.Type.Mod}
		}
	}
	return st
}

func (st *plannedStatement) ParamOIDs() []uint32 {
	out := make([]uint32, len(st.p.Params))
	for i, t := range st.p.Params {
		out[i] = t.OID
	}
	return out
}

func (st *plannedStatement) Columns() []pgwire.Column { return st.cols }

func (st *plannedStatement) Close() {}

// Execute implements pgwire.Statement.
func (st *plannedStatement) Execute(ctx context.Context, params []scalar.Scalar) (pgwire.Result, error) {
	s := st.s
	if err := s.checkFailed(); err != nil {
		return nil, err
	}
	if err := s.checkUses(ctx, st.p.Uses()); err != nil {
		s.fail()
		return nil, err
	}
	tx := s.transaction()
	ctx, cancel := s.statementContext(ctx)
	env := &expr.Env{Mem: s.e.opts.Mem, Params: params, Text: &s.codec.Text, Now: tx.started, Catalog: catalogFuncs{s: s}, Sequences: s.e.tables, Settings: s}
	res, err := st.p.Execute(ctx, sessionCatalog{s: s}, env)
	if err == nil {
		err = s.afterPlanned(ctx, st.p, res)
	}
	if err != nil {
		cancel()
		s.fail()
		return nil, s.statementError(ctx, err)
	}
	return &result{s: s, res: res, cancel: cancel, ctx: ctx}, nil
}

// statementContext applies statement_timeout.
func (s *Session) statementContext(ctx context.Context) (context.Context, context.CancelFunc) {
	d, err := parseDuration(s.settings.values["statement_timeout"])
	if err != nil || d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// statementError gives cancellation and timeouts their SQLSTATEs.
func (s *Session) statementError(ctx context.Context, err error) error {
	if sqlstate.As(err) != nil {
		return err
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return sqlstate.Wrap(err, sqlstate.QueryCanceled, "canceling statement due to statement timeout")
	case errors.Is(err, context.Canceled):
		return sqlstate.Wrap(err, sqlstate.QueryCanceled, "canceling statement due to user request")
	}
	if e := storageFault(err); e != nil {
		return e
	}
	return err
}

// fail marks an explicit transaction block as failed (25P02 until it
// ends), as an error inside it does.
func (s *Session) fail() {
	if s.tx != nil {
		s.tx.failed = true
	}
}

// checkFailed refuses statements in a failed transaction block.
func (s *Session) checkFailed() error {
	if s.tx != nil && s.tx.explicit && s.tx.failed {
		return sqlstate.New(sqlstate.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block")
	}
	return nil
}

// result adapts a planner result to pgwire.Result, counting rows for the
// command tag.
type result struct {
	s      *Session
	res    *planner.Result
	ctx    context.Context
	cancel context.CancelFunc
	cur    arrow.Record
	rows   int64
	done   bool
}

func (r *result) Next(ctx context.Context) (arrow.Record, error) {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.done || r.res.Rows == nil {
		r.done = true
		return nil, io.EOF
	}
	// The statement's own context carries statement_timeout; the caller's
	// carries cancellation.
	if err := r.ctx.Err(); err != nil {
		r.s.fail()
		return nil, r.s.statementError(r.ctx, err)
	}
	if dl, ok := r.ctx.Deadline(); ok {
		// The operators must see the deadline too, or a blocking operator
		// (an aggregate over a long scan) runs to its end.
		var stop context.CancelFunc
		ctx, stop = context.WithDeadline(ctx, dl)
		defer stop()
	}
	rec, err := r.res.Rows.Next(ctx)
	if errors.Is(err, io.EOF) {
		r.done = true
		return nil, io.EOF
	}
	if err != nil {
		r.s.fail()
		return nil, r.s.statementError(ctx, err)
	}
	r.cur = rec
	r.rows += rec.NumRows()
	return rec, nil
}

func (r *result) Tag() string { return r.res.Tag(r.rows) }

func (r *result) Notices() []error { return r.res.Notices }

func (r *result) ParameterChanges() []pgwire.Parameter { return nil }

func (r *result) Close() {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if r.res.Rows != nil {
		r.res.Rows.Close()
	}
	r.cancel()
}

// utilityStatement is a session statement (SET, SHOW, BEGIN, …), answered
// without the planner.
type utilityStatement struct {
	cols []pgwire.Column
	run  func(ctx context.Context) (*utilityResult, error)
}

func (u *utilityStatement) ParamOIDs() []uint32      { return nil }
func (u *utilityStatement) Columns() []pgwire.Column { return u.cols }
func (u *utilityStatement) Close()                   {}

func (u *utilityStatement) Execute(ctx context.Context, _ []scalar.Scalar) (pgwire.Result, error) {
	return u.run(ctx)
}

// utilityResult is the result of a session statement: at most a few rows
// of text, a tag, notices and parameter changes.
type utilityResult struct {
	rows    executor.Operator
	tag     string
	notices []error
	changed []pgwire.Parameter
	cur     arrow.Record
}

func (u *utilityResult) Next(ctx context.Context) (arrow.Record, error) {
	if u.cur != nil {
		u.cur.Release()
		u.cur = nil
	}
	if u.rows == nil {
		return nil, io.EOF
	}
	rec, err := u.rows.Next(ctx)
	if err != nil {
		return nil, err
	}
	u.cur = rec
	return rec, nil
}

func (u *utilityResult) Tag() string                          { return u.tag }
func (u *utilityResult) Notices() []error                     { return u.notices }
func (u *utilityResult) ParameterChanges() []pgwire.Parameter { return u.changed }

func (u *utilityResult) Close() {
	if u.cur != nil {
		u.cur.Release()
		u.cur = nil
	}
	if u.rows != nil {
		u.rows.Close()
	}
}

// textColumn describes a text result column of a session statement.
func textColumn(name string) pgwire.Column {
	return pgwire.Column{Name: name, TypeOID: pgtype.OIDText, TypeLen: -1, TypeMod: -1}
}
