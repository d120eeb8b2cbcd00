package sqltests

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// A regclass parameter is a name resolved when the statement runs (pgx
// sends the text; psycopg 3 declares the type), and an unknown name is
// 42P01 like the constant form.
func TestRegclassParameter(t *testing.T) {
	ctx := context.Background()
	conn := startServer(t).connect(t)
	if _, err := conn.Exec(ctx, "CREATE TABLE reg_t (id bigint)"); err != nil {
		t.Fatal(err)
	}
	var oid, want uint32
	if err := conn.QueryRow(ctx, "SELECT $1::regclass::oid", "pg_catalog.pg_class").Scan(&oid); err != nil || oid != 1259 {
		t.Fatalf("pg_catalog.pg_class: %d, %v", oid, err)
	}
	if err := conn.QueryRow(ctx, "SELECT oid FROM pg_class WHERE relname = 'reg_t'").Scan(&want); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT $1::regclass::oid", `public."reg_t"`).Scan(&oid); err != nil || oid != want {
		t.Fatalf("public.reg_t: %d, %v; want %d", oid, err, want)
	}
	err := conn.QueryRow(ctx, "SELECT $1::regclass::oid", "nope").Scan(&oid)
	if pe, ok := err.(*pgconn.PgError); !ok || pe.Code != "42P01" {
		t.Fatalf("unknown relation: %v, want 42P01", err)
	}
}

// COPY that leaves a serial column out fills it from the sequence, as
// PostgreSQL does, continuing after values INSERT took.
func TestSerialCopy(t *testing.T) {
	ctx := context.Background()
	conn := startServer(t).connect(t)
	for _, sql := range []string{"CREATE TABLE sc (id bigserial PRIMARY KEY, name text)", "INSERT INTO sc (name) VALUES ('first')"} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	tag, err := conn.PgConn().CopyFrom(ctx, strings.NewReader("a\nb\nc\n"), "COPY sc (name) FROM STDIN")
	if err != nil || tag.RowsAffected() != 3 {
		t.Fatalf("COPY: %v %v", tag, err)
	}
	var n, distinct, lo int64
	if err := conn.QueryRow(ctx, "SELECT count(*), count(DISTINCT id), min(id) FROM sc").Scan(&n, &distinct, &lo); err != nil || n != 4 || distinct != 4 || lo != 1 {
		t.Fatalf("count %d distinct %d min %d, %v", n, distinct, lo, err)
	}
}
