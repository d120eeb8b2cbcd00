package dialect

// tidbAggregates are aggregate names that TiDB's grammar parses with
// their own rules (COUNT(*), SUM(DISTINCT x), … OVER (…)); they are emitted
// unquoted, and only such names may carry OVER.
var tidbAggregates = setOf("avg", "bit_and", "bit_or", "bit_xor", "count", "max", "min",
	"stddev", "stddev_pop", "stddev_samp", "sum", "var_pop", "var_samp", "variance")

// tidbWindowFuncs are the window functions TiDB's grammar knows.
var tidbWindowFuncs = setOf("row_number", "rank", "dense_rank", "percent_rank", "cume_dist",
	"ntile", "lead", "lag", "first_value", "last_value", "nth_value")

// nativeWindowFuncs are those emitted in TiDB's own form: the others'
// arguments (lag's negative or non-constant offset, say) go past TiDB's
// grammar inside __pg_window, for the binder to judge.
var nativeWindowFuncs = setOf("row_number", "rank", "dense_rank")

// funcCall parses name(args) [FILTER (WHERE …)] [OVER …] after the name
// chain parts.
func (p *rw) funcCall(parts []Token) *frag {
	nameTok := parts[len(parts)-1]
	if len(parts) == 3 {
		p.side.Catalogs = append(p.side.Catalogs, NameRef{Name: parts[0].Value, Pos: charPos(p.text, parts[0].Offset)})
		parts = parts[1:]
	}
	schema := ""
	if len(parts) == 2 {
		schema = parts[0].Value
	}
	name := nameTok.Value
	p.expectPunct("(")
	var (
		args     []*frag
		order    []*frag
		star     bool
		distinct bool
	)
	switch {
	case p.isOp("*"):
		p.next()
		star = true
	case !p.isPunct(")"):
		if p.acceptKw("distinct") {
			distinct = true
		} else {
			p.acceptKw("all")
		}
		for {
			if p.isKw("variadic") {
				p.unsupported(p.tok(), "VARIADIC")
			}
			if p.tok().Kind == Ident && (p.peek(1).IsOp("=>") || p.peek(1).IsOp(":=")) {
				p.unsupported(p.tok(), "named arguments")
			}
			args = append(args, p.expr())
			if !p.acceptPunct(",") {
				break
			}
		}
		if p.isKws("order", "by") {
			p.i += 2
			order = p.aggOrder()
		}
	}
	p.expectPunct(")")
	if p.isKws("within", "group") {
		p.unsupported(p.tok(), "WITHIN GROUP")
	}
	var filter *frag
	if p.isKw("filter") && p.peek(1).IsPunct("(") {
		ft := p.next()
		p.next()
		p.expectKw("where")
		filter = call(ft.Offset, "__pg_agg_filter", p.expr())
		p.expectPunct(")")
	}
	var over *frag
	if p.isKw("over") {
		over = p.overClause()
	}
	builtin := schema == "" || schema == "pg_catalog"
	native := builtin && (tidbAggregates[name] || nativeWindowFuncs[name] && over != nil) &&
		order == nil && filter == nil && !(distinct && over != nil)
	f := &frag{}
	if native {
		f.tok(name+"(", nameTok.Offset)
		if distinct {
			f.raw("DISTINCT ")
		}
		if star {
			f.raw("*")
		}
		for i, a := range args {
			if i > 0 {
				f.raw(", ")
			}
			f.add(a)
		}
		f.raw(")")
		if over != nil {
			f.add(over)
		}
		return f
	}
	if over != nil {
		// A window call TiDB's grammar lacks rides inside one it has:
		// max(__pg_window('name', args…, modifiers…)) OVER (…).
		if !builtin {
			p.unsupported(nameTok, "window function "+schema+"."+name)
		}
		f.tok("max(", nameTok.Offset)
		inner := []*frag{literal(name, nameTok.Offset)}
		inner = append(inner, windowModifiers(nameTok, args, star, distinct, order, filter)...)
		f.add(call(nameTok.Offset, "__pg_window", inner...))
		f.raw(")")
		f.add(over)
		return f
	}
	if schema != "" {
		f.ident(schema, parts[0].Offset)
		f.raw(".")
	}
	f.ident(name, nameTok.Offset)
	f.raw("(")
	all := windowModifiers(nameTok, args, star, distinct, order, filter)
	for i, a := range all {
		if i > 0 {
			f.raw(", ")
		}
		f.add(a)
	}
	f.raw(")")
	return f
}

// windowModifiers returns a call's arguments with its modifiers as extra
// arguments: __pg_agg_star() first for *, then the arguments,
// __pg_agg_distinct(), the ORDER BY keys, __pg_agg_filter(cond).
func windowModifiers(nameTok Token, args []*frag, star, distinct bool, order []*frag, filter *frag) []*frag {
	all := args
	if star {
		all = append([]*frag{call(nameTok.Offset, "__pg_agg_star")}, all...)
	}
	if distinct {
		all = append(all, call(nameTok.Offset, "__pg_agg_distinct"))
	}
	all = append(all, order...)
	if filter != nil {
		all = append(all, filter)
	}
	return all
}

