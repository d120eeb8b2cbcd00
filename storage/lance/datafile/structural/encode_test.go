package structural_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/float16"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/datafile/structural"
	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

// valueGen appends row i's value (never null) to a builder.
type valueGen func(b array.Builder, i int, r *rand.Rand)

// encodeColumn is a type the encoder tests write, with the layout and
// value compression its pages should get when some rows are valid.
type encodeColumn struct {
	name   string
	dt     arrow.DataType
	gen    valueGen
	layout string // mini, fullzip
	values string // the value compression's name
	wide   bool   // rows of a kilobyte or more
}

func fixedGen[T any](f func(i int, r *rand.Rand) T) valueGen {
	return func(b array.Builder, i int, r *rand.Rand) {
		b.(interface{ Append(T) }).Append(f(i, r))
	}
}

func vectorGen(dim int, itemNulls bool) valueGen {
	return func(b array.Builder, i int, r *rand.Rand) {
		lb := b.(*array.FixedSizeListBuilder)
		lb.Append(true)
		switch vb := lb.ValueBuilder().(type) {
		case *array.Float32Builder:
			for j := 0; j < dim; j++ {
				if itemNulls && (i+j)%13 == 0 {
					vb.AppendNull()
				} else {
					vb.Append(r.Float32())
				}
			}
		case *array.BooleanBuilder:
			for j := 0; j < dim; j++ {
				if itemNulls && (i+j)%13 == 0 {
					vb.AppendNull()
				} else {
					vb.Append(r.Intn(2) == 0)
				}
			}
		case *array.Uint8Builder:
			for j := 0; j < dim; j++ {
				vb.Append(uint8(r.Intn(256)))
			}
		}
	}
}

func stringGen(lo, hi int) valueGen {
	return func(b array.Builder, i int, r *rand.Rand) {
		s := strings.Repeat(string(rune('a'+i%26)), lo+r.Intn(hi-lo+1))
		switch sb := b.(type) {
		case *array.StringBuilder:
			sb.Append(s)
		case *array.LargeStringBuilder:
			sb.Append(s)
		case *array.BinaryBuilder:
			sb.Append([]byte(s))
		}
	}
}

