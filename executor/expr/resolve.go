package expr

import (
	"sort"
	"strings"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Resolution follows PostgreSQL's func_select_candidate (parse_func.c)
// and oper_select_candidate (parse_oper.c), so that the same expression
// binds to the same overload, casts its arguments the same way and fails
// with the same error:
//
//  1. candidates are the registry entries of the name and arity (a
//     variadic entry matches any arity from its fixed part on);
//  2. an exact match of every argument type wins; for a binary operator
//     with one unknown argument, the unknown one is first assumed to
//     have the other's type;
//  3. candidates the arguments cannot reach by implicit casts drop out;
//  4. then keep those with the most exact matches, then those accepting
//     preferred types (of each argument's category) at the most
//     positions that need a conversion;
//  5. for unknown arguments, pick the category the remaining candidates
//     agree on (string wins a conflict), preferring preferred types;
//  6. last: if all known arguments share one type, assume the unknown
//     ones have it too.
//
// The registry is built in init functions and read-only afterwards.

var registry = map[string][]*Function{}

// register adds overloads to the registry under their names.
func register(fs ...*Function) {
	for _, f := range fs {
		registry[f.Name] = append(registry[f.Name], f)
	}
}

// alias registers copies of name's overloads under other names.
func alias(name string, others ...string) {
	for _, o := range others {
		for _, f := range registry[name] {
			c := *f
			c.Name = o
			registry[o] = append(registry[o], &c)
		}
	}
}

// Resolve returns the overload of the function or operator name for
// arguments of the given types (pgtype.Unknown for untyped literals and
// parameters). The planner casts each argument to the returned Args[i]
// unless its OID already matches (Cast with the implicit semantics; an
// unknown constant is parsed as that type), and builds a Call.
//
// Errors: 42883 "operator does not exist: integer - vector" or "function
// foo(integer) does not exist"; 42725 "operator is not unique: unknown +
// unknown" or "function vector_dims(unknown) is not unique".
func Resolve(name string, args []pgtype.Type) (*Function, error) {
	name = strings.ToLower(name)
	if sp, ok := special[name]; ok {
		return sp(name, args)
	}
	return resolveCatalog(name, args)
}

// resolveCatalog resolves name among its registry entries.
func resolveCatalog(name string, args []pgtype.Type) (*Function, error) {
	return resolveAmong(name, registry[name], args)
}

// resolveAmong picks the overload of name among entries for args.
func resolveAmong(name string, entries []*Function, args []pgtype.Type) (*Function, error) {
	var cands []*Function
	for _, f := range entries {
		if c := expand(f, len(args)); c != nil {
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 {
		return nil, undefined(name, args)
	}
	// 2. Exact match.
	for _, c := range cands {
		if sameOIDs(c.Args, args) {
			return c, nil
		}
	}
	if isOperatorName(name) && len(args) == 2 {
		known := -1
		switch {
		case args[0].OID == pgtype.OIDUnknown && args[1].OID != pgtype.OIDUnknown:
			known = 1
		case args[1].OID == pgtype.OIDUnknown && args[0].OID != pgtype.OIDUnknown:
			known = 0
		}
		if known >= 0 {
			both := []pgtype.Type{args[known], args[known]}
			for _, c := range cands {
				if sameOIDs(c.Args, both) {
					return c, nil
				}
			}
		}
	}
	// 3. Reachable by implicit casts.
	reach := cands[:0:0]
	for _, c := range cands {
		ok := true
		for i, a := range args {
			if !ImplicitCast(a, c.Args[i]) {
				ok = false
				break
			}
		}
		if ok {
			reach = append(reach, c)
		}
	}
	if len(reach) == 0 {
		return nil, undefined(name, args)
	}
	if len(reach) == 1 {
		return reach[0], nil
	}
	cands = reach
	// 4a. Most exact matches.
	cands = keepBest(cands, func(c *Function) int {
		m := 0
		for i, a := range args {
			if a.OID != pgtype.OIDUnknown && a.OID == c.Args[i].OID {
				m++
			}
		}
		return m
	})
	if len(cands) == 1 {
		return cands[0], nil
	}
	// 4b. Exact or preferred types at the most positions.
	cands = keepBest(cands, func(c *Function) int {
		m := 0
		for i, a := range args {
			if a.OID == pgtype.OIDUnknown {
				continue
			}
			if a.OID == c.Args[i].OID || isPreferred(c.Args[i].OID) && typeCategory(c.Args[i].OID) == typeCategory(a.OID) {
				m++
			}
		}
		return m
	})
	if len(cands) == 1 {
		return cands[0], nil
	}
	// 5. Categories for unknown arguments.
	nunknown := 0
	resolved := true
	slotCat := make([]byte, len(args))
	slotPref := make([]bool, len(args))
	for i, a := range args {
		if a.OID != pgtype.OIDUnknown {
			continue
		}
		nunknown++
		conflict := false
		slotCat[i] = 0
		for _, c := range cands {
			cat, pref := typeCategory(c.Args[i].OID), isPreferred(c.Args[i].OID)
			switch {
			case slotCat[i] == 0:
				slotCat[i], slotPref[i] = cat, pref
			case cat == slotCat[i]:
				slotPref[i] = slotPref[i] || pref
			case cat == 'S':
				slotCat[i], slotPref[i] = cat, pref
			default:
				conflict = true
			}
		}
		if conflict && slotCat[i] != 'S' {
			resolved = false
			break
		}
	}
	if resolved && nunknown > 0 {
		kept := cands[:0:0]
		for _, c := range cands {
			keep := true
			for i, a := range args {
				if a.OID != pgtype.OIDUnknown {
					continue
				}
				cat, pref := typeCategory(c.Args[i].OID), isPreferred(c.Args[i].OID)
				if cat != slotCat[i] || slotPref[i] && !pref {
					keep = false
					break
				}
			}
			if keep {
				kept = append(kept, c)
			}
		}
		if len(kept) == 1 {
			return kept[0], nil
		}
		if len(kept) > 0 {
			cands = kept
		}
	}
	// 6. Unknowns take the one known type.
	if nunknown > 0 && nunknown < len(args) {
		var known pgtype.Type
		same := true
		for _, a := range args {
			if a.OID == pgtype.OIDUnknown {
				continue
			}
			if known.OID == 0 {
				known = a
			} else if known.OID != a.OID {
				same = false
			}
		}
		if same {
			var match *Function
			count := 0
			for _, c := range cands {
				ok := true
				for i, a := range args {
					if a.OID == pgtype.OIDUnknown && !ImplicitCast(known, c.Args[i]) {
						ok = false
					}
				}
				if ok {
					match = c
					count++
				}
			}
			if count == 1 {
				return match, nil
			}
		}
	}
	return nil, ambiguous(name, args)
}

// expand returns f fitted to n arguments (a copy with the variadic type
// repeated), or nil when f cannot take n arguments.
func expand(f *Function, n int) *Function {
	if !f.Variadic {
		if len(f.Args) != n {
			return nil
		}
		return f
	}
	fixedN := len(f.Args) - 1
	if n < fixedN || n == fixedN && fixedN == 0 {
		return nil
	}
	c := *f
	c.Args = make([]pgtype.Type, n)
	copy(c.Args, f.Args[:fixedN])
	for i := fixedN; i < n; i++ {
		c.Args[i] = f.Args[fixedN]
	}
	c.Variadic = false
	return &c
}

// keepBest keeps the candidates with the highest score, or all when
// every score is zero.
func keepBest(cands []*Function, score func(*Function) int) []*Function {
	best := 0
	for _, c := range cands {
		best = max(best, score(c))
	}
	if best == 0 {
		return cands
	}
	out := cands[:0:0]
	for _, c := range cands {
		if score(c) == best {
			out = append(out, c)
		}
	}
	return out
}

func sameOIDs(a, b []pgtype.Type) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].OID != b[i].OID {
			return false
		}
	}
	return true
}

