package lanceindex

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/hnsw"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/lance/datafile"
	"github.com/lancegate/lancegate/storage/objstore"
)

// IVF_HNSW_SQ layout (docs/vector-index.md §2.3, §2.4).
//
//	index.idx      one row per (partition, level, node): partitions in
//	               order, each stacked level by level
//	  __vector_id      uint32, the node's local id in its partition
//	  __neighbors      list<uint32>, local ids on the same level
//	  _distance        list<float32>, distance to each neighbour
//	  "lance:index"    {"type":"IVF_HNSW_SQ","distance_type":…}
//	  "lance:ivf"      global buffer of an IVF{offsets, lengths (graph
//	                   rows), centroids_tensor, loss}
//	  "lance:hnsw"     JSON list, per partition a JSON string
//	                   {"entry_point", "params": {"max_level", "m",
//	                   "ef_construction", "prefetch_distance"},
//	                   "level_offsets": max_level+1 row offsets}
//	auxiliary.idx  one row per vector, grouped by partition
//	  _rowid           uint64 row address
//	  __sq_code        fixed_size_list<uint8>[dim], not transposed
//	  "distance_type", "lance:ivf" (offsets, lengths of vectors),
//	  "storage_metadata" JSON list of one JSON string
//	                   {"dim", "num_bits": 8, "bounds": {"start", "end"}}
const (
	typeIVFHNSWSQ = "IVF_HNSW_SQ"
	keyHNSW       = "lance:hnsw"
	colVectorID   = "__vector_id"
	colNeighbors  = "__neighbors"
	colDistance   = "_distance"
	colSQCode     = "__sq_code"
)

// HNSWSQ is an IVF_HNSW_SQ index in Lance's layout (pylance's or
// lancegate's), loaded into memory as an hnsw.Index. It is immutable and
// safe for concurrent use.
type HNSWSQ struct {
	metric distance.Metric
	dim    int
	nlist  int
	rows   int
	bounds sqBounds // the SQ range as stored (Lance quantises queries with it)
	ix     *hnsw.Index
}

// Metric returns the index's distance metric.
func (x *HNSWSQ) Metric() distance.Metric { return x.metric }

// Dim returns the vector dimension.
func (x *HNSWSQ) Dim() int { return x.dim }

// NumPartitions returns the number of IVF partitions.
func (x *HNSWSQ) NumPartitions() int { return x.nlist }

// Len returns the number of indexed rows, deleted ones included.
func (x *HNSWSQ) Len() int { return x.rows }

// hnswParams are the "params" of a partition's "lance:hnsw" entry.
type hnswParams struct {
	MaxLevel         int `json:"max_level"`
	M                int `json:"m"`
	EfConstruction   int `json:"ef_construction"`
	PrefetchDistance int `json:"prefetch_distance"`
}

// hnswMeta is one partition's entry of index.idx's "lance:hnsw" list.
type hnswMeta struct {
	EntryPoint   uint32     `json:"entry_point"`
	Params       hnswParams `json:"params"`
	LevelOffsets []uint64   `json:"level_offsets"`
}

// sqBounds is the quantizer range of an SQ storage.
type sqBounds struct {
	Start float64 `json:"start"`
	End   float64 `json:"end"`
}

// sqMeta is the "storage_metadata" entry of an SQ auxiliary.idx.
type sqMeta struct {
	Dim     int      `json:"dim"`
	NumBits int      `json:"num_bits"`
	Bounds  sqBounds `json:"bounds"`
}

// IndexType returns the type of the vector index info describes, as
// index.idx's "lance:index" metadata names it ("IVF_PQ", "IVF_HNSW_SQ",
// "IVF_FLAT", …), so that callers can choose OpenIVFPQ or OpenHNSWSQ. It
// reads only the metadata of index.idx. A legacy (v1) index file gives an
// error wrapping lance.ErrUnsupported.
func IndexType(ctx context.Context, ds *lance.Dataset, info lance.IndexInfo) (string, error) {
	f, err := openIndexFile(ctx, ds.Store(), ds.IndexDir(info), info)
	if err != nil {
		return "", err
	}
	im, err := readIndexMeta(f)
	if err != nil {
		return "", fmt.Errorf("index %s (%s): %w", info.Name, info.UUID, err)
	}
	return im.Type, nil
}

