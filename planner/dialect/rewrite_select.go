package dialect

import (
	"strconv"
	"strings"
)

// noLimit is the LIMIT emitted for OFFSET without LIMIT (TiDB needs one).
const noLimit = "18446744073709551615"

func upper(s string) string { return strings.ToUpper(s) }

// query parses a query expression: [WITH …] set operations [ORDER BY]
// [LIMIT|OFFSET|FETCH] [FOR UPDATE|SHARE].
func (p *rw) query() *frag {
	p.enter()
	defer p.leave()
	f := &frag{}
	if p.isKw("with") {
		f.add(p.withClause())
		f.raw(" ")
		if p.isKw("insert") || p.isKw("update") || p.isKw("delete") {
			p.unsupported(p.tok(), "WITH with "+upper(p.tok().Value))
		}
	}
	f.add(p.setExpr())
	if p.isKw("order") {
		t := p.next()
		p.expectKw("by")
		f.tok(" ORDER BY ", t.Offset)
		p.sortList(f)
	}
	p.limitAndLocking(f)
	return f
}

// withClause parses WITH [RECURSIVE] name [(cols)] AS [[NOT] MATERIALIZED] (query), ….
func (p *rw) withClause() *frag {
	t := p.next()
	f := &frag{}
	f.tok("WITH ", t.Offset)
	if p.acceptKw("recursive") {
		f.raw("RECURSIVE ")
	}
	for first := true; ; first = false {
		if !first {
			f.raw(", ")
		}
		n := p.colID()
		f.ident(n.Value, n.Offset)
		if p.isPunct("(") {
			f.raw(" ")
			p.nameList(f)
		}
		p.expectKw("as")
		if !p.acceptKw("materialized") {
			p.acceptKw("not", "materialized")
		}
		f.raw(" AS ")
		if !p.isPunct("(") {
			p.errHere()
		}
		if k := p.peek(1); k.Keyword("insert") || k.Keyword("update") || k.Keyword("delete") {
			p.unsupported(k, "data-modifying statements in WITH")
		}
		f.add(p.subquery())
		if p.isKw("search") || p.isKw("cycle") {
			p.unsupported(p.tok(), upper(p.tok().Value)+" in WITH")
		}
		if !p.acceptPunct(",") {
			return f
		}
	}
}

// nameList parses and writes (name, …).
func (p *rw) nameList(f *frag) []string {
	open := p.expectPunct("(")
	f.tok("(", open.Offset)
	var names []string
	for {
		n := p.colID()
		if len(names) > 0 {
			f.raw(", ")
		}
		f.ident(n.Value, n.Offset)
		names = append(names, n.Value)
		if !p.acceptPunct(",") {
			break
		}
	}
	p.expectPunct(")")
	f.raw(")")
	return names
}

// setExpr parses UNION/EXCEPT chains of INTERSECT chains. An INTERSECT
// chain combined with UNION or EXCEPT is parenthesised, so TiDB's set
// operation precedence never decides.
func (p *rw) setExpr() *frag {
	left := p.intersectExpr(false)
	for p.isKw("union") || p.isKw("except") {
		t := p.next()
		op := " " + upper(t.Value)
		if p.acceptKw("all") {
			op += " ALL"
		} else {
			p.acceptKw("distinct")
		}
		right := p.intersectExpr(true)
		f := &frag{}
		f.add(left)
		f.tok(op+" ", t.Offset)
		f.add(right)
		left = f
	}
	return left
}

func (p *rw) intersectExpr(inSet bool) *frag {
	left := p.simpleQuery()
	n := 1
	for p.isKw("intersect") {
		t := p.next()
		op := " INTERSECT"
		if p.acceptKw("all") {
			op += " ALL"
		} else {
			p.acceptKw("distinct")
		}
		right := p.simpleQuery()
		f := &frag{}
		f.add(left)
		f.tok(op+" ", t.Offset)
		f.add(right)
		left = f
		n++
	}
	if n > 1 && (inSet || p.isKw("union") || p.isKw("except")) {
		f := &frag{}
		f.raw("(")
		f.add(left)
		f.raw(")")
		return f
	}
	return left
}

// simpleQuery parses SELECT …, VALUES …, TABLE name or (query).
func (p *rw) simpleQuery() *frag {
	t := p.tok()
	switch {
	case t.IsPunct("("):
		return p.subquery()
	case t.Keyword("select"):
		return p.selectCore()
	case t.Keyword("values"):
		return p.valuesQuery()
	case t.Keyword("table"):
		p.next()
		f := &frag{}
		f.tok("SELECT * FROM ", t.Offset)
		p.qualifiedName(f)
		return f
	}
	p.errHere()
	return nil
}

