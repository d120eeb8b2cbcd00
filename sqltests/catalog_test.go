package sqltests

import (
	"context"
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
