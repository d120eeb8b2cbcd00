package dialect

import (
	"fmt"
	"io"
	"strconv"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/types"
)

// The TiDB parser builds literal and parameter nodes through hooks that a
// "parser driver" must install in package-level variables of package ast
// (ast.NewValueExpr, ast.NewParamMarkerExpr, ast.NewDecimal,
// ast.NewHexLiteral, ast.NewBitLiteral); parser.New panics without them.
// The parser module ships only a test driver that turns literals into
// MySQL datums, losing their PostgreSQL form. The hooks are global, so
// registering them in init is unavoidable: there is no per-parser option.
// Consequently no package linked into lancegate may import
// github.com/pingcap/tidb/pkg/parser/test_driver (or TiDB's own
// types/parser_driver): whichever init runs last would win.
func init() {
	ast.NewValueExpr = newLiteral
	ast.NewParamMarkerExpr = newParamMarker
	ast.NewDecimal = func(s string) (any, error) { return decimalText(s), nil }
	ast.NewHexLiteral = func(s string) (any, error) { return hexText(s), nil }
	ast.NewBitLiteral = func(s string) (any, error) { return bitText(s), nil }
}

// decimalText, hexText and bitText carry the exact text of literals the
// TiDB lexer hands to the driver.
type (
	decimalText string
	hexText     string
	bitText     string
)

// LiteralKind is the original kind of a literal in the emitted text.
type LiteralKind int

// The literal kinds. The bridge emits only NULL, TRUE, FALSE, integers,
// decimals written with a point, and single-quoted strings; the others
// exist because TiDB's grammar may build them internally.
const (
	// LitNull is NULL.
	LitNull LiteralKind = iota
	// LitBool is TRUE or FALSE; Raw is "true" or "false".
	LitBool
	// LitInteger is an unsigned integer literal; Raw holds its digits
	// (without leading zeros). PostgreSQL types it int4 if it fits, then
	// int8, else numeric.
	LitInteger
	// LitDecimal is a literal with a decimal point (numeric in
	// PostgreSQL); Raw is exactly as written ("1.50" keeps its scale).
	// Integers too large for uint64 also arrive as LitDecimal.
	LitDecimal
	// LitString is a string literal; Raw is its value. PostgreSQL types
	// it unknown until context decides.
	LitString
	// LitFloat is a float literal (1e3); never emitted by the bridge.
	LitFloat
	// LitHex is a MySQL hex literal (0x1F); never emitted by the bridge.
	LitHex
	// LitBit is a MySQL bit literal (0b101); never emitted by the bridge.
	LitBit
	// LitOther is any other value TiDB's grammar creates internally.
	LitOther
)

// Literal is lancegate's ast.ValueExpr: a literal with its PostgreSQL
// kind and text.
type Literal struct {
	ast.TexprNode
	Kind LiteralKind
	// Raw is the literal's text: an integer's digits, a decimal's exact
	// text, a string's value, "true" or "false"; "" for NULL.
	Raw string
	// value is what TiDB's grammar reads through GetValue: int64 or
	// uint64 for integers (ORDER BY 1 becomes a position), string, bool,
	// nil.
	value            any
	projectionOffset int
}

var (
	_ ast.ValueExpr       = (*Literal)(nil)
	_ ast.ParamMarkerExpr = (*ParamMarker)(nil)
)

func newLiteral(value any, charset, collate string) ast.ValueExpr {
	if l, ok := value.(*Literal); ok {
		return l
	}
	l := &Literal{projectionOffset: -1}
	l.SetValue(value)
	switch l.Kind {
	case LitString:
		l.Type = *types.NewFieldType(mysql.TypeVarString)
		l.Type.SetCharset(charset)
		l.Type.SetCollate(collate)
	case LitInteger:
		l.Type = *types.NewFieldType(mysql.TypeLonglong)
	case LitBool:
		l.Type = *types.NewFieldType(mysql.TypeLonglong)
		l.Type.AddFlag(mysql.IsBooleanFlag)
	case LitDecimal:
		l.Type = *types.NewFieldType(mysql.TypeNewDecimal)
	case LitFloat:
		l.Type = *types.NewFieldType(mysql.TypeDouble)
	case LitNull:
		l.Type = *types.NewFieldType(mysql.TypeNull)
	default:
		l.Type = *types.NewFieldType(mysql.TypeVarString)
	}
	return l
}

