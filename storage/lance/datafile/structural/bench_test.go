package structural_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/datafile"
	"github.com/lancegate/lancegate/storage/lance/datafile/structural"
	"github.com/lancegate/lancegate/storage/lance/datafile/structural/fastlanes"
	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// miniBlockChunks lays out mini-block chunks of one value buffer each, as
// a 2.2 writer does (u32 metadata words and buffer sizes).
func miniBlockChunks(bufs [][]byte, counts []int) (meta, data []byte) {
	for i, b := range bufs {
		start := len(data)
		data = binary.LittleEndian.AppendUint16(data, 0)
		data = binary.LittleEndian.AppendUint32(data, uint32(len(b)))
		for len(data)%8 != 0 {
			data = append(data, 0)
		}
		data = append(data, b...)
		for len(data)%8 != 0 {
			data = append(data, 0)
		}
		log := 0
		if i < len(bufs)-1 {
			for 1<<log < counts[i] {
				log++
			}
		}
		words := (len(data)-start)/8 - 1
		meta = binary.LittleEndian.AppendUint32(meta, uint32(words<<4|log))
	}
	return meta, data
}

// bitpackedChunks packs values 1024 at a time at the given width,
// each chunk prefixed by its width, as inline bitpacking does.
func bitpackedChunks[T fastlanes.Unsigned](vals []T, width int) ([][]byte, []int) {
	var bufs [][]byte
	var counts []int
	for at := 0; at < len(vals); at += fastlanes.BlockLen {
		var blk [fastlanes.BlockLen]T
		n := copy(blk[:], vals[at:])
		packed := fastlanes.Pack(width, &blk)
		b := appendWord(nil, T(width))
		for _, w := range packed {
			b = appendWord(b, w)
		}
		bufs = append(bufs, b)
		counts = append(counts, n)
	}
	return bufs, counts
}

func appendWord[T fastlanes.Unsigned](b []byte, w T) []byte {
	switch any(w).(type) {
	case uint8:
		return append(b, byte(w))
	case uint16:
		return binary.LittleEndian.AppendUint16(b, uint16(w))
	case uint32:
		return binary.LittleEndian.AppendUint32(b, uint32(w))
	}
	return binary.LittleEndian.AppendUint64(b, uint64(w))
}

func inlineBitpacking(bits uint64) *enc21.CompressiveEncoding {
	return &enc21.CompressiveEncoding{Compression: &enc21.CompressiveEncoding_InlineBitpacking{
		InlineBitpacking: &enc21.InlineBitpacking{UncompressedBitsPerValue: bits}}}
}

func benchDecode(b *testing.B, dt arrow.DataType, layout *enc21.PageLayout, rows uint64, bufs [][]byte, bytesOut int64) {
	mem := memory.NewGoAllocator()
	b.SetBytes(bytesOut)
	b.ReportAllocs()
	for b.Loop() {
		arr, err := structural.DecodePage(mem, dt, layout, rows, bufs)
		if err != nil {
			b.Fatal(err)
		}
		arr.Release()
	}
}

// BenchmarkMiniBlockInt64 decodes a 1M-row int64 page bitpacked at 20 bits.
func BenchmarkMiniBlockInt64(b *testing.B) {
	const n = 1 << 20
	vals := make([]uint64, n)
	for i := range vals {
		vals[i] = uint64(i*7919) % (1 << 20)
	}
	chunks, counts := bitpackedChunks(vals, 20)
	meta, data := miniBlockChunks(chunks, counts)
	layout := &enc21.PageLayout{Layout: &enc21.PageLayout_MiniBlockLayout{MiniBlockLayout: &enc21.MiniBlockLayout{
		ValueCompression: inlineBitpacking(64),
		Layers:           []enc21.RepDefLayer{enc21.RepDefLayer_REPDEF_ALL_VALID_ITEM},
		NumBuffers:       1, NumItems: n, HasLargeChunk: true,
	}}}
	benchDecode(b, arrow.PrimitiveTypes.Int64, layout, n, [][]byte{meta, data}, n*8)
}