var encodeColumns = []encodeColumn{
	{"bool", arrow.FixedWidthTypes.Boolean, fixedGen(func(i int, r *rand.Rand) bool { return r.Intn(3) == 0 }), "mini", "flat", false},
	{"int8", arrow.PrimitiveTypes.Int8, fixedGen(func(i int, r *rand.Rand) int8 { return int8(r.Intn(256) - 128) }), "mini", "inline_bitpacking", false},
	{"uint8 small", arrow.PrimitiveTypes.Uint8, fixedGen(func(i int, r *rand.Rand) uint8 { return uint8(r.Intn(9)) }), "mini", "inline_bitpacking", false},
	{"int16", arrow.PrimitiveTypes.Int16, fixedGen(func(i int, r *rand.Rand) int16 { return int16(r.Intn(1 << 16)) }), "mini", "inline_bitpacking", false},
	{"uint16 small", arrow.PrimitiveTypes.Uint16, fixedGen(func(i int, r *rand.Rand) uint16 { return uint16(r.Intn(1000)) }), "mini", "inline_bitpacking", false},
	{"int32 negative", arrow.PrimitiveTypes.Int32, fixedGen(func(i int, r *rand.Rand) int32 { return -int32(r.Intn(100)) - 1 }), "mini", "inline_bitpacking", false},
	{"uint32", arrow.PrimitiveTypes.Uint32, fixedGen(func(i int, r *rand.Rand) uint32 { return uint32(i) * 3 }), "mini", "inline_bitpacking", false},
	{"int64 zeros", arrow.PrimitiveTypes.Int64, fixedGen(func(int, *rand.Rand) int64 { return 0 }), "mini", "inline_bitpacking", false},
	{"int64 wide", arrow.PrimitiveTypes.Int64, fixedGen(func(i int, r *rand.Rand) int64 { return int64(r.Uint64()) }), "mini", "inline_bitpacking", false},
	{"uint64 63 bits", arrow.PrimitiveTypes.Uint64, fixedGen(func(i int, r *rand.Rand) uint64 { return r.Uint64() >> 1 }), "mini", "inline_bitpacking", false},
	{"float16", arrow.FixedWidthTypes.Float16, fixedGen(func(i int, r *rand.Rand) float16.Num { return float16.New(r.Float32()) }), "mini", "flat", false},
	{"float64", arrow.PrimitiveTypes.Float64, fixedGen(func(i int, r *rand.Rand) float64 { return r.NormFloat64() }), "mini", "flat", false},
	{"date32", arrow.FixedWidthTypes.Date32, fixedGen(func(i int, r *rand.Rand) arrow.Date32 { return arrow.Date32(19000 + r.Intn(500)) }), "mini", "inline_bitpacking", false},
	{"timestamp", arrow.FixedWidthTypes.Timestamp_us, fixedGen(func(i int, r *rand.Rand) arrow.Timestamp { return arrow.Timestamp(1 << 50 / 3 * int64(1+i%3)) }), "mini", "inline_bitpacking", false},
	{"fixed binary 300", &arrow.FixedSizeBinaryType{ByteWidth: 300}, func(b array.Builder, i int, r *rand.Rand) {
		v := make([]byte, 300)
		r.Read(v)
		b.(*array.FixedSizeBinaryBuilder).Append(v)
	}, "fullzip", "flat", true},
	{"string", arrow.BinaryTypes.String, stringGen(0, 30), "mini", "variable", false},
	{"string 255", arrow.BinaryTypes.String, stringGen(250, 255), "mini", "variable", false},
	{"string 256", arrow.BinaryTypes.String, stringGen(256, 256), "fullzip", "variable", false},
	{"large string long", arrow.BinaryTypes.LargeString, stringGen(200, 5000), "fullzip", "variable", true},
	{"large binary", arrow.BinaryTypes.LargeBinary, stringGen(0, 20), "mini", "variable", false},
	{"empty strings", arrow.BinaryTypes.String, stringGen(0, 0), "mini", "variable", false},
	{"vector 8", arrow.FixedSizeListOf(8, arrow.PrimitiveTypes.Float32), vectorGen(8, false), "mini", "fixed_size_list", false},
	{"vector 8 item nulls", arrow.FixedSizeListOf(8, arrow.PrimitiveTypes.Float32), vectorGen(8, true), "mini", "fixed_size_list", false},
	{"vector 63", arrow.FixedSizeListOf(63, arrow.PrimitiveTypes.Float32), vectorGen(63, false), "mini", "fixed_size_list", true},
	{"vector 64", arrow.FixedSizeListOf(64, arrow.PrimitiveTypes.Float32), vectorGen(64, false), "fullzip", "fixed_size_list", true},
	{"vector 128 item nulls", arrow.FixedSizeListOf(128, arrow.PrimitiveTypes.Float32), vectorGen(128, true), "fullzip", "fixed_size_list", true},
	{"bytes 1000", arrow.FixedSizeListOf(1000, arrow.PrimitiveTypes.Uint8), vectorGen(1000, false), "fullzip", "fixed_size_list", true},
	{"bools 5", arrow.FixedSizeListOf(5, arrow.FixedWidthTypes.Boolean), vectorGen(5, true), "mini", "fixed_size_list", false},
	{"bools 2001", arrow.FixedSizeListOf(2001, arrow.FixedWidthTypes.Boolean), vectorGen(2001, false), "mini", "fixed_size_list", true},
}

// buildColumn builds n rows of c, null where null says.
func buildColumn(mem memory.Allocator, c encodeColumn, n int, null func(i int) bool) arrow.Array {
	b := array.NewBuilder(mem, c.dt)
	defer b.Release()
	r := rand.New(rand.NewSource(int64(n)))
	for i := 0; i < n; i++ {
		if null(i) {
			b.AppendNull()
		} else {
			c.gen(b, i, r)
		}
	}
	return b.NewArray()
}