// valuesQuery emits VALUES (…), (…) as SELECT … AS column1, … UNION ALL
// SELECT …, parenthesised when it has several rows.
func (p *rw) valuesQuery() *frag {
	t := p.next()
	f := &frag{}
	width := -1
	rows := 0
	for {
		open := p.expectPunct("(")
		var elems []*frag
		for {
			elems = append(elems, p.expr())
			if !p.acceptPunct(",") {
				break
			}
		}
		p.expectPunct(")")
		if width >= 0 && len(elems) != width {
			p.fail(errAt(p.text, open.Offset, "42601", "VALUES lists must all be the same length"))
		}
		width = len(elems)
		if rows == 0 {
			f.tok("SELECT ", t.Offset)
		} else {
			f.tok(" UNION ALL SELECT ", open.Offset)
		}
		for i, e := range elems {
			if i > 0 {
				f.raw(", ")
			}
			f.add(e)
			if rows == 0 {
				f.raw(" AS " + quoteIdent("column"+strconv.Itoa(i+1)))
			}
		}
		rows++
		if !p.acceptPunct(",") {
			break
		}
	}
	if rows > 1 {
		g := &frag{}
		g.tok("(", t.Offset)
		g.add(f)
		g.raw(")")
		return g
	}
	return f
}

// selectCore parses SELECT … [FROM] [WHERE] [GROUP BY] [HAVING] [WINDOW].
func (p *rw) selectCore() *frag {
	t := p.next()
	f := &frag{}
	f.tok("SELECT ", t.Offset)
	if p.acceptKw("all") {
	} else if p.isKw("distinct") {
		d := p.next()
		if p.isKw("on") {
			p.unsupported(d, "DISTINCT ON")
		}
		f.raw("DISTINCT ")
	}
	if p.endOfTargets() {
		p.unsupported(t, "SELECT with an empty target list")
	}
	p.targetList(f)
	if p.isKw("into") {
		p.unsupported(p.tok(), "SELECT INTO")
	}
	if p.isKw("from") {
		ft := p.next()
		f.tok(" FROM ", ft.Offset)
		p.fromList(f)
	}
	if p.isKw("where") {
		w := p.next()
		f.tok(" WHERE ", w.Offset)
		f.add(p.expr())
	}
	if p.isKws("group", "by") {
		g := p.tok()
		p.i += 2
		f.tok(" GROUP BY ", g.Offset)
		if p.isKw("distinct") {
			p.unsupported(p.tok(), "GROUP BY DISTINCT")
		}
		p.acceptKw("all")
		for first := true; ; first = false {
			if !first {
				f.raw(", ")
			}
			if p.isKw("rollup") || p.isKw("cube") || p.isKws("grouping", "sets") ||
				p.isPunct("(") && p.peek(1).IsPunct(")") {
				p.unsupported(p.tok(), "grouping sets")
			}
			f.add(p.expr())
			if !p.acceptPunct(",") {
				break
			}
		}
	}
	if p.isKw("having") {
		h := p.next()
		f.tok(" HAVING ", h.Offset)
		f.add(p.expr())
	}
	if p.isKw("window") {
		w := p.next()
		f.tok(" WINDOW ", w.Offset)
		for first := true; ; first = false {
			if !first {
				f.raw(", ")
			}
			n := p.colID()
			f.ident(n.Value, n.Offset)
			p.expectKw("as")
			f.raw(" AS ")
			f.add(p.windowSpec())
			if !p.acceptPunct(",") {
				break
			}
		}
	}
	return f
}

// endOfTargets reports whether the select list is empty.
func (p *rw) endOfTargets() bool {
	t := p.tok()
	if t.Kind == EOF || t.IsPunct(")") || t.IsPunct(";") {
		return true
	}
	for _, kw := range []string{"from", "where", "group", "having", "window", "union", "intersect",
		"except", "order", "limit", "offset", "fetch", "for", "into"} {
		if t.Keyword(kw) {
			return true
		}
	}
	return false
}

// targetList parses and writes a select list.
func (p *rw) targetList(f *frag) {
	for first := true; ; first = false {
		if !first {
			f.raw(", ")
		}
		p.target(f)
		if !p.acceptPunct(",") {
			return
		}
	}
}

