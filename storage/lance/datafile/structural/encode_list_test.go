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
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/datafile/structural"
)

// listShape says what row i of a generated list column is: null, empty,
// or a list of some items, some of them null.
type listShape struct {
	name string
	// row returns the number of items of row i, or -1 for a null list.
	row func(i int, r *rand.Rand) int
	// nullItem reports whether item j of row i is null.
	nullItem func(i, j int) bool
}

var listShapes = []listShape{
	{"plain", func(i int, r *rand.Rand) int { return 1 + r.Intn(4) }, func(int, int) bool { return false }},
	{"null_lists", func(i int, r *rand.Rand) int {
		if i%7 == 3 {
			return -1
		}
		return 1 + r.Intn(3)
	}, func(int, int) bool { return false }},
	{"empty_lists", func(i int, r *rand.Rand) int { return r.Intn(3) }, func(int, int) bool { return false }},
	{"null_items", func(i int, r *rand.Rand) int { return 1 + r.Intn(3) }, func(i, j int) bool { return (i+j)%5 == 1 }},
	{"everything", func(i int, r *rand.Rand) int {
		switch i % 9 {
		case 0:
			return -1
		case 4:
			return 0
		}
		return r.Intn(5)
	}, func(i, j int) bool { return (i*3+j)%4 == 0 }},
	{"all_null_lists", func(int, *rand.Rand) int { return -1 }, nil},
	{"all_empty", func(int, *rand.Rand) int { return 0 }, nil},
	{"null_or_empty", func(i int, _ *rand.Rand) int { return i%2 - 1 }, nil},
	{"all_items_null", func(i int, r *rand.Rand) int { return r.Intn(3) }, func(int, int) bool { return true }},
	// Rows longer than a mini-block chunk, between short and empty ones.
	{"long_rows", func(i int, r *rand.Rand) int {
		switch i % 4 {
		case 0:
			return 5000 + r.Intn(3000)
		case 1:
			return 0
		case 2:
			return -1
		}
		return r.Intn(3)
	}, func(i, j int) bool { return j%97 == 0 }},
	// Long runs of empty and null lists across chunk boundaries.
	{"sparse", func(i int, r *rand.Rand) int {
		if i%500 == 0 {
			return 2000
		}
		if i%3 == 0 {
			return -1
		}
		return 0
	}, func(int, int) bool { return false }},
}

// listItemTypes are the item types lancegate stores in arrays, with a
// value generator; wide strings make full-zip pages.
var listItemTypes = []struct {
	name string
	dt   arrow.DataType
	gen  valueGen
}{
	{"utf8", arrow.BinaryTypes.String, stringGen(0, 12)},
	{"utf8_wide", arrow.BinaryTypes.String, stringGen(200, 400)},
	{"large_utf8", arrow.BinaryTypes.LargeString, stringGen(1, 5)},
	{"int16", arrow.PrimitiveTypes.Int16, fixedGen(func(i int, r *rand.Rand) int16 { return int16(r.Intn(1 << 15)) })},
	{"int32", arrow.PrimitiveTypes.Int32, fixedGen(func(i int, r *rand.Rand) int32 { return int32(r.Uint32()) })},
	{"int64", arrow.PrimitiveTypes.Int64, fixedGen(func(i int, r *rand.Rand) int64 { return r.Int63() - r.Int63() })},
	{"float32", arrow.PrimitiveTypes.Float32, fixedGen(func(i int, r *rand.Rand) float32 { return r.Float32() })},
	{"float64", arrow.PrimitiveTypes.Float64, fixedGen(func(i int, r *rand.Rand) float64 { return r.NormFloat64() })},
	{"bool", arrow.FixedWidthTypes.Boolean, fixedGen(func(i int, r *rand.Rand) bool { return r.Intn(2) == 0 })},
	{"date32", arrow.FixedWidthTypes.Date32, fixedGen(func(i int, r *rand.Rand) arrow.Date32 { return arrow.Date32(r.Intn(40000)) })},
	{"timestamp", arrow.FixedWidthTypes.Timestamp_us, fixedGen(func(i int, r *rand.Rand) arrow.Timestamp { return arrow.Timestamp(r.Int63()) })},
	{"binary", arrow.BinaryTypes.Binary, stringGen(0, 8)},
	{"fsb300", &arrow.FixedSizeBinaryType{ByteWidth: 300}, func(b array.Builder, i int, r *rand.Rand) {
		v := make([]byte, 300)
		r.Read(v)
		b.(*array.FixedSizeBinaryBuilder).Append(v)
	}},
}

