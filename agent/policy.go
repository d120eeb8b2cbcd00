package agent

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/indexspec"
)

// Policy is the maintenance a table gets. The agent has a global policy;
// a table overrides any part of it with keys in its Lance dataset config
// (the manifest's config map, which pylance's update_config also writes):
//
//	lancegate.compaction.enabled               true | false
//	lancegate.compaction.min_fragments         16
//	lancegate.compaction.target_rows           1048576
//	lancegate.compaction.max_deleted_fraction  0.1
//	lancegate.compaction.min_interval          1m
//	lancegate.cleanup.enabled                  true | false
//	lancegate.cleanup.older_than               168h
//	lancegate.index.enabled                    true
//	lancegate.index.min_rows                   100000
//	lancegate.index.metric                     l2 | cosine | dot
//	lancegate.index.num_partitions             0 (√rows)
//	lancegate.index.num_sub_vectors            0 (dim/16)
//	lancegate.index.delta_min_rows             10000
//	lancegate.index.max_segments               8
//	lancegate.index.retrain_drift              1.5
//
// Keys under lancegate.indexes. are index declarations (CREATE INDEX,
// package indexspec), not policy.
//
// A malformed value is ignored (and reported by Effective) rather than
// stopping maintenance of the table.
type Policy struct {
	Compaction CompactionPolicy
	Cleanup    CleanupPolicy
	Index      IndexPolicy
}

// IndexPolicy says when a vector column gets an index, and which.
type IndexPolicy struct {
	// Enabled turns automatic indexes on (the default): a vector column
	// without any index gets an IVF_PQ index once the table has MinRows
	// rows. Declared indexes (CREATE INDEX) are built either way.
	Enabled bool
	// MinRows is the table size from which a vector column without an
	// index gets one.
	MinRows uint64
	// Metric is the distance the index answers (l2, cosine, dot).
	Metric distance.Metric
	// NumPartitions and NumSubVectors shape the IVF_PQ index; 0 picks
	// ivfpq's defaults (√rows partitions, dim/16 sub-vectors).
	NumPartitions, NumSubVectors int
	// DeltaMinRows is how many unindexed rows (in fragments appended since
	// an index was built) make a delta segment worth building; fewer are
	// searched exactly. This applies to every index, declared or automatic.
	DeltaMinRows uint64
	// MaxSegments caps an index's segments: a delta that would exceed it
	// merges all segments into one instead (same model, no retraining).
	MaxSegments int
	// RetrainDrift triggers retraining: when the new rows' mean IVF loss
	// exceeds RetrainDrift × the indexed rows', the model no longer fits
	// the data and the index is rebuilt from scratch over all rows.
	RetrainDrift float64
}

// CompactionPolicy says when a table's fragments are rewritten.
type CompactionPolicy struct {
	Enabled bool
	// MinFragments is how many small fragments (fewer rows than
	// TargetRows) make compaction worth a job.
	MinFragments int
	// TargetRows is the row count compaction aims for per fragment.
	TargetRows uint64
	// MaxDeletedFraction: a fragment with a larger share of deleted rows
	// is rewritten without them, however few small fragments there are.
	MaxDeletedFraction float64
	// MinInterval is the least time between the end of one compaction of
	// a table and the start of the next. A table taking a steady trickle
	// of small writes would otherwise be compacted every MinFragments
	// commits, each time rewriting the run compacted the time before;
	// with it, the small fragments of an interval are compacted together.
	MinInterval time.Duration
}

// CleanupPolicy says when old versions are deleted.
type CleanupPolicy struct {
	Enabled bool
	// OlderThan is the retention: versions older than this (never the
	// latest) and the files only they use are deleted.
	OlderThan time.Duration
}

// DefaultPolicy is the global policy unless configured: compaction of 16
// or more small fragments into fragments of up to 1,048,576 rows (Lance's
// default target), or of any fragment more than 10 % deleted, at most once
// a minute per table; cleanup of versions older than 7 days; an IVF_PQ
// index on each vector column of tables from 100,000 rows, delta segments
// from 10,000 unindexed rows, at most 8 segments, retraining past 1.5×
// drift.
func DefaultPolicy() Policy {
	return Policy{
		Compaction: CompactionPolicy{Enabled: true, MinFragments: 16, TargetRows: 1 << 20, MaxDeletedFraction: 0.1, MinInterval: time.Minute},
		Cleanup:    CleanupPolicy{Enabled: true, OlderThan: 7 * 24 * time.Hour},
		Index:      IndexPolicy{Enabled: true, MinRows: 100_000, Metric: distance.L2, DeltaMinRows: 10_000, MaxSegments: 8, RetrainDrift: 1.5},
	}
}