// split cuts a into three chunks that start at odd offsets.
func split(a arrow.Array) []arrow.Array {
	n := int64(a.Len())
	cuts := []int64{0, n / 3, n/3 + n/5, n}
	var out []arrow.Array
	for i := 0; i+1 < len(cuts); i++ {
		out = append(out, array.NewSlice(a, cuts[i], cuts[i+1]))
	}
	return out
}

// TestEncodeRoundTrip encodes pages of every type, size and null pattern
// in one chunk and in several, decodes them and compares; it also checks
// the layout and value compression chosen and the mini-block chunking.
func TestEncodeRoundTrip(t *testing.T) {
	nulls := map[string]func(n int) func(int) bool{
		"none":  func(int) func(int) bool { return func(int) bool { return false } },
		"some":  func(n int) func(int) bool { return func(i int) bool { return i == 0 || i == n-1 || i%5 == 2 } },
		"first": func(int) func(int) bool { return func(i int) bool { return i == 0 } },
		"all":   func(int) func(int) bool { return func(int) bool { return true } },
	}
	sizes := []int{1, 2, 63, 64, 65, 576, 1024, 1025, 1088, 5000}
	for _, c := range encodeColumns {
		for pname, np := range nulls {
			for _, n := range sizes {
				if c.wide && n != 1 && n != 65 && n != 1025 {
					continue // enough for several chunks; keep the test fast
				}
				for _, v := range []structural.Version{structural.V2_1, structural.V2_2} {
					name := fmt.Sprintf("%s/%s/%d/2.%d", c.name, pname, n, v)
					mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
					a := buildColumn(mem, c, n, np(n))
					for _, chunks := range [][]arrow.Array{{a}, split(a)} {
						checkEncode(t, name, mem, c, a, chunks, v)
					}
					a.Release()
					mem.AssertSize(t, 0)
				}
			}
		}
	}
}

func checkEncode(t *testing.T, name string, mem memory.Allocator, c encodeColumn, want arrow.Array, chunks []arrow.Array, v structural.Version) {
	t.Helper()
	defer func() {
		if len(chunks) > 1 {
			for _, a := range chunks {
				a.Release()
			}
		}
	}()
	p, err := structural.EncodePage(c.dt, chunks, structural.EncodeOptions{Version: v})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if p.Rows != uint64(want.Len()) {
		t.Fatalf("%s: page of %d rows, want %d", name, p.Rows, want.Len())
	}
	checkLayout(t, name, c, want, p, v)
	// Copy the buffers, as a file would, so that the decoder cannot alias
	// the input.
	bufs := make([][]byte, len(p.Buffers))
	for i, b := range p.Buffers {
		bufs[i] = append([]byte(nil), b...)
	}
	got, err := structural.DecodePage(mem, c.dt, p.Layout, p.Rows, bufs)
	if err != nil {
		t.Fatalf("%s: decode: %v", name, err)
	}
	defer got.Release()
	if !array.Equal(got, want) {
		t.Fatalf("%s: decoded page differs:\n got %v\nwant %v", name, trunc(got), trunc(want))
	}
}

