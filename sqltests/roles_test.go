package sqltests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lancegate/lancegate/gateway"
	"github.com/lancegate/lancegate/gateway/pgwire"
	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/roles"
)

// roleServer is an in-process server with a role database over a local
// storage root.
type roleServer struct {
	addr string
	dir  string
	stop func()
}

// startRoleServer starts a server over dir with roles enforced; scram
// selects SCRAM-SHA-256 authentication (the superuser lancegate then has
// the password "boot"). ttl is the role store's cache TTL (0: default).
func startRoleServer(t *testing.T, dir string, scram bool, ttl time.Duration) *roleServer {
	t.Helper()
	store, err := objstore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	rs := roles.New(store, roles.Options{TTL: ttl})
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := pgwire.Config{Logger: logger}
	if scram {
		if err := gateway.SetPassword(context.Background(), rs, roles.BootstrapName, "boot"); err != nil {
			t.Fatal(err)
		}
		cfg.Auth = gateway.RoleAuth(rs)
	}
	eng := gateway.NewEngine(store, gateway.Options{Version: "test", Logger: logger, Roles: rs})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := pgwire.NewServer(cfg, eng)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil && ctx.Err() == nil {
			t.Errorf("server: %v", err)
		}
	}
	t.Cleanup(stop)
	return &roleServer{addr: ln.Addr().String(), dir: dir, stop: stop}
}

func (s *roleServer) dsn(user, password string) string {
	host, port, _ := net.SplitHostPort(s.addr)
	u := url.URL{Scheme: "postgres", User: url.User(user), Host: net.JoinHostPort(host, port), Path: "/lancegate", RawQuery: "sslmode=disable"}
	if password != "" {
		u.User = url.UserPassword(user, password)
	}
	return u.String()
}

