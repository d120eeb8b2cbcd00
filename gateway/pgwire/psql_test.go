package pgwire_test

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/lancegate/lancegate/gateway/pgwire"
)

// runPsql runs psql against the test server; the test is skipped where
// psql is not installed.
func runPsql(t *testing.T, ts *testServer, env []string, args ...string) (string, error) {
	t.Helper()
	path, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	host, port, _ := net.SplitHostPort(ts.addr)
	cmd := exec.Command(path, append([]string{"-X", "-h", host, "-p", port, "-U", "alice", "-d", "db"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestPsql drives the server with libpq through psql: sslmode=prefer (the
// libpq default: SSLRequest, then the startup on the same socket), SCRAM
// with a password, TLS, a multi-statement query and an error with a
// position.
func TestPsql(t *testing.T) {
	cfg := scramConfig(t)
	cfg.TLS = selfSigned(t)
	ts := startServer(t, cfg)
	env := []string{"PGPASSWORD=s3cret", "PGCONNECT_TIMEOUT=10"}
	for _, mode := range []string{"disable", "prefer", "require"} {
		t.Run(mode, func(t *testing.T) {
			out, err := runPsql(t, ts, append(env, "PGSSLMODE="+mode), "-A", "-c", "gen 2", "-c", "insert; select 1")
			want := "id|score|name\n0|0|row-0\n1|0.5|row-1\n(2 rows)\nINSERT 0 1\n?column?\n1\n(1 row)\n"
			if err != nil || out != want {
				t.Fatalf("psql = %v\n%s\nwant:\n%s", err, out, want)
			}
		})
	}
	t.Run("error", func(t *testing.T) {
		out, err := runPsql(t, ts, env, "-c", "error 42P01 relation \"nosuchtable\" does not exist")
		if err == nil || !strings.Contains(out, `ERROR:  relation "nosuchtable" does not exist`) || !strings.Contains(out, "LINE 1:") {
			t.Fatalf("psql = %v\n%s", err, out)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		out, err := runPsql(t, ts, []string{"PGPASSWORD=nope", "PGSSLMODE=disable"}, "-c", "select 1")
		if err == nil || !strings.Contains(out, `password authentication failed for user "alice"`) {
			t.Fatalf("psql = %v\n%s", err, out)
		}
	})
}

// TestPsqlCancel: Ctrl-C in psql sends a CancelRequest; the statement ends
// with 57014.
func TestPsqlCancel(t *testing.T) {
	path, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	ts := startServer(t, pgwire.Config{})
	host, port, _ := net.SplitHostPort(ts.addr)
	cmd := exec.Command(path, "-X", "-h", host, "-p", port, "-U", "alice", "-d", "db", "-c", "sleep")
	cmd.Env = append(os.Environ(), "PGSSLMODE=disable")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ts.eng.sleeping:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("psql's statement never started")
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if err == nil || !strings.Contains(out.String(), "canceling statement due to user request") {
		t.Fatalf("psql = %v\n%s", err, out.String())
	}
}

// TestPsqlTrust connects without a password.
func TestPsqlTrust(t *testing.T) {
	ts := startServer(t, pgwire.Config{})
	out, err := runPsql(t, ts, []string{"PGSSLMODE=prefer"}, "-A", "-t", "-c", "select 1")
	if err != nil || out != "1\n" {
		t.Fatalf("psql = %v\n%s", err, out)
	}
}
