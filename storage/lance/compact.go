package lance

import (
	"context"
	"fmt"
	"log/slog"
	"math"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"google.golang.org/protobuf/proto"

	"github.com/lancegate/lancegate/storage/lance/pb"
)

// Compaction rewrites runs of small fragments, and fragments with many
// deleted rows, into fewer, larger fragments without deletions, as pylance's
// compact_files does. The plan follows Lance's plan_compaction; the doc.go
// essay describes it, and the conflict rules of a Rewrite.

// DefaultTargetRowsPerFragment is the fragment size compaction aims for,
// pylance's default.
const DefaultTargetRowsPerFragment = 1 << 20

// DefaultMaterializeDeletionsThreshold is the deleted share of a fragment's
// rows above which compaction rewrites it even alone, pylance's default.
const DefaultMaterializeDeletionsThreshold = 0.1

// CompactOptions configures Compact. The zero value means pylance's
// defaults.
type CompactOptions struct {
	// TargetRowsPerFragment is the size compaction aims for: fragments with
	// fewer physical rows are candidates, and no new fragment holds more
	// rows. 0 means DefaultTargetRowsPerFragment.
	TargetRowsPerFragment uint64
	// MaterializeDeletionsThreshold is the share of deleted rows (deleted /
	// physical) above which a fragment is rewritten even when no neighbour
	// is compacted with it. 0 means DefaultMaterializeDeletionsThreshold; a
	// negative value rewrites every fragment that has deletions; 1 or more
	// never rewrites a fragment for its deletions alone.
	MaterializeDeletionsThreshold float64
	// BatchRows caps the rows of a batch read from the old fragments; 0
	// means DefaultBatchRows.
	BatchRows int
	// PageBytes is the target page size of the new data files; 0 means the
	// data file default. (Lance 2.x files have no row groups, so pylance's
	// max_rows_per_group has no counterpart here.)
	PageBytes int
	// Mem allocates the batches in flight; nil means
	// memory.DefaultAllocator.
	Mem memory.Allocator
	// RemapIndex, when set, lets compaction rewrite fragments that indexes
	// cover: runs never mix fragments of different coverage, and each index
	// entry over rewritten fragments is rewritten by RemapIndex and swapped
	// in by the same commit (remap.go). Nil leaves indexed fragments alone.
	RemapIndex IndexRemapper
}

func (o CompactOptions) withDefaults() CompactOptions {
	if o.TargetRowsPerFragment == 0 {
		o.TargetRowsPerFragment = DefaultTargetRowsPerFragment
	}
	// A data file holds at most 2^32 rows and the writer counts in ints.
	o.TargetRowsPerFragment = min(o.TargetRowsPerFragment, math.MaxInt32)
	if o.MaterializeDeletionsThreshold == 0 {
		o.MaterializeDeletionsThreshold = DefaultMaterializeDeletionsThreshold
	}
	if o.Mem == nil {
		o.Mem = memory.DefaultAllocator
	}
	return o
}

// CompactStats reports what a compaction did. Files count data files and
// deletion files, as pylance's CompactionMetrics do.
type CompactStats struct {
	// FragmentsRemoved counts the fragments rewritten.
	FragmentsRemoved uint64
	// FragmentsAdded counts the fragments written in their place.
	FragmentsAdded uint64
	// FilesRemoved counts the data and deletion files of the rewritten
	// fragments (they stay on storage until CleanupOldVersions).
	FilesRemoved uint64
	// FilesAdded counts the data files written.
	FilesAdded uint64
	// RowsRewritten counts the rows copied into the new fragments.
	RowsRewritten uint64
	// ReadVersion is the version the compaction was planned on.
	ReadVersion uint64
	// Version is the version it committed (0 when there was nothing to do).
	Version uint64
	// IndexesRemapped counts the index entries rewritten for the moved rows.
	IndexesRemapped uint64
}

