package pgtype

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// The ISO input forms of date, timestamp and timestamptz share one
// reader:
//
//	[-]Y…Y-MM-DD | YYYYMMDD
//	  [ ('T' | spaces) HH:MM[:SS[.fraction]] ]
//	  [ zone ] [ BC | AD ]
//
// where a zone is Z, ±HH, ±HHMM, ±HH:MM, ±HH:MM:SS (attached to the time
// or after a space), or a name after a space (UTC, GMT, an IANA name in
// any case). The words epoch, infinity, -infinity, now, today, tomorrow
// and yesterday stand alone. PostgreSQL reads many more forms (month
// names, MDY order); ISO is what clients send.

type dtSpecial uint8

const (
	dtNone dtSpecial = iota
	dtEpoch
	dtInfinity
	dtNegInfinity
	dtNow
	dtToday
	dtTomorrow
	dtYesterday
)

// datetime is a parsed date/time literal.
type datetime struct {
	special  dtSpecial
	year     int64 // astronomical: 1 BC is 0
	month    int
	day      int
	hour     int
	minute   int
	second   int
	micros   int64 // rounded fraction of a second, 0…1e6
	hasZone  bool
	offset   int            // seconds east of UTC, when loc is nil
	loc      *time.Location // named zone, if any
	zoneName string
}

// dtError is how a literal failed; the caller words the message with
// its type's name.
type dtError uint8

const (
	dtOK dtError = iota
	dtSyntax
	dtFieldRange
	dtBadZone
	dtDisplacement
)

// toError turns a dtError into PostgreSQL's error for input s of a type.
func (e dtError) toError(typeName, s, zone string) error {
	switch e {
	case dtFieldRange:
		return sqlstate.New(sqlstate.DatetimeFieldOverflow, "date/time field value out of range: \"%s\"", s)
	case dtBadZone:
		return sqlstate.New(sqlstate.InvalidParameterValue, "time zone \"%s\" not recognized", zone)
	case dtDisplacement:
		return sqlstate.New(InvalidTimeZoneDisplacement, "time zone displacement out of range: \"%s\"", s)
	}
	return sqlstate.New(sqlstate.InvalidDatetimeFormat, "invalid input syntax for type %s: \"%s\"", typeName, s)
}

var dtWords = [...]struct {
	word string
	sp   dtSpecial
}{
	{"epoch", dtEpoch}, {"infinity", dtInfinity}, {"+infinity", dtInfinity}, {"-infinity", dtNegInfinity},
	{"now", dtNow}, {"today", dtToday}, {"tomorrow", dtTomorrow}, {"yesterday", dtYesterday},
}

type dtReader struct {
	s string
	i int
}

func (r *dtReader) peek() byte {
	if r.i < len(r.s) {
		return r.s[r.i]
	}
	return 0
}

// digits reads a run of decimal digits; n is how many (values of more
// than 18 digits are not exact, and callers refuse them).
func (r *dtReader) digits() (v int64, n int) {
	for r.i < len(r.s) && isDigit(r.s[r.i]) {
		if n < 18 {
			v = v*10 + int64(r.s[r.i]-'0')
		}
		n++
		r.i++
	}
	return v, n
}

func (r *dtReader) spaces() int {
	n := 0
	for r.i < len(r.s) && isSpace(r.s[r.i]) {
		r.i++
		n++
	}
	return n
}

// word reads letters, digits and the characters of zone names.
func (r *dtReader) word() string {
	j := r.i
	for r.i < len(r.s) {
		c := r.s[r.i]
		if !(isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'z' || c == '/' || c == '_' || c == '-' || c == '+') {
			break
		}
		r.i++
	}
	return r.s[j:r.i]
}

