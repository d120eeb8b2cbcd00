package copyfmt

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// fuzzFields covers the fast paths and the general sink.
var fuzzFields = []Field{
	{Name: "id", Type: pgtype.Type{OID: pgtype.OIDInt8, Mod: -1}},
	{Name: "name", Type: pgtype.Type{OID: pgtype.OIDText, Mod: -1}},
	{Name: "v", Type: pgtype.Type{OID: pgtype.OIDVector, Mod: -1}},
	{Name: "f", Type: pgtype.Type{OID: pgtype.OIDFloat8, Mod: -1}, NotNull: true},
	{Name: "d", Type: pgtype.Type{OID: pgtype.OIDDate, Mod: -1}},
}

// fuzzDecode decodes data: it must never panic or leak, and every error
// must carry a SQLSTATE.
func fuzzDecode(t *testing.T, opts Options, data []byte) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	d, err := NewDecoder(strings.NewReader(string(data)), "t", fuzzFields, opts, nil, mem)
	if err != nil {
		t.Fatal(err)
	}
	for {
		n, err := d.Decode(context.Background(), 7)
		if n > 0 && (err == nil || errors.Is(err, io.EOF)) {
			for _, a := range d.Arrays() {
				if a.Len() != n {
					t.Fatalf("array of %d rows, want %d", a.Len(), n)
				}
				a.Release()
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if sqlstate.As(err) == nil {
				t.Fatalf("error without SQLSTATE: %v", err)
			}
			break
		}
	}
	d.Release()
	if n := mem.CurrentAlloc(); n != 0 {
		t.Fatalf("leaked %d bytes", n)
	}
}

func FuzzTextDecoder(f *testing.F) {
	f.Add([]byte("1\tabc\t[1,2]\t1.5\t2024-01-02\n\\N\t\\N\t\\N\t0\t\\N\n"))
	f.Add([]byte("1\ta\\tb\\x41\\101\\\\\t[1]\t-Infinity\t2000-01-01\r\n\\.\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDecode(t, DefaultOptions(Text), data) })
}

func FuzzCSVDecoder(f *testing.F) {
	f.Add([]byte("id,name,v,f,d\n1,\"a,b\",\"[1,2]\",1.5,2024-01-02\n,,,0,\n"))
	f.Add([]byte("1,\"multi\nline \"\"q\"\"\",\"[3]\",2,\n\\.\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := DefaultOptions(CSV)
		opts.Header = len(data) > 0 && data[0] == 'i'
		fuzzDecode(t, opts, data)
	})
}

func FuzzBinaryDecoder(f *testing.F) {
	f.Add(binaryCopy(true, []any{int64(1), "copy1", []float32{1, 0, 0}, []byte{0, 0, 0, 8, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}, nil}))
	f.Add(binaryCopy(false, []any{nil, nil, nil, []byte{0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0}, []byte{0, 0, 0, 4, 0, 0, 0, 1}}))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDecode(t, DefaultOptions(Binary), data) })
}

// FuzzTextRoundTrip checks that a text value survives the text and CSV
// encoders and decoders unchanged.
func FuzzTextRoundTrip(f *testing.F) {
	f.Add("plain")
	f.Add("tab\there\\back\nline, \"q\" \\.")
	f.Add(`\N`)
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8Clean(s) {
			return
		}
		fields := []Field{{Name: "s", Type: pgtype.Type{OID: pgtype.OIDText, Mod: -1}}}
		for _, format := range []Format{Text, CSV} {
			opts := DefaultOptions(format)
			d, err := NewDecoder(strings.NewReader(""), "t", fields, opts, nil, memory.DefaultAllocator)
			if err != nil {
				t.Fatal(err)
			}
			sk := d.sinks[0]
			if err := sk.appendText([]byte(s)); err != nil {
				d.Release()
				return
			}
			arr := sk.builder().NewArray()
			d.Release()
			e := NewEncoder(fields, opts, nil)
			rec := oneColumn(arr)
			if err := e.Reset(rec); err != nil {
				t.Fatal(err)
			}
			data := e.AppendRow(nil, 0)
			rec.Release()
			arr.Release()
			rows, err := decodeAll(t, fields, opts, string(data), 10)
			if err != nil {
				t.Fatalf("%s: %q → %q: %v", format, s, data, err)
			}
			if len(rows) != 1 || rows[0] != s {
				t.Fatalf("%s: %q → %q → %q", format, s, data, rows)
			}
		}
	})
}

func utf8Clean(s string) bool {
	return strings.ToValidUTF8(s, "") == s && !strings.ContainsRune(s, 0)
}
