package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/pgwire"
	"github.com/lancegate/lancegate/planner"
	"github.com/lancegate/lancegate/planner/dialect"
)

// SQL cursors: DECLARE name CURSOR FOR query, FETCH, MOVE, CLOSE
// (psycopg2's named cursors, Tableau through psqlODBC).
//
// A cursor is the running result of its query, kept in the transaction
// block that declared it; FETCH n reads the next n rows of it (NEXT,
// FORWARD n, ALL), MOVE skips them. Cursors are forward-only and end with
// their transaction (WITH HOLD, backward and absolute fetches are 0A000);
// DECLARE outside a block is 25P01, as in PostgreSQL.

// cursor is one declared cursor.
type cursor struct {
	cols []pgwire.Column
	res  pgwire.Result
	// pending is the rest of the batch a FETCH stopped in (retained);
	// done is set once res is exhausted.
	pending arrow.Record
	done    bool
}

func (c *cursor) close() {
	if c.pending != nil {
		c.pending.Release()
		c.pending = nil
	}
	c.res.Close()
}

// closeCursors ends a transaction's cursors.
func (tx *txn) closeCursors() {
	for name, c := range tx.cursors {
		c.close()
		delete(tx.cursors, name)
	}
}

// next returns up to n rows (n < 0: all that remain), in batches.
func (c *cursor) next(ctx context.Context, n int64) ([]arrow.Record, error) {
	var out []arrow.Record
	for n != 0 && !c.done {
		if c.pending == nil {
			rec, err := c.res.Next(ctx)
			if errors.Is(err, io.EOF) {
				c.done = true
				break
			}
			if err != nil {
				release(out)
				return nil, err
			}
			rec.Retain() // the result reuses its batch on the next call
			c.pending = rec
		}
		take := c.pending.NumRows()
		if n > 0 && n < take {
			take = n
		}
		out = append(out, c.pending.NewSlice(0, take))
		if take == c.pending.NumRows() {
			c.pending.Release()
			c.pending = nil
		} else {
			rest := c.pending.NewSlice(take, c.pending.NumRows())
			c.pending.Release()
			c.pending = rest
		}
		if n > 0 {
			n -= take
		}
	}
	return out, nil
}

func release(recs []arrow.Record) {
	for _, r := range recs {
		r.Release()
	}
}

// declareStmt is DECLARE name CURSOR FOR query.
func (s *Session) declareStmt(ctx context.Context, x *dialect.DeclareStmt, paramOIDs []uint32) (pgwire.Statement, error) {
	if x.Hold {
		return nil, notSupported("WITH HOLD cursors")
	}
	if x.Scroll != nil && *x.Scroll {
		return nil, notSupported("SCROLL cursors")
	}
	p, err := planner.Prepare(ctx, sessionCatalog{s: s}, s, planner.FromDialect(x.Query), paramTypes(paramOIDs))
	if err != nil {
		return nil, err
	}
	if p.Columns == nil {
		return nil, sqlstate.New(sqlstate.InvalidCursorDefinition, "cursor %q: the query returns no rows", x.Name)
	}
	query := newPlanned(s, p)
	return &cursorStatement{params: query.ParamOIDs(), run: func(ctx context.Context, params []scalar.Scalar) (pgwire.Result, error) {
		if s.tx == nil || !s.tx.explicit {
			return nil, sqlstate.New(sqlstate.NoActiveSQLTransaction, "DECLARE CURSOR can only be used in transaction blocks")
		}
		if _, dup := s.tx.cursors[x.Name]; dup {
			return nil, sqlstate.New(sqlstate.DuplicateCursor, "cursor %q already exists", x.Name)
		}
		// The cursor outlives this statement: its query runs on a context
		// of its own (statement_timeout still applies from DECLARE).
		res, err := query.Execute(context.WithoutCancel(ctx), params)
		if err != nil {
			return nil, err
		}
		if s.tx.cursors == nil {
			s.tx.cursors = map[string]*cursor{}
		}
		s.tx.cursors[x.Name] = &cursor{cols: query.Columns(), res: res}
		return &utilityResult{tag: "DECLARE CURSOR"}, nil
	}}, nil
}

// fetchStmt is FETCH or MOVE.
func (s *Session) fetchStmt(x *dialect.FetchStmt) (pgwire.Statement, error) {
	if x.Direction != dialect.FetchForward || x.Count < 0 {
		return nil, notSupported("FETCH and MOVE other than forward")
	}
	c, err := s.cursor(x.Cursor)
	if err != nil {
		return nil, err
	}
	st := &cursorStatement{}
	if !x.Move {
		st.cols = c.cols
	}
	st.run = func(ctx context.Context, _ []scalar.Scalar) (pgwire.Result, error) {
		c, err := s.cursor(x.Cursor)
		if err != nil {
			return nil, err
		}
		n := x.Count
		if x.All {
			n = -1
		}
		recs, err := c.next(ctx, n)
		if err != nil {
			s.fail()
			return nil, err
		}
		var rows int64
		for _, r := range recs {
			rows += r.NumRows()
		}
		verb := "FETCH"
		if x.Move {
			verb = "MOVE"
			release(recs)
			recs = nil
		}
		return &recordsResult{recs: recs, tag: fmt.Sprintf("%s %d", verb, rows)}, nil
	}
	return st, nil
}

// closeCursorStmt is CLOSE name | ALL.
func (s *Session) closeCursorStmt(x *dialect.CloseStmt) *utilityStatement {
	return s.utility("CLOSE CURSOR", func(context.Context, *utilityResult) error {
		if x.All {
			if s.tx != nil {
				s.tx.closeCursors()
			}
			return nil
		}
		c, err := s.cursor(x.Name)
		if err != nil {
			return err
		}
		c.close()
		delete(s.tx.cursors, x.Name)
		return nil
	})
}

// cursor finds a declared cursor; 34000 when there is none.
func (s *Session) cursor(name string) (*cursor, error) {
	if s.tx != nil {
		if c, ok := s.tx.cursors[name]; ok {
			return c, nil
		}
	}
	return nil, sqlstate.New(sqlstate.InvalidCursorName, "cursor %q does not exist", name)
}

// cursorStatement runs DECLARE and FETCH.
type cursorStatement struct {
	params []uint32
	cols   []pgwire.Column
	run    func(ctx context.Context, params []scalar.Scalar) (pgwire.Result, error)
}

func (c *cursorStatement) ParamOIDs() []uint32      { return c.params }
func (c *cursorStatement) Columns() []pgwire.Column { return c.cols }
func (c *cursorStatement) Close()                   {}
func (c *cursorStatement) Execute(ctx context.Context, params []scalar.Scalar) (pgwire.Result, error) {
	return c.run(ctx, params)
}

// recordsResult streams batches a FETCH already read.
type recordsResult struct {
	recs []arrow.Record
	cur  arrow.Record
	tag  string
}

func (r *recordsResult) Next(context.Context) (arrow.Record, error) {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	if len(r.recs) == 0 {
		return nil, io.EOF
	}
	r.cur, r.recs = r.recs[0], r.recs[1:]
	return r.cur, nil
}

func (r *recordsResult) Tag() string                          { return r.tag }
func (r *recordsResult) Notices() []error                     { return nil }
func (r *recordsResult) ParameterChanges() []pgwire.Parameter { return nil }
func (r *recordsResult) Close() {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	release(r.recs)
	r.recs = nil
}
