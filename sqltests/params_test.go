package sqltests

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestParameterTypes checks ParameterDescription against PostgreSQL's
// inference (pg-compat §3.3): clients that send no parameter types (pgx,
// lib/pq, node-postgres) encode each argument as the server says.
func TestParameterTypes(t *testing.T) {
	srv := startServer(t)
	conn := srv.connect(t)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `CREATE TABLE items (id bigint, name text, price double precision, created_at timestamptz, embedding vector(3))`); err != nil {
		t.Fatal(err)
	}
	const vec = 16385
	for _, tc := range []struct {
		sql  string
		want []uint32
		code string
	}{
		{sql: `SELECT $1`, want: []uint32{25}},
		{sql: `SELECT $1 + 1`, want: []uint32{23}},
		{sql: `SELECT $1 + 1.5`, want: []uint32{1700}},
		{sql: `SELECT $1 || 'x'`, want: []uint32{25}},
		{sql: `SELECT $1 = $2`, want: []uint32{25, 25}},
		{sql: `SELECT $1 + $2`, code: "42725"},
		{sql: `SELECT -$1`, code: "42725"},
		{sql: `SELECT * FROM items WHERE id = $1`, want: []uint32{20}},
		{sql: `SELECT * FROM items WHERE $1 = id`, want: []uint32{20}},
		{sql: `SELECT * FROM items WHERE id IN ($1, $2)`, want: []uint32{20, 20}},
		{sql: `SELECT * FROM items WHERE id = $1 OR $1 IS NULL`, want: []uint32{20}},
		{sql: `SELECT * FROM items WHERE price > $1`, want: []uint32{701}},
		{sql: `SELECT * FROM items WHERE name LIKE $1`, want: []uint32{25}},
		{sql: `SELECT * FROM items WHERE name ILIKE $1`, want: []uint32{25}},
		{sql: `SELECT * FROM items WHERE name IN ($1, 'x')`, want: []uint32{25}},
		{sql: `SELECT COALESCE(name, $1) FROM items`, want: []uint32{25}},
		{sql: `SELECT CASE WHEN id > 1 THEN $1 ELSE name END FROM items`, want: []uint32{25}},
		{sql: `SELECT upper($1)`, want: []uint32{25}},
		{sql: `SELECT * FROM items WHERE created_at > $1`, want: []uint32{1184}},
		{sql: `SELECT * FROM items WHERE created_at BETWEEN $1 AND $2`, want: []uint32{1184, 1184}},
		{sql: `SELECT id FROM items ORDER BY embedding <-> $1 LIMIT $2`, want: []uint32{vec, 20}},
		{sql: `SELECT id FROM items WHERE embedding <=> $1 < $2`, want: []uint32{vec, 701}},
		{sql: `SELECT 1 - (embedding <=> $1) FROM items`, want: []uint32{vec}},
		{sql: `SELECT l2_distance(embedding, $1) FROM items`, want: []uint32{vec}},
		{sql: `SELECT id FROM items WHERE embedding <-> $1 < 0.5 ORDER BY embedding <-> $1 LIMIT 5`, want: []uint32{vec}},
		{sql: `SELECT vector_dims($1)`, code: "42725"},
		{sql: `SELECT * FROM items LIMIT $1 OFFSET $2`, want: []uint32{20, 20}},
		{sql: `INSERT INTO items (name, embedding) VALUES ($1, $2)`, want: []uint32{25, vec}},
		{sql: `INSERT INTO items (name) VALUES ($1) RETURNING id`, want: []uint32{25}},
		{sql: `UPDATE items SET embedding = $1 WHERE id = $2`, want: []uint32{vec, 20}},
		{sql: `SELECT $1::int, $2::vector, $3::timestamptz`, want: []uint32{23, vec, 1184}},
		{sql: `SELECT $1::int8 + $2`, want: []uint32{20, 20}},
		{sql: `SELECT COALESCE($1, 0)`, want: []uint32{23}},
		{sql: `SELECT abs($1)`, want: []uint32{701}},
		{sql: `SELECT CASE WHEN $1 THEN 1 ELSE 0 END`, want: []uint32{16}},
		{sql: `SELECT 1 WHERE $1`, want: []uint32{16}},
		{sql: `SELECT $1 IS NULL`, code: "42P18"},
		{sql: `SELECT count(*) FROM items WHERE $1::text IS NULL OR name = $1`, want: []uint32{25}},
		{sql: `SELECT $2`, code: "42P18"},
	} {
		t.Run(tc.sql, func(t *testing.T) {
			sd, err := conn.PgConn().Prepare(ctx, "", tc.sql, nil)
			if tc.code != "" {
				var pe *pgconn.PgError
				if !errors.As(err, &pe) || pe.Code != tc.code {
					t.Errorf("Prepare(%q) = %v; want error %s", tc.sql, err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("Prepare(%q): %v", tc.sql, err)
			}
			if fmt.Sprint(sd.ParamOIDs) != fmt.Sprint(tc.want) {
				t.Errorf("Prepare(%q) parameter types = %v; want %v", tc.sql, sd.ParamOIDs, tc.want)
			}
		})
	}
}
