package lanceindex

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"google.golang.org/protobuf/proto"

	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/ivfpq"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/lance/datafile"
	"github.com/lancegate/lancegate/storage/lance/pb"
	"github.com/lancegate/lancegate/storage/objstore"
)

// File names inside an index directory, and the schema metadata keys and
// column names of the v3 vector index layout (docs/vector-index.md §2).
const (
	indexFile     = "index.idx"
	auxFile       = "auxiliary.idx"
	keyIndex      = "lance:index"
	keyIVF        = "lance:ivf"
	keyDistance   = "distance_type"
	keyStorage    = "storage_metadata"
	colRowID      = "_rowid"
	colPQCode     = "__pq_code"
	typeIVFPQ     = "IVF_PQ"
	supportedBits = 8
)

// IVFPQ is a pylance-built IVF_PQ index loaded into memory: the IVF
// centroids, the PQ codebook, and every row's id and code, grouped by
// partition. It is immutable and safe for concurrent use.
type IVFPQ struct {
	metric distance.Metric
	dim    int
	m      int // sub-vectors (bytes per code)
	subDim int
	nlist  int

	centroids []float32 // nlist × dim, row-major
	codebook  []float32 // m × 256 × subDim
	offsets   []uint64  // partition p is rows [offsets[p], offsets[p]+lengths[p])
	lengths   []uint32
	rowAddrs  []uint64 // _rowid of each row: (fragment << 32) | offset
	codes     []byte   // n × m, row-major (un-transposed)

	// ix is the searchable index built from the fields above by assemble;
	// its partitions alias rowAddrs and codes.
	ix *ivfpq.Index
	// loss is the IVF loss the writer recorded (0 when absent).
	loss float64
}

// Loss returns the IVF k-means loss recorded with the index (the sum of
// its rows' distances to their centroids), or 0 when the writer did not
// record one.
func (x *IVFPQ) Loss() float64 { return x.loss }

// Model returns the loaded index as an ivfpq.Index, to search it directly
// or to encode a delta over its centroids and codebook (ivfpq.(*Index).Delta).
// It must not be modified.
func (x *IVFPQ) Model() *ivfpq.Index { return x.ix }

// Hit is one search result.
type Hit struct {
	// RowAddr is the row address (fragment id << 32 | row offset) stored
	// in the index's _rowid column.
	RowAddr uint64
	// Distance is the approximate (PQ) distance in Lance's convention: see
	// Search.
	Distance float32
}

// Metric returns the index's distance metric.
func (x *IVFPQ) Metric() distance.Metric { return x.metric }

// Dim returns the vector dimension.
func (x *IVFPQ) Dim() int { return x.dim }

// NumPartitions returns the number of IVF partitions.
func (x *IVFPQ) NumPartitions() int { return x.nlist }

// NumSubVectors returns the number of PQ sub-vectors (code bytes per row).
func (x *IVFPQ) NumSubVectors() int { return x.m }

// Len returns the number of indexed rows, deleted ones included.
func (x *IVFPQ) Len() int { return len(x.rowAddrs) }

// indexMeta is the JSON of index.idx's "lance:index" key.
type indexMeta struct {
	Type         string `json:"type"`
	DistanceType string `json:"distance_type"`
}

// pqMeta is one entry of auxiliary.idx's "storage_metadata" list.
type pqMeta struct {
	CodebookPosition int  `json:"codebook_position"`
	Nbits            int  `json:"nbits"`
	NumSubVectors    int  `json:"num_sub_vectors"`
	Dimension        int  `json:"dimension"`
	Transposed       bool `json:"transposed"`
}

// OpenIVFPQ loads the IVF_PQ index described by info (an entry of
// ds.Indexes()) from _indices/<uuid>/index.idx and auxiliary.idx. It refuses
// other index types, legacy (v1) index files, non-float32 tensors and
// nbits other than 8 with errors wrapping lance.ErrUnsupported; malformed
// files give errors wrapping lance.ErrCorrupt.
func OpenIVFPQ(ctx context.Context, ds *lance.Dataset, info lance.IndexInfo) (*IVFPQ, error) {
	dir := ds.IndexDir(info)
	st := ds.Store()
	idx, err := openFile(ctx, st, dir, indexFile, info)
	if err != nil {
		return nil, err
	}
	x := &IVFPQ{}
	if err := x.readIndexFile(ctx, st, idx); err != nil {
		return nil, fmt.Errorf("index %s (%s): %w", info.Name, info.UUID, err)
	}
	aux, err := openFile(ctx, st, dir, auxFile, info)
	if err != nil {
		return nil, err
	}
	if err := x.readAuxFile(ctx, st, aux); err != nil {
		return nil, fmt.Errorf("index %s (%s): %w", info.Name, info.UUID, err)
	}
	if err := x.assemble(); err != nil {
		return nil, fmt.Errorf("%w: index %s (%s): %w", lance.ErrCorrupt, info.Name, info.UUID, err)
	}
	return x, nil
}

