package dialect

import (
	"fmt"
	"strconv"
	"strings"
)

// PGType is a PostgreSQL type as written in a cast or a column definition,
// normalised.
type PGType struct {
	// Name is the schema-qualified type name: "pg_catalog.int4",
	// "pg_catalog.varchar", "public.vector", "pg_catalog._int4" for int[].
	// A name lancegate does not know is kept as written (folded), qualified
	// only if it was written qualified; the binder resolves it.
	Name string
	// Typmod is PostgreSQL's type modifier (atttypmod): varchar(10) → 14,
	// numeric(10,2) → 655366, timestamp(3) → 3, vector(3) → 3, -1 for none.
	Typmod int
	// ArrayDims is the number of array dimensions written (int[][] → 2);
	// Name is then the array type.
	ArrayDims int
	// Mods are the modifiers as written (numeric(10,2) → [10 2]).
	Mods []int
}

// String renders the type for messages and tests.
func (t PGType) String() string {
	s := t.Name
	if t.Typmod >= 0 {
		s += fmt.Sprintf("(%d)", t.Typmod)
	}
	return s
}

// Base returns the element type name of an array type, or Name.
func (t PGType) Base() string {
	if t.ArrayDims == 0 {
		return t.Name
	}
	schema, name := splitSchema(t.Name)
	name = strings.TrimPrefix(name, "_")
	if schema == "" {
		return name
	}
	return schema + "." + name
}

func splitSchema(n string) (string, string) {
	if i := strings.LastIndexByte(n, '.'); i >= 0 {
		return n[:i], n[i+1:]
	}
	return "", n
}

// catalogTypes are the type names resolved in pg_catalog when written
// unqualified or qualified with pg_catalog.
var catalogTypes = setOf(
	"int2", "int4", "int8", "float4", "float8", "bool", "text", "bytea", "date",
	"timestamp", "timestamptz", "time", "timetz", "interval", "numeric", "varchar",
	"bpchar", "name", "oid", "regclass", "regtype", "regproc", "regprocedure",
	"regoper", "regoperator", "regnamespace", "regrole", "regconfig",
	"regdictionary", "regcollation", "json", "jsonb", "uuid", "xml", "money",
	"inet", "cidr", "macaddr", "macaddr8", "bit", "varbit", "tsvector", "tsquery",
	"point", "line", "lseg", "box", "path", "polygon", "circle", "int2vector",
	"oidvector", "xid", "xid8", "cid", "tid", "pg_lsn", "record", "void",
	"unknown", "anyelement", "anyarray", "cstring", "aclitem", "pg_node_tree",
	"jsonpath", "anynonarray", "anyenum", "trigger", "internal",
)

// extensionTypes are pgvector's types, fixed in schema public (§7.1).
var extensionTypes = setOf("vector", "halfvec", "sparsevec")

// serialTypes map serial pseudo-types to their storage type.
var serialTypes = map[string]string{
	"serial": "int4", "serial4": "int4", "bigserial": "int8", "serial8": "int8",
	"smallserial": "int2", "serial2": "int2",
}

const varhdrsz = 4

// Interval field masks (PostgreSQL's datetime.h).
const (
	ivMonth  = 1 << 1
	ivYear   = 1 << 2
	ivDay    = 1 << 3
	ivHour   = 1 << 10
	ivMinute = 1 << 11
	ivSecond = 1 << 12
	ivFull   = 0x7FFF
	ivPrec   = 0xFFFF
)

// parseType reads a type name (PostgreSQL's Typename): the longest
// sequence that forms one, including multi-word names, modifiers and
// array bounds.
func (p *rw) parseType() PGType {
	if p.isKw("setof") {
		p.unsupported(p.tok(), "SETOF")
	}
	t := p.simpleType()
	// Array decorations.
	for {
		switch {
		case p.isPunct("["):
			p.next()
			if p.tok().Kind == Integer {
				p.next()
			}
			p.expectPunct("]")
			t.ArrayDims++
			continue
		case p.isKw("array"):
			p.next()
			if p.isPunct("[") {
				p.next()
				if p.tok().Kind != Integer {
					p.errHere()
				}
				p.next()
				p.expectPunct("]")
			}
			t.ArrayDims++
			continue
		}
		break
	}
	if t.ArrayDims > 0 {
		schema, name := splitSchema(t.Name)
		name = "_" + name
		if schema != "" {
			name = schema + "." + name
		}
		t.Name = name
	}
	return t
}

