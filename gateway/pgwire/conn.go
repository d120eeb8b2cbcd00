package pgwire

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/jackc/pgproto3/v2"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// writeBufSize is the output buffer: DataRows accumulate in it and go out in
// writes of about this size (pg-compat §2.6; PostgreSQL's own is 8 KiB, but
// larger writes cost fewer syscalls per row on the hot path).
const writeBufSize = 64 << 10

// conn is one client connection. All its fields are owned by its goroutine
// (serve), except act, which a CancelRequest reaches from another
// connection's goroutine, and ctx/cancel, which Shutdown uses.
type conn struct {
	srv *Server
	raw net.Conn // the accepted socket: deadlines and forced closes act on it
	nc  net.Conn // raw, or the TLS connection over it
	log *slog.Logger

	// ctx is the connection's own cancellation: Shutdown cancels it with
	// errShutdown. It is the parent of every statement context.
	ctx    context.Context
	cancel context.CancelCauseFunc

	tlsOn bool
	rd    *msgReader
	bw    *bufio.Writer
	be    *pgproto3.Backend

	pid, key uint32
	sess     Session
	act      activity // what a CancelRequest may cancel (cancel.go)
	ext      extState // prepared statements and portals (extended.go)

	scratch []byte // reused buffer for rows too large for bw (rows.go)
}

func newConn(s *Server, nc net.Conn) *conn {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &conn{
		srv:    s,
		raw:    nc,
		nc:     nc,
		log:    s.log.With("remote", nc.RemoteAddr().String()),
		ctx:    ctx,
		cancel: cancel,
	}
}

// terminate asks the connection to stop for a server shutdown: its running
// statement is cancelled, a blocked read returns at once, and writes get a
// grace period. The connection's goroutine then sends FATAL 57P01 and
// closes. It is called with s.mu held, from Shutdown's goroutine.
func (c *conn) terminate() {
	c.cancel(errShutdown)
	now := time.Now()
	_ = c.raw.SetReadDeadline(now)
	_ = c.raw.SetWriteDeadline(now.Add(shutdownGrace))
}

func (c *conn) shuttingDown() bool { return context.Cause(c.ctx) == errShutdown }

// serve runs the connection from its first packet to its close. It is the
// connection goroutine's body (Server.start) and returns when the client
// goes away, sends Terminate, gets a FATAL error, or the server shuts down.
// A panic is logged as a bug and answered with FATAL XX000; it never
// reaches the server.
func (c *conn) serve() {
	defer c.cancel(nil)
	defer c.raw.Close()
	defer func() {
		if r := recover(); r != nil {
			err := recovered(r)
			c.logBug(err)
			func() {
				defer func() { _ = recover() }() // the goodbye is best effort
				c.sayFatal(err)
			}()
		}
	}()
	err := c.run()
	c.logEnd(err)
}

// run is the lifecycle of doc.go: startup, authentication, session start,
// then the message loop.
func (c *conn) run() error {
	_ = c.raw.SetDeadline(time.Now().Add(c.srv.cfg.AuthTimeout))
	st, err := c.startup()
	if err != nil {
		if errors.Is(err, errCancelHandled) {
			return nil
		}
		c.sayFatal(err)
		return err
	}
	c.rd = newMsgReader(c.nc, c.srv.cfg.MaxMessageSize, c.beforeRead)
	c.bw = bufio.NewWriterSize(c.nc, writeBufSize)
	c.be = pgproto3.NewBackend(c.rd, c.bw)
	c.log = c.log.With("user", st.User)
	// As in PostgreSQL, NegotiateProtocolVersion precedes the checks of
	// the parameters.
	if st.needsNegotiation() {
		c.bw.Write(appendNegotiateProtocolVersion(c.bw.AvailableBuffer(), 0, st.ProtocolOptions))
	}
	if err := checkStartup(&st); err != nil {
		c.sayFatal(err)
		return err
	}
	if err := c.authenticate(st.User); err != nil {
		c.sayFatal(err)
		return err
	}
	_ = c.raw.SetDeadline(time.Time{})
	if err := c.srv.register(c); err != nil {
		c.sayFatal(err)
		return err
	}
	c.log = c.log.With("pid", c.pid)
	defer c.releaseActivity()

	sess, err := c.srv.engine.NewSession(c.ctx, Startup{
		User:      st.User,
		Database:  st.Database,
		Params:    st.Params,
		ProcessID: c.pid,
	})
	if err != nil {
		err = &fatalError{err: err}
		c.sayFatal(err)
		return err
	}
	c.sess = sess
	defer c.closeSession()
	for _, p := range sess.ParameterStatus() {
		if err := c.send(&pgproto3.ParameterStatus{Name: p.Name, Value: p.Value}); err != nil {
			return err
		}
	}
	if err := c.send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.key}); err != nil {
		return err
	}
	if err := c.readyForQuery(); err != nil {
		return err
	}
	c.log.Debug("session started", "database", st.Database)
	err = c.loop()
	var re *reportedError
	if err != nil && !errors.As(err, &re) {
		c.sayFatal(err)
	}
	return err
}

// closeSession ends the engine session: portals and statements first.
func (c *conn) closeSession() {
	c.closeAllPortals()
	c.closeAllStatements()
	c.sess.Close()
}

// loop reads and handles messages until the connection must end.
func (c *conn) loop() error {
	for {
		msg, err := c.receive()
		if err != nil {
			return err
		}
		if c.ext.skipping {
			// After an error in the extended protocol everything up to
			// Sync is discarded (pg-compat §3.2).
			switch msg.(type) {
			case *pgproto3.Sync, *pgproto3.Terminate:
			default:
				continue
			}
		}
		if _, ok := msg.(*pgproto3.Terminate); ok {
			return nil
		}
		if err := c.handle(msg); err != nil {
			return err
		}
	}
}

