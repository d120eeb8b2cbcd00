package pgwire_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/jackc/pgproto3/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lancegate/lancegate/gateway/pgwire"
)

// scramConfig serves user alice with password "s3cret"; every other user
// is unknown.
func scramConfig(t testing.TB) pgwire.Config {
	return pgwire.Config{Auth: pgwire.SCRAMPasswords(map[string]string{"alice": "s3cret"})}
}

func TestSCRAM(t *testing.T) {
	ts := startServer(t, scramConfig(t))
	host, port, _ := net.SplitHostPort(ts.addr)
	url := func(user, password string) string {
		return fmt.Sprintf("postgres://%s:%s@%s:%s/db?sslmode=disable", user, password, host, port)
	}
	t.Run("success", func(t *testing.T) {
		c := pgxConnect(t, url("alice", "s3cret"))
		var one int32
		if err := c.QueryRow(context.Background(), "select 1").Scan(&one); err != nil || one != 1 {
			t.Fatalf("select 1 = %d, %v", one, err)
		}
	})
	for _, tt := range []struct{ name, user, password string }{
		{"wrong password", "alice", "nope"},
		{"unknown user", "mallory", "s3cret"},
		{"empty password", "alice", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pgx.Connect(context.Background(), url(tt.user, tt.password))
			var pe *pgconn.PgError
			want := fmt.Sprintf("password authentication failed for user \"%s\"", tt.user)
			if !errors.As(err, &pe) || pe.Code != "28P01" || pe.Severity != "FATAL" || pe.Message != want {
				t.Fatalf("connect = %v; want FATAL 28P01 %s", err, want)
			}
		})
	}
	t.Run("client closes at the password prompt", func(t *testing.T) {
		// psql without a password sees the SASL request, closes, prompts
		// and reconnects: routine, nothing breaks.
		w := dial(t, ts.addr)
		w.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "alice"}})
		if got := w.recv(); got != "R sasl SCRAM-SHA-256" {
			t.Fatalf("got %q", got)
		}
		w.conn.Close()
		c := pgxConnect(t, url("alice", "s3cret"))
		_ = c
	})
	t.Run("wrong mechanism", func(t *testing.T) {
		w := dial(t, ts.addr)
		w.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "alice"}})
		w.recv()
		w.send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-1", Data: []byte("n,,n=,r=abc")})
		if got := w.recv(); got != "E FATAL 08P01 client selected an invalid SASL authentication mechanism" {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("malformed SASLInitialResponse", func(t *testing.T) {
		w := dial(t, ts.addr)
		w.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "alice"}})
		w.recv()
		// The mechanism without the data length: pgproto3/v2's decoder
		// would index past the end.
		w.writeRaw([]byte{'p', 0, 0, 0, 18, 'S', 'C', 'R', 'A', 'M', '-', 'S', 'H', 'A', '-', '2', '5', '6', 0})
		if got := w.recv(); got != "E FATAL 08P01 invalid message format" {
			t.Fatalf("got %q", got)
		}
	})
}

// TestSCRAMOverTLS: over TLS pgx supports channel binding, which the server
// does not offer, so it sends the GS2 header "y,,".
func TestSCRAMOverTLS(t *testing.T) {
	cfg := scramConfig(t)
	cfg.TLS = selfSigned(t)
	ts := startServer(t, cfg)
	c := pgxConnect(t, fmt.Sprintf("postgres://alice:s3cret@%s/db?sslmode=require", ts.addr))
	var one int32
	if err := c.QueryRow(context.Background(), "select 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("select 1 = %d, %v", one, err)
	}
}

func TestSCRAMVerifierText(t *testing.T) {
	v, err := pgwire.NewSCRAMVerifier("pencil", []byte("0123456789abcdef"), 4096)
	if err != nil {
		t.Fatal(err)
	}
	back, err := pgwire.ParseSCRAMVerifier(v.String())
	if err != nil || back.String() != v.String() {
		t.Fatalf("ParseSCRAMVerifier(%q) = %v, %v", v.String(), back, err)
	}
	// RFC 7677 §3: user "user", password "pencil". The verifier must
	// check the RFC's client proof and produce its server signature.
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	rv, err := pgwire.NewSCRAMVerifier("pencil", salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	const authMessage = "n=user,r=rOprNGfwEbeRWgbNEkqO," +
		"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096," +
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
	mac := func(key []byte) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(authMessage))
		return m.Sum(nil)
	}
	if got := base64.StdEncoding.EncodeToString(mac(rv.ServerKey)); got != "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" {
		t.Fatalf("server signature = %s", got)
	}
	proof, _ := base64.StdEncoding.DecodeString("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
	sig := mac(rv.StoredKey)
	for i := range proof {
		proof[i] ^= sig[i] // ClientKey
	}
	if stored := sha256.Sum256(proof); !bytes.Equal(stored[:], rv.StoredKey) {
		t.Fatal("RFC 7677 client proof does not match the verifier")
	}
	for _, bad := range []string{"", "md5abc", "SCRAM-SHA-256$x:AA==$AA==:AA==", "SCRAM-SHA-256$4096:AA==$AA==:AA=="} {
		if _, err := pgwire.ParseSCRAMVerifier(bad); err == nil {
			t.Fatalf("ParseSCRAMVerifier(%q) succeeded", bad)
		}
	}
}
