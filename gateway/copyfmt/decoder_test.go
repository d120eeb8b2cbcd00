package copyfmt

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

var testFields = []Field{
	{Name: "id", Type: pgtype.Type{OID: pgtype.OIDInt8, Mod: -1}, NotNull: true},
	{Name: "name", Type: pgtype.Type{OID: pgtype.OIDText, Mod: -1}},
	{Name: "embedding", Type: pgtype.VectorOf(3)},
}

// decodeAll decodes data and returns the rows as text (pgtype's output
// form, NULL for nulls), one string per row with fields joined by '|'.
func decodeAll(t testing.TB, fields []Field, opts Options, data string, batch int) ([]string, error) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer func() {
		if n := mem.CurrentAlloc(); n != 0 {
			t.Errorf("leaked %d bytes", n)
		}
	}()
	d, err := NewDecoder(strings.NewReader(data), "items", fields, opts, nil, mem)
	if err != nil {
		return nil, err
	}
	defer d.Release()
	var rows []string
	for {
		n, derr := d.Decode(context.Background(), batch)
		if n > 0 {
			arrs := d.Arrays()
			for r := 0; r < n; r++ {
				var parts []string
				for i, a := range arrs {
					if a.IsNull(r) {
						parts = append(parts, "NULL")
						continue
					}
					parts = append(parts, string(pgtype.AppendText(nil, fields[i].Type, a, r, nil)))
				}
				rows = append(rows, strings.Join(parts, "|"))
			}
			for _, a := range arrs {
				a.Release()
			}
		}
		if errors.Is(derr, io.EOF) {
			return rows, nil
		}
		if derr != nil {
			return rows, derr
		}
	}
}

func TestTextDecoder(t *testing.T) {
	data := "1\tplain\t[1,2,3]\n" +
		"2\t\\N\t\\N\n" +
		"3\ttab\\there\\\\back\\nline\\x41\\101\t[ 1.5, 2 ,3]\r\n" +
		"4\t\t[1e-05,-2,3]\n" +
		"\\.\n" +
		"5\tafter the end marker\t\\N\n"
	rows, err := decodeAll(t, testFields, DefaultOptions(Text), data, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1|plain|[1,2,3]",
		"2|NULL|NULL",
		"3|tab\there\\back\nlineAA|[1.5,2,3]",
		"4||[1e-05,-2,3]",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows:\n%q\nwant:\n%q", rows, want)
	}
}

func TestTextOptions(t *testing.T) {
	opts := DefaultOptions(Text)
	opts.Delimiter, opts.Null, opts.Header = '|', "", true
	rows, err := decodeAll(t, testFields, opts, "id|name|embedding\n7||[1,1,1]\n8|x\\|y|", 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows, "\n"); got != "7|NULL|[1,1,1]\n8|x|y|NULL" {
		t.Fatalf("rows %q", rows)
	}
}

func TestCSVDecoder(t *testing.T) {
	opts := DefaultOptions(CSV)
	opts.Header = true
	data := "id,name,embedding\n" +
		"1,\"quoted, with comma\",\"[1,2,3]\"\n" +
		"2,,\n" +
		"3,\"\",\"[4,5,6]\"\n" +
		"4,\"line\nbreak and \"\"quotes\"\"\",\"[1,1,1]\"\n" +
		"5,a\"b,\"c,\"[2,2,2]\"\n"
	rows, err := decodeAll(t, testFields, opts, data, 3)
	if err != nil {
		t.Fatal(err, sqlstate.As(err).Where)
	}
	want := []string{
		"1|quoted, with comma|[1,2,3]",
		"2|NULL|NULL",
		"3||[4,5,6]",
		"4|line\nbreak and \"quotes\"|[1,1,1]",
		"5|ab,c|[2,2,2]",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows:\n%q\nwant:\n%q", rows, want)
	}
}

func TestCSVEscapeAndForce(t *testing.T) {
	opts := DefaultOptions(CSV)
	opts.Escape = '\\'
	opts.Null = "NA"
	opts.ForceNotNull = []bool{false, true, false}
	rows, err := decodeAll(t, testFields, opts, "1,NA,NA\n2,\"a\\\"b\\\\c\",\"[1,2,3]\"\n", 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows, "\n"); got != "1|NA|NULL\n2|a\"b\\c|[1,2,3]" {
		t.Fatalf("rows %q", rows)
	}
}

