package dialect

import (
	"strings"
)

// sessionValueFuncs are PostgreSQL's SQL-standard value functions written
// without parentheses; they are emitted as calls: `current_user`().
var sessionValueFuncs = setOf("current_user", "session_user", "user", "current_role",
	"current_catalog", "current_schema", "current_date", "current_time",
	"current_timestamp", "localtime", "localtimestamp")

// precisionValueFuncs accept an optional (precision).
var precisionValueFuncs = setOf("current_time", "current_timestamp", "localtime", "localtimestamp")

// typeKeywords start a type name that is also a keyword; followed by a
// string literal they form a typed literal (timestamp '…').
var typeKeywords = setOf("double", "int", "integer", "smallint", "bigint", "real",
	"boolean", "float", "decimal", "dec", "numeric", "character", "char", "nchar",
	"national", "varchar", "bit", "timestamp", "time", "interval")

// primary parses a primary expression (c_expr) with its subscripts and
// field selections.
func (p *rw) primary() *frag {
	t := p.tok()
	var f *frag
	switch t.Kind {
	case Integer:
		p.next()
		f = &frag{}
		f.tok(t.Value, t.Offset)
	case Numeric:
		p.next()
		f = numericLiteral(t)
	case String:
		p.next()
		f = literal(t.Value, t.Offset)
	case BitString:
		p.next()
		f = castFrag(literal(t.Value, t.Offset), PGType{Name: "pg_catalog.bit", Typmod: -1}, t.Offset)
	case Param:
		p.next()
		f = &frag{}
		f.param(t.N, t.Offset)
	case Punct:
		if !t.IsPunct("(") {
			p.errHere()
		}
		f = p.parenExpr()
	case Ident:
		f = p.identExpr()
	default:
		p.errHere()
	}
	return p.indirection(f)
}

// numericLiteral emits a numeric literal. Literals TiDB would read as a
// float (exponent) or as an integer ("5.") become a cast of their text to
// numeric, which is exactly PostgreSQL's reading of them.
func numericLiteral(t Token) *frag {
	v := t.Value
	if strings.ContainsAny(v, "eE") || strings.HasSuffix(v, ".") {
		return castFrag(literal(v, t.Offset), PGType{Name: "pg_catalog.numeric", Typmod: -1}, t.Offset)
	}
	f := &frag{}
	if strings.HasPrefix(v, ".") {
		v = "0" + v
	}
	f.tok(v, t.Offset)
	return f
}

// indirection parses subscripts a[i], slices a[i:j] and field selections
// (x).f after a primary.
func (p *rw) indirection(f *frag) *frag {
	for {
		switch {
		case p.isPunct("["):
			open := p.next()
			var lo, hi *frag
			slice := false
			if !p.isPunct(":") {
				lo = p.expr()
			}
			if p.acceptPunct(":") {
				slice = true
				if !p.isPunct("]") {
					hi = p.expr()
				}
			}
			p.expectPunct("]")
			if !slice {
				f = call(open.Offset, "__pg_subscript", f, lo)
				continue
			}
			f = call(open.Offset, "__pg_slice", f, orNull(lo, open.Offset), orNull(hi, open.Offset))
		case p.isPunct(".") && f != nil && f.fieldable:
			dot := p.next()
			if p.isOp("*") {
				p.unsupported(p.tok(), "(composite).*")
			}
			name := p.label()
			f = call(dot.Offset, "__pg_field", f, literal(name.Value, name.Offset))
			f.fieldable = true
		default:
			return f
		}
	}
}

func orNull(f *frag, orig int) *frag {
	if f != nil {
		return f
	}
	g := &frag{}
	g.tok("NULL", orig)
	return g
}

// parenExpr parses a parenthesised expression, row constructor or scalar
// subquery.
func (p *rw) parenExpr() *frag {
	open := p.tok()
	if p.looksLikeSubquery(p.i) {
		f := p.subquery()
		f.fieldable = true
		return f
	}
	p.next()
	first := p.expr()
	if p.acceptPunct(",") {
		f := &frag{}
		f.tok("ROW(", open.Offset)
		f.add(first)
		for {
			f.raw(", ")
			f.add(p.expr())
			if !p.acceptPunct(",") {
				break
			}
		}
		p.expectPunct(")")
		f.raw(")")
		return f
	}
	p.expectPunct(")")
	f := &frag{}
	f.tok("(", open.Offset)
	f.add(first)
	f.raw(")")
	f.fieldable = true
	return f
}