// parseDatetime reads s (already known to be non-empty after trimming).
func parseDatetime(s string) (d datetime, e dtError) {
	str := trimSpace(s)
	for _, w := range dtWords {
		if equalFoldASCII(str, w.word) {
			d.special = w.sp
			return d, dtOK
		}
	}
	r := dtReader{s: str}
	y, ny := r.digits()
	var m, dd int64
	switch {
	case ny > 0 && r.peek() == '-':
		r.i++
		var nm, nd int
		m, nm = r.digits()
		if nm == 0 || nm > 2 || r.peek() != '-' {
			return d, dtSyntax
		}
		r.i++
		dd, nd = r.digits()
		if nd == 0 || nd > 2 {
			return d, dtSyntax
		}
	case ny == 8:
		y, m, dd = y/10000, y/100%100, y%100
	default:
		return d, dtSyntax
	}
	if ny > 9 {
		return d, dtFieldRange
	}
	d.year, d.month, d.day = y, int(m), int(dd)

	// Time, after 'T' or white space.
	frac := ""
	switch c := r.peek(); {
	case (c == 'T' || c == 't') && r.i+1 < len(str) && isDigit(str[r.i+1]):
		r.i++
		if e := d.readTime(&r, &frac); e != dtOK {
			return d, e
		}
	case isSpace(c):
		save := r.i
		r.spaces()
		if isDigit(r.peek()) {
			if e := d.readTime(&r, &frac); e != dtOK {
				return d, e
			}
		} else {
			r.i = save
		}
	}

	// Zone attached to the time, then words: a zone, BC or AD.
	if c := r.peek(); c == '+' || c == '-' || ((c == 'Z' || c == 'z') && (r.i+1 == len(str) || isSpace(str[r.i+1]))) {
		if e := d.readZone(&r); e != dtOK {
			return d, e
		}
	}
	era := false
	for r.i < len(str) {
		if r.spaces() == 0 {
			return d, dtSyntax
		}
		if r.i == len(str) {
			break
		}
		switch c := r.peek(); {
		case c == '+' || c == '-':
			if d.hasZone {
				return d, dtSyntax
			}
			if e := d.readZone(&r); e != dtOK {
				return d, e
			}
		default:
			w := r.word()
			switch {
			case w == "":
				return d, dtSyntax
			case !era && (equalFoldASCII(w, "bc") || equalFoldASCII(w, "ad")):
				era = true
				if equalFoldASCII(w, "bc") && d.year > 0 {
					d.year = 1 - d.year
				}
			case !d.hasZone && !era:
				r.i -= len(w)
				if e := d.readZone(&r); e != dtOK {
					return d, e
				}
			default:
				return d, dtSyntax
			}
		}
	}

	if frac != "" {
		f, err := strconv.ParseFloat(frac, 64)
		if err != nil {
			return d, dtSyntax
		}
		d.micros = int64(math.RoundToEven(f * 1e6))
	}
	if y == 0 {
		return d, dtFieldRange
	}
	if d.month < 1 || d.month > 12 || d.day < 1 || d.day > daysIn(d.year, d.month) {
		return d, dtFieldRange
	}
	if d.hour > 24 || d.minute > 59 || d.second > 60 ||
		d.hour == 24 && (d.minute != 0 || d.second != 0 || d.micros != 0) {
		return d, dtFieldRange
	}
	return d, dtOK
}

// readTime reads HH:MM[:SS[.fraction]]; frac receives ".fraction".
func (d *datetime) readTime(r *dtReader, frac *string) dtError {
	h, nh := r.digits()
	if nh == 0 || nh > 2 || r.peek() != ':' {
		return dtSyntax
	}
	r.i++
	m, nm := r.digits()
	if nm == 0 || nm > 2 {
		return dtSyntax
	}
	d.hour, d.minute = int(h), int(m)
	if r.peek() == ':' {
		r.i++
		s, ns := r.digits()
		if ns == 0 || ns > 2 {
			return dtSyntax
		}
		d.second = int(s)
		if r.peek() == '.' {
			j := r.i
			r.i++
			if _, n := r.digits(); n == 0 {
				return dtSyntax
			}
			*frac = r.s[j:r.i]
		}
	}
	return dtOK
}

// readZone reads Z, an offset or a zone name at r.
func (d *datetime) readZone(r *dtReader) dtError {
	d.hasZone = true
	c := r.peek()
	if c != '+' && c != '-' {
		w := r.word()
		d.zoneName = strings.ToLower(w)
		loc, err := LoadZone(w)
		if err != nil {
			if strings.IndexByte(w, '/') >= 0 {
				return dtBadZone
			}
			return dtSyntax
		}
		d.loc = loc
		return dtOK
	}
	r.i++
	h, nh := r.digits()
	var m, s int64
	switch {
	case nh == 0 || nh == 3 || nh == 5 || nh > 6:
		return dtSyntax
	case nh == 4:
		h, m = h/100, h%100
	case nh == 6:
		h, m, s = h/10000, h/100%100, h%100
	case r.peek() == ':':
		r.i++
		var nm int
		if m, nm = r.digits(); nm != 2 {
			return dtSyntax
		}
		if r.peek() == ':' {
			r.i++
			var ns int
			if s, ns = r.digits(); ns != 2 {
				return dtSyntax
			}
		}
	}
	if m > 59 || s > 59 {
		return dtFieldRange
	}
	if h > 15 {
		return dtDisplacement
	}
	d.offset = int(h*3600 + m*60 + s)
	if c == '-' {
		d.offset = -d.offset
	}
	return dtOK
}

// localSeconds returns the wall-clock time as seconds since 1970 as if it
// were UTC, and the day number.
func (d *datetime) localSeconds() (secs, days int64) {
	days = daysFromCivil(d.year, d.month, d.day)
	return days*secPerDay + int64(d.hour*3600+d.minute*60+d.second), days
}