// binaryCopy builds binary COPY data of rows of (int8, text, vector).
func binaryCopy(trailer bool, rows ...[]any) []byte {
	b := []byte(Signature)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	for _, r := range rows {
		b = binary.BigEndian.AppendUint16(b, uint16(len(r)))
		for _, v := range r {
			switch v := v.(type) {
			case nil:
				b = binary.BigEndian.AppendUint32(b, math.MaxUint32)
			case int64:
				b = binary.BigEndian.AppendUint32(b, 8)
				b = binary.BigEndian.AppendUint64(b, uint64(v))
			case string:
				b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
				b = append(b, v...)
			case []float32:
				b = binary.BigEndian.AppendUint32(b, uint32(4+4*len(v)))
				b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
				b = append(b, 0, 0)
				for _, f := range v {
					b = binary.BigEndian.AppendUint32(b, math.Float32bits(f))
				}
			case []byte:
				b = append(b, v...)
			}
		}
	}
	if trailer {
		b = append(b, 0xff, 0xff)
	}
	return b
}

func TestBinaryDecoder(t *testing.T) {
	for _, trailer := range []bool{true, false} {
		data := binaryCopy(trailer,
			[]any{int64(1), "copy1", []float32{1, 0, 0}},
			[]any{int64(-2), nil, nil},
		)
		rows, err := decodeAll(t, testFields, DefaultOptions(Binary), string(data), 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(rows, "\n"); got != "1|copy1|[1,0,0]\n-2|NULL|NULL" {
			t.Fatalf("trailer %v: rows %q", trailer, rows)
		}
	}
}

func TestDecoderErrors(t *testing.T) {
	text := DefaultOptions(Text)
	cases := []struct {
		name  string
		opts  Options
		data  string
		code  sqlstate.Code
		where string
	}{
		{"bad int", text, "1\ta\t\\N\n2\tb\t\\N\nx\tc\t\\N\n", sqlstate.InvalidTextRepresentation, `COPY items, line 3, column id: "x"`},
		{"missing column", text, "1\ta\n", badCopyFormat, `COPY items, line 1: "1	a"`},
		{"extra column", text, "1\ta\t\\N\t4\n", badCopyFormat, `COPY items, line 1: "1	a	\N	4"`},
		{"not null", text, "1\ta\t\\N\n\\N\tb\t\\N\n", sqlstate.NotNullViolation, `COPY items, line 2: "\N	b	\N"`},
		{"vector dims", text, "1\ta\t[1,2]\n", sqlstate.DataException, `COPY items, line 1, column embedding: "[1,2]"`},
		{"bigint range", text, "99999999999999999999\ta\t\\N\n", sqlstate.NumericValueOutOfRange, `COPY items, line 1, column id: "99999999999999999999"`},
		{"unterminated csv", DefaultOptions(CSV), "1,\"abc\n", badCopyFormat, `COPY items, line 1: "1,"abc"`},
		{"binary signature", DefaultOptions(Binary), "PGCOPY\n", badCopyFormat, ""},
		{"binary field count", DefaultOptions(Binary), string(binaryCopy(true, []any{int64(1), "a"})), badCopyFormat, "COPY items, line 1"},
		{"binary truncated", DefaultOptions(Binary), string(binaryCopy(false, []any{int64(1), "a", []byte{0, 0}})), badCopyFormat, "COPY items, line 1, column embedding"},
		{"binary bad int", DefaultOptions(Binary), string(binaryCopy(false, []any{"abc", "a", nil})), sqlstate.InvalidBinaryRepresentation, "COPY items, line 1, column id"},
		{"binary vector dims", DefaultOptions(Binary), string(binaryCopy(false, []any{int64(1), "a", []float32{1, 2}})), sqlstate.DataException, "COPY items, line 1, column embedding"},
		{"binary huge length", DefaultOptions(Binary), string(binaryCopy(false, []any{[]byte{0x7f, 0xff, 0xff, 0xf0, 1, 2}})), badCopyFormat, ""},
		{"binary announced 500 MB", DefaultOptions(Binary), string(binaryCopy(false, []any{int64(1), []byte{0x1f, 0xff, 0xff, 0xff, 1, 2}, nil})), badCopyFormat, "COPY items, line 1, column name"},
		{"binary after trailer", DefaultOptions(Binary), string(binaryCopy(true, []any{int64(1), "a", nil})) + "x", badCopyFormat, "COPY items, line 2"},
		{"binary NaN", DefaultOptions(Binary), string(binaryCopy(false, []any{int64(1), "a", []float32{1, 2, float32(math.NaN())}})), sqlstate.DataException, "COPY items, line 1, column embedding"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeAll(t, testFields, c.opts, c.data, 100)
			se := sqlstate.As(err)
			if se == nil {
				t.Fatalf("err %v, want %s", err, c.code)
			}
			if se.Code != c.code || c.where != "" && se.Where != c.where {
				t.Fatalf("got %s %q (where %q), want %s (where %q)", se.Code, se.Message, se.Where, c.code, c.where)
			}
		})
	}
}

