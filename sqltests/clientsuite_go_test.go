package sqltests

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pgvector/pgvector-go"
	pgxvec "github.com/pgvector/pgvector-go/pgx"
)

// The Go part of the real-client suites (see clientsuite_test.go):
// pgvector-go's Vector type with pgx and with lib/pq through database/sql,
// in pgx's query modes, with batches and statement-cache reuse, and with
// pgvector-go's RegisterTypes (binary vectors) and pgx's CopyFrom.

// goItems is the table the Go client suites create.
const goItems = `CREATE TABLE go_items (id bigint, name text, qty integer, price double precision, active boolean, embedding vector(3))`

// TestGoClientPgvectorPgx stores and searches pgvector.Vector values with
// pgx, without RegisterTypes: the Vector is a driver.Valuer and an
// sql.Scanner, so pgx sends it and reads it in text format.
func TestGoClientPgvectorPgx(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	conn := srv.connect(t)
	if _, err := conn.Exec(ctx, goItems); err != nil {
		t.Fatal(err)
	}
	// A batch: several Bind/Execute pipelined before one Sync.
	b := &pgx.Batch{}
	for i := 1; i <= 5; i++ {
		f := float32(i)
		b.Queue(`INSERT INTO go_items VALUES ($1, $2, $3, $4, $5, $6)`,
			int64(i), fmt.Sprint("n", i), i*1000, float64(i)/4, i%2 == 0, pgvector.NewVector([]float32{f, f, f}))
	}
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		t.Fatalf("batch insert: %v", err)
	}
	query := pgvector.NewVector([]float32{4, 4, 5})
	modes := []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe,
		pgx.QueryExecModeDescribeExec, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol}
	for _, mode := range modes {
		// Run each more than the statement cache's reuse threshold.
		for run := 0; run < 3; run++ {
			rows, err := conn.Query(ctx, `SELECT id, name, embedding FROM go_items ORDER BY embedding <-> $1 LIMIT $2`, mode, query, 2)
			if err != nil {
				t.Fatalf("%v: %v", mode, err)
			}
			var got []string
			for rows.Next() {
				var id int64
				var name string
				var v pgvector.Vector
				if err := rows.Scan(&id, &name, &v); err != nil {
					t.Fatalf("%v: scan: %v", mode, err)
				}
				got = append(got, fmt.Sprintf("%d %s %v", id, name, v.Slice()))
			}
			if err := rows.Err(); err != nil {
				t.Fatalf("%v: %v", mode, err)
			}
			if want := "[4 n4 [4 4 4] 5 n5 [5 5 5]]"; fmt.Sprint(got) != want {
				t.Errorf("%v run %d: nearest = %v; want %s", mode, run, got, want)
			}
		}
	}
	// Wrong dimensions: 22000, and the connection stays usable.
	var pe *pgconn.PgError
	_, err := conn.Exec(ctx, `INSERT INTO go_items (id, embedding) VALUES ($1, $2)`, 9, pgvector.NewVector([]float32{1, 2}))
	if !errors.As(err, &pe) || pe.Code != "22000" {
		t.Errorf("wrong dimensions: %v; want 22000", err)
	}
	var n int64
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM go_items WHERE active`).Scan(&n); err != nil || n != 2 {
		t.Errorf("count after error = %d, %v; want 2", n, err)
	}
}

// TestGoClientPgvectorLibPQ stores and searches pgvector.Vector values
// with lib/pq through database/sql (text vectors both ways), in a
// transaction with a savepoint.
func TestGoClientPgvectorLibPQ(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	db, err := sql.Open("postgres", srv.dsn())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, goItems); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO go_items (id, name, embedding) VALUES ($1, $2, $3)`)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		f := float32(i)
		if _, err := stmt.ExecContext(ctx, i, fmt.Sprint("n", i), pgvector.NewVector([]float32{f, 0, 0})); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.ExecContext(ctx, `SAVEPOINT s`); err != nil {
		t.Fatal(err)
	}
	if _, err := stmt.ExecContext(ctx, 4, "undone", pgvector.NewVector([]float32{4, 0, 0})); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT s`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, `SELECT id, embedding FROM go_items ORDER BY embedding <-> $1 LIMIT 2`, pgvector.NewVector([]float32{9, 0, 0}))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id int64
		var v pgvector.Vector
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprint(id, v.Slice()))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := "[3 [3 0 0] 2 [2 0 0]]"; fmt.Sprint(got) != want {
		t.Errorf("nearest = %v; want %s", got, want)
	}
}

// TestGoClientPgvectorRegistered registers pgvector-go's codecs with pgx
// (SELECT to_regtype('vector')::oid, to_regtype('_vector')::oid, …, binary
// oid results), so vectors go binary both ways, and copies vectors in with
// pgx's CopyFrom (binary COPY).
func TestGoClientPgvectorRegistered(t *testing.T) {
	t.Run("pgvector-go/RegisterTypes", func(t *testing.T) {
		srv := startServer(t)
		ctx := context.Background()
		conn := srv.connect(t)
		if err := pgxvec.RegisterTypes(ctx, conn); err != nil {
			t.Fatalf("RegisterTypes: %v", err)
		}
		if _, err := conn.Exec(ctx, goItems); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 3; i++ {
			f := float32(i)
			if _, err := conn.Exec(ctx, `INSERT INTO go_items (id, embedding) VALUES ($1, $2)`, i, pgvector.NewVector([]float32{f, f, f})); err != nil {
				t.Fatal(err)
			}
		}
		var id int64
		var v pgvector.Vector
		if err := conn.QueryRow(ctx, `SELECT id, embedding FROM go_items ORDER BY embedding <-> $1 LIMIT 1`,
			pgvector.NewVector([]float32{3, 3, 4})).Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(id, v.Slice()); got != "3 [3 3 3]" {
			t.Errorf("nearest = %s; want 3 [3 3 3]", got)
		}
	})
	// CopyFrom sends COPY "go_items" ( "id", "embedding" ) FROM STDIN BINARY;
	// pgx needs the vector type registered to encode it in binary.
	t.Run("pgx/CopyFrom", func(t *testing.T) {
		srv := startServer(t)
		ctx := context.Background()
		conn := srv.connect(t)
		if err := pgxvec.RegisterTypes(ctx, conn); err != nil {
			t.Fatalf("RegisterTypes: %v", err)
		}
		if _, err := conn.Exec(ctx, goItems); err != nil {
			t.Fatal(err)
		}
		rows := [][]any{{int64(1), pgvector.NewVector([]float32{1, 2, 3})}, {int64(2), pgvector.NewVector([]float32{4, 5, 6})}}
		n, err := conn.CopyFrom(ctx, pgx.Identifier{"go_items"}, []string{"id", "embedding"}, pgx.CopyFromRows(rows))
		if err != nil || n != 2 {
			t.Fatalf("CopyFrom = %d, %v; want 2", n, err)
		}
		var got string
		if err := conn.QueryRow(ctx, `SELECT embedding::text FROM go_items WHERE id = $1`, 2).Scan(&got); err != nil || got != "[4,5,6]" {
			t.Errorf("copied vector = %q, %v; want [4,5,6]", got, err)
		}
	})
}
