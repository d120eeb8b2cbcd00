package lance

import (
	"fmt"
	"testing"

	"github.com/lancegate/lancegate/storage/lance/pb"
)

// TestPlanCompaction pins the grouping of Lance's plan_compaction. Each
// fragment is written "physical" or "physical-deleted"; fragment ids are
// positions; a plan prints as its groups of ids.
func TestPlanCompaction(t *testing.T) {
	tests := []struct {
		name      string
		frags     []string
		indexed   []uint64
		remapped  map[uint64]string // coverage keys when indexes are remapped
		target    uint64
		threshold float64
		want      string
	}{
		{"nothing", nil, nil, nil, 100, 0.1, "[]"},
		{"all small", []string{"1", "1", "1", "1"}, nil, nil, 100, 0.1, "[[0 1 2 3]]"},
		{"one small alone stays", []string{"100", "5", "100"}, nil, nil, 100, 0.1, "[]"},
		{"all at target", []string{"100", "100"}, nil, nil, 100, 0.1, "[]"},
		{"runs split by large fragments", []string{"5", "5", "100", "5", "5"}, nil, nil, 100, 0.1, "[[0 1] [3 4]]"},
		{"heavy deletions alone", []string{"100-20", "100"}, nil, nil, 100, 0.1, "[[0]]"},
		{"light deletions stay", []string{"100-5", "100"}, nil, nil, 100, 0.1, "[]"},
		{"at the threshold stays", []string{"100-10", "100"}, nil, nil, 100, 0.1, "[]"},
		{"negative threshold takes any deletion", []string{"100-1", "100"}, nil, nil, 100, -1, "[[0]]"},
		{"threshold one never alone", []string{"100-99", "100"}, nil, nil, 100, 1, "[]"},
		{"heavy joins small neighbours", []string{"5", "100-50", "5", "100"}, nil, nil, 100, 0.1, "[[0 1 2]]"},
		{"small run with light deletions", []string{"10-1", "10"}, nil, nil, 100, 0.1, "[[0 1]]"},
		{"split into groups of the target", []string{"10", "10", "10", "10", "10", "10", "10", "10"}, nil, nil, 40, 0.1, "[[0 1 2 3] [4 5 6 7]]"},
		{"last group takes the rest", []string{"10", "10", "10", "10", "10", "10", "10", "10", "10", "10"}, nil, nil, 40, 0.1, "[[0 1 2 3] [4 5 6 7 8 9]]"},
		{"deleted rows do not count", []string{"20-10", "20-10", "20-10", "20-10", "20-10", "20-10"}, nil, nil, 30, 0.9, "[[0 1 2] [3 4 5]]"},
		{"indexed fragments stay and split runs", []string{"5", "5", "5", "5", "5"}, []uint64{2}, nil, 100, 0.1, "[[0 1] [3 4]]"},
		{"indexed heavy fragment stays", []string{"100-50", "5"}, []uint64{0}, nil, 100, 0.1, "[]"},
		{"unknown row count stays", []string{"5", "0", "5", "5"}, nil, nil, 100, 0.1, "[[2 3]]"},
		{"remapped: coverage changes split runs", []string{"5", "5", "5", "5", "5"}, nil, map[uint64]string{0: "a", 1: "a", 2: "a", 3: "a,b"}, 100, 0.1, "[[0 1 2]]"},
		{"remapped: a heavy indexed fragment goes alone", []string{"100-50", "5"}, nil, map[uint64]string{0: "a"}, 100, 0.1, "[[0]]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var metrics []fragmentMetrics
			for i, s := range tt.frags {
				var m fragmentMetrics
				if _, err := fmt.Sscanf(s, "%d-%d", &m.physical, &m.deleted); err != nil {
					m.deleted = 0
				}
				m.frag = &pb.DataFragment{Id: uint64(i), PhysicalRows: m.physical}
				metrics = append(metrics, m)
			}
			indexed := map[uint64]bool{}
			for _, id := range tt.indexed {
				indexed[id] = true
			}
			key := func(id uint64) (string, bool) { return tt.remapped[id], !indexed[id] }
			plan := planCompaction(metrics, key, CompactOptions{TargetRowsPerFragment: tt.target, MaterializeDeletionsThreshold: tt.threshold})
			groups := [][]uint64{}
			for _, g := range plan {
				var ids []uint64
				for _, f := range g {
					ids = append(ids, f.Id)
				}
				groups = append(groups, ids)
			}
			if got := fmt.Sprint(groups); got != tt.want {
				t.Errorf("planCompaction(%v) = %s; want %s", tt.frags, got, tt.want)
			}
		})
	}
}

// TestReplaceGroups: new fragments take the place of the first old one of
// their group still present, with ids numbered from the high-water mark.
func TestReplaceGroups(t *testing.T) {
	frags := func(ids ...uint64) []*pb.DataFragment {
		var out []*pb.DataFragment
		for _, id := range ids {
			out = append(out, &pb.DataFragment{Id: id})
		}
		return out
	}
	groups := []*pb.Transaction_Rewrite_RewriteGroup{
		{OldFragments: frags(1, 2), NewFragments: frags(0)},
		{OldFragments: frags(4, 5, 6), NewFragments: frags(0, 0)},
	}
	// Fragment 9 was appended and fragment 3 changed since the plan.
	got := replaceGroups(frags(0, 1, 2, 3, 4, 5, 6, 9), groups, 10, false)
	var ids []uint64
	for _, f := range got {
		ids = append(ids, f.Id)
	}
	if s := fmt.Sprint(ids); s != "[0 10 3 11 12 9]" {
		t.Errorf("replaceGroups = %s; want [0 10 3 11 12 9]", s)
	}
}
