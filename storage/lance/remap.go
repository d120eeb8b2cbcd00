package lance

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/lancegate/lancegate/storage/lance/pb"
)

// Compaction of indexed fragments, as Lance does it (docs/vector-index.md
// §1.6): the rows move to new fragments, so every index covering them is
// rewritten with remapped row addresses under a new uuid and swapped in by
// the same Rewrite commit.
//
//	plan (runs never mix fragments of different index coverage)
//	  ─▶ write the new fragments (ids not yet known)
//	  ─▶ ReserveFragments commit: ids for them, fixed whatever commits next
//	  ─▶ RowRemap: old address → new address (deleted rows: none)
//	  ─▶ CompactOptions.RemapIndex per index entry touching the rewritten
//	     fragments: new files, new uuid, nothing committed
//	  ─▶ Rewrite commit: new fragments, index entries replaced, recorded in
//	     rewritten_indices
//
// storage/lance knows no index format; the remapper (lanceindex.Remapper
// for vector indexes) does the file work.

// IndexRemapper rewrites the files of index entry info of d for a
// compaction: every row address a in the index becomes remap.Map(a) (rows
// it reports gone are dropped), under a new uuid. It returns the new entry
// for the Rewrite commit (Name, UUID, FieldID, DetailsTypeURL,
// DetailsValue, Files; the covered fragments are computed by Compact).
type IndexRemapper func(ctx context.Context, d *Dataset, info IndexInfo, remap *RowRemap) (NewIndex, error)

// RowRemap maps the row addresses of the fragments a compaction rewrites
// to their addresses in the new fragments. Rows keep their order: the
// visible rows of a group's old fragments, in order, fill its new
// fragments, in order.
type RowRemap struct {
	old    map[uint64]remapFragment // by old fragment id
	groups []groupTargets
}

type remapFragment struct {
	group   int
	base    uint64          // rank of the fragment's first visible row in its group
	deleted *roaring.Bitmap // nil when none
	rows    uint64          // physical rows
}

// groupTargets are a group's new fragments: ids and first row ranks.
type groupTargets struct {
	ids    []uint64
	starts []uint64 // starts[i] is the rank of fragment ids[i]'s first row
}

// Rewritten reports whether the compaction moves the rows of fragment id.
func (r *RowRemap) Rewritten(id uint64) bool {
	_, ok := r.old[id]
	return ok
}

// Map returns the new address of the row at old and whether it still
// exists: (old, true) for rows of fragments the compaction does not
// rewrite, (0, false) for deleted rows.
func (m *RowRemap) Map(old uint64) (uint64, bool) {
	f, ok := m.old[old>>32]
	if !ok {
		return old, true
	}
	off := old & 0xffffffff
	if off >= f.rows || (f.deleted != nil && f.deleted.Contains(uint32(off))) {
		return 0, false
	}
	rank := f.base + off
	if f.deleted != nil && off > 0 {
		rank -= f.deleted.Rank(uint32(off - 1))
	}
	g := m.groups[f.group]
	i := sort.Search(len(g.starts), func(i int) bool { return g.starts[i] > rank }) - 1
	if i < 0 {
		return 0, false
	}
	return g.ids[i]<<32 | (rank - g.starts[i]), true
}

// newRemapping builds the map of compaction groups whose new fragments
// carry their final ids.
func (d *Dataset) newRemapping(ctx context.Context, groups []*pb.Transaction_Rewrite_RewriteGroup) (*RowRemap, error) {
	m := &RowRemap{old: map[uint64]remapFragment{}}
	for gi, g := range groups {
		var rank uint64
		for _, f := range g.OldFragments {
			rf := remapFragment{group: gi, base: rank, rows: f.PhysicalRows}
			if f.DeletionFile != nil {
				bm, err := d.readDeletions(ctx, f)
				if err != nil {
					return nil, err
				}
				rf.deleted = bm
			}
			visible := f.PhysicalRows
			if rf.deleted != nil {
				visible -= rf.deleted.GetCardinality()
			}
			m.old[f.Id] = rf
			rank += visible
		}
		var t groupTargets
		var start uint64
		for _, nf := range g.NewFragments {
			t.ids = append(t.ids, nf.Id)
			t.starts = append(t.starts, start)
			start += nf.PhysicalRows
		}
		if start != rank {
			return nil, fmt.Errorf("%w: compaction group %d wrote %d rows of %d visible", ErrCorrupt, gi, start, rank)
		}
		m.groups = append(m.groups, t)
	}
	return m, nil
}

