package sqltests

import (
	"context"
	"database/sql"
	"slices"
	"testing"

	"github.com/lib/pq"
)

// TestArrayParameters binds array parameters as real clients do (pg-compat
// §3.3): pgx describes "id = ANY($1)", gets int8[] (OID 1016) back and
// sends a []int64 in binary; text[] likewise; lib/pq sends pq.Array values
// in text. Array results come back in both formats.
func TestArrayParameters(t *testing.T) {
	srv := startServer(t)
	conn := srv.connect(t)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `CREATE TABLE items (id bigint, name text)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO items VALUES (1, 'a'), (2, 'b c'), (3, NULL), (4, 'd')`); err != nil {
		t.Fatal(err)
	}

	sd, err := conn.Prepare(ctx, "any_ids", `SELECT id FROM items WHERE id = ANY($1) ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	if len(sd.ParamOIDs) != 1 || sd.ParamOIDs[0] != 1016 {
		t.Fatalf("parameter types %v; want [1016]", sd.ParamOIDs)
	}
	for _, tc := range []struct {
		sql  string
		want []uint32
	}{
		{`SELECT id FROM items WHERE name = ANY($1)`, []uint32{1009}},
		{`SELECT id FROM items WHERE $1 = ANY(ARRAY[id])`, []uint32{20}},
		{`SELECT $1::int[]`, []uint32{1007}},
		{`SELECT ARRAY[$1, $2]`, []uint32{25, 25}},
		{`SELECT ARRAY[$1::int, $2]`, []uint32{23, 23}},
		{`SELECT array_length($1::text[], 1)`, []uint32{1009}},
		{`SELECT ARRAY[1, 2] @> $1`, []uint32{1007}},
		{`SELECT (ARRAY[1, 2])[$1]`, []uint32{23}},
	} {
		sd, err := conn.Prepare(ctx, "", tc.sql)
		if err != nil {
			t.Errorf("%s: %v", tc.sql, err)
			continue
		}
		if !slices.Equal(sd.ParamOIDs, tc.want) {
			t.Errorf("%s: parameter types %v; want %v", tc.sql, sd.ParamOIDs, tc.want)
		}
	}
	ids := func(sql string, args ...any) []int64 {
		t.Helper()
		rows, err := conn.Query(ctx, sql, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out = append(out, id)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := ids(`SELECT id FROM items WHERE id = ANY($1) ORDER BY id`, []int64{1, 3, 9}); !slices.Equal(got, []int64{1, 3}) {
		t.Errorf("id = ANY([1 3 9]) = %v", got)
	}
	if got := ids(`SELECT id FROM items WHERE id <> ALL($1) ORDER BY id`, []int64{1, 3}); !slices.Equal(got, []int64{2, 4}) {
		t.Errorf("id <> ALL([1 3]) = %v", got)
	}
	if got := ids(`SELECT id FROM items WHERE name = ANY($1) ORDER BY id`, []string{"b c", "d", "zz"}); !slices.Equal(got, []int64{2, 4}) {
		t.Errorf("name = ANY(text[]) = %v", got)
	}
	if got := ids(`SELECT id FROM items WHERE id = ANY($1) ORDER BY id`, []int64{}); len(got) != 0 {
		t.Errorf("id = ANY('{}') = %v", got)
	}

	// Array results, decoded by pgx from the binary form.
	var nums []int64
	var names []*string
	if err := conn.QueryRow(ctx, `SELECT ARRAY(SELECT id FROM items ORDER BY id), ARRAY(SELECT name FROM items ORDER BY id)`).Scan(&nums, &names); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(nums, []int64{1, 2, 3, 4}) || len(names) != 4 || names[2] != nil || *names[1] != "b c" {
		t.Errorf("arrays = %v, %v", nums, names)
	}

	// lib/pq: text parameters and results.
	db, err := sql.Open("postgres", srv.dsn())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got pq.Int64Array
	if err := db.QueryRowContext(ctx, `SELECT array_agg_ids FROM (SELECT ARRAY(SELECT id FROM items WHERE id = ANY($1) ORDER BY id) AS array_agg_ids) s`, pq.Array([]int64{2, 4})).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal([]int64(got), []int64{2, 4}) {
		t.Errorf("lib/pq: %v", got)
	}
}
