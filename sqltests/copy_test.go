package sqltests

import (
	"bytes"
	"context"
	"database/sql"
	encbin "encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgproto3/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	pgxtype "github.com/jackc/pgx/v5/pgtype"
	"github.com/lib/pq"
	"github.com/pgvector/pgvector-go"
	pgxvec "github.com/pgvector/pgvector-go/pgx"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// COPY against the real server (pg-compat §3.6): pgx's binary CopyFrom
// (no trailer), pgconn's text and CSV CopyFrom and CopyTo, lib/pq's
// CopyIn, psql's \copy, and the protocol by hand for the extended query
// protocol. Every failure must leave the table as it was (same rows, same
// version) and the connection usable.

const copyItemsDDL = `CREATE TABLE items (id bigint NOT NULL, name text, price double precision, embedding vector(3))`

// registerVector teaches pgx lancegate's vector type, binary both ways.
func registerVector(conn *pgx.Conn) {
	conn.TypeMap().RegisterType(&pgxtype.Type{Name: "vector", OID: pgtype.OIDVector, Codec: &pgxvec.VectorCodec{}})
}

// copyOut returns COPY … TO STDOUT's data.
func copyOut(t *testing.T, conn *pgx.Conn, sql string) string {
	t.Helper()
	var buf bytes.Buffer
	tag, err := conn.PgConn().CopyTo(context.Background(), &buf, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if !strings.HasPrefix(tag.String(), "COPY ") {
		t.Fatalf("%s: tag %q", sql, tag)
	}
	return buf.String()
}

// copyIn runs COPY … FROM STDIN with data and returns the rows copied.
func copyIn(t *testing.T, conn *pgx.Conn, sql, data string) int64 {
	t.Helper()
	tag, err := conn.PgConn().CopyFrom(context.Background(), strings.NewReader(data), sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return tag.RowsAffected()
}

// copyInFails runs COPY … FROM STDIN with data, which must fail with code.
func copyInFails(t *testing.T, conn *pgx.Conn, sql, data, code string) *pgconn.PgError {
	t.Helper()
	_, err := conn.PgConn().CopyFrom(context.Background(), strings.NewReader(data), sql)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("%s: %v; want SQLSTATE %s", sql, err, code)
	}
	return pe
}

func tableVersion(t *testing.T, conn *pgx.Conn, table string) int64 {
	t.Helper()
	return count(t, conn, `SELECT max(version) FROM lance_versions('`+table+`')`)
}

// usable checks the connection still answers.
func usable(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	if n := count(t, conn, `SELECT 1`); n != 1 {
		t.Fatalf("SELECT 1 = %d", n)
	}
}

func TestCopyPgxBinary(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t)
	conn := srv.connect(t)
	registerVector(conn)
	execAll(t, conn, copyItemsDDL)
	before := tableVersion(t, conn, "items")
	rows := [][]any{
		{int64(1), "copy1", 1.5, pgvector.NewVector([]float32{1, 0, 0})},
		{int64(2), nil, nil, nil},
		{int64(3), "tab\tand\nnewline \\ \"q\"", -2.25, pgvector.NewVector([]float32{0.5, -1, 1e-5})},
	}
	n, err := conn.CopyFrom(ctx, pgx.Identifier{"items"}, []string{"id", "name", "price", "embedding"}, pgx.CopyFromRows(rows))
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("copied %d rows", n)
	}
	if v := tableVersion(t, conn, "items"); v != before+1 {
		t.Fatalf("version %d after one COPY from %d: want one commit", v, before)
	}
	want := "1\tcopy1\t1.5\t[1,0,0]\n" +
		"2\t\\N\t\\N\t\\N\n" +
		"3\ttab\\tand\\nnewline \\\\ \"q\"\t-2.25\t[0.5,-1,1e-05]\n"
	if got := copyOut(t, conn, `COPY (SELECT * FROM items ORDER BY id) TO STDOUT`); got != want {
		t.Fatalf("COPY TO:\n%q\nwant\n%q", got, want)
	}
	// A subset of the columns: the others are NULL.
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"items"}, []string{"embedding", "id"}, pgx.CopyFromRows([][]any{{pgvector.NewVector([]float32{3, 3, 3}), int64(4)}})); err != nil {
		t.Fatal(err)
	}
	if got := copyOut(t, conn, `COPY items (id, name, embedding) TO STDOUT`); !strings.Contains(got, "4\t\\N\t[3,3,3]\n") {
		t.Fatalf("COPY items (cols) TO:\n%s", got)
	}
}

