package lance

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/lancegate/lancegate/storage/lance/pb"
)

// vectorIndexVersion is the index_version of every vector index
// (VECTOR_INDEX_VERSION in Lance; docs/vector-index.md §1.1).
const vectorIndexVersion = 1

// NewIndex describes an index whose files are already written under
// _indices/<UUID>/ and which CommitIndex records in the manifest.
type NewIndex struct {
	// Name is the index name; entries sharing a name are deltas of one
	// index and must cover disjoint fragments.
	Name string
	// UUID names the index directory, in hyphenated form.
	UUID string
	// FieldID is the dataset field id of the indexed column.
	FieldID int32
	// Fragments are the ids of the fragments whose rows the index files
	// hold, all of them: rows of other fragments are searched flat.
	Fragments []uint32
	// DetailsTypeURL and DetailsValue form the index_details Any, such as
	// "/lance.index.pb.VectorIndexDetails" and its encoded message.
	DetailsTypeURL string
	DetailsValue   []byte
	// Files lists the index directory's files with their sizes.
	Files []IndexFile
	// Replaces lists the UUIDs of index entries this one supersedes (the
	// segments a merge or retrain combines); they leave the manifest in the
	// same commit, recorded as the transaction's removed indices. The
	// commit conflicts if one of them is gone by then.
	Replaces []string
	// Exclusive makes the commit conflict when, by then, another index
	// entry (not one it replaces) covers the field.
	Exclusive bool
	// Requires lists UUIDs of index entries that must still be in the
	// manifest (the segments a delta extends), and RequireConfig a config
	// key that must still be set (the declaration of the index being
	// built): a DROP INDEX committed meanwhile makes the commit conflict
	// instead of bringing the index back.
	Requires      []string
	RequireConfig string
}