// openIndexFile opens index.idx like openFile. When that fails on a file
// of format 2.0, the error wraps lance.ErrUnsupported rather than
// lance.ErrCorrupt: pylance 14 writes the index.idx of the IVF_HNSW_SQ
// indexes that optimize_indices (deltas, merges) and compaction (remap)
// produce as 2.0 files, whose list columns (__neighbors, _distance) each
// take an offsets column and an items column, and the data file reader
// does not read 2.0 lists yet.
func openIndexFile(ctx context.Context, st objstore.Store, dir string, info lance.IndexInfo) (*datafile.File, error) {
	f, err := openFile(ctx, st, dir, indexFile, info)
	if err == nil || errors.Is(err, lance.ErrUnsupported) {
		return f, err
	}
	key := objstore.Join(dir, indexFile)
	oi, serr := st.Stat(ctx, key)
	if serr != nil || oi.Size < footerSize {
		return nil, err
	}
	tail, rerr := st.GetRange(ctx, key, oi.Size-footerSize, footerSize)
	if rerr != nil || len(tail) != footerSize || string(tail[36:40]) != "LANC" {
		return nil, err
	}
	major, minor := binary.LittleEndian.Uint16(tail[32:]), binary.LittleEndian.Uint16(tail[34:])
	if (major == 0 && minor == 3) || (major == 2 && minor == 0) {
		return nil, fmt.Errorf("%w: %s is a Lance 2.0 file (as pylance writes delta, merged and remapped indexes), not read yet: %w", lance.ErrUnsupported, key, err)
	}
	return nil, err
}

// footerSize is the length of a Lance 2.x file footer, which ends with the
// major and minor version (u16 each) and "LANC".
const footerSize = 40

// readIndexMeta decodes the "lance:index" metadata of an index.idx.
func readIndexMeta(f *datafile.File) (indexMeta, error) {
	var im indexMeta
	raw, ok := f.Schema.GetMetadata()[keyIndex]
	if !ok {
		return im, fmt.Errorf("%w: %s has no %q metadata (a legacy v1 index?)", lance.ErrUnsupported, f.Key, keyIndex)
	}
	if err := json.Unmarshal(raw, &im); err != nil {
		return im, fmt.Errorf("%w: %s: %q: %v", lance.ErrCorrupt, f.Key, keyIndex, err)
	}
	return im, nil
}

// OpenHNSWSQ loads the IVF_HNSW_SQ index described by info (an entry of
// ds.Indexes()) from _indices/<uuid>/index.idx and auxiliary.idx, written
// by pylance or by WriteHNSWSQ. Other index types, legacy files,
// non-float32 centroids, num_bits other than 8 and index.idx files in
// format 2.0 (pylance's delta, merged and remapped indexes) give errors
// wrapping lance.ErrUnsupported; malformed files give errors wrapping
// lance.ErrCorrupt. Everything is loaded into memory: about n·(dim+12)
// bytes for n vectors plus 4 bytes per graph edge.
func OpenHNSWSQ(ctx context.Context, ds *lance.Dataset, info lance.IndexInfo) (*HNSWSQ, error) {
	dir := ds.IndexDir(info)
	st := ds.Store()
	idx, err := openIndexFile(ctx, st, dir, info)
	if err != nil {
		return nil, err
	}
	x := &HNSWSQ{}
	wrap := func(err error) error { return fmt.Errorf("index %s (%s): %w", info.Name, info.UUID, err) }
	g, err := x.readHNSWIndexFile(ctx, st, idx)
	if err != nil {
		return nil, wrap(err)
	}
	aux, err := openFile(ctx, st, dir, auxFile, info)
	if err != nil {
		return nil, err
	}
	s, err := x.readSQAuxFile(ctx, st, aux)
	if err != nil {
		return nil, wrap(err)
	}
	parts, err := g.partitions(s, x.dim)
	if err != nil {
		return nil, wrap(fmt.Errorf("%w: %s: %w", lance.ErrCorrupt, idx.Key, err))
	}
	ix, err := hnsw.FromParts(searchMetric(x.metric), x.dim, g.centroids, s.sq, parts)
	if err != nil {
		return nil, wrap(fmt.Errorf("%w: %w", lance.ErrCorrupt, err))
	}
	ix.Loss = g.loss
	if len(g.meta) > 0 {
		p := g.meta[0].Params
		ix.M, ix.EfConstruction, ix.MaxLevel = p.M, p.EfConstruction, p.MaxLevel
	}
	x.ix, x.rows, x.bounds = ix, len(s.rowIDs), s.bounds
	return x, nil
}

