package dialect

// copyStmt parses COPY.
func (p *rw) copyStmt() SessionStmt {
	s := &CopyStmt{}
	if p.acceptKw("binary") {
		s.Options = append(s.Options, Option{Name: "format", Value: &Value{Kind: ValueIdent, Text: "binary"}})
	}
	if p.isPunct("(") {
		open := p.i
		close := p.match[open]
		if close < 0 {
			p.errHere()
		}
		p.next()
		r, err := subRewrite(p.text, p.toks, open+1, close)
		if err != nil {
			panic(bailout{asSQLState(err)})
		}
		s.Query = r
		p.i = close + 1
	} else {
		s.Table = p.nameParts()
		if p.isPunct("(") {
			p.next()
			for {
				s.Columns = append(s.Columns, p.colID().Value)
				if !p.acceptPunct(",") {
					break
				}
			}
			p.expectPunct(")")
		}
	}
	switch {
	case p.acceptKw("from"):
		s.From = true
		if s.Query != nil {
			p.errAtTok(p.toks[p.i-1])
		}
	case p.acceptKw("to"):
	default:
		p.errHere()
	}
	switch t := p.tok(); {
	case t.Keyword("stdin") && s.From, t.Keyword("stdout") && !s.From:
		p.next()
	case t.Kind == String:
		p.next()
		s.Target, s.File = CopyFile, t.Value
	case t.Keyword("program"):
		p.next()
		c := p.tok()
		if c.Kind != String {
			p.errHere()
		}
		p.next()
		s.Target, s.File = CopyProgram, c.Value
	default:
		p.errHere()
	}
	p.acceptKw("with")
	if p.isPunct("(") {
		s.Options = append(s.Options, p.optionList()...)
	} else {
		s.Options = append(s.Options, p.legacyCopyOptions()...)
	}
	if p.isKw("where") {
		p.unsupported(p.tok(), "COPY … WHERE")
	}
	return s
}

// legacyCopyOptions parses the pre-9.0 COPY options into Options.
func (p *rw) legacyCopyOptions() []Option {
	var opts []Option
	ident := func(s string) *Value { return &Value{Kind: ValueIdent, Text: s} }
	str := func(name string) {
		p.acceptKw("as")
		t := p.tok()
		if t.Kind != String {
			p.errHere()
		}
		p.next()
		v := p.value(t, ValueString)
		opts = append(opts, Option{Name: name, Value: &v})
	}
	cols := func() []string {
		if p.isOp("*") {
			p.next()
			return []string{"*"}
		}
		c := []string{p.colID().Value}
		for p.acceptPunct(",") {
			c = append(c, p.colID().Value)
		}
		return c
	}
	for {
		switch {
		case p.acceptKw("binary"):
			opts = append(opts, Option{Name: "format", Value: ident("binary")})
		case p.acceptKw("csv"):
			opts = append(opts, Option{Name: "format", Value: ident("csv")})
		case p.acceptKw("header"):
			opts = append(opts, Option{Name: "header", Value: ident("true")})
		case p.acceptKw("freeze"):
			opts = append(opts, Option{Name: "freeze", Value: ident("true")})
		case p.acceptKw("delimiter"):
			str("delimiter")
		case p.acceptKw("null"):
			str("null")
		case p.acceptKw("quote"):
			str("quote")
		case p.acceptKw("escape"):
			str("escape")
		case p.acceptKw("encoding"):
			str("encoding")
		case p.acceptKw("force", "quote"):
			opts = append(opts, Option{Name: "force_quote", Columns: cols()})
		case p.acceptKw("force", "not", "null"):
			opts = append(opts, Option{Name: "force_not_null", Columns: cols()})
		case p.acceptKw("force", "null"):
			opts = append(opts, Option{Name: "force_null", Columns: cols()})
		case p.isKw("oids"):
			p.unsupported(p.tok(), "COPY … OIDS")
		default:
			return opts
		}
	}
}

// maintenance parses ANALYZE and VACUUM.
func (p *rw) maintenance(t Token) SessionStmt {
	cmd := t.Value
	if cmd == "analyse" {
		cmd = "analyze"
	}
	s := &MaintenanceStmt{Command: cmd}
	if p.isPunct("(") {
		s.Options = p.optionList()
	} else {
		for _, kw := range []string{"full", "freeze", "verbose", "analyze", "analyse"} {
			if p.acceptKw(kw) {
				if kw == "analyse" {
					kw = "analyze"
				}
				s.Options = append(s.Options, Option{Name: kw})
			}
		}
	}
	for p.tok().Kind == Ident {
		s.Tables = append(s.Tables, p.nameParts())
		if p.isPunct("(") {
			p.next()
			for {
				p.colID()
				if !p.acceptPunct(",") {
					break
				}
			}
			p.expectPunct(")")
		}
		if !p.acceptPunct(",") {
			break
		}
	}
	return s
}
