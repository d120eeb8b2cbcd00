package executor

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/hashtable"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// HashJoinConfig configures a HashJoin.
type HashJoinConfig struct {
	// Type is JoinInner or JoinLeft (the left input is preserved).
	Type JoinType
	// LeftKeys and RightKeys are the equi-join keys, evaluated over the
	// left and right inputs; pairwise of the same type (the planner
	// casts). A NULL key never matches.
	LeftKeys, RightKeys []expr.Expr
	// Residual is an extra condition over the joined row (left columns,
	// then right columns), or nil.
	Residual expr.Expr
}

// HashJoin joins on equal keys. It materialises the right input, gives
// each distinct right key an id in a hash table (executor/hashtable) and
// chains the right rows of each id; each left batch is then looked up a
// whole batch at a time, and the matching pairs are gathered into joined
// batches (left columns, then right columns).
type HashJoin struct {
	*joiner
	cfg   HashJoinConfig
	table *hashtable.Table
	head  []int32 // per key id: first right row
	chain []int32 // per right row: next right row of the same key
	built bool
}

var _ Operator = (*HashJoin)(nil)

// NewHashJoin returns a HashJoin of left and right, taking ownership of
// both.
func NewHashJoin(env *expr.Env, left, right Operator, cfg HashJoinConfig) (*HashJoin, error) {
	j := &HashJoin{joiner: newJoiner(env, left, right, cfg.Type, cfg.Residual), cfg: cfg}
	fail := func(err error) (*HashJoin, error) {
		j.joiner.close()
		return nil, err
	}
	if cfg.Type != JoinInner && cfg.Type != JoinLeft {
		return fail(errf("hash join of type %d", cfg.Type))
	}
	if len(cfg.LeftKeys) != len(cfg.RightKeys) || len(cfg.LeftKeys) == 0 {
		return fail(errf("hash join with %d left and %d right keys", len(cfg.LeftKeys), len(cfg.RightKeys)))
	}
	types := make([]arrow.DataType, len(cfg.RightKeys))
	for i := range cfg.RightKeys {
		lt, rt := cfg.LeftKeys[i].Type(), cfg.RightKeys[i].Type()
		ldt, err1 := lt.Arrow()
		rdt, err2 := rt.Arrow()
		if err1 != nil || err2 != nil || !arrow.TypeEqual(ldt, rdt) {
			return fail(errf("hash join key %d: %s and %s", i+1, lt, rt))
		}
		types[i] = rdt
	}
	t, err := hashtable.New(types)
	if err != nil {
		return fail(sqlstate.Wrap(err, sqlstate.FeatureNotSupported, ""))
	}
	j.table = t
	j.src = &hashPairs{j: j}
	return j, nil
}

// Schema implements Operator.
func (j *HashJoin) Schema() *arrow.Schema { return j.schema }

// Next implements Operator.
func (j *HashJoin) Next(ctx context.Context) (arrow.Record, error) {
	if !j.built {
		if err := j.buildTable(ctx); err != nil {
			return nil, err
		}
		j.built = true
	}
	return j.next(ctx)
}

// buildTable reads the right input and chains its rows by key.
func (j *HashJoin) buildTable(ctx context.Context) error {
	if err := j.readBuild(ctx); err != nil {
		return err
	}
	n := int(j.build.NumRows())
	keys, err := evalAll(ctx, j.env, j.cfg.RightKeys, j.build)
	if err != nil {
		return err
	}
	defer releaseAll(keys)
	ids := make([]uint32, n)
	if err := j.table.Insert(keys, ids); err != nil {
		return sqlstate.Wrap(err, sqlstate.InternalError, "")
	}
	j.head = make([]int32, j.table.Len())
	tail := make([]int32, j.table.Len())
	for i := range j.head {
		j.head[i] = -1
	}
	j.chain = make([]int32, n)
	hasNull := nullRows(keys, n)
	for r := 0; r < n; r++ {
		j.chain[r] = -1
		if hasNull != nil && hasNull[r] {
			continue
		}
		id := ids[r]
		if j.head[id] < 0 {
			j.head[id] = int32(r)
		} else {
			j.chain[tail[id]] = int32(r)
		}
		tail[id] = int32(r)
	}
	return nil
}

// nullRows marks the rows where some key is NULL (nil when none is).
func nullRows(keys []arrow.Array, n int) []bool {
	var out []bool
	for _, k := range keys {
		if k.NullN() == 0 {
			continue
		}
		if out == nil {
			out = make([]bool, n)
		}
		for i := 0; i < n; i++ {
			if k.IsNull(i) {
				out[i] = true
			}
		}
	}
	return out
}

// Close implements Operator.
func (j *HashJoin) Close() { j.joiner.close() }

// hashPairs lists the pairs of a left batch: each row with every right
// row of its key.
type hashPairs struct {
	j    *HashJoin
	ids  []uint32
	row  int   // next left row
	at   int32 // next right row in the current row's chain, or −1
	rows int
}

func (p *hashPairs) reset(ctx context.Context, left arrow.Record) error {
	n := int(left.NumRows())
	keys, err := evalAll(ctx, p.j.env, p.j.cfg.LeftKeys, left)
	if err != nil {
		return err
	}
	defer releaseAll(keys)
	if cap(p.ids) < n {
		p.ids = make([]uint32, n)
	}
	p.ids = p.ids[:n]
	if err := p.j.table.Lookup(keys, p.ids); err != nil {
		return sqlstate.Wrap(err, sqlstate.InternalError, "")
	}
	if hasNull := nullRows(keys, n); hasNull != nil {
		for i, isNull := range hasNull {
			if isNull {
				p.ids[i] = hashtable.Missing
			}
		}
	}
	p.row, p.at, p.rows = 0, -1, n
	return nil
}

func (p *hashPairs) next(l, r []int32, max int) ([]int32, []int32, bool) {
	for len(l) < max {
		if p.at < 0 {
			if p.row >= p.rows {
				return l, r, false
			}
			id := p.ids[p.row]
			p.row++
			if id == hashtable.Missing {
				continue
			}
			p.at = p.j.head[id]
			if p.at < 0 {
				continue
			}
		}
		l = append(l, int32(p.row-1))
		r = append(r, p.at)
		p.at = p.j.chain[p.at]
	}
	return l, r, p.at >= 0 || p.row < p.rows
}
