package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/scan"
	"github.com/lancegate/lancegate/executor/spec"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/storage/lance"
)

// run executes one fragment over an open dataset. A streaming fragment
// reads its pieces one after another, each through its own scan, filter
// and projection, so that every batch belongs to exactly one piece and a
// piece's rows come out in the same order on every executor. A reducing
// fragment reads all its pieces through one pipeline ending in a partial
// aggregate or a top-k.
//
// run is used by the Flight server and, for fragments no executor can
// take, by the query node itself.
type run struct {
	ds      *lance.Dataset
	indexes *indexCache
	frag    *spec.Fragment
	mem     memory.Allocator
	env     *expr.Env
	dec     *spec.Decoder
	cols    []int
	start   time.Time
	stats   spec.Stats
	// rowsRead counts the rows the sources produced.
	rowsRead atomic.Int64

	filter  expr.Expr
	project []expr.Expr

	op    executor.Operator // the current pipeline
	piece int               // index of the piece op reads (streaming)
	skip  int64             // rows of the current piece still to skip
	done  bool
}

// startRun decodes the fragment's expressions and opens its first
// pipeline. Errors carry SQLSTATEs where the client should see them.
func startRun(ctx context.Context, ds *lance.Dataset, indexes *indexCache, frag *spec.Fragment, mem memory.Allocator) (_ *run, err error) {
	r := &run{ds: ds, indexes: indexes, frag: frag, mem: mem, start: time.Now(), stats: spec.Stats{Pieces: len(frag.Pieces)}}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	schema := ds.Schema()
	for _, name := range frag.Columns {
		i := schema.Index(name)
		if i < 0 {
			return nil, sqlstate.New(sqlstate.UndefinedColumn, "column %q does not exist in %s", name, frag.Table)
		}
		r.cols = append(r.cols, i)
	}
	if r.dec, err = spec.NewDecoder(frag.Consts, mem); err != nil {
		return nil, err
	}
	if frag.Env != nil {
		if r.env, err = frag.Env.Decode(mem); err != nil {
			return nil, err
		}
	} else {
		r.env = &expr.Env{Mem: mem}
	}
	if frag.Filter != nil {
		if r.filter, err = r.dec.Expr(frag.Filter); err != nil {
			return nil, err
		}
	}
	for _, e := range frag.Project {
		x, err := r.dec.Expr(e)
		if err != nil {
			return nil, err
		}
		r.project = append(r.project, x)
	}
	if frag.Streaming() {
		r.skip = frag.Pieces[0].Skip
		r.op, err = r.pipeline([]uint64{frag.Pieces[0].ID})
		return r, err
	}
	var src executor.Operator
	if frag.ANN != nil {
		src, err = r.annSource(ctx)
	} else {
		ids := make([]uint64, len(frag.Pieces))
		for i, p := range frag.Pieces {
			ids[i] = p.ID
		}
		src, err = scan.NewLance(ds, lance.ScanOptions{Columns: r.cols, Fragments: ids, Mem: mem})
	}
	if err != nil {
		return nil, err
	}
	in, err := r.over(src)
	if err != nil {
		return nil, err
	}
	r.op, err = r.reduce(in)
	return r, err
}

// pipeline opens scan → filter → project over the given fragments.
func (r *run) pipeline(ids []uint64) (executor.Operator, error) {
	sc, err := scan.NewLance(r.ds, lance.ScanOptions{Columns: r.cols, Fragments: ids, Mem: r.mem})
	if err != nil {
		return nil, err
	}
	return r.over(sc)
}

// over puts the fragment's filter and projection over a source of rows.
func (r *run) over(src executor.Operator) (executor.Operator, error) {
	var err error
	var op executor.Operator = &counted{Operator: src, rows: &r.rowsRead}
	if r.filter != nil {
		if op, err = executor.NewFilter(r.env, op, executor.FilterConfig{Pred: r.filter}); err != nil {
			return nil, err
		}
	}
	if r.project != nil {
		if op, err = executor.NewProject(r.env, op, executor.ProjectConfig{Exprs: r.project, Names: r.frag.Names}); err != nil {
			return nil, err
		}
	}
	return op, nil
}

