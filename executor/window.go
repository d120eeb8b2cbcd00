package executor

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
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

// WindowFrame is the frame of an aggregate over a window: the rows of the
// current row's partition it aggregates.
type WindowFrame int

const (
	// FramePartition is every row of the partition: a window without
	// ORDER BY, or BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING.
	FramePartition WindowFrame = iota
	// FrameRange is from the partition's first row to the current row's
	// last peer: RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW, the
	// default of a window with ORDER BY.
	FrameRange
	// FrameRows is from the partition's first row to the current row:
	// ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW.
	FrameRows
)

// WindowAggregate is an aggregate function over a window.
type WindowAggregate struct {
	// Call is the aggregate; Distinct is not allowed, Filter is.
	Call  expr.AggCall
	Frame WindowFrame
}

// WindowValueKind is a window function that is not an aggregate nor a
// ranking counter: it picks a row of the partition, or measures the
// current row's place in it.
type WindowValueKind int

const (
	// Lag is Arg at Offset rows before the current row, else Default.
	Lag WindowValueKind = iota
	// Lead is Arg at Offset rows after the current row, else Default.
	Lead
	// FirstValue is Arg at the frame's first row.
	FirstValue
	// LastValue is Arg at the frame's last row.
	LastValue
	// NTile is the bucket (1 to Offset) of the current row when the
	// partition is cut into Offset buckets as even as can be.
	NTile
	// PercentRank is (rank - 1) / (rows - 1), 0 for a partition of one row.
	PercentRank
	// CumeDist is the share of the partition's rows up to the current
	// row's last peer.
	CumeDist
)

// WindowValue is one window-only function.
type WindowValue struct {
	Kind WindowValueKind
	// Arg is the value picked (Lag, Lead, FirstValue, LastValue).
	Arg expr.Expr
	// Offset is Lag's and Lead's distance (1 by default) and NTile's
	// bucket count (positive).
	Offset int64
	// Default replaces Lag's and Lead's value past the partition (nil:
	// NULL); it has Arg's type and is evaluated for the current row.
	Default expr.Expr
	// Frame bounds FirstValue and LastValue.
	Frame WindowFrame
	// Result is the output type: Arg's, bigint (NTile) or double
	// precision (PercentRank, CumeDist).
	Result pgtype.Type
}

// WindowConfig configures a Window: one window (PARTITION BY and ORDER BY)
// and the functions computed over it.
type WindowConfig struct {
	Partition []expr.Expr
	Order     []SortKey
	Funcs     []WindowFunc
	Aggs      []WindowAggregate
	Values    []WindowValue
	// Names are the output names of Funcs' columns, then Aggs', then
	// Values'.
	Names []string
}

// Window computes window functions. It sorts its input by the partition
// keys, then the ORDER BY keys, and appends one column per function;
// partition and peer boundaries are found by comparing each row's encoded
// keys with the previous row's. With ranking functions only it streams,
// across batches; with aggregates it first reads the whole sorted input
// (a frame reaches forward to the current row's last peer, or to the
// partition's end), then yields it in batches. A running frame asks its
// aggregate for a result once per peer group (per row with ROWS).
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

	// With aggregates: the whole output and the next row to yield.
	out  arrow.Record
	pos  int64
	done bool
	skip []uint32
}

var _ Operator = (*Window)(nil)

