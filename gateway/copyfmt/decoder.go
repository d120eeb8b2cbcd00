package copyfmt

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// readBufSize is the Decoder's read buffer. Binary fields up to this size
// are decoded where they lie in the buffer; longer ones are copied once.
const readBufSize = 256 << 10

// ctxEvery is how many rows pass between two checks of the context.
const ctxEvery = 1024

// maxDisplay bounds the data quoted in an error's context, as
// PostgreSQL's MAX_COPY_DATA_DISPLAY does.
const maxDisplay = 100

// Decoder reads COPY data in one format and appends the rows to one Arrow
// builder per field. It is not safe for concurrent use.
type Decoder struct {
	table  string
	fields []Field
	opts   Options
	sinks  []sink
	br     *bufio.Reader

	// line is the number of the row being read, as PostgreSQL counts it
	// for CONTEXT (the header is line 1 when there is one).
	line int64
	// started: the header (text/CSV) or the signature (binary) was read.
	started bool
	done    bool

	// Text and CSV state: the current line (lineBuf when it did not fit
	// the read buffer), the fields cut from it, and their unescaped
	// bytes (data, whose capacity is set before slicing into it).
	lineBuf []byte
	data    []byte
	vals    [][]byte
	quoted  []bool
	raw     []byte // the record, for error context
	// scratch holds a binary field longer than the read buffer.
	scratch []byte
}

// NewDecoder returns a Decoder of r, the data of COPY table (fields) FROM
// STDIN with opts; tz is the session time zone (text timestamptz input).
// The builders allocate from mem. Release frees them.
func NewDecoder(r io.Reader, table string, fields []Field, opts Options, tz *time.Location, mem memory.Allocator) (*Decoder, error) {
	if tz == nil {
		tz = time.UTC
	}
	d := &Decoder{table: table, fields: fields, opts: opts, br: bufio.NewReaderSize(r, readBufSize)}
	for _, f := range fields {
		s, err := newSink(f.Type, mem, tz)
		if err != nil {
			d.Release()
			return nil, err
		}
		d.sinks = append(d.sinks, s)
	}
	d.vals = make([][]byte, 0, len(fields))
	return d, nil
}

// Release frees the builders and what they hold.
func (d *Decoder) Release() {
	for _, s := range d.sinks {
		s.builder().Release()
	}
	d.sinks = nil
}

// Line returns the number of the last row read (PostgreSQL's line number
// of COPY's CONTEXT).
func (d *Decoder) Line() int64 { return d.line }

// Decode reads up to max rows into the builders and returns how many it
// read. At the end of the data it returns io.EOF (possibly with n > 0).
// Any other error leaves the builders in an unspecified state (columns
// of different lengths): the COPY has failed, and Arrays must not be
// called.
func (d *Decoder) Decode(ctx context.Context, max int) (n int, err error) {
	for n < max {
		if d.done {
			return n, io.EOF
		}
		if n%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
		var ok bool
		switch d.opts.Format {
		case Binary:
			ok, err = d.binaryRow()
		case CSV:
			ok, err = d.csvRow()
		default:
			ok, err = d.textRow()
		}
		if err != nil {
			return n, err
		}
		if !ok {
			d.done = true
			return n, io.EOF
		}
		n++
	}
	return n, nil
}

// Arrays returns the arrays of the rows decoded since the last call, one
// per field, and resets the builders. The caller releases them.
func (d *Decoder) Arrays() []arrow.Array {
	out := make([]arrow.Array, len(d.sinks))
	for i, s := range d.sinks {
		out[i] = s.builder().NewArray()
	}
	return out
}

// store appends the fields cut from a text or CSV row (d.vals, with nil
// for NULL) to the sinks.
func (d *Decoder) store() error {
	if len(d.vals) < len(d.fields) {
		return d.rowError(sqlstate.New(badCopyFormat, "missing data for column %q", d.fields[len(d.vals)].Name))
	}
	if len(d.vals) > len(d.fields) {
		return d.rowError(sqlstate.New(badCopyFormat, "extra data after last expected column"))
	}
	for i, v := range d.vals {
		if v == nil {
			if err := d.null(i); err != nil {
				return err
			}
			continue
		}
		if err := d.sinks[i].appendText(v); err != nil {
			return d.fieldError(err, i, v, true)
		}
	}
	return nil
}

// null appends NULL to field i, refusing it for NOT NULL columns.
func (d *Decoder) null(i int) error {
	f := d.fields[i]
	if f.NotNull {
		return d.rowError(sqlstate.New(sqlstate.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", f.Name, d.table))
	}
	d.sinks[i].appendNull()
	return nil
}

// rowError attaches the row's context to err.
func (d *Decoder) rowError(err error) error {
	se := sqlstate.As(err)
	if se == nil {
		return err // the reader's: cancellation, a broken connection
	}
	if d.opts.Format == Binary || d.raw == nil {
		return se.WithWhere("COPY %s, line %d", d.table, d.line)
	}
	return se.WithWhere("COPY %s, line %d: %s", d.table, d.line, display(trimEOL(d.raw)))
}

// fieldError attaches the row's and the column's context to err; text
// formats quote the value, as PostgreSQL does.
func (d *Decoder) fieldError(err error, i int, v []byte, quote bool) error {
	se := sqlstate.As(err)
	if se == nil {
		return err // the reader's: cancellation, a broken connection
	}
	if !quote {
		return se.WithWhere("COPY %s, line %d, column %s", d.table, d.line, d.fields[i].Name)
	}
	return se.WithWhere("COPY %s, line %d, column %s: %s", d.table, d.line, d.fields[i].Name, display(v))
}

// display quotes data for an error context, cut to maxDisplay bytes.
func display(v []byte) string {
	s := string(v)
	if len(s) > maxDisplay {
		s = strings.ToValidUTF8(s[:maxDisplay], "") + "..."
	}
	return `"` + s + `"`
}

// readLine returns the next line without its terminator (\n or \r\n),
// valid until the next read; ok is false at the end of the data.
func (d *Decoder) readLine() (line []byte, ok bool, err error) {
	line, err = d.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		d.lineBuf = append(d.lineBuf[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = d.br.ReadSlice('\n')
			d.lineBuf = append(d.lineBuf, line...)
		}
		line = d.lineBuf
	}
	switch {
	case errors.Is(err, io.EOF):
		if len(line) == 0 {
			return nil, false, nil
		}
	case err != nil:
		return nil, false, err
	}
	line = trimEOL(line)
	return line, true, nil
}

func trimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	return line
}

// checkHeader compares a header line's fields (d.vals) with the column
// names, for HEADER MATCH.
func (d *Decoder) checkHeader() error {
	if len(d.vals) != len(d.fields) {
		return d.rowError(sqlstate.New(badCopyFormat, "wrong number of fields in header line: got %d, expected %d", len(d.vals), len(d.fields)))
	}
	for i, v := range d.vals {
		switch {
		case v == nil:
			return d.rowError(sqlstate.New(badCopyFormat, "column name mismatch in header line field %d: got null value (%q), expected %q", i+1, d.opts.Null, d.fields[i].Name))
		case string(v) != d.fields[i].Name:
			return d.rowError(sqlstate.New(badCopyFormat, "column name mismatch in header line field %d: got %q, expected %q", i+1, string(v), d.fields[i].Name))
		}
	}
	return nil
}

// errorf is a 22P04 error in the data.
func errorf(format string, args ...any) *sqlstate.Error {
	return sqlstate.New(badCopyFormat, format, args...)
}
