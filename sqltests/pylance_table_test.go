package sqltests

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestPylanceTableServed has pylance write a dataset with its default
// settings (data file version 2.2) into the server's storage root: it is
// served as a table, lancegate's INSERT and DELETE land in it, and pylance
// reads the result.
func TestPylanceTableServed(t *testing.T) {
	py := os.Getenv("LANCEGATE_PYTHON")
	if py == "" {
		if os.Getenv("LANCEGATE_REQUIRE_INTEROP") == "1" {
			t.Fatal("LANCEGATE_PYTHON is not set; run the tests with `make test`")
		}
		t.Skip("LANCEGATE_PYTHON is not set; `make test` sets it")
	}
	srv := startServer(t)
	run := func(script string) string {
		t.Helper()
		cmd := exec.Command(py, "-c", script, filepath.Join(srv.dir, "docs.lance"))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("python: %v\n%s", err, out.String())
		}
		return out.String()
	}
	run(`
import sys, lance, pyarrow as pa
vecs = pa.FixedSizeListArray.from_arrays(pa.array([1,0,0, 0,1,0, 0,0,1, 1,1,0], pa.float32()), 3)
t = pa.table({"id": pa.array([1, 2, 3, 4], pa.int64()), "title": pa.array(["a", "b", None, "d"], pa.large_string()), "vec": vecs})
lance.write_dataset(t, sys.argv[1])
`)
	conn := srv.connect(t)
	ctx := context.Background()
	var n int64
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM docs WHERE title IS NOT NULL`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("count = %d, %v; want 3", n, err)
	}
	var id int64
	var title string
	if err := conn.QueryRow(ctx, `SELECT id, title FROM docs ORDER BY vec <-> '[0.9,0.2,0]' LIMIT 1`).Scan(&id, &title); err != nil || id != 1 || title != "a" {
		t.Fatalf("nearest = %d %q, %v; want 1 a", id, title, err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO docs VALUES (5, 'e', '[0,0,2]')`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `DELETE FROM docs WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	got := run(`
import sys, lance
ds = lance.dataset(sys.argv[1])
print(ds.data_storage_version, sorted(ds.to_table().column("id").to_pylist()), ds.count_rows())
`)
	if want := "2.2 [1, 3, 4, 5] 4\n"; got != want {
		t.Errorf("pylance reads %q; want %q", got, want)
	}
}