func TestCopyTextCSVBinaryRoundTrip(t *testing.T) {
	srv := startServer(t)
	conn := srv.connect(t)
	execAll(t, conn,
		`CREATE TABLE all_types (b boolean, s smallint, i integer, l bigint, r real, d double precision, t text, v varchar(20), by bytea, dt date, ts timestamp, tz timestamptz, vec vector(2))`,
		`CREATE TABLE copy2 (b boolean, s smallint, i integer, l bigint, r real, d double precision, t text, v varchar(20), by bytea, dt date, ts timestamp, tz timestamptz, vec vector(2))`)
	text := "t\t1\t2\t3\t1.5\t2.25\ta\\\\b\\tc\tvar\t\\\\x0102\t2024-07-02\t2024-01-02 03:04:05\t2024-01-02 03:04:05.5+00\t[1,2]\n" +
		"\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n" +
		"f\t-32768\t-2147483648\t-9223372036854775808\t-Infinity\tNaN\t\tx\\ny\t\\\\x\t1999-12-31\t2000-01-01 00:00:00\t1999-12-31 23:59:59+00\t[-1.5,1e-05]\n"
	if n := copyIn(t, conn, `COPY all_types FROM STDIN`, text); n != 3 {
		t.Fatalf("COPY FROM: %d rows", n)
	}
	order := `(SELECT * FROM all_types ORDER BY l NULLS LAST)`
	wantText := "t\t1\t2\t3\t1.5\t2.25\ta\\\\b\\tc\tvar\t\\\\x0102\t2024-07-02\t2024-01-02 03:04:05\t2024-01-02 03:04:05.5+00\t[1,2]\n" +
		"f\t-32768\t-2147483648\t-9223372036854775808\t-Infinity\tNaN\t\tx\\ny\t\\\\x\t1999-12-31\t2000-01-01 00:00:00\t1999-12-31 23:59:59+00\t[-1.5,1e-05]\n" +
		"\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n"
	got := copyOut(t, conn, `COPY `+order+` TO STDOUT`)
	lines := strings.SplitAfter(got, "\n")
	if len(lines) != 4 || lines[3] != "" {
		t.Fatalf("COPY TO text:\n%s", got)
	}
	for _, l := range strings.SplitAfter(wantText, "\n")[:3] {
		if !strings.Contains(got, l) {
			t.Fatalf("COPY TO text lacks %q:\n%s", l, got)
		}
	}
	// CSV with a header, then back in; binary out, then back in.
	csv := copyOut(t, conn, `COPY `+order+` TO STDOUT WITH (FORMAT csv, HEADER)`)
	if !strings.HasPrefix(csv, "b,s,i,l,r,d,t,v,by,dt,ts,tz,vec\n") || !strings.Contains(csv, ",a\\b\tc,var,") || !strings.Contains(csv, "\"x\ny\"") || !strings.Contains(csv, `,"[1,2]"`) {
		t.Fatalf("COPY TO csv:\n%s", csv)
	}
	if n := copyIn(t, conn, `COPY copy2 FROM STDIN WITH (FORMAT csv, HEADER true)`, csv); n != 3 {
		t.Fatalf("CSV COPY FROM: %d rows", n)
	}
	var bin bytes.Buffer
	if _, err := conn.PgConn().CopyTo(context.Background(), &bin, `COPY all_types TO STDOUT (FORMAT binary)`); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(bin.Bytes(), []byte("PGCOPY\n\xff\r\n\x00")) || !bytes.HasSuffix(bin.Bytes(), []byte{0xff, 0xff}) {
		t.Fatalf("binary COPY TO: % x", bin.Bytes())
	}
	if _, err := conn.PgConn().CopyFrom(context.Background(), &bin, `COPY copy2 FROM STDIN BINARY`); err != nil {
		t.Fatal(err)
	}
	want2 := got + got
	lines = strings.SplitAfter(want2, "\n")
	got2 := copyOut(t, conn, `COPY (SELECT * FROM copy2 ORDER BY l NULLS LAST) TO STDOUT`)
	for _, l := range lines[:3] {
		if strings.Count(got2, l) != 2 {
			t.Fatalf("after CSV and binary round trips, %q is not there twice:\n%s", l, got2)
		}
	}
}

