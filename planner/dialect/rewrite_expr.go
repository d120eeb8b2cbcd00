package dialect

import (
	"strconv"
	"strings"
)

// Precedence levels of PostgreSQL 15 (gram.y), loosest first. The Pratt
// parser decides every grouping with them and emits each operator
// expression in parentheses, so TiDB's own precedence never matters.
const (
	precOr = iota + 1
	precAnd
	precNot
	precIs
	precCmp
	precLike // BETWEEN IN LIKE ILIKE SIMILAR
	precOp   // every other operator, OPERATOR(…), the pgvector operators
	precAdd
	precMul
	precExp
	precAt
	precCollate
	precUnary
	precCast
)

// vectorOps are pgvector's distance operators and the TiDB functions they
// become.
var vectorOps = map[string]string{
	"<->": "VEC_L2_DISTANCE",
	"<=>": "VEC_COSINE_DISTANCE",
	"<#>": "VEC_NEGATIVE_INNER_PRODUCT",
	"<+>": "VEC_L1_DISTANCE",
}

// nativeOps are the binary operators emitted as themselves.
var nativeOps = setOf("+", "-", "*", "/", "%", "=", "<", ">", "<=", ">=", "<>")

// cmpOps are the comparison operators (nonassociative in PostgreSQL).
var cmpOps = setOf("=", "<", ">", "<=", ">=", "<>")

// expr parses a full expression (a_expr).
func (p *rw) expr() *frag { return p.exprPrec(precOr) }

// exprPrec parses an expression whose operators bind at least as tightly
// as min.
func (p *rw) exprPrec(min int) *frag {
	p.enter()
	defer p.leave()
	left := p.prefix()
	for {
		next, ok := p.infix(left, min)
		if !ok {
			return left
		}
		left = next
	}
}

// binPrec returns the precedence of the binary operator token t, or 0.
func (p *rw) binPrec(t Token) int {
	switch t.Kind {
	case Op:
		switch t.Value {
		case "=", "<", ">", "<=", ">=", "<>":
			return precCmp
		case "+", "-":
			return precAdd
		case "*", "/", "%":
			return precMul
		case "^":
			return precExp
		case "::":
			return precCast
		case ":=", "=>", "..":
			return 0
		}
		return precOp
	case Ident:
		if t.Quoted {
			return 0
		}
		switch t.Value {
		case "or":
			return precOr
		case "and":
			return precAnd
		case "is", "isnull", "notnull":
			return precIs
		case "between", "in", "like", "ilike", "similar":
			return precLike
		case "not":
			switch n := p.peek(1); {
			case n.Keyword("between"), n.Keyword("in"), n.Keyword("like"), n.Keyword("ilike"), n.Keyword("similar"):
				return precLike
			}
		case "at":
			if p.peek(1).Keyword("time") && p.peek(2).Keyword("zone") {
				return precAt
			}
		case "collate":
			return precCollate
		case "operator":
			if p.peek(1).IsPunct("(") {
				return precOp
			}
		}
	}
	return 0
}

// prefix parses a prefix operator application or a primary expression.
func (p *rw) prefix() *frag {
	t := p.tok()
	switch {
	case t.Keyword("not"):
		p.next()
		x := p.exprPrec(precNot)
		f := &frag{}
		f.tok("(NOT ", t.Offset)
		f.add(x)
		f.raw(")")
		return f
	case t.IsOp("-") || t.IsOp("+"):
		p.next()
		x := p.exprPrec(precUnary)
		f := &frag{}
		f.tok("("+t.Value+" ", t.Offset)
		f.add(x)
		f.raw(")")
		return f
	case t.Kind == Op && t.Value != "::" && t.Value != ":=" && t.Value != "=>" && t.Value != "..":
		p.next()
		return p.prefixOp(t, t.Value)
	case t.Keyword("operator") && p.peek(1).IsPunct("("):
		p.next()
		op := p.operatorName()
		return p.prefixOp(t, op)
	}
	return p.primary()
}

func (p *rw) prefixOp(t Token, op string) *frag {
	if op == "-" || op == "+" {
		x := p.exprPrec(precUnary)
		f := &frag{}
		f.tok("("+op+" ", t.Offset)
		f.add(x)
		f.raw(")")
		return f
	}
	x := p.exprPrec(precOp + 1)
	f := &frag{}
	f.tok("__pg_op1(", t.Offset)
	f.raw(quoteString(op) + ", ")
	f.add(x)
	f.raw(")")
	return f
}

// operatorName reads OPERATOR(schema.op) after the keyword and returns op.
func (p *rw) operatorName() string {
	p.expectPunct("(")
	for p.tok().Kind == Ident && p.peek(1).IsPunct(".") {
		p.i += 2
	}
	t := p.tok()
	if t.Kind != Op || t.Value == "::" || t.Value == ":=" || t.Value == ".." {
		p.errHere()
	}
	p.next()
	p.expectPunct(")")
	return t.Value
}

