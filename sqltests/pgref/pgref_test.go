package pgref_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lancegate/lancegate/sqltests/pgref"
)

// TestStart starts a server and asks it for its version.
func TestStart(t *testing.T) {
	s := pgref.Start(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v int
	if err := conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v/10000 != 15 {
		t.Errorf("server_version_num = %d; want 15xxxx", v)
	}
}
