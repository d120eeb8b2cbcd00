package structural_test

import (
	"errors"
	"testing"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/datafile/structural"
	"github.com/lancegate/lancegate/storage/lance/pb/enc21"
)

func flat(bits uint64) *enc21.CompressiveEncoding {
	return &enc21.CompressiveEncoding{Compression: &enc21.CompressiveEncoding_Flat{Flat: &enc21.Flat{BitsPerValue: bits}}}
}

// TestFullZipAliases checks that a level-free fixed-width full-zip page is
// returned without copying.
func TestFullZipAliases(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const n, dim = 10, 4
	data := make([]byte, n*dim*4)
	for i := range data {
		data[i] = byte(i)
	}
	layout := &enc21.PageLayout{Layout: &enc21.PageLayout_FullZipLayout{FullZipLayout: &enc21.FullZipLayout{
		Details: &enc21.FullZipLayout_BitsPerValue{BitsPerValue: dim * 32},
		ValueCompression: &enc21.CompressiveEncoding{Compression: &enc21.CompressiveEncoding_FixedSizeList{
			FixedSizeList: &enc21.FixedSizeList{ItemsPerValue: dim, Values: flat(32)}}},
		Layers: []enc21.RepDefLayer{enc21.RepDefLayer_REPDEF_ALL_VALID_ITEM},
	}}}
	arr, err := structural.DecodePage(mem, arrow.FixedSizeListOf(dim, arrow.PrimitiveTypes.Float32), layout, n, [][]byte{data})
	if err != nil {
		t.Fatal(err)
	}
	defer arr.Release()
	vals := arr.(*array.FixedSizeList).ListValues().(*array.Float32).Float32Values()
	if unsafe.Pointer(&vals[0]) != unsafe.Pointer(&data[0]) {
		t.Fatal("full-zip values were copied")
	}
	if arr.Len() != n || arr.NullN() != 0 {
		t.Fatalf("%d rows, %d nulls", arr.Len(), arr.NullN())
	}
}

// TestErrors checks the errors for what the package does not decode.
func TestErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	allNull := &enc21.PageLayout{Layout: &enc21.PageLayout_ConstantLayout{ConstantLayout: &enc21.ConstantLayout{
		Layers: []enc21.RepDefLayer{enc21.RepDefLayer_REPDEF_NULLABLE_ITEM}}}}
	cases := []struct {
		name   string
		dt     arrow.DataType
		layout *enc21.PageLayout
		bufs   [][]byte
		want   error
	}{
		{"empty layout", arrow.PrimitiveTypes.Int64, &enc21.PageLayout{}, nil, structural.ErrCorrupt},
		{"blob", arrow.BinaryTypes.Binary, &enc21.PageLayout{Layout: &enc21.PageLayout_BlobLayout{BlobLayout: &enc21.BlobLayout{}}}, nil, structural.ErrUnsupported},
		{"struct", arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32}), allNull, nil, structural.ErrUnsupported},
		{"list of lists", arrow.ListOf(arrow.ListOf(arrow.PrimitiveTypes.Int32)), allNull, nil, structural.ErrUnsupported},
		{"struct child", arrow.PrimitiveTypes.Int32, &enc21.PageLayout{Layout: &enc21.PageLayout_ConstantLayout{ConstantLayout: &enc21.ConstantLayout{
			Layers: []enc21.RepDefLayer{enc21.RepDefLayer_REPDEF_NULLABLE_ITEM, enc21.RepDefLayer_REPDEF_NULLABLE_ITEM}}}}, nil, structural.ErrUnsupported},
		{"packed struct", arrow.PrimitiveTypes.Int64, &enc21.PageLayout{Layout: &enc21.PageLayout_MiniBlockLayout{MiniBlockLayout: &enc21.MiniBlockLayout{
			ValueCompression: &enc21.CompressiveEncoding{Compression: &enc21.CompressiveEncoding_PackedStruct{PackedStruct: &enc21.PackedStruct{}}},
			Layers:           []enc21.RepDefLayer{enc21.RepDefLayer_REPDEF_ALL_VALID_ITEM}, NumBuffers: 1, NumItems: 1,
		}}}, [][]byte{{0x10, 0}, make([]byte, 16)}, structural.ErrUnsupported},
		{"missing buffers", arrow.PrimitiveTypes.Int64, &enc21.PageLayout{Layout: &enc21.PageLayout_MiniBlockLayout{MiniBlockLayout: &enc21.MiniBlockLayout{
			ValueCompression: flat(64), NumBuffers: 1, NumItems: 1,
		}}}, nil, structural.ErrCorrupt},
	}
	for _, c := range cases {
		arr, err := structural.DecodePage(mem, c.dt, c.layout, 1, c.bufs)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
		if arr != nil {
			arr.Release()
		}
	}
	// A flat all-null page decodes as nulls.
	arr, err := structural.DecodePage(mem, arrow.BinaryTypes.String, allNull, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if arr.NullN() != 3 {
		t.Errorf("all-null page has %d nulls", arr.NullN())
	}
	arr.Release()
}
