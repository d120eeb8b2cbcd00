package spec_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/spec"
)

// fullFragments returns fragments with every field set: one with a
// partial aggregate, one with a top-k (a fragment has at most one).
func fullFragments(t *testing.T) []*spec.Fragment {
	t.Helper()
	enc := spec.NewEncoder()
	must := func(x *spec.Expr, err error) *spec.Expr {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	filter := must(enc.Expr(call(t, ">", col(1), lit(tInt8, int64(5)))))
	proj := []*spec.Expr{must(enc.Expr(col(1))), must(enc.Expr(call(t, "+", col(0), lit(tInt4, int64(1)))))}
	cnt, err := expr.ResolveAggregate("count", nil)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := expr.ResolveAggregate("sum", []pgtype.Type{tInt8})
	if err != nil {
		t.Fatal(err)
	}
	aggCount, err := enc.AggCall(expr.AggCall{Agg: cnt})
	if err != nil {
		t.Fatal(err)
	}
	aggSum, err := enc.AggCall(expr.AggCall{Agg: sum, Args: []expr.Expr{col(1)}, Filter: call(t, "<", col(0), lit(tInt4, int64(9)))})
	if err != nil {
		t.Fatal(err)
	}
	key := must(enc.Expr(col(1)))
	consts, err := enc.Consts(memory.NewGoAllocator())
	if err != nil {
		t.Fatal(err)
	}
	env, err := spec.EncodeEnv(testEnv(memory.NewGoAllocator()), paramTypes)
	if err != nil {
		t.Fatal(err)
	}
	base := func() *spec.Fragment {
		return &spec.Fragment{
			V:         spec.Version,
			Table:     spec.TableRef{Location: "az://acct/c/items.lance", Root: "items.lance", Version: 7, Committed: 1_700_000_000_123_456_789},
			Pieces:    []spec.Piece{{ID: 3}, {ID: 1, Skip: 42}, {ID: 1 << 40}},
			Columns:   []string{"a", "b", "c"},
			Filter:    filter,
			Project:   proj,
			Names:     []string{"b", "a1"},
			Consts:    consts,
			Env:       env,
			Timeout:   1500 * time.Millisecond,
			Heartbeat: 250 * time.Millisecond,
		}
	}
	withAgg := base()
	withAgg.Agg = &spec.PartialAgg{GroupBy: []*spec.Expr{key}, Aggs: []*spec.Agg{aggCount, aggSum}, Names: []string{"g", "count", "sum"}}
	withTopK := base()
	withTopK.TopK = &spec.TopK{Keys: []spec.SortKey{{Expr: key, Desc: true, NullsFirst: true}, {Expr: proj[1]}}, Limit: 10}
	withTopK.ANN = &spec.ANN{Query: []float32{1, -0.5, 3.25}, Want: 40, Ef: 64}
	withTopK.Pieces = []spec.Piece{{Index: "5f2c8a0e-segment", Partition: 3}, {Index: "5f2c8a0e-segment", Partition: 17}, {ID: 2, Index: "0b1d-other", Partition: 0}}
	return []*spec.Fragment{withAgg, withTopK}
}

func TestFragmentRoundTrip(t *testing.T) {
	for _, f := range fullFragments(t) {
		// Every field is set, except the other reduction: a field added
		// to Fragment should be added here.
		v := reflect.ValueOf(f).Elem()
		for i := range v.NumField() {
			name := v.Type().Field(i).Name
			if v.Field(i).IsZero() && !(name == "Agg" && f.TopK != nil || (name == "TopK" || name == "ANN") && f.Agg != nil) {
				t.Errorf("the test fragment leaves %s zero", name)
			}
		}
		b, err := spec.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		g, err := spec.Unmarshal(b)
		if err != nil {
			t.Fatalf("Unmarshal(%s): %v", b, err)
		}
		// The statement time keeps its instant and offset, not its zone.
		if !g.Env.Now.Equal(f.Env.Now) {
			t.Fatalf("Env.Now %v; want %v", g.Env.Now, f.Env.Now)
		}
		if _, off := g.Env.Now.Zone(); off != 2*3600 {
			t.Errorf("Env.Now offset %d", off)
		}
		// Encoded fields are kept (the encoder's empty lists decode as
		// nil, so compare encodings), and a decoded fragment round-trips
		// exactly.
		b2, err := spec.Marshal(g)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, b2) {
			t.Fatalf("round trip changed the fragment:\n%s\n%s", b, b2)
		}
		g2, err := spec.Unmarshal(b2)
		if err != nil || !reflect.DeepEqual(g, g2) {
			t.Fatalf("second round trip changed the fragment (%v)", err)
		}
		if g.Table != f.Table || !reflect.DeepEqual(g.Pieces, f.Pieces) || g.Timeout != f.Timeout || !bytes.Equal(g.Consts, f.Consts) ||
			!reflect.DeepEqual(g.Filter, f.Filter) || !reflect.DeepEqual(g.TopK, f.TopK) || !reflect.DeepEqual(g.Env.Params, f.Env.Params) {
			t.Errorf("round trip changed a field")
		}
		if f.Streaming() || g.Streaming() {
			t.Error("a reducing fragment is Streaming")
		}
	}
	f := fullFragments(t)[0]
	f.Agg = nil
	if f.ANN != nil {
		t.Fatal("the aggregate fragment has a vector search")
	}
	if !f.Streaming() {
		t.Error("a fragment without reduction is not Streaming")
	}
	// Marshal stamps the version.
	f.V = 0
	b, err := spec.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if g, err := spec.Unmarshal(b); err != nil || g.V != spec.Version {
		t.Fatalf("Unmarshal of a marshalled fragment of V 0: %v, %v", g, err)
	}
}

