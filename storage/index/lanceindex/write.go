package lanceindex

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/ivfpq"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/lance/datafile"
	"github.com/lancegate/lancegate/storage/lance/pb"
	"github.com/lancegate/lancegate/storage/objstore"
)

const (
	keyFlat      = "lance:flat"
	colFlat      = "__flat_marker"
	detailsURL   = "/lance.index.pb.VectorIndexDetails"
	ivfBufferPos = 1 // global buffer of the IVF protobuf in both files
	codebookPos  = 2 // global buffer of the PQ codebook in auxiliary.idx
)

// indexFileVersion is the Lance file version of the index files; pylance 14
// writes its index files as 2.2 (docs/vector-index.md §2).
var indexFileVersion = datafile.V2_2

// WriteIVFPQ writes ix as a Lance IVF_PQ index on column (a
// fixed_size_list<float32>[ix.Dim] column of ds) named name, in the layout
// pylance 14 writes and reads (docs/vector-index.md §2.1, §2.2), and
// commits it with lance.(*Dataset).CommitIndex. ix's row ids must be row
// addresses (fragment id << 32 | offset) of ds; the index is recorded as
// covering every fragment that holds one of them, so the caller must have
// indexed all rows of those fragments (rows the index does not hold are
// never searched by pylance). It returns the dataset at the new version.
func WriteIVFPQ(ctx context.Context, ds *lance.Dataset, column string, ix *ivfpq.Index, name string) (*lance.Dataset, error) {
	return WriteIVFPQWith(ctx, ds, column, ix, name, WriteOptions{})
}

// WriteOptions shape the commit of an index.
type WriteOptions struct {
	// Replaces lists the UUIDs of index entries the new one supersedes (a
	// merge or retrain of an index's segments, or an index replacing
	// another on the same column); they leave the manifest in the same
	// commit.
	Replaces []string
	// Exclusive makes the commit fail with a conflict when another index
	// covers the column by then (an automatic index that lost a race with
	// CREATE INDEX).
	Exclusive bool
	// Requires and RequireConfig are lance.NewIndex's: segments and a
	// declaration that must still exist when the commit lands.
	Requires      []string
	RequireConfig string
	// Fragments, when set, is the coverage to record instead of the
	// fragments the index's rows come from: every fragment the build read,
	// including those whose vectors are all NULL (which otherwise would
	// stay "unindexed" for ever). It must include the rows' fragments.
	Fragments []uint32
}

// WriteIVFPQWith is WriteIVFPQ with commit options.
func WriteIVFPQWith(ctx context.Context, ds *lance.Dataset, column string, ix *ivfpq.Index, name string, opts WriteOptions) (*lance.Dataset, error) {
	if err := checkWritable(ds, column, ix); err != nil {
		return nil, fmt.Errorf("write index %q: %w", name, err)
	}
	idxBytes, err := encodeIndexFile(ix)
	if err != nil {
		return nil, fmt.Errorf("write index %q: %s: %w", name, indexFile, err)
	}
	auxBytes, frags, err := encodeAuxFile(ctx, ix)
	if err != nil {
		return nil, fmt.Errorf("write index %q: %s: %w", name, auxFile, err)
	}
	return commitFiles(ctx, ds, column, name, indexFiles{idx: idxBytes, aux: auxBytes, frags: frags, details: vectorIndexDetails(ix)}, opts)
}

// indexFiles are the encoded files of one index entry.
type indexFiles struct {
	idx, aux []byte
	frags    []uint32 // fragments the rows belong to
	details  []byte   // VectorIndexDetails
}

// putFiles stores f under a new uuid's directory and returns the uuid and
// the keys written; on error nothing stays.
func putFiles(ctx context.Context, ds *lance.Dataset, name string, f indexFiles) (string, []string, error) {
	id := uuid.NewString()
	dir := ds.IndexDir(lance.IndexInfo{UUID: id})
	var written []string
	for _, file := range []struct {
		name string
		data []byte
	}{{auxFile, f.aux}, {indexFile, f.idx}} {
		key := objstore.Join(dir, file.name)
		if err := ds.Store().Put(ctx, key, bytes.NewReader(file.data)); err != nil {
			removeKeys(ds.Store(), written)
			return "", nil, fmt.Errorf("write index %q: %s: %w", name, key, err)
		}
		written = append(written, key)
	}
	return id, written, nil
}