// failingReader returns data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReaderErrorPassesThrough(t *testing.T) {
	boom := sqlstate.New(sqlstate.QueryCanceled, "COPY from stdin failed: boom")
	for _, f := range []Format{Text, CSV, Binary} {
		data := []byte("1\ta\t\\N\n")
		switch f {
		case Binary:
			data = binaryCopy(false, []any{int64(1), "a", nil})
		case CSV:
			data = []byte("1,a,\n")
		}
		d, err := NewDecoder(&failingReader{data: data, err: boom}, "items", testFields, DefaultOptions(f), nil, memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.Decode(context.Background(), 10)
		if !errors.Is(err, boom) && sqlstate.CodeOf(err) != sqlstate.QueryCanceled {
			t.Errorf("%s: err %v, want the reader's", f, err)
		}
		d.Release()
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d, err := NewDecoder(strings.NewReader("1\ta\t\\N\n"), "items", testFields, DefaultOptions(Text), nil, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	if _, err := d.Decode(ctx, 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
}

// TestLongFields crosses the read buffer: a text line and a binary field
// longer than readBufSize, and CSV with a long quoted field.
func TestLongFields(t *testing.T) {
	long := strings.Repeat("abcdefgh", readBufSize/8*2+3)
	rows, err := decodeAll(t, testFields, DefaultOptions(Text), "1\t"+long+"\t\\N\n2\tshort\t\\N\n", 10)
	if err != nil || len(rows) != 2 || rows[0] != "1|"+long+"|NULL" || rows[1] != "2|short|NULL" {
		t.Fatalf("text: %d rows, %v", len(rows), err)
	}
	rows, err = decodeAll(t, testFields, DefaultOptions(CSV), "1,\""+long+"\n"+long+"\",\n2,x,\n", 10)
	if err != nil || len(rows) != 2 || rows[0] != "1|"+long+"\n"+long+"|NULL" {
		t.Fatalf("csv: %d rows, %v", len(rows), err)
	}
	data := binaryCopy(true, []any{int64(1), long, nil}, []any{int64(2), "short", nil})
	rows, err = decodeAll(t, testFields, DefaultOptions(Binary), string(data), 10)
	if err != nil || len(rows) != 2 || rows[0] != "1|"+long+"|NULL" || rows[1] != "2|short|NULL" {
		t.Fatalf("binary: %d rows, %v", len(rows), err)
	}
}

func TestHeaderMatchAndForceNull(t *testing.T) {
	opts := DefaultOptions(CSV)
	opts.Header, opts.HeaderMatch = true, true
	if _, err := decodeAll(t, testFields, opts, "id,name,embedding\n1,a,\n", 10); err != nil {
		t.Fatal(err)
	}
	_, err := decodeAll(t, testFields, opts, "id,nom,embedding\n1,a,\n", 10)
	if se := sqlstate.As(err); se == nil || se.Code != badCopyFormat || se.Message != `column name mismatch in header line field 2: got "nom", expected "name"` || se.Where != `COPY items, line 1: "id,nom,embedding"` {
		t.Fatalf("header mismatch: %v", err)
	}
	opts = DefaultOptions(CSV)
	opts.ForceNull = []bool{false, true, false}
	rows, err := decodeAll(t, testFields, opts, "1,\"\",\n2,\"x\",\n", 10)
	if err != nil || strings.Join(rows, "\n") != "1|NULL|NULL\n2|x|NULL" {
		t.Fatalf("FORCE_NULL: %q %v", rows, err)
	}
}