// Compact rewrites small and heavily deleted fragments into fewer, larger
// ones and commits them as one Rewrite transaction, which pylance shows as
// "Rewrite" in its history. Rows keep their order; deleted rows are dropped;
// new fragments take fresh ids. Fragments that an index covers are
// rewritten only with opts.RemapIndex, which rewrites the index entries to
// match (see remap.go); otherwise they are left alone.
//
// With nothing to compact it returns d itself and zero stats, committing
// nothing. A concurrent commit that changed or removed a fragment being
// rewritten makes it fail with ErrCommitConflict, leaving the dataset as
// that commit left it; the caller may compact again.
func (d *Dataset) Compact(ctx context.Context, opts CompactOptions) (*Dataset, CompactStats, error) {
	opts = opts.withDefaults()
	idx, err := d.indices()
	if err != nil {
		return nil, CompactStats{}, err
	}
	metrics, err := d.fragmentMetrics(ctx)
	if err != nil {
		return nil, CompactStats{}, fmt.Errorf("compact: %w", err)
	}
	key := func(id uint64) (string, bool) { return "", true }
	if covered := indexCoverage(idx.GetIndices()); opts.RemapIndex == nil {
		key = func(id uint64) (string, bool) { return "", !covered(id) }
	} else if keys, ok := coverageKeys(idx.GetIndices()); ok {
		key = func(id uint64) (string, bool) { return keys(id), true }
	} else {
		key = func(id uint64) (string, bool) { return "", !covered(id) }
	}
	plan := planCompaction(metrics, key, opts)
	if len(plan) == 0 {
		return d, CompactStats{}, nil
	}
	remapNeeded := false
	for _, g := range plan {
		if k, _ := key(g[0].Id); k != "" {
			remapNeeded = true
		}
	}

	stats := CompactStats{ReadVersion: d.Version()}
	groups := make([]*pb.Transaction_Rewrite_RewriteGroup, 0, len(plan))
	var written []string
	for _, old := range plan {
		frags, keys, err := d.rewriteFragments(ctx, old, opts)
		if err != nil {
			cleanup(d.store, written)
			return nil, CompactStats{}, fmt.Errorf("compact: %w", err)
		}
		written = append(written, keys...)
		groups = append(groups, &pb.Transaction_Rewrite_RewriteGroup{OldFragments: old, NewFragments: frags})
		stats.FragmentsRemoved += uint64(len(old))
		stats.FragmentsAdded += uint64(len(frags))
		for _, f := range old {
			stats.FilesRemoved += uint64(len(f.Files))
			if f.DeletionFile != nil {
				stats.FilesRemoved++
			}
		}
		for _, f := range frags {
			stats.FilesAdded += uint64(len(f.Files))
			stats.RowsRewritten += f.PhysicalRows
		}
	}

	// pylance writes only the groups; the top-level old_fragments and
	// new_fragments are deprecated. New fragments carry id 0 ("assign at
	// commit"), as appended ones do: their ids depend on the manifest the
	// commit lands on. When indexes must be remapped, the row addresses
	// written into their files need the ids first: they are reserved by a
	// commit of their own, as pylance does.
	var replaced map[string]*pb.IndexMetadata
	var rewritten []*pb.Transaction_Rewrite_RewrittenIndex
	if remapNeeded {
		n := 0
		for _, g := range groups {
			n += len(g.NewFragments)
			if len(g.NewFragments) == 0 {
				// Every row of the group was deleted: nothing to remap
				// into, so leave these indexed fragments alone.
				cleanup(d.store, written)
				return d, CompactStats{}, nil
			}
		}
		first, err := d.reserveFragments(ctx, n)
		if err != nil {
			cleanup(d.store, written)
			return nil, CompactStats{}, fmt.Errorf("compact: reserving fragment ids: %w", err)
		}
		for _, g := range groups {
			g.NewFragments = numberFragments(g.NewFragments, first)
			first += uint64(len(g.NewFragments))
		}
		m, err := d.newRemapping(ctx, groups)
		if err == nil {
			var files []string
			replaced, rewritten, files, err = d.remapIndexes(ctx, idx.GetIndices(), m, groups, opts.RemapIndex)
			written = append(written, files...)
		}
		if err != nil {
			cleanup(d.store, written)
			return nil, CompactStats{}, fmt.Errorf("compact: %w", err)
		}
	}
	txn := &pb.Transaction{Operation: &pb.Transaction_Rewrite_{Rewrite: &pb.Transaction_Rewrite{Groups: groups, RewrittenIndices: rewritten}}}
	ds, err := commit(ctx, d.store, d.root, d, commitSpec{
		txn:     txn,
		format:  d.format,
		scheme:  d.scheme,
		written: written,
		build: func(latest *pb.Manifest, idx *pb.IndexSection) (*pb.Manifest, *pb.IndexSection, error) {
			old := fragmentsTouched(txn)
			ids := make([]uint64, 0, len(old))
			for id := range old {
				ids = append(ids, id)
			}
			if err := requireUnchanged(latest, d.manifest, ids); err != nil {
				return nil, nil, err
			}
			if idx != nil {
				var others []*pb.IndexMetadata
				found := 0
				for i, im := range idx.Indices {
					if nim, ok := replaced[hyphenatedUUID(im.GetUuid().GetUuid())]; ok {
						idx.Indices[i] = proto.Clone(nim).(*pb.IndexMetadata)
						found++
						continue
					}
					others = append(others, im)
				}
				if found != len(replaced) {
					return nil, nil, fmt.Errorf("%w: an index this compaction remaps changed since version %d", ErrCommitConflict, d.Version())
				}
				if indicesCover(others, old) {
					return nil, nil, fmt.Errorf("%w: version %d indexes fragments this compaction rewrites", ErrCommitConflict, latest.Version)
				}
			} else if len(replaced) > 0 {
				return nil, nil, fmt.Errorf("%w: the indexes this compaction remaps were dropped", ErrCommitConflict)
			}
			latest.Fragments = replaceGroups(latest.Fragments, groups, nextFragmentID(latest), remapNeeded)
			return latest, idx, nil
		},
	})
	if err != nil {
		return nil, CompactStats{}, fmt.Errorf("compact: %w", err)
	}
	stats.Version = ds.Version()
	stats.IndexesRemapped = uint64(len(rewritten))
	slog.Debug("lance: compacted", "root", d.root, "read_version", stats.ReadVersion, "version", stats.Version,
		"fragments_removed", stats.FragmentsRemoved, "fragments_added", stats.FragmentsAdded, "rows", stats.RowsRewritten)
	return ds, stats, nil
}

