package agent

import (
	"fmt"
	"time"

	"github.com/lancegate/lancegate/storage/lance"
)

// decideCompaction says whether a table's fragments call for compaction
// under p, and why. It mirrors what lance.Dataset.Compact would rewrite:
// fragments with fewer rows than the target ("small", counting deleted
// rows, as Lance does), and fragments
// whose deleted share exceeds the threshold. Compaction is worth a job when
// there are at least MinFragments small fragments, or any fragment with too
// many deleted rows.
func decideCompaction(frags []lance.Fragment, p CompactionPolicy) (string, bool) {
	if !p.Enabled || len(frags) == 0 {
		return "", false
	}
	small, deleted := 0, 0
	for _, f := range frags {
		if f.PhysicalRows < p.TargetRows {
			small++
		}
		if f.PhysicalRows > 0 && float64(f.DeletedRows)/float64(f.PhysicalRows) > p.MaxDeletedFraction {
			deleted++
		}
	}
	switch {
	case small >= p.MinFragments && small > 1:
		return fmt.Sprintf("%d of %d fragments have fewer than %d rows (threshold %d fragments)", small, len(frags), p.TargetRows, p.MinFragments), true
	case deleted > 0:
		return fmt.Sprintf("%d fragments have more than %.0f%% of their rows deleted", deleted, p.MaxDeletedFraction*100), true
	}
	return "", false
}

// decideCleanup says whether versions older than the retention exist
// (never counting the latest, nor tagged versions, which cleanup keeps).
func decideCleanup(versions []lance.VersionInfo, tagged map[uint64]bool, p CleanupPolicy, now time.Time) (string, bool) {
	if !p.Enabled || len(versions) < 2 {
		return "", false
	}
	cutoff := now.Add(-p.OlderThan)
	old := 0
	for _, v := range versions[:len(versions)-1] {
		if v.Timestamp.Before(cutoff) && !tagged[v.Version] {
			old++
		}
	}
	if old == 0 {
		return "", false
	}
	return fmt.Sprintf("%d versions older than %s", old, p.OlderThan), true
}
