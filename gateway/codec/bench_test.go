package codec_test

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/gateway/codec"
)

const benchRows = 1 << 20

// benchBatch is 1M rows of (int8, float8, text of 18 characters), the
// shape the performance target is stated for.
func benchBatch(b *testing.B, mem memory.Allocator) arrow.Record {
	b.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64},
		{Name: "name", Type: arrow.BinaryTypes.String},
	}, nil)
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	ids := rb.Field(0).(*array.Int64Builder)
	scores := rb.Field(1).(*array.Float64Builder)
	names := rb.Field(2).(*array.StringBuilder)
	r := rand.New(rand.NewPCG(1, 2))
	var name []byte
	for i := 0; i < benchRows; i++ {
		ids.Append(int64(i) * 7919)
		scores.Append(r.Float64() * 1000)
		name = strconv.AppendInt(append(name[:0], "customer-"...), int64(100000000+i), 10)
		names.Append(string(name))
	}
	return rb.NewRecord()
}

// BenchmarkEncodeRows encodes 1M rows per iteration into DataRow
// messages ('D', int32 length, int16 field count, the fields), flushing
// the buffer every 64 KiB as the protocol layer would.
func BenchmarkEncodeRows(b *testing.B) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(b, 0)
	rec := benchBatch(b, mem)
	defer rec.Release()
	types := []pgtype.Type{pgtype.Int8, pgtype.Float8, pgtype.Text}
	for _, bc := range []struct {
		name   string
		format int16
	}{{"text", codec.FormatText}, {"binary", codec.FormatBinary}} {
		b.Run(bc.name, func(b *testing.B) {
			encs := make([]codec.Encoder, len(types))
			for i, t := range types {
				e, err := codec.NewEncoder(rec.Column(i), t, bc.format, nil)
				if err != nil {
					b.Fatal(err)
				}
				encs[i] = e
			}
			buf := make([]byte, 0, 1<<17)
			var total int64
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				total = 0
				for row := 0; row < benchRows; row++ {
					start := len(buf)
					buf = append(buf, 'D', 0, 0, 0, 0, 0, byte(len(encs)))
					for _, e := range encs {
						buf = e.Append(buf, row)
					}
					binary.BigEndian.PutUint32(buf[start+1:], uint32(len(buf)-start-1))
					if len(buf) >= 1<<16 {
						total += int64(len(buf))
						buf = buf[:0]
					}
				}
				total += int64(len(buf))
				buf = buf[:0]
			}
			b.StopTimer()
			b.SetBytes(total)
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