// CommitIndex records ix in the index section of a new version, as a
// CreateIndex transaction built on d (its dataset_version is d's version).
// The covered fragments must exist in d and be unchanged in the version the
// commit lands on; see checkConflict for the concurrent operations it
// rebases over. An index of the same name that covers one of the same
// fragments is refused.
func (d *Dataset) CommitIndex(ctx context.Context, ix NewIndex) (*Dataset, error) {
	if ix.Name == "" {
		return nil, fmt.Errorf("commit index: empty name")
	}
	u, err := uuid.Parse(ix.UUID)
	if err != nil {
		return nil, fmt.Errorf("commit index %q: uuid %q: %w", ix.Name, ix.UUID, err)
	}
	if !slices.ContainsFunc(d.schema.Fields(), func(f *pb.Field) bool { return f.Id == ix.FieldID }) {
		return nil, fmt.Errorf("commit index %q: %w: field id %d", ix.Name, ErrNoColumn, ix.FieldID)
	}
	if len(ix.Fragments) == 0 {
		return nil, fmt.Errorf("commit index %q: covers no fragment", ix.Name)
	}
	have := map[uint64]bool{}
	for _, f := range d.manifest.Fragments {
		have[f.Id] = true
	}
	ids := make([]uint64, 0, len(ix.Fragments))
	bm := roaring.New()
	for _, id := range ix.Fragments {
		if !have[uint64(id)] {
			return nil, fmt.Errorf("commit index %q: version %d has no fragment %d", ix.Name, d.Version(), id)
		}
		bm.Add(id)
		ids = append(ids, uint64(id))
	}
	bitmap, err := bm.ToBytes()
	if err != nil {
		return nil, fmt.Errorf("commit index %q: fragment bitmap: %w", ix.Name, err)
	}
	im := &pb.IndexMetadata{
		Uuid:           &pb.UUID{Uuid: u[:]},
		Fields:         []int32{ix.FieldID},
		Name:           ix.Name,
		DatasetVersion: d.Version(),
		FragmentBitmap: bitmap,
		IndexDetails:   &anypb.Any{TypeUrl: ix.DetailsTypeURL, Value: ix.DetailsValue},
		IndexVersion:   proto.Int32(vectorIndexVersion),
		CreatedAt:      proto.Uint64(uint64(time.Now().UnixMilli())),
	}
	for _, f := range ix.Files {
		im.Files = append(im.Files, &pb.IndexFile{Path: f.Path, SizeBytes: f.Size})
	}
	replaced := map[string]bool{}
	var removed []*pb.IndexMetadata
	if len(ix.Replaces) > 0 {
		sec, err := d.indices()
		if err != nil {
			return nil, err
		}
		for _, r := range ix.Replaces {
			replaced[r] = true
		}
		for _, old := range sec.GetIndices() {
			if replaced[hyphenatedUUID(old.GetUuid().GetUuid())] {
				removed = append(removed, proto.Clone(old).(*pb.IndexMetadata))
			}
		}
		if len(removed) != len(replaced) {
			return nil, fmt.Errorf("commit index %q: version %d lacks some of the indexes it replaces %v", ix.Name, d.Version(), ix.Replaces)
		}
	}
	txn := &pb.Transaction{Operation: &pb.Transaction_CreateIndex_{CreateIndex: &pb.Transaction_CreateIndex{
		NewIndices: []*pb.IndexMetadata{im}, RemovedIndices: removed,
	}}}
	return commit(ctx, d.store, d.root, d, commitSpec{
		txn:    txn,
		format: d.format,
		scheme: d.scheme,
		build: func(latest *pb.Manifest, idx *pb.IndexSection) (*pb.Manifest, *pb.IndexSection, error) {
			if err := requireUnchanged(latest, d.manifest, ids); err != nil {
				return nil, nil, err
			}
			if ix.RequireConfig != "" {
				if _, ok := latest.Config[ix.RequireConfig]; !ok {
					return nil, nil, fmt.Errorf("commit index %q: %w: its declaration %s was removed (DROP INDEX)", ix.Name, ErrCommitConflict, ix.RequireConfig)
				}
			}
			if len(ix.Requires) > 0 {
				have := map[string]bool{}
				for _, old := range idx.GetIndices() {
					have[hyphenatedUUID(old.GetUuid().GetUuid())] = true
				}
				for _, u := range ix.Requires {
					if !have[u] {
						return nil, nil, fmt.Errorf("commit index %q: %w: segment %s it extends was removed", ix.Name, ErrCommitConflict, u)
					}
				}
			}
			if idx == nil {
				idx = &pb.IndexSection{}
			}
			if len(replaced) > 0 {
				kept := idx.Indices[:0]
				for _, old := range idx.Indices {
					if !replaced[hyphenatedUUID(old.GetUuid().GetUuid())] {
						kept = append(kept, old)
					}
				}
				if len(idx.Indices)-len(kept) != len(replaced) {
					return nil, nil, fmt.Errorf("commit index %q: %w: an index it replaces was removed concurrently", ix.Name, ErrCommitConflict)
				}
				idx.Indices = kept
			}
			for _, old := range idx.Indices {
				if ix.Exclusive && slices.Contains(old.GetFields(), ix.FieldID) {
					return nil, nil, fmt.Errorf("commit index %q: %w: index %q covers the column already", ix.Name, ErrCommitConflict, old.GetName())
				}
				if old.GetName() != ix.Name {
					continue
				}
				if indicesCover([]*pb.IndexMetadata{old}, fragmentSet(ids)) {
					return nil, nil, fmt.Errorf("commit index %q: %w: an index of that name already covers some of fragments %v", ix.Name, ErrCommitConflict, ix.Fragments)
				}
			}
			idx.Indices = append(idx.Indices, proto.Clone(im).(*pb.IndexMetadata))
			return latest, idx, nil
		},
	})
}

func fragmentSet(ids []uint64) map[uint64]bool {
	m := make(map[uint64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}