// hnswGraphs is what index.idx holds: the IVF model and every graph row.
type hnswGraphs struct {
	centroids []float32
	loss      float64
	offsets   []uint64 // partition p is graph rows [offsets[p], offsets[p]+lengths[p])
	lengths   []uint32
	meta      []hnswMeta
	ids       []uint32 // __vector_id of each row
	nbrOffs   []uint32 // row r's neighbours are nbrs[nbrOffs[r]:nbrOffs[r+1]]
	nbrs      []uint32
}

// sqStorage is what auxiliary.idx holds.
type sqStorage struct {
	sq      *distance.SQ8
	bounds  sqBounds
	offsets []uint64
	lengths []uint32
	rowIDs  []uint64
	codes   []byte // rows × dim
}

// readHNSWIndexFile reads index.idx: type, metric, IVF model, per-partition
// HNSW metadata and the graph rows.
func (x *HNSWSQ) readHNSWIndexFile(ctx context.Context, st objstore.Store, f *datafile.File) (*hnswGraphs, error) {
	im, err := readIndexMeta(f)
	if err != nil {
		return nil, err
	}
	if im.Type != typeIVFHNSWSQ {
		return nil, fmt.Errorf("%w: index type %q (OpenHNSWSQ reads %s)", lance.ErrUnsupported, im.Type, typeIVFHNSWSQ)
	}
	metric, err := distance.ParseMetric(im.DistanceType)
	if err != nil {
		return nil, fmt.Errorf("%w: distance type %q: %w", lance.ErrUnsupported, im.DistanceType, err)
	}
	x.metric = metric
	ivf, err := readIVF(ctx, st, f)
	if err != nil {
		return nil, err
	}
	shape, cent, err := float32Tensor(ivf.GetCentroidsTensor())
	if err != nil {
		return nil, fmt.Errorf("%s: centroids: %w", f.Key, err)
	}
	if len(shape) != 2 || shape[0] == 0 || shape[1] == 0 {
		return nil, fmt.Errorf("%w: %s: centroids shape %v", lance.ErrCorrupt, f.Key, shape)
	}
	x.nlist, x.dim = int(shape[0]), int(shape[1])
	g := &hnswGraphs{centroids: cent, loss: ivf.GetLoss(), offsets: ivf.GetOffsets(), lengths: ivf.GetLengths()}
	if err := checkRanges(f, g.offsets, g.lengths, x.nlist); err != nil {
		return nil, err
	}
	var list []string
	if err := json.Unmarshal(f.Schema.GetMetadata()[keyHNSW], &list); err != nil || len(list) != x.nlist {
		return nil, fmt.Errorf("%w: %s: %q is not a list of %d JSON strings (%v)", lance.ErrCorrupt, f.Key, keyHNSW, x.nlist, err)
	}
	g.meta = make([]hnswMeta, x.nlist)
	for p, s := range list {
		if err := json.Unmarshal([]byte(s), &g.meta[p]); err != nil {
			return nil, fmt.Errorf("%w: %s: %q partition %d: %v", lance.ErrCorrupt, f.Key, keyHNSW, p, err)
		}
	}
	if err := g.readRows(ctx, st, f); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Key, err)
	}
	return g, nil
}

// checkRanges checks nlist partition row ranges against f's row count.
func checkRanges(f *datafile.File, offsets []uint64, lengths []uint32, nlist int) error {
	if len(offsets) != nlist || len(lengths) != nlist {
		return fmt.Errorf("%w: %s: %d offsets and %d lengths for %d partitions", lance.ErrCorrupt, f.Key, len(offsets), len(lengths), nlist)
	}
	for p := range nlist {
		if offsets[p] > f.NumRows || uint64(lengths[p]) > f.NumRows-offsets[p] {
			return fmt.Errorf("%w: %s: partition %d rows [%d,+%d) beyond %d rows", lance.ErrCorrupt, f.Key, p, offsets[p], lengths[p], f.NumRows)
		}
	}
	return nil
}