// identExpr parses an expression starting with an identifier or keyword.
func (p *rw) identExpr() *frag {
	t := p.tok()
	if !t.Quoted {
		switch t.Value {
		case "null", "true", "false":
			p.next()
			f := &frag{}
			f.tok(strings.ToUpper(t.Value), t.Offset)
			return f
		case "case":
			return p.caseExpr()
		case "cast":
			p.next()
			p.expectPunct("(")
			x := p.expr()
			p.expectKw("as")
			typ := p.parseType()
			p.expectPunct(")")
			return castFrag(x, typ, t.Offset)
		case "exists":
			p.next()
			f := &frag{}
			f.tok("EXISTS ", t.Offset)
			if !p.looksLikeSubquery(p.i) {
				p.errHere()
			}
			f.add(p.subquery())
			return f
		case "array":
			return p.arrayExpr()
		case "row":
			if p.peek(1).IsPunct("(") {
				return p.rowExpr()
			}
		case "interval":
			if f := p.typedLiteral(); f != nil {
				return f
			}
		case "extract", "substring", "trim", "position", "overlay":
			if p.peek(1).IsPunct("(") {
				return p.specialCall()
			}
		case "coalesce", "nullif", "greatest", "least":
			if p.peek(1).IsPunct("(") {
				p.next()
				return p.funcCall([]Token{t})
			}
		case "grouping", "treat", "normalize", "xmlconcat", "xmlelement", "xmlexists",
			"xmlforest", "xmlparse", "xmlpi", "xmlroot", "xmlserialize", "collation":
			if p.peek(1).IsPunct("(") {
				p.unsupported(t, strings.ToUpper(t.Value)+"()")
			}
		case "default":
			p.unsupported(t, "DEFAULT in this position")
		}
		if sessionValueFuncs[t.Value] && !(t.Value == "current_schema" && p.peek(1).IsPunct("(")) {
			p.next()
			f := &frag{}
			f.ident(t.Value, t.Offset)
			f.raw("(")
			if precisionValueFuncs[t.Value] && p.isPunct("(") {
				p.next()
				prec := p.tok()
				if prec.Kind != Integer {
					p.errHere()
				}
				p.next()
				p.expectPunct(")")
				f.tok(prec.Value, prec.Offset)
			}
			f.raw(")")
			return f
		}
		if typeKeywords[t.Value] {
			if f := p.typedLiteral(); f != nil {
				return f
			}
		}
		if reservedKeywords[t.Value] {
			p.errHere()
		}
	}
	// A name chain: column reference, function call or typed literal.
	start := p.i
	parts := []Token{p.next()}
	for p.isPunct(".") {
		if p.peek(1).IsOp("*") {
			break
		}
		p.next()
		parts = append(parts, p.label())
	}
	switch {
	case p.isPunct("(") && len(parts) <= 3:
		if len(parts) == 1 && !isFuncName(parts[0]) {
			p.errAtTok(parts[0])
		}
		return p.funcCall(parts)
	case p.tok().Kind == String && len(parts) <= 2:
		p.i = start
		if f := p.typedLiteral(); f != nil {
			return f
		}
		p.i = start + 2*len(parts) - 1
	}
	if len(parts) == 1 && !isColumnName(parts[0]) {
		p.errAtTok(parts[0])
	}
	f := &frag{}
	p.writeColumnRef(f, parts)
	if p.isPunct(".") && p.peek(1).IsOp("*") {
		p.unsupported(p.peek(1), "qualified * in an expression")
	}
	return f
}

// writeColumnRef writes a column reference of up to four parts, dropping
// (and recording) a catalog part.
func (p *rw) writeColumnRef(f *frag, parts []Token) {
	if len(parts) == 4 {
		p.side.Catalogs = append(p.side.Catalogs, NameRef{Name: parts[0].Value, Pos: charPos(p.text, parts[0].Offset)})
		parts = parts[1:]
	}
	if len(parts) > 4 {
		p.fail(errAt(p.text, parts[0].Offset, "42601",
			"improper qualified name (too many dotted names): %s", joinNames(parts)))
	}
	for k, t := range parts {
		if k > 0 {
			f.raw(".")
		}
		f.ident(t.Value, t.Offset)
	}
}

// typedLiteral parses type 'string' (and interval 'string' fields) at the
// current token; it returns nil, consuming nothing, when the tokens are
// not a typed literal.
func (p *rw) typedLiteral() *frag {
	start, cats := p.i, len(p.side.Catalogs)
	t := p.tok()
	typ, ok := p.tryType()
	if !ok || p.tok().Kind != String {
		p.i = start
		p.side.Catalogs = p.side.Catalogs[:cats]
		return nil
	}
	s := p.next()
	if typ.Name == "pg_catalog.interval" && typ.Typmod == -1 {
		if rng, ok := p.intervalFields(); ok {
			prec := ivPrec
			if rng&ivSecond != 0 {
				if mods := p.typeMods(); mods != nil {
					prec = mods[0]
				}
			}
			typ.Typmod = rng<<16 | prec&ivPrec
		}
	}
	return castFrag(literal(s.Value, s.Offset), typ, t.Offset)
}

// tryType parses a type name, reporting false instead of failing.
func (p *rw) tryType() (typ PGType, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, isBail := r.(bailout); !isBail {
				panic(r)
			}
			ok = false
		}
	}()
	return p.parseType(), true
}

// caseExpr parses CASE … END.
func (p *rw) caseExpr() *frag {
	t := p.next()
	f := &frag{}
	f.tok("CASE", t.Offset)
	if !p.isKw("when") {
		f.raw(" ")
		f.add(p.expr())
	}
	if !p.isKw("when") {
		p.errHere()
	}
	for p.isKw("when") {
		w := p.next()
		f.tok(" WHEN ", w.Offset)
		f.add(p.expr())
		th := p.expectKw("then")
		f.tok(" THEN ", th.Offset)
		f.add(p.expr())
	}
	if p.isKw("else") {
		e := p.next()
		f.tok(" ELSE ", e.Offset)
		f.add(p.expr())
	}
	end := p.expectKw("end")
	f.tok(" END", end.Offset)
	return f
}