// buildList builds n rows of a list<item> column of the given shape.
func buildList(mem memory.Allocator, dt arrow.DataType, large bool, gen valueGen, shape listShape, n int, seed int64) arrow.Array {
	var lt arrow.DataType = arrow.ListOf(dt)
	if large {
		lt = arrow.LargeListOf(dt)
	}
	b := array.NewBuilder(mem, lt)
	defer b.Release()
	lb := b.(array.ListLikeBuilder)
	vb := lb.ValueBuilder()
	r := rand.New(rand.NewSource(seed))
	for i := 0; i < n; i++ {
		k := shape.row(i, r)
		if k < 0 {
			lb.AppendNull()
			continue
		}
		lb.Append(true)
		for j := 0; j < k; j++ {
			if shape.nullItem != nil && shape.nullItem(i, j) {
				vb.AppendNull()
			} else {
				gen(vb, i*31+j, r)
			}
		}
	}
	return b.NewArray()
}

// TestEncodeLists encodes list pages of every item type and shape, in one
// chunk and in several, and decodes them back.
func TestEncodeLists(t *testing.T) {
	sizes := []int{1, 2, 5, 100, 1025, 6000}
	for _, it := range listItemTypes {
		for _, shape := range listShapes {
			for _, n := range sizes {
				if (shape.name == "long_rows" || it.name == "utf8_wide" || it.name == "fsb300") && n > 100 {
					continue // already many chunks; keep the test fast
				}
				for _, large := range []bool{false, true} {
					if large && it.name != "int32" && it.name != "utf8" {
						continue
					}
					for _, v := range []structural.Version{structural.V2_1, structural.V2_2} {
						mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
						a := buildList(mem, it.dt, large, it.gen, shape, n, int64(n))
						name := fmt.Sprintf("%s/%s/%d/large=%v/2.%d", it.name, shape.name, n, large, v)
						c := encodeColumn{name: name, dt: a.DataType()}
						for _, chunks := range [][]arrow.Array{{a}, split(a)} {
							p := checkListEncode(t, name, mem, c, a, chunks, v)
							checkListLayout(t, name, a, p)
						}
						a.Release()
						mem.AssertSize(t, 0)
					}
				}
			}
		}
	}
}

// TestEncodeListPageRows fills a list page to the row limit with the
// patterns that make chunks hold the most levels, and checks that one
// more row is refused.
func TestEncodeListPageRows(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	n := structural.MaxListPageRows
	for _, shape := range []listShape{
		{"empty_then_items", func(i int, _ *rand.Rand) int {
			if i < n-2 {
				return i%2 - 1
			}
			return 4096
		}, func(i, j int) bool { return j%2 == 0 }},
		{"one_each", func(int, *rand.Rand) int { return 1 }, nil},
	} {
		for _, it := range listItemTypes {
			for _, v := range []structural.Version{structural.V2_1, structural.V2_2} {
				a := buildList(mem, it.dt, false, it.gen, shape, n, 1)
				name := fmt.Sprintf("%s/%s/2.%d", shape.name, it.name, v)
				checkListEncode(t, name, mem, encodeColumn{name: name, dt: a.DataType()}, a, []arrow.Array{a}, v)
				a.Release()
			}
		}
	}
	a := buildList(mem, arrow.PrimitiveTypes.Int32, false, listItemTypes[4].gen, listShapes[0], n+1, 1)
	defer a.Release()
	_, err := structural.EncodePage(a.DataType(), []arrow.Array{a}, structural.EncodeOptions{Version: structural.V2_1})
	if !errors.Is(err, structural.ErrUnsupported) {
		t.Fatalf("EncodePage(%d rows) = %v; want ErrUnsupported", n+1, err)
	}
}

// TestEncodeListUnsupported checks the list types the encoder refuses.
func TestEncodeListUnsupported(t *testing.T) {
	for _, dt := range []arrow.DataType{
		arrow.ListOf(arrow.ListOf(arrow.PrimitiveTypes.Int32)),
		arrow.ListOf(arrow.FixedSizeListOf(4, arrow.PrimitiveTypes.Float32)),
		arrow.ListOf(arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32})),
	} {
		if err := structural.Encodable(dt); !errors.Is(err, structural.ErrUnsupported) {
			t.Errorf("Encodable(%s) = %v; want ErrUnsupported", dt, err)
		}
	}
	for _, it := range listItemTypes {
		if err := structural.Encodable(arrow.ListOf(it.dt)); err != nil {
			t.Errorf("Encodable(list<%s>) = %v; want nil", it.dt, err)
		}
	}
}

func checkListEncode(t *testing.T, name string, mem memory.Allocator, c encodeColumn, want arrow.Array, chunks []arrow.Array, v structural.Version) *structural.EncodedPage {
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
	return p
}