// coverageKeys returns, per fragment id, the sorted uuids of the index
// entries covering it ("" for none), so that compaction never joins
// fragments of different coverage into one new fragment.
func coverageKeys(indices []*pb.IndexMetadata) (func(id uint64) string, bool) {
	type entry struct {
		id string
		bm *roaring.Bitmap
	}
	var entries []entry
	for _, im := range indices {
		bm, ok := fragmentBitmap(im)
		if !ok {
			return nil, false
		}
		entries = append(entries, entry{hyphenatedUUID(im.GetUuid().GetUuid()), bm})
	}
	return func(id uint64) string {
		var ids []string
		for _, e := range entries {
			if id <= 0xffffffff && e.bm.Contains(uint32(id)) {
				ids = append(ids, e.id)
			}
		}
		slices.Sort(ids)
		return strings.Join(ids, ",")
	}, true
}

// reserveFragments commits a ReserveFragments transaction for n ids and
// returns the first.
func (d *Dataset) reserveFragments(ctx context.Context, n int) (uint64, error) {
	txn := &pb.Transaction{Operation: &pb.Transaction_ReserveFragments_{ReserveFragments: &pb.Transaction_ReserveFragments{NumFragments: uint32(n)}}}
	var first uint64
	_, err := commit(ctx, d.store, d.root, d, commitSpec{
		txn:    txn,
		format: d.format,
		scheme: d.scheme,
		build: func(latest *pb.Manifest, idx *pb.IndexSection) (*pb.Manifest, *pb.IndexSection, error) {
			first = nextFragmentID(latest)
			last := uint32(first + uint64(n) - 1)
			latest.MaxFragmentId = &last
			return latest, idx, nil
		},
	})
	return first, err
}

// remapIndexes rewrites the index entries that cover fragments the groups
// rewrite, through remap. It returns the new entries' metadata by old uuid
// and the files written.
func (d *Dataset) remapIndexes(ctx context.Context, indices []*pb.IndexMetadata, m *RowRemap, groups []*pb.Transaction_Rewrite_RewriteGroup, remap IndexRemapper) (map[string]*pb.IndexMetadata, []*pb.Transaction_Rewrite_RewrittenIndex, []string, error) {
	out := map[string]*pb.IndexMetadata{}
	var rewritten []*pb.Transaction_Rewrite_RewrittenIndex
	var written []string
	for _, im := range indices {
		bm, _ := fragmentBitmap(im)
		touched := false
		for id := range m.old {
			if bm.Contains(uint32(id)) {
				touched = true
				break
			}
		}
		if !touched {
			continue
		}
		info, err := indexInfo(im)
		if err != nil {
			return nil, nil, written, err
		}
		ni, err := remap(ctx, d, info, m)
		if err != nil {
			return nil, nil, written, fmt.Errorf("remap index %s (%s): %w", info.Name, info.UUID, err)
		}
		for _, f := range ni.Files {
			written = append(written, d.IndexDir(IndexInfo{UUID: ni.UUID})+"/"+f.Path)
		}
		u, err := uuid.Parse(ni.UUID)
		if err != nil {
			return nil, nil, written, fmt.Errorf("remap index %s: uuid %q: %w", info.Name, ni.UUID, err)
		}
		// Coverage: the old fragments minus the rewritten, plus the new
		// fragments of the groups (whose old fragments this entry covered
		// entirely: groups never mix coverage).
		nb := bm.Clone()
		for gi, g := range groups {
			if !bm.Contains(uint32(g.OldFragments[0].Id)) {
				continue
			}
			for _, f := range g.OldFragments {
				nb.Remove(uint32(f.Id))
			}
			for _, id := range m.groups[gi].ids {
				nb.Add(uint32(id))
			}
		}
		bitmap, err := nb.ToBytes()
		if err != nil {
			return nil, nil, written, err
		}
		nim := proto.Clone(im).(*pb.IndexMetadata)
		nim.Uuid = &pb.UUID{Uuid: u[:]}
		nim.FragmentBitmap = bitmap
		nim.Files = nil
		for _, f := range ni.Files {
			nim.Files = append(nim.Files, &pb.IndexFile{Path: f.Path, SizeBytes: f.Size})
		}
		if ni.DetailsTypeURL != "" {
			nim.IndexDetails = &anypb.Any{TypeUrl: ni.DetailsTypeURL, Value: ni.DetailsValue}
		}
		out[info.UUID] = nim
		rewritten = append(rewritten, &pb.Transaction_Rewrite_RewrittenIndex{
			OldId: im.GetUuid(), NewId: nim.Uuid, NewIndexDetails: nim.IndexDetails,
			NewIndexVersion: uint32(im.GetIndexVersion()), NewIndexFiles: nim.Files,
		})
	}
	return out, rewritten, written, nil
}