// openFile opens one file of the index directory, taking its size from the
// manifest's file list when recorded.
func openFile(ctx context.Context, st objstore.Store, dir, name string, info lance.IndexInfo) (*datafile.File, error) {
	key := objstore.Join(dir, name)
	size := int64(-1)
	for _, f := range info.Files {
		if f.Path == name {
			size = int64(f.Size)
		}
	}
	if size < 0 {
		oi, err := st.Stat(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("index %s (%s): %w", info.Name, info.UUID, err)
		}
		size = oi.Size
	}
	f, err := datafile.Open(ctx, st, key, size)
	if err != nil {
		return nil, fmt.Errorf("index %s (%s): %w", info.Name, info.UUID, err)
	}
	return f, nil
}

// readIndexFile reads the index type, metric and IVF centroids.
func (x *IVFPQ) readIndexFile(ctx context.Context, st objstore.Store, f *datafile.File) error {
	md := f.Schema.GetMetadata()
	raw, ok := md[keyIndex]
	if !ok {
		return fmt.Errorf("%w: %s has no %q metadata (a legacy v1 index?)", lance.ErrUnsupported, f.Key, keyIndex)
	}
	var im indexMeta
	if err := json.Unmarshal(raw, &im); err != nil {
		return fmt.Errorf("%w: %s: %q: %v", lance.ErrCorrupt, f.Key, keyIndex, err)
	}
	if im.Type != typeIVFPQ {
		return fmt.Errorf("%w: index type %q (only %s is read)", lance.ErrUnsupported, im.Type, typeIVFPQ)
	}
	metric, err := distance.ParseMetric(im.DistanceType)
	if err != nil {
		return fmt.Errorf("%w: distance type %q: %w", lance.ErrUnsupported, im.DistanceType, err)
	}
	x.metric = metric
	ivf, err := readIVF(ctx, st, f)
	if err != nil {
		return err
	}
	shape, data, err := float32Tensor(ivf.GetCentroidsTensor())
	if err != nil {
		return fmt.Errorf("%s: centroids: %w", f.Key, err)
	}
	if len(shape) != 2 || shape[0] == 0 || shape[1] == 0 {
		return fmt.Errorf("%w: %s: centroids shape %v", lance.ErrCorrupt, f.Key, shape)
	}
	x.nlist, x.dim, x.centroids = int(shape[0]), int(shape[1]), data
	x.loss = ivf.GetLoss()
	return nil
}

