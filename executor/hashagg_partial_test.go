package executor_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/ipc"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/exectest"
	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// The columns of the split-aggregation table: two grouping columns, then
// one column per argument type.
var (
	bpchar     = pgtype.Type{OID: pgtype.OIDBpchar, Mod: -1}
	splitNames = []string{"g1", "g2", "i2", "i4", "i8", "f4", "f8", "n3", "n", "t", "d", "ts", "tz", "v", "b", "o", "c", "nul"}
	splitTypes = []pgtype.Type{i4, txt, pgtype.Int2, i4, i8, pgtype.Float4, f8, pgtype.NumericOf(20, 3), num,
		txt, pgtype.Date, pgtype.Timestamp, pgtype.TimestampTZ, pgtype.VectorOf(3), bln, pgtype.OID, bpchar, i4}
)

// splitRows returns n random rows of splitTypes: NULL-heavy columns,
// integers next to their type's limits, numerics of two scales, floats
// with NaN and infinities (dyadic, so that sums are exact in any order),
// and a g1 group (9) whose values are all NULL.
func splitRows(r *rand.Rand, n int) [][]any {
	pick := func(vs ...any) any { return vs[r.IntN(len(vs))] }
	rows := make([][]any, n)
	for i := range rows {
		row := make([]any, len(splitTypes))
		if r.IntN(8) > 0 {
			row[0] = int64(r.IntN(10))
		}
		if r.IntN(6) > 0 {
			row[1] = pick("a", "b", "", "é")
		}
		row[2] = pick(int64(math.MaxInt16), int64(math.MinInt16), int64(r.IntN(200)-100))
		row[3] = pick(int64(math.MaxInt32), int64(math.MinInt32+1), int64(r.IntN(2000)-1000))
		row[4] = pick(int64(math.MaxInt64), int64(math.MaxInt64-1), int64(math.MinInt64), int64(r.IntN(2000)-1000))
		row[5] = float64(r.IntN(400)-200) / 4
		switch x := r.IntN(60); {
		case x == 0:
			row[6] = math.NaN()
		case x == 1:
			row[6] = math.Inf(1)
		case x == 2:
			row[6] = math.Copysign(0, -1)
		default:
			row[6] = float64(r.IntN(4000)-2000) / 8
		}
		row[7] = fmt.Sprintf("%d.%03d", r.IntN(2000000)-1000000, r.IntN(1000))
		row[8] = pick("9999999999.0000000000000001", "-0.0000000000000001",
			fmt.Sprintf("%d.%016d", r.IntN(1000)-500, r.Int64N(1e16)))
		b := make([]byte, r.IntN(4))
		for j := range b {
			b[j] = "aAb\x00zé"[r.IntN(6)]
		}
		row[9] = string(b)
		row[10] = int64(r.IntN(40000) - 20000)
		row[11] = r.Int64N(1<<50) - 1<<49
		row[12] = r.Int64N(1<<50) - 1<<49
		row[13] = []float32{float32(r.IntN(64)) / 4, -float32(r.IntN(64)) / 8, 1e30}
		row[14] = r.IntN(5) > 0
		row[15] = pick(int64(0), int64(math.MaxUint32), int64(r.IntN(100000)))
		row[16] = pick("x  ", "y", "", "xx")
		for c := 2; c < len(row); c++ {
			if r.IntN(5) < 2 || row[0] == int64(9) || c == len(row)-1 {
				row[c] = nil
			}
		}
		rows[i] = row
	}
	return rows
}

