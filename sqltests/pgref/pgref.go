// Package pgref starts a throwaway PostgreSQL 15 server for tests that
// compare lancegate's answers with the real thing (pg-compat.md §8).
//
// # Lifecycle
//
// Start finds the PostgreSQL 15 binaries, makes a private folder under the
// system temporary directory, runs initdb into it (trust authentication,
// superuser "postgres", UTF8, C locale, no fsync) and starts the server with
// pg_ctl, listening only on a unix socket in the same folder, so no TCP
// port is taken and parallel test processes never collide. The test's
// Cleanup stops the server (immediate shutdown: nothing in it is worth
// keeping) and removes the folder.
//
// PostgreSQL refuses to run as root, and CI runs tests as root, so when the
// test process is root initdb and postgres run as an unprivileged user
// (nobody, or $LANCEGATE_PG_USER) that owns the folder; otherwise they run
// as the current user. The client side (the test) connects over the socket
// as "postgres" whatever its own user is.
//
// # Finding the binaries
//
// $LANCEGATE_PG_BIN names the folder holding initdb, pg_ctl and postgres;
// without it Start looks in /usr/lib/postgresql/15/bin (Debian's
// postgresql-15 package, which `make tools` installs) and then on $PATH.
// The server must be major version 15, the version the client corpus was
// recorded against.
//
// When no usable server is found the test is skipped, unless
// LANCEGATE_REQUIRE_PGREF=1 (which `make test` sets): then it fails, so CI
// can never pass by silently comparing against nothing.
package pgref

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Server is a running reference PostgreSQL server owned by one test.
type Server struct {
	// Dir holds the data folder, the socket and the server log.
	Dir string
	// Port names the unix socket (.s.PGSQL.<Port>); it is also the TCP
	// port of a server started with StartTCP (0 TCPPort otherwise).
	Port    int
	TCPPort int
}

// socketPort is the number in the socket's name. Any number will do: the
// socket lives in the server's private folder.
const socketPort = 5432

// startTimeout bounds initdb plus server start; both take about a second.
const startTimeout = 60 * time.Second

// Start starts a PostgreSQL 15 server for t and stops it when t ends. It
// skips t when no server binaries are found, or fails it when
// LANCEGATE_REQUIRE_PGREF=1.
func Start(t testing.TB) *Server {
	t.Helper()
	return startServer(t, false)
}

// StartTCP is Start with a TCP listener on 127.0.0.1 as well (port
// TCPPort), for clients that cannot use a unix socket (pgjdbc).
func StartTCP(t testing.TB) *Server {
	t.Helper()
	return startServer(t, true)
}

