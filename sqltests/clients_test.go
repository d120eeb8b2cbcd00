package sqltests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"database/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/lib/pq" // registers the "postgres" database/sql driver
)

// TestPsqlSession runs a scripted psql session against the server and
// compares psql's output with the expected transcript.
func TestPsqlSession(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Fatal("psql is not installed; install postgresql-client (make test needs it)")
	}
	srv := startServer(t)
	host, port, _ := net.SplitHostPort(srv.addr)
	dir := t.TempDir()
	script, err := os.ReadFile("testdata/psql/session.sql")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "session.sql"), script, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(psql, "-X", "-h", host, "-p", port, "-U", "lancegate", "-d", "lancegate", "-f", "session.sql")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PGSSLMODE=prefer", "PGCONNECT_TIMEOUT=10")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("psql: %v\n%s", err, out.String())
	}
	want, err := os.ReadFile("testdata/psql/session.out")
	if err != nil {
		t.Fatal(err)
	}
	if *rewrite {
		if err := os.WriteFile("testdata/psql/session.out", out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("psql output differs:\n--- got\n%s\n--- want\n%s", out.String(), want)
	}
}

// TestPgx exercises pgx in its default (extended, binary) mode: typed
// parameters and results of every type, vectors, errors with SQLSTATEs,
// and cancellation through a context.
func TestPgx(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	conn := srv.connect(t)
	mustExec := func(sql string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	mustExec(`CREATE TABLE t (b boolean, i smallint, n integer, l bigint, r real, d double precision, s text, v varchar(10), by bytea, dt date, ts timestamp, tz timestamptz, e vector(3))`)
	ts := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
	dt := time.Date(2024, 7, 2, 0, 0, 0, 0, time.UTC)
	mustExec(`INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		true, int16(-7), int32(42), int64(1)<<40, float32(1.5), 2.25, "héllo", "short", []byte{1, 2, 255}, dt, ts, ts, "[1,2,3]")
	mustExec(`INSERT INTO t (n) VALUES ($1)`, 7)

	var (
		b  bool
		i  int16
		n  int32
		l  int64
		r  float32
		d  float64
		s  string
		v  string
		by []byte
		gd time.Time
		gt time.Time
		gz time.Time
		e  string
	)
	err := conn.QueryRow(ctx, `SELECT b, i, n, l, r, d, s, v, by, dt, ts, tz, e::text FROM t WHERE n = $1`, 42).Scan(&b, &i, &n, &l, &r, &d, &s, &v, &by, &gd, &gt, &gz, &e)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(b, i, n, l, r, d, s, v, by, gd.Format("2006-01-02"), gt.UTC().Format(time.RFC3339Nano), gz.UTC().Format(time.RFC3339Nano), e)
	want := fmt.Sprint(true, int16(-7), int32(42), int64(1)<<40, float32(1.5), 2.25, "héllo", "short", []byte{1, 2, 255}, "2024-07-02", ts.Format(time.RFC3339Nano), ts.Format(time.RFC3339Nano), "[1,2,3]")
	if got != want {
		t.Errorf("row = %s; want %s", got, want)
	}
	var cnt int64
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM t WHERE e <-> $1 < $2`, "[1,2,3]", 0.5).Scan(&cnt); err != nil || cnt != 1 {
		t.Errorf("vector filter: %d, %v; want 1", cnt, err)
	}
	var pe *pgconn.PgError
	if _, err := conn.Exec(ctx, `SELECT * FROM missing`); !errors.As(err, &pe) || pe.Code != "42P01" || pe.Position != 15 {
		t.Errorf("missing table: %v; want 42P01 at 15", err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO t (e) VALUES ($1)`, "[1,2]"); !errors.As(err, &pe) || pe.Code != "22000" {
		t.Errorf("wrong dimension: %v; want 22000", err)
	}
	// The connection survives errors.
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM t`).Scan(&cnt); err != nil || cnt != 2 {
		t.Errorf("after errors: %d, %v; want 2", cnt, err)
	}
	// A cancelled context cancels the running statement (57014) and the
	// connection stays usable.
	mustExec(`CREATE TABLE big (x bigint)`)
	mustExec(`INSERT INTO big SELECT n FROM t`)
	cctx, cancel := context.WithCancel(ctx)
	rows, err := conn.Query(cctx, `SELECT x FROM big`, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	for rows.Next() {
	}
	rows.Close()
	if err := conn.QueryRow(ctx, `SELECT 1`).Scan(&cnt); err != nil {
		// pgx closes a connection whose query context was cancelled; a
		// fresh one must work.
		conn = srv.connect(t)
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM big`).Scan(&cnt); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLibPQ runs lib/pq (database/sql) against the server: parameters,
// binary results lib/pq asks for, vectors as text.
func TestLibPQ(t *testing.T) {
	srv := startServer(t)
	db, err := sql.Open("postgres", srv.dsn())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE q (id bigint, name text, v vector(2))`); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if _, err := db.Exec(`INSERT INTO q VALUES ($1, $2, $3)`, i, fmt.Sprint("n", i), fmt.Sprintf("[%d,0]", i)); err != nil {
			t.Fatal(err)
		}
	}
	var n int64
	if err := db.QueryRow(`SELECT count(*) FROM q WHERE id >= $1`, 2).Scan(&n); err != nil || n != 2 {
		t.Fatalf("count = %d, %v; want 2", n, err)
	}
	rows, err := db.Query(`SELECT id, name, v FROM q ORDER BY v <-> $1 LIMIT 2`, "[3,0]")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id int64
		var name, v string
		if err := rows.Scan(&id, &name, &v); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d %s %s", id, name, v))
	}
	if fmt.Sprint(got) != "[3 n3 [3,0] 2 n2 [2,0]]" {
		t.Errorf("nearest rows = %v", got)
	}
	if _, err := db.Exec(`SELECT 1/0`); err == nil {
		t.Error("1/0 succeeded")
	}
}
