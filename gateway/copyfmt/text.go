package copyfmt

import "bytes"

// The text format (PostgreSQL's CopyReadLineText and
// CopyReadAttributesText): one row per line, fields cut at the delimiter,
// a field equal to the NULL string (compared before unescaping) is NULL,
// backslash escapes \b \f \n \r \t \v, \ooo (octal) and \xhh (hex), any
// other escaped byte stands for itself (so \\ and an escaped delimiter),
// and a line holding only \. ends the data.

// textRow reads one row; ok is false at the end of the data.
func (d *Decoder) textRow() (ok bool, err error) {
	for {
		line, ok, err := d.readLine()
		if err != nil || !ok {
			return false, err
		}
		d.line++
		if isEndMarker(line) {
			return false, nil
		}
		d.raw = line
		d.splitText(line)
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

func isEndMarker(line []byte) bool { return len(line) == 2 && line[0] == '\\' && line[1] == '.' }

// splitText cuts line into d.vals: slices of line for plain fields, of
// d.data for unescaped ones, nil for NULL. d.data's capacity is at least
// the line's, and unescaping never lengthens a field, so it never moves.
func (d *Decoder) splitText(line []byte) {
	d.vals = d.vals[:0]
	if cap(d.data) < len(line) {
		d.data = make([]byte, 0, 2*len(line))
	}
	d.data = d.data[:0]
	delim := d.opts.Delimiter
	for start := 0; ; {
		// Most fields have no backslash: find the delimiter with
		// IndexByte and check the field for one.
		end := bytes.IndexByte(line[start:], delim)
		if end < 0 {
			end = len(line)
		} else {
			end += start
		}
		if bytes.IndexByte(line[start:end], '\\') >= 0 {
			end = escapedEnd(line, start, delim)
			d.addTextField(line[start:end:end], true)
		} else {
			d.addTextField(line[start:end:end], false)
		}
		if end == len(line) {
			return
		}
		start = end + 1
	}
}

// escapedEnd returns the end of the field starting at start, which has
// backslashes: an escaped delimiter does not end it.
func escapedEnd(line []byte, start int, delim byte) int {
	for i := start; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case delim:
			return i
		}
	}
	return len(line)
}

func (d *Decoder) addTextField(raw []byte, esc bool) {
	switch {
	case string(raw) == d.opts.Null:
		d.vals = append(d.vals, nil)
	case !esc:
		d.vals = append(d.vals, raw)
	default:
		start := len(d.data)
		d.data = unescape(d.data, raw)
		d.vals = append(d.vals, d.data[start:len(d.data):len(d.data)])
	}
}

// unescape appends the text-format field raw with its escapes resolved.
func unescape(dst, raw []byte) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		if i >= len(raw) {
			break // a backslash at the end of the line is dropped, as in PostgreSQL
		}
		c = raw[i]
		switch {
		case c >= '0' && c <= '7':
			v := c - '0'
			for k := 0; k < 2 && i+1 < len(raw) && raw[i+1] >= '0' && raw[i+1] <= '7'; k++ {
				i++
				v = v<<3 + raw[i] - '0'
			}
			dst = append(dst, v)
		case c == 'x' && i+1 < len(raw) && isHex(raw[i+1]):
			i++
			v := hexVal(raw[i])
			if i+1 < len(raw) && isHex(raw[i+1]) {
				i++
				v = v<<4 | hexVal(raw[i])
			}
			dst = append(dst, v)
		default:
			switch c {
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'v':
				c = '\v'
			}
			dst = append(dst, c)
		}
	}
	return dst
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
