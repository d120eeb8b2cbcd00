package pgwire

import (
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow/scalar"
	"github.com/jackc/pgproto3/v2"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/codec"
)

// The extended query protocol (pg-compat §3.2). Parse makes a prepared
// statement (named ones live until Close; the unnamed one until the next
// Parse("") or Query); Bind makes a portal from a statement and parameter
// values; Execute runs a portal, at most maxRows rows at a time, keeping its
// Result open between Executes; Sync ends the implicit transaction and
// answers ReadyForQuery. After an error every
// message up to Sync is discarded (conn.loop).
//
// The engine's Statement.Execute runs at a portal's first Execute, not at
// Bind: a Bind that is never executed (or is closed first) runs nothing, as
// in PostgreSQL. Errors found while binding (statement, parameter count,
// formats, parameter values) are sent at Bind; errors the engine finds while
// planning with the parameters therefore arrive at Execute, after
// BindComplete, which no client distinguishes.

// extState is a connection's extended-protocol state.
type extState struct {
	stmts   map[string]*prepared
	portals map[string]*portal
	// skipping: an error happened; discard messages until Sync.
	skipping bool
	// failed: an error happened since the last Sync, so the implicit
	// transaction ends without commit.
	failed bool
}

// prepared is a prepared statement. stmt is nil for an empty query string.
// refs counts the statement's name and the portals made from it; the
// engine's Statement is closed when the last goes.
type prepared struct {
	stmt   Statement
	params []uint32
	cols   []Column
	refs   int
}

// portal is a bound statement. rows is nil until the first Execute; done is
// set when the Result is exhausted (and then closed).
type portal struct {
	ps       *prepared
	params   []scalar.Scalar
	formats  []int16
	rows     *rowStream
	executes int
	done     bool
	tag      string
}

// extError reports an error in the extended protocol and starts discarding
// until Sync.
func (c *conn) extError(err error) error {
	c.ext.skipping, c.ext.failed = true, true
	return c.sendError(err)
}

func (c *conn) parse(m *pgproto3.Parse) error {
	if c.ext.stmts == nil {
		c.ext.stmts = make(map[string]*prepared)
	}
	if m.Name == "" {
		c.dropStatement("")
	} else if _, ok := c.ext.stmts[m.Name]; ok {
		return c.extError(sqlstate.New(sqlstate.DuplicatePreparedStatement, "prepared statement \"%s\" already exists", m.Name))
	}
	ctx := c.begin()
	defer c.end()
	// Query and ParameterOIDs are fresh copies made by Parse.Decode; they
	// do not alias the read buffer.
	text := m.Query
	pieces, err := c.sess.Split(text)
	if err != nil {
		return c.extError(err)
	}
	ps := &prepared{params: slices.Clone(m.ParameterOIDs), refs: 1}
	switch len(pieces) {
	case 0:
	case 1:
		st, err := c.sess.Prepare(ctx, pieces[0].Text, slices.Clone(m.ParameterOIDs))
		if err != nil {
			return c.extError(shiftPosition(err, text, pieces[0].Offset))
		}
		ps.stmt, ps.params, ps.cols = st, slices.Clone(st.ParamOIDs()), st.Columns()
	default:
		return c.extError(sqlstate.New(sqlstate.SyntaxError, "cannot insert multiple commands into a prepared statement"))
	}
	c.ext.stmts[m.Name] = ps
	return c.send(&pgproto3.ParseComplete{})
}

func (c *conn) bind(m *pgproto3.Bind) error {
	if c.ext.portals == nil {
		c.ext.portals = make(map[string]*portal)
	}
	if m.DestinationPortal == "" {
		c.closePortal("")
	} else if _, ok := c.ext.portals[m.DestinationPortal]; ok {
		return c.extError(sqlstate.New("42P03", "cursor \"%s\" already exists", m.DestinationPortal))
	}
	ps := c.ext.stmts[m.PreparedStatement]
	if ps == nil {
		return c.extError(sqlstate.New(sqlstate.InvalidSQLStatementName, "prepared statement \"%s\" does not exist", m.PreparedStatement))
	}
	pformats, err := formatsFor(m.ParameterFormatCodes, len(m.Parameters), "bind message has %d parameter formats but %d parameters")
	if err != nil {
		return c.extError(err)
	}
	if len(m.Parameters) != len(ps.params) {
		return c.extError(sqlstate.New(sqlstate.ProtocolViolation,
			"bind message supplies %d parameters, but prepared statement \"%s\" requires %d", len(m.Parameters), m.PreparedStatement, len(ps.params)))
	}
	rformats, err := formatsFor(m.ResultFormatCodes, len(ps.cols), "bind message has %d result formats but query has %d columns")
	if err != nil {
		return c.extError(err)
	}
	params, err := c.decodeParams(ps.params, pformats, m.Parameters)
	if err != nil {
		return c.extError(err)
	}
	ps.refs++
	c.ext.portals[m.DestinationPortal] = &portal{ps: ps, params: params, formats: rformats}
	return c.send(&pgproto3.BindComplete{})
}

