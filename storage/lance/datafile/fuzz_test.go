package datafile_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/datafile"
)

// fuzzTypes are the column types FuzzReadFile decodes every column as; the
// fuzzer picks one per column with a byte of its input.
var fuzzTypes = []arrow.DataType{
	arrow.PrimitiveTypes.Int64,
	arrow.PrimitiveTypes.Int32,
	arrow.PrimitiveTypes.Float64,
	arrow.FixedWidthTypes.Boolean,
	arrow.BinaryTypes.String,
	arrow.BinaryTypes.LargeString,
	arrow.BinaryTypes.Binary,
	arrow.FixedSizeListOf(3, arrow.PrimitiveTypes.Float32),
	arrow.FixedSizeListOf(128, arrow.PrimitiveTypes.Float32),
	arrow.PrimitiveTypes.Uint8,
}

// FuzzReadFile opens arbitrary bytes as a data file and decodes every page
// of every column: it must fail with an error, never panic, and never leak
// memory. The seed corpus holds files written by lancegate and pylance.
func FuzzReadFile(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.lance")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err == nil && len(b) < 1<<20 {
			f.Add(b, byte(0))
		}
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	rec := buildRecord(mem, 150, 1)
	for _, v := range []datafile.Version{datafile.V2_0, datafile.V2_1, datafile.V2_2} {
		var buf bytes.Buffer
		w, err := datafile.NewWriter(&buf, rec.Schema(), lanceFields(rec.Schema()), datafile.WriterOptions{PageBytes: 512, DictionaryStrings: true, Version: v})
		if err != nil {
			f.Fatal(err)
		}
		if err := w.Write(rec); err != nil {
			f.Fatal(err)
		}
		if _, err := w.Close(); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes(), byte(4))
	}
	rec.Release()
	f.Fuzz(func(t *testing.T, data []byte, pick byte) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		file, err := datafile.ParseFile("fuzz.lance", data)
		if err != nil {
			return
		}
		src := memSource{"fuzz.lance": data}
		for c := range file.Columns {
			dt := fuzzTypes[(int(pick)+c)%len(fuzzTypes)]
			for p := range file.Columns[c].Pages {
				if file.Columns[c].Pages[p].Length > 1<<14 {
					continue // keep each run small; the size checks are unit-tested
				}
				a, err := file.ReadPage(context.Background(), src, mem, c, p, dt)
				if err == nil {
					a.Release()
				}
			}
		}
	})
}