// target parses *, name.*, or expr [[AS] label].
func (p *rw) target(f *frag) {
	t := p.tok()
	if t.IsOp("*") {
		p.next()
		f.tok("*", t.Offset)
		return
	}
	// name[.name…].*
	if t.Kind == Ident {
		j := p.i
		for j+2 < len(p.toks) && p.toks[j].Kind == Ident && p.toks[j+1].IsPunct(".") {
			if p.toks[j+2].IsOp("*") {
				var parts []Token
				for k := p.i; k <= j; k += 2 {
					parts = append(parts, p.toks[k])
				}
				p.i = j + 3
				p.writeQualified(f, parts)
				f.raw(".*")
				return
			}
			j += 2
		}
	}
	f.add(p.expr())
	if p.acceptKw("as") {
		n := p.label()
		f.raw(" AS ")
		f.ident(n.Value, n.Offset)
	} else if isBareLabel(p.tok()) {
		n := p.next()
		f.raw(" AS ")
		f.ident(n.Value, n.Offset)
	}
}

// fromList parses and writes FROM items separated by commas.
func (p *rw) fromList(f *frag) {
	for first := true; ; first = false {
		if !first {
			f.raw(", ")
		}
		p.fromItem(f)
		if !p.acceptPunct(",") {
			return
		}
	}
}

// fromItem parses a table reference followed by joins.
func (p *rw) fromItem(f *frag) {
	p.enter()
	defer p.leave()
	p.tableRef(f)
	for {
		t := p.tok()
		natural := ""
		if t.Keyword("natural") {
			p.next()
			natural = "NATURAL "
		}
		kind := ""
		switch {
		case p.acceptKw("cross", "join"):
			if natural != "" {
				p.errAtTok(t)
			}
			f.tok(" CROSS JOIN ", t.Offset)
			p.tableRef(f)
			continue
		case p.acceptKw("join"), p.acceptKw("inner", "join"):
			kind = "JOIN"
		case p.acceptKw("left", "join"), p.acceptKw("left", "outer", "join"):
			kind = "LEFT JOIN"
		case p.acceptKw("right", "join"), p.acceptKw("right", "outer", "join"):
			kind = "RIGHT JOIN"
		case p.isKw("full"):
			p.unsupported(p.tok(), "FULL JOIN")
		default:
			if natural != "" {
				p.errHere()
			}
			return
		}
		f.tok(" "+natural+kind+" ", t.Offset)
		p.tableRef(f)
		if natural != "" {
			continue
		}
		switch {
		case p.isKw("on"):
			o := p.next()
			f.tok(" ON ", o.Offset)
			f.add(p.expr())
		case p.isKw("using"):
			u := p.next()
			f.tok(" USING ", u.Offset)
			p.nameList(f)
			if p.isKw("as") {
				p.unsupported(p.tok(), "JOIN USING … AS alias")
			}
		default:
			p.errHere()
		}
	}
}

// tableRef parses one FROM item: a table, a subquery, a function call or
// a parenthesised join.
func (p *rw) tableRef(f *frag) {
	lateral := p.acceptKw("lateral")
	t := p.tok()
	if t.IsPunct("(") {
		if p.looksLikeSubquery(p.i) {
			if lateral {
				f.raw("LATERAL ")
			}
			f.add(p.subquery())
			p.aliasClause(f, true)
			return
		}
		if lateral {
			p.errHere()
		}
		open := p.next()
		f.tok("(", open.Offset)
		p.fromItem(f)
		p.expectPunct(")")
		f.raw(")")
		if p.isKw("as") || isColumnName(p.tok()) && !p.isKw("set") {
			p.unsupported(p.tok(), "an alias for a parenthesised join")
		}
		return
	}
	if p.isKws("rows", "from") {
		p.unsupported(t, "ROWS FROM")
	}
	if t.Keyword("current_schema") && p.peek(1).IsPunct("(") {
		// A function named by a type_func_name keyword (PostgreSQL's
		// func_table accepts it: SELECT * FROM current_schema()).
		p.next()
		p.funcTable(f, []Token{t})
		return
	}
	only, onlyParen := p.acceptKw("only"), false
	if only && p.isPunct("(") {
		p.next()
		onlyParen = true
	}
	parts := []Token{p.colID()}
	for p.isPunct(".") && len(parts) < 4 {
		p.next()
		parts = append(parts, p.label())
	}
	if onlyParen {
		p.expectPunct(")")
	} else if p.isPunct("(") && len(parts) <= 3 && !only {
		p.funcTable(f, parts)
		return
	}
	if lateral {
		p.errAtTok(parts[0])
	}
	p.writeQualified(f, parts)
	if p.isOp("*") {
		p.next()
	}
	p.asOf(f)
	p.aliasClause(f, false)
	p.asOf(f)
	if p.isKw("tablesample") {
		p.unsupported(p.tok(), "TABLESAMPLE")
	}
}

