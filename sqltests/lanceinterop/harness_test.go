package lanceinterop

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
)

// python returns the interpreter of the test virtualenv, or skips (or,
// under LANCEGATE_REQUIRE_INTEROP=1, fails) when there is none.
func python(t testing.TB) string {
	t.Helper()
	py := os.Getenv("LANCEGATE_PYTHON")
	if py == "" {
		if os.Getenv("LANCEGATE_REQUIRE_INTEROP") == "1" {
			t.Fatal("LANCEGATE_PYTHON is not set; run the tests with `make test`")
		}
		t.Skip("LANCEGATE_PYTHON is not set; `make test` sets it")
	}
	return py
}

// pylance runs a pylance_tool.py command and decodes its JSON answer.
func pylance(t testing.TB, args ...string) map[string]any {
	t.Helper()
	out, err := pylanceErr(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func pylanceErr(t testing.TB, args ...string) (map[string]any, error) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	tool := filepath.Join(filepath.Dir(file), "pylance_tool.py")
	cmd := exec.Command(python(t), append([]string{tool}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("pylance_tool %v: %v\n%s", args, err, stderr.String())
	}
	var res map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("pylance_tool %v printed %q: %v", args, stdout.String(), err)
	}
	return res, nil
}

// writeIPC writes rec to an Arrow IPC file.
func writeIPC(t testing.TB, path string, rec arrow.Record) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := ipc.NewFileWriter(f, ipc.WithSchema(rec.Schema()))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// readIPC reads an Arrow IPC file into one record.
func readIPC(t testing.TB, mem memory.Allocator, path string) arrow.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ipc.NewFileReader(f, ipc.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var recs []arrow.Record
	for i := 0; i < r.NumRecords(); i++ {
		rec, err := r.Record(i)
		if err != nil {
			t.Fatal(err)
		}
		rec.Retain()
		recs = append(recs, rec)
	}
	return concat(t, mem, r.Schema(), recs)
}

// concat joins records into one and releases them.
func concat(t testing.TB, mem memory.Allocator, schema *arrow.Schema, recs []arrow.Record) arrow.Record {
	t.Helper()
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	cols := make([]arrow.Array, schema.NumFields())
	var n int64
	for _, r := range recs {
		n += r.NumRows()
	}
	for c := range cols {
		if len(recs) == 0 {
			cols[c] = array.MakeArrayOfNull(mem, schema.Field(c).Type, 0)
			continue
		}
		parts := make([]arrow.Array, len(recs))
		for i, r := range recs {
			parts[i] = r.Column(c)
		}
		a, err := array.Concatenate(parts, mem)
		if err != nil {
			t.Fatal(err)
		}
		cols[c] = a
	}
	rec := array.NewRecord(schema, cols, n)
	for _, a := range cols {
		a.Release()
	}
	return rec
}

// scanAll reads a whole dataset snapshot with lancegate.
func scanAll(t *testing.T, mem memory.Allocator, ds *lance.Dataset) arrow.Record {
	t.Helper()
	sc, err := ds.Scan(lance.ScanOptions{Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	var recs []arrow.Record
	for {
		rec, err := sc.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	return concat(t, mem, sc.Schema(), recs)
}

// sameRecords fails the test unless got and want have the same schema
// (names, types, nullability) and values.
func sameRecords(t *testing.T, what string, got, want arrow.Record) {
	t.Helper()
	if got.NumRows() != want.NumRows() {
		t.Fatalf("%s: %d rows; want %d", what, got.NumRows(), want.NumRows())
	}
	if got.NumCols() != want.NumCols() {
		t.Fatalf("%s: %d columns (%s); want %d (%s)", what, got.NumCols(), got.Schema(), want.NumCols(), want.Schema())
	}
	for i := 0; i < int(want.NumCols()); i++ {
		gf, wf := got.Schema().Field(i), want.Schema().Field(i)
		if gf.Name != wf.Name || !arrow.TypeEqual(gf.Type, wf.Type) || gf.Nullable != wf.Nullable {
			t.Errorf("%s: column %d is %s %s (nullable %v); want %s %s (nullable %v)", what, i, gf.Name, gf.Type, gf.Nullable, wf.Name, wf.Type, wf.Nullable)
			continue
		}
		if !array.Equal(got.Column(i), want.Column(i)) {
			t.Errorf("%s: column %s differs:\n got %s\nwant %s", what, wf.Name, trunc(got.Column(i)), trunc(want.Column(i)))
		}
	}
}

func trunc(a arrow.Array) string {
	s := fmt.Sprint(a)
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

// localStore opens a local object store rooted in a fresh temp directory.
func localStore(t *testing.T) (objstore.Store, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := objstore.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return st, dir
}