// readRows reads __vector_id and __neighbors (the _distance column is not
// needed for search).
func (g *hnswGraphs) readRows(ctx context.Context, st objstore.Store, f *datafile.File) error {
	ls, err := lance.SchemaFromFields(f.Schema.GetFields(), nil)
	if err != nil {
		return fmt.Errorf("%w: %w", lance.ErrCorrupt, err)
	}
	as := ls.Arrow()
	idCol, nbCol := as.FieldIndices(colVectorID), as.FieldIndices(colNeighbors)
	if f.Version == datafile.V2_0 && len(f.Columns) > as.NumFields() {
		// pylance's 2.0 index files give each list an offsets column and
		// an items column, which the 2.0 reader does not decode.
		return fmt.Errorf("%w: %s: list columns of a 2.0 data file", lance.ErrUnsupported, f.Key)
	}
	if len(idCol) != 1 || len(nbCol) != 1 || len(f.Columns) != as.NumFields() {
		return fmt.Errorf("%w: schema %v in %d columns, want %s and %s, one column each", lance.ErrCorrupt, as, len(f.Columns), colVectorID, colNeighbors)
	}
	nbType, ok := as.Field(nbCol[0]).Type.(*arrow.ListType)
	if !arrow.TypeEqual(as.Field(idCol[0]).Type, arrow.PrimitiveTypes.Uint32) || !ok || !arrow.TypeEqual(nbType.Elem(), arrow.PrimitiveTypes.Uint32) {
		return fmt.Errorf("%w: column types %v, want uint32 and list<uint32>", lance.ErrCorrupt, as)
	}
	// Each top-level field is one column here (a primitive, and a list of
	// a primitive), and none comes before these but themselves.
	mem := memory.DefaultAllocator
	for page := range f.Columns[idCol[0]].Pages {
		if err := ctx.Err(); err != nil {
			return err
		}
		a, err := f.ReadPage(ctx, st, mem, idCol[0], page, arrow.PrimitiveTypes.Uint32)
		if err != nil {
			return err
		}
		g.ids = append(g.ids, a.(*array.Uint32).Uint32Values()...)
		a.Release()
	}
	g.nbrOffs = append(g.nbrOffs[:0], 0)
	for page := range f.Columns[nbCol[0]].Pages {
		if err := ctx.Err(); err != nil {
			return err
		}
		a, err := f.ReadPage(ctx, st, mem, nbCol[0], page, nbType)
		if err != nil {
			return err
		}
		l := a.(*array.List)
		vals := l.ListValues().(*array.Uint32).Uint32Values()
		offs := l.Offsets()
		for i := range l.Len() {
			lo, hi := int(offs[i]), int(offs[i+1])
			if lo < 0 || hi < lo || hi > len(vals) {
				a.Release()
				return fmt.Errorf("%w: list offsets [%d,%d) beyond %d values", lance.ErrCorrupt, lo, hi, len(vals))
			}
			g.nbrs = append(g.nbrs, vals[lo:hi]...)
			if len(g.nbrs) > math.MaxUint32 {
				a.Release()
				return fmt.Errorf("%w: more than 2^32 neighbours", lance.ErrUnsupported)
			}
			g.nbrOffs = append(g.nbrOffs, uint32(len(g.nbrs)))
		}
		a.Release()
	}
	if uint64(len(g.ids)) != f.NumRows || uint64(len(g.nbrOffs)-1) != f.NumRows {
		return fmt.Errorf("%w: read %d vector ids and %d neighbour lists for %d rows", lance.ErrCorrupt, len(g.ids), len(g.nbrOffs)-1, f.NumRows)
	}
	return nil
}