// indices decodes the dataset's index section, or returns nil without one.
func (d *Dataset) indices() (*pb.IndexSection, error) {
	if d.indexSection == nil {
		return nil, nil
	}
	idx := &pb.IndexSection{}
	if err := proto.Unmarshal(d.indexSection, idx); err != nil {
		return nil, fmt.Errorf("%w: index section of version %d: %v", ErrCorrupt, d.Version(), err)
	}
	return idx, nil
}

// fragmentMetrics is what planning knows of one fragment.
type fragmentMetrics struct {
	frag     *pb.DataFragment
	physical uint64
	deleted  uint64
}

func (m fragmentMetrics) live() uint64 { return m.physical - m.deleted }

// fragmentMetrics gathers the row counts of every fragment in manifest
// order. The deleted count comes from the manifest, or, where an old writer
// left it out, from the deletion file.
func (d *Dataset) fragmentMetrics(ctx context.Context) ([]fragmentMetrics, error) {
	out := make([]fragmentMetrics, 0, len(d.manifest.Fragments))
	for _, f := range d.manifest.Fragments {
		m := fragmentMetrics{frag: f, physical: f.PhysicalRows}
		if df := f.DeletionFile; df != nil {
			m.deleted = df.NumDeletedRows
			if m.deleted == 0 {
				bm, err := d.readDeletions(ctx, f)
				if err != nil {
					return nil, err
				}
				m.deleted = bm.GetCardinality()
			}
		}
		if m.deleted > m.physical {
			return nil, fmt.Errorf("%w: fragment %d has %d deleted rows of %d", ErrCorrupt, f.Id, m.deleted, m.physical)
		}
		out = append(out, m)
	}
	return out, nil
}