func TestCopyCSVOptions(t *testing.T) {
	srv := startServer(t)
	conn := srv.connect(t)
	execAll(t, conn, `CREATE TABLE m (c1 text, c2 text, c3 bigint)`)
	// Metabase's upload: NULL '' through the old syntax.
	data := "x;\"a;b\";1\n;\"\";2\n\"multi\nline\";'q';\n"
	if n := copyIn(t, conn, `COPY "m" ("c1", "c2", "c3") FROM STDIN WITH (FORMAT csv, DELIMITER ';', NULL '')`, data); n != 3 {
		t.Fatalf("%d rows", n)
	}
	got := copyOut(t, conn, `COPY (SELECT c1, c2, c3 FROM m ORDER BY c3 NULLS LAST) TO STDOUT WITH CSV HEADER FORCE QUOTE c2`)
	want := "c1,c2,c3\nx,\"a;b\",1\n,\"\",2\n\"multi\nline\",\"'q'\",\n"
	if got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	// The text format with its own delimiter and NULL string.
	got = copyOut(t, conn, `COPY (SELECT c1, c3 FROM m ORDER BY c3 NULLS LAST) TO STDOUT WITH (DELIMITER '|', NULL 'nil')`)
	if want := "x|1\nnil|2\nmulti\\nline|nil\n"; got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}

