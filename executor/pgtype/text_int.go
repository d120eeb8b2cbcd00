package pgtype

import (
	"strconv"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// parseInt is PostgreSQL 15's pg_strtoint16/32/64: optional white space,
// an optional sign, at least one decimal digit, optional white space.
// Overflow is reported as soon as it is seen, before trailing junk, as
// PostgreSQL does. typeName is smallint, integer or bigint.
func parseInt(s, typeName string, lo, hi int64) (int64, error) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	if i >= len(s) || !isDigit(s[i]) {
		return 0, syntaxError(typeName, s)
	}
	// Accumulate negatively so that the minimum value fits.
	var v int64
	for ; i < len(s) && isDigit(s[i]); i++ {
		d := int64(s[i] - '0')
		if v < lo/10 || (v == lo/10 && d > -(lo%10)) {
			return 0, outOfRange(s, typeName)
		}
		v = v*10 - d
	}
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i != len(s) {
		return 0, syntaxError(typeName, s)
	}
	if !neg {
		if v < -hi {
			return 0, outOfRange(s, typeName)
		}
		v = -v
	}
	return v, nil
}

func outOfRange(s, typeName string) error {
	return sqlstate.New(sqlstate.NumericValueOutOfRange, "value \"%s\" is out of range for type %s", s, typeName)
}

// parseOID is oidin (uint32in_subr): like an integer, but negative values
// down to -2147483648 wrap around as strtoul does, so '-1'::oid is
// 4294967295. The reg* types accept only the numeric form here: names
// need the catalog, which the binder resolves before calling ParseText.
func parseOID(t Type, s string) (uint32, error) {
	v, err := parseInt(s, "oid", -1<<63, 1<<63-1)
	if err != nil {
		if sqlstate.CodeOf(err) == sqlstate.InvalidTextRepresentation && t.OID == OIDRegtype {
			return RegtypeIn(s)
		}
		if sqlstate.CodeOf(err) == sqlstate.InvalidTextRepresentation && t.OID == OIDRegproc {
			return RegprocIn(s)
		}
		if sqlstate.CodeOf(err) == sqlstate.InvalidTextRepresentation && t.OID != OIDOID {
			return 0, sqlstate.New(sqlstate.FeatureNotSupported, "%s input \"%s\" needs a catalog lookup", t, s)
		}
		return 0, err
	}
	if v < -1<<31 || v > 1<<32-1 {
		return 0, outOfRange(s, "oid")
	}
	return uint32(v), nil
}

// AppendInt64 appends the decimal form of v, as int2out, int4out,
// int8out and oidout write it.
func AppendInt64(dst []byte, v int64) []byte { return strconv.AppendInt(dst, v, 10) }

// AppendUint64 appends the decimal form of v.
func AppendUint64(dst []byte, v uint64) []byte { return strconv.AppendUint(dst, v, 10) }
