package remote

import (
	"slices"

	"github.com/cespare/xxhash/v2"
)

// Placement is rendezvous (highest random weight) hashing: every member
// scores every key with a hash of (member, key), and a key belongs to the
// member with the highest score; the rest, in falling score order, are
// its fallbacks. Ranking only the live members gives the same relative
// order, so when a member leaves only its keys move (each to its own next
// choice, spread evenly over the others), and when it returns exactly
// those keys come back. Keys are (dataset, fragment id) and, for indexes,
// (index, partition): each piece of data is cached on one executor.

// score is member m's weight for key.
func score(m, key string) uint64 {
	d := xxhash.New()
	_, _ = d.WriteString(m)
	_, _ = d.Write([]byte{0})
	_, _ = d.WriteString(key)
	return d.Sum64()
}

// rank orders members by their weight for key, highest first (ties, which
// need a 64-bit collision, by name).
func rank(key string, members []string) []string {
	type scored struct {
		m string
		s uint64
	}
	ss := make([]scored, len(members))
	for i, m := range members {
		ss[i] = scored{m, score(m, key)}
	}
	slices.SortFunc(ss, func(a, b scored) int {
		switch {
		case a.s > b.s:
			return -1
		case a.s < b.s:
			return 1
		case a.m < b.m:
			return -1
		case a.m > b.m:
			return 1
		}
		return 0
	})
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.m
	}
	return out
}
