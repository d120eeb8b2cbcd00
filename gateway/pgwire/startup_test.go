package pgwire_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgproto3/v2"
	pgproto3v5 "github.com/jackc/pgx/v5/pgproto3"

	"github.com/lancegate/lancegate/gateway/pgwire"
)

// TestClientStartupParameters replays the StartupMessage of each client of
// pg-compat §2.2; every one must reach ReadyForQuery, with the parameters
// handed to the engine.
func TestClientStartupParameters(t *testing.T) {
	ts := startServer(t, pgwire.Config{})
	clients := map[string]map[string]string{
		"psql":          {"user": "alice", "database": "db", "application_name": "psql"},
		"pgjdbc":        {"user": "alice", "database": "db", "client_encoding": "UTF8", "DateStyle": "ISO", "TimeZone": "Etc/UTC", "extra_float_digits": "2"},
		"libpq":         {"user": "alice", "database": "db", "application_name": "django", "options": "-c search_path=app"},
		"pgx":           {"user": "alice", "database": "db"},
		"lib/pq":        {"user": "alice", "database": "db", "application_name": "", "client_encoding": "UTF8", "datestyle": "ISO, MDY"},
		"node-postgres": {"user": "alice", "database": "db", "application_name": "", "client_encoding": "UTF8"},
		"prisma":        {"user": "alice", "database": "db", "application_name": "prisma", "options": "", "search_path": "public"},
		"no database":   {"user": "alice"},
	}
	for name, params := range clients {
		t.Run(name, func(t *testing.T) {
			w := dial(t, ts.addr)
			w.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: params})
			w.until("Z")
			st := ts.eng.lastSession().st
			wantDB := params["database"]
			if wantDB == "" {
				wantDB = "alice" // database defaults to the user
			}
			if st.User != "alice" || st.Database != wantDB {
				t.Fatalf("startup = %+v", st)
			}
			for k, v := range params {
				if k != "user" && k != "database" && st.Params[k] != v {
					t.Fatalf("param %s = %q; want %q", k, st.Params[k], v)
				}
			}
		})
	}
}

func TestStartupErrors(t *testing.T) {
	ts := startServer(t, pgwire.Config{})
	tests := []struct {
		name   string
		packet []byte
		want   string
	}{
		{"missing user", startupPacket(3, 0, "database", "db"), "E FATAL 28000 no PostgreSQL user name specified in startup packet"},
		{"protocol 4.0", startupPacket(4, 0, "user", "alice"), "E FATAL 0A000 unsupported frontend protocol 4.0: server supports 3.0 to 3.0"},
		{"protocol 2.0", startupPacket(2, 0, "user", "alice"), "E FATAL 0A000 unsupported frontend protocol 2.0: server supports 3.0 to 3.0"},
		{"replication", startupPacket(3, 0, "user", "alice", "replication", "database"), "E FATAL 0A000 replication connections are not supported"},
		{"no terminator", startupPacket(3, 0, "user", "alice", "x")[:19], "E FATAL 08P01 invalid startup packet layout: expected terminator as last byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := dial(t, ts.addr)
			pkt := tt.packet
			pkt[0], pkt[1], pkt[2], pkt[3] = byte(len(pkt)>>24), byte(len(pkt)>>16), byte(len(pkt)>>8), byte(len(pkt))
			w.writeRaw(pkt)
			if got := w.recv(); got != tt.want {
				t.Fatalf("got %q; want %q", got, tt.want)
			}
			w.expectClosed()
		})
	}
	t.Run("bad length is closed silently", func(t *testing.T) {
		w := dial(t, ts.addr)
		w.writeRaw([]byte{0x7f, 0, 0, 0, 0, 3, 0, 0})
		w.expectClosed()
	})
	t.Run("replication off is a normal connection", func(t *testing.T) {
		w := dial(t, ts.addr)
		w.writeRaw(startupPacket(3, 0, "user", "alice", "replication", "false"))
		w.until("Z")
	})
}

// TestSSLRequestWithoutTLS: 'N', then the StartupMessage on the same socket
// (libpq, pgjdbc, lib/pq); GSSENCRequest likewise, and both in a row.
func TestSSLRequestWithoutTLS(t *testing.T) {
	ts := startServer(t, pgwire.Config{})
	for _, codes := range [][]uint32{{80877103}, {80877104}, {80877104, 80877103}} {
		t.Run(fmt.Sprint(codes), func(t *testing.T) {
			w := dial(t, ts.addr)
			for _, code := range codes {
				w.writeRaw(codePacket(code))
				var b [1]byte
				if _, err := io.ReadFull(w.conn, b[:]); err != nil || b[0] != 'N' {
					t.Fatalf("answer = %q, %v; want N", b[0], err)
				}
			}
			w.writeRaw(startupPacket(3, 0, "user", "alice"))
			w.until("Z")
		})
	}
	t.Run("pgx sslmode=prefer", func(t *testing.T) {
		c := pgxConnect(t, strings.Replace(ts.url(""), "sslmode=disable", "sslmode=prefer", 1))
		if c.PgConn().Conn() == nil {
			t.Fatal("no connection")
		}
	})
}

// selfSigned returns a TLS config with a fresh self-signed certificate.
func selfSigned(t testing.TB) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

