package datafile_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/datafile"
)

// interopPython returns the interpreter with pylance that the interop test
// runs, or skips the test when LANCEGATE_PYTHON is not set (failing
// instead under LANCEGATE_REQUIRE_INTEROP=1).
func interopPython(t *testing.T) string {
	t.Helper()
	py := os.Getenv("LANCEGATE_PYTHON")
	if py == "" {
		if os.Getenv("LANCEGATE_REQUIRE_INTEROP") == "1" {
			t.Fatal("LANCEGATE_REQUIRE_INTEROP=1 but LANCEGATE_PYTHON is not set")
		}
		t.Skip("set LANCEGATE_PYTHON to a Python with pylance to run the interop test")
	}
	return py
}

// interopFile is one file handed to pylance_read.py.
type interopFile struct {
	Name     string `json:"name"`
	Lance    string `json:"lance"`
	Expected string `json:"expected"`
	Out      string `json:"out"`
	Version  string `json:"version"`

	want arrow.Record
}

// TestPylanceReadsWriter writes 2.1 and 2.2 files of every type, null
// pattern and page split with lancegate, has pylance read them back with
// LanceFileReader (whole, by row ranges and by scattered rows) and compares
// what it read with the rows written, in Python and again in Go. Setting
// LANCEGATE_KEEP to a directory keeps the files there for inspection.
func TestPylanceReadsWriter(t *testing.T) {
	py := interopPython(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	if d := os.Getenv("LANCEGATE_KEEP"); d != "" {
		dir = d
	}
	var files []*interopFile
	defer func() {
		for _, f := range files {
			f.want.Release()
		}
	}()
	add := func(name string, v datafile.Version, data []byte, want arrow.Record) {
		base := filepath.Join(dir, fmt.Sprintf("f%03d", len(files)))
		f := &interopFile{Name: name, Lance: base + ".lance", Expected: base + ".arrow", Out: base + ".out.arrow", Version: v.String(), want: want}
		files = append(files, f)
		if err := os.WriteFile(f.Lance, data, 0o644); err != nil {
			t.Fatal(err)
		}
		writeIPC(t, f.Expected, want)
	}
	for _, v := range []datafile.Version{datafile.V2_1, datafile.V2_2} {
		for _, c := range writeCases() {
			data, want := writeFile(t, mem, c, datafile.WriterOptions{Version: v})
			add(v.String()+"/"+c.name, v, data, want)
		}
		rec := buildRecord(mem, 700, 3)
		var buf bytes.Buffer
		w, err := datafile.NewWriter(&buf, rec.Schema(), lanceSchema(rec.Schema()), datafile.WriterOptions{Version: v, PageBytes: 4096})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Close(); err != nil {
			t.Fatal(err)
		}
		add(v.String()+"/default types", v, buf.Bytes(), rec)
	}
	manifest := filepath.Join(dir, "manifest.json")
	b, err := json.Marshal(files)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "pylance_read.py", manifest)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	results := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var r struct {
			Name   string   `json:"name"`
			Errors []string `json:"errors"`
		}
		if json.Unmarshal([]byte(line), &r) == nil && r.Name != "" {
			results[r.Name] = r.Errors
		}
	}
	for _, f := range files {
		errs, ok := results[f.Name]
		switch {
		case !ok:
			t.Errorf("%s: pylance_read.py reported nothing", f.Name)
		case len(errs) > 0:
			t.Errorf("%s: pylance read back differently:\n%s", f.Name, strings.Join(errs, "\n"))
		default:
			compareIPC(t, mem, f.Name, f.Out, f.want)
		}
	}
	if runErr != nil && !t.Failed() {
		t.Errorf("pylance_read.py: %v\n%s", runErr, stderr.String())
	}
	if t.Failed() && stderr.Len() > 0 {
		t.Logf("pylance_read.py stderr:\n%s", stderr.String())
	}
}

// writeIPC writes rec to an Arrow IPC file.
func writeIPC(t *testing.T, path string, rec arrow.Record) {
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

// compareIPC compares, column by column, the Arrow IPC file pylance wrote
// with the rows lancegate wrote.
func compareIPC(t *testing.T, mem memory.Allocator, name, path string, want arrow.Record) {
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
	cols := make([][]arrow.Array, want.NumCols())
	for i := 0; i < r.NumRecords(); i++ {
		rec, err := r.RecordAt(i)
		if err != nil {
			t.Fatal(err)
		}
		for c := range cols {
			col := rec.Column(c)
			col.Retain()
			cols[c] = append(cols[c], col)
		}
		rec.Release()
	}
	for c, parts := range cols {
		var got arrow.Array
		if len(parts) == 0 {
			got = array.MakeArrayOfNull(mem, want.Column(c).DataType(), 0)
		} else {
			got, err = array.Concatenate(parts, mem)
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range parts {
			p.Release()
		}
		if !array.Equal(got, want.Column(c)) {
			t.Errorf("%s: column %s as pylance read it:\n got %v\nwant %v", name, want.Schema().Field(c).Name, trunc(got), trunc(want.Column(c)))
		}
		got.Release()
	}
}
