package hnsw

import (
	"cmp"
	"context"
	"reflect"
	"slices"
	"testing"
)

// TestSearchPartitions checks the distributed search's contract: a
// search of exactly the partitions Probes names equals the search with
// NProbes, and splitting them among executors, each keeping its best K,
// then merging, gives the same K rows.
func TestSearchPartitions(t *testing.T) {
	const n, dim, k, nprobes = 3000, 16, 10, 5
	for _, metric := range metrics {
		s := newDataSet(genParams{n: n, nq: 10, dim: dim, clusters: 30, rank: 6, sc: 1, sigma: 0.3, seed: 12}, metric, k)
		ix, err := Build(context.Background(), s.base, s.rowIDs(), dim, BuildOptions{Metric: metric, NumPartitions: 12, M: 12, EfConstruction: 64})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := ix.Search(s.query(0), SearchOptions{K: k, Partitions: []int{12}}); err == nil {
			t.Errorf("%v: partition 12 of 12 was searched", metric)
		}
		for qi := range 10 {
			q := s.query(qi)
			probes, err := ix.Probes(q, nprobes)
			if err != nil || len(probes) != nprobes {
				t.Fatalf("%v query %d: Probes = %v, %v", metric, qi, probes, err)
			}
			want, _, err := ix.Search(q, SearchOptions{K: k, NProbes: nprobes, Ef: 64})
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := ix.Search(q, SearchOptions{K: k, Partitions: probes, Ef: 64})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%v query %d: explicit partitions %v; NProbes %v", metric, qi, got, want)
			}
			var merged []Candidate
			for e := range 2 {
				var mine []int
				for i, p := range probes {
					if i%2 == e {
						mine = append(mine, p)
					}
				}
				part, _, err := ix.Search(q, SearchOptions{K: k, Partitions: mine, Ef: 64})
				if err != nil {
					t.Fatal(err)
				}
				merged = append(merged, part...)
			}
			slices.SortStableFunc(merged, func(a, b Candidate) int {
				if c := cmp.Compare(a.Distance, b.Distance); c != 0 {
					return c
				}
				return cmp.Compare(a.RowID, b.RowID)
			})
			if len(merged) < k {
				t.Fatalf("%v query %d: merged %d rows", metric, qi, len(merged))
			}
			gotIDs, wantIDs := ids(merged[:k]), ids(want)
			slices.Sort(gotIDs)
			slices.Sort(wantIDs)
			if !reflect.DeepEqual(gotIDs, wantIDs) {
				t.Fatalf("%v query %d: merged %v, want %v", metric, qi, gotIDs, wantIDs)
			}
		}
	}
}

func ids(cs []Candidate) []uint64 {
	out := make([]uint64, len(cs))
	for i, c := range cs {
		out[i] = c.RowID
	}
	return out
}