// checkListLayout checks what pylance relies on beyond what the decoder
// checks: the layout for the data, and in mini-block pages the chunk
// rules and a repetition index that accounts for every row.
func checkListLayout(t *testing.T, name string, a arrow.Array, p *structural.EncodedPage) {
	t.Helper()
	items, nullItems, long := 0, 0, false
	l := a.(array.ListLike)
	child := l.ListValues()
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			continue
		}
		lo, hi := l.ValueOffsets(i)
		for j := lo; j < hi; j++ {
			items++
			if child.IsNull(int(j)) {
				nullItems++
			} else if s, ok := child.(interface{ ValueStr(int) string }); ok && len(s.ValueStr(int(j))) >= 256 {
				long = true
			}
		}
	}
	switch {
	case items == nullItems:
		if p.Layout.GetConstantLayout() == nil || len(p.Buffers) != 2 {
			t.Fatalf("%s: no visible values: layout %v with %d buffers; want a constant layout with levels", name, p.Layout, len(p.Buffers))
		}
	case (long && strings.Contains(name, "utf8")) || strings.HasPrefix(name, "fsb300"):
		fz := p.Layout.GetFullZipLayout()
		if fz == nil || fz.BitsRep != 1 || len(p.Buffers) != 2 {
			t.Fatalf("%s: layout %v; want full-zip with repetition", name, p.Layout)
		}
		if got := len(p.Buffers[1]) % (a.Len() + 1); got != 0 {
			t.Fatalf("%s: repetition index of %d bytes for %d rows", name, len(p.Buffers[1]), a.Len())
		}
	default:
		mb := p.Layout.GetMiniBlockLayout()
		if mb == nil || mb.RepCompression == nil || mb.RepetitionIndexDepth != 1 || len(p.Buffers) != 3 {
			t.Fatalf("%s: layout %v with %d buffers; want mini-block with a repetition index", name, p.Layout, len(p.Buffers))
		}
		if mb.NumItems != uint64(items) {
			t.Fatalf("%s: num_items %d; want %d", name, mb.NumItems, items)
		}
		checkChunks(t, name, p.Buffers[0], mb.HasLargeChunk, items)
		idx := p.Buffers[2]
		chunks := len(p.Buffers[0]) / 2
		if mb.HasLargeChunk {
			chunks = len(p.Buffers[0]) / 4
		}
		if len(idx) != 16*chunks {
			t.Fatalf("%s: repetition index of %d bytes for %d chunks", name, len(idx), chunks)
		}
		rows := uint64(0)
		for c := 0; c < chunks; c++ {
			rows += binary.LittleEndian.Uint64(idx[16*c:])
		}
		if open := binary.LittleEndian.Uint64(idx[len(idx)-8:]); open != 0 || rows != uint64(a.Len()) {
			t.Fatalf("%s: repetition index counts %d rows (last chunk leaves %d levels open); want %d and 0", name, rows, open, a.Len())
		}
	}
}

// FuzzEncodeListPage encodes list pages of a random item type, length,
// and share of null lists, empty lists and null items, split in chunks,
// and checks that they decode to what was encoded.
func FuzzEncodeListPage(f *testing.F) {
	f.Add(int64(1), uint8(0), uint16(100), uint8(10), uint8(10), uint8(5), false)
	f.Add(int64(2), uint8(8), uint16(2999), uint8(0), uint8(90), uint8(0), true)
	f.Add(int64(3), uint8(1), uint16(40), uint8(30), uint8(30), uint8(50), false)
	f.Fuzz(func(t *testing.T, seed int64, typ uint8, n uint16, nullPct, emptyPct, itemNullPct uint8, v22 bool) {
		it := listItemTypes[int(typ)%len(listItemTypes)]
		rows := 1 + int(n)%3000
		if it.name == "fsb300" || it.name == "utf8_wide" {
			rows = 1 + int(n)%100
		}
		np, ep, ip := int(nullPct%101), int(emptyPct%101), int(itemNullPct%101)
		shape := listShape{name: "fuzz", row: func(i int, r *rand.Rand) int {
			switch x := r.Intn(100); {
			case x < np:
				return -1
			case x < np+ep:
				return 0
			}
			return 1 + r.Intn(1+r.Intn(300))
		}, nullItem: func(i, j int) bool { return (i*7919+j*104729+int(seed))%100 < ip }}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		a := buildList(mem, it.dt, false, it.gen, shape, rows, seed)
		defer a.Release()
		v := structural.V2_1
		if v22 {
			v = structural.V2_2
		}
		name := fmt.Sprintf("%s/%d rows", it.name, rows)
		p := checkListEncode(t, name, mem, encodeColumn{name: name, dt: a.DataType()}, a, split(a), v)
		checkListLayout(t, name, a, p)
	})
}
