package slt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// Mode is the wire protocol a run uses.
type Mode int

// The protocols every file runs over.
const (
	Simple Mode = iota
	Extended
)

func (m Mode) String() string {
	if m == Simple {
		return "simple"
	}
	return "extended"
}

// ExecMode returns the pgx execution mode of the protocol.
func (m Mode) ExecMode() pgx.QueryExecMode {
	if m == Simple {
		return pgx.QueryExecModeSimpleProtocol
	}
	return pgx.QueryExecModeCacheDescribe
}

// Run executes every record of f on conn, failing t on mismatches. With
// rewrite set, it records actual results into f instead of comparing them
// (the caller writes f back).
func Run(ctx context.Context, t *testing.T, conn *pgx.Conn, mode Mode, f *File, rewrite bool) {
	t.Helper()
	RunShape(ctx, t, conn, mode, f, Embedded, rewrite)
}

// Server shapes, for onlyif and skipif.
const (
	// Embedded is one process running every role.
	Embedded = "embedded"
	// Distributed is a query node with plan executors.
	Distributed = "distributed"
)

// RunShape is Run on a server of the given shape: records marked
// "onlyif" another shape, or "skipif" this one, are skipped.
func RunShape(ctx context.Context, t *testing.T, conn *pgx.Conn, mode Mode, f *File, shape string, rewrite bool) {
	t.Helper()
	for _, r := range f.Records {
		if ctx.Err() != nil {
			return
		}
		if !r.Applies(shape) {
			continue
		}
		switch r.Kind {
		case Statement:
			runStatement(ctx, t, conn, mode, f, r)
		case Query:
			runQuery(ctx, t, conn, mode, f, r, rewrite)
		}
	}
}

func where(f *File, r *Record) string { return fmt.Sprintf("%s:%d", f.Path, r.Line) }

func errCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func runStatement(ctx context.Context, t *testing.T, conn *pgx.Conn, mode Mode, f *File, r *Record) {
	t.Helper()
	args := append([]any{mode.ExecMode()}, r.Args...)
	tag, err := conn.Exec(ctx, r.SQL, args...)
	if r.ErrCode != "" {
		if err == nil {
			t.Errorf("%s: statement succeeded; want error %s\n%s", where(f, r), r.ErrCode, r.SQL)
		} else if c := errCode(err); c != r.ErrCode {
			t.Errorf("%s: error %s (%v); want %s\n%s", where(f, r), c, err, r.ErrCode, r.SQL)
		}
		return
	}
	if err != nil {
		t.Errorf("%s: %v\n%s", where(f, r), err, r.SQL)
		return
	}
	if r.Count >= 0 && tag.RowsAffected() != r.Count {
		t.Errorf("%s: %d rows affected (%s); want %d\n%s", where(f, r), tag.RowsAffected(), tag, r.Count, r.SQL)
	}
}

func runQuery(ctx context.Context, t *testing.T, conn *pgx.Conn, mode Mode, f *File, r *Record, rewrite bool) {
	t.Helper()
	args := append([]any{mode.ExecMode()}, r.Args...)
	rows, err := conn.Query(ctx, r.SQL, args...)
	var got []string
	if err == nil {
		got, err = collect(rows, mode)
	}
	if r.ErrCode != "" {
		if err == nil {
			t.Errorf("%s: query succeeded; want error %s\n%s", where(f, r), r.ErrCode, r.SQL)
		} else if c := errCode(err); c != r.ErrCode {
			t.Errorf("%s: error %s (%v); want %s\n%s", where(f, r), c, err, r.ErrCode, r.SQL)
		}
		return
	}
	if err != nil {
		t.Errorf("%s: %v\n%s", where(f, r), err, r.SQL)
		return
	}
	if len(rows.FieldDescriptions()) != len(r.Types) && !rewrite {
		t.Errorf("%s: %d columns; want %d (%s)\n%s", where(f, r), len(rows.FieldDescriptions()), len(r.Types), r.Types, r.SQL)
	}
	switch r.Sort {
	case "rowsort":
		sort.Strings(got)
	case "valuesort":
		var vals []string
		for _, g := range got {
			vals = append(vals, strings.Split(g, " ")...)
		}
		sort.Strings(vals)
		got = vals
	}
	if rewrite {
		r.Expected = got
		return
	}
	want := append([]string(nil), r.Expected...)
	if r.Sort == "rowsort" {
		sort.Strings(want)
	}
	if r.Sort == "valuesort" {
		sort.Strings(want)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s (%s protocol): got\n%s\nwant\n%s\n%s", where(f, r), mode, strings.Join(got, "\n"), strings.Join(want, "\n"), r.SQL)
	}
}