// bare drops the modifiers of types, as PostgreSQL's messages do.
func bare(ts []pgtype.Type) []pgtype.Type {
	out := make([]pgtype.Type, len(ts))
	for i, t := range ts {
		out[i] = pgtype.Type{OID: t.OID, Mod: -1}
	}
	return out
}

func undefined(name string, args []pgtype.Type) error {
	sig := signature(name, bare(args))
	if isOperatorName(name) {
		return sqlstate.New(sqlstate.UndefinedFunction, "operator does not exist: %s", strings.TrimPrefix(sig, "operator ")).
			WithHint("No operator matches the given name and argument types. You might need to add explicit type casts.")
	}
	return sqlstate.New(sqlstate.UndefinedFunction, "%s does not exist", sig).
		WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
}

func ambiguous(name string, args []pgtype.Type) error {
	sig := signature(name, bare(args))
	if isOperatorName(name) {
		return sqlstate.New(sqlstate.AmbiguousFunction, "operator is not unique: %s", strings.TrimPrefix(sig, "operator ")).
			WithHint("Could not choose a best candidate operator. You might need to add explicit type casts.")
	}
	return sqlstate.New(sqlstate.AmbiguousFunction, "%s is not unique", sig).
		WithHint("Could not choose a best candidate function. You might need to add explicit type casts.")
}

// Functions lists the registered names, sorted (for pg_proc and tests).
func Functions() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// special holds the functions whose resolution is not a catalogue lookup:
// GREATEST and LEAST take the common type of their arguments, concat and
// concat_ws take any types (each converted to text).
var special = map[string]func(name string, args []pgtype.Type) (*Function, error){}

// CommonType returns the type that values of types ts are converted to
// when they meet in one result: CASE branches, COALESCE, GREATEST and
// LEAST arguments, IN lists, VALUES and UNION columns (PostgreSQL's
// select_common_type). All-unknown inputs give text. context names the
// construct for the 42804 message ("CASE", "UNION", "COALESCE", …).
func CommonType(context string, ts []pgtype.Type) (pgtype.Type, error) {
	var p pgtype.Type
	for _, t := range ts {
		if t.OID != pgtype.OIDUnknown {
			p = t
			break
		}
	}
	if p.OID == 0 {
		return pgtype.Text, nil
	}
	pcat, ppref := typeCategory(p.OID), isPreferred(p.OID)
	for _, t := range ts {
		if t.OID == pgtype.OIDUnknown || t.OID == p.OID {
			if t.OID == p.OID && t.Mod != p.Mod {
				p.Mod = -1
			}
			continue
		}
		ncat := typeCategory(t.OID)
		if ncat != pcat {
			return pgtype.Type{}, sqlstate.New(sqlstate.DatatypeMismatch, "%s types %s and %s cannot be matched", context, p, t)
		}
		if !ppref && ImplicitCast(p, t) && !ImplicitCast(t, p) {
			p, pcat, ppref = t, ncat, isPreferred(t.OID)
		}
	}
	for _, t := range ts {
		if !ImplicitCast(t, p) {
			return pgtype.Type{}, sqlstate.New(sqlstate.CannotCoerce, "%s could not convert type %s to %s", context, t, p)
		}
	}
	return p, nil
}