func (s *roleServer) connect(t *testing.T, user, password string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), s.dsn(user, password))
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// roleCode returns the SQLSTATE of err ("" for none).
func roleCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func roleExec(t *testing.T, c *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := c.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// wantRoleErr runs sql and checks that it fails with code (and, when msg is
// not empty, that message).
func wantRoleErr(t *testing.T, c *pgx.Conn, code, msg, sql string, args ...any) {
	t.Helper()
	_, err := c.Exec(context.Background(), sql, args...)
	if roleCode(err) != code {
		t.Fatalf("%s: got %v, want SQLSTATE %s", sql, err, code)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && msg != "" && pe.Message != msg {
		t.Fatalf("%s: message %q, want %q", sql, pe.Message, msg)
	}
}

func roleQuery(t *testing.T, c *pgx.Conn, sql string) string {
	t.Helper()
	var s string
	if err := c.QueryRow(context.Background(), sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func TestRolesSCRAMLogin(t *testing.T) {
	srv := startRoleServer(t, t.TempDir(), true, 0)
	admin := srv.connect(t, "lancegate", "boot")
	if got := admin.PgConn().ParameterStatus("is_superuser"); got != "on" {
		t.Errorf("lancegate is_superuser = %q", got)
	}
	roleExec(t, admin, `CREATE ROLE alice LOGIN PASSWORD 'wonder land'`)
	wantRoleErr(t, admin, "42710", `role "alice" already exists`, `CREATE ROLE alice`)
	v, err := pgwire.NewSCRAMVerifier("hashed", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	roleExec(t, admin, `CREATE USER bob PASSWORD '`+v.String()+`'`)
	roleExec(t, admin, `CREATE ROLE carol NOLOGIN PASSWORD 'c'`)

	alice := srv.connect(t, "alice", "wonder land")
	if got := roleQuery(t, alice, `SELECT current_user`); got != "alice" {
		t.Errorf("current_user = %q", got)
	}
	ps := alice.PgConn().ParameterStatus
	if ps("is_superuser") != "off" || ps("session_authorization") != "alice" {
		t.Errorf("is_superuser = %q, session_authorization = %q", ps("is_superuser"), ps("session_authorization"))
	}
	// A verifier given already hashed is stored as is.
	srv.connect(t, "bob", "hashed")

	for _, c := range []struct{ user, password, code, msg string }{
		{"alice", "wrong", "28P01", `password authentication failed for user "alice"`},
		{"nobody", "x", "28P01", `password authentication failed for user "nobody"`},
		{"carol", "c", "28000", `role "carol" is not permitted to log in`},
	} {
		_, err := pgx.Connect(context.Background(), srv.dsn(c.user, c.password))
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != c.code || pe.Message != c.msg || pe.Severity != "FATAL" {
			t.Errorf("%s/%s: got %v, want FATAL %s %s", c.user, c.password, err, c.code, c.msg)
		}
	}

	// ALTER ROLE changes the password; a role may change its own.
	roleExec(t, alice, `ALTER ROLE alice PASSWORD 'new'`)
	if _, err := pgx.Connect(context.Background(), srv.dsn("alice", "wonder land")); roleCode(err) != "28P01" {
		t.Errorf("old password after ALTER ROLE: %v", err)
	}
	srv.connect(t, "alice", "new")
	wantRoleErr(t, alice, "42501", "", `ALTER ROLE alice SUPERUSER`)
	wantRoleErr(t, alice, "42501", "", `CREATE ROLE eve`)
	// VALID UNTIL in the past: the password no longer works.
	roleExec(t, admin, `ALTER ROLE bob VALID UNTIL '2001-01-01 00:00:00+00'`)
	if _, err := pgx.Connect(context.Background(), srv.dsn("bob", "hashed")); roleCode(err) != "28P01" {
		t.Errorf("expired password: %v", err)
	}

	// psql logs in with SCRAM too.
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Fatal("psql is not installed; install postgresql-client")
	}
	host, port, _ := net.SplitHostPort(srv.addr)
	cmd := exec.Command(psql, "-X", "-At", "-h", host, "-p", port, "-U", "alice", "-d", "lancegate", "-c", "SELECT current_user")
	cmd.Env = append(os.Environ(), "PGPASSWORD=new", "PGSSLMODE=disable", "PGCONNECT_TIMEOUT=10")
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "alice" {
		t.Errorf("psql as alice: %v\n%s", err, out)
	}
	cmd = exec.Command(psql, "-X", "-At", "-h", host, "-p", port, "-U", "alice", "-d", "lancegate", "-c", "SELECT 1")
	cmd.Env = append(os.Environ(), "PGPASSWORD=bad", "PGSSLMODE=disable", "PGCONNECT_TIMEOUT=10")
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), `password authentication failed for user "alice"`) {
		t.Errorf("psql with a wrong password: %v\n%s", err, out)
	}
}

func TestRolesTrustUnknownRole(t *testing.T) {
	srv := startRoleServer(t, t.TempDir(), false, 0)
	_, err := pgx.Connect(context.Background(), srv.dsn("nobody", ""))
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "28000" || pe.Message != `role "nobody" does not exist` || pe.Severity != "FATAL" {
		t.Fatalf("unknown role under trust: %v", err)
	}
	admin := srv.connect(t, "lancegate", "")
	roleExec(t, admin, `CREATE ROLE limited LOGIN CONNECTION LIMIT 1`)
	srv.connect(t, "limited", "")
	if _, err := pgx.Connect(context.Background(), srv.dsn("limited", "")); roleCode(err) != "53300" {
		t.Fatalf("second connection over the limit: %v", err)
	}
}

func TestRolesPrivileges(t *testing.T) {
	ctx := context.Background()
	srv := startRoleServer(t, t.TempDir(), false, 0)
	admin := srv.connect(t, "lancegate", "")
	roleExec(t, admin, `CREATE TABLE t (id int8, x int8)`)
	roleExec(t, admin, `INSERT INTO t VALUES (1, 10), (2, 20), (3, 30)`)
	roleExec(t, admin, `CREATE ROLE alice LOGIN`)
	roleExec(t, admin, `CREATE ROLE bob LOGIN`)
	alice := srv.connect(t, "alice", "")
	bob := srv.connect(t, "bob", "")

	denied := "permission denied for table t"
	wantRoleErr(t, alice, "42501", denied, `SELECT * FROM t`)
	wantRoleErr(t, alice, "42501", denied, `INSERT INTO t VALUES (4, 40)`)
	wantRoleErr(t, alice, "42501", denied, `UPDATE t SET x = 0`)
	wantRoleErr(t, alice, "42501", denied, `DELETE FROM t`)
	wantRoleErr(t, alice, "42501", denied, `EXPLAIN SELECT * FROM t`)
	// COPY checks INSERT (FROM STDIN) and SELECT (TO STDOUT) as well.
	if _, err := alice.PgConn().CopyFrom(ctx, strings.NewReader("4\t40\n"), `COPY t FROM STDIN`); roleCode(err) != "42501" {
		t.Fatalf("COPY FROM without INSERT: %v, want 42501", err)
	}
	if _, err := alice.PgConn().CopyTo(ctx, io.Discard, `COPY t TO STDOUT`); roleCode(err) != "42501" {
		t.Fatalf("COPY TO without SELECT: %v, want 42501", err)
	}

	roleExec(t, admin, `GRANT SELECT ON TABLE t TO alice`)
	if n := roleQuery(t, alice, `SELECT count(*)::text FROM t`); n != "3" {
		t.Fatalf("count = %s", n)
	}
	wantRoleErr(t, alice, "42501", denied, `INSERT INTO t VALUES (4, 40)`)
	wantRoleErr(t, bob, "42501", denied, `SELECT * FROM t`)

	roleExec(t, admin, `GRANT INSERT, UPDATE ON t TO alice`)
	roleExec(t, alice, `INSERT INTO t VALUES (4, 40)`)
	roleExec(t, alice, `UPDATE t SET x = x + 1 WHERE id = 4`)
	wantRoleErr(t, alice, "42501", denied, `DELETE FROM t WHERE id = 4`)
	roleExec(t, admin, `GRANT DELETE ON t TO alice`)
	roleExec(t, alice, `DELETE FROM t WHERE id = 4`)

	// REVOKE applies to the next execution, also of a statement the
	// client prepared and cached before (pgx caches by text).
	const q = `SELECT x FROM t WHERE id = $1`
	var x int64
	if err := alice.QueryRow(ctx, q, 1).Scan(&x); err != nil || x != 10 {
		t.Fatalf("prepared select: %v %d", err, x)
	}
	roleExec(t, admin, `REVOKE SELECT ON t FROM alice`)
	if err := alice.QueryRow(ctx, q, 1).Scan(&x); roleCode(err) != "42501" {
		t.Fatalf("prepared select after REVOKE: %v", err)
	}
	// Without SELECT, writes that read rows are denied; blind ones are not.
	wantRoleErr(t, alice, "42501", denied, `DELETE FROM t WHERE id = 3`)
	wantRoleErr(t, alice, "42501", denied, `UPDATE t SET x = x + 1`)
	wantRoleErr(t, alice, "42501", denied, `INSERT INTO t VALUES (5, 50) RETURNING id`)
	roleExec(t, alice, `UPDATE t SET x = 7`)
	roleExec(t, alice, `INSERT INTO t VALUES (5, 50)`)
	roleExec(t, admin, `REVOKE ALL ON t FROM alice`)
	wantRoleErr(t, alice, "42501", denied, `INSERT INTO t VALUES (6, 60)`)

	// PUBLIC.
	roleExec(t, admin, `GRANT SELECT ON t TO PUBLIC`)
	if n := roleQuery(t, bob, `SELECT count(*)::text FROM t`); n != "4" {
		t.Fatalf("bob count = %s", n)
	}
	roleExec(t, admin, `REVOKE SELECT ON t FROM PUBLIC`)
	wantRoleErr(t, bob, "42501", denied, `SELECT * FROM t`)

	// System tables are readable by everyone.
	roleExec(t, bob, `SELECT * FROM lancegate.jobs`)
	roleExec(t, bob, `SELECT relname FROM pg_catalog.pg_class`)
	roleExec(t, bob, `SELECT relname FROM pg_class`)

	// Ownership: anyone may create a table and owns it; only the owner
	// (or a superuser) may drop it, alter it or grant on it.
	wantRoleErr(t, alice, "42501", "must be owner of table t", `DROP TABLE t`)
	wantRoleErr(t, alice, "42501", "must be owner of table t", `ALTER TABLE t ADD COLUMN y int8`)
	wantRoleErr(t, alice, "42501", denied, `GRANT SELECT ON t TO alice`)
	roleExec(t, alice, `DROP TABLE IF EXISTS nothere`)
	roleExec(t, alice, `CREATE TABLE mine (a int8)`)
	roleExec(t, alice, `INSERT INTO mine VALUES (1)`)
	wantRoleErr(t, bob, "42501", "permission denied for table mine", `SELECT * FROM mine`)
	roleExec(t, alice, `GRANT SELECT ON mine TO bob`)
	roleExec(t, bob, `SELECT * FROM mine`)
	wantRoleErr(t, bob, "42501", "must be owner of table mine", `DROP TABLE mine`)
	roleExec(t, admin, `SELECT * FROM mine`)

	// Indexes: only the table's owner creates and drops them.
	roleExec(t, admin, `CREATE TABLE vecs (id int8, v vector(4))`)
	roleExec(t, admin, `CREATE INDEX vecs_v ON vecs USING ivf_pq (v)`)
	wantRoleErr(t, alice, "42501", "must be owner of table vecs", `CREATE INDEX ON vecs USING ivf_pq (v)`)
	wantRoleErr(t, alice, "42501", "must be owner of table vecs", `DROP INDEX vecs_v`)
	roleExec(t, admin, `DROP INDEX vecs_v`)

	// Role statements: errors as PostgreSQL's.
	wantRoleErr(t, admin, "42704", `role "nobody" does not exist`, `GRANT SELECT ON t TO nobody`)
	wantRoleErr(t, admin, "42P01", "", `GRANT SELECT ON nosuch TO bob`)
	wantRoleErr(t, admin, "42704", `role "nobody" does not exist`, `DROP ROLE nobody`)
	roleExec(t, admin, `DROP ROLE IF EXISTS nobody`)
	wantRoleErr(t, admin, "2BP01", `role "alice" cannot be dropped because some objects depend on it`, `DROP ROLE alice`)
	wantRoleErr(t, admin, "2BP01", `role "bob" cannot be dropped because some objects depend on it`, `DROP ROLE bob`)
	wantRoleErr(t, bob, "42501", "", `DROP ROLE alice`)
	wantRoleErr(t, admin, "55006", "current user cannot be dropped", `DROP ROLE lancegate`)

	// Membership: a member inherits the group's privileges.
	roleExec(t, admin, `CREATE ROLE readers`)
	roleExec(t, admin, `CREATE ROLE carol LOGIN`)
	roleExec(t, admin, `GRANT SELECT ON t TO readers`)
	roleExec(t, admin, `GRANT readers TO carol`)
	carol := srv.connect(t, "carol", "")
	roleExec(t, carol, `SELECT * FROM t`)
	roleExec(t, admin, `REVOKE readers FROM carol`)
	wantRoleErr(t, carol, "42501", denied, `SELECT * FROM t`)

	// DROP TABLE by the owner forgets the grants; DROP ROLE then works.
	roleExec(t, alice, `DROP TABLE mine`)
	roleExec(t, admin, `DROP ROLE carol`)
	roleExec(t, admin, `ALTER ROLE bob RENAME TO robert`)
	if got := roleQuery(t, admin, `SELECT 'ok'`); got != "ok" {
		t.Fatal(got)
	}
	// Commands a superuser runs need no grants.
	roleExec(t, admin, `DELETE FROM t WHERE id = 5`)
}

// TestRolesSurviveRestart stops the server and starts another over the
// same storage: roles, passwords and grants are still there.
func TestRolesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	srv := startRoleServer(t, dir, true, 0)
	admin := srv.connect(t, "lancegate", "boot")
	roleExec(t, admin, `CREATE TABLE t (id int8)`)
	roleExec(t, admin, `INSERT INTO t VALUES (1)`)
	roleExec(t, admin, `CREATE ROLE alice LOGIN PASSWORD 'pw'`)
	roleExec(t, admin, `GRANT SELECT ON t TO alice`)
	admin.Close(context.Background())
	srv.stop()

	srv = startRoleServer(t, dir, true, 0)
	alice := srv.connect(t, "alice", "pw")
	if n := roleQuery(t, alice, `SELECT count(*)::text FROM t`); n != "1" {
		t.Fatalf("count = %s", n)
	}
	wantRoleErr(t, alice, "42501", "", `INSERT INTO t VALUES (2)`)
}

// TestRolesTwoNodes runs two query nodes over one storage root: a grant
// made on one is enforced on the other (whose role cache is off here; with
// the default TTL it would be within a second).
func TestRolesTwoNodes(t *testing.T) {
	dir := t.TempDir()
	a := startRoleServer(t, dir, false, 0)
	b := startRoleServer(t, dir, false, -1)
	adminA := a.connect(t, "lancegate", "")
	roleExec(t, adminA, `CREATE TABLE t (id int8)`)
	roleExec(t, adminA, `CREATE ROLE alice LOGIN`)
	aliceB := b.connect(t, "alice", "")
	wantRoleErr(t, aliceB, "42501", "", `SELECT * FROM t`)
	roleExec(t, adminA, `GRANT SELECT ON t TO alice`)
	roleExec(t, aliceB, `SELECT * FROM t`)
	// Concurrent role changes from both nodes are all kept.
	adminB := b.connect(t, "lancegate", "")
	errs := make(chan error, 2)
	for i, c := range []*pgx.Conn{adminA, adminB} {
		go func() {
			for j := range 5 {
				if _, err := c.Exec(context.Background(), fmt.Sprintf(`CREATE ROLE r%d_%d`, i, j)); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		for j := range 5 {
			roleExec(t, adminB, fmt.Sprintf(`DROP ROLE r%d_%d`, i, j))
		}
	}
}
