package copyfmt

import (
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// record builds a batch of testFields from decoded text rows.
func record(t testing.TB, data string) arrow.Record {
	t.Helper()
	d, err := NewDecoder(strings.NewReader(data), "items", testFields, DefaultOptions(Text), nil, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	n, _ := d.Decode(t.Context(), 1000)
	arrs := d.Arrays()
	fields := make([]arrow.Field, len(arrs))
	for i, a := range arrs {
		fields[i] = arrow.Field{Name: testFields[i].Name, Type: a.DataType(), Nullable: true}
	}
	rec := array.NewRecord(arrow.NewSchema(fields, nil), arrs, int64(n))
	for _, a := range arrs {
		a.Release()
	}
	return rec
}

const sample = "1\tplain\t[1,2,3]\n" +
	"2\t\\N\t\\N\n" +
	"3\ttab\\there, \"quoted\"\\\\back\\nline\t[1.5,2,3]\n" +
	"4\t\t[1e-05,-2,3]\n"

func encodeAll(t testing.TB, rec arrow.Record, opts Options) string {
	t.Helper()
	e := NewEncoder(testFields, opts, nil)
	out := e.Header(nil)
	if err := e.Reset(rec); err != nil {
		t.Fatal(err)
	}
	for r := 0; r < int(rec.NumRows()); r++ {
		out = e.AppendRow(out, r)
	}
	return string(e.Trailer(out))
}

func TestEncodeText(t *testing.T) {
	rec := record(t, sample)
	defer rec.Release()
	if got := encodeAll(t, rec, DefaultOptions(Text)); got != sample {
		t.Fatalf("text:\n%q\nwant\n%q", got, sample)
	}
}

func TestEncodeCSV(t *testing.T) {
	rec := record(t, sample)
	defer rec.Release()
	opts := DefaultOptions(CSV)
	opts.Header = true
	want := "id,name,embedding\n" +
		"1,plain,\"[1,2,3]\"\n" +
		"2,,\n" +
		"3,\"tab\there, \"\"quoted\"\"\\back\nline\",\"[1.5,2,3]\"\n" +
		"4,\"\",\"[1e-05,-2,3]\"\n"
	if got := encodeAll(t, rec, opts); got != want {
		t.Fatalf("csv:\n%q\nwant\n%q", got, want)
	}
}

// TestRoundTrip encodes and decodes again in every format.
func TestRoundTrip(t *testing.T) {
	rec := record(t, sample)
	defer rec.Release()
	want, _ := decodeAll(t, testFields, DefaultOptions(Text), sample, 100)
	for _, f := range []Format{Text, CSV, Binary} {
		opts := DefaultOptions(f)
		opts.Header = f != Binary
		data := encodeAll(t, rec, opts)
		got, err := decodeAll(t, testFields, opts, data, 2)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%s:\n%q\nwant\n%q", f, got, want)
		}
	}
}

func oneColumn(a arrow.Array) arrow.Record {
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: a.DataType(), Nullable: true}}, nil)
	return array.NewRecord(schema, []arrow.Array{a}, int64(a.Len()))
}
