package dialect

import "strconv"

// declareStmt parses DECLARE name … CURSOR … FOR query.
func (p *rw) declareStmt() SessionStmt {
	s := &DeclareStmt{Name: p.colID().Value}
	for {
		switch {
		case p.acceptKw("binary"):
			s.Binary = true
		case p.acceptKw("insensitive"):
			s.Insensitive = true
		case p.acceptKw("asensitive"):
		case p.acceptKw("scroll"):
			yes := true
			s.Scroll = &yes
		case p.acceptKw("no", "scroll"):
			no := false
			s.Scroll = &no
		default:
			p.expectKw("cursor")
			switch {
			case p.acceptKw("with", "hold"):
				s.Hold = true
			case p.acceptKw("without", "hold"):
			}
			p.expectKw("for")
			s.Query = p.restAsQuery()
			return s
		}
	}
}

// signedInt takes an optionally signed integer literal; false (and
// nothing taken) when there is none.
func (p *rw) signedInt() (int64, bool) {
	neg := false
	if p.isOp("-") || p.isOp("+") {
		neg = p.tok().Value == "-"
		if p.peek(1).Kind != Integer {
			return 0, false
		}
		p.next()
	}
	t := p.tok()
	if t.Kind != Integer {
		return 0, false
	}
	p.next()
	n, err := strconv.ParseInt(t.Value, 10, 64)
	if err != nil {
		p.fail(errAt(p.text, t.Offset, "22003", "value \"%s\" is out of range for type bigint", t.Value))
	}
	if neg {
		n = -n
	}
	return n, true
}

// fetchStmt parses FETCH and MOVE.
func (p *rw) fetchStmt(move bool) SessionStmt {
	s := &FetchStmt{Move: move, Count: 1}
	count := p.signedInt
	switch {
	case p.acceptKw("next"):
	case p.acceptKw("prior"):
		s.Direction = FetchBackward
	case p.acceptKw("first"):
		s.Direction = FetchAbsolute
	case p.acceptKw("last"):
		s.Direction, s.Count = FetchAbsolute, -1
	case p.acceptKw("absolute"), p.acceptKw("relative"):
		if p.toks[p.i-1].Value == "absolute" {
			s.Direction = FetchAbsolute
		} else {
			s.Direction = FetchRelative
		}
		n, ok := count()
		if !ok {
			p.errHere()
		}
		s.Count = n
	case p.acceptKw("all"):
		s.All = true
	case p.acceptKw("forward"), p.acceptKw("backward"):
		if p.toks[p.i-1].Value == "backward" {
			s.Direction = FetchBackward
		}
		if p.acceptKw("all") {
			s.All = true
		} else if n, ok := count(); ok {
			s.Count = n
		}
	default:
		if n, ok := count(); ok {
			s.Count = n
		}
	}
	if !p.acceptKw("from") {
		p.acceptKw("in")
	}
	s.Cursor = p.colID().Value
	return s
}
