package sqltests

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestCopyArrayColumns copies array columns (stored as Lance list columns)
// in and out in text, CSV and binary: NULL arrays, empty arrays, NULL and
// quoted elements survive every round trip, and a multidimensional array
// fails the COPY with 0A000 and commits nothing.
func TestCopyArrayColumns(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t)
	conn := srv.connect(t)
	execAll(t, conn,
		`CREATE TABLE arr (id bigint, tags text[], nums int[], fs float8[], flags bool[])`,
		`CREATE TABLE arr2 (id bigint, tags text[], nums int[], fs float8[], flags bool[])`)
	text := "1\t{a,b}\t{1,2,3}\t{1.5,-2}\t{t,f}\n" +
		"2\t\\N\t{}\t\\N\t{}\n" +
		"3\t{NULL,\"x y\",\"c,d\",\"q\\\\\"q\"}\t{NULL,4}\t{NaN}\t{NULL}\n" +
		"4\t{}\t\\N\t{}\t\\N\n"
	if n := copyIn(t, conn, `COPY arr FROM STDIN`, text); n != 4 {
		t.Fatalf("COPY FROM text: %d rows", n)
	}
	wantText := "1\t{a,b}\t{1,2,3}\t{1.5,-2}\t{t,f}\n" +
		"2\t\\N\t{}\t\\N\t{}\n" +
		"3\t{NULL,\"x y\",\"c,d\",\"q\\\\\"q\"}\t{NULL,4}\t{NaN}\t{NULL}\n" +
		"4\t{}\t\\N\t{}\t\\N\n"
	if got := copyOut(t, conn, `COPY (SELECT * FROM arr ORDER BY id) TO STDOUT`); got != wantText {
		t.Fatalf("COPY TO text:\n got %q\nwant %q", got, wantText)
	}
	csv := copyOut(t, conn, `COPY (SELECT * FROM arr ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)`)
	if n := copyIn(t, conn, `COPY arr2 FROM STDIN WITH (FORMAT csv, HEADER true)`, csv); n != 4 {
		t.Fatalf("COPY FROM csv: %d rows", n)
	}
	var bin bytes.Buffer
	if _, err := conn.PgConn().CopyTo(ctx, &bin, `COPY arr TO STDOUT (FORMAT binary)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.PgConn().CopyFrom(ctx, &bin, `COPY arr2 FROM STDIN BINARY`); err != nil {
		t.Fatal(err)
	}
	got := copyOut(t, conn, `COPY (SELECT * FROM arr2 ORDER BY id) TO STDOUT`)
	for _, l := range strings.SplitAfter(wantText, "\n")[:4] {
		if strings.Count(got, l) != 2 {
			t.Fatalf("after CSV and binary round trips, %q is not there twice:\n%s", l, got)
		}
	}
	// real[] shares the COPY path of vectors (lists of float32); its
	// NULL elements must stay NULL.
	execAll(t, conn, `CREATE TABLE reals (id int, rs real[])`)
	if n := copyIn(t, conn, `COPY reals FROM STDIN`, "1\t{1.5,NULL,-2}\n2\t{}\n3\t\\N\n"); n != 3 {
		t.Fatalf("COPY FROM reals: %d rows", n)
	}
	if got, want := copyOut(t, conn, `COPY (SELECT * FROM reals ORDER BY id) TO STDOUT`), "1\t{1.5,NULL,-2}\n2\t{}\n3\t\\N\n"; got != want {
		t.Fatalf("COPY TO reals:\n got %q\nwant %q", got, want)
	}
	before := tableVersion(t, conn, "arr")
	copyInFails(t, conn, `COPY arr FROM STDIN`, "5\t{a}\t{{1,2},{3,4}}\t\\N\t\\N\n", "0A000")
	copyInFails(t, conn, `COPY arr FROM STDIN`, "5\t{a}\t{1,x}\t\\N\t\\N\n", "22P02")
	if after := tableVersion(t, conn, "arr"); after != before {
		t.Fatalf("failed COPYs changed the table version from %d to %d", before, after)
	}
	if n := count(t, conn, `SELECT count(*) FROM arr`); n != 4 {
		t.Fatalf("%d rows after failed COPYs; want 4", n)
	}
}