// NewWindow returns a Window over in, taking ownership of in.
func NewWindow(env *expr.Env, in Operator, cfg WindowConfig) (*Window, error) {
	keys := make([]SortKey, 0, len(cfg.Partition)+len(cfg.Order))
	for _, p := range cfg.Partition {
		keys = append(keys, SortKey{Expr: p})
	}
	keys = append(keys, cfg.Order...)
	fields := append([]arrow.Field(nil), in.Schema().Fields()...)
	if len(cfg.Names) != len(cfg.Funcs)+len(cfg.Aggs)+len(cfg.Values) {
		in.Close()
		return nil, errf("window: %d names for %d functions", len(cfg.Names), len(cfg.Funcs)+len(cfg.Aggs)+len(cfg.Values))
	}
	for i := range cfg.Funcs {
		fields = append(fields, arrow.Field{Name: cfg.Names[i], Type: arrow.PrimitiveTypes.Int64, Nullable: true})
	}
	for i, a := range cfg.Aggs {
		if a.Call.Distinct {
			in.Close()
			return nil, sqlstate.New(sqlstate.FeatureNotSupported, "DISTINCT is not implemented for window functions")
		}
		f, err := pgtype.Field(cfg.Names[len(cfg.Funcs)+i], a.Call.Agg.Result, true)
		if err != nil {
			in.Close()
			return nil, sqlstate.Wrap(err, sqlstate.FeatureNotSupported, "")
		}
		fields = append(fields, f)
	}
	for i, v := range cfg.Values {
		f, err := pgtype.Field(cfg.Names[len(cfg.Funcs)+len(cfg.Aggs)+i], v.Result, true)
		if err != nil {
			in.Close()
			return nil, sqlstate.Wrap(err, sqlstate.FeatureNotSupported, "")
		}
		fields = append(fields, f)
	}
	src := in
	if len(keys) > 0 {
		s, err := NewSort(env, in, SortConfig{Keys: keys})
		if err != nil {
			return nil, err
		}
		src = s
	}
	return &Window{env: env, in: src, cfg: cfg, schema: arrow.NewSchema(fields, nil)}, nil
}

// Schema implements Operator.
func (w *Window) Schema() *arrow.Schema { return w.schema }

// Next implements Operator.
func (w *Window) Next(ctx context.Context) (arrow.Record, error) {
	if len(w.cfg.Aggs) > 0 || len(w.cfg.Values) > 0 {
		return w.nextMaterialized(ctx)
	}
	rec, err := w.in.Next(ctx)
	if err != nil {
		return nil, err
	}
	defer rec.Release()
	cols, err := w.ranking(ctx, rec)
	if err != nil {
		return nil, err
	}
	defer releaseAll(cols)
	return w.withColumns(rec, cols), nil
}

// withColumns returns rec with cols appended, in w's schema.
func (w *Window) withColumns(rec arrow.Record, cols []arrow.Array) arrow.Record {
	all := make([]arrow.Array, 0, len(w.schema.Fields()))
	for i := 0; i < int(rec.NumCols()); i++ {
		all = append(all, rec.Column(i))
	}
	all = append(all, cols...)
	return array.NewRecord(w.schema, all, rec.NumRows())
}

// ranking computes the ranking functions' columns of rec, the next rows
// of the sorted input, carrying the counters over from the previous rows.
func (w *Window) ranking(ctx context.Context, rec arrow.Record) ([]arrow.Array, error) {
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
	cols := make([]arrow.Array, 0, len(outs))
	for _, o := range outs {
		b := array.NewInt64Builder(w.env.Mem)
		b.AppendValues(o, nil)
		cols = append(cols, b.NewArray())
		b.Release()
	}
	return cols, nil
}

// nextMaterialized yields the next batch of the whole output, computing
// it at the first call.
func (w *Window) nextMaterialized(ctx context.Context) (arrow.Record, error) {
	if w.out == nil && !w.done {
		w.done = true
		out, err := w.materialize(ctx)
		if err != nil {
			return nil, err
		}
		w.out = out
	}
	if w.out == nil || w.pos >= w.out.NumRows() {
		return nil, io.EOF
	}
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	end := min(w.pos+BatchSize, w.out.NumRows())
	rec := w.out.NewSlice(w.pos, end)
	w.pos = end
	return rec, nil
}

