package expr

import (
	"context"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// Env is what evaluation needs beyond the batch. It is fixed for one
// execution of a statement.
type Env struct {
	// Mem allocates result arrays.
	Mem memory.Allocator
	// Params holds the values of $1…$n (index 0 is $1), typed as the
	// statement's parameter types; nil entries are SQL NULL.
	Params []scalar.Scalar
	// Text shapes casts to text (time zone, float digits).
	Text *pgtype.TextOptions
	// Now is the statement's transaction start time, for now().
	Now time.Time
	// Catalog describes the session's objects for the catalog functions
	// (func_catalog.go); nil where there is no session.
	Catalog Catalog
	// Subplans runs the plans of subqueries (subquery.go); Outer holds
	// the outer row's values while a correlated subquery's plan runs.
	Subplans Subplans
	Outer    []scalar.Scalar
	// Sequences hands out the values of serial and identity columns'
	// sequences (nextval); nil where there is no session.
	Sequences Sequences
	// Settings changes the session's configuration parameters
	// (set_config); nil where there is no session.
	Settings SettingsWriter
}

// SettingsWriter reads and sets a session's configuration parameters
// (current_setting, set_config).
type SettingsWriter interface {
	// SetConfig sets a parameter as SET or SET LOCAL does and returns the
	// value now in effect.
	SetConfig(ctx context.Context, name, value string, local bool) (string, error)
	// Setting returns a parameter's value; false when there is no such
	// parameter.
	Setting(name string) (string, bool)
}

// Sequences hands out sequence values; the gateway implements it over
// storage (storage/catalog's sequence claims).
type Sequences interface {
	// NextValues returns the next n values of sequence seq.
	NextValues(ctx context.Context, seq string, n int) ([]int64, error)
}

// Expr is a bound scalar expression.
type Expr interface {
	// Type is the PostgreSQL type of the result.
	Type() pgtype.Type
	// Eval computes the expression for every row of batch and returns an
	// array of batch.NumRows() values of Type().Arrow(). The caller owns
	// the array and must Release it.
	Eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error)
	// String renders the expression for EXPLAIN.
	String() string
}

// Column is the value of an input column.
type Column struct {
	// Index is the column's position in the input batch.
	Index int
	// T is the column's type.
	T pgtype.Type
	// Name is the column's name, for EXPLAIN.
	Name string
}

// Const is a constant; a nil Value is NULL of type T.
type Const struct {
	Value scalar.Scalar
	T     pgtype.Type
}

// Param is the value of parameter $Index+1.
type Param struct {
	Index int
	T     pgtype.Type
}

// Call applies a resolved function or operator to arguments whose types
// have the OIDs of Func.Args (the planner inserts casts where the OID
// differs; a modifier difference such as vector(3) for vector or
// numeric(10,2) for numeric needs no cast).
type Call struct {
	Func *Function
	Args []Expr
}

// Cast converts Arg to type To with PostgreSQL's cast semantics
// (including text input and output, and length checks such as vector(3)).
//
// Assign selects assignment semantics (INSERT and UPDATE targets): a
// value too long for varchar(n) or char(n) is 22001 instead of being
// truncated as an explicit CAST truncates it.
type Cast struct {
	Arg    Expr
	To     pgtype.Type
	Assign bool
}

// When is one WHEN … THEN … arm of a Case.
type When struct {
	Cond, Result Expr
}

// Case is a searched CASE (conditions are boolean; a simple CASE is bound
// to a searched one by the planner). A nil Else is NULL.
type Case struct {
	Whens []When
	Else  Expr
	T     pgtype.Type
}

// BoolOp is AND or OR over two or more boolean arguments, with SQL's
// three-valued logic.
type BoolOp struct {
	Or   bool
	Args []Expr
}

// Not negates a boolean (NULL stays NULL).
type Not struct {
	Arg Expr
}

// IsNull is "Arg IS NULL", or "IS NOT NULL" when Not is set.
type IsNull struct {
	Arg Expr
	Not bool
}

// IsDistinct is "L IS DISTINCT FROM R", or "IS NOT DISTINCT FROM" when Not
// is set; never NULL. L and R have the same type.
type IsDistinct struct {
	L, R Expr
	Not  bool
}

// In is "Arg IN (List…)" (or NOT IN), with SQL's NULL rules; List entries
// have Arg's type.
type In struct {
	Arg  Expr
	List []Expr
	Not  bool
}

// Like is "Arg [NOT] LIKE|ILIKE Pattern [ESCAPE Escape]"; Escape is the
// escape character (default backslash; 0 for none).
type Like struct {
	Arg, Pattern Expr
	Escape       rune
	ILike, Not   bool
}

// Coalesce returns its first non-null argument; all have type T.
type Coalesce struct {
	Args []Expr
	T    pgtype.Type
}

// Function is one resolved overload of a scalar function or operator.
// Resolve returns Functions; the registry's entries are never modified.
type Function struct {
	// Name is the function or operator name ("+", "l2_distance", …).
	Name string
	// Args are the argument types the kernel expects, one per argument
	// of the call (for a variadic registry entry Resolve repeats the last
	// type as often as the call needs).
	Args []pgtype.Type
	// Result is the result type.
	Result pgtype.Type
	// Variadic marks a registry entry whose last argument type repeats
	// zero or more times (greatest, concat, …).
	Variadic bool
	// CalledOnNull marks a non-strict function (CALLED ON NULL INPUT):
	// its kernel sees null arguments and decides itself. A strict
	// function's result is NULL wherever an argument is NULL; Call.Eval
	// short-circuits constant NULL arguments before calling the kernel.
	CalledOnNull bool
	// Volatile marks a function whose every call may give another result
	// (nextval, pg_sleep): it is computed for every row even when all its
	// arguments are constants, which other functions compute once per
	// batch.
	Volatile bool
	// Kernel computes the function over whole arrays. Each argument has
	// n values, or exactly 1 value that stands for all n rows (a
	// constant, evaluated once per batch); the result has n values.
	// Kernels must not fail on values in null slots (a division by zero
	// under a NULL is no error) and must propagate nulls. A nil Kernel
	// marks an overload that exists only so that resolution agrees with
	// PostgreSQL's catalogue; calling it is 0A000.
	Kernel func(ctx context.Context, env *Env, args []arrow.Array, n int) (arrow.Array, error)
}
