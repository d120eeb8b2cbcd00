package agent

import (
	"testing"
	"time"

	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/lance"
)

func TestPolicyEffective(t *testing.T) {
	def := DefaultPolicy()
	tests := []struct {
		name   string
		config map[string]string
		check  func(Policy) bool
		errs   int
	}{
		{"none", nil, func(p Policy) bool { return p == def }, 0},
		{"other keys ignored", map[string]string{"foo": "bar", "lance.auto_cleanup.interval": "20"}, func(p Policy) bool { return p == def }, 0},
		{"compaction off", map[string]string{"lancegate.compaction.enabled": "false"}, func(p Policy) bool { return !p.Compaction.Enabled && p.Cleanup.Enabled }, 0},
		{"thresholds", map[string]string{"lancegate.compaction.min_fragments": "4", "lancegate.compaction.target_rows": "1000", "lancegate.compaction.max_deleted_fraction": "0.5"},
			func(p Policy) bool {
				return p.Compaction.MinFragments == 4 && p.Compaction.TargetRows == 1000 && p.Compaction.MaxDeletedFraction == 0.5
			}, 0},
		{"index", map[string]string{"lancegate.index.enabled": "true", "lancegate.index.min_rows": "5000", "lancegate.index.metric": "cosine", "lancegate.index.num_partitions": "64", "lancegate.index.num_sub_vectors": "16",
			"lancegate.index.delta_min_rows": "100", "lancegate.index.max_segments": "3", "lancegate.index.retrain_drift": "2", "lancegate.indexes.items_idx": `{"column":"v"}`},
			func(p Policy) bool {
				return p.Index == IndexPolicy{Enabled: true, MinRows: 5000, Metric: distance.Cosine, NumPartitions: 64, NumSubVectors: 16, DeltaMinRows: 100, MaxSegments: 3, RetrainDrift: 2}
			}, 0},
		{"bad segment policy", map[string]string{"lancegate.index.delta_min_rows": "0", "lancegate.index.max_segments": "0", "lancegate.index.retrain_drift": "0.5"}, func(p Policy) bool { return p == def }, 3},
		{"bad index metric", map[string]string{"lancegate.index.metric": "manhattan", "lancegate.index.num_partitions": "-1"}, func(p Policy) bool { return p == def }, 2},
		{"interval", map[string]string{"lancegate.compaction.min_interval": "0s"}, func(p Policy) bool { return p.Compaction.MinInterval == 0 }, 0},
		{"retention", map[string]string{"lancegate.cleanup.older_than": "1h", "lancegate.cleanup.enabled": "true"}, func(p Policy) bool { return p.Cleanup.OlderThan == time.Hour }, 0},
		{"bad values keep defaults", map[string]string{
			"lancegate.compaction.enabled": "maybe", "lancegate.compaction.min_fragments": "1", "lancegate.compaction.target_rows": "0",
			"lancegate.compaction.max_deleted_fraction": "2", "lancegate.cleanup.older_than": "-1h", "lancegate.nope": "x",
			"lancegate.compaction.min_interval": "-1s",
		}, func(p Policy) bool { return p == def }, 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, errs := def.Effective(tc.config)
			if !tc.check(p) {
				t.Errorf("policy = %+v", p)
			}
			if len(errs) != tc.errs {
				t.Errorf("%d errors (%v), want %d", len(errs), errs, tc.errs)
			}
		})
	}
}

func frags(rows ...[2]uint64) []lance.Fragment {
	out := make([]lance.Fragment, len(rows))
	for i, r := range rows {
		out[i] = lance.Fragment{ID: uint64(i), PhysicalRows: r[0], DeletedRows: r[1]}
	}
	return out
}

func TestDecideCompaction(t *testing.T) {
	p := CompactionPolicy{Enabled: true, MinFragments: 4, TargetRows: 100, MaxDeletedFraction: 0.1}
	many := make([][2]uint64, 4)
	for i := range many {
		many[i] = [2]uint64{1, 0}
	}
	tests := []struct {
		name  string
		frags []lance.Fragment
		p     CompactionPolicy
		want  bool
	}{
		{"empty", nil, p, false},
		{"few small", frags([2]uint64{1, 0}, [2]uint64{1, 0}, [2]uint64{1, 0}), p, false},
		{"enough small", frags(many...), p, true},
		{"disabled", frags(many...), CompactionPolicy{MinFragments: 4, TargetRows: 100}, false},
		{"large ones are not small", frags([2]uint64{100, 0}, [2]uint64{100, 0}, [2]uint64{100, 0}, [2]uint64{100, 0}), p, false},
		{"deleted share above threshold", frags([2]uint64{100, 11}), p, true},
		{"deleted share at threshold", frags([2]uint64{100, 10}), p, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reason, got := decideCompaction(tc.frags, tc.p)
			if got != tc.want {
				t.Fatalf("decide = %v (%q), want %v", got, reason, tc.want)
			}
			if got && reason == "" {
				t.Fatal("a decision needs a reason")
			}
		})
	}
}

func TestDecideCleanup(t *testing.T) {
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	p := CleanupPolicy{Enabled: true, OlderThan: 24 * time.Hour}
	v := func(n uint64, age time.Duration) lance.VersionInfo {
		return lance.VersionInfo{Version: n, Timestamp: now.Add(-age)}
	}
	tests := []struct {
		name     string
		versions []lance.VersionInfo
		tagged   map[uint64]bool
		p        CleanupPolicy
		want     bool
	}{
		{"one version", []lance.VersionInfo{v(1, 48*time.Hour)}, nil, p, false},
		{"old latest only", []lance.VersionInfo{v(1, 2*time.Hour), v(2, 48*time.Hour)}, nil, p, false},
		{"old version", []lance.VersionInfo{v(1, 48*time.Hour), v(2, time.Hour)}, nil, p, true},
		{"old version tagged", []lance.VersionInfo{v(1, 48*time.Hour), v(2, time.Hour)}, map[uint64]bool{1: true}, p, false},
		{"young versions", []lance.VersionInfo{v(1, 2*time.Hour), v(2, time.Hour)}, nil, p, false},
		{"disabled", []lance.VersionInfo{v(1, 48*time.Hour), v(2, time.Hour)}, nil, CleanupPolicy{OlderThan: time.Hour}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, got := decideCleanup(tc.versions, tc.tagged, tc.p, now); got != tc.want {
				t.Fatalf("decide = %v, want %v", got, tc.want)
			}
		})
	}
}