// readSQAuxFile reads auxiliary.idx: the quantizer, partition ranges, row
// ids and codes.
func (x *HNSWSQ) readSQAuxFile(ctx context.Context, st objstore.Store, f *datafile.File) (*sqStorage, error) {
	md := f.Schema.GetMetadata()
	if dt := string(md[keyDistance]); dt != "" && dt != x.metric.String() {
		return nil, fmt.Errorf("%w: %s: distance_type %q, index.idx says %q", lance.ErrCorrupt, f.Key, dt, x.metric)
	}
	var list []string
	if err := json.Unmarshal(md[keyStorage], &list); err != nil || len(list) != 1 {
		return nil, fmt.Errorf("%w: %s: %q is not a list of one JSON string (%v)", lance.ErrCorrupt, f.Key, keyStorage, err)
	}
	var sm sqMeta
	if err := json.Unmarshal([]byte(list[0]), &sm); err != nil {
		return nil, fmt.Errorf("%w: %s: %q: %v", lance.ErrCorrupt, f.Key, keyStorage, err)
	}
	if sm.NumBits != supportedBits {
		return nil, fmt.Errorf("%w: SQ with num_bits=%d (only %d is read)", lance.ErrUnsupported, sm.NumBits, supportedBits)
	}
	if sm.Dim != 0 && sm.Dim != x.dim {
		return nil, fmt.Errorf("%w: %s: SQ of dimension %d for a %d-dimensional index", lance.ErrCorrupt, f.Key, sm.Dim, x.dim)
	}
	b := sm.Bounds
	scale := (b.End - b.Start) / 255
	if math.IsNaN(scale) || math.IsInf(scale, 0) || scale < 0 || math.Abs(b.Start) > math.MaxFloat32 || scale > math.MaxFloat32 {
		return nil, fmt.Errorf("%w: %s: SQ bounds [%v, %v]", lance.ErrCorrupt, f.Key, b.Start, b.End)
	}
	s := &sqStorage{bounds: b, sq: &distance.SQ8{Min: make([]float32, x.dim), Scale: make([]float32, x.dim)}}
	for d := range x.dim {
		s.sq.Min[d], s.sq.Scale[d] = float32(b.Start), float32(scale)
	}
	ivf, err := readIVF(ctx, st, f)
	if err != nil {
		return nil, err
	}
	s.offsets, s.lengths = ivf.GetOffsets(), ivf.GetLengths()
	if err := checkRanges(f, s.offsets, s.lengths, x.nlist); err != nil {
		return nil, err
	}

	ls, err := lance.SchemaFromFields(f.Schema.GetFields(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", lance.ErrCorrupt, f.Key, err)
	}
	as := ls.Arrow()
	ridCol, codeCol := as.FieldIndices(colRowID), as.FieldIndices(colSQCode)
	if len(ridCol) != 1 || len(codeCol) != 1 || as.NumFields() != 2 || len(f.Columns) != 2 {
		return nil, fmt.Errorf("%w: %s: schema %v, want %s and %s in two columns", lance.ErrCorrupt, f.Key, as, colRowID, colSQCode)
	}
	if !arrow.TypeEqual(as.Field(ridCol[0]).Type, arrow.PrimitiveTypes.Uint64) || !sameFSL(as.Field(codeCol[0]).Type, x.dim) {
		return nil, fmt.Errorf("%w: %s: column types %v, want uint64 and fixed_size_list<uint8>[%d]", lance.ErrCorrupt, f.Key, as, x.dim)
	}
	mem := memory.DefaultAllocator
	for page := range f.Columns[ridCol[0]].Pages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a, err := f.ReadPage(ctx, st, mem, ridCol[0], page, arrow.PrimitiveTypes.Uint64)
		if err != nil {
			return nil, err
		}
		s.rowIDs = append(s.rowIDs, a.(*array.Uint64).Uint64Values()...)
		a.Release()
	}
	for page := range f.Columns[codeCol[0]].Pages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a, err := f.ReadPage(ctx, st, mem, codeCol[0], page, as.Field(codeCol[0]).Type)
		if err != nil {
			return nil, err
		}
		fsl := a.(*array.FixedSizeList)
		vals := fsl.ListValues().(*array.Uint8).Uint8Values()
		off := fsl.Data().Offset() * x.dim
		if off+fsl.Len()*x.dim > len(vals) {
			a.Release()
			return nil, fmt.Errorf("%w: %s: short code page", lance.ErrCorrupt, f.Key)
		}
		s.codes = append(s.codes, vals[off:off+fsl.Len()*x.dim]...)
		a.Release()
	}
	if uint64(len(s.rowIDs)) != f.NumRows || uint64(len(s.codes)) != f.NumRows*uint64(x.dim) {
		return nil, fmt.Errorf("%w: %s: read %d row ids and %d code bytes for %d rows", lance.ErrCorrupt, f.Key, len(s.rowIDs), len(s.codes), f.NumRows)
	}
	return s, nil
}

