package pgwire_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgproto3/v2"
)

// wire is a raw pgproto3 frontend for scripted exchanges.
type wire struct {
	t    testing.TB
	conn net.Conn
	fe   *pgproto3.Frontend
}

// dial opens a raw connection without sending anything.
func dial(t testing.TB, addr string) *wire {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	t.Cleanup(func() { c.Close() })
	return &wire{t: t, conn: c, fe: pgproto3.NewFrontend(pgproto3.NewChunkReader(c), c)}
}

// connect opens a connection and runs the startup as psql would, up to the
// first ReadyForQuery.
func connect(t testing.TB, addr string) *wire {
	t.Helper()
	w := dial(t, addr)
	w.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber,
		Parameters: map[string]string{"user": "alice", "database": "db", "application_name": "psql"}})
	w.until("Z")
	return w
}

func (w *wire) send(msgs ...pgproto3.FrontendMessage) {
	w.t.Helper()
	var buf []byte
	for _, m := range msgs {
		b, err := m.Encode(nil)
		if err != nil {
			w.t.Fatal(err)
		}
		buf = append(buf, b...)
	}
	if _, err := w.conn.Write(buf); err != nil {
		w.t.Fatalf("send: %v", err)
	}
}

// writeRaw writes bytes as they are.
func (w *wire) writeRaw(b []byte) {
	w.t.Helper()
	if _, err := w.conn.Write(b); err != nil {
		w.t.Fatalf("write: %v", err)
	}
}

// recv returns the next message in the short form of short().
func (w *wire) recv() string {
	w.t.Helper()
	m, err := w.fe.Receive()
	if err != nil {
		w.t.Fatalf("receive: %v", err)
	}
	return short(m)
}

// until receives messages up to and including one whose short form starts
// with prefix, and returns them all.
func (w *wire) until(prefix string) []string {
	w.t.Helper()
	var got []string
	for {
		s := w.recv()
		got = append(got, s)
		if strings.HasPrefix(s, prefix) {
			return got
		}
	}
}

// expect receives as many ReadyForQuery-terminated cycles as want holds
// and compares the messages.
func (w *wire) expect(want ...string) {
	w.t.Helper()
	var got []string
	for _, s := range want {
		if strings.HasPrefix(s, "Z") {
			got = append(got, w.until("Z")...)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		w.t.Fatalf("got messages:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// expectClosed checks that the server closes the connection without
// sending anything more.
func (w *wire) expectClosed() {
	w.t.Helper()
	var b [1]byte
	n, err := w.conn.Read(b[:])
	// A close with unread input in the server's socket is a reset.
	if err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
		w.t.Fatalf("read after close = %d, %v; want EOF", n, err)
	}
}

// startupPacket encodes a StartupMessage of any version with parameters in
// the order given.
func startupPacket(major, minor uint16, kv ...string) []byte {
	b := []byte{0, 0, 0, 0}
	b = binary.BigEndian.AppendUint16(b, major)
	b = binary.BigEndian.AppendUint16(b, minor)
	for _, s := range kv {
		b = append(b, s...)
		b = append(b, 0)
	}
	b = append(b, 0)
	binary.BigEndian.PutUint32(b, uint32(len(b)))
	return b
}

// codePacket encodes an 8-byte SSLRequest or GSSENCRequest.
func codePacket(code uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{0, 0, 0, 8}, code)
}

// short renders a backend message compactly for comparisons:
//
//	R ok | R sasl | T name:oid/format … | D v|v|NULL | C tag | E code message
//	N code message | S name=value | K | Z status | 1 2 3 | n | s | I | t oid,…
func short(m pgproto3.BackendMessage) string {
	switch m := m.(type) {
	case *pgproto3.AuthenticationOk:
		return "R ok"
	case *pgproto3.AuthenticationSASL:
		return "R sasl " + strings.Join(m.AuthMechanisms, ",")
	case *pgproto3.RowDescription:
		var f []string
		for _, fd := range m.Fields {
			f = append(f, fmt.Sprintf("%s:%d/%d", fd.Name, fd.DataTypeOID, fd.Format))
		}
		return "T " + strings.Join(f, " ")
	case *pgproto3.DataRow:
		var v []string
		for _, x := range m.Values {
			if x == nil {
				v = append(v, "NULL")
			} else {
				v = append(v, string(x))
			}
		}
		return "D " + strings.Join(v, "|")
	case *pgproto3.CommandComplete:
		return "C " + string(m.CommandTag)
	case *pgproto3.ErrorResponse:
		s := "E " + m.Severity + " " + m.Code + " " + m.Message
		if m.Position != 0 {
			s += fmt.Sprintf(" @%d", m.Position)
		}
		return s
	case *pgproto3.NoticeResponse:
		return "N " + m.Severity + " " + m.Code + " " + m.Message
	case *pgproto3.ParameterStatus:
		return "S " + m.Name + "=" + m.Value
	case *pgproto3.BackendKeyData:
		return "K"
	case *pgproto3.ReadyForQuery:
		return "Z " + string(m.TxStatus)
	case *pgproto3.ParseComplete:
		return "1"
	case *pgproto3.BindComplete:
		return "2"
	case *pgproto3.CloseComplete:
		return "3"
	case *pgproto3.NoData:
		return "n"
	case *pgproto3.PortalSuspended:
		return "s"
	case *pgproto3.EmptyQueryResponse:
		return "I"
	case *pgproto3.ParameterDescription:
		var o []string
		for _, oid := range m.ParameterOIDs {
			o = append(o, fmt.Sprint(oid))
		}
		return "t " + strings.Join(o, ",")
	}
	return fmt.Sprintf("%T", m)
}