// checkLayout checks the layout the encoder chose and, for mini-block
// pages, the chunk rules pylance relies on.
func checkLayout(t *testing.T, name string, c encodeColumn, a arrow.Array, p *structural.EncodedPage, v structural.Version) {
	t.Helper()
	if a.NullN() == a.Len() {
		cl := p.Layout.GetConstantLayout()
		if cl == nil || cl.InlineValue != nil || len(p.Buffers) != 0 {
			t.Fatalf("%s: all-null page written as %v with %d buffers", name, encodingsOf(p.Layout), len(p.Buffers))
		}
		return
	}
	wantLayer := enc21.RepDefLayer_REPDEF_ALL_VALID_ITEM
	if a.NullN() > 0 {
		wantLayer = enc21.RepDefLayer_REPDEF_NULLABLE_ITEM
	}
	values := ""
	switch c.values {
	case "inline_bitpacking":
		// Integers are bitpacked only when it saves space (null rows count
		// as zeros).
		values = "inline_bitpacking|flat"
	default:
		values = c.values
	}
	encs := strings.Join(encodingsOf(p.Layout), " ")
	if !strings.Contains("|"+values+"|", "|"+firstValueEncoding(p.Layout)+"|") {
		t.Errorf("%s: value compression %s, want %s (%s)", name, firstValueEncoding(p.Layout), values, encs)
	}
	switch c.layout {
	case "fullzip":
		fz := p.Layout.GetFullZipLayout()
		if fz == nil {
			t.Fatalf("%s: want a full-zip page, got %s", name, encs)
		}
		if len(fz.Layers) != 1 || fz.Layers[0] != wantLayer || (fz.BitsDef == 1) != (a.NullN() > 0) {
			t.Errorf("%s: full-zip layers %v, bits_def %d", name, fz.Layers, fz.BitsDef)
		}
		// Variable-width pages carry the repetition index pylance needs.
		if _, variable := fz.Details.(*enc21.FullZipLayout_BitsPerOffset); variable {
			if len(p.Buffers) != 2 || len(p.Buffers[1])%(a.Len()+1) != 0 {
				t.Errorf("%s: full-zip variable page with %d buffers", name, len(p.Buffers))
			}
		}
	case "mini":
		mb := p.Layout.GetMiniBlockLayout()
		if mb == nil {
			t.Fatalf("%s: want a mini-block page, got %s", name, encs)
		}
		if len(mb.Layers) != 1 || mb.Layers[0] != wantLayer || (mb.DefCompression != nil) != (a.NullN() > 0) {
			t.Errorf("%s: mini-block layers %v, def compression %v", name, mb.Layers, mb.DefCompression)
		}
		if mb.HasLargeChunk != (v == structural.V2_2) {
			t.Errorf("%s: has_large_chunk %v", name, mb.HasLargeChunk)
		}
		checkChunks(t, name, p.Buffers[0], mb.HasLargeChunk, a.Len())
	}
}

// firstValueEncoding names the outermost value compression of a page.
func firstValueEncoding(l *enc21.PageLayout) string {
	var e *enc21.CompressiveEncoding
	if mb := l.GetMiniBlockLayout(); mb != nil {
		e = mb.ValueCompression
	} else if fz := l.GetFullZipLayout(); fz != nil {
		e = fz.ValueCompression
	}
	switch e.GetCompression().(type) {
	case *enc21.CompressiveEncoding_Flat:
		return "flat"
	case *enc21.CompressiveEncoding_InlineBitpacking:
		return "inline_bitpacking"
	case *enc21.CompressiveEncoding_Variable:
		return "variable"
	case *enc21.CompressiveEncoding_FixedSizeList:
		return "fixed_size_list"
	}
	return fmt.Sprintf("%T", e.GetCompression())
}

// checkChunks checks the mini-block chunk metadata: every chunk but the
// last holds a power of two (at least 2, at most 4096) values and says so,
// the last says 0, and 2.1 chunks fit in 32 KiB.
func checkChunks(t *testing.T, name string, meta []byte, large bool, items int) {
	t.Helper()
	ws := 2
	if large {
		ws = 4
	}
	n := len(meta) / ws
	seen := 0
	for i := 0; i < n; i++ {
		var w uint64
		if large {
			w = uint64(binary.LittleEndian.Uint32(meta[4*i:]))
		} else {
			w = uint64(binary.LittleEndian.Uint16(meta[2*i:]))
		}
		log, size := int(w&0xf), (w>>4+1)*8
		if !large && size > 32<<10 {
			t.Errorf("%s: chunk %d of %d bytes", name, i, size)
		}
		if i == n-1 {
			if log != 0 {
				t.Errorf("%s: last chunk says 2^%d values", name, log)
			}
			if left := items - seen; left < 1 || left > 4096 {
				t.Errorf("%s: last chunk of %d values", name, left)
			}
			return
		}
		if log < 1 || log > 12 {
			t.Errorf("%s: chunk %d of 2^%d values", name, i, log)
		}
		seen += 1 << log
	}
	t.Errorf("%s: no chunks", name)
}