// partitions assembles the hnsw partitions from the graph rows and the SQ
// storage. Rows of a level may come in any order of vector id; level 0
// must hold every vector of the partition exactly once, upper levels a
// subset without repeats. Trailing empty levels are dropped (hnsw.Graph
// ends at the top non-empty level).
func (g *hnswGraphs) partitions(s *sqStorage, dim int) ([]hnsw.Partition, error) {
	parts := make([]hnsw.Partition, len(g.meta))
	for p := range parts {
		n := int(s.lengths[p])
		lo, hi := int(s.offsets[p]), int(s.offsets[p])+n
		part := hnsw.Partition{RowIDs: s.rowIDs[lo:hi:hi], Codes: s.codes[lo*dim : hi*dim : hi*dim]}
		m := &g.meta[p]
		lo64 := m.LevelOffsets
		if len(lo64) < 2 || lo64[0] != 0 || lo64[len(lo64)-1] != uint64(g.lengths[p]) || !slices.IsSorted(lo64) {
			return nil, fmt.Errorf("partition %d: level offsets %v for %d graph rows", p, lo64, g.lengths[p])
		}
		if lo64[1] != uint64(n) {
			return nil, fmt.Errorf("partition %d: level 0 has %d rows for %d vectors", p, lo64[1], n)
		}
		top := 0 // levels 0..top-1 are non-empty
		for l := 0; l+1 < len(lo64); l++ {
			if lo64[l+1] > lo64[l] {
				if top != l {
					return nil, fmt.Errorf("partition %d: level %d is empty but level %d is not", p, top, l)
				}
				top = l + 1
			}
		}
		base := g.offsets[p]
		for l := range top {
			lvl, err := g.level(base+lo64[l], base+lo64[l+1], l, n)
			if err != nil {
				return nil, fmt.Errorf("partition %d level %d: %w", p, l, err)
			}
			part.Graph.Levels = append(part.Graph.Levels, lvl)
		}
		if top > 0 {
			part.Graph.Entry = m.EntryPoint
		}
		parts[p] = part
	}
	return parts, nil
}

// level builds one hnsw.Level from graph rows [from, to) of a partition of
// n vectors.
func (g *hnswGraphs) level(from, to uint64, l, n int) (hnsw.Level, error) {
	rows := make([]int, 0, to-from)
	for r := from; r < to; r++ {
		if int(g.ids[r]) >= n {
			return hnsw.Level{}, fmt.Errorf("vector id %d of %d", g.ids[r], n)
		}
		rows = append(rows, int(r))
	}
	if !slices.IsSortedFunc(rows, func(a, b int) int { return int(g.ids[a]) - int(g.ids[b]) }) {
		slices.SortStableFunc(rows, func(a, b int) int { return int(g.ids[a]) - int(g.ids[b]) })
	}
	var lvl hnsw.Level
	if l > 0 {
		lvl.Nodes = make([]uint32, len(rows))
	}
	lvl.Offsets = make([]uint32, 1, len(rows)+1)
	total := 0
	for _, r := range rows {
		total += int(g.nbrOffs[r+1] - g.nbrOffs[r])
	}
	lvl.Neighbors = make([]uint32, 0, total)
	for j, r := range rows {
		id := g.ids[r]
		if j > 0 && g.ids[rows[j-1]] == id {
			return hnsw.Level{}, fmt.Errorf("vector id %d twice", id)
		}
		if l == 0 && int(id) != j {
			return hnsw.Level{}, fmt.Errorf("vector %d missing", j)
		}
		if l > 0 {
			lvl.Nodes[j] = id
		}
		lvl.Neighbors = append(lvl.Neighbors, g.nbrs[g.nbrOffs[r]:g.nbrOffs[r+1]]...)
		lvl.Offsets = append(lvl.Offsets, uint32(len(lvl.Neighbors)))
	}
	return lvl, nil
}

