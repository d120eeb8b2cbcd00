package copyfmt

import (
	"encoding/binary"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/gateway/codec"
)

// Encoder writes rows of Arrow records as COPY … TO data, one row per
// AppendRow, with gateway/codec's result encoders: their binary fields are
// already COPY's binary fields; their text fields are escaped here
// (PostgreSQL's CopyAttributeOutText and CopyAttributeOutCSV).
type Encoder struct {
	fields   []Field
	opts     Options
	settings *codec.Settings
	encs     []codec.Encoder
	field    []byte // one text field, before escaping
}

// NewEncoder returns the Encoder of rows with fields, in opts's format;
// settings (nil: defaults) shape text output.
func NewEncoder(fields []Field, opts Options, settings *codec.Settings) *Encoder {
	return &Encoder{fields: fields, opts: opts, settings: settings}
}

// Header appends what precedes the rows: the binary signature, flags and
// extension length, or the header line of HEADER; nothing otherwise.
func (e *Encoder) Header(dst []byte) []byte {
	switch {
	case e.opts.Format == Binary:
		dst = append(dst, Signature...)
		return append(dst, 0, 0, 0, 0, 0, 0, 0, 0)
	case !e.opts.Header:
		return dst
	}
	for i, f := range e.fields {
		if i > 0 {
			dst = append(dst, e.opts.Delimiter)
		}
		if e.opts.Format == CSV {
			dst = e.appendCSV(dst, []byte(f.Name), false)
		} else {
			dst = e.appendText(dst, []byte(f.Name))
		}
	}
	return append(dst, '\n')
}

// Trailer appends what follows the rows: the binary trailer, or nothing.
func (e *Encoder) Trailer(dst []byte) []byte {
	if e.opts.Format == Binary {
		return append(dst, 0xff, 0xff)
	}
	return dst
}

// Reset prepares the encoders of rec's columns (one per field, in order).
// rec must stay alive while its rows are appended.
func (e *Encoder) Reset(rec arrow.Record) error {
	format := codec.FormatText
	if e.opts.Format == Binary {
		format = codec.FormatBinary
	}
	e.encs = e.encs[:0]
	for i, f := range e.fields {
		enc, err := codec.NewEncoder(rec.Column(i), f.Type, format, e.settings)
		if err != nil {
			return err
		}
		e.encs = append(e.encs, enc)
	}
	return nil
}

// AppendRow appends row of the record given to Reset.
func (e *Encoder) AppendRow(dst []byte, row int) []byte {
	if e.opts.Format == Binary {
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(e.encs)))
		for _, enc := range e.encs {
			dst = enc.Append(dst, row)
		}
		return dst
	}
	for i, enc := range e.encs {
		if i > 0 {
			dst = append(dst, e.opts.Delimiter)
		}
		e.field = enc.Append(e.field[:0], row)
		if int32(binary.BigEndian.Uint32(e.field)) < 0 {
			dst = append(dst, e.opts.Null...)
			continue
		}
		v := e.field[4:]
		if e.opts.Format == CSV {
			dst = e.appendCSV(dst, v, flag(e.opts.ForceQuote, i))
		} else {
			dst = e.appendText(dst, v)
		}
	}
	return append(dst, '\n')
}

// appendText escapes a text-format value: backslash, the delimiter, and
// the control characters that have a letter escape.
func (e *Encoder) appendText(dst, v []byte) []byte {
	delim := e.opts.Delimiter
	for _, c := range v {
		switch {
		case c == '\\' || c == delim && c >= 0x20:
			dst = append(dst, '\\', c)
		case c < 0x20:
			if l := escapeLetter(c); l != 0 {
				dst = append(dst, '\\', l)
			} else if c == delim {
				dst = append(dst, '\\', c)
			} else {
				dst = append(dst, c)
			}
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

func escapeLetter(c byte) byte {
	switch c {
	case '\b':
		return 'b'
	case '\f':
		return 'f'
	case '\n':
		return 'n'
	case '\r':
		return 'r'
	case '\t':
		return 't'
	case '\v':
		return 'v'
	}
	return 0
}

// appendCSV quotes a CSV value when it must be: FORCE_QUOTE, equal to the
// NULL string, holding the delimiter, the quote, a line break, or being
// \. alone in a one-column row (which would read back as the end marker).
func (e *Encoder) appendCSV(dst, v []byte, force bool) []byte {
	q, esc := e.opts.Quote, e.opts.Escape
	quote := force || string(v) == e.opts.Null || len(e.fields) == 1 && string(v) == `\.`
	for _, c := range v {
		if quote {
			break
		}
		quote = c == e.opts.Delimiter || c == q || c == '\n' || c == '\r'
	}
	if !quote {
		return append(dst, v...)
	}
	dst = append(dst, q)
	for _, c := range v {
		if c == q || c == esc {
			dst = append(dst, esc)
		}
		dst = append(dst, c)
	}
	return append(dst, q)
}

// FieldsOf describes result columns as COPY fields.
func FieldsOf(names []string, types []pgtype.Type) []Field {
	out := make([]Field, len(names))
	for i := range names {
		out[i] = Field{Name: names[i], Type: types[i]}
	}
	return out
}
