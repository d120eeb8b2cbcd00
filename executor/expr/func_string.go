package expr

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// String functions (PostgreSQL's Table 9.9 and 9.10). Lengths and
// positions count characters (UTF-8 code points), octet_length bytes.
// position(string, substring) has the catalogue's argument order: the
// parser's POSITION(sub IN string) becomes position(string, sub), as in
// PostgreSQL.

// maxStringBytes bounds the results of repeat and lpad, as PostgreSQL's
// 1 GB varlena limit does.
const maxStringBytes = 1 << 30

func errStringTooLong() error {
	return sqlstate.New(sqlstate.ProgramLimitExceeded, "requested length too large")
}

func init() {
	t := pgtype.Text
	i4 := pgtype.Int4
	text1 := func(name string, f func(string) string) {
		register(&Function{Name: name, Args: []pgtype.Type{t}, Result: t, Kernel: strUnary(f)})
	}
	text1("lower", strings.ToLower)
	text1("upper", strings.ToUpper)
	text1("reverse", reverseRunes)
	text1("initcap", initcap)
	text1("md5", func(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) })
	text1("btrim", func(s string) string { return strings.Trim(s, " ") })
	text1("ltrim", func(s string) string { return strings.TrimLeft(s, " ") })
	text1("rtrim", func(s string) string { return strings.TrimRight(s, " ") })
	tt := []pgtype.Type{t, t}
	register(
		&Function{Name: "length", Args: []pgtype.Type{t}, Result: i4, Kernel: strToInt(func(s string) int32 { return int32(utf8.RuneCountInString(s)) })},
		&Function{Name: "octet_length", Args: []pgtype.Type{t}, Result: i4, Kernel: strToInt(func(s string) int32 { return int32(len(s)) })},
		&Function{Name: "ascii", Args: []pgtype.Type{t}, Result: i4, Kernel: strToInt(func(s string) int32 {
			r, _ := utf8.DecodeRuneInString(s)
			if s == "" {
				return 0
			}
			return r
		})},
		&Function{Name: "chr", Args: []pgtype.Type{i4}, Result: t, Kernel: chrKernel},
		&Function{Name: "||", Args: tt, Result: t, Kernel: strBinary(func(a, b string) (string, error) { return a + b, nil })},
		&Function{Name: "btrim", Args: tt, Result: t, Kernel: strBinary(func(a, b string) (string, error) { return strings.Trim(a, b), nil })},
		&Function{Name: "ltrim", Args: tt, Result: t, Kernel: strBinary(func(a, b string) (string, error) { return strings.TrimLeft(a, b), nil })},
		&Function{Name: "rtrim", Args: tt, Result: t, Kernel: strBinary(func(a, b string) (string, error) { return strings.TrimRight(a, b), nil })},
		&Function{Name: "strpos", Args: tt, Result: i4, Kernel: strposKernel},
		&Function{Name: "position", Args: tt, Result: i4, Kernel: strposKernel},
		&Function{Name: "starts_with", Args: tt, Result: pgtype.Bool, Kernel: strPredicate(strings.HasPrefix)},
		&Function{Name: "replace", Args: []pgtype.Type{t, t, t}, Result: t, Kernel: replaceKernel},
		&Function{Name: "substring", Args: []pgtype.Type{t, i4}, Result: t, Kernel: substringKernel},
		&Function{Name: "substring", Args: []pgtype.Type{t, i4, i4}, Result: t, Kernel: substringKernel},
		&Function{Name: "left", Args: []pgtype.Type{t, i4}, Result: t, Kernel: leftRight(true)},
		&Function{Name: "right", Args: []pgtype.Type{t, i4}, Result: t, Kernel: leftRight(false)},
		&Function{Name: "lpad", Args: []pgtype.Type{t, i4}, Result: t, Kernel: padKernel(true)},
		&Function{Name: "lpad", Args: []pgtype.Type{t, i4, t}, Result: t, Kernel: padKernel(true)},
		&Function{Name: "rpad", Args: []pgtype.Type{t, i4}, Result: t, Kernel: padKernel(false)},
		&Function{Name: "rpad", Args: []pgtype.Type{t, i4, t}, Result: t, Kernel: padKernel(false)},
		&Function{Name: "repeat", Args: []pgtype.Type{t, i4}, Result: t, Kernel: repeatKernel},
		&Function{Name: "split_part", Args: []pgtype.Type{t, t, i4}, Result: t, Kernel: splitPartKernel},
		&Function{Name: "concat", Args: []pgtype.Type{t}, Result: t, Variadic: true, CalledOnNull: true, Kernel: concatKernel(false)},
		&Function{Name: "concat_ws", Args: []pgtype.Type{t, t}, Result: t, Variadic: true, CalledOnNull: true, Kernel: concatKernel(true)},
		&Function{Name: "~", Args: tt, Result: pgtype.Bool, Kernel: regexKernel(false, false)},
		&Function{Name: "!~", Args: tt, Result: pgtype.Bool, Kernel: regexKernel(false, true)},
		&Function{Name: "~*", Args: tt, Result: pgtype.Bool, Kernel: regexKernel(true, false)},
		&Function{Name: "!~*", Args: tt, Result: pgtype.Bool, Kernel: regexKernel(true, true)},
	)
	alias("length", "char_length", "character_length")
	alias("substring", "substr")
	alias("btrim", "trim")
	// concat and concat_ws accept any argument types ("any" in the
	// catalogue): every argument is converted to text.
	special["concat"] = resolveAnyText
	special["concat_ws"] = resolveAnyText
}