// newIndex describes stored files f for a commit.
func (f indexFiles) newIndex(name, id string, fieldID int32, opts WriteOptions) lance.NewIndex {
	return lance.NewIndex{
		Name:           name,
		UUID:           id,
		FieldID:        fieldID,
		Fragments:      coverage(f.frags, opts.Fragments),
		DetailsTypeURL: detailsURL,
		DetailsValue:   f.details,
		Files: []lance.IndexFile{
			{Path: auxFile, Size: uint64(len(f.aux))},
			{Path: indexFile, Size: uint64(len(f.idx))},
		},
		Replaces:      opts.Replaces,
		Exclusive:     opts.Exclusive,
		Requires:      opts.Requires,
		RequireConfig: opts.RequireConfig,
	}
}

// coverage returns the fragments an index records: override when set
// (with the rows' own fragments added, should the caller have missed one),
// else the rows' fragments.
func coverage(rows, override []uint32) []uint32 {
	if override == nil {
		return rows
	}
	out := slices.Clone(override)
	for _, f := range rows {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

// commitFiles stores f and commits it as index name on column with opts;
// files of a commit that definitely failed are removed.
func commitFiles(ctx context.Context, ds *lance.Dataset, column, name string, f indexFiles, opts WriteOptions) (*lance.Dataset, error) {
	sch := ds.Schema()
	fieldID := sch.FieldID(sch.Index(column))
	id, written, err := putFiles(ctx, ds, name, f)
	if err != nil {
		return nil, err
	}
	next, err := ds.CommitIndex(ctx, f.newIndex(name, id, fieldID, opts))
	if err != nil {
		if lance.IsConflict(err) {
			// Definitely not committed: no manifest refers to the files.
			removeKeys(ds.Store(), written)
		}
		return nil, fmt.Errorf("write index %q: %w", name, err)
	}
	return next, nil
}

// removeKeys deletes the files of an index that was not committed, best
// effort (an old-version cleanup would find them later).
func removeKeys(st objstore.Store, keys []string) {
	for _, k := range keys {
		_ = st.Delete(context.Background(), k)
	}
}

// checkVectorColumn checks that column of ds holds float32 vectors of dim
// values, and that metric is one Lance indexes (IVF_PQ and IVF_HNSW_SQ
// alike).
func checkVectorColumn(ds *lance.Dataset, column string, dim int, metric distance.Metric) error {
	sch := ds.Schema()
	i := sch.Index(column)
	if i < 0 {
		return fmt.Errorf("%w: %q", lance.ErrNoColumn, column)
	}
	ft, ok := sch.Arrow().Field(i).Type.(*arrow.FixedSizeListType)
	if !ok || !arrow.TypeEqual(ft.Elem(), arrow.PrimitiveTypes.Float32) || int(ft.Len()) != dim {
		return fmt.Errorf("%w: column %q is %s, index needs fixed_size_list<float32>[%d]", lance.ErrUnsupported, column, sch.Arrow().Field(i).Type, dim)
	}
	switch metric {
	case distance.L2, distance.Cosine, distance.Dot:
	default:
		return fmt.Errorf("%w: metric %v", lance.ErrUnsupported, metric)
	}
	return nil
}

// checkWritable checks that ix is a complete index over column of ds.
func checkWritable(ds *lance.Dataset, column string, ix *ivfpq.Index) error {
	if ix == nil || ix.PQ == nil {
		return fmt.Errorf("no index")
	}
	if err := checkVectorColumn(ds, column, ix.Dim, ix.Metric); err != nil {
		return err
	}
	nlist := len(ix.Partitions)
	pq := ix.PQ
	if nlist == 0 || len(ix.Centroids) != nlist*ix.Dim || pq.M <= 0 || pq.Dim != ix.Dim || pq.M*pq.SubDim != ix.Dim ||
		len(pq.Codebook) != pq.M*distance.PQCodebookSize*pq.SubDim {
		return fmt.Errorf("malformed index: %d partitions, %d centroid floats, dim %d, PQ %d×%d of dim %d with %d codebook floats",
			nlist, len(ix.Centroids), ix.Dim, pq.M, pq.SubDim, pq.Dim, len(pq.Codebook))
	}
	rows := 0
	for p, part := range ix.Partitions {
		if len(part.Codes) != len(part.RowIDs)*pq.M {
			return fmt.Errorf("malformed index: partition %d has %d row ids and %d code bytes", p, len(part.RowIDs), len(part.Codes))
		}
		rows += len(part.RowIDs)
	}
	if rows == 0 {
		return fmt.Errorf("index holds no rows")
	}
	if rows > math.MaxUint32 {
		return fmt.Errorf("%w: %d rows in one index", lance.ErrUnsupported, rows)
	}
	return nil
}

// float32Bytes encodes v little-endian.
func float32Bytes(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, f := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return b
}

// encodeIndexFile builds index.idx: no rows, the FLAT sub-index marker
// column, and the IVF model (centroids and loss; offsets and lengths all 0
// since FLAT sub-indexes have no rows) in global buffer 1.
func encodeIndexFile(ix *ivfpq.Index) ([]byte, error) {
	nlist := len(ix.Partitions)
	loss := ix.Loss
	ivf := &pb.IVF{
		Offsets: make([]uint64, nlist),
		Lengths: make([]uint32, nlist),
		CentroidsTensor: &pb.Tensor{
			DataType: pb.Tensor_FLOAT32,
			Shape:    []uint64{uint64(nlist), uint64(ix.Dim)},
			Data:     float32Bytes(ix.Centroids),
		},
		Loss: &loss,
	}
	ivfBytes, err := proto.Marshal(ivf)
	if err != nil {
		return nil, err
	}
	im, err := json.Marshal(indexMeta{Type: typeIVFPQ, DistanceType: ix.Metric.String()})
	if err != nil {
		return nil, err
	}
	flat, err := json.Marshal(make([]string, nlist))
	if err != nil {
		return nil, err
	}
	as := arrow.NewSchema([]arrow.Field{{Name: colFlat, Type: arrow.PrimitiveTypes.Uint64}}, nil)
	md := map[string][]byte{keyIndex: im, keyIVF: []byte(strconv.Itoa(ivfBufferPos)), keyFlat: flat}
	return encodeFile(as, md, [][]byte{ivfBytes}, nil)
}

// pqStorageMeta is the "storage_metadata" entry auxiliary.idx carries, in
// pylance's key order.
type pqStorageMeta struct {
	CodebookPosition int    `json:"codebook_position"`
	Nbits            int    `json:"nbits"`
	NumSubVectors    int    `json:"num_sub_vectors"`
	Dimension        int    `json:"dimension"`
	CodebookTensor   []byte `json:"codebook_tensor"`
	Transposed       bool   `json:"transposed"`
}

// encodeAuxFile builds auxiliary.idx: every row's _rowid and PQ code,
// grouped by partition with the codes of each partition transposed, the
// partition ranges in global buffer 1 and the codebook in global buffer 2.
// It also returns the ids of the fragments the row ids name, ascending.
func encodeAuxFile(ctx context.Context, ix *ivfpq.Index) ([]byte, []uint32, error) {
	nlist, m := len(ix.Partitions), ix.PQ.M
	ivf := &pb.IVF{Offsets: make([]uint64, nlist), Lengths: make([]uint32, nlist)}
	total := 0
	for p, part := range ix.Partitions {
		ivf.Offsets[p] = uint64(total)
		ivf.Lengths[p] = uint32(len(part.RowIDs))
		total += len(part.RowIDs)
	}
	ivfBytes, err := proto.Marshal(ivf)
	if err != nil {
		return nil, nil, err
	}
	cb, err := proto.Marshal(&pb.Tensor{
		DataType: pb.Tensor_FLOAT32,
		Shape:    []uint64{distance.PQCodebookSize, uint64(ix.Dim)},
		Data:     float32Bytes(ix.PQ.Codebook),
	})
	if err != nil {
		return nil, nil, err
	}
	sm, err := json.Marshal(pqStorageMeta{
		CodebookPosition: codebookPos, Nbits: supportedBits, NumSubVectors: m, Dimension: ix.Dim,
		CodebookTensor: []byte{}, Transposed: true,
	})
	if err != nil {
		return nil, nil, err
	}
	// encoding/json writes a []byte as base64; Lance's is a JSON array.
	sm = bytes.Replace(sm, []byte(`"codebook_tensor":""`), []byte(`"codebook_tensor":[]`), 1)
	storage, err := json.Marshal([]string{string(sm)})
	if err != nil {
		return nil, nil, err
	}

	rowIDs := make([]uint64, 0, total)
	codes := make([]byte, total*m)
	for _, part := range ix.Partitions {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		off, n := len(rowIDs), len(part.RowIDs)
		block := codes[off*m : (off+n)*m]
		for i := range n {
			for s := range m {
				block[s*n+i] = part.Codes[i*m+s]
			}
		}
		rowIDs = append(rowIDs, part.RowIDs...)
	}
	return encodeStorageFile(ix.Metric, storage, [][]byte{ivfBytes, cb}, colPQCode, m, rowIDs, codes)
}

// encodeStorageFile writes an auxiliary.idx: one row per indexed row, its
// _rowid and its code (a fixed_size_list<uint8>[width] column codeCol),
// with the distance type, the IVF buffer position and the storage metadata
// in the schema metadata and globals as the extra global buffers (the IVF
// first). It also returns the fragments the row ids belong to, ascending.
func encodeStorageFile(metric distance.Metric, storage []byte, globals [][]byte, codeCol string, width int, rowIDs []uint64, codes []byte) ([]byte, []uint32, error) {
	fragSet := map[uint32]bool{}
	for _, r := range rowIDs {
		fragSet[uint32(r>>32)] = true
	}
	frags := make([]uint32, 0, len(fragSet))
	for f := range fragSet {
		frags = append(frags, f)
	}
	slices.Sort(frags)

	total := len(rowIDs)
	codeType := arrow.FixedSizeListOf(int32(width), arrow.PrimitiveTypes.Uint8)
	as := arrow.NewSchema([]arrow.Field{
		{Name: colRowID, Type: arrow.PrimitiveTypes.Uint64},
		{Name: codeCol, Type: codeType},
	}, nil)
	mem := memory.DefaultAllocator
	rb := array.NewUint64Builder(mem)
	defer rb.Release()
	rb.AppendValues(rowIDs, nil)
	ridArr := rb.NewArray()
	defer ridArr.Release()
	cb := array.NewUint8Builder(mem)
	defer cb.Release()
	cb.AppendValues(codes, nil)
	vals := cb.NewArray()
	defer vals.Release()
	fslData := array.NewData(codeType, total, []*memory.Buffer{nil}, []arrow.ArrayData{vals.Data()}, 0, 0)
	defer fslData.Release()
	codeArr := array.MakeFromData(fslData)
	defer codeArr.Release()
	rec := array.NewRecord(as, []arrow.Array{ridArr, codeArr}, int64(total))
	defer rec.Release()

	md := map[string][]byte{
		keyDistance: []byte(metric.String()),
		keyIVF:      []byte(strconv.Itoa(ivfBufferPos)),
		keyStorage:  storage,
	}
	data, err := encodeFile(as, md, globals, rec)
	if err != nil {
		return nil, nil, err
	}
	return data, frags, nil
}

// encodeFile writes one Lance file of indexFileVersion with schema as,
// schema metadata md, the extra global buffers and rec's rows (nil: none).
func encodeFile(as *arrow.Schema, md map[string][]byte, globals [][]byte, rec arrow.Record) ([]byte, error) {
	ls, err := lance.NewSchema(as, 0)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w, err := datafile.NewWriter(&buf, as, &pb.Schema{Fields: ls.Fields(), Metadata: md},
		datafile.WriterOptions{Version: indexFileVersion, GlobalBuffers: globals})
	if err != nil {
		return nil, err
	}
	if rec != nil {
		if err := w.Write(rec); err != nil {
			_, _ = w.Close()
			return nil, err
		}
	}
	if _, err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// vectorIndexDetails encodes the VectorIndexDetails message pylance 14
// writes (docs/vector-index.md §1.3): metric_type (1; omitted for l2, the
// proto3 default), and compression.pq (4) {num_bits 1, num_sub_vectors 2}.
// No runtime hints.
func vectorIndexDetails(ix *ivfpq.Index) []byte {
	var b []byte
	switch ix.Metric {
	case distance.Cosine:
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, 1)
	case distance.Dot:
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, 2)
	}
	var pq []byte
	pq = protowire.AppendTag(pq, 1, protowire.VarintType)
	pq = protowire.AppendVarint(pq, supportedBits)
	pq = protowire.AppendTag(pq, 2, protowire.VarintType)
	pq = protowire.AppendVarint(pq, uint64(ix.PQ.M))
	b = protowire.AppendTag(b, 4, protowire.BytesType)
	b = protowire.AppendBytes(b, pq)
	return b
}