// BenchmarkFullZipVector decodes 64Ki 128-d float32 vectors, non-nullable
// (aliased) and nullable (one control byte a row).
func BenchmarkFullZipVector(b *testing.B) {
	const n, dim = 1 << 16, 128
	fsl := &enc21.CompressiveEncoding{Compression: &enc21.CompressiveEncoding_FixedSizeList{FixedSizeList: &enc21.FixedSizeList{
		ItemsPerValue: dim,
		Values:        &enc21.CompressiveEncoding{Compression: &enc21.CompressiveEncoding_Flat{Flat: &enc21.Flat{BitsPerValue: 32}}},
	}}}
	dt := arrow.FixedSizeListOf(dim, arrow.PrimitiveTypes.Float32)
	for _, nullable := range []bool{false, true} {
		layer, bitsDef, cw := enc21.RepDefLayer_REPDEF_ALL_VALID_ITEM, uint32(0), 0
		if nullable {
			layer, bitsDef, cw = enc21.RepDefLayer_REPDEF_NULLABLE_ITEM, 1, 1
		}
		data := make([]byte, n*(dim*4+cw))
		for i := 0; i < n; i++ {
			if nullable && i%10 == 0 {
				data[i*(dim*4+1)] = 1
			}
		}
		layout := &enc21.PageLayout{Layout: &enc21.PageLayout_FullZipLayout{FullZipLayout: &enc21.FullZipLayout{
			BitsDef: bitsDef, Details: &enc21.FullZipLayout_BitsPerValue{BitsPerValue: dim * 32},
			NumItems: n, NumVisibleItems: n, ValueCompression: fsl, Layers: []enc21.RepDefLayer{layer},
		}}}
		b.Run("nullable="+strconv.FormatBool(nullable), func(b *testing.B) {
			benchDecode(b, dt, layout, n, [][]byte{data}, n*dim*4)
		})
	}
}

// BenchmarkDictionaryStrings decodes a 1M-row string page: 10-bit indices
// into a dictionary of 1000 strings of 8 to 24 bytes.
func BenchmarkDictionaryStrings(b *testing.B) {
	const n, nd = 1 << 20, 1000
	var dictBytes []byte
	offs := []uint32{0}
	for i := 0; i < nd; i++ {
		s := fmt.Sprintf("dictionary-value-%d%s", i, "xxxxxxxxxx"[:i%8])
		dictBytes = append(dictBytes, s...)
		offs = append(offs, uint32(len(dictBytes)))
	}
	dict := binary.LittleEndian.AppendUint32(nil, 32)
	dict = binary.LittleEndian.AppendUint32(dict, uint32(8+4*len(offs)))
	for _, o := range offs {
		dict = binary.LittleEndian.AppendUint32(dict, o)
	}
	dict = append(dict, dictBytes...)
	idx := make([]uint32, n)
	var total int64
	for i := range idx {
		idx[i] = uint32(i*31) % nd
		total += int64(offs[idx[i]+1] - offs[idx[i]])
	}
	chunks, counts := bitpackedChunks(idx, 10)
	meta, data := miniBlockChunks(chunks, counts)
	layout := &enc21.PageLayout{Layout: &enc21.PageLayout_MiniBlockLayout{MiniBlockLayout: &enc21.MiniBlockLayout{
		ValueCompression: inlineBitpacking(32),
		Dictionary: &enc21.CompressiveEncoding{Compression: &enc21.CompressiveEncoding_Variable{Variable: &enc21.Variable{
			Offsets: &enc21.CompressiveEncoding{Compression: &enc21.CompressiveEncoding_Flat{Flat: &enc21.Flat{BitsPerValue: 32}}},
		}}},
		NumDictionaryItems: nd,
		Layers:             []enc21.RepDefLayer{enc21.RepDefLayer_REPDEF_ALL_VALID_ITEM},
		NumBuffers:         1, NumItems: n, HasLargeChunk: true,
	}}}
	benchDecode(b, arrow.BinaryTypes.String, layout, n, [][]byte{meta, data, dict}, total+4*n)
}