// SetValue implements ast.ValueExpr.
func (l *Literal) SetValue(v any) {
	l.value = v
	switch x := v.(type) {
	case nil:
		l.Kind, l.Raw = LitNull, ""
	case bool:
		l.Kind, l.Raw = LitBool, strconv.FormatBool(x)
	case int64:
		l.Kind, l.Raw = LitInteger, strconv.FormatInt(x, 10)
	case uint64:
		l.Kind, l.Raw = LitInteger, strconv.FormatUint(x, 10)
	case int:
		l.value = int64(x)
		l.Kind, l.Raw = LitInteger, strconv.Itoa(x)
	case decimalText:
		l.Kind, l.Raw = LitDecimal, string(x)
	case float64:
		l.Kind, l.Raw = LitFloat, strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		l.Kind, l.Raw = LitString, x
	case []byte:
		l.value = string(x)
		l.Kind, l.Raw = LitString, string(x)
	case hexText:
		l.Kind, l.Raw = LitHex, string(x)
	case bitText:
		l.Kind, l.Raw = LitBit, string(x)
	default:
		l.Kind, l.Raw = LitOther, fmt.Sprint(x)
	}
}

// GetValue implements ast.ValueExpr.
func (l *Literal) GetValue() any { return l.value }

// GetDatumString implements ast.ValueExpr.
func (l *Literal) GetDatumString() string { return l.Raw }

// GetString implements ast.ValueExpr.
func (l *Literal) GetString() string { return l.Raw }

// GetProjectionOffset implements ast.ValueExpr.
func (l *Literal) GetProjectionOffset() int { return l.projectionOffset }

// SetProjectionOffset implements ast.ValueExpr.
func (l *Literal) SetProjectionOffset(o int) { l.projectionOffset = o }

// Restore implements ast.Node, writing the literal in the emitted dialect.
func (l *Literal) Restore(ctx *format.RestoreCtx) error {
	switch l.Kind {
	case LitNull:
		ctx.WriteKeyWord("NULL")
	case LitBool:
		if l.Raw == "true" {
			ctx.WriteKeyWord("TRUE")
		} else {
			ctx.WriteKeyWord("FALSE")
		}
	case LitString, LitOther:
		ctx.WritePlain(quoteString(l.Raw))
	default:
		ctx.WritePlain(l.Raw)
	}
	return nil
}

// Format implements ast.ExprNode.
func (l *Literal) Format(w io.Writer) {
	switch l.Kind {
	case LitNull:
		fmt.Fprint(w, "NULL")
	case LitString, LitOther:
		fmt.Fprint(w, quoteString(l.Raw))
	default:
		fmt.Fprint(w, l.Raw)
	}
}

// Accept implements ast.Node.
func (l *Literal) Accept(v ast.Visitor) (ast.Node, bool) {
	n, skip := v.Enter(l)
	if skip {
		return v.Leave(n)
	}
	return v.Leave(n)
}

// ParamMarker is lancegate's ast.ParamMarkerExpr: a ? marker that knows
// which $n it stands for.
type ParamMarker struct {
	Literal
	// Offset is the marker's byte offset in the emitted text.
	Offset int
	// Order is the marker's 0-based index among the statement's markers.
	Order int
	// N is the PostgreSQL parameter number ($N), set after parsing from
	// the slot map.
	N int
}

func newParamMarker(offset int) ast.ParamMarkerExpr {
	m := &ParamMarker{Offset: offset}
	m.projectionOffset = -1
	m.Kind = LitNull
	m.Type = *types.NewFieldType(mysql.TypeNull)
	return m
}

// SetOrder implements ast.ParamMarkerExpr.
func (m *ParamMarker) SetOrder(o int) { m.Order = o }

// Restore implements ast.Node.
func (m *ParamMarker) Restore(ctx *format.RestoreCtx) error {
	ctx.WritePlain("?")
	return nil
}

// Format implements ast.ExprNode.
func (m *ParamMarker) Format(w io.Writer) { fmt.Fprintf(w, "$%d", m.N) }

// Accept implements ast.Node.
func (m *ParamMarker) Accept(v ast.Visitor) (ast.Node, bool) {
	n, skip := v.Enter(m)
	if skip {
		return v.Leave(n)
	}
	return v.Leave(n)
}
