package executor

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// NestedLoopJoinConfig configures a NestedLoopJoin.
type NestedLoopJoinConfig struct {
	// Type is JoinInner, JoinLeft or JoinCross.
	Type JoinType
	// Pred is the join condition over the joined row (left columns, then
	// right columns); nil for a cross join.
	Pred expr.Expr
}

// NestedLoopJoin joins every left row with every right row and keeps the
// pairs satisfying a condition: for joins without equality keys (ON
// a.x < b.y, ON l2_distance(a.v, b.v) < 0.5) and cross joins. The right
// input is materialised; pairs are evaluated BatchSize at a time.
type NestedLoopJoin struct {
	*joiner
	built bool
}

var _ Operator = (*NestedLoopJoin)(nil)

// NewNestedLoopJoin returns a NestedLoopJoin of left and right, taking
// ownership of both.
func NewNestedLoopJoin(env *expr.Env, left, right Operator, cfg NestedLoopJoinConfig) (*NestedLoopJoin, error) {
	j := &NestedLoopJoin{joiner: newJoiner(env, left, right, cfg.Type, cfg.Pred)}
	if cfg.Pred != nil && cfg.Pred.Type().OID != pgtype.OIDBool {
		j.joiner.close()
		return nil, sqlstate.New(sqlstate.DatatypeMismatch, "argument of JOIN/ON must be type boolean, not type %s", cfg.Pred.Type())
	}
	if cfg.Type == JoinCross && cfg.Pred != nil {
		j.joiner.close()
		return nil, errf("cross join with a condition")
	}
	j.src = &allPairs{j: j}
	return j, nil
}

// Schema implements Operator.
func (j *NestedLoopJoin) Schema() *arrow.Schema { return j.schema }

// Next implements Operator.
func (j *NestedLoopJoin) Next(ctx context.Context) (arrow.Record, error) {
	if !j.built {
		if err := j.readBuild(ctx); err != nil {
			return nil, err
		}
		j.built = true
	}
	return j.next(ctx)
}

// Close implements Operator.
func (j *NestedLoopJoin) Close() { j.joiner.close() }

// allPairs lists every (left, right) pair in left-major order.
type allPairs struct {
	j      *NestedLoopJoin
	p, end int64
}

func (a *allPairs) reset(_ context.Context, left arrow.Record) error {
	a.p, a.end = 0, left.NumRows()*a.j.build.NumRows()
	return nil
}

func (a *allPairs) next(l, r []int32, max int) ([]int32, []int32, bool) {
	nr := a.j.build.NumRows()
	for ; a.p < a.end && len(l) < max; a.p++ {
		l = append(l, int32(a.p/nr))
		r = append(r, int32(a.p%nr))
	}
	return l, r, a.p < a.end
}
