package executor

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor/expr"
)

// Both joins read the right input whole (the build side) into one batch,
// then stream the left input: for each left batch they list candidate
// (left row, right row) pairs, gather them a chunk of BatchSize pairs at
// a time into joined batches (left columns, then right columns), keep the
// pairs where the condition is TRUE and, for a LEFT join, finally emit
// the left rows that matched nothing with NULL right columns.

// JoinType is the kind of join.
type JoinType int8

// The join kinds. HashJoin does inner and left joins; NestedLoopJoin all.
const (
	JoinInner JoinType = iota
	JoinLeft
	JoinCross
)

// pairSource lists a left batch's candidate pairs in chunks.
type pairSource interface {
	// reset starts on a new left batch.
	reset(ctx context.Context, left arrow.Record) error
	// next appends up to max candidate pairs to l and r and reports
	// whether more remain.
	next(l, r []int32, max int) ([]int32, []int32, bool)
}

// joiner is the part the two joins share.
type joiner struct {
	env    *expr.Env
	left   Operator
	right  Operator
	typ    JoinType
	cond   expr.Expr // nil: every candidate pair matches
	schema *arrow.Schema
	nleft  int

	build arrow.Record // the right input, concatenated
	src   pairSource

	cur       arrow.Record // the left batch being joined
	more      bool
	matched   []bool
	unmatched bool // its unmatched rows were emitted
	l, r      []int32
}

func newJoiner(env *expr.Env, left, right Operator, typ JoinType, cond expr.Expr) *joiner {
	lf, rf := left.Schema().Fields(), right.Schema().Fields()
	fields := append(append([]arrow.Field{}, lf...), rf...)
	for i := len(lf); i < len(fields); i++ {
		fields[i].Nullable = true
	}
	return &joiner{env: env, left: left, right: right, typ: typ, cond: cond,
		schema: arrow.NewSchema(fields, nil), nleft: len(lf)}
}

// readBuild reads the right input into one batch.
func (j *joiner) readBuild(ctx context.Context) error {
	var recs []arrow.Record
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	for {
		if err := checkCtx(ctx); err != nil {
			return err
		}
		rec, err := j.right.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		recs = append(recs, rec)
	}
	all, err := concatRecords(j.env.Mem, j.right.Schema(), recs)
	if err != nil {
		return err
	}
	j.build = all
	return nil
}

// next returns the next joined batch.
func (j *joiner) next(ctx context.Context) (arrow.Record, error) {
	for {
		if err := checkCtx(ctx); err != nil {
			return nil, err
		}
		if j.cur == nil {
			if j.build.NumRows() == 0 && j.typ != JoinLeft {
				return nil, io.EOF
			}
			rec, err := j.left.Next(ctx)
			if err != nil {
				return nil, err
			}
			if err := j.src.reset(ctx, rec); err != nil {
				rec.Release()
				return nil, err
			}
			j.cur, j.more, j.unmatched = rec, true, false
			n := int(rec.NumRows())
			if cap(j.matched) < n {
				j.matched = make([]bool, n)
			}
			j.matched = j.matched[:n]
			clear(j.matched)
		}
		if j.more {
			j.l, j.r, j.more = j.src.next(j.l[:0], j.r[:0], BatchSize)
			if len(j.l) == 0 {
				continue
			}
			out, err := j.joinPairs(ctx, j.l, j.r, true)
			if err != nil || out != nil {
				return out, err
			}
			continue
		}
		if j.typ == JoinLeft && !j.unmatched {
			j.unmatched = true
			j.l, j.r = j.l[:0], j.r[:0]
			for i, m := range j.matched {
				if !m {
					j.l = append(j.l, int32(i))
					j.r = append(j.r, -1)
				}
			}
			if len(j.l) > 0 {
				return j.joinPairs(ctx, j.l, j.r, false)
			}
		}
		j.cur.Release()
		j.cur = nil
	}
}

// joinPairs gathers pairs into a joined batch and, when filter is set,
// keeps the pairs satisfying the condition (recording matched left rows).
// It returns nil when no pair is left.
func (j *joiner) joinPairs(ctx context.Context, l, r []int32, filter bool) (arrow.Record, error) {
	cols := make([]arrow.Array, 0, j.schema.NumFields())
	defer func() { releaseAll(cols) }()
	for c := 0; c < int(j.cur.NumCols()); c++ {
		a, err := gather(ctx, j.env.Mem, j.cur.Column(c), l)
		if err != nil {
			return nil, err
		}
		cols = append(cols, a)
	}
	for c := 0; c < int(j.build.NumCols()); c++ {
		a, err := gather(ctx, j.env.Mem, j.build.Column(c), r)
		if err != nil {
			return nil, err
		}
		cols = append(cols, a)
	}
	rec, err := newRecord(j.schema, cols, len(l))
	if err != nil {
		return nil, err
	}
	if !filter || j.cond == nil {
		if filter {
			for _, i := range l {
				j.matched[i] = true
			}
		}
		return rec, nil
	}
	mask, err := j.cond.Eval(ctx, j.env, rec)
	if err != nil {
		rec.Release()
		return nil, err
	}
	sel := selection(mask, nil)
	mask.Release()
	for _, k := range sel {
		j.matched[l[k]] = true
	}
	switch len(sel) {
	case 0:
		rec.Release()
		return nil, nil
	case len(l):
		return rec, nil
	}
	out, err := gatherRecord(ctx, j.env.Mem, j.schema, rec, nil, sel)
	rec.Release()
	return out, err
}

func (j *joiner) close() {
	if j.cur != nil {
		j.cur.Release()
		j.cur = nil
	}
	if j.build != nil {
		j.build.Release()
		j.build = nil
	}
	j.left.Close()
	j.right.Close()
}