// decodeParams decodes the parameters of a Bind to Arrow scalars of the
// statement's parameter types; SQL NULL stays nil, as Statement.Execute
// expects. The Bind's bytes belong to the read buffer and are overwritten by
// the next Receive; codec.DecodeParam copies what its scalars keep, so
// nothing here points into them afterwards.
func (c *conn) decodeParams(oids []uint32, formats []int16, raw [][]byte) ([]scalar.Scalar, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	settings := c.sess.Settings()
	out := make([]scalar.Scalar, len(raw))
	for i, p := range raw {
		if p == nil {
			continue
		}
		v, err := codec.DecodeParam(pgtype.Type{OID: oids[i], Mod: -1}, formats[i], p, settings)
		if err != nil {
			return nil, paramError(err, i+1, formats[i])
		}
		out[i] = v
	}
	return out, nil
}

// paramError names the parameter in a binary-format error, as PostgreSQL's
// message does, and gives an uncoded error a code.
func paramError(err error, n int, format int16) error {
	if se := sqlstate.As(err); se != nil {
		if se.Code == sqlstate.InvalidBinaryRepresentation && strings.HasSuffix(se.Message, "in bind parameter") {
			c := *se
			c.Message += " " + strconv.Itoa(n)
			return &c
		}
		return err
	}
	if format == codec.FormatBinary {
		return sqlstate.Wrap(err, sqlstate.InvalidBinaryRepresentation, "incorrect binary data format in bind parameter %d", n)
	}
	return sqlstate.Wrap(err, sqlstate.InvalidTextRepresentation, "")
}

func (c *conn) describe(m *pgproto3.Describe) error {
	switch m.ObjectType {
	case 'S':
		ps := c.ext.stmts[m.Name]
		if ps == nil {
			return c.extError(sqlstate.New(sqlstate.InvalidSQLStatementName, "prepared statement \"%s\" does not exist", m.Name))
		}
		if err := c.send(&pgproto3.ParameterDescription{ParameterOIDs: ps.params}); err != nil {
			return err
		}
		return c.describeRows(ps.cols, nil)
	case 'P':
		p := c.ext.portals[m.Name]
		if p == nil {
			return c.extError(sqlstate.New(sqlstate.InvalidCursorName, "portal \"%s\" does not exist", m.Name))
		}
		return c.describeRows(p.ps.cols, p.formats)
	}
	return c.extError(sqlstate.New(sqlstate.ProtocolViolation, "invalid DESCRIBE message subtype %d", m.ObjectType))
}

// describeRows sends RowDescription, or NoData for a statement without rows.
func (c *conn) describeRows(cols []Column, formats []int16) error {
	if cols == nil {
		return c.send(&pgproto3.NoData{})
	}
	return c.send(rowDescription(cols, formats))
}