// infix extends left with the binary or postfix operator at the current
// token if it binds at least as tightly as min.
func (p *rw) infix(left *frag, min int) (*frag, bool) {
	t := p.tok()
	prec := p.binPrec(t)
	if prec == 0 || prec < min {
		return nil, false
	}
	switch prec {
	case precOr, precAnd:
		p.next()
		right := p.exprPrec(prec + 1)
		return wrap2(left, " "+strings.ToUpper(t.Value)+" ", right, t.Offset), true
	case precIs:
		f := p.isExpr(left)
		p.nonassoc(precIs)
		return f, true
	case precLike:
		f := p.likeExpr(left)
		p.nonassoc(precLike)
		return f, true
	case precAt:
		p.i += 3
		z := p.exprPrec(precAt + 1)
		return call(t.Offset, "__pg_at_time_zone", left, z), true
	case precCollate:
		p.next()
		parts := []Token{p.label()}
		for p.acceptPunct(".") {
			parts = append(parts, p.label())
		}
		name := joinNames(parts)
		if name == "default" || name == "pg_catalog.default" {
			return left, true
		}
		f := &frag{}
		f.tok("__pg_collate(", t.Offset)
		f.add(left)
		f.raw(", ")
		f.str(name, parts[0].Offset)
		f.raw(")")
		return f, true
	case precCast:
		p.next()
		typ := p.parseType()
		return castFrag(left, typ, t.Offset), true
	}
	// Binary operators.
	op := t.Value
	p.next()
	if t.Keyword("operator") {
		op = p.operatorName()
	}
	if (p.isKw("any") || p.isKw("some") || p.isKw("all")) && p.peek(1).IsPunct("(") {
		return p.quantified(left, op, t), true
	}
	right := p.exprPrec(prec + 1)
	f := p.binary(left, op, right, t)
	if prec == precCmp {
		p.nonassoc(precCmp)
	}
	return f, true
}

// nonassoc rejects a second operator of a nonassociative level.
func (p *rw) nonassoc(level int) {
	if p.binPrec(p.tok()) == level {
		p.errHere()
	}
}

// binary emits left op right.
func (p *rw) binary(left *frag, op string, right *frag, t Token) *frag {
	switch {
	case nativeOps[op]:
		return wrap2(left, " "+op+" ", right, t.Offset)
	case vectorOps[op] != "":
		return call(t.Offset, vectorOps[op], left, right)
	case op == "<~>" || op == "<%>":
		p.unsupported(t, "operator "+op+" (bit vectors)")
	}
	f := &frag{}
	f.tok("__pg_op(", t.Offset)
	f.raw(quoteString(op) + ", ")
	f.add(left)
	f.raw(", ")
	f.add(right)
	f.raw(")")
	return f
}

// quantified parses op ANY|SOME|ALL (subquery | array).
func (p *rw) quantified(left *frag, op string, opTok Token) *frag {
	q := p.next()
	kind := q.Value
	if kind == "some" {
		kind = "any"
	}
	open := p.i
	if p.looksLikeSubquery(open) {
		if !cmpOps[op] {
			p.unsupported(opTok, "operator "+op+" with a subquery")
		}
		sub := p.subquery()
		f := &frag{}
		f.tok("(", opTok.Offset)
		f.add(left)
		f.raw(" " + op + " " + strings.ToUpper(kind) + " ")
		f.add(sub)
		f.raw(")")
		return f
	}
	p.expectPunct("(")
	arr := p.expr()
	p.expectPunct(")")
	f := &frag{}
	f.tok("__pg_"+kind+"(", q.Offset)
	f.raw(quoteString(op) + ", ")
	f.add(left)
	f.raw(", ")
	f.add(arr)
	f.raw(")")
	return f
}

// isExpr parses IS …, ISNULL and NOTNULL after left.
func (p *rw) isExpr(left *frag) *frag {
	t := p.next()
	switch t.Value {
	case "isnull":
		return wrapPost(left, " IS NULL", t.Offset)
	case "notnull":
		return wrapPost(left, " IS NOT NULL", t.Offset)
	}
	not := p.acceptKw("not")
	n := p.tok()
	switch {
	case n.Keyword("null"), n.Keyword("true"), n.Keyword("false"), n.Keyword("unknown"):
		p.next()
		s := " IS "
		if not {
			s += "NOT "
		}
		return wrapPost(left, s+strings.ToUpper(n.Value), t.Offset)
	case n.Keyword("distinct"):
		p.next()
		p.expectKw("from")
		right := p.exprPrec(precIs + 1)
		eq := wrap2(left, " <=> ", right, t.Offset)
		if not {
			return eq
		}
		f := &frag{}
		f.tok("(NOT ", t.Offset)
		f.add(eq)
		f.raw(")")
		return f
	case n.Keyword("document"), n.Keyword("normalized"), n.Keyword("of"), n.Keyword("json"),
		n.Keyword("nfc"), n.Keyword("nfd"), n.Keyword("nfkc"), n.Keyword("nfkd"):
		p.unsupported(n, "IS "+strings.ToUpper(n.Value))
	}
	p.errHere()
	return nil
}

