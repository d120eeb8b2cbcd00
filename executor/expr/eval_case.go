package expr

import (
	"context"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// CASE and COALESCE route rows: each row is decided by one branch (or
// argument), and a branch's result is evaluated only on the rows routed
// to it, so "CASE WHEN x <> 0 THEN 1 / x END" never divides by zero. The
// parts are then gathered into one array in row order with a take.

// picker gathers per-branch results into one array.
type picker struct {
	parts []arrow.Array
	part  []int32 // per row: index into parts, −1 for NULL
	pos   []int32 // per row: position in its part
}

func newPicker(n int) *picker {
	p := &picker{part: make([]int32, n), pos: make([]int32, n)}
	for i := range p.part {
		p.part[i] = -1
	}
	return p
}

// add records that rows take their values from v (len(rows) values, or
// one for all); it takes over the reference to v.
func (p *picker) add(v arrow.Array, rows []int32) {
	k := int32(len(p.parts))
	p.parts = append(p.parts, v)
	for j, r := range rows {
		p.part[r] = k
		p.pos[r] = 0 // a one-value part serves every row from position 0
		if v.Len() != 1 {
			p.pos[r] = int32(j)
		}
	}
}

func (p *picker) release() { releaseAll(p.parts) }

// build returns the gathered array of type t.
func (p *picker) build(ctx context.Context, env *Env, t pgtype.Type) (arrow.Array, error) {
	dt, err := t.Arrow()
	if err != nil {
		dt = arrow.Null
	}
	n := len(p.part)
	// One part covering every row in order: return it as is.
	if len(p.parts) == 1 && p.parts[0].Len() == n {
		ok := true
		for _, k := range p.part {
			if k != 0 {
				ok = false
				break
			}
		}
		if ok {
			return conform(env.Mem, p.parts[0], t)
		}
	}
	parts := make([]arrow.Array, 0, len(p.parts)+1)
	defer func() { releaseAll(parts) }()
	base := make([]int32, len(p.parts)+1)
	off := int32(0)
	for k, v := range p.parts {
		c, err := conform(env.Mem, v, t)
		if err != nil {
			return nil, err
		}
		parts = append(parts, c)
		base[k] = off
		off += int32(c.Len())
	}
	parts = append(parts, nullArray(env.Mem, dt, 1))
	nullAt := off
	all, err := array.Concatenate(parts, env.Mem)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	idx := make([]int32, n)
	for i := range idx {
		if k := p.part[i]; k >= 0 {
			idx[i] = base[k] + p.pos[i]
		} else {
			idx[i] = nullAt
		}
	}
	return takeArray(ctx, env.Mem, all, idx)
}

// rowsOrNil returns nil when rows covers all n rows.
func rowsOrNil(rows []int32, n int) []int32 {
	if len(rows) == n {
		return nil
	}
	return rows
}

// allRows returns 0…n−1.
func allRows(n int) []int32 {
	r := make([]int32, n)
	for i := range r {
		r[i] = int32(i)
	}
	return r
}

// exprsConstant reports whether no expression reads a column.
func exprsConstant(es ...Expr) bool {
	for _, e := range es {
		if e != nil && dependsOnRows(e) {
			return false
		}
	}
	return true
}

// Type implements Expr.
func (c *Case) Type() pgtype.Type { return c.T }

// Eval implements Expr.
func (c *Case) Eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	return evalTop(ctx, env, c, batch)
}

func (c *Case) eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	n := int(batch.NumRows())
	all := []Expr{c.Else}
	for _, w := range c.Whens {
		all = append(all, w.Cond, w.Result)
	}
	if exprsConstant(all...) {
		n = 1
	}
	p := newPicker(n)
	defer p.release()
	remaining := allRows(n)
	for _, w := range c.Whens {
		if len(remaining) == 0 {
			break
		}
		cond, err := evalRows(ctx, env, w.Cond, batch, rowsOrNil(remaining, n))
		if err != nil {
			return nil, err
		}
		var taken, rest []int32
		for k, r := range remaining {
			j := k
			if cond.Len() == 1 {
				j = 0
			}
			if isTrue(cond, j) {
				taken = append(taken, r)
			} else {
				rest = append(rest, r)
			}
		}
		cond.Release()
		if len(taken) > 0 {
			v, err := evalRows(ctx, env, w.Result, batch, rowsOrNil(taken, n))
			if err != nil {
				return nil, err
			}
			p.add(v, taken)
		}
		remaining = rest
	}
	if len(remaining) > 0 && c.Else != nil {
		v, err := evalRows(ctx, env, c.Else, batch, rowsOrNil(remaining, n))
		if err != nil {
			return nil, err
		}
		p.add(v, remaining)
	}
	return p.build(ctx, env, c.T)
}

// isTrue reports whether boolean value j of a is TRUE (not NULL).
func isTrue(a arrow.Array, j int) bool {
	if a.DataType().ID() != arrow.BOOL || a.IsNull(j) {
		return false
	}
	bits, off := bitmapOf(a)
	return bitIsSet(bits, off+j)
}

// String implements Expr.
func (c *Case) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	for _, w := range c.Whens {
		b.WriteString(" WHEN " + w.Cond.String() + " THEN " + w.Result.String())
	}
	if c.Else != nil {
		b.WriteString(" ELSE " + c.Else.String())
	}
	b.WriteString(" END")
	return b.String()
}

// Type implements Expr.
func (c *Coalesce) Type() pgtype.Type { return c.T }

// Eval implements Expr.
func (c *Coalesce) Eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	return evalTop(ctx, env, c, batch)
}

func (c *Coalesce) eval(ctx context.Context, env *Env, batch arrow.Record) (arrow.Array, error) {
	n := int(batch.NumRows())
	if exprsConstant(c.Args...) {
		n = 1
	}
	p := newPicker(n)
	defer p.release()
	remaining := allRows(n)
	for _, a := range c.Args {
		if len(remaining) == 0 {
			break
		}
		v, err := evalRows(ctx, env, a, batch, rowsOrNil(remaining, n))
		if err != nil {
			return nil, err
		}
		var taken, rest []int32
		var takenPos []int32
		for k, r := range remaining {
			j := k
			if v.Len() == 1 {
				j = 0
			}
			if v.DataType().ID() != arrow.NULL && v.IsValid(j) {
				taken = append(taken, r)
				takenPos = append(takenPos, int32(j))
			} else {
				rest = append(rest, r)
			}
		}
		if len(taken) == 0 {
			v.Release()
		} else if v.Len() == 1 || len(taken) == len(remaining) {
			p.add(v, taken)
		} else {
			// v has a value per remaining row; keep only the taken ones.
			sub, err := takeArray(ctx, env.Mem, v, takenPos)
			v.Release()
			if err != nil {
				return nil, err
			}
			p.add(sub, taken)
		}
		remaining = rest
	}
	return p.build(ctx, env, c.T)
}

// String implements Expr.
func (c *Coalesce) String() string {
	parts := make([]string, len(c.Args))
	for i, a := range c.Args {
		parts[i] = a.String()
	}
	return "COALESCE(" + strings.Join(parts, ", ") + ")"
}
