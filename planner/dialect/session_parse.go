package dialect

import (
	"strings"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// parseSession parses a session statement with the rewriter's token
// helpers; errors are bailouts recovered by parseTokens.
func parseSession(text string, toks []Token) (SessionStmt, error) {
	p := newRW(text, toks, &SideTable{})
	s := p.sessionStmt()
	for p.acceptPunct(";") {
	}
	if p.tok().Kind != EOF {
		p.errHere()
	}
	return s, nil
}

func (p *rw) sessionStmt() SessionStmt {
	if isRoleStatement(p.toks[p.i:]) {
		return p.roleStmt()
	}
	t := p.next()
	switch t.Value {
	case "set":
		return p.setStmt()
	case "reset":
		name, all := p.paramName(true)
		return &ResetStmt{Name: name, All: all}
	case "show":
		name, all := p.paramName(false)
		return &ShowStmt{Name: name, All: all}
	case "begin":
		if !p.acceptKw("work") {
			p.acceptKw("transaction")
		}
		return &BeginStmt{Modes: p.txModes()}
	case "start":
		p.expectKw("transaction")
		return &BeginStmt{Modes: p.txModes(), Start: true}
	case "commit", "end":
		if p.isKw("prepared") {
			p.unsupported(t, "COMMIT PREPARED")
		}
		p.workOrTransaction()
		return &CommitStmt{Chain: p.chain()}
	case "rollback", "abort":
		if p.isKw("prepared") {
			p.unsupported(t, "ROLLBACK PREPARED")
		}
		p.workOrTransaction()
		if t.Value == "rollback" && p.acceptKw("to") {
			p.acceptKw("savepoint")
			return &RollbackToStmt{Name: p.colID().Value}
		}
		return &RollbackStmt{Chain: p.chain()}
	case "savepoint":
		return &SavepointStmt{Name: p.colID().Value}
	case "release":
		p.acceptKw("savepoint")
		return &ReleaseStmt{Name: p.colID().Value}
	case "prepare":
		return p.prepareStmt(t)
	case "execute":
		return p.executeStmt()
	case "deallocate":
		p.acceptKw("prepare")
		if p.acceptKw("all") {
			return &DeallocateStmt{All: true}
		}
		return &DeallocateStmt{Name: p.colID().Value}
	case "discard":
		w := p.next()
		switch {
		case w.Keyword("all"), w.Keyword("plans"), w.Keyword("sequences"), w.Keyword("temp"):
			return &DiscardStmt{What: w.Value}
		case w.Keyword("temporary"):
			return &DiscardStmt{What: "temp"}
		}
		p.errAtTok(w)
	case "create":
		if p.isKw("extension") {
			return p.createExtension()
		}
		if p.isKw("sequence") {
			return p.createSequence()
		}
		return p.createIndex()
	case "drop":
		if p.isKw("sequence") {
			return p.dropSequence()
		}
		return p.dropIndex()
	case "comment":
		return p.commentStmt()
	case "explain":
		return p.explainStmt()
	case "listen":
		return &ListenStmt{Channel: p.colID().Value}
	case "notify":
		n := &NotifyStmt{Channel: p.colID().Value}
		if p.acceptPunct(",") {
			s := p.tok()
			if s.Kind != String {
				p.errHere()
			}
			p.next()
			n.Payload = s.Value
		}
		return n
	case "unlisten":
		if p.isOp("*") {
			p.next()
			return &UnlistenStmt{All: true}
		}
		return &UnlistenStmt{Channel: p.colID().Value}
	case "copy":
		return p.copyStmt()
	case "analyze", "analyse", "vacuum":
		return p.maintenance(t)
	case "checkpoint":
		return &MaintenanceStmt{Command: "checkpoint"}
	case "declare":
		return p.declareStmt()
	case "fetch", "move":
		return p.fetchStmt(t.Value == "move")
	case "close":
		if p.acceptKw("all") {
			return &CloseStmt{All: true}
		}
		return &CloseStmt{Name: p.colID().Value}
	}
	p.errAtTok(t)
	return nil
}

func (p *rw) workOrTransaction() {
	if !p.acceptKw("work") {
		p.acceptKw("transaction")
	}
}

// chain parses [AND [NO] CHAIN].
func (p *rw) chain() bool {
	if !p.acceptKw("and") {
		return false
	}
	no := p.acceptKw("no")
	p.expectKw("chain")
	return !no
}

// txModes parses transaction modes, separated by commas or spaces.
func (p *rw) txModes() TxModes {
	var m TxModes
	yes, no := true, false
	for first := true; ; first = false {
		if !first {
			p.acceptPunct(",")
		}
		switch {
		case p.acceptKw("isolation", "level"):
			switch {
			case p.acceptKw("serializable"):
				m.Isolation = "serializable"
			case p.acceptKw("repeatable", "read"):
				m.Isolation = "repeatable read"
			case p.acceptKw("read", "committed"):
				m.Isolation = "read committed"
			case p.acceptKw("read", "uncommitted"):
				m.Isolation = "read uncommitted"
			default:
				p.errHere()
			}
		case p.acceptKw("read", "only"):
			m.ReadOnly = &yes
		case p.acceptKw("read", "write"):
			m.ReadOnly = &no
		case p.acceptKw("deferrable"):
			m.Deferrable = &yes
		case p.acceptKw("not", "deferrable"):
			m.Deferrable = &no
		default:
			if !first && p.toks[p.i-1].IsPunct(",") {
				p.errHere()
			}
			return m
		}
	}
}

// paramName parses the name of RESET and SHOW (with their special forms).
func (p *rw) paramName(reset bool) (string, bool) {
	switch {
	case p.acceptKw("all"):
		return "", true
	case p.acceptKw("time", "zone"):
		return "timezone", false
	case p.acceptKw("transaction", "isolation", "level"):
		return "transaction_isolation", false
	case p.acceptKw("session", "authorization"):
		return "session_authorization", false
	}
	return p.dottedName(), false
}

// dottedName parses a configuration parameter name: ColId[.ColId…].
func (p *rw) dottedName() string {
	t := p.tok()
	if t.Kind != Ident {
		p.errHere()
	}
	p.next()
	name := t.Value
	for p.acceptPunct(".") {
		name += "." + p.label().Value
	}
	return name
}

// setStmt parses the rest of SET.
func (p *rw) setStmt() SessionStmt {
	if p.isKws("session", "characteristics") {
		p.i += 2
		p.expectKw("as")
		p.expectKw("transaction")
		return &SetTransactionStmt{Session: true, Modes: p.txModes()}
	}
	if p.isKws("session", "authorization") {
		p.i += 2
		return p.setValues("session_authorization", false)
	}
	local := false
	switch {
	case p.acceptKw("local"):
		local = true
	case p.acceptKw("session"):
	}
	switch {
	case p.acceptKw("transaction"):
		if p.acceptKw("snapshot") {
			s := p.tok()
			if s.Kind != String {
				p.errHere()
			}
			p.next()
			return &SetTransactionStmt{Snapshot: s.Value}
		}
		return &SetTransactionStmt{Modes: p.txModes()}
	case p.acceptKw("time", "zone"):
		return p.setTimeZone(local)
	case p.acceptKw("schema"):
		s := p.tok()
		if s.Kind != String {
			p.errHere()
		}
		p.next()
		return &SetStmt{Local: local, Name: "search_path", Values: []Value{p.value(s, ValueString)}}
	case p.acceptKw("names"):
		if p.tok().Kind == EOF || p.isPunct(";") || p.acceptKw("default") {
			return &SetStmt{Local: local, Name: "client_encoding", Default: true}
		}
		return p.setValues("client_encoding", local)
	case p.acceptKw("role"):
		return p.setValues("role", local)
	case p.acceptKw("session", "authorization"):
		return p.setValues("session_authorization", local)
	case p.isKws("xml", "option"):
		p.unsupported(p.tok(), "SET XML OPTION")
	}
	name := p.dottedName()
	if !p.acceptKw("to") {
		if !p.isOp("=") {
			p.errHere()
		}
		p.next()
	}
	return p.setValues(name, local)
}

// setValues parses value[, …] | DEFAULT.
func (p *rw) setValues(name string, local bool) *SetStmt {
	s := &SetStmt{Local: local, Name: name}
	if p.acceptKw("default") {
		s.Default = true
		return s
	}
	for {
		s.Values = append(s.Values, p.setValue())
		if !p.acceptPunct(",") {
			return s
		}
	}
}

func (p *rw) value(t Token, kind ValueKind) Value {
	return Value{Kind: kind, Text: t.Value, Quoted: t.Quoted, Pos: charPos(p.text, t.Offset), Typmod: -1}
}

// setValue parses one value: a string, a signed number or a word.
func (p *rw) setValue() Value {
	t := p.tok()
	switch {
	case t.Kind == String:
		p.next()
		return p.value(t, ValueString)
	case t.Kind == Integer || t.Kind == Numeric:
		p.next()
		return p.value(t, ValueNumber)
	case t.IsOp("-") || t.IsOp("+"):
		n := p.peek(1)
		if n.Kind != Integer && n.Kind != Numeric {
			p.errAtTok(n)
		}
		p.i += 2
		v := p.value(n, ValueNumber)
		v.Pos = charPos(p.text, t.Offset)
		if t.Value == "-" {
			v.Text = "-" + v.Text
		}
		return v
	case t.Kind == Ident:
		p.next()
		return p.value(t, ValueIdent)
	}
	p.errHere()
	return Value{}
}

// setTimeZone parses the value of SET TIME ZONE.
func (p *rw) setTimeZone(local bool) *SetStmt {
	s := &SetStmt{Local: local, Name: "timezone"}
	switch {
	case p.acceptKw("local"), p.acceptKw("default"):
		s.Default = true
	case p.isKw("interval"):
		t := p.next()
		mods := p.typeMods()
		str := p.tok()
		if str.Kind != String {
			p.errHere()
		}
		p.next()
		typmod := -1
		if mods != nil {
			typmod = ivFull<<16 | mods[0]&ivPrec
		} else if rng, ok := p.intervalFields(); ok {
			if rng != ivHour|ivMinute {
				p.fail(errAt(p.text, t.Offset, "22023", "time zone interval must be HOUR or HOUR TO MINUTE"))
			}
			typmod = rng<<16 | ivPrec
		}
		v := p.value(str, ValueInterval)
		v.Typmod = typmod
		v.Pos = charPos(p.text, t.Offset)
		s.Values = []Value{v}
	default:
		s.Values = []Value{p.setValue()}
	}
	return s
}

// prepareStmt parses PREPARE name [(types)] AS statement.
func (p *rw) prepareStmt(t Token) SessionStmt {
	if p.isKw("transaction") {
		p.unsupported(t, "PREPARE TRANSACTION")
	}
	s := &PrepareStmt{Name: p.colID().Value}
	if p.acceptPunct("(") {
		for {
			s.Types = append(s.Types, p.parseType())
			if !p.acceptPunct(",") {
				break
			}
		}
		p.expectPunct(")")
	}
	p.expectKw("as")
	s.Query = p.restAsQuery()
	return s
}

// restAsQuery rewrites the rest of the statement (up to trailing
// semicolons) as a statement for the TiDB parser.
func (p *rw) restAsQuery() *Rewrite {
	from := p.i
	end := len(p.toks) - 1
	for end > from && p.toks[end-1].IsPunct(";") {
		end--
	}
	if from == end {
		p.errHere()
	}
	if t := p.toks[from]; t.Kind == Ident && !t.Quoted && (sessionKeywords[t.Value] && t.Value != "explain" ||
		t.Value == "create" && (p.toks[from+1].Keyword("extension") || p.toks[from+1].Keyword("index") || p.toks[from+1].Keyword("unique") || p.toks[from+1].Keyword("sequence")) ||
		t.Value == "drop" && (p.toks[from+1].Keyword("index") || p.toks[from+1].Keyword("sequence"))) {
		p.errAtTok(t)
	}
	r, err := subRewrite(p.text, p.toks, from, end)
	if err != nil {
		panic(bailout{asSQLState(err)})
	}
	p.i = end
	return r
}

// executeStmt parses EXECUTE name [(args)].
func (p *rw) executeStmt() SessionStmt {
	s := &ExecuteStmt{Name: p.colID().Value}
	if !p.isPunct("(") {
		return s
	}
	open := p.next()
	f := &frag{}
	f.tok("SELECT ", open.Offset)
	for first := true; ; first = false {
		if !first {
			f.raw(", ")
		}
		f.add(p.expr())
		if !p.acceptPunct(",") {
			break
		}
	}
	p.expectPunct(")")
	r, err := p.finish(f, &SideTable{})
	if err != nil {
		panic(bailout{asSQLState(err)})
	}
	s.Args = r
	return s
}

// createExtension parses CREATE EXTENSION ….
func (p *rw) createExtension() SessionStmt {
	p.expectKw("extension")
	s := &CreateExtensionStmt{IfNotExists: p.acceptKw("if", "not", "exists")}
	n := p.colID()
	s.Name, s.Pos = n.Value, charPos(p.text, n.Offset)
	p.acceptKw("with")
	for {
		switch {
		case p.acceptKw("schema"):
			s.Schema = p.colID().Value
		case p.acceptKw("version"):
			v := p.tok()
			if v.Kind != String && v.Kind != Ident {
				p.errHere()
			}
			p.next()
			s.Version = v.Value
		case p.acceptKw("cascade"):
			s.Cascade = true
		default:
			return s
		}
	}
}

// createIndex parses CREATE [UNIQUE] INDEX … (CreateIndexStmt).
func (p *rw) createIndex() SessionStmt {
	s := &CreateIndexStmt{Unique: p.acceptKw("unique")}
	p.expectKw("index")
	p.acceptKw("concurrently")
	s.IfNotExists = p.acceptKw("if", "not", "exists")
	if !p.isKw("on") {
		s.Name = p.colID().Value
	} else if s.IfNotExists {
		p.errHere() // IF NOT EXISTS needs a name, as in PostgreSQL
	}
	p.expectKw("on")
	p.acceptKw("only")
	s.TablePos = charPos(p.text, p.tok().Offset)
	s.Table = p.nameParts()
	if p.acceptKw("using") {
		m := p.colID()
		s.Method, s.MethodPos = m.Value, charPos(p.text, m.Offset)
	}
	p.expectPunct("(")
	for {
		t := p.tok()
		if t.IsPunct("(") || !isColumnName(t) {
			// An expression key: parse no further than its start.
			p.unsupported(t, "an index on an expression")
		}
		c := IndexColumn{Name: p.colID().Value, Pos: charPos(p.text, t.Offset)}
		if p.acceptKw("collate") {
			p.nameParts()
		}
		if isColumnName(p.tok()) && !p.isKw("asc") && !p.isKw("desc") && !p.isKw("nulls") {
			c.OpClass = p.nameParts()[0]
		}
		p.acceptKw("asc")
		p.acceptKw("desc")
		if p.acceptKw("nulls") {
			if !p.acceptKw("first") {
				p.expectKw("last")
			}
		}
		s.Columns = append(s.Columns, c)
		if !p.acceptPunct(",") {
			break
		}
	}
	p.expectPunct(")")
	if t := p.tok(); p.acceptKw("include") {
		s.Unsupported, s.UnsupportedPos = "INCLUDE", charPos(p.text, t.Offset)
		p.expectPunct("(")
		for {
			p.colID()
			if !p.acceptPunct(",") {
				break
			}
		}
		p.expectPunct(")")
	}
	if p.acceptKw("with") {
		s.With = p.indexParams()
	}
	if t := p.tok(); p.isKw("where") {
		// A partial index: the predicate is not parsed.
		p.unsupported(t, "a partial index (CREATE INDEX … WHERE)")
	}
	if t := p.tok(); p.acceptKw("tablespace") {
		s.Unsupported, s.UnsupportedPos = "TABLESPACE", charPos(p.text, t.Offset)
		p.colID()
	}
	return s
}

// indexParams parses (name = value, …) of CREATE INDEX … WITH.
func (p *rw) indexParams() []Option {
	p.expectPunct("(")
	var opts []Option
	for {
		o := Option{Name: p.label().Value}
		if p.isOp("=") {
			p.next()
			v := p.setValue()
			o.Value = &v
		}
		opts = append(opts, o)
		if !p.acceptPunct(",") {
			break
		}
	}
	p.expectPunct(")")
	return opts
}

// dropIndex parses DROP INDEX … (DropIndexStmt).
func (p *rw) dropIndex() SessionStmt {
	p.expectKw("index")
	p.acceptKw("concurrently")
	s := &DropIndexStmt{IfExists: p.acceptKw("if", "exists")}
	s.Names, s.Pos = p.dropNames()
	return s
}

// dropNames parses DROP's name [, …] [CASCADE | RESTRICT] and returns
// the names and the first one's character position.
func (p *rw) dropNames() ([][]string, int) {
	pos := charPos(p.text, p.tok().Offset)
	var names [][]string
	for {
		names = append(names, p.nameParts())
		if !p.acceptPunct(",") {
			break
		}
	}
	if !p.acceptKw("cascade") {
		p.acceptKw("restrict")
	}
	return names, pos
}

// commentStmt parses COMMENT ON object name IS 'text' | NULL.
func (p *rw) commentStmt() SessionStmt {
	p.expectKw("on")
	s := &CommentStmt{}
	t := p.tok()
	switch {
	case p.acceptKw("materialized", "view"):
		s.Object = "materialized view"
	case p.acceptKw("constraint"):
		s.Object = "constraint"
		c := p.colID().Value
		p.expectKw("on")
		s.Name = append(p.nameParts(), c)
	default:
		for _, kw := range []string{"table", "column", "view", "index", "schema", "sequence", "extension", "database", "type"} {
			if p.acceptKw(kw) {
				s.Object = kw
				break
			}
		}
		if s.Object == "" {
			p.unsupported(t, "COMMENT ON "+upper(t.Value))
		}
	}
	if s.Name == nil {
		s.Name = p.nameParts()
	}
	p.expectKw("is")
	switch c := p.tok(); {
	case c.Kind == String:
		p.next()
		s.Comment = &c.Value
	case c.Keyword("null"):
		p.next()
	default:
		p.errHere()
	}
	return s
}

// nameParts parses name[.name…] and returns the parts.
func (p *rw) nameParts() []string {
	parts := []string{p.colID().Value}
	for p.acceptPunct(".") {
		parts = append(parts, p.label().Value)
	}
	return parts
}

// explainStmt parses EXPLAIN [(options)] [ANALYZE] [VERBOSE] statement.
func (p *rw) explainStmt() SessionStmt {
	s := &ExplainStmt{}
	if p.isPunct("(") && !p.looksLikeSubquery(p.i) {
		s.Options = p.optionList()
	} else {
		if p.acceptKw("analyze") || p.acceptKw("analyse") {
			s.Options = append(s.Options, Option{Name: "analyze"})
		}
		if p.acceptKw("verbose") {
			s.Options = append(s.Options, Option{Name: "verbose"})
		}
	}
	s.Query = p.restAsQuery()
	return s
}

// optionList parses (name [value], …) for EXPLAIN, COPY and VACUUM.
func (p *rw) optionList() []Option {
	p.expectPunct("(")
	var opts []Option
	for {
		n := p.tok()
		if n.Kind != Ident {
			p.errHere()
		}
		p.next()
		o := Option{Name: n.Value}
		switch v := p.tok(); {
		case v.IsPunct(",") || v.IsPunct(")"):
		case v.IsPunct("("):
			p.next()
			for {
				if p.isOp("*") {
					p.next()
					o.Columns = append(o.Columns, "*")
				} else {
					o.Columns = append(o.Columns, p.colID().Value)
				}
				if !p.acceptPunct(",") {
					break
				}
			}
			p.expectPunct(")")
		case v.IsOp("*"):
			p.next()
			o.Columns = []string{"*"}
		default:
			val := p.setValue()
			o.Value = &val
		}
		opts = append(opts, o)
		if !p.acceptPunct(",") {
			break
		}
	}
	p.expectPunct(")")
	return opts
}

// asSQLState converts an error from a nested parse to a bailout payload.
func asSQLState(err error) *sqlstate.Error {
	if e := sqlstate.As(err); e != nil {
		return e
	}
	return internalError("%s", strings.TrimSpace(err.Error()))
}