// readAuxFile reads the PQ storage: partition ranges, codebook, row ids and
// codes.
func (x *IVFPQ) readAuxFile(ctx context.Context, st objstore.Store, f *datafile.File) error {
	md := f.Schema.GetMetadata()
	if dt := string(md[keyDistance]); dt != "" && dt != x.metric.String() {
		return fmt.Errorf("%w: %s: distance_type %q, index.idx says %q", lance.ErrCorrupt, f.Key, dt, x.metric)
	}
	var list []string
	if err := json.Unmarshal(md[keyStorage], &list); err != nil || len(list) != 1 {
		return fmt.Errorf("%w: %s: %q is not a list of one JSON string (%v)", lance.ErrCorrupt, f.Key, keyStorage, err)
	}
	var pm pqMeta
	if err := json.Unmarshal([]byte(list[0]), &pm); err != nil {
		return fmt.Errorf("%w: %s: %q: %v", lance.ErrCorrupt, f.Key, keyStorage, err)
	}
	if pm.Nbits != supportedBits {
		return fmt.Errorf("%w: PQ with nbits=%d (only %d is read)", lance.ErrUnsupported, pm.Nbits, supportedBits)
	}
	if pm.NumSubVectors <= 0 || x.dim%pm.NumSubVectors != 0 || (pm.Dimension != 0 && pm.Dimension != x.dim) {
		return fmt.Errorf("%w: %s: %d sub-vectors of a %d-dimensional index (storage says dimension %d)", lance.ErrCorrupt, f.Key, pm.NumSubVectors, x.dim, pm.Dimension)
	}
	x.m, x.subDim = pm.NumSubVectors, x.dim/pm.NumSubVectors

	ivf, err := readIVF(ctx, st, f)
	if err != nil {
		return err
	}
	x.offsets, x.lengths = ivf.GetOffsets(), ivf.GetLengths()
	if len(x.offsets) != x.nlist || len(x.lengths) != x.nlist {
		return fmt.Errorf("%w: %s: %d offsets and %d lengths for %d partitions", lance.ErrCorrupt, f.Key, len(x.offsets), len(x.lengths), x.nlist)
	}
	for p := range x.nlist {
		if x.offsets[p] > f.NumRows || uint64(x.lengths[p]) > f.NumRows-x.offsets[p] {
			return fmt.Errorf("%w: %s: partition %d rows [%d,+%d) beyond %d rows", lance.ErrCorrupt, f.Key, p, x.offsets[p], x.lengths[p], f.NumRows)
		}
	}

	buf, err := globalBuffer(ctx, st, f, pm.CodebookPosition)
	if err != nil {
		return err
	}
	t := &pb.Tensor{}
	if err := proto.Unmarshal(buf, t); err != nil {
		return fmt.Errorf("%w: %s: codebook tensor: %v", lance.ErrCorrupt, f.Key, err)
	}
	_, cb, err := float32Tensor(t)
	if err != nil {
		return fmt.Errorf("%s: codebook: %w", f.Key, err)
	}
	if len(cb) != x.m*distance.PQCodebookSize*x.subDim {
		return fmt.Errorf("%w: %s: codebook has %d floats, want %d×256×%d", lance.ErrCorrupt, f.Key, len(cb), x.m, x.subDim)
	}
	x.codebook = cb

	if err := x.readRows(ctx, st, f, pm.Transposed); err != nil {
		return fmt.Errorf("%s: %w", f.Key, err)
	}
	return nil
}

// readRows reads the _rowid and __pq_code columns and un-transposes the
// codes of each partition into row-major n×m.
func (x *IVFPQ) readRows(ctx context.Context, st objstore.Store, f *datafile.File, transposed bool) error {
	ls, err := lance.SchemaFromFields(f.Schema.GetFields(), nil)
	if err != nil {
		return err
	}
	as := ls.Arrow()
	ridCol, codeCol := as.FieldIndices(colRowID), as.FieldIndices(colPQCode)
	if len(ridCol) != 1 || len(codeCol) != 1 || as.NumFields() != 2 || len(f.Columns) != 2 {
		return fmt.Errorf("%w: schema %v, want %s and %s in two columns", lance.ErrCorrupt, as, colRowID, colPQCode)
	}
	if !arrow.TypeEqual(as.Field(ridCol[0]).Type, arrow.PrimitiveTypes.Uint64) || !sameFSL(as.Field(codeCol[0]).Type, x.m) {
		return fmt.Errorf("%w: column types %v, want uint64 and fixed_size_list<uint8>[%d]", lance.ErrCorrupt, as, x.m)
	}
	n := int(f.NumRows)
	x.rowAddrs = make([]uint64, 0, n)
	flat := make([]byte, 0, n*x.m)
	mem := memory.DefaultAllocator
	// Column indices follow the top-level field order (each field here is a
	// single column: a primitive, and an FSL of a primitive).
	for page := range f.Columns[ridCol[0]].Pages {
		if err := ctx.Err(); err != nil {
			return err
		}
		a, err := f.ReadPage(ctx, st, mem, ridCol[0], page, arrow.PrimitiveTypes.Uint64)
		if err != nil {
			return err
		}
		x.rowAddrs = append(x.rowAddrs, a.(*array.Uint64).Uint64Values()...)
		a.Release()
	}
	for page := range f.Columns[codeCol[0]].Pages {
		if err := ctx.Err(); err != nil {
			return err
		}
		a, err := f.ReadPage(ctx, st, mem, codeCol[0], page, as.Field(codeCol[0]).Type)
		if err != nil {
			return err
		}
		fsl := a.(*array.FixedSizeList)
		vals := fsl.ListValues().(*array.Uint8).Uint8Values()
		off := fsl.Data().Offset() * x.m
		flat = append(flat, vals[off:off+fsl.Len()*x.m]...)
		a.Release()
	}
	if len(x.rowAddrs) != n || len(flat) != n*x.m {
		return fmt.Errorf("%w: read %d row ids and %d code bytes for %d rows", lance.ErrCorrupt, len(x.rowAddrs), len(flat), n)
	}
	if !transposed {
		x.codes = flat
		return nil
	}
	x.codes = make([]byte, n*x.m)
	for p := range x.nlist {
		untranspose(x.codes, flat, int(x.offsets[p]), int(x.lengths[p]), x.m)
	}
	return nil
}

