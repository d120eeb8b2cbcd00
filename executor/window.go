package executor

import (
	"bytes"
	"context"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/executor/expr"
)

// WindowFunc is a ranking window function.
type WindowFunc int

// The window functions Window computes.
const (
	// RowNumber numbers the rows of each partition from 1.
	RowNumber WindowFunc = iota
	// Rank is the row number of the first peer (rows with equal ORDER BY
	// keys), with gaps.
	Rank
	// DenseRank counts peer groups, without gaps.
	DenseRank
)

// WindowConfig configures a Window: one window (PARTITION BY and ORDER BY)
// and the functions computed over it.
type WindowConfig struct {
	Partition []expr.Expr
	Order     []SortKey
	Funcs     []WindowFunc
	// Names are the output names of Funcs' columns.
	Names []string
}

// Window computes ranking window functions. It sorts its input by the
// partition keys, then the ORDER BY keys, and streams the sorted rows with
// one bigint column per function appended; partition and peer boundaries
// are found by comparing each row's encoded keys with the previous row's,
// across batches.
type Window struct {
	env    *expr.Env
	in     Operator
	cfg    WindowConfig
	schema *arrow.Schema
	// prevPart and prevOrder are the previous row's encoded keys.
	prevPart, prevOrder []byte
	started             bool
	// rowNum, rank and dense are the counters of the current partition.
	rowNum, rank, dense int64
}

var _ Operator = (*Window)(nil)

// NewWindow returns a Window over in, taking ownership of in.
func NewWindow(env *expr.Env, in Operator, cfg WindowConfig) (*Window, error) {
	keys := make([]SortKey, 0, len(cfg.Partition)+len(cfg.Order))
	for _, p := range cfg.Partition {
		keys = append(keys, SortKey{Expr: p})
	}
	keys = append(keys, cfg.Order...)
	src := in
	if len(keys) > 0 {
		s, err := NewSort(env, in, SortConfig{Keys: keys})
		if err != nil {
			return nil, err
		}
		src = s
	}
	fields := append([]arrow.Field(nil), in.Schema().Fields()...)
	for i := range cfg.Funcs {
		fields = append(fields, arrow.Field{Name: cfg.Names[i], Type: arrow.PrimitiveTypes.Int64})
	}
	return &Window{env: env, in: src, cfg: cfg, schema: arrow.NewSchema(fields, nil)}, nil
}

// Schema implements Operator.
func (w *Window) Schema() *arrow.Schema { return w.schema }

// Next implements Operator.
func (w *Window) Next(ctx context.Context) (arrow.Record, error) {
	rec, err := w.in.Next(ctx)
	if err != nil {
		return nil, err
	}
	defer rec.Release()
	n := int(rec.NumRows())
	part, err := w.encoder(ctx, rec, w.partitionKeys())
	if err != nil {
		return nil, err
	}
	defer part.release()
	order, err := w.encoder(ctx, rec, w.cfg.Order)
	if err != nil {
		return nil, err
	}
	defer order.release()
	outs := make([][]int64, len(w.cfg.Funcs))
	for i := range outs {
		outs[i] = make([]int64, n)
	}
	var pk, ok []byte
	for i := 0; i < n; i++ {
		pk, ok = part.row(pk[:0], i), order.row(ok[:0], i)
		switch {
		case !w.started || !bytes.Equal(pk, w.prevPart):
			w.rowNum, w.rank, w.dense = 1, 1, 1
		case !bytes.Equal(ok, w.prevOrder):
			w.rowNum++
			w.rank, w.dense = w.rowNum, w.dense+1
		default:
			w.rowNum++
		}
		w.started = true
		w.prevPart = append(w.prevPart[:0], pk...)
		w.prevOrder = append(w.prevOrder[:0], ok...)
		for f, fn := range w.cfg.Funcs {
			switch fn {
			case RowNumber:
				outs[f][i] = w.rowNum
			case Rank:
				outs[f][i] = w.rank
			case DenseRank:
				outs[f][i] = w.dense
			}
		}
	}
	cols := make([]arrow.Array, 0, len(w.schema.Fields()))
	for i := 0; i < int(rec.NumCols()); i++ {
		cols = append(cols, rec.Column(i))
	}
	var made []arrow.Array
	for _, o := range outs {
		b := array.NewInt64Builder(w.env.Mem)
		b.AppendValues(o, nil)
		a := b.NewArray()
		b.Release()
		made = append(made, a)
		cols = append(cols, a)
	}
	out := array.NewRecord(w.schema, cols, int64(n))
	for _, a := range made {
		a.Release()
	}
	return out, nil
}

func (w *Window) partitionKeys() []SortKey {
	keys := make([]SortKey, len(w.cfg.Partition))
	for i, p := range w.cfg.Partition {
		keys[i] = SortKey{Expr: p}
	}
	return keys
}

// rowKeys encodes one batch's rows under some keys.
type rowKeys struct {
	enc  *keyEncoder
	cols []arrow.Array
}

func (r rowKeys) row(dst []byte, i int) []byte {
	if r.enc == nil {
		return dst
	}
	return r.enc.appendRow(dst, i)
}

func (r rowKeys) release() {
	for _, c := range r.cols {
		c.Release()
	}
}

func (w *Window) encoder(ctx context.Context, rec arrow.Record, keys []SortKey) (rowKeys, error) {
	if len(keys) == 0 {
		return rowKeys{}, nil
	}
	r := rowKeys{}
	for _, k := range keys {
		c, err := k.Expr.Eval(ctx, w.env, rec)
		if err != nil {
			r.release()
			return rowKeys{}, err
		}
		r.cols = append(r.cols, c)
	}
	enc, err := newKeyEncoder(keys, r.cols)
	if err != nil {
		r.release()
		return rowKeys{}, err
	}
	r.enc = enc
	return r, nil
}

// Close implements Operator.
func (w *Window) Close() { w.in.Close() }
