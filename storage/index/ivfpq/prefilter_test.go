package ivfpq

import (
	"context"
	"testing"

	"github.com/lancegate/lancegate/storage/index/distance"
)

// TestSearchPrefilter checks SearchWith's Allow: only allowed rows come
// back, a selective filter widens the probe set until K rows are found,
// and a filter that rejects everything searches every partition and
// returns nothing.
func TestSearchPrefilter(t *testing.T) {
	p := genParams{n: 4000, nq: 20, dim: 32, clusters: 40, rank: 8, sc: 1, sigma: 0.3, seed: 7}
	s := newRecallSet(p, distance.L2, 10)
	ix, err := Build(context.Background(), s.base, s.rowIDs(), p.dim, BuildOptions{NumPartitions: 32, NumSubVectors: 8})
	if err != nil {
		t.Fatal(err)
	}
	const k, nprobes = 10, 2
	for qi := range p.nq {
		q := s.query(qi)
		// One row in 97: about 41 rows, a handful per partition at most.
		allow := func(id uint64) bool { return id%97 == 3 }
		got, st, err := ix.SearchWith(q, SearchOptions{K: k, NProbes: nprobes, Allow: allow})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != k {
			t.Fatalf("query %d: %d results, want %d (probed %d)", qi, len(got), k, st.Probed)
		}
		for _, c := range got {
			if !allow(c.RowID) {
				t.Fatalf("query %d: row %d is not allowed", qi, c.RowID)
			}
		}
		if st.Probed <= nprobes {
			t.Errorf("query %d: probed %d partitions; a 1%% filter should widen past %d", qi, st.Probed, nprobes)
		}
		// Without a filter the probe set is exactly nprobes.
		_, st, err = ix.SearchWith(q, SearchOptions{K: k, NProbes: nprobes})
		if err != nil {
			t.Fatal(err)
		}
		if st.Probed != nprobes {
			t.Errorf("query %d: unfiltered search probed %d partitions, want %d", qi, st.Probed, nprobes)
		}
	}
	got, st, err := ix.SearchWith(s.query(0), SearchOptions{K: k, NProbes: nprobes, Allow: func(uint64) bool { return false }})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 || st.Probed != ix.NumPartitions() || st.Scanned != p.n {
		t.Fatalf("reject-all: %d results, probed %d of %d partitions, scanned %d of %d", len(got), st.Probed, ix.NumPartitions(), st.Scanned, p.n)
	}
	// A filter allowing everything matches the unfiltered search.
	a, _, _ := ix.SearchWith(s.query(1), SearchOptions{K: k, NProbes: 4, Allow: func(uint64) bool { return true }})
	b, _ := ix.Search(s.query(1), k, 4)
	if len(a) != len(b) {
		t.Fatalf("allow-all: %d vs %d results", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("allow-all result %d: %v vs %v", i, a[i], b[i])
		}
	}
}