// asOf parses lancegate's time travel clause: AS OF TIMESTAMP expr, or AS
// OF VERSION expr, emitted as AS OF TIMESTAMP __lg_version(expr).
func (p *rw) asOf(f *frag) {
	if !p.isKws("as", "of") {
		return
	}
	kind := p.peek(2)
	if !kind.Keyword("timestamp") && !kind.Keyword("version") {
		return
	}
	t := p.tok()
	p.i += 3
	x := p.exprPrec(precOp)
	f.tok(" AS OF TIMESTAMP ", t.Offset)
	if kind.Value == "version" {
		f.add(call(kind.Offset, "__lg_version", x))
		return
	}
	f.add(x)
}

// aliasClause parses [AS] alias [(columns)] and writes AS `alias`; the
// column list goes to the side table. A subquery's alias is required by
// PostgreSQL 15.
func (p *rw) aliasClause(f *frag, subquery bool) string {
	var n Token
	switch {
	case p.isKw("as") && !(p.peek(1).Keyword("of") && (p.peek(2).Keyword("timestamp") || p.peek(2).Keyword("version"))):
		p.next()
		n = p.colID()
	case isColumnName(p.tok()) && !p.isKw("set") && !p.isKw("returning"):
		n = p.next()
	default:
		if subquery {
			p.fail(errAt(p.text, p.tok().Offset, "42601", "subquery in FROM must have an alias"))
		}
		return ""
	}
	f.raw(" AS ")
	f.ident(n.Value, n.Offset)
	if p.isPunct("(") {
		var cols []string
		p.next()
		for {
			c := p.colID()
			cols = append(cols, c.Value)
			if !p.acceptPunct(",") {
				break
			}
		}
		p.expectPunct(")")
		p.side.Aliases = append(p.side.Aliases, ColumnAliases{Alias: n.Value, Columns: cols, Pos: charPos(p.text, n.Offset)})
	}
	return n.Value
}

// funcTable parses a function call in FROM and emits it as
// LATERAL (SELECT __pg_srf('name', args…)) AS alias.
func (p *rw) funcTable(f *frag, parts []Token) {
	nameTok := parts[len(parts)-1]
	if len(parts) == 3 {
		p.side.Catalogs = append(p.side.Catalogs, NameRef{Name: parts[0].Value, Pos: charPos(p.text, parts[0].Offset)})
		parts = parts[1:]
	}
	ft := FuncTable{Name: nameTok.Value, Pos: charPos(p.text, nameTok.Offset)}
	qualified := nameTok.Value
	if len(parts) == 2 {
		ft.Schema = parts[0].Value
		qualified = ft.Schema + "." + qualified
	}
	p.expectPunct("(")
	var args []*frag
	if !p.isPunct(")") {
		args = p.exprList()
	}
	p.expectPunct(")")
	if p.acceptKw("with", "ordinality") {
		ft.Ordinality = true
	}
	ft.Alias = ft.Name
	var n Token
	switch {
	case p.acceptKw("as"):
		if p.isPunct("(") {
			p.unsupported(p.tok(), "a column definition list")
		}
		n = p.colID()
	case isColumnName(p.tok()) && !p.isKw("set"):
		n = p.next()
	}
	if n.Kind == Ident {
		ft.Alias = n.Value
		if p.isPunct("(") {
			p.next()
			ft.Columns = []string{}
			for {
				if p.tok().Kind == Ident && p.peek(1).Kind == Ident && !p.peek(1).IsPunct(",") {
					p.unsupported(p.tok(), "a column definition list")
				}
				c := p.colID()
				ft.Columns = append(ft.Columns, c.Value)
				if !p.acceptPunct(",") {
					break
				}
			}
			p.expectPunct(")")
		}
	}
	idx := len(p.side.Functions)
	p.side.Functions = append(p.side.Functions, ft)
	f.tok("LATERAL (SELECT ", nameTok.Offset)
	f.special("__pg_srf(", nameTok.Offset, markSRF, idx)
	f.str(qualified, nameTok.Offset)
	for _, a := range args {
		f.raw(", ")
		f.add(a)
	}
	f.raw(")) AS ")
	aliasOrig := nameTok.Offset
	if n.Kind == Ident {
		aliasOrig = n.Offset
	}
	f.ident(ft.Alias, aliasOrig)
}