// planCompaction groups fragments to rewrite, as Lance's plan_compaction
// does. key gives a fragment's index coverage (runs break where it
// changes) and whether it may be rewritten at all:
//
//   - a fragment is a candidate when it has deletions above the threshold
//     (it is then worth rewriting even alone) or fewer physical rows than
//     the target (worth rewriting only together with a neighbour);
//   - contiguous runs of candidates, in manifest order, form bins; a
//     fragment key refuses (covered by an index no one remaps), or whose
//     row count is unknown, ends a run and is never a candidate, and a
//     change of index coverage ends a run, so that every new fragment is
//     covered by exactly the indexes its rows were;
//   - a bin of one fragment that is not worth rewriting alone is dropped;
//   - each remaining bin is cut, from its start, into groups of at least
//     target live rows, the remainder going to the last group.
//
// The writer then cuts each group into fragments of at most target rows.
func planCompaction(metrics []fragmentMetrics, key func(id uint64) (string, bool), opts CompactOptions) [][]*pb.DataFragment {
	target := opts.TargetRowsPerFragment
	var plan [][]*pb.DataFragment
	var run []fragmentMetrics
	runKey := ""
	alone := false
	flush := func() {
		if len(run) > 1 || (len(run) == 1 && alone) {
			plan = append(plan, splitForSize(run, target)...)
		}
		run, alone = nil, false
	}
	for _, m := range metrics {
		k, ok := key(m.frag.Id)
		if m.physical == 0 || !ok {
			flush()
			continue
		}
		if len(run) > 0 && k != runKey {
			flush()
		}
		runKey = k
		heavy := m.deleted > 0 && float64(m.deleted)/float64(m.physical) > opts.MaterializeDeletionsThreshold
		if !heavy && m.physical >= target {
			flush()
			continue
		}
		run = append(run, m)
		alone = alone || heavy
	}
	flush()
	return plan
}

// splitForSize cuts a run into groups of at least target live rows; the
// last group takes whatever remains.
func splitForSize(run []fragmentMetrics, target uint64) [][]*pb.DataFragment {
	var out [][]*pb.DataFragment
	for len(run) > 0 {
		n, rows := 0, uint64(0)
		for rows < target && n < len(run) {
			rows += run[n].live()
			n++
		}
		var rest uint64
		for _, m := range run[n:] {
			rest += m.live()
		}
		if rest < target {
			n = len(run)
		}
		group := make([]*pb.DataFragment, n)
		for i, m := range run[:n] {
			group[i] = m.frag
		}
		out = append(out, group)
		run = run[n:]
	}
	return out
}

// rewriteFragments reads the visible rows of old, in order, and writes them
// as new fragments (id 0) of at most the target rows each.
func (d *Dataset) rewriteFragments(ctx context.Context, old []*pb.DataFragment, opts CompactOptions) ([]*pb.DataFragment, []string, error) {
	ids := make([]uint64, len(old))
	for i, f := range old {
		ids[i] = f.Id
	}
	sc, err := d.Scan(ScanOptions{Fragments: ids, BatchRows: opts.BatchRows, Mem: opts.Mem})
	if err != nil {
		return nil, nil, err
	}
	defer sc.Close()
	return writeBatches(ctx, d.store, d.root, d.schema, d.format, sc, WriteOptions{
		MaxRowsPerFile: int(opts.TargetRowsPerFragment),
		PageBytes:      opts.PageBytes,
	})
}

// replaceGroups puts each group's new fragments, numbered from next on, in
// place of its old ones, at the position of the first old one still in
// frags.
func replaceGroups(frags []*pb.DataFragment, groups []*pb.Transaction_Rewrite_RewriteGroup, next uint64, reserved bool) []*pb.DataFragment {
	groupOf := map[uint64]int{}
	numbered := make([][]*pb.DataFragment, len(groups))
	for g, grp := range groups {
		for _, f := range grp.OldFragments {
			groupOf[f.Id] = g
		}
		if reserved {
			// Ids were reserved by an earlier commit and are already set.
			numbered[g] = numberFragments(grp.NewFragments, grp.NewFragments[0].Id)
			continue
		}
		numbered[g] = numberFragments(grp.NewFragments, next)
		next += uint64(len(grp.NewFragments))
	}
	placed := make([]bool, len(groups))
	out := make([]*pb.DataFragment, 0, len(frags))
	for _, f := range frags {
		g, ok := groupOf[f.Id]
		if !ok {
			out = append(out, f)
			continue
		}
		if !placed[g] {
			out = append(out, numbered[g]...)
			placed[g] = true
		}
	}
	return out
}
