package sqltests

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The real-client suites: programs under clients/ that drive lancegate
// with the drivers applications use (psycopg2, psycopg 3, SQLAlchemy 1.4
// and 2.x, pgvector-python, node-postgres, pgvector-node, TypeORM,
// Sequelize, pgjdbc, pgvector-java), installed from their registries by
// `make clients` into .tools/clients (LANCEGATE_CLIENTS overrides the
// folder). Each program takes the names of its parts as arguments, asserts
// its own results and exits non-zero on any mismatch; the runner starts a
// server per suite, passes its address in the libpq environment variables
// and fails with the program's output.
//
// TestClientSuites runs every part. A part written before the server
// feature it needs goes into a file built with -tags clientspending, with
// the statement that fails and its SQLSTATE, and moves here when the
// feature lands; none waits today.

// clientSuite is one run of a client program with some of its parts.
type clientSuite struct {
	name  string   // subtest name: client/part
	kind  string   // py, py14 (SQLAlchemy 1.4), node, java
	prog  string   // script under clients/<lang>/, or the Java main class
	parts []string // arguments: the parts to run
}

// TestClientSuites runs the parts of every client program that lancegate
// supports today.
func TestClientSuites(t *testing.T) {
	runClientSuites(t, []clientSuite{
		{"psycopg2/basic", "py", "psycopg2_suite.py", []string{"basic"}},
		{"psycopg3/basic", "py", "psycopg3_suite.py", []string{"basic"}},
		{"sqlalchemy2/psycopg2", "py", "sqlalchemy_suite.py", []string{"basic_psycopg2"}},
		{"sqlalchemy2/psycopg", "py", "sqlalchemy_suite.py", []string{"basic_psycopg"}},
		{"sqlalchemy14/psycopg2", "py14", "sqlalchemy_suite.py", []string{"basic_psycopg2"}},
		{"node-pg/basic", "node", "pg_suite.js", []string{"basic"}},
		{"pgjdbc/basic", "java", jdbcMain, []string{"basic", "fetch_size"}},
		// These need the pg_catalog tables and to_regtype, and COPY.
		{"psycopg2/register_vector", "py", "psycopg2_suite.py", []string{"register_vector"}},
		{"psycopg2/copy", "py", "psycopg2_suite.py", []string{"copy"}},
		{"psycopg3/register_vector", "py", "psycopg3_suite.py", []string{"register_vector"}},
		{"psycopg3/copy", "py", "psycopg3_suite.py", []string{"copy"}},
		{"sqlalchemy2/connect_default_psycopg2", "py", "sqlalchemy_suite.py", []string{"connect_default_psycopg2"}},
		{"sqlalchemy2/connect_default_psycopg", "py", "sqlalchemy_suite.py", []string{"connect_default_psycopg"}},
		{"sqlalchemy14/connect_default_psycopg2", "py14", "sqlalchemy_suite.py", []string{"connect_default_psycopg2"}},
		{"node-pg/registerTypes", "node", "pg_suite.js", []string{"registerTypes"}},
		// These need the catalog queries' SQL (JOIN … USING, WITH, functions
		// in FROM, schema-qualified columns, predicate pushdown), DDL inside
		// a transaction block and PRIMARY KEY.
		{"psycopg2/ddl_in_transaction", "py", "psycopg2_suite.py", []string{"ddl_in_transaction"}},
		{"sqlalchemy2/create_all_psycopg2", "py", "sqlalchemy_suite.py", []string{"create_all_psycopg2"}},
		{"sqlalchemy2/create_all_psycopg", "py", "sqlalchemy_suite.py", []string{"create_all_psycopg"}},
		{"sqlalchemy14/create_all_psycopg2", "py14", "sqlalchemy_suite.py", []string{"create_all_psycopg2"}},
		{"typeorm/basic", "node", "typeorm_suite.js", []string{"basic"}},
		{"typeorm/synchronize", "node", "typeorm_suite.js", []string{"synchronize"}},
		{"sequelize/basic", "node", "sequelize_suite.js", []string{"basic"}},
		{"sequelize/sync", "node", "sequelize_suite.js", []string{"sync"}},
		{"pgjdbc/pgvector", "java", jdbcMain, []string{"pgvector"}},
		{"pgjdbc/result_metadata", "java", jdbcMain, []string{"result_metadata"}},
		// Reflection: set-returning functions in the select list, ordered
		// aggregates, record fields, bitwise operators.
		{"sqlalchemy2/inspect_psycopg2", "py", "sqlalchemy_suite.py", []string{"inspect_psycopg2"}},
		{"sqlalchemy2/inspect_psycopg", "py", "sqlalchemy_suite.py", []string{"inspect_psycopg"}},
		{"sqlalchemy14/inspect_psycopg2", "py14", "sqlalchemy_suite.py", []string{"inspect_psycopg2"}},
		{"pgjdbc/metadata", "java", jdbcMain, []string{"metadata"}},
		// Autoincrement keys: SERIAL PRIMARY KEY from create_all.
		{"sqlalchemy2/orm_serial_psycopg2", "py", "sqlalchemy_suite.py", []string{"orm_serial_psycopg2"}},
		{"sqlalchemy2/orm_serial_psycopg", "py", "sqlalchemy_suite.py", []string{"orm_serial_psycopg"}},
		{"sqlalchemy14/orm_serial_psycopg2", "py14", "sqlalchemy_suite.py", []string{"orm_serial_psycopg2"}},
		{"typeorm/generated", "node", "typeorm_suite.js", []string{"generated"}},
		// numeric(p, s) columns (Lance decimal128).
		{"psycopg2/numeric", "py", "psycopg2_suite.py", []string{"numeric"}},
		{"psycopg3/numeric", "py", "psycopg3_suite.py", []string{"numeric"}},
		{"node-pg/numeric", "node", "pg_suite.js", []string{"numeric"}},
		{"pgjdbc/numeric", "java", jdbcMain, []string{"numeric"}},
		// Cursors: DECLARE / FETCH of a named cursor.
		{"psycopg2/named_cursor", "py", "psycopg2_suite.py", []string{"named_cursor"}},
	})
}

