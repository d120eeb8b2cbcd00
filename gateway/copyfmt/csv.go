package copyfmt

import (
	"bufio"
	"errors"
	"io"
)

// CSV (PostgreSQL's CopyReadLineCSV and CopyReadAttributesCSV): fields cut
// at the delimiter outside quotes; inside quotes the delimiter and line
// breaks are data, and the escape character (the quote by default, so "")
// makes the next quote or escape literal. An unquoted field equal to the
// NULL string (empty by default) is NULL, a quoted one never is, unless
// FORCE_NULL; FORCE_NOT_NULL makes the unquoted one a value. A record
// counts as one line, however many line breaks its quotes hold. A line
// holding only \. ends the data. encoding/csv is not used: it knows no
// escape character other than the quote, no NULL, and it trims \r.

// csvRow reads one record; ok is false at the end of the data.
func (d *Decoder) csvRow() (ok bool, err error) {
	for {
		ok, err := d.readRecord()
		if err != nil || !ok {
			return false, err
		}
		d.line++
		rec := trimEOL(d.raw)
		if isEndMarker(rec) {
			return false, nil
		}
		if err := d.splitCSV(rec); err != nil {
			return false, err
		}
		if !d.started {
			d.started = true
			if d.opts.Header {
				if d.opts.HeaderMatch {
					if err := d.checkHeader(); err != nil {
						return false, err
					}
				}
				continue
			}
		}
		return true, d.store()
	}
}

// readRecord reads lines into d.lineBuf (kept in d.raw) until the quotes
// are balanced; ok is false at the end of the data.
func (d *Decoder) readRecord() (ok bool, err error) {
	d.lineBuf = d.lineBuf[:0]
	inQ := false
	for {
		line, err := d.br.ReadSlice('\n')
		d.lineBuf = append(d.lineBuf, line...)
		if errors.Is(err, bufio.ErrBufferFull) {
			inQ = d.scanQuotes(line, inQ)
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return false, err
		}
		inQ = d.scanQuotes(line, inQ)
		d.raw = d.lineBuf
		if errors.Is(err, io.EOF) {
			if len(d.lineBuf) == 0 {
				return false, nil
			}
			if inQ {
				d.line++
				return false, d.rowError(errorf("unterminated CSV quoted field"))
			}
			return true, nil
		}
		if !inQ {
			return true, nil
		}
	}
}

// scanQuotes follows the quoting state through b.
func (d *Decoder) scanQuotes(b []byte, inQ bool) bool {
	q, e := d.opts.Quote, d.opts.Escape
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case !inQ:
			inQ = c == q
		case c == e && i+1 < len(b) && (b[i+1] == q || b[i+1] == e):
			i++
		case c == q:
			inQ = false
		}
	}
	return inQ
}

// splitCSV cuts a whole record into d.vals (slices of d.data; nil for
// NULL) and d.quoted.
func (d *Decoder) splitCSV(rec []byte) error {
	d.vals, d.quoted = d.vals[:0], d.quoted[:0]
	if cap(d.data) < len(rec) {
		d.data = make([]byte, 0, 2*len(rec))
	}
	d.data = d.data[:0]
	delim, q, e := d.opts.Delimiter, d.opts.Quote, d.opts.Escape
	start, quoted, inQ := 0, false, false
	for i := 0; ; i++ {
		if i == len(rec) || !inQ && rec[i] == delim {
			if inQ {
				return d.rowError(errorf("unterminated CSV quoted field"))
			}
			v := d.data[start:len(d.data):len(d.data)]
			n := len(d.vals)
			isNull := string(v) == d.opts.Null && (!quoted && !flag(d.opts.ForceNotNull, n) || quoted && flag(d.opts.ForceNull, n))
			if isNull {
				v = nil
			}
			d.vals = append(d.vals, v)
			d.quoted = append(d.quoted, quoted)
			if i == len(rec) {
				return nil
			}
			start, quoted = len(d.data), false
			continue
		}
		c := rec[i]
		switch {
		case !inQ && c == q:
			inQ, quoted = true, true
		case !inQ:
			d.data = append(d.data, c)
		case c == e && i+1 < len(rec) && (rec[i+1] == q || rec[i+1] == e):
			i++
			d.data = append(d.data, rec[i])
		case c == q:
			inQ = false
		default:
			d.data = append(d.data, c)
		}
	}
}