func TestFragmentRefused(t *testing.T) {
	valid := func() map[string]any {
		return map[string]any{
			"v":       spec.Version,
			"table":   map[string]any{"root": "t.lance", "version": 1},
			"pieces":  []any{map[string]any{"id": 0}},
			"columns": []any{"a"},
		}
	}
	enc := func(m map[string]any) []byte {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if _, err := spec.Unmarshal(enc(valid())); err != nil {
		t.Fatalf("the valid fragment is refused: %v", err)
	}
	topk := map[string]any{"keys": []any{map[string]any{"expr": map[string]any{"kind": "column"}}}, "limit": 3}
	agg := map[string]any{"aggs": []any{}, "names": []any{}}
	for _, c := range []struct {
		name   string
		change func(m map[string]any)
		raw    []byte
	}{
		{name: "not JSON", raw: []byte("hello")},
		{name: "empty", raw: []byte("")},
		{name: "JSON null", raw: []byte("null")},
		{name: "wrong type", raw: []byte(`{"v":1,"table":{"root":"t.lance","version":1},"pieces":"all"}`)},
		{name: "version 0", change: func(m map[string]any) { m["v"] = 0 }},
		{name: "version 2", change: func(m map[string]any) { m["v"] = spec.Version + 1 }},
		{name: "no version", change: func(m map[string]any) { delete(m, "v") }},
		{name: "no pieces", change: func(m map[string]any) { m["pieces"] = []any{} }},
		{name: "null pieces", change: func(m map[string]any) { delete(m, "pieces") }},
		{name: "empty root", change: func(m map[string]any) { m["table"] = map[string]any{"root": "", "version": 1} }},
		{name: "root ..", change: func(m map[string]any) { m["table"] = map[string]any{"root": "../other.lance", "version": 1} }},
		{name: "root a/../b", change: func(m map[string]any) { m["table"] = map[string]any{"root": "a/../b", "version": 1} }},
		{name: "agg and topk", change: func(m map[string]any) { m["agg"], m["topk"] = agg, topk }},
		{name: "negative skip", change: func(m map[string]any) { m["pieces"] = []any{map[string]any{"id": 0, "skip": -1}} }},
		{name: "fewer names", change: func(m map[string]any) {
			m["project"] = []any{map[string]any{"kind": "column"}, map[string]any{"kind": "column"}}
			m["names"] = []any{"a"}
		}},
		{name: "names without projections", change: func(m map[string]any) { m["project"], m["names"] = []any{}, []any{"a"} }},
		{name: "agg names", change: func(m map[string]any) {
			m["agg"] = map[string]any{"group_by": []any{map[string]any{"kind": "column"}}, "aggs": []any{}, "names": []any{}}
		}},
		{name: "negative limit", change: func(m map[string]any) {
			m["topk"] = map[string]any{"keys": topk["keys"], "limit": -1}
		}},
		{name: "topk without keys", change: func(m map[string]any) { m["topk"] = map[string]any{"keys": []any{}, "limit": 1} }},
		{name: "vector search without top-k", change: func(m map[string]any) {
			m["ann"] = map[string]any{"query": []any{1}, "want": 5}
			m["pieces"] = []any{map[string]any{"index": "seg", "partition": 1}}
		}},
		{name: "vector search without candidates", change: func(m map[string]any) {
			m["topk"] = topk
			m["ann"] = map[string]any{"query": []any{1}, "want": 0}
			m["pieces"] = []any{map[string]any{"index": "seg", "partition": 1}}
		}},
		{name: "vector search without query", change: func(m map[string]any) {
			m["topk"] = topk
			m["ann"] = map[string]any{"want": 5}
			m["pieces"] = []any{map[string]any{"index": "seg", "partition": 1}}
		}},
		{name: "vector search over a data fragment", change: func(m map[string]any) {
			m["topk"] = topk
			m["ann"] = map[string]any{"query": []any{1}, "want": 5}
		}},
		{name: "index piece without vector search", change: func(m map[string]any) {
			m["pieces"] = []any{map[string]any{"index": "seg", "partition": 1}}
		}},
		{name: "negative partition", change: func(m map[string]any) {
			m["topk"] = topk
			m["ann"] = map[string]any{"query": []any{1}, "want": 5}
			m["pieces"] = []any{map[string]any{"index": "seg", "partition": -1}}
		}},
	} {
		b := c.raw
		if c.change != nil {
			m := valid()
			c.change(m)
			b = enc(m)
		}
		f, err := spec.Unmarshal(b)
		if err == nil {
			t.Errorf("%s: Unmarshal(%s) = %+v; want an error", c.name, b, f)
			continue
		}
		if !errors.Is(err, spec.ErrInvalid) {
			t.Errorf("%s: error %v is not ErrInvalid", c.name, err)
		}
		if c.name == "version 2" && !strings.Contains(err.Error(), "version") {
			t.Errorf("version error %q does not name the version", err)
		}
		// Marshal refuses what Unmarshal refuses (for the checks after
		// decoding).
		if c.change != nil && !strings.HasPrefix(c.name, "version") && c.name != "no version" {
			var frag spec.Fragment
			if json.Unmarshal(b, &frag) == nil {
				if _, err := spec.Marshal(&frag); err == nil {
					t.Errorf("%s: Marshal accepts what Unmarshal refuses", c.name)
				}
			}
		}
	}
}

func TestStatsAdd(t *testing.T) {
	s := spec.Stats{Executor: "a", Pieces: 1, RowsRead: 10, Rows: 5, Batches: 1, Elapsed: time.Second, BytesStorage: 100, BytesCache: 7}
	s.Add(spec.Stats{Executor: "b", Pieces: 2, RowsRead: 1, Rows: 1, Batches: 2, Elapsed: time.Millisecond, BytesStorage: 1, BytesCache: 3})
	want := spec.Stats{Executor: "a", Pieces: 3, RowsRead: 11, Rows: 6, Batches: 3, Elapsed: time.Second + time.Millisecond, BytesStorage: 101, BytesCache: 10}
	if s != want {
		t.Fatalf("Add: %+v; want %+v", s, want)
	}
}

func TestTableRef(t *testing.T) {
	a := spec.TableRef{Root: "t.lance", Version: 1}
	b := spec.TableRef{Root: "t.lance", Version: 2}
	if a.Key() != b.Key() {
		t.Error("versions of one dataset have different placement keys")
	}
	if a.Key() == (spec.TableRef{Location: "az://x", Root: "t.lance"}).Key() {
		t.Error("a dataset outside the root shares the key of one inside")
	}
	if a.String() != "t.lance@v1" || (spec.TableRef{Location: "az://x/t", Root: "t", Version: 3}).String() != "az://x/t@v3" {
		t.Errorf("String: %s", a)
	}
}

// FuzzUnmarshalFragment: arbitrary bytes never make Unmarshal panic, and
// an accepted fragment re-encodes to one that decodes to the same
// fragment (the encoding is a fixed point after one round).
func FuzzUnmarshalFragment(f *testing.F) {
	f.Add([]byte(`{"v":1,"table":{"root":"t.lance","version":1},"pieces":[{"id":0}],"columns":["a"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		f1, err := spec.Unmarshal(b)
		if err != nil {
			if !errors.Is(err, spec.ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		b1, err := spec.Marshal(f1)
		if err != nil {
			t.Fatalf("Marshal of an accepted fragment: %v", err)
		}
		f2, err := spec.Unmarshal(b1)
		if err != nil {
			t.Fatalf("Unmarshal(Marshal(Unmarshal(b))): %v\n%s", err, b1)
		}
		b2, err := spec.Marshal(f2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b1, b2) {
			t.Fatalf("re-encoding changed the fragment:\n%s\n%s", b1, b2)
		}
		f3, err := spec.Unmarshal(b2)
		if err != nil || !reflect.DeepEqual(f2, f3) {
			t.Fatalf("round trip changed the fragment: %v", err)
		}
		// Without empty-but-present lists, the first decoding round-trips
		// exactly too.
		if !bytes.Contains(b, []byte("[]")) && !bytes.Contains(b, []byte(`""`)) && !bytes.Contains(b, []byte("null")) && !reflect.DeepEqual(f1, f2) {
			t.Fatalf("round trip changed the fragment:\n%s\n%s", b, b1)
		}
	})
}