// reduce puts the fragment's partial aggregate or top-k over in.
func (r *run) reduce(in executor.Operator) (executor.Operator, error) {
	if a := r.frag.Agg; a != nil {
		groups := make([]expr.Expr, len(a.GroupBy))
		for i, g := range a.GroupBy {
			x, err := r.dec.Expr(g)
			if err != nil {
				in.Close()
				return nil, err
			}
			groups[i] = x
		}
		calls := make([]expr.AggCall, len(a.Aggs))
		for i, c := range a.Aggs {
			x, err := r.dec.AggCall(c)
			if err != nil {
				in.Close()
				return nil, err
			}
			calls[i] = x
		}
		return executor.NewHashAggregate(r.env, in, executor.HashAggregateConfig{GroupBy: groups, Aggs: calls, Names: a.Names, Mode: executor.AggPartial})
	}
	keys, err := r.sortKeys()
	if err != nil {
		in.Close()
		return nil, err
	}
	return executor.NewTopK(r.env, in, executor.TopKConfig{Keys: keys, Limit: r.frag.TopK.Limit})
}

// sortKeys decodes the fragment's top-k keys.
func (r *run) sortKeys() ([]executor.SortKey, error) {
	t := r.frag.TopK
	keys := make([]executor.SortKey, len(t.Keys))
	for i, k := range t.Keys {
		x, err := r.dec.Expr(k.Expr)
		if err != nil {
			return nil, err
		}
		keys[i] = executor.SortKey{Expr: x, Desc: k.Desc, Nulls: executor.NullsLast}
		if k.NullsFirst {
			keys[i].Nulls = executor.NullsFirst
		}
	}
	return keys, nil
}

// Schema is the schema of every output batch.
func (r *run) Schema() *arrow.Schema { return r.op.Schema() }

// Next returns the next output batch and the index of its piece (0 for
// a reducing fragment), or io.EOF.
func (r *run) Next(ctx context.Context) (int, arrow.Record, error) {
	for !r.done {
		rec, err := r.op.Next(ctx)
		if errors.Is(err, io.EOF) {
			if !r.frag.Streaming() || r.piece+1 == len(r.frag.Pieces) {
				r.done = true
				break
			}
			r.op.Close()
			r.op = nil
			r.piece++
			p := r.frag.Pieces[r.piece]
			r.skip = p.Skip
			if r.op, err = r.pipeline([]uint64{p.ID}); err != nil {
				return 0, nil, err
			}
			continue
		}
		if err != nil {
			return 0, nil, err
		}
		if r.skip > 0 {
			n := rec.NumRows()
			if n <= r.skip {
				r.skip -= n
				rec.Release()
				continue
			}
			sliced := rec.NewSlice(r.skip, n)
			rec.Release()
			rec, r.skip = sliced, 0
		}
		r.stats.Rows += rec.NumRows()
		r.stats.Batches++
		return r.piece, rec, nil
	}
	return 0, nil, io.EOF
}

// Stats returns the run's measurements so far.
func (r *run) Stats() spec.Stats {
	s := r.stats
	s.RowsRead = r.rowsRead.Load()
	s.Elapsed = time.Since(r.start)
	return s
}

// Close releases the pipeline and the decoded constants.
func (r *run) Close() {
	if r.op != nil {
		r.op.Close()
		r.op = nil
	}
	if r.dec != nil {
		r.dec.Close()
		r.dec = nil
	}
}

// counted counts the rows an operator produces (atomically: heartbeats
// report the count from another goroutine).
type counted struct {
	executor.Operator
	rows *atomic.Int64
}

func (c *counted) Next(ctx context.Context) (arrow.Record, error) {
	rec, err := c.Operator.Next(ctx)
	if err == nil {
		c.rows.Add(rec.NumRows())
	}
	return rec, err
}

// Progress is the rows the run has read so far; safe to call while Next
// runs in another goroutine.
func (r *run) Progress() int64 { return r.rowsRead.Load() }

func (r *run) String() string {
	return fmt.Sprintf("fragment %s pieces=%d", r.frag.Table, len(r.frag.Pieces))
}
