package datafile_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance/datafile"
)

// benchColumn builds the one-column record a writer benchmark writes.
type benchColumn struct {
	name  string
	dt    arrow.DataType
	rows  int
	build func(b array.Builder, i int)
}

var benchColumns = []benchColumn{
	{"int64", arrow.PrimitiveTypes.Int64, 1 << 20, func(b array.Builder, i int) {
		// Mostly small values with some nulls: bitpacks in 2.1+.
		if i%100 == 7 {
			b.AppendNull()
			return
		}
		b.(*array.Int64Builder).Append(int64(i*7919) % 100000)
	}},
	{"strings", arrow.BinaryTypes.String, 1 << 18, func(b array.Builder, i int) {
		b.(*array.StringBuilder).Append(fmt.Sprintf("user-%d@example.com/%x", i, i*2654435761))
	}},
	{"vec128", arrow.FixedSizeListOf(128, arrow.PrimitiveTypes.Float32), 1 << 13, func(b array.Builder, i int) {
		lb := b.(*array.FixedSizeListBuilder)
		lb.Append(true)
		vb := lb.ValueBuilder().(*array.Float32Builder)
		for j := 0; j < 128; j++ {
			vb.Append(float32(i) + float32(j)/128)
		}
	}},
}

// BenchmarkWriter measures how fast the writer encodes a column of int64s,
// short strings and 128-d float32 vectors into a data file of each format
// version, in MB/s of Arrow input.
func BenchmarkWriter(b *testing.B) {
	mem := memory.NewGoAllocator()
	for _, c := range benchColumns {
		schema := arrow.NewSchema([]arrow.Field{{Name: c.name, Type: c.dt, Nullable: true}}, nil)
		rb := array.NewRecordBuilder(mem, schema)
		for i := 0; i < c.rows; i++ {
			c.build(rb.Field(0), i)
		}
		rec := rb.NewRecord()
		rb.Release()
		size := 0
		for _, buf := range rec.Column(0).Data().Buffers() {
			if buf != nil {
				size += buf.Len()
			}
		}
		for _, ch := range rec.Column(0).Data().Children() {
			for _, buf := range ch.Buffers() {
				if buf != nil {
					size += buf.Len()
				}
			}
		}
		for _, v := range []datafile.Version{datafile.V2_0, datafile.V2_1, datafile.V2_2} {
			b.Run(fmt.Sprintf("%s/%s", c.name, v), func(b *testing.B) {
				b.SetBytes(int64(size))
				for b.Loop() {
					w, err := datafile.NewWriter(io.Discard, schema, lanceSchema(schema), datafile.WriterOptions{Version: v})
					if err != nil {
						b.Fatal(err)
					}
					if err := w.Write(rec); err != nil {
						b.Fatal(err)
					}
					if _, err := w.Close(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		rec.Release()
	}
}