// TestPsqlDescribe runs psql's describe commands (pg-compat.md §8.3)
// against a table with a vector column and checks that each answers and
// shows what it describes.
func TestPsqlDescribe(t *testing.T) {
	runPsqlDescribe(t, []psqlDescribe{
		{`\d`, "ps_items"},
		{`\dt`, "ps_items"},
		{`\l`, "lancegate"},
		{`\dn`, "public"},
		{`\df l2_distance`, "l2_distance"},
		{`\dx`, "vector"},
		{`\dT vector`, "vector"},
		{`\du`, "lancegate"},
		{`\dv`, ""},
		{`\di`, ""},
		{`\ds`, ""},
		{`\dp ps_items`, "ps_items"},
		{`\d ps_items`, "vector(3)"},
		{`\d+ ps_items`, "embedding"},
	})
}

// psqlDescribe is a psql meta-command and a string its output must hold.
type psqlDescribe struct{ command, want string }

// runPsqlDescribe creates ps_items and runs each command with
// ON_ERROR_STOP and ECHO_HIDDEN, so a failure shows the catalog query psql
// sent.
func runPsqlDescribe(t *testing.T, cases []psqlDescribe) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Fatal("psql is not installed; install postgresql-client (make test needs it)")
	}
	srv := startServer(t)
	host, port, _ := net.SplitHostPort(srv.addr)
	run := func(t *testing.T, command string) string {
		t.Helper()
		cmd := exec.Command(psql, "-X", "-E", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", port, "-U", "lancegate", "-d", "lancegate", "-c", command)
		cmd.Env = append(os.Environ(), "PGSSLMODE=disable", "PGCONNECT_TIMEOUT=10")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("psql -c %q: %v\n%s", command, err, out)
		}
		return string(out)
	}
	run(t, `CREATE TABLE ps_items (id bigint NOT NULL, name text, embedding vector(3))`)
	for _, c := range cases {
		t.Run(c.command, func(t *testing.T) {
			if out := run(t, c.command); !strings.Contains(out, c.want) {
				t.Errorf("psql -c %q does not show %q:\n%s", c.command, c.want, out)
			}
		})
	}
}