// TestEncodeErrors checks what EncodePage refuses.
func TestEncodeErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ints := buildColumn(mem, encodeColumns[1], 10, func(int) bool { return false })
	defer ints.Release()
	opts := structural.EncodeOptions{Version: structural.V2_2}
	for _, dt := range []arrow.DataType{
		arrow.ListOf(arrow.ListOf(arrow.PrimitiveTypes.Int32)),
		arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32}),
		arrow.Null,
	} {
		if err := structural.Encodable(dt); !errors.Is(err, structural.ErrUnsupported) {
			t.Errorf("Encodable(%s) = %v, want ErrUnsupported", dt, err)
		}
		if _, err := structural.EncodePage(dt, nil, opts); !errors.Is(err, structural.ErrUnsupported) {
			t.Errorf("EncodePage(%s) = %v, want ErrUnsupported", dt, err)
		}
	}
	if _, err := structural.EncodePage(arrow.PrimitiveTypes.Int64, []arrow.Array{ints}, opts); err == nil {
		t.Error("EncodePage accepted int8 values for an int64 page")
	}
	if _, err := structural.EncodePage(ints.DataType(), []arrow.Array{ints}, structural.EncodeOptions{Version: 3}); !errors.Is(err, structural.ErrUnsupported) {
		t.Errorf("EncodePage for 2.3 = %v, want ErrUnsupported", err)
	}
	if _, err := structural.EncodePage(ints.DataType(), nil, opts); err == nil {
		t.Error("EncodePage accepted an empty page")
	}
}

// TestBigEndianHost checks that a big-endian host gets ErrUnsupported
// from DecodePage and EncodePage rather than a panic.
func TestBigEndianHost(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ints := buildColumn(mem, encodeColumns[1], 10, func(int) bool { return false })
	defer ints.Release()
	p, err := structural.EncodePage(ints.DataType(), []arrow.Array{ints}, structural.EncodeOptions{Version: structural.V2_1})
	if err != nil {
		t.Fatal(err)
	}
	restore := structural.PretendBigEndian()
	defer restore()
	if _, err := structural.EncodePage(ints.DataType(), []arrow.Array{ints}, structural.EncodeOptions{Version: structural.V2_1}); !errors.Is(err, structural.ErrUnsupported) {
		t.Errorf("EncodePage on a big-endian host = %v, want ErrUnsupported", err)
	}
	if a, err := structural.DecodePage(mem, ints.DataType(), p.Layout, p.Rows, p.Buffers); !errors.Is(err, structural.ErrUnsupported) {
		if a != nil {
			a.Release()
		}
		t.Errorf("DecodePage on a big-endian host = %v, want ErrUnsupported", err)
	}
}

// FuzzEncodePage encodes pages of random length, type and null density
// and checks that they decode to what was encoded.
func FuzzEncodePage(f *testing.F) {
	f.Add(int64(1), uint8(0), uint16(100), uint8(10), false)
	f.Add(int64(2), uint8(17), uint16(3000), uint8(0), true)
	f.Add(int64(3), uint8(22), uint16(77), uint8(50), false)
	f.Fuzz(func(t *testing.T, seed int64, typ uint8, n uint16, nullPct uint8, v22 bool) {
		c := encodeColumns[int(typ)%len(encodeColumns)]
		rows := 1 + int(n)%5000
		if c.wide {
			rows = 1 + int(n)%300
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		r := rand.New(rand.NewSource(seed))
		null := make([]bool, rows)
		for i := range null {
			null[i] = r.Intn(100) < int(nullPct%101)
		}
		a := buildColumn(mem, c, rows, func(i int) bool { return null[i] })
		defer a.Release()
		v := structural.V2_1
		if v22 {
			v = structural.V2_2
		}
		checkEncode(t, fmt.Sprintf("%s/%d rows", c.name, rows), mem, c, a, split(a), v)
	})
}
