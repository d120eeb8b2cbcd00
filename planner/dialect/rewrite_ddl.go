package dialect

// createStmt parses CREATE TABLE; other CREATE statements are not
// supported yet (CREATE EXTENSION is a session statement).
func (p *rw) createStmt() *frag {
	t := p.next()
	switch {
	case p.isKw("temp") || p.isKw("temporary") || p.isKw("unlogged") || p.isKw("global") || p.isKw("local"):
		p.unsupported(p.tok(), upper(p.tok().Value)+" tables")
	case !p.isKw("table"):
		what := "CREATE"
		if n := p.tok(); n.Kind == Ident {
			what += " " + upper(n.Value)
		}
		p.unsupported(t, what)
	}
	p.next()
	f := &frag{}
	f.tok("CREATE TABLE ", t.Offset)
	if p.acceptKw("if", "not", "exists") {
		f.raw("IF NOT EXISTS ")
	}
	p.qualifiedName(f)
	if p.isKw("as") || p.isKw("of") || p.isKw("partition") {
		p.unsupported(p.tok(), "CREATE TABLE "+upper(p.tok().Value))
	}
	open := p.expectPunct("(")
	f.tok(" (", open.Offset)
	for first := true; ; first = false {
		if !first {
			f.raw(", ")
		}
		if p.isTableConstraint() {
			p.tableConstraint(f)
		} else {
			p.columnDef(f)
		}
		if !p.acceptPunct(",") {
			break
		}
	}
	p.expectPunct(")")
	f.raw(")")
	if p.isKw("with") && p.toks[p.i+1].IsPunct("(") {
		p.next()
		p.storageParams()
	}
	for _, kw := range []string{"inherits", "partition", "with", "without", "on", "tablespace", "using"} {
		if p.isKw(kw) {
			p.unsupported(p.tok(), "CREATE TABLE … "+upper(kw))
		}
	}
	return f
}

func (p *rw) isTableConstraint() bool {
	for _, kw := range []string{"constraint", "primary", "unique", "check", "foreign", "exclude", "like"} {
		if p.isKw(kw) {
			return true
		}
	}
	return false
}

// columnDef parses name type [constraints] and writes it with a TiDB type
// of the same family; the PostgreSQL type goes to the side table.
func (p *rw) columnDef(f *frag) {
	n := p.colID()
	typ := p.parseType()
	col := Column{Name: n.Value, Pos: charPos(p.text, n.Offset)}
	if st, ok := serialTypes[typ.Name]; ok && typ.ArrayDims == 0 {
		col.Serial = true
		typ = catalog(st, -1, nil)
	}
	col.Type = typ
	f.ident(n.Value, n.Offset)
	f.raw(" " + tidbColumnType(typ))
	if p.isKw("collate") {
		c := p.next()
		parts := []Token{p.label()}
		for p.acceptPunct(".") {
			parts = append(parts, p.label())
		}
		if name := joinNames(parts); name != "default" && name != "pg_catalog.default" && name != "C" && name != "pg_catalog.C" {
			p.unsupported(c, "COLLATE "+name)
		}
	}
	var def *frag
	explicitNull := false
	for {
		t := p.tok()
		if p.acceptKw("constraint") {
			p.colID()
			t = p.tok()
		}
		switch {
		case p.acceptKw("not", "null"):
			col.NotNull = true
			f.tok(" NOT NULL", t.Offset)
		case p.acceptKw("null"):
			explicitNull = true
			f.tok(" NULL", t.Offset)
		case p.acceptKw("default"):
			d := &frag{}
			d.tok("SELECT ", t.Offset)
			d.add(p.exprPrec(precIs + 1))
			def = d
		case p.acceptKw("primary", "key"):
			col.PrimaryKey = true
			col.NotNull = true
			f.tok(" PRIMARY KEY", t.Offset)
		case p.acceptKw("unique"):
			if p.isKw("nulls") {
				p.unsupported(p.tok(), "UNIQUE NULLS")
			}
			f.tok(" UNIQUE", t.Offset)
		case p.acceptKw("check"):
			p.checkBody(f, t, " ")
		case p.acceptKw("references"):
			p.references(f, t)
		case p.isKw("generated") && (p.peek(1).Keyword("always") || p.peek(1).Keyword("by")):
			p.next()
			col.Identity = 'a'
			if !p.acceptKw("always") {
				p.expectKw("by")
				p.expectKw("default")
				col.Identity = 'd'
			}
			p.expectKw("as")
			if !p.isKw("identity") {
				p.unsupported(p.tok(), "generated columns")
			}
			p.next()
			if p.isPunct("(") {
				p.unsupported(p.tok(), "sequence options of an identity column")
			}
			if typ.Name != "pg_catalog.int2" && typ.Name != "pg_catalog.int4" && typ.Name != "pg_catalog.int8" {
				p.fail(errAt(p.text, n.Offset, "22023", "identity column type must be smallint, integer, or bigint"))
			}
			col.Serial, col.NotNull = true, true
			f.raw(" NOT NULL")
		case p.isKw("generated") || p.isKw("deferrable") || p.isKw("initially") ||
			p.isKws("not", "deferrable"):
			p.unsupported(t, upper(t.Value)+" in a column definition")
		default:
			if col.Serial && !col.NotNull {
				if explicitNull {
					p.fail(errAt(p.text, n.Offset, "42601",
						"conflicting NULL/NOT NULL declarations for column \"%s\" of table", n.Value))
				}
				col.NotNull = true
				f.raw(" NOT NULL")
			}
			p.side.Columns = append(p.side.Columns, col)
			p.defaults = append(p.defaults, def)
			return
		}
	}
}

