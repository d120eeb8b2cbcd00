package expr

import (
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Aggregates keep their state as struct-of-arrays indexed by group id:
// sum(int4) is a []int64 of sums and a []bool of "seen a value", count a
// []int64. A hash aggregate assigns group ids to a batch's rows
// (executor/hashtable) and calls Update once per batch and aggregate;
// Update's loop is "state[groups[i]] op= value[i]" over typed slices.
// Without GROUP BY every row is in group 0 and groups is nil, which the
// accumulators turn into plain reductions.

// SkipRow in an Update's groups marks a row that contributes nothing
// (filtered by FILTER (WHERE …), or a repeat under DISTINCT).
const SkipRow = ^uint32(0)

// Accumulator holds one aggregate call's states for a set of groups.
type Accumulator interface {
	// Grow makes room for groups [0, n); new groups start empty.
	Grow(n int)
	// Update folds n rows into their groups: args are arrays of n values
	// of the aggregate's argument types (none for count(*)); row i goes
	// into group groups[i], or into group 0 when groups is nil; rows
	// whose group is SkipRow are ignored.
	Update(n int, args []arrow.Array, groups []uint32) error
	// Result returns one value per group, in group order, as an array of
	// the aggregate's Result type.
	Result(mem memory.Allocator) (arrow.Array, error)
	// State returns one partial state per group, in group order, as an
	// array of the aggregate's StateType (see agg_partial.go). It fails
	// for DISTINCT calls, which do not split.
	State(mem memory.Allocator) (arrow.Array, error)
	// Merge folds n partial states (rows of an array of StateType, as
	// State returns them) into groups exactly as Update folds values:
	// state i goes into group groups[i], or into group 0 when groups is
	// nil; states whose group is SkipRow are ignored.
	Merge(n int, states arrow.Array, groups []uint32) error
}

// Aggregate is one resolved aggregate function.
type Aggregate struct {
	// Name is the aggregate's name ("count", "sum", …).
	Name string
	// Args are the argument types (none for count(*)); the planner casts
	// arguments to their OIDs, as for functions.
	Args []pgtype.Type
	// Result is the result type.
	Result pgtype.Type

	newAcc func(a *Aggregate) Accumulator
}

// NewAccumulator returns an empty accumulator for one call of a.
func (a *Aggregate) NewAccumulator() Accumulator { return a.newAcc(a) }

// AggCall is one aggregate call of a query: count(*), sum(DISTINCT x),
// count(x) FILTER (WHERE y > 0).
type AggCall struct {
	Agg  *Aggregate
	Args []Expr
	// Distinct folds each distinct argument tuple once per group.
	Distinct bool
	// Filter, when not nil, is a boolean expression; rows where it is not
	// TRUE are skipped.
	Filter Expr
}

// NewAccumulator returns an empty accumulator for the call, including
// its DISTINCT handling.
func (c *AggCall) NewAccumulator() (Accumulator, error) {
	acc := c.Agg.NewAccumulator()
	if !c.Distinct {
		return acc, nil
	}
	types := make([]arrow.DataType, len(c.Args))
	for i, a := range c.Args {
		dt, err := a.Type().Arrow()
		if err != nil {
			return nil, sqlstate.New(sqlstate.FeatureNotSupported, "DISTINCT over type %s: %v", a.Type(), err)
		}
		types[i] = dt
	}
	return newDistinct(acc, types)
}

// String renders the call for EXPLAIN.
func (c *AggCall) String() string {
	parts := make([]string, len(c.Args))
	for i, a := range c.Args {
		parts[i] = a.String()
	}
	args := strings.Join(parts, ", ")
	if len(c.Args) == 0 && c.Agg.Name == "count" {
		args = "*"
	}
	if c.Distinct {
		args = "DISTINCT " + args
	}
	s := c.Agg.Name + "(" + args + ")"
	if c.Filter != nil {
		s += " FILTER (WHERE " + c.Filter.String() + ")"
	}
	return s
}

// aggregates is the aggregate registry: the signatures (as Functions, to
// share overload resolution) and the aggregate of each.
var (
	aggSigs = map[string][]*Function{}
	aggOf   = map[*Function]*Aggregate{}
)

func registerAgg(name string, args []pgtype.Type, result pgtype.Type, newAcc func(a *Aggregate) Accumulator) {
	f := &Function{Name: name, Args: args, Result: result}
	aggSigs[name] = append(aggSigs[name], f)
	aggOf[f] = &Aggregate{Name: name, Args: args, Result: result, newAcc: newAcc}
}

// ResolveAggregate returns the aggregate name for arguments of the given
// types, with PostgreSQL's overload resolution: count(*) is count with no
// arguments, count(x) takes any type, sum(int4) is bigint, sum(int8) and
// avg of integers numeric, min and max of any comparable type.
func ResolveAggregate(name string, args []pgtype.Type) (*Aggregate, error) {
	name = strings.ToLower(name)
	if name == "count" && len(args) == 1 {
		return &Aggregate{Name: "count", Args: args, Result: pgtype.Int8, newAcc: newCount}, nil
	}
	sigs, ok := aggSigs[name]
	if !ok {
		return nil, undefined(name, args)
	}
	f, err := resolveAmong(name, sigs, args)
	if err != nil {
		return nil, err
	}
	return aggOf[f], nil
}

// IsAggregate reports whether name is an aggregate function.
func IsAggregate(name string) bool {
	_, ok := aggSigs[strings.ToLower(name)]
	return ok
}

func init() {
	i2, i4, i8 := pgtype.Int2, pgtype.Int4, pgtype.Int8
	f4, f8, num := pgtype.Float4, pgtype.Float8, pgtype.Numeric
	one := func(t pgtype.Type) []pgtype.Type { return []pgtype.Type{t} }
	registerAgg("count", nil, i8, newCountStar)
	registerAgg("count", one(pgtype.Type{OID: 2276, Mod: -1}), i8, newCount) // count("any"), resolved above
	registerAgg("sum", one(i2), i8, newSumInt)
	registerAgg("sum", one(i4), i8, newSumInt)
	registerAgg("sum", one(i8), num, newSumInt128)
	registerAgg("sum", one(f4), f4, newSumFloat)
	registerAgg("sum", one(f8), f8, newSumFloat)
	registerAgg("sum", one(num), num, newSumNumeric)
	registerAgg("sum", one(pgtype.Vector), pgtype.Vector, newSumVector)
	registerAgg("avg", one(i2), num, newSumInt128)
	registerAgg("avg", one(i4), num, newSumInt128)
	registerAgg("avg", one(i8), num, newSumInt128)
	registerAgg("avg", one(f4), f8, newSumFloat)
	registerAgg("avg", one(f8), f8, newSumFloat)
	registerAgg("avg", one(num), num, newSumNumeric)
	registerAgg("avg", one(pgtype.Vector), pgtype.Vector, newSumVector)
	for _, t := range []pgtype.Type{i2, i4, i8, f4, f8, num, pgtype.Text, pgtype.Date, pgtype.Timestamp,
		pgtype.TimestampTZ, pgtype.OID, {OID: pgtype.OIDBpchar, Mod: -1}} {
		registerAgg("min", one(t), t, newMinMax)
		registerAgg("max", one(t), t, newMinMax)
	}
	for _, name := range []string{"bool_and", "every", "bool_or"} {
		registerAgg(name, one(pgtype.Bool), pgtype.Bool, newBoolAgg)
	}
}