// jdbcMain is the Java program of clients/java.
const jdbcMain = "lancegate.clients.JdbcSuite"

// runClientSuites runs each suite as a subtest against a server of its
// own (fresh storage, so suites cannot see each other's tables).
func runClientSuites(t *testing.T, suites []clientSuite) {
	dir := clientsDir(t)
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) {
			srv := startServer(t)
			runClientSuite(t, dir, srv, s)
		})
	}
}

// clientsDir returns the folder `make clients` installs the drivers in,
// failing the test when it is missing.
func clientsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("LANCEGATE_CLIENTS")
	if dir == "" {
		abs, err := filepath.Abs(filepath.Join("..", ".tools", "clients"))
		if err != nil {
			t.Fatal(err)
		}
		dir = abs
	}
	for _, p := range []string{"py/bin/python", "py14/bin/python", "node/node_modules", "java/classpath.txt", "java/target/classes"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Fatalf("client drivers are not installed in %s (%v); run `make clients`", dir, err)
		}
	}
	return dir
}

// clientCommand builds the command line of suite s.
func clientCommand(t *testing.T, dir string, s clientSuite) (name string, args []string, workdir string, env []string) {
	t.Helper()
	src, err := filepath.Abs("clients")
	if err != nil {
		t.Fatal(err)
	}
	switch s.kind {
	case "py", "py14":
		return filepath.Join(dir, s.kind, "bin", "python"), append([]string{s.prog}, s.parts...), filepath.Join(src, "python"), nil
	case "node":
		node, err := exec.LookPath("node")
		if err != nil {
			t.Fatal("node is not installed (make test needs Node.js 20)")
		}
		return node, append([]string{s.prog}, s.parts...), filepath.Join(src, "node"),
			[]string{"NODE_PATH=" + filepath.Join(dir, "node", "node_modules")}
	case "java":
		java, err := exec.LookPath("java")
		if err != nil {
			t.Fatal("java is not installed (make test needs Java 17)")
		}
		cp, err := os.ReadFile(filepath.Join(dir, "java", "classpath.txt"))
		if err != nil {
			t.Fatal(err)
		}
		classpath := filepath.Join(dir, "java", "target", "classes") + string(os.PathListSeparator) + strings.TrimSpace(string(cp))
		return java, append([]string{"-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classpath, s.prog}, s.parts...),
			filepath.Join(src, "java"), nil
	}
	t.Fatalf("unknown client kind %q", s.kind)
	return "", nil, "", nil
}

// runClientSuite runs suite s against srv and fails the test with the
// program's output when it exits non-zero.
func runClientSuite(t *testing.T, dir string, srv *testServer, s clientSuite) {
	t.Helper()
	name, args, workdir, env := clientCommand(t, dir, s)
	host, port, _ := net.SplitHostPort(srv.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = workdir
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "PGHOST="+host, "PGPORT="+port, "PGUSER=lancegate", "PGDATABASE=lancegate",
		"PGSSLMODE=disable", "PGCONNECT_TIMEOUT=10", "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	if err != nil {
		t.Fatalf("%s %s: %v after %v\n%s", s.prog, strings.Join(s.parts, " "), err, time.Since(start).Round(time.Millisecond), out.String())
	}
	t.Logf("%s %s passed in %v\n%s", s.prog, strings.Join(s.parts, " "), time.Since(start).Round(time.Millisecond), out.String())
}