// checkBody parses (expr) [NO INHERIT] after CHECK.
func (p *rw) checkBody(f *frag, t Token, sep string) {
	p.expectPunct("(")
	f.tok(sep+"CHECK (", t.Offset)
	f.add(p.expr())
	p.expectPunct(")")
	f.raw(")")
	if p.isKws("no", "inherit") {
		p.unsupported(p.tok(), "NO INHERIT")
	}
}

// references parses REFERENCES t [(cols)] [MATCH …] [ON DELETE|UPDATE action]….
func (p *rw) references(f *frag, t Token) {
	f.tok(" REFERENCES ", t.Offset)
	p.qualifiedName(f)
	if p.isPunct("(") {
		f.raw(" ")
		p.nameList(f)
	}
	if p.isKw("match") {
		p.unsupported(p.tok(), "MATCH in REFERENCES")
	}
	for p.isKw("on") && (p.peek(1).Keyword("delete") || p.peek(1).Keyword("update")) {
		o := p.next()
		ev := p.next()
		f.tok(" ON "+upper(ev.Value)+" ", o.Offset)
		switch {
		case p.acceptKw("cascade"):
			f.raw("CASCADE")
		case p.acceptKw("restrict"):
			f.raw("RESTRICT")
		case p.acceptKw("no", "action"):
			f.raw("NO ACTION")
		case p.acceptKw("set", "null"):
			f.raw("SET NULL")
		case p.acceptKw("set", "default"):
			f.raw("SET DEFAULT")
		default:
			p.errHere()
		}
		if p.isPunct("(") {
			p.unsupported(p.tok(), "a column list in a referential action")
		}
	}
	if p.isKw("deferrable") || p.isKw("initially") || p.isKws("not", "deferrable") {
		p.unsupported(p.tok(), "deferrable constraints")
	}
}

// tableConstraint parses [CONSTRAINT name] PRIMARY KEY (…) | UNIQUE (…) |
// CHECK (…) | FOREIGN KEY (…) REFERENCES ….
func (p *rw) tableConstraint(f *frag) {
	t := p.tok()
	sep := ""
	if p.acceptKw("constraint") {
		n := p.colID()
		f.tok("CONSTRAINT ", t.Offset)
		f.ident(n.Value, n.Offset)
		sep = " "
		t = p.tok()
	}
	switch {
	case p.acceptKw("primary", "key"):
		f.tok(sep+"PRIMARY KEY ", t.Offset)
		p.nameList(f)
	case p.acceptKw("unique"):
		if p.isKw("nulls") {
			p.unsupported(p.tok(), "UNIQUE NULLS")
		}
		f.tok(sep+"UNIQUE ", t.Offset)
		p.nameList(f)
	case p.acceptKw("check"):
		p.checkBody(f, t, sep)
	case p.acceptKw("foreign", "key"):
		f.tok(sep+"FOREIGN KEY ", t.Offset)
		p.nameList(f)
		r := p.expectKw("references")
		p.references(f, r)
	default:
		p.unsupported(t, upper(t.Value)+" constraints")
	}
	if p.isKw("include") || p.isKws("using", "index") || p.isKw("with") {
		p.unsupported(p.tok(), "index parameters in a constraint")
	}
}