// splitCalls returns every registered aggregate (each signature, count of
// several types) over the split table's columns, some with FILTER.
func splitCalls(t testing.TB) []expr.AggCall {
	c := func(i int) expr.Expr { return col(i, splitTypes[i]) }
	calls := []expr.AggCall{agg(t, "count", false)}
	for _, i := range []int{3, 6, 9, 13, 14, 17} {
		calls = append(calls, agg(t, "count", false, c(i)))
	}
	for _, i := range []int{2, 3, 4, 5, 6, 7, 8, 13, 17} {
		calls = append(calls, agg(t, "sum", false, c(i)), agg(t, "avg", false, c(i)))
	}
	for _, i := range []int{2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 16, 17} {
		calls = append(calls, agg(t, "min", false, c(i)), agg(t, "max", false, c(i)))
	}
	for _, name := range []string{"bool_and", "every", "bool_or"} {
		calls = append(calls, agg(t, name, false, c(14)))
	}
	filtered := []expr.AggCall{agg(t, "count", false), agg(t, "sum", false, c(4)), agg(t, "avg", false, c(7)), agg(t, "max", false, c(9))}
	for _, f := range filtered {
		f.Filter = fn(t, ">", c(3), constant(i4, 0))
		calls = append(calls, f)
	}
	return calls
}

// batchesOf cuts rows into batches of random sizes, as column values.
func batchesOf(r *rand.Rand, rows [][]any, ncols int) [][][]any {
	var out [][][]any
	for start := 0; start < len(rows); {
		size := min(len(rows)-start, 1+r.IntN(700))
		cols := make([][]any, ncols)
		for _, row := range rows[start : start+size] {
			for c := range cols {
				cols[c] = append(cols[c], row[c])
			}
		}
		out = append(out, cols)
		start += size
	}
	return out
}

// runAggregate runs a HashAggregate to the end and returns its batches
// (the caller releases them), its schema, and the error of the run.
func runAggregate(env *expr.Env, in executor.Operator, cfg executor.HashAggregateConfig) ([]arrow.Record, *arrow.Schema, error) {
	h, err := executor.NewHashAggregate(env, in, cfg)
	if err != nil {
		return nil, nil, err
	}
	defer h.Close()
	recs, err := exectest.Drain(context.Background(), h)
	if err != nil {
		exectest.Release(recs)
		return nil, nil, err
	}
	return recs, h.Schema(), nil
}

// finalConfig is the AggFinal configuration over partial outputs of cfg.
func finalConfig(cfg executor.HashAggregateConfig) executor.HashAggregateConfig {
	fin := executor.HashAggregateConfig{Names: cfg.Names, Mode: executor.AggFinal}
	for i, g := range cfg.GroupBy {
		fin.GroupBy = append(fin.GroupBy, col(i, g.Type()))
	}
	for i, c := range cfg.Aggs {
		fin.Aggs = append(fin.Aggs, expr.AggCall{Agg: c.Agg, Args: []expr.Expr{col(len(cfg.GroupBy)+i, c.Agg.Result)}})
	}
	return fin
}

// splitRun aggregates rows split into k parts by partial aggregations
// merged by a final one, with the partial outputs in shuffled order. It
// returns the final rows, or the first error.
func splitRun(t *testing.T, env *expr.Env, r *rand.Rand, rows [][]any, k int, cfg executor.HashAggregateConfig) ([][]any, *arrow.Schema, error) {
	t.Helper()
	parts := make([][][]any, k)
	for _, row := range rows {
		p := r.IntN(k)
		parts[p] = append(parts[p], row)
	}
	part := cfg
	part.Mode = executor.AggPartial
	var states []arrow.Record
	defer func() { exectest.Release(states) }()
	var pschema *arrow.Schema
	for _, p := range parts {
		recs, s, err := runAggregate(env, source(env, splitNames, splitTypes, batchesOf(r, p, len(splitTypes))...), part)
		if err != nil {
			return nil, nil, err
		}
		if pschema != nil && !pschema.Equal(s) {
			t.Fatalf("partial schemas differ: %s and %s", pschema, s)
		}
		pschema = s
		if len(cfg.GroupBy) == 0 {
			var rows int64
			for _, rec := range recs {
				rows += rec.NumRows()
			}
			if rows != 1 {
				t.Fatalf("partial aggregation without GROUP BY over %d rows gave %d rows; want 1", len(p), rows)
			}
		}
		for _, rec := range recs {
			// Cut batches in two now and then, to merge sliced states.
			if n := rec.NumRows(); n > 1 && r.IntN(2) == 0 {
				cut := 1 + r.Int64N(n-1)
				states = append(states, rec.NewSlice(0, cut), rec.NewSlice(cut, n))
				rec.Release()
				continue
			}
			states = append(states, rec)
		}
	}
	for i, f := range pschema.Fields()[len(cfg.GroupBy):] {
		if want := cfg.Aggs[i].Agg.StateType(); !arrow.TypeEqual(f.Type, want) {
			t.Fatalf("partial state column of %s has type %s; want %s", cfg.Aggs[i].String(), f.Type, want)
		}
	}
	r.Shuffle(len(states), func(i, j int) { states[i], states[j] = states[j], states[i] })
	src := exectest.NewSource(pschema, states...)
	recs, s, err := runAggregate(env, src, finalConfig(cfg))
	if err != nil {
		return nil, nil, err
	}
	defer exectest.Release(recs)
	return exectest.Rows(recs), s, nil
}

