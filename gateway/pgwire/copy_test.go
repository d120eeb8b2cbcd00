package pgwire_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"
	"github.com/jackc/pgproto3/v2"

	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/pgwire"
)

// The fake engine's COPY statements:
//
//	copy in        COPY FROM STDIN, text, 2 columns: counts the lines of the
//	               data; a line "bad" fails with 22P04; a line "\." ends the
//	               data early (the rest is dropped by the protocol layer)
//	copy out N     COPY TO STDOUT of N rows "i\n"
func fakeCopy(f []string) (pgwire.Statement, error) {
	st := &fakeCopyStmt{in: f[1] == "in"}
	if !st.in {
		if len(f) != 3 {
			return nil, sqlstate.New(sqlstate.SyntaxError, "copy out N")
		}
		n, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, sqlstate.New(sqlstate.SyntaxError, "bad row count")
		}
		st.n = n
	}
	return st, nil
}

type fakeCopyStmt struct {
	in bool
	n  int
}

func (st *fakeCopyStmt) ParamOIDs() []uint32      { return nil }
func (st *fakeCopyStmt) Columns() []pgwire.Column { return nil }
func (st *fakeCopyStmt) Close()                   {}

func (st *fakeCopyStmt) Execute(ctx context.Context, _ []scalar.Scalar) (pgwire.Result, error) {
	if st.in {
		return &fakeCopyIn{}, nil
	}
	return &fakeCopyOut{n: st.n}, nil
}

type fakeCopyResult struct{ rows int }

func (r *fakeCopyResult) Next(context.Context) (arrow.Record, error) { return nil, io.EOF }
func (r *fakeCopyResult) Tag() string                                { return "COPY " + strconv.Itoa(r.rows) }
func (r *fakeCopyResult) Notices() []error                           { return nil }
func (r *fakeCopyResult) ParameterChanges() []pgwire.Parameter       { return nil }
func (r *fakeCopyResult) Close()                                     {}
func (r *fakeCopyResult) CopyFormat() (int16, []int16)               { return 0, []int16{0, 0} }

type fakeCopyIn struct{ fakeCopyResult }

func (r *fakeCopyIn) CopyFrom(ctx context.Context, src io.Reader) error {
	var line bytes.Buffer
	var b [1]byte
	for {
		if _, err := src.Read(b[:]); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if b[0] != '\n' {
			line.WriteByte(b[0])
			continue
		}
		switch line.String() {
		case "bad":
			return sqlstate.New("22P04", "bad line").WithWhere("COPY fake, line %d", r.rows+1)
		case `\.`:
			return nil
		}
		r.rows++
		line.Reset()
	}
}

type fakeCopyOut struct {
	fakeCopyResult
	n int
}

func (r *fakeCopyOut) CopyTo(ctx context.Context, w io.Writer) error {
	for i := range r.n {
		if _, err := w.Write([]byte(strconv.Itoa(i) + "\n")); err != nil {
			return err
		}
		r.rows++
	}
	return nil
}

func copyData(s string) *pgproto3.CopyData { return &pgproto3.CopyData{Data: []byte(s)} }

const (
	copyIn   = "*pgproto3.CopyInResponse"
	copyOut  = "*pgproto3.CopyOutResponse"
	copyRow  = "*pgproto3.CopyData"
	copyDone = "*pgproto3.CopyDone"
)