func startServer(t testing.TB, tcp bool) *Server {
	t.Helper()
	bin, err := findBin()
	if err != nil {
		if os.Getenv("LANCEGATE_REQUIRE_PGREF") == "1" {
			t.Fatalf("pgref: %v (LANCEGATE_REQUIRE_PGREF=1; install Debian's postgresql-15 with `make tools`, or set LANCEGATE_PG_BIN)", err)
		}
		t.Skipf("pgref: %v; set LANCEGATE_PG_BIN or install postgresql-15 (LANCEGATE_REQUIRE_PGREF=1 turns this skip into a failure)", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	s, err := start(ctx, bin, tcp)
	if s != nil {
		t.Cleanup(func() { s.stop(bin) })
	}
	if err != nil {
		t.Fatalf("pgref: %v", err)
	}
	return s
}

// DSN returns a keyword/value connection string for database db as the
// superuser postgres.
func (s *Server) DSN(db string) string { return s.UserDSN("postgres", db) }

// UserDSN returns a keyword/value connection string for database db as
// user (a role the test created; authentication is trust).
func (s *Server) UserDSN(user, db string) string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", s.Dir, s.Port, user, db)
}

// findBin returns the folder of a PostgreSQL 15 initdb, pg_ctl and postgres.
func findBin() (string, error) {
	var candidates []string
	if d := os.Getenv("LANCEGATE_PG_BIN"); d != "" {
		candidates = append(candidates, d)
	} else {
		candidates = append(candidates, "/usr/lib/postgresql/15/bin")
		if p, err := exec.LookPath("initdb"); err == nil {
			candidates = append(candidates, filepath.Dir(p))
		}
	}
	var reasons []string
	for _, d := range candidates {
		out, err := exec.Command(filepath.Join(d, "postgres"), "--version").Output()
		if err != nil {
			reasons = append(reasons, fmt.Sprintf("%s: %v", d, err))
			continue
		}
		// "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
		f := strings.Fields(string(out))
		if len(f) < 3 || !strings.HasPrefix(f[2], "15.") {
			reasons = append(reasons, fmt.Sprintf("%s: %q is not PostgreSQL 15", d, strings.TrimSpace(string(out))))
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err != nil {
			reasons = append(reasons, fmt.Sprintf("%s: %v", d, err))
			continue
		}
		return d, nil
	}
	if len(reasons) == 0 {
		return "", errors.New("no PostgreSQL 15 binaries found (no /usr/lib/postgresql/15/bin, no initdb on PATH)")
	}
	return "", fmt.Errorf("no PostgreSQL 15 binaries found: %s", strings.Join(reasons, "; "))
}

// runAs is the unprivileged account the server runs as when the test
// process is root; nil means the current user.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	name := os.Getenv("LANCEGATE_PG_USER")
	if name == "" {
		name = "nobody"
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("running as root needs an unprivileged user for postgres: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %s: uid %q: %w", name, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %s: gid %q: %w", name, u.Gid, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// start runs initdb and pg_ctl start. A non-nil Server is returned once
// its folder exists, so the caller can clean up after a failed start.
func start(ctx context.Context, bin string, tcp bool) (*Server, error) {
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgref-")
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, Port: socketPort}
	listen := "''"
	if tcp {
		port, err := freePort()
		if err != nil {
			return s, err
		}
		s.Port, s.TCPPort, listen = port, port, "127.0.0.1"
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return s, err
		}
	}
	data := filepath.Join(dir, "data")
	if err := s.run(ctx, cred, filepath.Join(bin, "initdb"),
		"--pgdata", data, "--username", "postgres", "--auth", "trust",
		"--encoding", "UTF8", "--locale", "C", "--no-sync", "--no-instructions"); err != nil {
		return s, fmt.Errorf("initdb: %w", err)
	}
	opts := strings.Join([]string{
		"-c listen_addresses=" + listen,
		"-c unix_socket_directories=" + dir,
		"-p " + strconv.Itoa(s.Port),
		"-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
		"-c max_connections=50", "-c shared_buffers=16MB",
		"-c timezone=UTC", "-c log_min_messages=warning",
	}, " ")
	if err := s.run(ctx, cred, filepath.Join(bin, "pg_ctl"),
		"--pgdata", data, "--log", filepath.Join(dir, "server.log"),
		"--wait", "--timeout", strconv.Itoa(int(startTimeout/time.Second)), "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		return s, fmt.Errorf("pg_ctl start: %w\nserver log:\n%s", err, log)
	}
	return s, nil
}

// stop shuts the server down and removes its folder.
func (s *Server) stop(bin string) {
	cred, _ := runAs()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	data := filepath.Join(s.Dir, "data")
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err == nil {
		_ = s.run(ctx, cred, filepath.Join(bin, "pg_ctl"), "--pgdata", data, "--mode", "immediate", "--wait", "stop")
	}
	_ = os.RemoveAll(s.Dir)
}

// run runs a PostgreSQL program as cred (nil: as ourselves) and returns
// its output with the error.
func (s *Server) run(ctx context.Context, cred *syscall.Credential, prog string, args ...string) error {
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Dir = s.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w\n%s", filepath.Base(prog), err, out.String())
	}
	return nil
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