// sortKey is one ORDER BY item.
type sortKey struct {
	expr  *frag
	desc  bool
	nulls string // "", "FIRST" or "LAST"
	orig  int
}

// sortItem parses expr [ASC|DESC] [NULLS FIRST|LAST].
func (p *rw) sortItem() sortKey {
	k := sortKey{orig: p.tok().Offset}
	k.expr = p.expr()
	switch {
	case p.acceptKw("asc"):
	case p.acceptKw("desc"):
		k.desc = true
	case p.isKw("using"):
		p.unsupported(p.tok(), "ORDER BY … USING")
	}
	if p.isKw("nulls") {
		p.next()
		switch {
		case p.acceptKw("first"):
			k.nulls = "FIRST"
		case p.acceptKw("last"):
			k.nulls = "LAST"
		default:
			p.errHere()
		}
	}
	return k
}

// aggOrder parses the ORDER BY list inside an aggregate call into
// __pg_agg_order(expr, 'ASC'|'DESC', 'FIRST'|'LAST') arguments.
func (p *rw) aggOrder() []*frag {
	var out []*frag
	for {
		k := p.sortItem()
		dir, nulls := "ASC", "LAST"
		if k.desc {
			dir, nulls = "DESC", "FIRST"
		}
		if k.nulls != "" {
			nulls = k.nulls
		}
		out = append(out, call(k.orig, "__pg_agg_order", k.expr, literal(dir, k.orig), literal(nulls, k.orig)))
		if !p.acceptPunct(",") {
			return out
		}
	}
}

// sortList parses and writes an ORDER BY list; NULLS FIRST|LAST becomes
// __pg_nulls(expr, 'FIRST'|'LAST').
func (p *rw) sortList(f *frag) {
	for first := true; ; first = false {
		if !first {
			f.raw(", ")
		}
		k := p.sortItem()
		if k.nulls != "" {
			f.add(call(k.orig, "__pg_nulls", k.expr, literal(k.nulls, k.orig)))
		} else {
			f.add(k.expr)
		}
		if k.desc {
			f.raw(" DESC")
		}
		if !p.acceptPunct(",") {
			return
		}
	}
}

// overClause parses OVER name | OVER (window specification).
func (p *rw) overClause() *frag {
	t := p.next()
	f := &frag{}
	f.tok(" OVER ", t.Offset)
	if !p.isPunct("(") {
		n := p.colID()
		f.ident(n.Value, n.Offset)
		return f
	}
	f.add(p.windowSpec())
	return f
}

// windowSpec parses (… ) of a window definition.
func (p *rw) windowSpec() *frag {
	open := p.expectPunct("(")
	f := &frag{}
	f.tok("(", open.Offset)
	sep := ""
	if p.tok().Kind == Ident && isColumnName(p.tok()) && !p.isKw("partition") && !p.isKw("order") &&
		!p.isKw("rows") && !p.isKw("range") && !p.isKw("groups") {
		n := p.next()
		f.ident(n.Value, n.Offset)
		sep = " "
	}
	if p.isKws("partition", "by") {
		t := p.tok()
		p.i += 2
		f.tok(sep+"PARTITION BY ", t.Offset)
		for i, e := range p.exprList() {
			if i > 0 {
				f.raw(", ")
			}
			f.add(e)
		}
		sep = " "
	}
	if p.isKws("order", "by") {
		t := p.tok()
		p.i += 2
		f.tok(sep+"ORDER BY ", t.Offset)
		p.sortList(f)
		sep = " "
	}
	if p.isKw("rows") || p.isKw("range") || p.isKw("groups") {
		t := p.next()
		if t.Value == "groups" {
			p.unsupported(t, "GROUPS in window frames")
		}
		f.tok(sep+upper(t.Value)+" ", t.Offset)
		if p.acceptKw("between") {
			f.raw("BETWEEN ")
			p.frameBound(f)
			p.expectKw("and")
			f.raw(" AND ")
		}
		p.frameBound(f)
		if p.isKw("exclude") {
			p.unsupported(p.tok(), "EXCLUDE in window frames")
		}
	}
	p.expectPunct(")")
	f.raw(")")
	return f
}

// frameBound parses UNBOUNDED PRECEDING|FOLLOWING, CURRENT ROW or
// expr PRECEDING|FOLLOWING.
func (p *rw) frameBound(f *frag) {
	t := p.tok()
	switch {
	case p.acceptKw("unbounded"):
		f.tok("UNBOUNDED ", t.Offset)
	case p.acceptKw("current", "row"):
		f.tok("CURRENT ROW", t.Offset)
		return
	default:
		f.add(p.exprPrec(precOp))
		f.raw(" ")
	}
	switch {
	case p.acceptKw("preceding"):
		f.raw("PRECEDING")
	case p.acceptKw("following"):
		f.raw("FOLLOWING")
	default:
		p.errHere()
	}
}