// typeMods reads an optional parenthesised list of integer modifiers.
func (p *rw) typeMods() []int {
	if !p.isPunct("(") {
		return nil
	}
	p.next()
	var mods []int
	for {
		neg := false
		if p.isOp("-") {
			neg = true
			p.next()
		}
		t := p.tok()
		if t.Kind != Integer {
			p.errHere()
		}
		p.next()
		v, err := strconv.Atoi(t.Value)
		if err != nil || v > 1<<20 {
			p.fail(errAt(p.text, t.Offset, "22023", "type modifier %s is out of range", t.Value))
		}
		if neg {
			v = -v
		}
		mods = append(mods, v)
		if p.acceptPunct(",") {
			continue
		}
		p.expectPunct(")")
		return mods
	}
}

func catalog(name string, typmod int, mods []int) PGType {
	return PGType{Name: "pg_catalog." + name, Typmod: typmod, Mods: mods}
}

// simpleType reads a type without array decorations.
func (p *rw) simpleType() PGType {
	t := p.tok()
	if t.Kind != Ident {
		p.errHere()
	}
	if !t.Quoted {
		switch t.Value {
		case "double":
			if p.peek(1).Keyword("precision") {
				p.i += 2
				return catalog("float8", -1, nil)
			}
		case "int", "integer":
			p.next()
			return catalog("int4", -1, nil)
		case "smallint":
			p.next()
			return catalog("int2", -1, nil)
		case "bigint":
			p.next()
			return catalog("int8", -1, nil)
		case "real":
			p.next()
			return catalog("float4", -1, nil)
		case "boolean":
			p.next()
			return catalog("bool", -1, nil)
		case "float":
			p.next()
			mods := p.typeMods()
			if len(mods) == 1 {
				switch {
				case mods[0] < 1:
					p.fail(errAt(p.text, t.Offset, "22023", "precision for type float must be at least 1 bit"))
				case mods[0] <= 24:
					return catalog("float4", -1, nil)
				case mods[0] <= 53:
					return catalog("float8", -1, nil)
				default:
					p.fail(errAt(p.text, t.Offset, "22023", "precision for type float must be less than 54 bits"))
				}
			}
			return catalog("float8", -1, nil)
		case "decimal", "dec", "numeric":
			p.next()
			return numericType(p.typeMods())
		case "character", "char", "nchar", "national", "varchar":
			return p.charType()
		case "bit":
			p.next()
			varying := p.acceptKw("varying")
			mods := p.typeMods()
			if varying {
				return catalog("varbit", modOr(mods, -1), mods)
			}
			return catalog("bit", modOr(mods, 1), mods)
		case "timestamp", "time":
			p.next()
			mods := p.typeMods()
			name := t.Value
			if p.acceptKw("with", "time", "zone") {
				name += "tz"
			} else {
				p.acceptKw("without", "time", "zone")
			}
			return catalog(name, modOr(mods, -1), mods)
		case "interval":
			p.next()
			return p.intervalType()
		}
	}
	return p.genericType()
}

func modOr(mods []int, def int) int {
	if len(mods) > 0 {
		return mods[0]
	}
	return def
}

func numericType(mods []int) PGType {
	switch len(mods) {
	case 1:
		return catalog("numeric", mods[0]<<16+varhdrsz, mods)
	case 2:
		return catalog("numeric", (mods[0]<<16|mods[1]&0x7ff)+varhdrsz, mods)
	}
	return catalog("numeric", -1, mods)
}

// charType reads character [varying], char [varying], national character
// [varying], nchar [varying] and varchar.
func (p *rw) charType() PGType {
	t := p.next()
	varying := t.Value == "varchar"
	if t.Value == "national" {
		if !p.acceptKw("character") && !p.acceptKw("char") {
			p.errHere()
		}
	}
	if !varying && p.acceptKw("varying") {
		varying = true
	}
	mods := p.typeMods()
	if varying {
		if len(mods) > 0 {
			return catalog("varchar", mods[0]+varhdrsz, mods)
		}
		return catalog("varchar", -1, nil)
	}
	return catalog("bpchar", modOr(mods, 1)+varhdrsz, mods)
}

// intervalType reads the modifiers after INTERVAL: (p) or fields [(p)].
func (p *rw) intervalType() PGType {
	if mods := p.typeMods(); mods != nil {
		return catalog("interval", ivFull<<16|mods[0]&ivPrec, mods)
	}
	rng, ok := p.intervalFields()
	if !ok {
		return catalog("interval", -1, nil)
	}
	prec := ivPrec
	if rng&ivSecond != 0 {
		if mods := p.typeMods(); mods != nil {
			prec = mods[0]
		}
	}
	return catalog("interval", rng<<16|prec&ivPrec, nil)
}