// searchMetric is the metric of the hnsw.Index a Lance IVF_HNSW_SQ index
// is loaded as. Cosine indexes hold unit vectors and Lance measures them
// with squared L2 (after normalising and quantising the query), so they
// are searched as L2 indexes with a query SearchWith prepares.
func searchMetric(m distance.Metric) distance.Metric {
	if m == distance.Cosine {
		return distance.L2
	}
	return m
}

// SearchWith returns the opts.K rows nearest to query by SQ distance, best
// first, searching the opts.NProbes partitions with the nearest centroids
// (and more while fewer than K rows pass opts.Allow) with beam width
// opts.Ef (see hnsw.SearchOptions).
//
// For l2 and cosine the query is prepared as Lance prepares it: normalised
// (cosine), then quantised with the index's SQ bounds by truncation and
// decoded, so that the distances are pylance's without refine_factor, up
// to float rounding: range²/255²·Σ(q_code − code)², which is the squared
// L2 between the decoded query and the decoded vector (for cosine, between
// unit vectors: ≈ 2·(1 − cos)). For dot the raw query is searched and the
// distance is 1 − q·x̂ with x̂ the decoded vector, which is what pylance 14
// returns too (checked to 1e-6; the November 2025 Lance snapshot computed
// dot on the raw u8 codes instead).
// As with IVFPQ, deleted rows are not masked, unindexed fragments are not
// searched and nothing is re-ranked.
func (x *HNSWSQ) SearchWith(query []float32, opts hnsw.SearchOptions) ([]Hit, hnsw.SearchStats, error) {
	if len(query) != x.dim {
		return nil, hnsw.SearchStats{}, fmt.Errorf("%w: query has %d dimensions, index %d", ErrBadQuery, len(query), x.dim)
	}
	if opts.K < 1 {
		return nil, hnsw.SearchStats{}, fmt.Errorf("%w: k = %d", ErrBadQuery, opts.K)
	}
	for _, v := range query {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, hnsw.SearchStats{}, fmt.Errorf("%w: non-finite query value", ErrBadQuery)
		}
	}
	q := x.prepareQuery(query)
	cands, st, err := x.ix.Search(q, opts)
	if err != nil {
		return nil, st, fmt.Errorf("lanceindex: %w", err)
	}
	out := make([]Hit, len(cands))
	for i, c := range cands {
		d := c.Distance
		if x.metric == distance.Dot {
			d = lanceDistance(distance.Dot, d)
		}
		out[i] = Hit{RowAddr: c.RowID, Distance: d}
	}
	// 1 + d can round distinct dot distances to one value.
	slices.SortStableFunc(out, func(a, b Hit) int {
		switch {
		case a.Distance < b.Distance:
			return -1
		case a.Distance > b.Distance:
			return 1
		}
		return 0
	})
	return out, st, nil
}

// prepareQuery returns the query the loaded index is searched with: for
// l2 and cosine the decoded SQ code of the (normalised) query, computed as
// Lance's scale_to_u8 does (in float64, truncated, saturating); for dot
// the query itself.
func (x *HNSWSQ) prepareQuery(query []float32) []float32 {
	if x.metric == distance.Dot {
		return query
	}
	q := slices.Clone(query)
	if x.metric == distance.Cosine {
		distance.Normalize(q)
	}
	return quantizeQuery(x.ix.SQ, x.bounds, q)
}

// quantizeQuery replaces every value of q (in place) by its SQ8
// reconstruction under Lance's encoding (scale_to_u8: (v − start)·255 /
// (end − start) in float64, truncated, saturating to 0..255; all codes 0
// when start = end), and returns q. sq has one range for all dimensions,
// [start, end].
func quantizeQuery(sq *distance.SQ8, b sqBounds, q []float32) []float32 {
	rng := b.End - b.Start
	for d, v := range q {
		var c float64
		if rng != 0 {
			c = math.Trunc((float64(v) - b.Start) * 255 / rng)
			c = max(0, min(255, c))
		}
		q[d] = sq.Min[d] + sq.Scale[d]*float32(c)
	}
	return q
}

// Search is SearchWith with K = k, NProbes = nprobes and the default ef.
func (x *HNSWSQ) Search(query []float32, k, nprobes int) ([]Hit, error) {
	hits, _, err := x.SearchWith(query, hnsw.SearchOptions{K: k, NProbes: nprobes})
	return hits, err
}
