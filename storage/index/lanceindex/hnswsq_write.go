package lanceindex

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/hnsw"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/lance/datafile"
	"github.com/lancegate/lancegate/storage/lance/datafile/structural"
	"github.com/lancegate/lancegate/storage/lance/pb"
	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// hnswPrefetchDistance is the "prefetch_distance" pylance 14 writes in
// every partition's HNSW params (a search-time hint).
const hnswPrefetchDistance = 2

// WriteHNSWSQ writes ix as a Lance IVF_HNSW_SQ index on column (a
// fixed_size_list<float32>[ix.Dim] column of ds) named name, in the layout
// pylance 14 writes and reads (docs/vector-index.md §2.3, §2.4), and
// commits it with lance.(*Dataset).CommitIndex. ix must have been built
// with hnsw.BuildOptions.SingleRange (Lance stores one SQ range for all
// dimensions); otherwise the error wraps lance.ErrUnsupported. As for
// WriteIVFPQ, ix's row ids must be row addresses of ds, and the index is
// recorded as covering every fragment that holds one of them. It returns
// the dataset at the new version.
func WriteHNSWSQ(ctx context.Context, ds *lance.Dataset, column string, ix *hnsw.Index, name string) (*lance.Dataset, error) {
	return WriteHNSWSQWith(ctx, ds, column, ix, name, WriteOptions{})
}

// WriteHNSWSQWith is WriteHNSWSQ with commit options.
func WriteHNSWSQWith(ctx context.Context, ds *lance.Dataset, column string, ix *hnsw.Index, name string, opts WriteOptions) (*lance.Dataset, error) {
	if err := checkHNSWWritable(ds, column, ix); err != nil {
		return nil, fmt.Errorf("write index %q: %w", name, err)
	}
	idxBytes, err := encodeHNSWIndexFile(ctx, ix)
	if err != nil {
		return nil, fmt.Errorf("write index %q: %s: %w", name, indexFile, err)
	}
	auxBytes, frags, err := encodeSQAuxFile(ix)
	if err != nil {
		return nil, fmt.Errorf("write index %q: %s: %w", name, auxFile, err)
	}
	return commitFiles(ctx, ds, column, name, indexFiles{idx: idxBytes, aux: auxBytes, frags: frags, details: hnswVectorIndexDetails(ix)}, opts)
}

// checkHNSWWritable checks that ix is a complete, Lance-representable
// index over column of ds.
func checkHNSWWritable(ds *lance.Dataset, column string, ix *hnsw.Index) error {
	if ix == nil || ix.SQ == nil {
		return fmt.Errorf("no index")
	}
	if err := checkVectorColumn(ds, column, ix.Dim, ix.Metric); err != nil {
		return err
	}
	if _, _, ok := ix.SQBounds(); !ok {
		return fmt.Errorf("%w: the SQ8 has a range per dimension; Lance stores one (build with SingleRange)", lance.ErrUnsupported)
	}
	nlist := len(ix.Partitions)
	if nlist == 0 || ix.Dim <= 0 || len(ix.Centroids) != nlist*ix.Dim || ix.SQ.Dim() != ix.Dim {
		return fmt.Errorf("malformed index: %d partitions, %d centroid floats, dim %d", nlist, len(ix.Centroids), ix.Dim)
	}
	if ix.M > maxListLevels/4 {
		return fmt.Errorf("%w: M = %d", lance.ErrUnsupported, ix.M)
	}
	rows, edges := 0, 0
	for p := range ix.Partitions {
		part := &ix.Partitions[p]
		n := len(part.RowIDs)
		if len(part.Codes) != n*ix.Dim {
			return fmt.Errorf("malformed index: partition %d has %d row ids and %d code bytes", p, n, len(part.Codes))
		}
		g := &part.Graph
		if n > 0 && (len(g.Levels) == 0 || g.Levels[0].Len() != n) {
			return fmt.Errorf("malformed index: partition %d has %d rows and no level 0 of that size", p, n)
		}
		for l := range g.Levels {
			lv := &g.Levels[l]
			for j := range lv.Len() {
				if d := int(lv.Offsets[j+1]) - int(lv.Offsets[j]); d > maxListLevels/2 {
					return fmt.Errorf("%w: partition %d: node with %d neighbours", lance.ErrUnsupported, p, d)
				}
			}
			edges += len(lv.Neighbors)
		}
		rows += n
	}
	if rows == 0 {
		return fmt.Errorf("index holds no rows")
	}
	if edges == 0 {
		return fmt.Errorf("%w: graphs without edges", lance.ErrUnsupported)
	}
	if rows > math.MaxUint32 {
		return fmt.Errorf("%w: %d rows in one index", lance.ErrUnsupported, rows)
	}
	return nil
}