// BenchmarkFile decodes every page of one column of a Lance file named by
// LANCEGATE_BENCH_FILE (column LANCEGATE_BENCH_COL, default 0), to compare
// with pylance on the same file.
func BenchmarkFile(b *testing.B) {
	path := os.Getenv("LANCEGATE_BENCH_FILE")
	if path == "" {
		b.Skip("set LANCEGATE_BENCH_FILE to a Lance data file")
	}
	col, _ := strconv.Atoi(os.Getenv("LANCEGATE_BENCH_COL"))
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	f, err := datafile.ParseFile(path, data)
	if err != nil {
		b.Fatal(err)
	}
	dt := benchType(f.Schema.GetFields()[col].GetLogicalType())
	mem := memory.NewGoAllocator()
	ctx := context.Background()
	for b.Loop() {
		for p := range f.Columns[col].Pages {
			arr, err := f.ReadPage(ctx, memSource(data), mem, col, p, dt)
			if err != nil {
				b.Fatal(err)
			}
			arr.Release()
		}
	}
	b.ReportMetric(float64(f.NumRows)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mrows/s")
}

func benchType(logical string) arrow.DataType {
	switch logical {
	case "int64":
		return arrow.PrimitiveTypes.Int64
	case "double":
		return arrow.PrimitiveTypes.Float64
	case "string":
		return arrow.BinaryTypes.String
	case "fixed_size_list:float:128":
		return arrow.FixedSizeListOf(128, arrow.PrimitiveTypes.Float32)
	}
	panic("benchType: add " + logical)
}

// BenchmarkMiniBlockNullableFloat64 decodes a 1M-row float64 page with
// every 8th row null: chunks of 512 values with bitpacked definition
// levels, as pylance writes nullable doubles.
func BenchmarkMiniBlockNullableFloat64(b *testing.B) {
	const n, per = 1 << 20, 512
	var meta, data []byte
	for at := 0; at < n; at += per {
		var defs [fastlanes.BlockLen]uint16
		for i := 0; i < per; i++ {
			if (at+i)%8 == 0 {
				defs[i] = 1
			}
		}
		packed := fastlanes.Pack(1, &defs)
		start := len(data)
		data = binary.LittleEndian.AppendUint16(data, per)
		data = binary.LittleEndian.AppendUint16(data, uint16(2*len(packed)))
		data = binary.LittleEndian.AppendUint32(data, per*8)
		for _, w := range packed {
			data = binary.LittleEndian.AppendUint16(data, w)
		}
		for i := 0; i < per; i++ {
			data = binary.LittleEndian.AppendUint64(data, uint64(at+i))
		}
		log := 9
		if at+per >= n {
			log = 0
		}
		meta = binary.LittleEndian.AppendUint32(meta, uint32(((len(data)-start)/8-1)<<4|log))
	}
	layout := &enc21.PageLayout{Layout: &enc21.PageLayout_MiniBlockLayout{MiniBlockLayout: &enc21.MiniBlockLayout{
		DefCompression: &enc21.CompressiveEncoding{Compression: &enc21.CompressiveEncoding_OutOfLineBitpacking{
			OutOfLineBitpacking: &enc21.OutOfLineBitpacking{UncompressedBitsPerValue: 16, Values: &enc21.CompressiveEncoding{
				Compression: &enc21.CompressiveEncoding_Flat{Flat: &enc21.Flat{BitsPerValue: 1}}}}}},
		ValueCompression: &enc21.CompressiveEncoding{Compression: &enc21.CompressiveEncoding_Flat{Flat: &enc21.Flat{BitsPerValue: 64}}},
		Layers:           []enc21.RepDefLayer{enc21.RepDefLayer_REPDEF_NULLABLE_ITEM},
		NumBuffers:       1, NumItems: n, HasLargeChunk: true,
	}}}
	benchDecode(b, arrow.PrimitiveTypes.Float64, layout, n, [][]byte{meta, data}, n*8)
}