// collect renders every row as one line of PostgreSQL text values.
func collect(rows pgx.Rows, mode Mode) ([]string, error) {
	defer rows.Close()
	var out []string
	fields := rows.FieldDescriptions()
	for rows.Next() {
		raw := rows.RawValues()
		vals := make([]string, len(raw))
		for i, b := range raw {
			if b == nil {
				vals[i] = "NULL"
				continue
			}
			s, err := render(fields[i], b)
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", fields[i].Name, err)
			}
			if s == "" {
				s = "(empty)"
			}
			vals[i] = s
		}
		out = append(out, strings.Join(vals, " "))
	}
	return out, rows.Err()
}

var typeMap = pgtype.NewMap()

// render turns one raw field into PostgreSQL's text form: text-format
// fields as they are, binary-format fields decoded and formatted as the
// server would have formatted them as text.
func render(fd pgconn.FieldDescription, b []byte) (string, error) {
	if fd.Format == pgx.TextFormatCode {
		return string(b), nil
	}
	switch fd.DataTypeOID {
	case pgtype.BoolOID:
		if len(b) != 1 {
			return "", fmt.Errorf("bool of %d bytes", len(b))
		}
		if b[0] != 0 {
			return "t", nil
		}
		return "f", nil
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID, pgtype.OIDOID:
		var v int64
		switch len(b) {
		case 2:
			v = int64(int16(binary.BigEndian.Uint16(b)))
		case 4:
			if fd.DataTypeOID == pgtype.OIDOID {
				v = int64(binary.BigEndian.Uint32(b))
			} else {
				v = int64(int32(binary.BigEndian.Uint32(b)))
			}
		case 8:
			v = int64(binary.BigEndian.Uint64(b))
		default:
			return "", fmt.Errorf("integer of %d bytes", len(b))
		}
		return strconv.FormatInt(v, 10), nil
	case pgtype.Float4OID:
		if len(b) != 4 {
			return "", fmt.Errorf("float4 of %d bytes", len(b))
		}
		return FormatFloat(float64(math.Float32frombits(binary.BigEndian.Uint32(b))), 32), nil
	case pgtype.Float8OID:
		if len(b) != 8 {
			return "", fmt.Errorf("float8 of %d bytes", len(b))
		}
		return FormatFloat(math.Float64frombits(binary.BigEndian.Uint64(b)), 64), nil
	case pgtype.TextOID, pgtype.VarcharOID, pgtype.NameOID, pgtype.BPCharOID, pgtype.QCharOID:
		return string(b), nil
	case pgtype.ByteaOID:
		return fmt.Sprintf(`\x%x`, b), nil
	case pgtype.NumericOID:
		var n pgtype.Numeric
		if err := typeMap.Scan(pgtype.NumericOID, pgx.BinaryFormatCode, b, &n); err != nil {
			return "", err
		}
		v, err := n.Value()
		if err != nil {
			return "", err
		}
		return fmt.Sprint(v), nil
	case pgtype.DateOID:
		if len(b) != 4 {
			return "", fmt.Errorf("date of %d bytes", len(b))
		}
		d := int32(binary.BigEndian.Uint32(b))
		return pgEpoch.AddDate(0, 0, int(d)).Format("2006-01-02"), nil
	case pgtype.TimestampOID, pgtype.TimestamptzOID:
		if len(b) != 8 {
			return "", fmt.Errorf("timestamp of %d bytes", len(b))
		}
		us := int64(binary.BigEndian.Uint64(b))
		ts := pgEpoch.Add(time.Duration(us) * time.Microsecond).UTC()
		s := ts.Format("2006-01-02 15:04:05.999999")
		if fd.DataTypeOID == pgtype.TimestamptzOID {
			s += "+00"
		}
		return s, nil
	case VectorOID:
		if len(b) < 4 {
			return "", fmt.Errorf("vector of %d bytes", len(b))
		}
		dim := int(binary.BigEndian.Uint16(b))
		if len(b) != 4+4*dim {
			return "", fmt.Errorf("vector of %d dimensions in %d bytes", dim, len(b))
		}
		parts := make([]string, dim)
		for i := range parts {
			parts[i] = FormatFloat(float64(math.Float32frombits(binary.BigEndian.Uint32(b[4+4*i:]))), 32)
		}
		return "[" + strings.Join(parts, ",") + "]", nil
	}
	if s, ok, err := renderArray(fd, b); ok {
		return s, err
	}
	return "", fmt.Errorf("no binary rendering for type OID %d", fd.DataTypeOID)
}

// VectorOID is the type OID lancegate gives pgvector's vector.
const VectorOID = 16385

var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// FormatFloat formats v as PostgreSQL's float4/float8 text output does
// with extra_float_digits >= 1: the shortest string that round-trips, in
// exponent form when the decimal exponent is below -4 or at least 15
// (float8) or 6 (float4).
func FormatFloat(v float64, bits int) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	case v == 0:
		if math.Signbit(v) {
			return "-0"
		}
		return "0"
	}
	e := strconv.FormatFloat(v, 'e', -1, bits)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	limit := 15
	if bits == 32 {
		limit = 6
	}
	if exp < -4 || exp >= limit {
		return e
	}
	return strconv.FormatFloat(v, 'f', -1, bits)
}
