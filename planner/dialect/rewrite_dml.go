package dialect

// insertStmt parses INSERT INTO t [(cols)] {DEFAULT VALUES | VALUES … |
// query} [RETURNING …].
func (p *rw) insertStmt() *frag {
	t := p.next()
	into := p.expectKw("into")
	f := &frag{}
	f.tok("INSERT INTO ", t.Offset)
	_ = into
	p.qualifiedName(f)
	if p.isKw("as") {
		p.unsupported(p.tok(), "an alias in INSERT")
	}
	if p.isPunct("(") && !p.looksLikeSubquery(p.i) {
		f.raw(" ")
		p.nameList(f)
	}
	if p.isKw("overriding") {
		p.unsupported(p.tok(), "OVERRIDING")
	}
	switch {
	case p.isKws("default", "values"):
		d := p.tok()
		p.i += 2
		f.tok(" () VALUES ()", d.Offset)
	case p.isKw("values"):
		v := p.next()
		f.tok(" VALUES ", v.Offset)
		for first := true; ; first = false {
			if !first {
				f.raw(", ")
			}
			open := p.expectPunct("(")
			f.tok("(", open.Offset)
			for k := 0; ; k++ {
				if k > 0 {
					f.raw(", ")
				}
				if p.isKw("default") {
					d := p.next()
					f.tok("DEFAULT", d.Offset)
				} else {
					f.add(p.expr())
				}
				if !p.acceptPunct(",") {
					break
				}
			}
			p.expectPunct(")")
			f.raw(")")
			if !p.acceptPunct(",") {
				break
			}
		}
		for _, kw := range []string{"union", "intersect", "except", "order", "limit", "offset", "fetch"} {
			if p.isKw(kw) {
				p.unsupported(p.tok(), "INSERT … VALUES with "+upper(kw))
			}
		}
	case p.isKw("select") || p.isKw("with") || p.isKw("table") || p.isPunct("("):
		f.raw(" ")
		f.add(p.query())
	default:
		p.errHere()
	}
	if p.isKws("on", "conflict") {
		p.unsupported(p.tok(), "ON CONFLICT")
	}
	p.returningClause()
	return f
}

// returningClause parses RETURNING list into p.returning as SELECT list.
func (p *rw) returningClause() {
	if !p.isKw("returning") {
		return
	}
	t := p.next()
	f := &frag{}
	f.tok("SELECT ", t.Offset)
	p.targetList(f)
	p.returning = f
}

// updateStmt parses UPDATE [ONLY] t [[AS] a] SET c = e, … [WHERE …]
// [RETURNING …].
func (p *rw) updateStmt() *frag {
	t := p.next()
	f := &frag{}
	f.tok("UPDATE ", t.Offset)
	p.acceptKw("only")
	p.qualifiedName(f)
	if p.isOp("*") {
		p.next()
	}
	if !p.isKw("set") {
		p.aliasClause(f, false)
	}
	s := p.expectKw("set")
	f.tok(" SET ", s.Offset)
	for first := true; ; first = false {
		if !first {
			f.raw(", ")
		}
		if p.isPunct("(") {
			p.unsupported(p.tok(), "multiple-column SET")
		}
		c := p.colID()
		if p.isPunct(".") || p.isPunct("[") {
			p.unsupported(p.tok(), "SET of a field or an array element")
		}
		f.ident(c.Value, c.Offset)
		if !p.isOp("=") {
			p.errHere()
		}
		eq := p.next()
		f.tok(" = ", eq.Offset)
		if p.isKw("default") {
			d := p.next()
			f.tok("DEFAULT", d.Offset)
		} else {
			f.add(p.expr())
		}
		if !p.acceptPunct(",") {
			break
		}
	}
	if p.isKw("from") {
		p.unsupported(p.tok(), "UPDATE … FROM")
	}
	p.whereClause(f)
	p.returningClause()
	return f
}

// whereClause parses an optional WHERE of UPDATE or DELETE.
func (p *rw) whereClause(f *frag) {
	if !p.isKw("where") {
		return
	}
	if p.peek(1).Keyword("current") && p.peek(2).Keyword("of") {
		p.unsupported(p.tok(), "WHERE CURRENT OF")
	}
	w := p.next()
	f.tok(" WHERE ", w.Offset)
	f.add(p.expr())
}

// deleteStmt parses DELETE FROM [ONLY] t [[AS] a] [WHERE …] [RETURNING …].
func (p *rw) deleteStmt() *frag {
	t := p.next()
	p.expectKw("from")
	f := &frag{}
	f.tok("DELETE FROM ", t.Offset)
	p.acceptKw("only")
	p.qualifiedName(f)
	if p.isOp("*") {
		p.next()
	}
	if !p.isKw("using") && !p.isKw("where") && !p.isKw("returning") {
		p.aliasClause(f, false)
	}
	if p.isKw("using") {
		p.unsupported(p.tok(), "DELETE … USING")
	}
	p.whereClause(f)
	p.returningClause()
	return f
}