// resolveAnyText resolves a function declared over "any" by converting
// every argument to text.
func resolveAnyText(name string, args []pgtype.Type) (*Function, error) {
	f := registry[name][0]
	if len(args) < len(f.Args)-1 || len(args) == 0 {
		return nil, undefined(name, args)
	}
	return expand(f, len(args)), nil
}

// strUnary applies f to each string.
func strUnary(f func(string) string) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		r := newRowArgs(args)
		valid, _ := andValidity(env.Mem, args, n)
		return textOut(env.Mem, n, valid, func(i int) (string, error) { return f(r.str(0, i)), nil })
	}
}

// strBinary applies f to each pair of strings.
func strBinary(f func(a, b string) (string, error)) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		r := newRowArgs(args)
		valid, _ := andValidity(env.Mem, args, n)
		return textOut(env.Mem, n, valid, func(i int) (string, error) { return f(r.str(0, i), r.str(1, i)) })
	}
}

func strToInt(f func(string) int32) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		r := newRowArgs(args)
		valid, nulls := andValidity(env.Mem, args, n)
		return fixedOut(env.Mem, arrow.PrimitiveTypes.Int32, n, valid, nulls, func(i int) (int32, error) { return f(r.str(0, i)), nil })
	}
}

func strPredicate(f func(a, b string) bool) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		r := newRowArgs(args)
		valid, nulls := andValidity(env.Mem, args, n)
		return boolOut(env.Mem, n, valid, nulls, func(i int) (bool, error) { return f(r.str(0, i), r.str(1, i)), nil })
	}
}

func reverseRunes(s string) string {
	rs := []rune(s)
	for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
		rs[i], rs[j] = rs[j], rs[i]
	}
	return string(rs)
}

// initcap upper-cases the first letter of each alphanumeric run.
func initcap(s string) string {
	var b strings.Builder
	prevAlnum := false
	for _, r := range s {
		if prevAlnum {
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(unicode.ToUpper(r))
		}
		prevAlnum = unicode.IsLetter(r) || unicode.IsDigit(r)
	}
	return b.String()
}

func chrKernel(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	r := newRowArgs(args)
	valid, _ := andValidity(env.Mem, args, n)
	return textOut(env.Mem, n, valid, func(i int) (string, error) {
		c := r.i32(0, i)
		switch {
		case c == 0:
			return "", sqlstate.New(sqlstate.ProgramLimitExceeded, "null character not permitted")
		case c < 0 || c > unicode.MaxRune || c >= 0xD800 && c <= 0xDFFF:
			return "", sqlstate.New(sqlstate.ProgramLimitExceeded, "requested character too large for encoding: %d", c)
		}
		return string(rune(c)), nil
	})
}

func strposKernel(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	r := newRowArgs(args)
	valid, nulls := andValidity(env.Mem, args, n)
	return fixedOut(env.Mem, arrow.PrimitiveTypes.Int32, n, valid, nulls, func(i int) (int32, error) {
		s, sub := r.str(0, i), r.str(1, i)
		k := strings.Index(s, sub)
		if k < 0 {
			return 0, nil
		}
		return int32(utf8.RuneCountInString(s[:k])) + 1, nil
	})
}

func replaceKernel(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	r := newRowArgs(args)
	valid, _ := andValidity(env.Mem, args, n)
	return textOut(env.Mem, n, valid, func(i int) (string, error) {
		s, from, to := r.str(0, i), r.str(1, i), r.str(2, i)
		if from == "" {
			return s, nil
		}
		return strings.ReplaceAll(s, from, to), nil
	})
}

// substringKernel is substring(s FROM start [FOR count]) with SQL's
// rules: characters from position start (1-based, possibly ≤ 0) up to
// but excluding start+count.
func substringKernel(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	r := newRowArgs(args)
	valid, _ := andValidity(env.Mem, args, n)
	withCount := len(args) == 3
	return textOut(env.Mem, n, valid, func(i int) (string, error) {
		s := r.str(0, i)
		start := int64(r.i32(1, i))
		end := int64(1) << 62
		if withCount {
			count := int64(r.i32(2, i))
			if count < 0 {
				return "", sqlstate.New(sqlstate.SubstringError, "negative substring length not allowed")
			}
			end = start + count
		}
		from := max(start, 1)
		if end <= from {
			return "", nil
		}
		return runeSlice(s, from-1, end-1), nil
	})
}