// likeExpr parses [NOT] BETWEEN/IN/LIKE/ILIKE/SIMILAR TO after left.
func (p *rw) likeExpr(left *frag) *frag {
	not := p.acceptKw("not")
	t := p.next()
	neg := ""
	if not {
		neg = "NOT "
	}
	switch t.Value {
	case "between":
		if p.isKw("symmetric") {
			p.unsupported(p.tok(), "BETWEEN SYMMETRIC")
		}
		p.acceptKw("asymmetric")
		lo := p.exprPrec(precOp)
		p.expectKw("and")
		hi := p.exprPrec(precOp)
		f := &frag{}
		f.tok("(", t.Offset)
		f.add(left)
		f.raw(" " + neg + "BETWEEN ")
		f.add(lo)
		f.raw(" AND ")
		f.add(hi)
		f.raw(")")
		return f
	case "in":
		f := &frag{}
		f.tok("(", t.Offset)
		f.add(left)
		f.raw(" " + neg + "IN ")
		if p.looksLikeSubquery(p.i) {
			f.add(p.subquery())
		} else {
			open := p.expectPunct("(")
			f.tok("(", open.Offset)
			for {
				f.add(p.expr())
				if !p.acceptPunct(",") {
					break
				}
				f.raw(", ")
			}
			p.expectPunct(")")
			f.raw(")")
		}
		f.raw(")")
		return f
	case "like", "ilike":
		right := p.exprPrec(precLike + 1)
		f := &frag{}
		f.tok("(", t.Offset)
		f.add(left)
		f.raw(" " + neg + strings.ToUpper(t.Value) + " ")
		f.add(right)
		if p.isKw("escape") {
			e := p.next()
			esc := p.tok()
			if esc.Kind != String || len([]rune(esc.Value)) != 1 {
				p.unsupported(e, "ESCAPE other than a one-character literal")
			}
			p.next()
			f.raw(" ESCAPE ")
			f.str(esc.Value, esc.Offset)
		}
		f.raw(")")
		return f
	case "similar":
		p.expectKw("to")
		right := p.exprPrec(precLike + 1)
		args := []*frag{left, right}
		if p.acceptKw("escape") {
			args = append(args, p.exprPrec(precLike+1))
		}
		c := call(t.Offset, "__pg_similar", args...)
		if not {
			f := &frag{}
			f.tok("(NOT ", t.Offset)
			f.add(c)
			f.raw(")")
			return f
		}
		return c
	}
	p.errAtTok(t)
	return nil
}

// wrap2 emits (left op right).
func wrap2(left *frag, op string, right *frag, orig int) *frag {
	f := &frag{}
	f.tok("(", orig)
	f.add(left)
	f.raw(op)
	f.add(right)
	f.raw(")")
	return f
}

// wrapPost emits (left suffix).
func wrapPost(left *frag, suffix string, orig int) *frag {
	f := &frag{}
	f.tok("(", orig)
	f.add(left)
	f.raw(suffix + ")")
	return f
}

// call emits name(args…) for one of lancegate's own functions.
func call(orig int, name string, args ...*frag) *frag {
	f := &frag{}
	f.tok(name+"(", orig)
	for i, a := range args {
		if i > 0 {
			f.raw(", ")
		}
		f.add(a)
	}
	f.raw(")")
	return f
}

// castFrag emits __pg_cast(x, 'type', typmod).
func castFrag(x *frag, t PGType, orig int) *frag {
	f := &frag{}
	f.tok("__pg_cast(", orig)
	f.add(x)
	f.raw(", " + quoteString(t.Name) + ", " + strconv.Itoa(t.Typmod) + ")")
	return f
}

// literal emits a string literal fragment.
func literal(val string, orig int) *frag {
	f := &frag{}
	f.str(val, orig)
	return f
}

// looksLikeSubquery reports whether the '(' at index i opens a query
// rather than an expression or a join: it starts (after any further
// parentheses) with SELECT, VALUES, WITH or TABLE, and where it starts
// with a parenthesis, what follows that group is a set operation or a
// clause of a query, not an operator.
func (p *rw) looksLikeSubquery(i int) bool {
	if i >= len(p.toks) || !p.toks[i].IsPunct("(") {
		return false
	}
	j := i + 1
	for j < len(p.toks) && p.toks[j].IsPunct("(") {
		j++
	}
	if j >= len(p.toks) {
		return false
	}
	s := p.toks[j]
	if !(s.Keyword("select") || s.Keyword("values") || s.Keyword("with") || s.Keyword("table")) {
		return false
	}
	if j == i+1 {
		return true
	}
	close := p.match[i+1]
	if close < 0 || close+1 >= len(p.toks) {
		return false
	}
	a := p.toks[close+1]
	for _, kw := range []string{"union", "intersect", "except", "order", "limit", "offset", "fetch", "for"} {
		if a.Keyword(kw) {
			return true
		}
	}
	return a.IsPunct(")")
}

// subquery parses '(' query ')' and returns it parenthesised.
func (p *rw) subquery() *frag {
	open := p.expectPunct("(")
	f := &frag{}
	f.tok("(", open.Offset)
	f.add(p.query())
	p.expectPunct(")")
	f.raw(")")
	return f
}
