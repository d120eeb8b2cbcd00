package dialect

// CreateSequenceStmt is CREATE SEQUENCE [IF NOT EXISTS] name [AS type]
// [INCREMENT [BY] n] [MINVALUE n | NO MINVALUE] [MAXVALUE n | NO MAXVALUE]
// [START [WITH] n] [CACHE n] [[NO] CYCLE] [OWNED BY table.column | NONE].
// Unset options are nil.
type CreateSequenceStmt struct {
	Name        []string
	IfNotExists bool
	// Type is AS type (nil: bigint).
	Type                       *PGType
	Increment, Min, Max, Start *int64
	Cache                      *int64
	Cycle                      bool
	// OwnedBy is OWNED BY's table and column; nil for none.
	OwnedBy []string
	// Pos is the name's character position.
	Pos int
}

// DropSequenceStmt is DROP SEQUENCE [IF EXISTS] name [, …] [CASCADE |
// RESTRICT].
type DropSequenceStmt struct {
	IfExists bool
	Names    [][]string
	Pos      int
}

func (*CreateSequenceStmt) sessionStmt() {}
func (*DropSequenceStmt) sessionStmt()   {}

// createSequence parses CREATE SEQUENCE … after CREATE.
func (p *rw) createSequence() SessionStmt {
	p.expectKw("sequence")
	s := &CreateSequenceStmt{IfNotExists: p.acceptKw("if", "not", "exists")}
	s.Pos = charPos(p.text, p.tok().Offset)
	s.Name = p.nameParts()
	num := func() *int64 {
		n, ok := p.signedInt()
		if !ok {
			p.errHere()
		}
		return &n
	}
	for p.tok().Kind != EOF && !p.isPunct(";") {
		switch {
		case p.acceptKw("as"):
			t := p.parseType()
			s.Type = &t
		case p.acceptKw("increment"):
			p.acceptKw("by")
			s.Increment = num()
		case p.acceptKw("minvalue"):
			s.Min = num()
		case p.acceptKw("maxvalue"):
			s.Max = num()
		case p.acceptKw("no", "minvalue"), p.acceptKw("no", "maxvalue"):
		case p.acceptKw("no", "cycle"):
			s.Cycle = false
		case p.acceptKw("cycle"):
			s.Cycle = true
		case p.acceptKw("start"):
			p.acceptKw("with")
			s.Start = num()
		case p.acceptKw("cache"):
			s.Cache = num()
		case p.acceptKw("owned", "by"):
			if p.acceptKw("none") {
				s.OwnedBy = nil
				continue
			}
			s.OwnedBy = p.nameParts()
		default:
			p.errHere()
		}
	}
	return s
}

// dropSequence parses DROP SEQUENCE … after DROP.
func (p *rw) dropSequence() SessionStmt {
	p.expectKw("sequence")
	s := &DropSequenceStmt{IfExists: p.acceptKw("if", "exists")}
	s.Names, s.Pos = p.dropNames()
	return s
}
