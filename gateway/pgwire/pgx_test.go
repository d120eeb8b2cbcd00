package pgwire_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"

	"github.com/lancegate/lancegate/gateway/pgwire"
)

func pgxConnect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return fmt.Sprintf("not a PgError: %v", err)
}

// TestPgx runs the same queries through pgx in each execution mode: the
// default (cached prepared statements, binary results), the describe and
// exec modes, and the simple protocol.
func TestPgx(t *testing.T) {
	ts := startServer(t, pgwire.Config{})
	modes := map[string]pgx.QueryExecMode{
		"cache_statement": pgx.QueryExecModeCacheStatement,
		"cache_describe":  pgx.QueryExecModeCacheDescribe,
		"describe_exec":   pgx.QueryExecModeDescribeExec,
		"exec":            pgx.QueryExecModeExec,
		"simple_protocol": pgx.QueryExecModeSimpleProtocol,
	}
	for name, mode := range modes {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c := pgxConnect(t, ts.url("default_query_exec_mode="+name))
			rows, err := c.Query(ctx, "gen 2500")
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				var id int64
				var score float64
				var name string
				if err := rows.Scan(&id, &score, &name); err != nil {
					t.Fatal(err)
				}
				if id != int64(n) || score != float64(n)/2 || name != fmt.Sprintf("row-%d", n) {
					t.Fatalf("row %d = (%d, %g, %q)", n, id, score, name)
				}
				n++
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if n != 2500 || rows.CommandTag().String() != "SELECT 2500" {
				t.Fatalf("got %d rows, tag %q; want 2500, SELECT 2500", n, rows.CommandTag())
			}

			_, err = c.Exec(ctx, "error 42P01 relation \"nosuchtable\" does not exist")
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "42P01" || pe.Position != 8 || pe.Severity != "ERROR" || pe.SeverityUnlocalized != "ERROR" {
				t.Fatalf("error = %#v; want 42P01 at 8", err)
			}

			var one int32
			if err := c.QueryRow(ctx, "select 1").Scan(&one); err != nil || one != 1 {
				t.Fatalf("select 1 = %d, %v after an error", one, err)
			}

			if mode != pgx.QueryExecModeSimpleProtocol && mode != pgx.QueryExecModeExec {
				// pgx encodes the parameters by the types the server
				// describes: binary int8 and float8.
				var a int64
				var b float64
				if err := c.QueryRow(ctx, "echo", int64(7), 1.25).Scan(&a, &b); err != nil || a != 7 || b != 1.25 {
					t.Fatalf("echo = %d, %g, %v", a, b, err)
				}
			}
		})
	}
}

func TestPgconnMultiStatement(t *testing.T) {
	ts := startServer(t, pgwire.Config{})
	c := pgxConnect(t, ts.url(""))
	results, err := c.PgConn().Exec(context.Background(), "insert; select 1; error 22012 division by zero; insert").ReadAll()
	// pgconn keeps the results before the error.
	if len(results) != 2 || results[0].CommandTag.String() != "INSERT 0 1" || results[1].CommandTag.String() != "SELECT 1" ||
		pgCode(err) != "22012" {
		t.Fatalf("results = %d, err = %v", len(results), err)
	}
}

func TestPgxUnknownDatabase(t *testing.T) {
	ts := startServer(t, pgwire.Config{})
	_, err := pgx.Connect(context.Background(), fmt.Sprintf("postgres://alice@%s/nosuchdb?sslmode=disable", ts.addr))
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "3D000" || pe.Severity != "FATAL" || pe.Message != `database "nosuchdb" does not exist` {
		t.Fatalf("connect = %v; want FATAL 3D000", err)
	}
}

func TestPgxParameterStatus(t *testing.T) {
	ts := startServer(t, pgwire.Config{})
	c := pgxConnect(t, ts.url("application_name=myapp"))
	pc := c.PgConn()
	if got := pc.ParameterStatus("application_name"); got != "myapp" {
		t.Fatalf("application_name = %q", got)
	}
	if _, err := c.Exec(context.Background(), "set application_name = other"); err != nil {
		t.Fatal(err)
	}
	if got := pc.ParameterStatus("application_name"); got != "other" {
		t.Fatalf("application_name after SET = %q", got)
	}
	if pc.PID() == 0 || pc.PID() > 1<<31-1 {
		t.Fatalf("pid = %d", pc.PID())
	}
	if got := ts.eng.lastSession().st.ProcessID; got != pc.PID() {
		t.Fatalf("Startup.ProcessID = %d; BackendKeyData pid %d", got, pc.PID())
	}
}

// TestCancel cancels a statement that blocks until its context ends, the
// way pgx does it: a CancelRequest on a second connection. The statement
// ends with 57014 and the connection stays usable.
func TestCancel(t *testing.T) {
	ts := startServer(t, pgwire.Config{})
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		t.Run(mode.String(), func(t *testing.T) {
			cfg, err := pgx.ParseConfig(ts.url(""))
			if err != nil {
				t.Fatal(err)
			}
			cfg.DefaultQueryExecMode = mode
			cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
				return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: 10 * time.Second}
			}
			c, err := pgx.ConnectConfig(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(context.Background())

			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				<-ts.eng.sleeping
				cancel()
			}()
			var v int64
			err = c.QueryRow(ctx, "sleep").Scan(&v)
			cancel()
			if pgCode(err) != "57014" {
				t.Fatalf("sleep = %v; want 57014", err)
			}
			var pe *pgconn.PgError
			errors.As(err, &pe)
			if pe.Message != "canceling statement due to user request" {
				t.Fatalf("message = %q", pe.Message)
			}
			var one int32
			if err := c.QueryRow(context.Background(), "select 1").Scan(&one); err != nil || one != 1 {
				t.Fatalf("select 1 after cancel = %d, %v", one, err)
			}
		})
	}
}

// TestCancelIgnored checks that a cancel with a wrong key, or for an idle
// connection, does nothing.
func TestCancelIgnored(t *testing.T) {
	ts := startServer(t, pgwire.Config{})
	c := pgxConnect(t, ts.url(""))
	pc := c.PgConn()
	w := dial(t, ts.addr)
	pkt := []byte{0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 0, 0, 0, 0, 0}
	pkt[8], pkt[9], pkt[10], pkt[11] = byte(pc.PID()>>24), byte(pc.PID()>>16), byte(pc.PID()>>8), byte(pc.PID())
	w.writeRaw(pkt) // key 0: wrong (or, once in 2^32, right while idle)
	w.expectClosed()
	if err := pc.CancelRequest(context.Background()); err != nil {
		t.Fatal(err)
	}
	var one int32
	if err := c.QueryRow(context.Background(), "select 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("select 1 after idle cancel = %d, %v", one, err)
	}
}
