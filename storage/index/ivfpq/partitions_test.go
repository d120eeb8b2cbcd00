package ivfpq

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/lancegate/lancegate/storage/index/distance"
)

// TestSearchPartitions checks the distributed search's contract: a
// search of exactly the partitions Probes names equals the search with
// NProbes, and splitting those partitions among executors, each keeping
// its best K, then merging, gives the same K rows.
func TestSearchPartitions(t *testing.T) {
	for _, metric := range []distance.Metric{distance.L2, distance.Cosine, distance.Dot} {
		p := genParams{n: 3000, nq: 10, dim: 16, clusters: 30, rank: 6, sc: 1, sigma: 0.3, seed: 11}
		s := newRecallSet(p, metric, 10)
		ix, err := Build(context.Background(), s.base, s.rowIDs(), p.dim, BuildOptions{Metric: metric, NumPartitions: 24, NumSubVectors: 4})
		if err != nil {
			t.Fatal(err)
		}
		const k, nprobes = 10, 7
		if _, _, err := ix.SearchWith(s.query(0), SearchOptions{K: k, Partitions: []int{24}}); err == nil {
			t.Errorf("%v: partition 24 of 24 was searched", metric)
		}
		for qi := range p.nq {
			q := s.query(qi)
			probes, err := ix.Probes(q, nprobes)
			if err != nil || len(probes) != nprobes {
				t.Fatalf("%v query %d: Probes = %v, %v", metric, qi, probes, err)
			}
			want, _, err := ix.SearchWith(q, SearchOptions{K: k, NProbes: nprobes})
			if err != nil {
				t.Fatal(err)
			}
			got, st, err := ix.SearchWith(q, SearchOptions{K: k, Partitions: probes})
			if err != nil {
				t.Fatal(err)
			}
			if st.Probed != nprobes || !reflect.DeepEqual(got, want) {
				t.Fatalf("%v query %d: explicit partitions probed %d, got %v; NProbes gave %v", metric, qi, st.Probed, got, want)
			}
			// Three executors, partitions dealt round-robin.
			var merged []Candidate
			for e := range 3 {
				var mine []int
				for i, part := range probes {
					if i%3 == e {
						mine = append(mine, part)
					}
				}
				part, _, err := ix.SearchWith(q, SearchOptions{K: k, Partitions: mine})
				if err != nil {
					t.Fatal(err)
				}
				merged = append(merged, part...)
			}
			slices.SortFunc(merged, func(a, b Candidate) int {
				if less(a, b) {
					return -1
				}
				if less(b, a) {
					return 1
				}
				return 0
			})
			if !reflect.DeepEqual(merged[:k], want) {
				t.Fatalf("%v query %d: merged %v, want %v", metric, qi, merged[:k], want)
			}
		}
	}
}