func TestTLS(t *testing.T) {
	ts := startServer(t, pgwire.Config{TLS: selfSigned(t)})
	for _, extra := range []string{"sslmode=require", "sslmode=require&sslnegotiation=direct"} {
		t.Run(extra, func(t *testing.T) {
			c := pgxConnect(t, strings.Replace(ts.url(""), "sslmode=disable", extra, 1))
			if _, ok := c.PgConn().Conn().(*tls.Conn); !ok {
				t.Fatalf("connection is %T; want TLS", c.PgConn().Conn())
			}
			var one int32
			if err := c.QueryRow(context.Background(), "select 1").Scan(&one); err != nil || one != 1 {
				t.Fatalf("select 1 = %d, %v", one, err)
			}
		})
	}
	t.Run("cancel over TLS", func(t *testing.T) {
		c := pgxConnect(t, strings.Replace(ts.url(""), "sslmode=disable", "sslmode=require", 1))
		if err := c.PgConn().CancelRequest(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("bytes after SSLRequest", func(t *testing.T) {
		// A StartupMessage sent together with the SSLRequest must not be
		// read as if it came through TLS: the server reads exactly the
		// SSLRequest, answers 'S', and the plaintext bytes then fail the
		// TLS handshake. No session starts.
		before := len(ts.eng.started)
		w := dial(t, ts.addr)
		w.writeRaw(append(codePacket(80877103), startupPacket(3, 0, "user", "alice")...))
		var b [1]byte
		if _, err := io.ReadFull(w.conn, b[:]); err != nil || b[0] != 'S' {
			t.Fatalf("answer = %q, %v; want S", b[0], err)
		}
		rest, _ := io.ReadAll(w.conn)
		if bytes.Contains(rest, []byte{'R', 0, 0, 0, 8}) {
			t.Fatalf("server answered the plaintext startup: %q", rest)
		}
		if len(ts.eng.started) != before {
			t.Fatal("a session started from plaintext injected after SSLRequest")
		}
	})
}

// TestNegotiateProtocolVersion: a 3.2 client with _pq_ options gets
// NegotiateProtocolVersion (minor 0, the options) and continues as 3.0.
func TestNegotiateProtocolVersion(t *testing.T) {
	golden := []byte{
		'v', 0, 0, 0, 0x1b, // type, length 27
		0, 0, 0, 0, // newest minor version supported
		0, 0, 0, 2, // two options
		'_', 'p', 'q', '_', '.', 'a', 0,
		'_', 'p', 'q', '_', '.', 'b', 'c', 0,
	}
	if got := pgwire.AppendNegotiateProtocolVersion(nil, 0, []string{"_pq_.a", "_pq_.bc"}); !bytes.Equal(got, golden) {
		t.Fatalf("encoding = %x; want %x", got, golden)
	}
	// pgx v5's decoder (which has the message) agrees.
	var m pgproto3v5.NegotiateProtocolVersion
	if err := m.Decode(golden[5:]); err != nil || m.NewestMinorProtocol != 0 || strings.Join(m.UnrecognizedOptions, ",") != "_pq_.a,_pq_.bc" {
		t.Fatalf("pgx decodes %+v, %v", m, err)
	}

	ts := startServer(t, pgwire.Config{})
	t.Run("wire", func(t *testing.T) {
		w := dial(t, ts.addr)
		w.writeRaw(startupPacket(3, 2, "user", "alice", "_pq_.a", "1", "_pq_.bc", "2"))
		got := make([]byte, len(golden))
		if _, err := io.ReadFull(w.conn, got); err != nil || !bytes.Equal(got, golden) {
			t.Fatalf("got %x, %v; want %x", got, err, golden)
		}
		w.until("Z")
	})
	t.Run("3.0 with options", func(t *testing.T) {
		w := dial(t, ts.addr)
		w.writeRaw(startupPacket(3, 0, "user", "alice", "_pq_.x", "1"))
		got := make([]byte, 5)
		if _, err := io.ReadFull(w.conn, got); err != nil || got[0] != 'v' {
			t.Fatalf("got %x, %v; want NegotiateProtocolVersion", got, err)
		}
	})
	t.Run("pgx max_protocol_version=3.2", func(t *testing.T) {
		c := pgxConnect(t, ts.url("max_protocol_version=3.2"))
		var one int32
		if err := c.QueryRow(context.Background(), "select 1").Scan(&one); err != nil || one != 1 {
			t.Fatalf("select 1 = %d, %v", one, err)
		}
	})
}

// TestStartupDecoder pins the decoder on the packets of pg-compat §2.1.
func TestStartupDecoder(t *testing.T) {
	p, err := pgwire.DecodeStartupPacket(startupPacket(3, 0, "user", "u", "database", "d", "application_name", "a", "_pq_.x", "1")[4:])
	if err != nil || p.User != "u" || p.Database != "d" || p.Params["application_name"] != "a" || len(p.ProtocolOptions) != 1 {
		t.Fatalf("decode = %+v, %v", p, err)
	}
	cancel := []byte{0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 7, 0xde, 0xad, 0xbe, 0xef}
	p, err = pgwire.DecodeStartupPacket(cancel)
	if err != nil || p.CancelPID != 7 || p.CancelKey != 0xdeadbeef {
		t.Fatalf("cancel = %+v, %v", p, err)
	}
	if _, err := pgwire.DecodeStartupPacket(cancel[:8]); err == nil {
		t.Fatal("short cancel request accepted")
	}
	if _, err := pgwire.DecodeStartupPacket([]byte{0, 3, 0, 0, 'u', 0}); err == nil {
		t.Fatal("unterminated parameters accepted")
	}
	if _, err := pgwire.DecodeStartupPacket([]byte{0, 3, 0, 0, 0, 'x'}); err == nil {
		t.Fatal("bytes after the terminator accepted")
	}
	if _, err := pgwire.DecodeStartupPacket(nil); err == nil {
		t.Fatal("empty packet accepted")
	}
}