// alterStmt parses ALTER TABLE [IF EXISTS] [ONLY] t ADD [COLUMN] … |
// DROP [COLUMN] …, ….
func (p *rw) alterStmt() *frag {
	t := p.next()
	if !p.isKw("table") {
		what := "ALTER"
		if n := p.tok(); n.Kind == Ident {
			what += " " + upper(n.Value)
		}
		p.unsupported(t, what)
	}
	p.next()
	if p.acceptKw("if", "exists") {
		p.side.IfExists = true
	}
	p.acceptKw("only")
	f := &frag{}
	f.tok("ALTER TABLE ", t.Offset)
	p.qualifiedName(f)
	if p.isOp("*") {
		p.next()
	}
	for first := true; ; first = false {
		if !first {
			f.raw(",")
		}
		a := p.tok()
		switch {
		case p.acceptKw("add"):
			if !p.acceptKw("column") && p.isTableConstraint() {
				p.unsupported(a, "ALTER TABLE … ADD constraint")
			}
			f.tok(" ADD COLUMN ", a.Offset)
			if p.acceptKw("if", "not", "exists") {
				f.raw("IF NOT EXISTS ")
			}
			p.columnDef(f)
		case p.acceptKw("drop"):
			if !p.acceptKw("column") && p.isKw("constraint") {
				p.unsupported(a, "ALTER TABLE … DROP CONSTRAINT")
			}
			f.tok(" DROP COLUMN ", a.Offset)
			if p.acceptKw("if", "exists") {
				f.raw("IF EXISTS ")
			}
			c := p.colID()
			f.ident(c.Value, c.Offset)
			if !p.acceptKw("cascade") {
				p.acceptKw("restrict")
			}
		case p.acceptKw("alter"):
			p.acceptKw("column")
			c := p.colID()
			ac := AlterColumn{Column: c.Value, Pos: charPos(p.text, c.Offset)}
			switch {
			case p.acceptKw("drop", "default"):
				ac.Action = AlterDropDefault
			case p.acceptKw("set", "default"):
				p.expr() // checked by nobody: the binder refuses defaults
				ac.Action = AlterSetDefault
			case p.acceptKw("drop", "not"):
				p.expectKw("null")
				ac.Action = AlterDropNotNull
			case p.acceptKw("set", "not"):
				p.expectKw("null")
				ac.Action = AlterSetNotNull
			case p.acceptKw("set", "data", "type"), p.acceptKw("type"):
				ac.Action, ac.Type = AlterType, p.parseType()
				if p.isKw("collate") || p.isKw("using") {
					p.unsupported(p.tok(), "ALTER COLUMN … TYPE with "+upper(p.tok().Value))
				}
			default:
				p.unsupported(p.tok(), "this ALTER COLUMN action")
			}
			p.side.AlterColumns = append(p.side.AlterColumns, ac)
			f.tok(" ALTER COLUMN ", a.Offset)
			f.ident(c.Value, c.Offset)
			f.raw(" DROP DEFAULT")
		default:
			what := "ALTER TABLE"
			if a.Kind == Ident {
				what += " … " + upper(a.Value)
			}
			p.unsupported(a, what)
		}
		if !p.acceptPunct(",") {
			return f
		}
	}
}

// dropStmt parses DROP TABLE [IF EXISTS] a, b [CASCADE | RESTRICT].
func (p *rw) dropStmt() *frag {
	t := p.next()
	if !p.isKw("table") {
		what := "DROP"
		if n := p.tok(); n.Kind == Ident {
			what += " " + upper(n.Value)
		}
		p.unsupported(t, what)
	}
	p.next()
	f := &frag{}
	f.tok("DROP TABLE ", t.Offset)
	if p.acceptKw("if", "exists") {
		f.raw("IF EXISTS ")
	}
	for first := true; ; first = false {
		if !first {
			f.raw(", ")
		}
		p.qualifiedName(f)
		if !p.acceptPunct(",") {
			break
		}
	}
	switch {
	case p.acceptKw("cascade"):
		f.raw(" CASCADE")
	case p.acceptKw("restrict"):
		f.raw(" RESTRICT")
	}
	return f
}

// otherStatements are PostgreSQL statements the bridge knows but does
// not support yet: 0A000 rather than a syntax error.
var otherStatements = setOf("truncate", "grant", "revoke", "lock", "merge", "call", "do",
	"reindex", "cluster", "refresh", "import", "security", "load", "reassign", "rename",
	"refresh", "import", "cluster")

// statement parses one statement for the TiDB parser.
func (p *rw) statement() *frag {
	t := p.tok()
	var f *frag
	switch {
	case t.Keyword("select") || t.Keyword("with") || t.Keyword("values") || t.Keyword("table") || t.IsPunct("("):
		f = p.query()
	case t.Keyword("insert"):
		f = p.insertStmt()
	case t.Keyword("update"):
		f = p.updateStmt()
	case t.Keyword("delete"):
		f = p.deleteStmt()
	case t.Keyword("create"):
		f = p.createStmt()
	case t.Keyword("alter"):
		f = p.alterStmt()
	case t.Keyword("drop"):
		f = p.dropStmt()
	case t.Kind == Ident && !t.Quoted && otherStatements[t.Value]:
		p.unsupported(t, upper(t.Value))
	default:
		p.errHere()
	}
	for p.acceptPunct(";") {
	}
	if p.tok().Kind != EOF {
		p.errHere()
	}
	return f
}

// storageParams reads WITH ( name [= value] [, …] ) after CREATE TABLE's
// column list into the side table; the binder says which names it knows.
// A value is a string, a number, or a word (true, off, …); a name alone
// means true, as in PostgreSQL.
func (p *rw) storageParams() {
	p.expectPunct("(")
	for {
		n := p.label()
		sp := StorageParam{Name: n.Value, Value: "true", Pos: charPos(p.text, n.Offset)}
		if p.isOp("=") {
			p.next()
			v := p.tok()
			switch {
			case v.Kind == String || v.Kind == Integer || v.Kind == Numeric || isLabel(v):
				sp.Value = v.Value
				p.next()
			case v.IsOp("-") && (p.toks[p.i+1].Kind == Integer || p.toks[p.i+1].Kind == Numeric):
				p.next()
				sp.Value = "-" + p.next().Value
			default:
				p.errHere()
			}
		}
		p.side.StorageParams = append(p.side.StorageParams, sp)
		if !p.acceptPunct(",") {
			break
		}
	}
	p.expectPunct(")")
}
