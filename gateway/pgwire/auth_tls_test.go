package pgwire_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestRequireTLS: with Auth.RequireTLS a client without TLS is refused
// before any authentication exchange (FATAL 28000, as pg_hba.conf's
// hostssl), and one with TLS authenticates as usual.
func TestRequireTLS(t *testing.T) {
	cfg := scramConfig(t)
	cfg.TLS = selfSigned(t)
	cfg.Auth.RequireTLS = true
	ts := startServer(t, cfg)
	_, err := pgx.Connect(context.Background(), fmt.Sprintf("postgres://alice:s3cret@%s/db?sslmode=disable", ts.addr))
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "28000" || pe.Severity != "FATAL" {
		t.Fatalf("plaintext connect = %v; want FATAL 28000", err)
	}
	c := pgxConnect(t, fmt.Sprintf("postgres://alice:s3cret@%s/db?sslmode=require", ts.addr))
	var one int32
	if err := c.QueryRow(context.Background(), "select 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("select 1 = %d, %v", one, err)
	}
}