// intervalFields reads YEAR, MONTH, DAY, HOUR, MINUTE, SECOND and their
// "X TO Y" ranges, returning the field mask.
func (p *rw) intervalFields() (int, bool) {
	field := func(t Token) int {
		if t.Kind != Ident || t.Quoted {
			return 0
		}
		switch t.Value {
		case "year":
			return ivYear
		case "month":
			return ivMonth
		case "day":
			return ivDay
		case "hour":
			return ivHour
		case "minute":
			return ivMinute
		case "second":
			return ivSecond
		}
		return 0
	}
	from := field(p.tok())
	if from == 0 {
		return 0, false
	}
	p.next()
	if !p.isKw("to") {
		return from, true
	}
	to := field(p.peek(1))
	if to == 0 || to <= from && !(from == ivYear && to == ivMonth) {
		p.errAtTok(p.peek(1))
	}
	p.i += 2
	// Every field from "from" down to "to" is included.
	order := []int{ivYear, ivMonth, ivDay, ivHour, ivMinute, ivSecond}
	mask, in := 0, false
	for _, f := range order {
		if f == from {
			in = true
		}
		if in {
			mask |= f
		}
		if f == to {
			break
		}
	}
	return mask, true
}

// genericType reads name[.name[.name]][(mods)] and normalises it.
func (p *rw) genericType() PGType {
	first := p.tok()
	if !isFuncName(first) && !(first.Kind == Ident && first.Quoted) {
		p.errHere()
	}
	p.next()
	parts := []Token{first}
	for p.isPunct(".") && len(parts) < 3 {
		p.next()
		parts = append(parts, p.label())
	}
	if len(parts) == 3 {
		p.side.Catalogs = append(p.side.Catalogs, NameRef{Name: parts[0].Value, Pos: charPos(p.text, parts[0].Offset)})
		parts = parts[1:]
	}
	mods := p.typeMods()
	name := parts[len(parts)-1]
	schema := ""
	if len(parts) == 2 {
		schema = parts[0].Value
	}
	return normaliseType(schema, name.Value, name.Quoted, mods)
}

// normaliseType maps a generic type name to its canonical form.
func normaliseType(schema, name string, quoted bool, mods []int) PGType {
	typmod := -1
	if len(mods) == 1 {
		typmod = mods[0]
	}
	if schema == "" || schema == "pg_catalog" {
		n := name
		if name == "char" && (quoted || schema == "pg_catalog") {
			return catalog("char", -1, mods)
		}
		switch n {
		case "varchar", "bpchar":
			if len(mods) > 0 {
				typmod = mods[0] + varhdrsz
			}
			return catalog(n, typmod, mods)
		case "numeric", "decimal":
			return numericType(mods)
		case "timestamptz", "timestamp", "time", "timetz", "bit", "varbit":
			return catalog(n, typmod, mods)
		case "int", "integer":
			if schema == "" && !quoted {
				return catalog("int4", -1, nil)
			}
		case "bool", "boolean":
			if n == "bool" || schema == "" {
				return catalog("bool", -1, nil)
			}
		case "float":
			return catalog("float8", -1, nil)
		}
		if catalogTypes[n] {
			return catalog(n, typmod, mods)
		}
	}
	if extensionTypes[name] && (schema == "" || schema == "public") {
		return PGType{Name: "public." + name, Typmod: typmod, Mods: mods}
	}
	if schema != "" {
		name = schema + "." + name
	}
	return PGType{Name: name, Typmod: typmod, Mods: mods}
}

// tidbColumnType is the TiDB type emitted for a column of PostgreSQL type
// t: one of the same family, so TiDB's DDL checks (key columns, defaults)
// see something sensible. The binder takes the real type from the side
// table.
func tidbColumnType(t PGType) string {
	if t.ArrayDims > 0 {
		return "JSON"
	}
	switch t.Name {
	case "pg_catalog.bool":
		return "BOOLEAN"
	case "pg_catalog.int2":
		return "SMALLINT"
	case "pg_catalog.int4":
		return "INT"
	case "pg_catalog.int8", "pg_catalog.oid", "pg_catalog.regclass", "pg_catalog.regtype",
		"pg_catalog.regproc", "pg_catalog.regnamespace", "pg_catalog.regrole":
		return "BIGINT"
	case "pg_catalog.float4":
		return "FLOAT"
	case "pg_catalog.float8":
		return "DOUBLE"
	case "pg_catalog.numeric", "pg_catalog.money":
		return "DECIMAL"
	case "pg_catalog.bytea":
		return "LONGBLOB"
	case "pg_catalog.date":
		return "DATE"
	case "pg_catalog.timestamp":
		return "DATETIME(6)"
	case "pg_catalog.timestamptz":
		return "TIMESTAMP(6)"
	case "pg_catalog.time", "pg_catalog.timetz":
		return "TIME(6)"
	case "pg_catalog.json", "pg_catalog.jsonb":
		return "JSON"
	case "public.vector":
		if t.Typmod > 0 {
			return fmt.Sprintf("VECTOR(%d)", t.Typmod)
		}
		return "VECTOR"
	}
	return "TEXT"
}