// graphRows is index.idx's content in row order: every partition's graph,
// level by level.
type graphRows struct {
	ids   []uint32
	offs  []uint32 // row r's lists are [offs[r], offs[r+1]) of nbrs and dists
	nbrs  []uint32
	dists []float32 // float32 bits of the distances, as uint32
}

// encodeHNSWIndexFile builds index.idx: the graph rows, the IVF model with
// the graph row ranges in global buffer 1 and the per-partition HNSW
// metadata.
func encodeHNSWIndexFile(ctx context.Context, ix *hnsw.Index) ([]byte, error) {
	nlist := len(ix.Partitions)
	maxLevel := max(ix.MaxLevel, 1)
	ivf := &pb.IVF{
		Offsets: make([]uint64, nlist),
		Lengths: make([]uint32, nlist),
		CentroidsTensor: &pb.Tensor{
			DataType: pb.Tensor_FLOAT32,
			Shape:    []uint64{uint64(nlist), uint64(ix.Dim)},
			Data:     float32Bytes(ix.Centroids),
		},
	}
	loss := ix.Loss
	ivf.Loss = &loss
	metas := make([]string, nlist)
	var rows graphRows
	rows.offs = []uint32{0}
	for p := range ix.Partitions {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		g := &ix.Partitions[p].Graph
		ivf.Offsets[p] = uint64(len(rows.ids))
		for l := range g.Levels {
			lv := &g.Levels[l]
			for j := range lv.Len() {
				node := lv.Node(j)
				rows.ids = append(rows.ids, node)
				for _, nb := range lv.Neighbors[lv.Offsets[j]:lv.Offsets[j+1]] {
					rows.nbrs = append(rows.nbrs, nb)
					d := lanceNodeDistance(ix, p, node, nb)
					rows.dists = append(rows.dists, d)
				}
				rows.offs = append(rows.offs, uint32(len(rows.nbrs)))
			}
		}
		ivf.Lengths[p] = uint32(uint64(len(rows.ids)) - ivf.Offsets[p])
		lo := g.LevelOffsets(maxLevel)
		m := hnswMeta{
			EntryPoint: g.Entry,
			Params:     hnswParams{MaxLevel: maxLevel, M: ix.M, EfConstruction: ix.EfConstruction, PrefetchDistance: hnswPrefetchDistance},
			LevelOffsets: func() []uint64 {
				out := make([]uint64, len(lo))
				for i, v := range lo {
					out[i] = uint64(v)
				}
				return out
			}(),
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		metas[p] = string(b)
	}
	ivfBytes, err := proto.Marshal(ivf)
	if err != nil {
		return nil, err
	}
	im, err := json.Marshal(indexMeta{Type: typeIVFHNSWSQ, DistanceType: ix.Metric.String()})
	if err != nil {
		return nil, err
	}
	hm, err := json.Marshal(metas)
	if err != nil {
		return nil, err
	}
	md := map[string][]byte{keyIndex: im, keyIVF: []byte(strconv.Itoa(ivfBufferPos)), keyHNSW: hm}
	return writeGraphFile(rows, md, ivfBytes)
}

// lanceNodeDistance is the _distance Lance stores for the edge a → b of
// partition p: squared L2 between the decoded vectors for l2 and cosine
// (unit vectors), and 1 − a·b for dot.
func lanceNodeDistance(ix *hnsw.Index, p int, a, b uint32) float32 {
	d := ix.NodeDistance(p, a, b)
	switch ix.Metric {
	case distance.Cosine:
		return 2 * d
	case distance.Dot:
		return 1 + d
	}
	return d
}

// hnswGraphSchema is index.idx's Arrow schema, as pylance writes it.
var hnswGraphSchema = arrow.NewSchema([]arrow.Field{
	{Name: colVectorID, Type: arrow.PrimitiveTypes.Uint32, Nullable: true},
	{Name: colNeighbors, Type: arrow.ListOf(arrow.PrimitiveTypes.Uint32), Nullable: true},
	{Name: colDistance, Type: arrow.ListOf(arrow.PrimitiveTypes.Float32), Nullable: true},
}, nil)

// Page sizing of index.idx. The list columns are written one mini-block
// chunk per page, each holding whole rows, so that no row spans chunks and
// the repetition index is trivial; chunk headers count levels and level
// bytes in u16, which bounds a chunk to fewer than 2^15 levels with 16-bit
// levels.
const (
	maxListLevels = 4096    // levels (items plus empty lists) per list page
	idPageRows    = 1 << 18 // rows per __vector_id page
	fileAlignment = 64      // page buffers and global buffers start aligned
)

// writeGraphFile writes index.idx as a Lance 2.2 file. datafile.Writer
// writes flat schemas only, so the file is assembled here: __vector_id
// pages come from structural.EncodePage, the list pages from
// encodeListPage.
func writeGraphFile(rows graphRows, md map[string][]byte, ivf []byte) ([]byte, error) {
	ls, err := lance.NewSchema(hnswGraphSchema, 0)
	if err != nil {
		return nil, err
	}
	fw := &fileWriter{}
	n := len(rows.ids)
	cols := make([]*pb.ColumnMetadata, 3)
	for i := range cols {
		cols[i] = &pb.ColumnMetadata{Encoding: &pb.Encoding{Location: &pb.Encoding_Direct{Direct: &pb.DirectEncoding{Encoding: columnEncodingAny}}}}
	}
	// __vector_id.
	mem := memory.DefaultAllocator
	for lo := 0; lo < n; lo += idPageRows {
		hi := min(n, lo+idPageRows)
		b := array.NewUint32Builder(mem)
		b.AppendValues(rows.ids[lo:hi], nil)
		a := b.NewArray()
		b.Release()
		page, err := structural.EncodePage(arrow.PrimitiveTypes.Uint32, []arrow.Array{a}, structural.EncodeOptions{Version: structural.V2_2})
		if err != nil {
			a.Release()
			return nil, err
		}
		err = fw.page(cols[0], page.Layout, page.Buffers, uint64(hi-lo), uint64(lo))
		a.Release()
		if err != nil {
			return nil, err
		}
	}
	// __neighbors and _distance share their page boundaries.
	for _, c := range []struct {
		col  *pb.ColumnMetadata
		vals []uint32
	}{{cols[1], rows.nbrs}, {cols[2], float32Bits(rows.dists)}} {
		for _, pg := range listPages(rows.offs) {
			layout, bufs := encodeListPage(rows.offs[pg.lo:pg.hi+1], c.vals)
			if err := fw.page(c.col, layout, bufs, uint64(pg.hi-pg.lo), uint64(pg.lo)); err != nil {
				return nil, err
			}
		}
	}
	return fw.finish(&pb.Schema{Fields: ls.Fields(), Metadata: md}, uint64(n), [][]byte{ivf}, cols)
}

// float32Bits reinterprets v as uint32 bit patterns.
func float32Bits(v []float32) []uint32 {
	out := make([]uint32, len(v))
	for i, f := range v {
		out[i] = math.Float32bits(f)
	}
	return out
}

// listPage is a range of rows [lo, hi) written as one page.
type listPage struct{ lo, hi int }

// listPages splits the rows of a list column (row r's items are
// [offs[r], offs[r+1])) into pages of whole rows with at most
// maxListLevels levels (an empty list is one level) and at least one item
// each: a page of empty lists only is merged into its neighbour.
func listPages(offs []uint32) []listPage {
	n := len(offs) - 1
	var pages []listPage
	lo, levels, items := 0, 0, 0
	for r := range n {
		k := int(offs[r+1] - offs[r])
		lv := max(k, 1)
		if levels+lv > maxListLevels && items > 0 {
			pages = append(pages, listPage{lo, r})
			lo, levels, items = r, 0, 0
		}
		levels += lv
		items += k
	}
	if lo < n {
		if items == 0 && len(pages) > 0 {
			pages[len(pages)-1].hi = n
		} else {
			pages = append(pages, listPage{lo, n})
		}
	}
	return pages
}

// flatEncoding is a Flat compressive encoding of bits-wide values.
func flatEncoding(bits uint64) *enc21.CompressiveEncoding {
	return &enc21.CompressiveEncoding{Compression: &enc21.CompressiveEncoding_Flat{Flat: &enc21.Flat{BitsPerValue: bits}}}
}

// encodeListPage encodes the rows whose item ranges offs gives (relative
// to vals; len(offs)−1 rows) of a non-null list<32-bit> column as a 2.2
// mini-block page with one chunk, in the form pylance 14 reads: layers
// [all-valid item, emptyable list]; 16-bit flat repetition levels (1 where
// a row starts) and definition levels (1 for an empty list, 0 for an
// item); flat 32-bit values; large-chunk metadata; and a repetition index
// of depth 1 whose one entry says the chunk holds all the page's rows and
// no partial row. It returns the layout and the page's buffers: chunk
// metadata, chunk, repetition index.
func encodeListPage(offs []uint32, vals []uint32) (*enc21.PageLayout, [][]byte) {
	rows := len(offs) - 1
	first, last := offs[0], offs[rows]
	items := int(last - first)
	var rep, def []byte
	for r := range rows {
		k := int(offs[r+1] - offs[r])
		if k == 0 {
			rep = binary.LittleEndian.AppendUint16(rep, 1)
			def = binary.LittleEndian.AppendUint16(def, 1)
			continue
		}
		for i := range k {
			v := uint16(0)
			if i == 0 {
				v = 1
			}
			rep = binary.LittleEndian.AppendUint16(rep, v)
			def = binary.LittleEndian.AppendUint16(def, 0)
		}
	}
	levels := len(rep) / 2
	values := make([]byte, 0, 4*items)
	for _, v := range vals[first:last] {
		values = binary.LittleEndian.AppendUint32(values, v)
	}
	// Header: levels, rep size, def size (u16), value buffer size (u32),
	// padded to 8; then each part padded to 8.
	var chunk []byte
	chunk = binary.LittleEndian.AppendUint16(chunk, uint16(levels))
	chunk = binary.LittleEndian.AppendUint16(chunk, uint16(len(rep)))
	chunk = binary.LittleEndian.AppendUint16(chunk, uint16(len(def)))
	chunk = binary.LittleEndian.AppendUint32(chunk, uint32(len(values)))
	chunk = pad8(chunk)
	chunk = pad8(append(chunk, rep...))
	chunk = pad8(append(chunk, def...))
	chunk = pad8(append(chunk, values...))
	// The metadata word: chunk size in 8-byte words less one, above log2
	// of the value count (0: the last chunk's count is implied).
	meta := binary.LittleEndian.AppendUint32(nil, uint32(len(chunk)/8-1)<<4)
	var repIndex []byte
	repIndex = binary.LittleEndian.AppendUint64(repIndex, uint64(rows))
	repIndex = binary.LittleEndian.AppendUint64(repIndex, 0)
	layout := &enc21.PageLayout{Layout: &enc21.PageLayout_MiniBlockLayout{MiniBlockLayout: &enc21.MiniBlockLayout{
		RepCompression:       flatEncoding(16),
		DefCompression:       flatEncoding(16),
		ValueCompression:     flatEncoding(32),
		Layers:               []enc21.RepDefLayer{enc21.RepDefLayer_REPDEF_ALL_VALID_ITEM, enc21.RepDefLayer_REPDEF_EMPTYABLE_LIST},
		NumBuffers:           1,
		RepetitionIndexDepth: 1,
		NumItems:             uint64(items),
		HasLargeChunk:        true,
	}}}
	return layout, [][]byte{meta, chunk, repIndex}
}

// pad8 pads b with zeros to a multiple of 8 bytes.
func pad8(b []byte) []byte {
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

// columnEncodingAny is the per-column encoding every 2.x column carries,
// Any("/lance.encodings.ColumnEncoding", ColumnEncoding{values: Empty}).
// Copied from datafile's writer (unexported there).
var columnEncodingAny = func() []byte {
	b, err := proto.Marshal(&anypb.Any{TypeUrl: datafile.URLColumnEncoding, Value: []byte{0x0a, 0x00}})
	if err != nil {
		panic(err)
	}
	return b
}()

// fileWriter assembles a Lance 2.2 file in memory: aligned page buffers,
// then global buffer 0 (the FileDescriptor) and the extra global buffers,
// the column metadata, the column metadata offset table, the global buffer
// offset table and the 40-byte footer. It mirrors datafile.Writer's
// finish, which only flat schemas can reach.
type fileWriter struct {
	buf bytes.Buffer
}

func (w *fileWriter) pos() uint64 { return uint64(w.buf.Len()) }

func (w *fileWriter) align() {
	for w.buf.Len()%fileAlignment != 0 {
		w.buf.WriteByte(0x48) // pylance pads with 'H'
	}
}

// page appends one page of a column.
func (w *fileWriter) page(col *pb.ColumnMetadata, layout *enc21.PageLayout, bufs [][]byte, rows, first uint64) error {
	lb, err := proto.Marshal(layout)
	if err != nil {
		return err
	}
	enc, err := proto.Marshal(&anypb.Any{TypeUrl: datafile.URLPageLayout, Value: lb})
	if err != nil {
		return err
	}
	p := &pb.ColumnMetadata_Page{
		Length:   rows,
		Priority: first,
		Encoding: &pb.Encoding{Location: &pb.Encoding_Direct{Direct: &pb.DirectEncoding{Encoding: enc}}},
	}
	for _, b := range bufs {
		w.align()
		p.BufferOffsets = append(p.BufferOffsets, w.pos())
		p.BufferSizes = append(p.BufferSizes, uint64(len(b)))
		w.buf.Write(b)
	}
	col.Pages = append(col.Pages, p)
	return nil
}

// finish writes the metadata and footer and returns the file's bytes.
func (w *fileWriter) finish(schema *pb.Schema, rows uint64, globals [][]byte, cols []*pb.ColumnMetadata) ([]byte, error) {
	desc, err := proto.Marshal(&pb.FileDescriptor{Schema: schema, Length: rows})
	if err != nil {
		return nil, err
	}
	var gbo []byte
	for _, g := range append([][]byte{desc}, globals...) {
		w.align()
		gbo = binary.LittleEndian.AppendUint64(gbo, w.pos())
		gbo = binary.LittleEndian.AppendUint64(gbo, uint64(len(g)))
		w.buf.Write(g)
	}
	metaStart := w.pos()
	var cmo []byte
	for _, c := range cols {
		b, err := proto.Marshal(c)
		if err != nil {
			return nil, err
		}
		cmo = binary.LittleEndian.AppendUint64(cmo, w.pos())
		cmo = binary.LittleEndian.AppendUint64(cmo, uint64(len(b)))
		w.buf.Write(b)
	}
	cmoStart := w.pos()
	w.buf.Write(cmo)
	gboStart := w.pos()
	w.buf.Write(gbo)
	var footer []byte
	footer = binary.LittleEndian.AppendUint64(footer, metaStart)
	footer = binary.LittleEndian.AppendUint64(footer, cmoStart)
	footer = binary.LittleEndian.AppendUint64(footer, gboStart)
	footer = binary.LittleEndian.AppendUint32(footer, uint32(1+len(globals)))
	footer = binary.LittleEndian.AppendUint32(footer, uint32(len(cols)))
	footer = binary.LittleEndian.AppendUint16(footer, datafile.V2_2.Major)
	footer = binary.LittleEndian.AppendUint16(footer, datafile.V2_2.Minor)
	footer = append(footer, "LANC"...)
	w.buf.Write(footer)
	return w.buf.Bytes(), nil
}

// sqStorageMeta is the "storage_metadata" entry of an SQ auxiliary.idx, in
// pylance's key order.
type sqStorageMeta struct {
	Dim     int      `json:"dim"`
	NumBits int      `json:"num_bits"`
	Bounds  sqBounds `json:"bounds"`
}

// encodeSQAuxFile builds auxiliary.idx: every row's _rowid and SQ code,
// grouped by partition, with the partition ranges in global buffer 1. It
// also returns the ids of the fragments the row ids name, ascending.
func encodeSQAuxFile(ix *hnsw.Index) ([]byte, []uint32, error) {
	nlist := len(ix.Partitions)
	start, end, _ := ix.SQBounds()
	ivf := &pb.IVF{Offsets: make([]uint64, nlist), Lengths: make([]uint32, nlist)}
	total := 0
	for p := range ix.Partitions {
		ivf.Offsets[p] = uint64(total)
		ivf.Lengths[p] = uint32(len(ix.Partitions[p].RowIDs))
		total += len(ix.Partitions[p].RowIDs)
	}
	ivfBytes, err := proto.Marshal(ivf)
	if err != nil {
		return nil, nil, err
	}
	sm, err := json.Marshal(sqStorageMeta{Dim: ix.Dim, NumBits: supportedBits, Bounds: sqBounds{Start: float64(start), End: float64(end)}})
	if err != nil {
		return nil, nil, err
	}
	storage, err := json.Marshal([]string{string(sm)})
	if err != nil {
		return nil, nil, err
	}
	rowIDs := make([]uint64, 0, total)
	codes := make([]byte, 0, total*ix.Dim)
	for p := range ix.Partitions {
		part := &ix.Partitions[p]
		rowIDs = append(rowIDs, part.RowIDs...)
		codes = append(codes, part.Codes...)
	}
	return encodeStorageFile(ix.Metric, storage, [][]byte{ivfBytes}, colSQCode, ix.Dim, rowIDs, codes)
}

// hnswVectorIndexDetails encodes the VectorIndexDetails message pylance 14
// writes for IVF_HNSW_SQ (docs/vector-index.md §1.3): metric_type (1;
// omitted for l2), hnsw_index_config (3) {max_connections 1,
// construction_ef 2, max_level 3} and compression.sq (5) {num_bits 1}. No
// runtime hints.
func hnswVectorIndexDetails(ix *hnsw.Index) []byte {
	var b []byte
	switch ix.Metric {
	case distance.Cosine:
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, 1)
	case distance.Dot:
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, 2)
	}
	var h []byte
	for i, v := range []int{ix.M, ix.EfConstruction, max(ix.MaxLevel, 1)} {
		h = protowire.AppendTag(h, protowire.Number(i+1), protowire.VarintType)
		h = protowire.AppendVarint(h, uint64(v))
	}
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendBytes(b, h)
	var sq []byte
	sq = protowire.AppendTag(sq, 1, protowire.VarintType)
	sq = protowire.AppendVarint(sq, supportedBits)
	b = protowire.AppendTag(b, 5, protowire.BytesType)
	b = protowire.AppendBytes(b, sq)
	return b
}