// sameFSL reports whether t is a FixedSizeList of m uint8 values, whatever
// its child field is called or whether it is nullable.
func sameFSL(t arrow.DataType, m int) bool {
	f, ok := t.(*arrow.FixedSizeListType)
	return ok && int(f.Len()) == m && arrow.TypeEqual(f.Elem(), arrow.PrimitiveTypes.Uint8)
}

// untranspose rewrites the n rows from row off of a partition stored
// transposed (byte[s·n+i] = code of row i for sub-vector s) into row-major
// order in dst (dst[(off+i)·m+s]).
func untranspose(dst, src []byte, off, n, m int) {
	block := src[off*m : (off+n)*m]
	out := dst[off*m : (off+n)*m]
	for s := range m {
		col := block[s*n : (s+1)*n]
		for i, c := range col {
			out[i*m+s] = c
		}
	}
}

// readIVF decodes the IVF protobuf in the global buffer named by the
// "lance:ivf" schema metadata.
func readIVF(ctx context.Context, st objstore.Store, f *datafile.File) (*pb.IVF, error) {
	s, ok := f.Schema.GetMetadata()[keyIVF]
	if !ok {
		return nil, fmt.Errorf("%w: %s has no %q metadata", lance.ErrCorrupt, f.Key, keyIVF)
	}
	pos, err := strconv.Atoi(string(s))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %q = %q", lance.ErrCorrupt, f.Key, keyIVF, s)
	}
	buf, err := globalBuffer(ctx, st, f, pos)
	if err != nil {
		return nil, err
	}
	ivf := &pb.IVF{}
	if err := proto.Unmarshal(buf, ivf); err != nil {
		return nil, fmt.Errorf("%w: %s: IVF: %v", lance.ErrCorrupt, f.Key, err)
	}
	return ivf, nil
}

// globalBuffer reads global buffer i of f (0 is the file descriptor).
func globalBuffer(ctx context.Context, st objstore.Store, f *datafile.File, i int) ([]byte, error) {
	if i <= 0 || i >= len(f.GlobalBuffers) {
		return nil, fmt.Errorf("%w: %s has no global buffer %d (of %d)", lance.ErrCorrupt, f.Key, i, len(f.GlobalBuffers))
	}
	g := f.GlobalBuffers[i]
	b, err := st.GetRange(ctx, f.Key, int64(g.Offset), int64(g.Length))
	if err != nil {
		return nil, fmt.Errorf("%s: global buffer %d: %w", f.Key, i, err)
	}
	if uint64(len(b)) != g.Length {
		return nil, fmt.Errorf("%w: %s: short read of global buffer %d", lance.ErrCorrupt, f.Key, i)
	}
	return b, nil
}

// float32Tensor returns the shape and values of a FLOAT32 tensor.
func float32Tensor(t *pb.Tensor) ([]uint64, []float32, error) {
	if t == nil {
		return nil, nil, fmt.Errorf("%w: missing tensor", lance.ErrCorrupt)
	}
	if t.GetDataType() != pb.Tensor_FLOAT32 {
		return nil, nil, fmt.Errorf("%w: %v tensor (only FLOAT32 is read)", lance.ErrUnsupported, t.GetDataType())
	}
	count := uint64(1)
	for _, d := range t.GetShape() {
		if d != 0 && count > math.MaxInt32/d {
			return nil, nil, fmt.Errorf("%w: tensor shape %v is too large", lance.ErrCorrupt, t.GetShape())
		}
		count *= d
	}
	data := t.GetData()
	if uint64(len(data)) != 4*count {
		return nil, nil, fmt.Errorf("%w: tensor of shape %v has %d bytes", lance.ErrCorrupt, t.GetShape(), len(data))
	}
	out := make([]float32, count)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return t.GetShape(), out, nil
}

// ErrBadQuery reports a query Search cannot answer (wrong dimension, k < 1).
var ErrBadQuery = errors.New("lanceindex: bad query")
