package lance

import (
	"encoding/hex"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/lancegate/lancegate/storage/lance/pb"
	"github.com/lancegate/lancegate/storage/objstore"
)

// IndexInfo describes one entry of a dataset's index section: an index, or
// one delta of it (several entries may share a Name; their fragment sets are
// disjoint). It is a plain value decoded from the manifest; the index files
// themselves live under IndexDir.
type IndexInfo struct {
	// Name is the index name ("vec_idx" by default in pylance).
	Name string
	// UUID is the index id in hyphenated form; it names the directory
	// _indices/<UUID>/.
	UUID string
	// Fields are the dataset field ids the index covers (not column
	// positions).
	Fields []int32
	// DatasetVersion is the version the index was built from.
	DatasetVersion uint64
	// Fragments are the ids of the fragments whose rows the index holds,
	// ascending. Rows of other fragments are unindexed.
	Fragments []uint32
	// TypeURL is the type URL of index_details, such as
	// "/lance.index.pb.VectorIndexDetails"; empty when absent.
	TypeURL string
	// IndexVersion is the index format version (1 for vector indexes).
	IndexVersion int32
	// Files lists the index directory's files with their sizes, when the
	// writer recorded them (pylance 14 does; older writers do not).
	Files []IndexFile
}

// IndexFile is one file of an index directory.
type IndexFile struct {
	// Path is relative to the index directory ("index.idx").
	Path string
	// Size is the file's length in bytes.
	Size uint64
}

// IndexDir returns the key prefix of the index's directory,
// "<root>/_indices/<uuid>"; join file names to it with objstore.Join.
func (d *Dataset) IndexDir(info IndexInfo) string {
	return objstore.Join(d.root, indicesDir, info.UUID)
}

// Indexes lists the entries of the dataset's index section in manifest
// order, or nil when the version has none. The fragment bitmap is decoded
// from its portable 32-bit Roaring serialization.
func (d *Dataset) Indexes() ([]IndexInfo, error) {
	sec, err := d.indices()
	if err != nil || sec == nil {
		return nil, err
	}
	out := make([]IndexInfo, 0, len(sec.Indices))
	for i, im := range sec.Indices {
		info, err := indexInfo(im)
		if err != nil {
			return nil, fmt.Errorf("%w: index %d (%q) of version %d: %v", ErrCorrupt, i, im.GetName(), d.Version(), err)
		}
		out = append(out, info)
	}
	return out, nil
}

func indexInfo(im *pb.IndexMetadata) (IndexInfo, error) {
	raw := im.GetUuid().GetUuid()
	if len(raw) != 16 {
		return IndexInfo{}, fmt.Errorf("uuid has %d bytes, want 16", len(raw))
	}
	info := IndexInfo{
		Name:           im.GetName(),
		UUID:           hyphenatedUUID(raw),
		Fields:         append([]int32(nil), im.GetFields()...),
		DatasetVersion: im.GetDatasetVersion(),
		TypeURL:        im.GetIndexDetails().GetTypeUrl(),
		IndexVersion:   im.GetIndexVersion(),
	}
	if b := im.GetFragmentBitmap(); len(b) > 0 {
		bm := roaring.New()
		if err := bm.UnmarshalBinary(b); err != nil {
			return IndexInfo{}, fmt.Errorf("fragment bitmap: %v", err)
		}
		info.Fragments = bm.ToArray()
	}
	for _, f := range im.GetFiles() {
		info.Files = append(info.Files, IndexFile{Path: f.GetPath(), Size: f.GetSizeBytes()})
	}
	return info, nil
}

// hyphenatedUUID formats 16 bytes as 8-4-4-4-12 lower-case hex.
func hyphenatedUUID(b []byte) string {
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
