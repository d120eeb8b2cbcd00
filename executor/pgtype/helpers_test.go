package pgtype_test

import (
	"errors"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// textCase is one input literal of a type and what PostgreSQL 15 answers:
// the text output of 'in'::typ, or an error code and message.
type textCase struct {
	typ    pgtype.Type
	in     string
	want   string        // output, when code is empty
	code   sqlstate.Code // expected SQLSTATE
	msg    string        // expected message, if not empty
	detail string        // expected detail, if not empty
}

// runTextCases parses each case's input with session time zone tz and
// prints it back with o.
func runTextCases(t *testing.T, cases []textCase, tz *time.Location, o *pgtype.TextOptions) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.typ.String()+"/"+c.in, func(t *testing.T) {
			got, err := parseAndFormat(t, c.typ, c.in, tz, o)
			if c.code != "" {
				checkError(t, err, c.code, c.msg, c.detail)
				return
			}
			if err != nil {
				t.Fatalf("ParseText(%s, %q) error %v; want %q", c.typ, c.in, err, c.want)
			}
			if got != c.want {
				t.Errorf("ParseText(%s, %q) prints %q; want %q", c.typ, c.in, got, c.want)
			}
		})
	}
}

// parseAndFormat parses s as typ, checks the scalar's type, puts it in a
// one-row array and prints it with AppendText.
func parseAndFormat(t *testing.T, typ pgtype.Type, s string, tz *time.Location, o *pgtype.TextOptions) (string, error) {
	t.Helper()
	sc, err := pgtype.ParseText(typ, s, tz)
	if err != nil {
		return "", err
	}
	return format(t, typ, sc, o), nil
}

// format prints a scalar through a one-row array from a checked
// allocator, checking that the scalar is of exactly typ.Arrow().
func format(t testing.TB, typ pgtype.Type, sc scalar.Scalar, o *pgtype.TextOptions) string {
	t.Helper()
	dt, err := typ.Arrow()
	if err != nil {
		t.Fatal(err)
	}
	if !arrow.TypeEqual(sc.DataType(), dt) {
		t.Fatalf("scalar of type %s; want %s", sc.DataType(), dt)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	arr, err := scalar.MakeArrayFromScalar(sc, 1, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer arr.Release()
	if arr.IsNull(0) {
		return "NULL"
	}
	return string(pgtype.AppendText(nil, typ, arr, 0, o))
}

func checkError(t *testing.T, err error, code sqlstate.Code, msg, detail string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %s", code)
	}
	var e *sqlstate.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *sqlstate.Error", err)
	}
	if e.Code != code {
		t.Errorf("error %q has code %s; want %s", e.Message, e.Code, code)
	}
	if msg != "" && e.Message != msg {
		t.Errorf("error message %q; want %q", e.Message, msg)
	}
	if detail != "" && e.Detail != detail {
		t.Errorf("error detail %q; want %q", e.Detail, detail)
	}
}

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	l, err := pgtype.LoadZone(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