func (c *conn) execute(m *pgproto3.Execute) error {
	p := c.ext.portals[m.Portal]
	if p == nil {
		return c.extError(sqlstate.New(sqlstate.InvalidCursorName, "portal \"%s\" does not exist", m.Portal))
	}
	if p.ps.stmt == nil {
		return c.send(&pgproto3.EmptyQueryResponse{})
	}
	if p.done {
		// Running a finished portal again yields no rows.
		return c.send(&pgproto3.CommandComplete{CommandTag: []byte(zeroRowTag(p.tag, p.ps.cols != nil))})
	}
	ctx := c.begin()
	defer c.end()
	if p.rows == nil {
		res, err := p.ps.stmt.Execute(ctx, p.params)
		if err != nil {
			return c.portalFailed(m.Portal, err)
		}
		if ok, err := c.runCopy(ctx, res); ok {
			return c.finishPortalCopy(m.Portal, p, res, err)
		}
		p.rows = newRowStream(res, p.ps.cols, p.formats, c.sess.Settings())
	}
	// maxRows is an int32 on the wire; zero or negative means all rows, and
	// it is ignored for statements without rows.
	limit := max(int(int32(m.MaxRows)), 0)
	if p.ps.cols == nil {
		limit = 0
	}
	n, done, err := c.sendRows(ctx, p.rows, limit)
	if err != nil {
		if nerr := c.sendNotices(p.rows.res); nerr != nil {
			return nerr
		}
		return c.portalFailed(m.Portal, err)
	}
	p.executes++
	if !done {
		return c.send(&pgproto3.PortalSuspended{})
	}
	res := p.rows.res
	if err := c.sendNotices(res); err != nil {
		return err
	}
	tag := res.Tag()
	if p.executes > 1 && strings.HasPrefix(tag, "SELECT ") {
		// Like PostgreSQL, the tag of a portal run in pieces counts the
		// rows of the last piece.
		tag = "SELECT " + strconv.Itoa(n)
	}
	p.done, p.tag = true, tag
	err = c.complete(res, tag)
	p.finish()
	return err
}

// zeroRowTag is the tag of running a finished portal again.
func zeroRowTag(tag string, rows bool) string {
	if !rows {
		return tag
	}
	if i := strings.LastIndexByte(tag, ' '); i >= 0 {
		if _, err := strconv.Atoi(tag[i+1:]); err == nil {
			return tag[:i+1] + "0"
		}
	}
	return tag
}

// portalFailed drops a portal whose execution failed and reports the error.
func (c *conn) portalFailed(name string, err error) error {
	c.closePortal(name)
	return c.extError(err)
}

func (c *conn) close(m *pgproto3.Close) error {
	switch m.ObjectType {
	case 'S':
		c.dropStatement(m.Name)
	case 'P':
		c.closePortal(m.Name)
	default:
		return c.extError(sqlstate.New(sqlstate.ProtocolViolation, "invalid CLOSE message subtype %d", m.ObjectType))
	}
	// Closing something that does not exist is not an error.
	return c.send(&pgproto3.CloseComplete{})
}

// sync ends an extended-protocol cycle. EndImplicit is called at every Sync,
// as at the end of every Query: outside a transaction block it ends the
// implicit transaction (committing unless something failed); inside one,
// commit=false tells the session that a message of the block failed, even
// when the error was found here (a Bind the engine never saw). Outside a
// block the portals end with the transaction. Then ReadyForQuery.
func (c *conn) sync() error {
	failed := c.ext.failed
	c.ext.skipping, c.ext.failed = false, false
	if err := c.endImplicit(c.ctx, !failed); err != nil {
		return err
	}
	if c.sess.TxStatus() == 'I' {
		c.closeAllPortals()
	}
	return c.readyForQuery()
}

// finish closes a portal's Result once it is exhausted or abandoned.
func (p *portal) finish() {
	if p.rows != nil && p.rows.res != nil {
		p.rows.res.Close()
		p.rows.res, p.rows.rec, p.rows.encs = nil, nil, nil
	}
}

// closePortal closes and forgets a portal, if it exists.
func (c *conn) closePortal(name string) {
	p := c.ext.portals[name]
	if p == nil {
		return
	}
	delete(c.ext.portals, name)
	p.finish()
	c.release(p.ps)
}

// dropStatement forgets a prepared statement's name, if it exists.
func (c *conn) dropStatement(name string) {
	ps := c.ext.stmts[name]
	if ps == nil {
		return
	}
	delete(c.ext.stmts, name)
	c.release(ps)
}

// release drops one reference to a prepared statement.
func (c *conn) release(ps *prepared) {
	ps.refs--
	if ps.refs == 0 && ps.stmt != nil {
		ps.stmt.Close()
		ps.stmt = nil
	}
}

// dropUnnamed drops the unnamed statement and portal.
func (c *conn) dropUnnamed() {
	c.closePortal("")
	c.dropStatement("")
}

// closeAllPortals closes every portal, as a transaction end does.
func (c *conn) closeAllPortals() {
	for name := range c.ext.portals {
		c.closePortal(name)
	}
}

// closeAllStatements drops every prepared statement.
func (c *conn) closeAllStatements() {
	for name := range c.ext.stmts {
		c.dropStatement(name)
	}
}