// configPrefix starts the dataset config keys the agent reads.
const configPrefix = "lancegate."

// Effective returns p with the overrides of a table's dataset config
// applied, and the problems with keys that could not be applied.
func (p Policy) Effective(config map[string]string) (Policy, []error) {
	var errs []error
	for k, v := range config {
		if !strings.HasPrefix(k, configPrefix) || strings.HasPrefix(k, indexspec.ConfigPrefix) {
			continue
		}
		var err error
		switch strings.TrimPrefix(k, configPrefix) {
		case "compaction.enabled":
			var b bool
			if b, err = strconv.ParseBool(v); err == nil {
				p.Compaction.Enabled = b
			}
		case "compaction.min_fragments":
			var n int
			if n, err = strconv.Atoi(v); err == nil && n < 2 {
				err = fmt.Errorf("want at least 2")
			}
			if err == nil {
				p.Compaction.MinFragments = n
			}
		case "compaction.target_rows":
			var n uint64
			if n, err = strconv.ParseUint(v, 10, 64); err == nil && n == 0 {
				err = fmt.Errorf("want a positive row count")
			}
			if err == nil {
				p.Compaction.TargetRows = n
			}
		case "compaction.max_deleted_fraction":
			var f float64
			if f, err = strconv.ParseFloat(v, 64); err == nil && (f < 0 || f > 1) {
				err = fmt.Errorf("want a fraction between 0 and 1")
			}
			if err == nil {
				p.Compaction.MaxDeletedFraction = f
			}
		case "compaction.min_interval":
			var d time.Duration
			if d, err = time.ParseDuration(v); err == nil && d < 0 {
				err = fmt.Errorf("want a non-negative duration")
			}
			if err == nil {
				p.Compaction.MinInterval = d
			}
		case "cleanup.enabled":
			var b bool
			if b, err = strconv.ParseBool(v); err == nil {
				p.Cleanup.Enabled = b
			}
		case "cleanup.older_than":
			var d time.Duration
			if d, err = time.ParseDuration(v); err == nil && d <= 0 {
				err = fmt.Errorf("want a positive duration")
			}
			if err == nil {
				p.Cleanup.OlderThan = d
			}
		case "index.enabled":
			var b bool
			if b, err = strconv.ParseBool(v); err == nil {
				p.Index.Enabled = b
			}
		case "index.min_rows":
			var n uint64
			if n, err = strconv.ParseUint(v, 10, 64); err == nil {
				p.Index.MinRows = n
			}
		case "index.metric":
			var m distance.Metric
			if m, err = distance.ParseMetric(v); err == nil {
				p.Index.Metric = m
			}
		case "index.num_partitions", "index.num_sub_vectors":
			var n int
			if n, err = strconv.Atoi(v); err == nil && n < 0 {
				err = fmt.Errorf("want 0 (automatic) or a positive count")
			}
			if err == nil && strings.HasSuffix(k, "partitions") {
				p.Index.NumPartitions = n
			} else if err == nil {
				p.Index.NumSubVectors = n
			}
		case "index.delta_min_rows":
			var n uint64
			if n, err = strconv.ParseUint(v, 10, 64); err == nil && n == 0 {
				err = fmt.Errorf("want a positive row count")
			}
			if err == nil {
				p.Index.DeltaMinRows = n
			}
		case "index.max_segments":
			var n int
			if n, err = strconv.Atoi(v); err == nil && n < 1 {
				err = fmt.Errorf("want at least 1")
			}
			if err == nil {
				p.Index.MaxSegments = n
			}
		case "index.retrain_drift":
			var f float64
			if f, err = strconv.ParseFloat(v, 64); err == nil && f < 1 {
				err = fmt.Errorf("want a ratio of at least 1")
			}
			if err == nil {
				p.Index.RetrainDrift = f
			}
		default:
			err = fmt.Errorf("unknown key")
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("table config %s=%q: %w", k, v, err))
		}
	}
	return p, errs
}