func TestCopySimpleProtocol(t *testing.T) {
	ts := startServer(t, pgwire.Config{})
	w := connect(t, ts.addr)
	// Data split across messages, sent before CopyInResponse.
	w.send(&pgproto3.Query{String: "copy in"}, copyData("a\nb"), copyData("\nc\n"), &pgproto3.CopyDone{})
	w.expect(copyIn, "C COPY 3", "Z I")
	// \. ends the data; what follows up to CopyDone is dropped.
	w.send(&pgproto3.Query{String: "copy in"}, copyData("a\n\\.\nignored\n"), copyData("more\n"), &pgproto3.CopyDone{})
	w.expect(copyIn, "C COPY 1", "Z I")
	// A bad line: ErrorResponse and ReadyForQuery at once, the rest of the
	// data is dropped when it arrives.
	w.send(&pgproto3.Query{String: "copy in"}, copyData("a\nbad\nc\n"), copyData("d\n"), &pgproto3.CopyDone{}, &pgproto3.Query{String: "select 1"})
	w.expect(copyIn, "E ERROR 22P04 bad line", "Z I", "T ?column?:23/0", "D 1", "C SELECT 1", "Z I")
	// CopyFail.
	w.send(&pgproto3.Query{String: "copy in"}, copyData("a\n"), &pgproto3.CopyFail{Message: "client said no"})
	w.expect(copyIn, "E ERROR 57014 COPY from stdin failed: client said no", "Z I")
	// Flush and Sync are ignored during COPY IN; other messages are 08P01.
	w.send(&pgproto3.Query{String: "copy in"}, copyData("a\n"), &pgproto3.Flush{}, &pgproto3.Sync{}, copyData("b\n"), &pgproto3.CopyDone{})
	w.expect(copyIn, "C COPY 2", "Z I")
	w.send(&pgproto3.Query{String: "copy in"}, copyData("a\n"), &pgproto3.Query{String: "select 1"}, &pgproto3.CopyDone{})
	w.expect(copyIn, "E ERROR 08P01 unexpected message type 0x51 during COPY from stdin", "Z I")
	// COPY OUT, then a COPY in the middle of a multi-statement Query.
	w.send(&pgproto3.Query{String: "copy out 2"})
	w.expect(copyOut, copyRow, copyRow, copyDone, "C COPY 2", "Z I")
	w.send(&pgproto3.Query{String: "select 1; copy out 1; select 1"})
	w.expect("T ?column?:23/0", "D 1", "C SELECT 1", copyOut, copyRow, copyDone, "C COPY 1", "T ?column?:23/0", "D 1", "C SELECT 1", "Z I")
}

func TestCopyExtendedProtocol(t *testing.T) {
	ts := startServer(t, pgwire.Config{})
	w := connect(t, ts.addr)
	run := []pgproto3.FrontendMessage{&pgproto3.Parse{Query: "copy in"}, &pgproto3.Bind{}, &pgproto3.Execute{}}
	w.send(append(run, copyData("a\nb\n"), &pgproto3.CopyDone{}, &pgproto3.Sync{})...)
	w.expect("1", "2", copyIn, "C COPY 2", "Z I")
	// After an error everything up to Sync is discarded.
	w.send(append(run, copyData("bad\n"), copyData("x\n"), &pgproto3.CopyDone{}, &pgproto3.Parse{Query: "select 1"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})...)
	w.expect("1", "2", copyIn, "E ERROR 22P04 bad line", "Z I")
	w.send(&pgproto3.Parse{Query: "copy out 3"}, &pgproto3.Bind{}, &pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{}, &pgproto3.Sync{})
	w.expect("1", "2", "n", copyOut, copyRow, copyRow, copyRow, copyDone, "C COPY 3", "Z I")
}

// TestCopyDataSize: CopyData is bounded by MaxMessageSize like Query.
func TestCopyDataSize(t *testing.T) {
	ts := startServer(t, pgwire.Config{MaxMessageSize: 1 << 10})
	w := connect(t, ts.addr)
	w.send(&pgproto3.Query{String: "copy in"}, copyData(strings.Repeat("x", 1000)+"\n"), &pgproto3.CopyDone{})
	w.expect(copyIn, "C COPY 1", "Z I")
	w.send(&pgproto3.Query{String: "copy in"})
	w.until(copyIn)
	w.writeRaw(binary.BigEndian.AppendUint32([]byte{'d'}, 1<<10+5))
	if got := w.recv(); got != "E FATAL 08P01 invalid message length" {
		t.Fatalf("got %q", got)
	}
	w.expectClosed()
}