// materialize reads the sorted input and computes every function's
// column over it; nil when the input has no rows.
func (w *Window) materialize(ctx context.Context) (arrow.Record, error) {
	var recs []arrow.Record
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	for {
		rec, err := w.in.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	if len(recs) == 0 {
		return nil, nil
	}
	all, err := concatRecords(w.env.Mem, w.in.Schema(), recs)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	cols, err := w.ranking(ctx, all)
	if err != nil {
		return nil, err
	}
	defer func() { releaseAll(cols) }()
	part, peer, err := w.bounds(ctx, all)
	if err != nil {
		return nil, err
	}
	for i := range w.cfg.Aggs {
		c, err := w.aggregate(ctx, all, &w.cfg.Aggs[i], part, peer)
		if err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	for i := range w.cfg.Values {
		c, err := w.value(ctx, all, &w.cfg.Values[i], part, peer)
		if err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return w.withColumns(all, cols), nil
}

// frames returns, per row, its partition's first row and the last row of
// its frame, and its partition's end (exclusive).
func frames(part []int32, peer []bool, frame WindowFrame) (first, last, end []int32) {
	n := len(part)
	first, last, end = make([]int32, n), make([]int32, n), make([]int32, n)
	for i := 0; i < n; {
		j := i + 1
		for j < n && part[j] == part[i] {
			j++
		}
		for k := i; k < j; k++ {
			first[k], end[k] = int32(i), int32(j)
		}
		// The last row of each row's frame, walking back from the end.
		peerEnd := int32(j - 1)
		for k := j - 1; k >= i; k-- {
			switch frame {
			case FramePartition:
				last[k] = int32(j - 1)
			case FrameRows:
				last[k] = int32(k)
			case FrameRange:
				last[k] = peerEnd
				if peer[k] {
					peerEnd = int32(k - 1)
				}
			}
		}
		i = j
	}
	return first, last, end
}

// value computes one window-only function's column over rec, the whole
// sorted input.
func (w *Window) value(ctx context.Context, rec arrow.Record, v *WindowValue, part []int32, peer []bool) (arrow.Array, error) {
	n := len(part)
	first, last, end := frames(part, peer, v.Frame)
	switch v.Kind {
	case NTile, PercentRank, CumeDist:
		_, peerLast, _ := frames(part, peer, FrameRange)
		ints, floats := make([]int64, n), make([]float64, n)
		rank := int32(0)
		for i := 0; i < n; i++ {
			size := int64(end[i] - first[i])
			pos := int64(int32(i) - first[i]) // 0-based row number
			if peer[i] {
				rank = int32(i)
			}
			switch v.Kind {
			case NTile:
				// The first size % buckets buckets have one row more (with
				// fewer rows than buckets, q is 0 and every row is in
				// the first part).
				q, r := size/v.Offset, size%v.Offset
				if pos < r*(q+1) {
					ints[i] = pos/(q+1) + 1
				} else {
					ints[i] = r + (pos-r*(q+1))/q + 1
				}
			case PercentRank:
				if size > 1 {
					floats[i] = float64(rank-first[i]) / float64(size-1)
				}
			case CumeDist:
				floats[i] = float64(peerLast[i]-first[i]+1) / float64(size)
			}
		}
		if v.Kind == NTile {
			b := array.NewInt64Builder(w.env.Mem)
			defer b.Release()
			b.AppendValues(ints, nil)
			return b.NewArray(), nil
		}
		b := array.NewFloat64Builder(w.env.Mem)
		defer b.Release()
		b.AppendValues(floats, nil)
		return b.NewArray(), nil
	}
	arg, err := v.Arg.Eval(ctx, w.env, rec)
	if err != nil {
		return nil, err
	}
	defer arg.Release()
	idx := make([]int32, n)
	src := arg
	for i := range idx {
		switch v.Kind {
		case FirstValue:
			idx[i] = first[i]
		case LastValue:
			idx[i] = last[i]
		case Lag, Lead:
			j := int64(i) - v.Offset
			if v.Kind == Lead {
				j = int64(i) + v.Offset
			}
			idx[i] = int32(j)
			if j < int64(first[i]) || j >= int64(end[i]) {
				idx[i] = -1 // past the partition: NULL, or the default
				if v.Default != nil {
					idx[i] = int32(n + i)
				}
			}
		}
	}
	if v.Default != nil && (v.Kind == Lag || v.Kind == Lead) {
		def, err := v.Default.Eval(ctx, w.env, rec)
		if err != nil {
			return nil, err
		}
		both, err := array.Concatenate([]arrow.Array{arg, def}, w.env.Mem)
		def.Release()
		if err != nil {
			return nil, sqlstate.Wrap(err, sqlstate.InternalError, "")
		}
		defer both.Release()
		src = both
	}
	return gather(ctx, w.env.Mem, src, idx)
}

// bounds returns each row's partition number and whether it starts a
// peer group (a partition's first row always does).
func (w *Window) bounds(ctx context.Context, rec arrow.Record) ([]int32, []bool, error) {
	n := int(rec.NumRows())
	pkeys, err := w.encoder(ctx, rec, w.partitionKeys())
	if err != nil {
		return nil, nil, err
	}
	defer pkeys.release()
	okeys, err := w.encoder(ctx, rec, w.cfg.Order)
	if err != nil {
		return nil, nil, err
	}
	defer okeys.release()
	part, peer := make([]int32, n), make([]bool, n)
	var pk, ok, prevP, prevO []byte
	p := int32(-1)
	for i := 0; i < n; i++ {
		pk, ok = pkeys.row(pk[:0], i), okeys.row(ok[:0], i)
		switch {
		case i == 0 || !bytes.Equal(pk, prevP):
			p++
			peer[i] = true
		case !bytes.Equal(ok, prevO):
			peer[i] = true
		}
		part[i] = p
		prevP, prevO = append(prevP[:0], pk...), append(prevO[:0], ok...)
	}
	return part, peer, nil
}

// aggregate computes one aggregate's column over rec, the whole sorted
// input.
func (w *Window) aggregate(ctx context.Context, rec arrow.Record, a *WindowAggregate, part []int32, peer []bool) (arrow.Array, error) {
	n := len(part)
	args, err := evalAll(ctx, w.env, a.Call.Args, rec)
	if err != nil {
		return nil, err
	}
	defer releaseAll(args)
	groups := make([]uint32, n)
	if a.Frame == FramePartition {
		for i, p := range part {
			groups[i] = uint32(p)
		}
	}
	if a.Call.Filter != nil {
		if groups, err = filterGroups(ctx, w.env, a.Call.Filter, rec, groups, &w.skip); err != nil {
			return nil, err
		}
	}
	if a.Frame == FramePartition {
		acc, err := a.Call.NewAccumulator()
		if err != nil {
			return nil, err
		}
		acc.Grow(int(part[n-1]) + 1)
		if err := acc.Update(n, args, groups); err != nil {
			return nil, err
		}
		res, err := acc.Result(w.env.Mem)
		if err != nil {
			return nil, err
		}
		defer res.Release()
		return gather(ctx, w.env.Mem, res, part)
	}
	// A running frame: one result per step (a peer group, or a row).
	var results []arrow.Array
	defer func() { releaseAll(results) }()
	idx := make([]int32, n)
	var acc expr.Accumulator
	for i := 0; i < n; {
		if err := checkCtx(ctx); err != nil {
			return nil, err
		}
		if i == 0 || part[i] != part[i-1] {
			if acc, err = a.Call.NewAccumulator(); err != nil {
				return nil, err
			}
			acc.Grow(1)
		}
		j := i + 1
		if a.Frame == FrameRange {
			for j < n && !peer[j] {
				j++
			}
		}
		step := make([]arrow.Array, len(args))
		for k, arg := range args {
			step[k] = array.NewSlice(arg, int64(i), int64(j))
		}
		err := acc.Update(j-i, step, groups[i:j])
		releaseAll(step)
		if err != nil {
			return nil, err
		}
		r, err := acc.Result(w.env.Mem)
		if err != nil {
			return nil, err
		}
		results = append(results, r)
		for k := i; k < j; k++ {
			idx[k] = int32(len(results) - 1)
		}
		i = j
	}
	all, err := array.Concatenate(results, w.env.Mem)
	if err != nil {
		return nil, sqlstate.Wrap(err, sqlstate.InternalError, "")
	}
	defer all.Release()
	return gather(ctx, w.env.Mem, all, idx)
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
func (w *Window) Close() {
	w.in.Close()
	if w.out != nil {
		w.out.Release()
		w.out = nil
	}
}