// limitAndLocking parses LIMIT, OFFSET, FETCH and FOR UPDATE/SHARE in
// any order and writes them in TiDB's order.
func (p *rw) limitAndLocking(f *frag) {
	var limit, offset, lock *frag
	for {
		t := p.tok()
		switch {
		case t.Keyword("limit"):
			p.next()
			if p.acceptKw("all") || p.acceptKw("null") {
				limit = nil
				continue
			}
			limit = p.limitValue()
			if p.isPunct(",") {
				p.fail(errAt(p.text, t.Offset, "0A000", "LIMIT #,# syntax is not supported").
					WithHint("Use separate LIMIT and OFFSET clauses."))
			}
		case t.Keyword("offset"):
			p.next()
			offset = p.limitValue()
			if !p.acceptKw("row") {
				p.acceptKw("rows")
			}
		case t.Keyword("fetch"):
			p.next()
			if !p.acceptKw("first") && !p.acceptKw("next") {
				p.errHere()
			}
			if p.isKw("row") || p.isKw("rows") {
				one := &frag{}
				one.tok("1", p.tok().Offset)
				limit = one
			} else {
				limit = p.limitValue()
			}
			if !p.acceptKw("row") && !p.acceptKw("rows") {
				p.errHere()
			}
			if p.isKws("with", "ties") {
				p.unsupported(p.tok(), "FETCH … WITH TIES")
			}
			p.expectKw("only")
		case t.Keyword("for"):
			lock = p.lockingClause()
		default:
			if limit != nil {
				f.tok(" LIMIT ", limit.marks[0].orig)
				f.add(limit)
			}
			if offset != nil {
				if limit == nil {
					f.raw(" LIMIT " + noLimit)
				}
				f.tok(" OFFSET ", offset.marks[0].orig)
				f.add(offset)
			}
			if lock != nil {
				f.add(lock)
			}
			return
		}
	}
}

// limitValue parses a LIMIT, OFFSET or FETCH count: an integer literal or
// a parameter, possibly cast (TiDB's grammar accepts nothing else).
func (p *rw) limitValue() *frag {
	t := p.tok()
	f := &frag{}
	switch {
	case t.Kind == Integer:
		p.next()
		f.tok(t.Value, t.Offset)
	case t.Kind == Param:
		p.next()
		if p.isOp("::") {
			p.next()
			typ := p.parseType()
			ref := len(p.casts)
			p.casts = append(p.casts, typ)
			f.marks = append(f.marks, mark{emit: 0, orig: t.Offset, kind: markParamCast, n: t.N, ref: ref})
			f.raw("?")
			return f
		}
		f.param(t.N, t.Offset)
	case t.IsPunct("(") && p.peek(1).Kind == Integer && p.peek(2).IsPunct(")"):
		p.i += 3
		f.tok(p.peek(-2).Value, p.peek(-2).Offset)
	case t.Kind == String && isDigits(strings.TrimSpace(t.Value)):
		// LIMIT '10': an unknown literal typed bigint by its context, as
		// clients interpolating parameters write it (psycopg2, pgx's
		// simple protocol).
		p.next()
		f.tok(strings.TrimLeft(strings.TrimSpace(t.Value), "0")+zeroIfEmpty(strings.TrimSpace(t.Value)), t.Offset)
	default:
		p.unsupported(t, "an expression in LIMIT, OFFSET or FETCH")
	}
	if p.isOp("::") {
		p.unsupported(p.tok(), "a cast in LIMIT, OFFSET or FETCH")
	}
	if p.binPrec(p.tok()) > 0 || p.isPunct("[") {
		p.unsupported(t, "an expression in LIMIT, OFFSET or FETCH")
	}
	return f
}

// lockingClause parses FOR UPDATE | FOR SHARE [OF t, …] [NOWAIT | SKIP LOCKED].
func (p *rw) lockingClause() *frag {
	t := p.next()
	f := &frag{}
	switch {
	case p.acceptKw("update"):
		f.tok(" FOR UPDATE", t.Offset)
	case p.acceptKw("share"):
		f.tok(" FOR SHARE", t.Offset)
	case p.isKw("no") || p.isKw("key"):
		p.unsupported(t, "FOR NO KEY UPDATE and FOR KEY SHARE")
	default:
		p.errHere()
	}
	if p.acceptKw("of") {
		f.raw(" OF ")
		for first := true; ; first = false {
			if !first {
				f.raw(", ")
			}
			p.qualifiedName(f)
			if !p.acceptPunct(",") {
				break
			}
		}
	}
	switch {
	case p.acceptKw("nowait"):
		f.raw(" NOWAIT")
	case p.acceptKw("skip", "locked"):
		f.raw(" SKIP LOCKED")
	}
	return f
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// zeroIfEmpty is "0" when s is all zeros (so '00' becomes 0).
func zeroIfEmpty(s string) string {
	if strings.TrimLeft(s, "0") == "" {
		return "0"
	}
	return ""
}