// handle dispatches one message. A panic while handling it is a bug: it is
// logged, answered with XX000 as an ordinary error, and the connection goes
// on (pg-compat §3.8).
func (c *conn) handle(msg pgproto3.FrontendMessage) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = c.afterPanic(msg, recovered(r))
		}
	}()
	switch m := msg.(type) {
	case *pgproto3.Query:
		return c.simpleQuery(m.String)
	case *pgproto3.Parse:
		return c.parse(m)
	case *pgproto3.Bind:
		return c.bind(m)
	case *pgproto3.Describe:
		return c.describe(m)
	case *pgproto3.Execute:
		return c.execute(m)
	case *pgproto3.Close:
		return c.close(m)
	case *pgproto3.Sync:
		return c.sync()
	case *pgproto3.Flush:
		return c.flush()
	case *pgproto3.FunctionCall:
		// The fastpath interface (libpq large objects) is not served.
		if err := c.sendError(sqlstate.New(sqlstate.FeatureNotSupported, "fastpath function calls are not supported")); err != nil {
			return err
		}
		return c.readyForQuery()
	case *pgproto3.CopyData, *pgproto3.CopyDone, *pgproto3.CopyFail:
		// Outside COPY these are dropped, as PostgreSQL does: they are
		// the tail of a COPY that already failed.
		return nil
	}
	return fatalf(sqlstate.ProtocolViolation, "invalid frontend message type %T", msg)
}

// afterPanic reports a panic caught in handle and puts the connection back in
// a state the client understands: the message it was handling failed.
func (c *conn) afterPanic(msg pgproto3.FrontendMessage, perr error) error {
	c.end()
	if err := c.sendError(perr); err != nil {
		return err
	}
	switch m := msg.(type) {
	case *pgproto3.Query:
		if err := c.endImplicit(c.ctx, false); err != nil {
			return err
		}
		return c.readyForQuery()
	case *pgproto3.Sync, *pgproto3.FunctionCall:
		return c.readyForQuery()
	case *pgproto3.Execute:
		c.closePortal(m.Portal) // its Result is in an unknown state
	}
	c.ext.skipping, c.ext.failed = true, true
	return nil
}

// receive reads the next message. pgproto3/v2 decoders index past the end of
// some malformed messages; such a panic is a protocol violation by the
// client, not a bug of ours.
func (c *conn) receive() (msg pgproto3.FrontendMessage, err error) {
	defer func() {
		if r := recover(); r != nil {
			msg, err = nil, fatalf(sqlstate.ProtocolViolation, "invalid message format")
		}
	}()
	msg, err = c.be.Receive()
	if err == nil {
		return msg, nil
	}
	var fe *fatalError
	var ie *ioError
	switch {
	case c.shuttingDown():
		return nil, errAdminShutdown()
	case errors.As(err, &fe), errors.As(err, &ie):
		return nil, err
	}
	// Anything else is a decoding failure of a framed message.
	return nil, &fatalError{err: sqlstate.Wrap(err, sqlstate.ProtocolViolation, "invalid message format")}
}

// beforeRead runs before every read that can block (msgReader): what is
// buffered goes out first, so a client waiting for an answer gets it, and a
// shutdown is noticed even if a deadline set by terminate was cleared.
func (c *conn) beforeRead() error {
	if c.shuttingDown() {
		return errAdminShutdown()
	}
	return c.flush()
}

// send encodes msg straight into the output buffer.
func (c *conn) send(msg pgproto3.BackendMessage) error {
	b, err := msg.Encode(c.bw.AvailableBuffer())
	if err != nil {
		return &fatalError{err: sqlstate.Wrap(err, sqlstate.InternalError, "")}
	}
	if _, err := c.bw.Write(b); err != nil {
		return &ioError{err: err}
	}
	return nil
}

// flush writes out everything buffered.
func (c *conn) flush() error {
	if c.bw.Buffered() == 0 {
		return nil
	}
	if err := c.bw.Flush(); err != nil {
		return &ioError{err: err}
	}
	return nil
}

// readyForQuery ends a cycle: ReadyForQuery with the session's transaction
// status, then a flush.
func (c *conn) readyForQuery() error {
	if err := c.send(&pgproto3.ReadyForQuery{TxStatus: c.sess.TxStatus()}); err != nil {
		return err
	}
	return c.flush()
}

// sayFatal sends err as a FATAL ErrorResponse if it is one the client should
// see, on whatever output the connection has reached. Errors are best
// effort: the connection is closing anyway.
func (c *conn) sayFatal(err error) {
	var ie *ioError
	var re *reportedError
	switch {
	case err == nil, errors.As(err, &ie), errors.As(err, &re), errors.Is(err, errBadStartupLength):
		return
	}
	msg, _ := c.errorResponse(err)
	msg.Severity, msg.SeverityUnlocalized = severityFatal, severityFatal
	if c.bw == nil {
		b, _ := msg.Encode(nil)
		_ = c.writeRaw(b)
		return
	}
	if c.send(msg) == nil {
		_ = c.flush()
	}
}

// writeRaw writes unbuffered to the connection, for the startup phase.
func (c *conn) writeRaw(b []byte) error {
	if _, err := c.nc.Write(b); err != nil {
		return &ioError{err: err}
	}
	return nil
}