// runeSlice returns the characters [from, to) of s (clamped).
func runeSlice(s string, from, to int64) string {
	bs, be := len(s), len(s)
	k := int64(0)
	for j := range s {
		if k == from {
			bs = j
		}
		if k == to {
			be = j
			break
		}
		k++
	}
	if bs > be {
		return ""
	}
	return s[bs:be]
}

func leftRight(left bool) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		r := newRowArgs(args)
		valid, _ := andValidity(env.Mem, args, n)
		return textOut(env.Mem, n, valid, func(i int) (string, error) {
			s, k := r.str(0, i), int64(r.i32(1, i))
			l := int64(utf8.RuneCountInString(s))
			if left {
				if k < 0 {
					k = max(l+k, 0)
				}
				return runeSlice(s, 0, k), nil
			}
			if k < 0 {
				k = max(l+k, 0)
			}
			return runeSlice(s, max(l-k, 0), l), nil
		})
	}
}

// padKernel is lpad/rpad: pad to length characters with fill (default
// one space), or truncate to length.
func padKernel(leftSide bool) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		r := newRowArgs(args)
		valid, _ := andValidity(env.Mem, args, n)
		return textOut(env.Mem, n, valid, func(i int) (string, error) {
			s, length := r.str(0, i), int(r.i32(1, i))
			fill := " "
			if len(args) == 3 {
				fill = r.str(2, i)
			}
			if length <= 0 {
				return "", nil
			}
			l := utf8.RuneCountInString(s)
			if l >= length || fill == "" {
				return runeSlice(s, 0, int64(length)), nil
			}
			if length*utf8.UTFMax > maxStringBytes {
				return "", errStringTooLong()
			}
			fr := []rune(fill)
			pad := make([]rune, length-l)
			for j := range pad {
				pad[j] = fr[j%len(fr)]
			}
			if leftSide {
				return string(pad) + s, nil
			}
			return s + string(pad), nil
		})
	}
}

func repeatKernel(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	r := newRowArgs(args)
	valid, _ := andValidity(env.Mem, args, n)
	return textOut(env.Mem, n, valid, func(i int) (string, error) {
		s, k := r.str(0, i), int(r.i32(1, i))
		if k <= 0 || s == "" {
			return "", nil
		}
		if len(s)*k > maxStringBytes || len(s)*k/k != len(s) {
			return "", errStringTooLong()
		}
		return strings.Repeat(s, k), nil
	})
}

// splitPartKernel is split_part(s, delimiter, n); n < 0 counts from the
// end (PostgreSQL 14+), n = 0 is 22023.
func splitPartKernel(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
	r := newRowArgs(args)
	valid, _ := andValidity(env.Mem, args, n)
	return textOut(env.Mem, n, valid, func(i int) (string, error) {
		s, d, k := r.str(0, i), r.str(1, i), int(r.i32(2, i))
		if k == 0 {
			return "", sqlstate.New(sqlstate.InvalidParameterValue, "field position must not be zero")
		}
		var parts []string
		if d == "" {
			parts = []string{s}
			if s == "" {
				parts = nil
			}
		} else {
			parts = strings.Split(s, d)
		}
		if k < 0 {
			k = len(parts) + k + 1
		}
		if k < 1 || k > len(parts) {
			return "", nil
		}
		return parts[k-1], nil
	})
}

// concatKernel is concat (NULLs skipped) or concat_ws (first argument the
// separator; a NULL separator gives NULL).
func concatKernel(ws bool) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		r := newRowArgs(args)
		var valid []bool
		if ws {
			valid = make([]bool, n)
			for i := range valid {
				valid[i] = !r.null(0, i)
			}
		}
		var sb strings.Builder
		var vbuf = validityFromBools(env, valid)
		return textOut(env.Mem, n, vbuf, func(i int) (string, error) {
			sb.Reset()
			first := 1
			if !ws {
				first = 0
			}
			wrote := false
			for k := first; k < len(args); k++ {
				if r.null(k, i) {
					continue
				}
				if ws && wrote {
					sb.WriteString(r.str(0, i))
				}
				sb.WriteString(r.str(k, i))
				wrote = true
			}
			return sb.String(), nil
		})
	}
}

// regexKernel is ~, ~*, !~ and !~* with Go's RE2 syntax (PostgreSQL's
// ARE features RE2 lacks, back-references and look-around, are 2201B).
func regexKernel(fold, negate bool) kernelFunc {
	return func(_ context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error) {
		r := newRowArgs(args)
		valid, nulls := andValidity(env.Mem, args, n)
		var re *regexp.Regexp
		last := ""
		return boolOut(env.Mem, n, valid, nulls, func(i int) (bool, error) {
			p := r.str(1, i)
			if re == nil || p != last {
				src := p
				if fold {
					src = "(?i)" + p
				}
				var err error
				re, err = regexp.Compile(src)
				if err != nil {
					return false, sqlstate.New(sqlstate.InvalidRegularExpression, "invalid regular expression: %v", err)
				}
				last = p
			}
			return re.MatchString(r.str(0, i)) != negate, nil
		})
	}
}
