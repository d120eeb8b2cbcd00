package remote

import (
	"fmt"
	"slices"
	"testing"
)

func TestRankDeterministic(t *testing.T) {
	members := []string{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000", "10.0.0.4:7000"}
	for i := range 100 {
		key := fmt.Sprintf("ds\x00t.lance/%d", i)
		a := rank(key, members)
		// The input order does not matter.
		rev := slices.Clone(members)
		slices.Reverse(rev)
		b := rank(key, rev)
		if !slices.Equal(a, b) {
			t.Fatalf("rank(%q) = %v, then %v for the reversed members", key, a, b)
		}
		if !slices.Equal(a, rank(key, members)) {
			t.Fatalf("rank(%q) is not deterministic", key)
		}
		sorted := slices.Clone(a)
		slices.Sort(sorted)
		if !slices.Equal(sorted, members) {
			t.Fatalf("rank(%q) = %v is not a permutation of %v", key, a, members)
		}
	}
	if got := rank("k", nil); len(got) != 0 {
		t.Fatalf("rank over no members = %v", got)
	}
}

func TestRankBalanceAndStability(t *testing.T) {
	members := []string{"a:1", "b:1", "c:1", "d:1", "e:1"}
	const keys = 10000
	owner := make([]string, keys)
	second := make([]string, keys)
	count := map[string]int{}
	for i := range keys {
		r := rank(fmt.Sprintf("tbl/%d", i), members)
		owner[i], second[i] = r[0], r[1]
		count[r[0]]++
	}
	for _, m := range members {
		if share := float64(count[m]) / keys; share < 0.10 || share > 0.30 {
			t.Errorf("member %s owns %.1f%% of the keys", m, 100*share)
		}
	}
	for _, gone := range members {
		rest := slices.DeleteFunc(slices.Clone(members), func(m string) bool { return m == gone })
		moved := 0
		for i := range keys {
			key := fmt.Sprintf("tbl/%d", i)
			now := rank(key, rest)[0]
			switch {
			case owner[i] == gone:
				moved++
				if now != second[i] {
					t.Fatalf("without %s, key %s went to %s, not its second choice %s", gone, key, now, second[i])
				}
			case now != owner[i]:
				t.Fatalf("without %s, key %s moved from %s to %s", gone, key, owner[i], now)
			}
		}
		if moved != count[gone] {
			t.Errorf("without %s, %d keys moved; it owned %d", gone, moved, count[gone])
		}
		// Adding it back restores every owner.
		back := append(slices.Clone(rest), gone)
		for i := range keys {
			if got := rank(fmt.Sprintf("tbl/%d", i), back)[0]; got != owner[i] {
				t.Fatalf("with %s back, key %d belongs to %s, not %s", gone, i, got, owner[i])
			}
		}
	}
}