// sortRows orders rows by their first nk columns.
func sortRows(rows [][]any, nk int) {
	slices.SortFunc(rows, func(a, b []any) int { return strings.Compare(groupKey(a[:nk]), groupKey(b[:nk])) })
}

// sameValue compares aggregate results: exactly, but for float sums and
// averages within a relative tolerance.
func sameValue(got, want any) bool {
	switch w := want.(type) {
	case float64:
		g, ok := got.(float64)
		return ok && (g == w || math.IsNaN(g) && math.IsNaN(w) || math.Abs(g-w) <= 1e-6*math.Abs(w))
	case []float32:
		g, ok := got.([]float32)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !sameValue(float64(g[i]), float64(w[i])) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(got, want)
}

// TestPartialFinalAgainstComplete: for every aggregate over many types,
// with and without GROUP BY, partial aggregations over k parts of the
// input merged by a final one give what a complete aggregation gives.
func TestPartialFinalAgainstComplete(t *testing.T) {
	env := newEnv(t)
	calls := splitCalls(t)
	for _, groupCols := range [][]int{{}, {0}, {1}, {0, 1}} {
		for _, n := range []int{0, 1, 2500} {
			for _, k := range []int{1, 2, 3, 7} {
				t.Run(fmt.Sprintf("group%v/rows%d/k%d", groupCols, n, k), func(t *testing.T) {
					r := rand.New(rand.NewPCG(uint64(n*10+k), uint64(len(groupCols))))
					rows := splitRows(r, n)
					cfg := executor.HashAggregateConfig{Aggs: calls}
					for _, c := range groupCols {
						cfg.GroupBy = append(cfg.GroupBy, col(c, splitTypes[c]))
						cfg.Names = append(cfg.Names, splitNames[c])
					}
					for _, c := range calls {
						cfg.Names = append(cfg.Names, c.String())
					}
					crecs, cschema, err := runAggregate(env, source(env, splitNames, splitTypes, batchesOf(r, rows, len(splitTypes))...), cfg)
					if err != nil {
						t.Fatal(err)
					}
					want := exectest.Rows(crecs)
					exectest.Release(crecs)
					got, fschema, err := splitRun(t, env, r, rows, k, cfg)
					if err != nil {
						t.Fatal(err)
					}
					if !fschema.Equal(cschema) {
						t.Fatalf("final schema %s; want %s", fschema, cschema)
					}
					nk := len(groupCols)
					if len(got) != len(want) {
						t.Fatalf("%d groups; want %d", len(got), len(want))
					}
					if nk == 0 && len(got) != 1 {
						t.Fatalf("%d rows without GROUP BY; want 1", len(got))
					}
					sortRows(got, nk)
					sortRows(want, nk)
					for i := range want {
						for j := range want[i] {
							if !sameValue(got[i][j], want[i][j]) {
								t.Fatalf("group %v column %s = %#v; want %#v", want[i][:nk], cfg.Names[j], got[i][j], want[i][j])
							}
						}
					}
				})
			}
		}
	}
}

// TestFinalWithoutPartialRows: without GROUP BY, a final aggregation over
// no partial rows at all still answers as PostgreSQL does for an empty
// table: one row, counts 0 and everything else NULL.
func TestFinalWithoutPartialRows(t *testing.T) {
	env := newEnv(t)
	calls := splitCalls(t)
	cfg := executor.HashAggregateConfig{Aggs: calls, Mode: executor.AggPartial}
	h, err := executor.NewHashAggregate(env, source(env, splitNames, splitTypes), cfg)
	if err != nil {
		t.Fatal(err)
	}
	pschema := h.Schema()
	h.Close()
	cfg.Mode = executor.AggComplete
	recs, _, err := runAggregate(env, exectest.NewSource(pschema), finalConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	got := exectest.Rows(recs)
	exectest.Release(recs)
	if len(got) != 1 {
		t.Fatalf("%d rows; want 1", len(got))
	}
	for i, c := range calls {
		var want any
		if c.Agg.Name == "count" {
			want = int64(0)
		}
		if got[0][i] != want {
			t.Errorf("%s over nothing = %v; want %v", c.String(), got[0][i], want)
		}
	}
}

// TestPartialSumInt8BeyondInt64: sum(int8) and avg(int8) past the int64
// range across partials, exactly.
func TestPartialSumInt8BeyondInt64(t *testing.T) {
	env := newEnv(t)
	r := rand.New(rand.NewPCG(7, 7))
	rows := make([][]any, 100)
	for i := range rows {
		rows[i] = make([]any, len(splitTypes))
		rows[i][4] = int64(math.MaxInt64)
	}
	cfg := executor.HashAggregateConfig{Aggs: []expr.AggCall{agg(t, "sum", false, col(4, i8)), agg(t, "avg", false, col(4, i8))}}
	for _, k := range []int{1, 2, 3, 7} {
		got, _, err := splitRun(t, env, r, rows, k, cfg)
		if err != nil {
			t.Fatal(err)
		}
		want := []any{"922337203685477580700", "9223372036854775807"}
		if !reflect.DeepEqual(got, [][]any{want}) {
			t.Errorf("k=%d: %v; want %v", k, got, want)
		}
	}
}

// TestPartialFinalErrors: results that overflow fail in the final
// aggregation with the SQLSTATE of the complete one.
func TestPartialFinalErrors(t *testing.T) {
	big := pgtype.NumericOf(38, 0)
	names := []string{"n", "v"}
	types := []pgtype.Type{big, pgtype.Vector}
	for _, c := range []struct {
		call expr.AggCall
		rows [][]any
		code sqlstate.Code
	}{
		// Past 38 digits: 22003, from the final's result.
		{agg(t, "sum", false, col(0, big)), [][]any{{"90000000000000000000000000000000000000", nil}, {"90000000000000000000000000000000000000", nil}}, sqlstate.NumericValueOutOfRange},
		// Just below: fine.
		{agg(t, "avg", false, col(0, big)), [][]any{{"9000000000000000000000", nil}, {"1", nil}}, sqlstate.SuccessfulCompletion},
		// Vector sums past float32: 22003.
		{agg(t, "sum", false, col(1, pgtype.Vector)), [][]any{{nil, []float32{3e38}}, {nil, []float32{3e38}}}, sqlstate.NumericValueOutOfRange},
		// Vectors of different dimensions in different partials: 22000.
		{agg(t, "avg", false, col(1, pgtype.Vector)), [][]any{{nil, []float32{1}}, {nil, []float32{1, 2}}}, sqlstate.DataException},
	} {
		t.Run(c.call.String(), func(t *testing.T) {
			env := newEnv(t)
			cfg := executor.HashAggregateConfig{Aggs: []expr.AggCall{c.call}}
			crecs, _, cerr := runAggregate(env, source(env, names, types, batchesOf(rand.New(rand.NewPCG(1, 1)), c.rows, 2)...), cfg)
			want := exectest.Rows(crecs)
			exectest.Release(crecs)
			if sqlstate.CodeOf(cerr) != c.code {
				t.Fatalf("complete aggregation: %v; want SQLSTATE %q", cerr, c.code)
			}
			for _, k := range []int{2, 3} {
				r := rand.New(rand.NewPCG(uint64(k), 3))
				parts := make([][][]any, k)
				for i, row := range c.rows {
					parts[i%k] = append(parts[i%k], row)
				}
				part := cfg
				part.Mode = executor.AggPartial
				var states []arrow.Record
				var pschema *arrow.Schema
				for _, p := range parts {
					recs, s, err := runAggregate(env, source(env, names, types, batchesOf(r, p, 2)...), part)
					if err != nil {
						t.Fatal(err)
					}
					states, pschema = append(states, recs...), s
				}
				frecs, _, ferr := runAggregate(env, exectest.NewSource(pschema, states...), finalConfig(cfg))
				exectest.Release(states)
				got := exectest.Rows(frecs)
				exectest.Release(frecs)
				if sqlstate.CodeOf(ferr) != sqlstate.CodeOf(cerr) || !reflect.DeepEqual(got, want) {
					t.Errorf("k=%d: final %v, error %v; complete %v, error %v", k, got, ferr, want, cerr)
				}
			}
		})
	}
}

// TestPartialRefusesDistinct: DISTINCT calls do not split.
func TestPartialRefusesDistinct(t *testing.T) {
	env := newEnv(t)
	_, err := executor.NewHashAggregate(env, source(env, []string{"x"}, []pgtype.Type{i4}), executor.HashAggregateConfig{
		Aggs: []expr.AggCall{agg(t, "count", true, col(0, i4))}, Mode: executor.AggPartial,
	})
	if sqlstate.CodeOf(err) != sqlstate.FeatureNotSupported {
		t.Errorf("partial count(DISTINCT x): %v; want 0A000", err)
	}
}

// TestPartialStatesSurviveIPC: partial outputs go to the query node as
// Arrow IPC streams; states read back merge to the complete result.
func TestPartialStatesSurviveIPC(t *testing.T) {
	env := newEnv(t)
	r := rand.New(rand.NewPCG(11, 12))
	rows := splitRows(r, 1500)
	cfg := executor.HashAggregateConfig{GroupBy: []expr.Expr{col(1, txt)}, Aggs: splitCalls(t), Names: []string{"g2"}}
	for _, c := range cfg.Aggs {
		cfg.Names = append(cfg.Names, c.String())
	}
	crecs, _, err := runAggregate(env, source(env, splitNames, splitTypes, batchesOf(r, rows, len(splitTypes))...), cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := exectest.Rows(crecs)
	exectest.Release(crecs)

	part := cfg
	part.Mode = executor.AggPartial
	var wire bytes.Buffer
	var w *ipc.Writer
	for i := range 3 {
		recs, s, err := runAggregate(env, source(env, splitNames, splitTypes, batchesOf(r, rows[i*500:(i+1)*500], len(splitTypes))...), part)
		if err != nil {
			t.Fatal(err)
		}
		if w == nil {
			w = ipc.NewWriter(&wire, ipc.WithSchema(s), ipc.WithAllocator(env.Mem))
		}
		for _, rec := range recs {
			if err := w.Write(rec); err != nil {
				t.Fatal(err)
			}
		}
		exectest.Release(recs)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rd, err := ipc.NewReader(&wire, ipc.WithAllocator(env.Mem))
	if err != nil {
		t.Fatal(err)
	}
	var states []arrow.Record
	for rd.Next() {
		rec := rd.Record()
		rec.Retain()
		states = append(states, rec)
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	schema := rd.Schema()
	rd.Release()
	frecs, _, err := runAggregate(env, exectest.NewSource(schema, states...), finalConfig(cfg))
	exectest.Release(states)
	if err != nil {
		t.Fatal(err)
	}
	got := exectest.Rows(frecs)
	exectest.Release(frecs)
	sortRows(got, 1)
	sortRows(want, 1)
	if len(got) != len(want) {
		t.Fatalf("%d groups; want %d", len(got), len(want))
	}
	for i := range want {
		for j := range want[i] {
			if !sameValue(got[i][j], want[i][j]) {
				t.Fatalf("group %v column %s = %#v; want %#v", want[i][0], cfg.Names[j], got[i][j], want[i][j])
			}
		}
	}
}
