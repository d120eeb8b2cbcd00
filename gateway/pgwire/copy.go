package pgwire

import (
	"context"
	"encoding/binary"
	"io"

	"github.com/jackc/pgproto3/v2"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// COPY (pg-compat §3.6). A statement whose Result implements CopyIn or
// CopyOut switches the connection into copy mode for the rest of its
// execution; the engine says which, and with what formats, and this file
// does the framing:
//
//	COPY IN:  CopyInResponse ─▶ client: CopyData* (CopyDone | CopyFail)
//	          the payloads reach CopyIn.CopyFrom as one io.Reader (copyReader),
//	          read one message at a time from the connection: nothing is
//	          buffered beyond the message being read, and CopyData is bounded
//	          by MaxMessageSize like any large message (reader.go)
//	COPY OUT: CopyOutResponse ─▶ CopyData per Write of CopyOut.CopyTo ─▶ CopyDone
//	then CommandComplete "COPY n", as for any statement.
//
// Flush and Sync are ignored during COPY IN, as PostgreSQL ignores them;
// any other message is 08P01. On an error the usual paths take over: the
// simple protocol reports it and answers ReadyForQuery, the extended one
// discards until Sync; the CopyData, CopyDone and CopyFail the client
// still sends are dropped by conn.handle. The client may send its data
// before it sees CopyInResponse: messages are read in order either way.
// Cancellation is checked before each message is read, so a cancelled COPY
// stops at the client's next CopyData.

// runCopy runs the copy phase of res if it is a COPY. handled is false
// for other results. err is the statement's error (to report) or a
// connection-ending one.
func (c *conn) runCopy(ctx context.Context, res Result) (handled bool, err error) {
	switch r := res.(type) {
	case CopyIn:
		return true, c.copyIn(ctx, r)
	case CopyOut:
		return true, c.copyOut(ctx, r)
	}
	return false, nil
}

func (c *conn) copyIn(ctx context.Context, ci CopyIn) error {
	overall, cols := ci.CopyFormat()
	if err := c.send(&pgproto3.CopyInResponse{OverallFormat: byte(overall), ColumnFormatCodes: formatCodes(cols)}); err != nil {
		return err
	}
	if err := c.flush(); err != nil {
		return err
	}
	r := &copyReader{c: c, ctx: ctx}
	err := ci.CopyFrom(ctx, r)
	if r.fatal != nil {
		return r.fatal
	}
	if err != nil {
		return err
	}
	// The engine may stop before CopyDone (the text format's \. line):
	// the rest of the data is read and dropped, as PostgreSQL does.
	if _, err := io.Copy(io.Discard, r); err != nil {
		if r.fatal != nil {
			return r.fatal
		}
		return err
	}
	return nil
}

// copyReader is the client's COPY data as a byte stream.
type copyReader struct {
	c   *conn
	ctx context.Context
	buf []byte // the rest of the current CopyData payload (the read buffer's)
	err error  // sticky: io.EOF after CopyDone, the CopyFail error, …
	// fatal is a failure that ends the connection (socket, protocol).
	fatal error
}

func (r *copyReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if err := r.ctx.Err(); err != nil {
			r.err = err
			return 0, err
		}
		msg, err := r.c.receive()
		if err != nil {
			r.err, r.fatal = err, err
			return 0, err
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			r.buf = m.Data
		case *pgproto3.CopyDone:
			r.err = io.EOF
		case *pgproto3.CopyFail:
			r.err = sqlstate.New(sqlstate.QueryCanceled, "COPY from stdin failed: %s", m.Message)
		case *pgproto3.Flush, *pgproto3.Sync:
		case *pgproto3.Terminate:
			r.err = &ioError{err: io.ErrUnexpectedEOF}
			r.fatal = r.err
		default:
			r.err = sqlstate.New(sqlstate.ProtocolViolation, "unexpected message type 0x%02X during COPY from stdin", messageType(msg))
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// messageType is the type byte of a frontend message, for errors.
func messageType(msg pgproto3.FrontendMessage) byte {
	b, err := msg.Encode(nil)
	if err != nil || len(b) == 0 {
		return 0
	}
	return b[0]
}

func (c *conn) copyOut(ctx context.Context, co CopyOut) error {
	overall, cols := co.CopyFormat()
	if err := c.send(&pgproto3.CopyOutResponse{OverallFormat: byte(overall), ColumnFormatCodes: formatCodes(cols)}); err != nil {
		return err
	}
	if err := co.CopyTo(ctx, copyWriter{c}); err != nil {
		return err
	}
	return c.send(&pgproto3.CopyDone{})
}

// copyWriter frames each Write as one CopyData message in the output
// buffer.
type copyWriter struct{ c *conn }

func (w copyWriter) Write(p []byte) (int, error) {
	c := w.c
	if c.bw.Available() < 5+len(p) {
		if err := c.flush(); err != nil {
			return 0, err
		}
	}
	var hdr [5]byte
	hdr[0] = 'd'
	binary.BigEndian.PutUint32(hdr[1:], uint32(4+len(p)))
	if _, err := c.bw.Write(hdr[:]); err != nil {
		return 0, &ioError{err: err}
	}
	if _, err := c.bw.Write(p); err != nil {
		return 0, &ioError{err: err}
	}
	return len(p), nil
}

func formatCodes(cols []int16) []uint16 {
	out := make([]uint16, len(cols))
	for i, f := range cols {
		out[i] = uint16(f)
	}
	return out
}

// finishCopy ends a COPY of the simple protocol: its notices, then
// CommandComplete; an error goes back to simpleQuery to be reported.
func (c *conn) finishCopy(res Result, err error) error {
	if nerr := c.sendNotices(res); nerr != nil {
		return nerr
	}
	if err != nil {
		return err
	}
	return c.complete(res, res.Tag())
}

// finishPortalCopy ends a COPY run by Execute: the portal is done (a
// later Execute answers with the tag, as for any finished portal) or, on
// error, dropped, and the extended protocol discards until Sync.
func (c *conn) finishPortalCopy(name string, p *portal, res Result, err error) error {
	defer res.Close()
	if nerr := c.sendNotices(res); nerr != nil {
		return nerr
	}
	if err != nil {
		return c.portalFailed(name, err)
	}
	p.executes++
	p.done, p.tag = true, res.Tag()
	return c.complete(res, p.tag)
}