func TestCopyBadRowCommitsNothing(t *testing.T) {
	srv := startServer(t)
	conn := srv.connect(t)
	registerVector(conn)
	execAll(t, conn, copyItemsDDL, `INSERT INTO items VALUES (100, 'kept', 1, '[1,1,1]')`)
	version := tableVersion(t, conn, "items")
	cases := []struct {
		name, sql, data, code, where string
	}{
		{"text bad value", `COPY items FROM STDIN`, "1\ta\t1\t[1,2,3]\n2\tb\t2\t[1,2,3]\n3\tc\tabc\t[1,2,3]\n", "22P02", `COPY items, line 3, column price: "abc"`},
		{"text vector dims", `COPY items FROM STDIN`, "1\ta\t1\t[1,2,3]\n2\tb\t2\t[1,2]\n", "22000", `COPY items, line 2, column embedding: "[1,2]"`},
		{"text missing column", `COPY items FROM STDIN`, "1\ta\t1\n", "22P04", `COPY items, line 1: "1	a	1"`},
		{"not null", `COPY items FROM STDIN`, "1\ta\t1\t\\N\n\\N\tb\t2\t\\N\n", "23502", `COPY items, line 2: "\N	b	2	\N"`},
		{"not null left out", `COPY items (name) FROM STDIN`, "a\n", "23502", `COPY items, line 1`},
		{"csv unterminated", `COPY items FROM STDIN (FORMAT csv)`, "1,a,1,\"[1,2,3]\n", "22P04", ""},
		{"csv out of range", `COPY items FROM STDIN CSV HEADER`, "id,name,price,embedding\n1,a,1,\n99999999999999999999,b,2,\n", "22003", `COPY items, line 3, column id: "99999999999999999999"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pe := copyInFails(t, conn, c.sql, c.data, c.code)
			if c.where != "" && pe.Where != c.where {
				t.Errorf("where %q, want %q", pe.Where, c.where)
			}
			usable(t, conn)
			if n := count(t, conn, `SELECT count(*) FROM items`); n != 1 {
				t.Fatalf("%d rows after a failed COPY", n)
			}
			if v := tableVersion(t, conn, "items"); v != version {
				t.Fatalf("version %d after a failed COPY, was %d", v, version)
			}
		})
	}
	t.Run("binary vector dims", func(t *testing.T) {
		rows := [][]any{
			{int64(1), "a", 1.0, pgvector.NewVector([]float32{1, 2, 3})},
			{int64(2), "b", 2.0, pgvector.NewVector([]float32{1, 2})},
		}
		_, err := conn.CopyFrom(context.Background(), pgx.Identifier{"items"}, []string{"id", "name", "price", "embedding"}, pgx.CopyFromRows(rows))
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "22000" || pe.Where != "COPY items, line 2, column embedding" {
			t.Fatalf("err %v (%+v)", err, pe)
		}
		usable(t, conn)
		if v := tableVersion(t, conn, "items"); v != version {
			t.Fatalf("version moved to %d", v)
		}
	})
}

// failAfter yields data, then fails: pgconn answers CopyFail.
type failAfter struct {
	data io.Reader
}

func (f *failAfter) Read(p []byte) (int, error) {
	n, err := f.data.Read(p)
	if errors.Is(err, io.EOF) {
		return n, errors.New("client gave up")
	}
	return n, err
}

func TestCopyFail(t *testing.T) {
	srv := startServer(t)
	conn := srv.connect(t)
	execAll(t, conn, copyItemsDDL)
	_, err := conn.PgConn().CopyFrom(context.Background(), &failAfter{strings.NewReader("1\ta\t1\t\\N\n")}, `COPY items FROM STDIN`)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" || !strings.HasPrefix(pe.Message, "COPY from stdin failed: ") {
		t.Fatalf("err %v", err)
	}
	usable(t, conn)
	if n := count(t, conn, `SELECT count(*) FROM items`); n != 0 {
		t.Fatalf("%d rows after CopyFail", n)
	}
}

func TestCopyInTransaction(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t)
	conn := srv.connect(t)
	execAll(t, conn, copyItemsDDL)
	execAll(t, conn, `BEGIN`)
	copyIn(t, conn, `COPY items (id, name) FROM STDIN`, "1\ta\n2\tb\n")
	if n := count(t, conn, `SELECT count(*) FROM items`); n != 2 {
		t.Fatalf("inside the block: %d rows", n)
	}
	execAll(t, conn, `ROLLBACK`)
	if n := count(t, conn, `SELECT count(*) FROM items`); n != 0 {
		t.Fatalf("after ROLLBACK: %d rows", n)
	}
	// A failed COPY fails the block.
	execAll(t, conn, `BEGIN`)
	copyIn(t, conn, `COPY items (id, name) FROM STDIN`, "1\ta\n")
	copyInFails(t, conn, `COPY items (id, name) FROM STDIN`, "x\tb\n", "22P02")
	wantCode(t, conn, "25P02", `SELECT 1`)
	execAll(t, conn, `ROLLBACK`)
	// Committed with the block.
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Conn().PgConn().CopyFrom(ctx, strings.NewReader("7\tseven\n"), `COPY items (id, name) FROM STDIN`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := copyOut(t, conn, `COPY items (id, name) TO STDOUT`); got != "7\tseven\n" {
		t.Fatalf("after COMMIT: %q", got)
	}
}

func TestCopyStatementErrors(t *testing.T) {
	srv := startServer(t)
	conn := srv.connect(t)
	execAll(t, conn, copyItemsDDL)
	for _, c := range []struct{ sql, code string }{
		{`COPY items FROM '/etc/passwd'`, "42501"},
		{`COPY items TO '/tmp/x'`, "42501"},
		{`COPY items FROM PROGRAM 'cat'`, "42501"},
		{`COPY nosuch FROM STDIN`, "42P01"},
		{`COPY items (nosuch) FROM STDIN`, "42703"},
		{`COPY items (id, id) FROM STDIN`, "42701"},
		{`COPY items FROM STDIN WITH (FORMAT xml)`, "22023"},
		{`COPY items FROM STDIN WITH (FORMAT binary, DELIMITER ',')`, "42601"},
		{`COPY items FROM STDIN WITH (DELIMITER 'ab')`, "0A000"},
		{`COPY items FROM STDIN WITH (QUOTE '"')`, "0A000"},
		{`COPY items TO STDOUT WITH (FORMAT csv, FORCE_NOT_NULL (id))`, "0A000"},
		{`COPY items FROM STDIN WITH (FORMAT csv, FORCE_NULL (nosuch))`, "42P10"},
		{`COPY items FROM STDIN WITH (bogus 1)`, "42601"},
	} {
		pe := wantCode(t, conn, c.code, c.sql)
		if c.code == "42501" && !strings.Contains(pe.Hint, `\copy`) {
			t.Errorf("%s: hint %q", c.sql, pe.Hint)
		}
		usable(t, conn)
	}
}

func TestCopyLibPQ(t *testing.T) {
	srv := startServer(t)
	db, err := sql.Open("postgres", srv.dsn())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(copyItemsDDL); err != nil {
		t.Fatal(err)
	}
	txn, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	stmt, err := txn.Prepare(pq.CopyIn("items", "id", "name", "embedding"))
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []any{"a\tb", nil, `back\slash`} {
		if _, err := stmt.Exec(int64(i+1), name, "[1,2,3]"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := stmt.Exec(); err != nil {
		t.Fatal(err)
	}
	if err := stmt.Close(); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(); err != nil {
		t.Fatal(err)
	}
	conn := srv.connect(t)
	want := "1\ta\\tb\t[1,2,3]\n2\t\\N\t[1,2,3]\n3\tback\\\\slash\t[1,2,3]\n"
	if got := copyOut(t, conn, `COPY (SELECT id, name, embedding FROM items ORDER BY id) TO STDOUT`); got != want {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
	// A bad row through lib/pq: the error surfaces, nothing is stored.
	txn, err = db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	stmt, err = txn.Prepare(pq.CopyIn("items", "id", "embedding"))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = stmt.Exec(int64(9), "[1,2]")
	_, err = stmt.Exec()
	var pe *pq.Error
	if !errors.As(err, &pe) || pe.Code != "22000" {
		t.Fatalf("bad vector through pq.CopyIn: %v", err)
	}
	_ = stmt.Close()
	_ = txn.Rollback()
	if n := count(t, conn, `SELECT count(*) FROM items`); n != 3 {
		t.Fatalf("%d rows after the failed pq.CopyIn", n)
	}
}

func TestCopyPsql(t *testing.T) {
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Fatal("psql is not installed; install postgresql-client")
	}
	srv := startServer(t)
	conn := srv.connect(t)
	execAll(t, conn, copyItemsDDL)
	dir := t.TempDir()
	script := "\\copy items from stdin\n" +
		"1\tfirst\t1.5\t[1,2,3]\n" +
		"2\t\\N\t\\N\t\\N\n" +
		"\\.\n" +
		"\\copy items (id, name) from stdin with (format csv)\n" +
		"3,\"with, comma\"\n" +
		"\\.\n" +
		"\\copy (select id, name, embedding from items order by id) to stdout\n" +
		"\\copy (select id, name from items order by id) to stdout with csv header\n"
	if err := os.WriteFile(filepath.Join(dir, "copy.sql"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(srv.addr)
	cmd := exec.Command(psql, "-X", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", port, "-U", "lancegate", "-d", "lancegate", "-f", "copy.sql")
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("psql: %v\n%s", err, out.String())
	}
	want := "COPY 2\nCOPY 1\n" +
		"1\tfirst\t[1,2,3]\n2\t\\N\t\\N\n3\twith, comma\t\\N\n" +
		"id,name\n1,first\n2,\n3,\"with, comma\"\n"
	if out.String() != want {
		t.Fatalf("psql output:\n%s\nwant:\n%s", out.String(), want)
	}
}

// TestCopyExtendedProtocol drives COPY through Parse/Bind/Execute by hand:
// success, then a bad row (error, then everything discarded until Sync),
// then a client that sends its data before CopyInResponse.
func TestCopyExtendedProtocol(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t)
	conn := srv.connect(t)
	execAll(t, conn, copyItemsDDL)
	pc, err := pgconn.Connect(ctx, srv.dsn())
	if err != nil {
		t.Fatal(err)
	}
	hc, err := pc.Hijack()
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Conn.Close()
	_ = hc.Conn.SetDeadline(time.Now().Add(30 * time.Second))
	fe := pgproto3.NewFrontend(pgproto3.NewChunkReader(hc.Conn), hc.Conn)
	send := func(msgs ...pgproto3.FrontendMessage) {
		t.Helper()
		var buf []byte
		for _, m := range msgs {
			var err error
			if buf, err = m.Encode(buf); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := hc.Conn.Write(buf); err != nil {
			t.Fatal(err)
		}
	}
	// until reads messages up to ReadyForQuery and returns their types.
	until := func() []string {
		t.Helper()
		var got []string
		for {
			m, err := fe.Receive()
			if err != nil {
				t.Fatal(err)
			}
			switch m := m.(type) {
			case *pgproto3.ErrorResponse:
				got = append(got, "Error "+m.Code)
			case *pgproto3.CommandComplete:
				got = append(got, "Complete "+string(m.CommandTag))
			default:
				got = append(got, strings.TrimPrefix(strings.TrimPrefix(typeName(m), "*pgproto3."), ""))
			}
			if _, ok := m.(*pgproto3.ReadyForQuery); ok {
				return got
			}
		}
	}
	exec := []pgproto3.FrontendMessage{
		&pgproto3.Parse{Query: "COPY items (id, name) FROM STDIN"},
		&pgproto3.Bind{},
		&pgproto3.Execute{},
	}
	// Data sent together with Execute, before CopyInResponse.
	send(append(exec, &pgproto3.CopyData{Data: []byte("1\tone\n2\t")}, &pgproto3.CopyData{Data: []byte("two\n")}, &pgproto3.CopyDone{}, &pgproto3.Sync{})...)
	if got, want := strings.Join(until(), ","), "ParseComplete,BindComplete,CopyInResponse,Complete COPY 2,ReadyForQuery"; got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	// A bad row: ErrorResponse, the rest discarded until Sync.
	send(append(exec, &pgproto3.CopyData{Data: []byte("x\tbad\n")}, &pgproto3.CopyData{Data: []byte("4\tfour\n")}, &pgproto3.CopyDone{}, &pgproto3.Parse{Query: "SELECT 1"}, &pgproto3.Sync{})...)
	if got, want := strings.Join(until(), ","), "ParseComplete,BindComplete,CopyInResponse,Error 22P02,ReadyForQuery"; got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	// CopyFail.
	send(append(exec, &pgproto3.CopyData{Data: []byte("5\tfive\n")}, &pgproto3.CopyFail{Message: "stop"}, &pgproto3.Sync{})...)
	if got, want := strings.Join(until(), ","), "ParseComplete,BindComplete,CopyInResponse,Error 57014,ReadyForQuery"; got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	// COPY OUT through the extended protocol.
	send(&pgproto3.Parse{Query: "COPY (SELECT id FROM items ORDER BY id) TO STDOUT"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if got, want := strings.Join(until(), ","), "ParseComplete,BindComplete,CopyOutResponse,CopyData,CopyData,CopyDone,Complete COPY 2,ReadyForQuery"; got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	if n := count(t, conn, `SELECT count(*) FROM items`); n != 2 {
		t.Fatalf("%d rows, want the 2 of the successful COPY", n)
	}
}

func typeName(m pgproto3.BackendMessage) string {
	switch m.(type) {
	case *pgproto3.ParseComplete:
		return "ParseComplete"
	case *pgproto3.BindComplete:
		return "BindComplete"
	case *pgproto3.CopyInResponse:
		return "CopyInResponse"
	case *pgproto3.CopyOutResponse:
		return "CopyOutResponse"
	case *pgproto3.CopyData:
		return "CopyData"
	case *pgproto3.CopyDone:
		return "CopyDone"
	case *pgproto3.ReadyForQuery:
		return "ReadyForQuery"
	case *pgproto3.NoData:
		return "NoData"
	}
	return "other"
}

// TestCopyCancel cancels a COPY in progress: the CancelRequest is acted on
// before the server closes the cancelling socket, so once that socket is
// closed the next CopyData meets a cancelled statement (57014), nothing is
// stored, and the connection goes on.
func TestCopyCancel(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t)
	conn := srv.connect(t)
	execAll(t, conn, copyItemsDDL)
	pc, err := pgconn.Connect(ctx, srv.dsn())
	if err != nil {
		t.Fatal(err)
	}
	hc, err := pc.Hijack()
	if err != nil {
		t.Fatal(err)
	}
	defer hc.Conn.Close()
	_ = hc.Conn.SetDeadline(time.Now().Add(30 * time.Second))
	fe := pgproto3.NewFrontend(pgproto3.NewChunkReader(hc.Conn), hc.Conn)
	write := func(msgs ...pgproto3.FrontendMessage) {
		t.Helper()
		var buf []byte
		for _, m := range msgs {
			buf, _ = m.Encode(buf)
		}
		if _, err := hc.Conn.Write(buf); err != nil {
			t.Fatal(err)
		}
	}
	write(&pgproto3.Query{String: "COPY items (id) FROM STDIN"}, &pgproto3.CopyData{Data: []byte("1\n2\n")})
	if m, err := fe.Receive(); err != nil {
		t.Fatal(err)
	} else if _, ok := m.(*pgproto3.CopyInResponse); !ok {
		t.Fatalf("got %T, want CopyInResponse", m)
	}
	cc, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := (&pgproto3.CancelRequest{ProcessID: hc.PID, SecretKey: encbin.BigEndian.Uint32(hc.SecretKey)}).Encode(nil)
	if _, err := cc.Write(req); err != nil {
		t.Fatal(err)
	}
	_ = cc.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.Copy(io.Discard, cc); err != nil {
		t.Fatal(err)
	}
	cc.Close()
	write(&pgproto3.CopyData{Data: []byte("3\n")}, &pgproto3.CopyDone{})
	var got []string
	for {
		m, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		if e, ok := m.(*pgproto3.ErrorResponse); ok {
			got = append(got, e.Code)
		}
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			break
		}
	}
	if strings.Join(got, ",") != "57014" {
		t.Fatalf("errors %v, want 57014", got)
	}
	// The connection goes on; the dropped CopyData/CopyDone did no harm.
	write(&pgproto3.Query{String: "SELECT count(*) FROM items"})
	for {
		m, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		if d, ok := m.(*pgproto3.DataRow); ok && string(d.Values[0]) != "0" {
			t.Fatalf("count %s after a cancelled COPY", d.Values[0])
		}
		if _, ok := m.(*pgproto3.ErrorResponse); ok {
			t.Fatalf("error after a cancelled COPY: %+v", m)
		}
		if _, ok := m.(*pgproto3.ReadyForQuery); ok {
			break
		}
	}
}
