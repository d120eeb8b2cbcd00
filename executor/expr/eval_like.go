package expr

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// LIKE patterns are compiled once per distinct pattern (normally once per
// batch: the pattern is a constant) into a list of segments. Patterns of
// the shapes 'abc', 'abc%', '%abc' and '%abc%' become a byte comparison;
// the rest run a matcher that backtracks only to the last '%'. '_'
// matches one character, not one byte. ILIKE lower-cases both sides.

// Type implements Expr.
func (l *Like) Type() pgtype.Type { return pgtype.Bool }

// Eval implements Expr.
func (l *Like) Eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	return evalTop(ctx, env, l, batch)
}

func (l *Like) eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	arg, err := evalNode(ctx, env, l.Arg, batch)
	if err != nil {
		return nil, err
	}
	defer arg.Release()
	pat, err := evalNode(ctx, env, l.Pattern, batch)
	if err != nil {
		return nil, err
	}
	defer pat.Release()
	n := max(arg.Len(), pat.Len())
	if arg.Len() == 1 && pat.Len() == 1 {
		n = 1
	} else if n == 1 {
		n = int(batch.NumRows())
	}
	valid, nulls := andValidity(env.Mem, []arrow.Array{arg, pat}, n)
	res := make([]bool, n)
	if nulls < n {
		as, ok1 := arg.(*array.String)
		ps, ok2 := pat.(*array.String)
		if !ok1 || !ok2 {
			releaseBuf(valid)
			return nil, sqlstate.New(sqlstate.InternalError, "LIKE over %s and %s", arg.DataType(), pat.DataType())
		}
		var m *likeMatcher
		lastPat := ""
		for i := range res {
			if valid != nil && !validAt(valid, i) {
				continue
			}
			pi, ai := i, i
			if pat.Len() == 1 {
				pi = 0
			}
			if arg.Len() == 1 {
				ai = 0
			}
			p := ps.Value(pi)
			if m == nil || p != lastPat {
				m, err = compileLike(p, l.Escape, l.ILike)
				if err != nil {
					releaseBuf(valid)
					return nil, err
				}
				lastPat = p
			}
			s := as.Value(ai)
			if l.ILike {
				s = strings.ToLower(s)
			}
			res[i] = m.match(s) != l.Not
		}
	}
	data := allocBitmap(env.Mem, n)
	packBools(res, data.Bytes())
	return boolArray(n, valid, nulls, data), nil
}

// String implements Expr.
func (l *Like) String() string {
	op := " LIKE "
	if l.ILike {
		op = " ILIKE "
	}
	if l.Not {
		op = " NOT" + op
	}
	return "(" + l.Arg.String() + op + l.Pattern.String() + ")"
}

// likeMatcher is a compiled LIKE pattern.
type likeMatcher struct {
	kind byte // '=' exact, 'p' prefix, 's' suffix, 'c' contains, 'g' general
	lit  string
	segs []likeSeg
}

// likeSeg is a literal or '_' (any) run, preceded by '%' when star.
type likeSeg struct {
	star bool
	// toks: runes to match; anyRune marks '_'.
	toks []rune
}

const anyRune = -1

// compileLike parses a LIKE pattern with escape character esc (0: none).
func compileLike(p string, esc rune, fold bool) (*likeMatcher, error) {
	if fold {
		p = strings.ToLower(p)
	}
	var segs []likeSeg
	cur := likeSeg{}
	hasAny := false
	for i := 0; i < len(p); {
		r, w := utf8.DecodeRuneInString(p[i:])
		i += w
		switch {
		case esc != 0 && r == esc:
			if i >= len(p) {
				return nil, sqlstate.New(sqlstate.InvalidEscapeSequence, "LIKE pattern must not end with escape character")
			}
			r, w = utf8.DecodeRuneInString(p[i:])
			i += w
			cur.toks = append(cur.toks, r)
		case r == '%':
			if len(cur.toks) > 0 || len(segs) == 0 && !cur.star {
				segs = append(segs, cur)
			}
			cur = likeSeg{star: true}
		case r == '_':
			cur.toks = append(cur.toks, anyRune)
			hasAny = true
		default:
			cur.toks = append(cur.toks, r)
		}
	}
	segs = append(segs, cur)
	// Drop an empty leading segment created by a leading '%'.
	if len(segs) > 1 && !segs[0].star && len(segs[0].toks) == 0 {
		segs = segs[1:]
	}
	m := &likeMatcher{kind: 'g', segs: segs}
	if !hasAny {
		switch {
		case len(segs) == 1 && !segs[0].star:
			m.kind, m.lit = '=', string(segs[0].toks)
		case len(segs) == 2 && !segs[0].star && segs[1].star && len(segs[1].toks) == 0:
			m.kind, m.lit = 'p', string(segs[0].toks)
		case len(segs) == 1 && segs[0].star:
			m.kind, m.lit = 's', string(segs[0].toks)
		case len(segs) == 2 && segs[0].star && segs[1].star && len(segs[1].toks) == 0:
			m.kind, m.lit = 'c', string(segs[0].toks)
		}
	}
	return m, nil
}

func (m *likeMatcher) match(s string) bool {
	switch m.kind {
	case '=':
		return s == m.lit
	case 'p':
		return strings.HasPrefix(s, m.lit)
	case 's':
		return strings.HasSuffix(s, m.lit)
	case 'c':
		return strings.Contains(s, m.lit)
	}
	return matchSegs(m.segs, s)
}

// matchSegs matches segments left to right; a starred segment takes the
// leftmost position that lets the rest match, and since later segments
// can only move right, backtracking is needed only into the last star.
func matchSegs(segs []likeSeg, s string) bool {
	if len(segs) == 0 {
		return s == ""
	}
	first := segs[0]
	if !first.star {
		rest, ok := matchToks(first.toks, s)
		if !ok {
			return false
		}
		return matchStarred(segs[1:], rest)
	}
	return matchStarred(segs, s)
}

// matchStarred matches segments that each begin with '%'.
func matchStarred(segs []likeSeg, s string) bool {
	if len(segs) == 0 {
		return s == ""
	}
	seg := segs[0]
	last := len(segs) == 1
	for start := 0; start <= len(s); {
		rest, ok := matchToks(seg.toks, s[start:])
		if ok {
			if last {
				if rest == "" {
					return true
				}
				if len(seg.toks) == 0 {
					return true // a trailing '%' eats the rest
				}
			} else if matchStarred(segs[1:], rest) {
				return true
			} else {
				// Later segments failed from the leftmost match; a later
				// match of this segment cannot help them.
				return false
			}
		}
		if start == len(s) {
			break
		}
		_, w := utf8.DecodeRuneInString(s[start:])
		start += w
	}
	return false
}

// matchToks matches toks at the start of s and returns the rest.
func matchToks(toks []rune, s string) (string, bool) {
	for _, t := range toks {
		if s == "" {
			return "", false
		}
		r, w := utf8.DecodeRuneInString(s)
		if t != anyRune && r != t {
			return "", false
		}
		s = s[w:]
	}
	return s, true
}