// arrayExpr parses ARRAY[…] and ARRAY(subquery).
func (p *rw) arrayExpr() *frag {
	t := p.next()
	if p.looksLikeSubquery(p.i) {
		return call(t.Offset, "__pg_array_sub", p.subquery())
	}
	if !p.isPunct("[") {
		p.errHere()
	}
	return p.arrayBody(t.Offset)
}

// arrayBody parses […] with nested [..] sub-arrays.
func (p *rw) arrayBody(orig int) *frag {
	p.enter()
	defer p.leave()
	p.expectPunct("[")
	var elems []*frag
	for !p.isPunct("]") {
		if p.isPunct("[") {
			elems = append(elems, p.arrayBody(p.tok().Offset))
		} else {
			elems = append(elems, p.expr())
		}
		if !p.acceptPunct(",") {
			break
		}
	}
	p.expectPunct("]")
	return call(orig, "__pg_array", elems...)
}

// rowExpr parses ROW(a, b, …).
func (p *rw) rowExpr() *frag {
	t := p.next()
	p.expectPunct("(")
	var elems []*frag
	for !p.isPunct(")") {
		elems = append(elems, p.expr())
		if !p.acceptPunct(",") {
			break
		}
	}
	p.expectPunct(")")
	if len(elems) < 2 {
		p.unsupported(t, "ROW with fewer than two fields")
	}
	return call(t.Offset, "ROW", elems...)
}

// specialCall parses the SQL-standard call syntaxes EXTRACT(f FROM x),
// SUBSTRING(x FROM a FOR b), TRIM([BOTH|LEADING|TRAILING] [c] FROM x),
// POSITION(a IN b) and OVERLAY(a PLACING b FROM c [FOR d]), mapping each
// to the plain function PostgreSQL maps it to.
func (p *rw) specialCall() *frag {
	t := p.next()
	p.expectPunct("(")
	var f *frag
	switch t.Value {
	case "extract":
		field := p.tok()
		var name string
		switch field.Kind {
		case Ident:
			name = field.Value
		case String:
			name = strings.ToLower(field.Value)
		default:
			p.errHere()
		}
		p.next()
		p.expectKw("from")
		f = call(t.Offset, "__pg_extract", literal(name, field.Offset), p.expr())
	case "substring":
		x := p.expr()
		args := []*frag{x}
		switch {
		case p.acceptPunct(","):
			args = append(args, p.expr())
			if p.acceptPunct(",") {
				args = append(args, p.expr())
			}
		case p.isKw("similar"):
			p.unsupported(p.tok(), "SUBSTRING … SIMILAR")
		case p.isKw("from"):
			p.next()
			args = append(args, p.expr())
			if p.acceptKw("for") {
				args = append(args, p.expr())
			}
		case p.isKw("for"):
			f := p.next()
			one := &frag{}
			one.tok("1", f.Offset)
			args = append(args, one, p.expr())
			if p.acceptKw("from") {
				args[1] = p.expr()
			}
		}
		f = p.plainCall(t, "substring", args)
	case "trim":
		fn := "btrim"
		switch {
		case p.acceptKw("both"):
		case p.acceptKw("leading"):
			fn = "ltrim"
		case p.acceptKw("trailing"):
			fn = "rtrim"
		}
		var args []*frag
		if p.acceptKw("from") {
			args = p.exprList()
		} else {
			first := p.expr()
			if p.acceptKw("from") {
				args = append(p.exprList(), first)
			} else {
				args = []*frag{first}
				if p.acceptPunct(",") {
					args = append(args, p.exprList()...)
				}
			}
		}
		f = p.plainCall(t, fn, args)
	case "position":
		a := p.exprPrec(precLike + 1)
		p.expectKw("in")
		b := p.exprPrec(precLike + 1)
		f = p.plainCall(t, "strpos", []*frag{b, a})
	case "overlay":
		a := p.expr()
		p.expectKw("placing")
		b := p.expr()
		p.expectKw("from")
		c := p.expr()
		args := []*frag{a, b, c}
		if p.acceptKw("for") {
			args = append(args, p.expr())
		}
		f = p.plainCall(t, "overlay", args)
	}
	p.expectPunct(")")
	return f
}

// exprList parses expr {, expr}.
func (p *rw) exprList() []*frag {
	list := []*frag{p.expr()}
	for p.acceptPunct(",") {
		list = append(list, p.expr())
	}
	return list
}

// plainCall emits `name`(args) for a client-visible function.
func (p *rw) plainCall(t Token, name string, args []*frag) *frag {
	f := &frag{}
	f.ident(name, t.Offset)
	f.raw("(")
	for i, a := range args {
		if i > 0 {
			f.raw(", ")
		}
		f.add(a)
	}
	f.raw(")")
	return f
}
