package pgwire

import (
	"context"
	"unicode/utf8"

	"github.com/jackc/pgproto3/v2"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// The simple query protocol (pg-compat §3.1): one Query message may hold
// several statements; each gets RowDescription (text formats), DataRows,
// NoticeResponses and CommandComplete, followed by the ParameterStatus of
// any setting it changed. The first error skips the rest of the message.
// The statements form one implicit transaction, ended by EndImplicit, and
// the message ends with one ReadyForQuery.

// simpleQuery handles a Query message. The returned error ends the
// connection; statement errors are reported to the client here.
func (c *conn) simpleQuery(text string) error {
	// Like exec_simple_query, a Query drops the unnamed statement and
	// portal of the extended protocol.
	c.dropUnnamed()

	ctx := c.begin()
	defer c.end()
	failed := false
	pieces, err := c.sess.Split(text)
	if err != nil {
		if err := c.sendError(err); err != nil {
			return err
		}
		failed = true
	} else if len(pieces) == 0 {
		if err := c.send(&pgproto3.EmptyQueryResponse{}); err != nil {
			return err
		}
	}
	for _, p := range pieces {
		if failed {
			break
		}
		if err := c.runStatement(ctx, text, p); err != nil {
			if err := c.sendError(err); err != nil {
				return err
			}
			failed = true
		}
	}
	c.end()
	// Ending the transaction is not interrupted by a CancelRequest: the
	// connection's own context still stops it at shutdown.
	if err := c.endImplicit(c.ctx, !failed); err != nil {
		return err
	}
	if c.sess.TxStatus() == 'I' {
		c.closeAllPortals()
	}
	return c.readyForQuery()
}

// runStatement prepares, executes and streams one statement of a Query.
// Errors it returns are the statement's, to be reported by the caller, or
// socket failures.
func (c *conn) runStatement(ctx context.Context, text string, p Piece) error {
	st, err := c.sess.Prepare(ctx, p.Text, nil)
	if err != nil {
		return shiftPosition(err, text, p.Offset)
	}
	defer st.Close()
	res, err := st.Execute(ctx, nil)
	if err != nil {
		return shiftPosition(err, text, p.Offset)
	}
	defer res.Close()
	if ok, err := c.runCopy(ctx, res); ok {
		return c.finishCopy(res, err)
	}
	cols := st.Columns()
	if cols != nil {
		if err := c.send(rowDescription(cols, nil)); err != nil {
			return err
		}
	}
	rs := newRowStream(res, cols, textFormats(len(cols)), c.sess.Settings())
	_, _, err = c.sendRows(ctx, rs, 0)
	if nerr := c.sendNotices(res); nerr != nil {
		return nerr
	}
	if err != nil {
		return shiftPosition(err, text, p.Offset)
	}
	return c.complete(res, res.Tag())
}

// complete sends CommandComplete with tag, then the ParameterStatus of
// every setting the statement changed (pg-compat §2.4: that order).
func (c *conn) complete(res Result, tag string) error {
	if err := c.send(&pgproto3.CommandComplete{CommandTag: []byte(tag)}); err != nil {
		return err
	}
	for _, p := range res.ParameterChanges() {
		if err := c.send(&pgproto3.ParameterStatus{Name: p.Name, Value: p.Value}); err != nil {
			return err
		}
	}
	return nil
}

// sendNotices sends the notices a statement raised, before its
// CommandComplete or ErrorResponse.
func (c *conn) sendNotices(res Result) error {
	for _, n := range res.Notices() {
		if err := c.send(noticeResponse(n)); err != nil {
			return err
		}
	}
	return nil
}

// endImplicit ends the implicit transaction; a failure (a commit that
// cannot be made) is reported to the client as an error.
func (c *conn) endImplicit(ctx context.Context, commit bool) error {
	if err := c.sess.EndImplicit(ctx, commit); err != nil {
		return c.sendError(err)
	}
	return nil
}

// shiftPosition makes the position of a statement's error count from the
// start of the message: the engine saw only the statement, which starts at
// byte offset in text, and positions are in characters.
func shiftPosition(err error, text string, offset int) error {
	se := sqlstate.As(err)
	if se == nil || se.Position <= 0 || offset <= 0 || offset > len(text) {
		return err
	}
	return se.WithPosition(se.Position + utf8.RuneCountInString(text[:offset]))
}
