package pgwire

import (
	"bufio"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/gateway/codec"
)

// BenchmarkAppendRows measures the hot path alone: DataRows of (int8,
// float8, text) encoded from one Arrow batch into the output buffer, which
// drains into io.Discard. The end-to-end benchmark through pgx is
// BenchmarkStreamRows.
func BenchmarkAppendRows(b *testing.B) {
	const n = 8192
	mem := memory.NewGoAllocator()
	ib, fb, sb := array.NewInt64Builder(mem), array.NewFloat64Builder(mem), array.NewStringBuilder(mem)
	for i := range n {
		ib.Append(int64(i) * 7919)
		fb.Append(float64(i) / 3)
		sb.Append("row-" + strconv.Itoa(i))
	}
	cols := []arrow.Array{ib.NewArray(), fb.NewArray(), sb.NewArray()}
	types := []pgtype.Type{pgtype.Int8, pgtype.Float8, pgtype.Text}
	for _, tc := range []struct {
		name    string
		formats []int16
	}{{"text", []int16{0, 0, 0}}, {"binary", []int16{1, 1, 0}}} {
		b.Run(tc.name, func(b *testing.B) {
			c := &conn{bw: bufio.NewWriterSize(io.Discard, writeBufSize)}
			rs := &rowStream{types: types, formats: tc.formats, settings: codec.DefaultSettings()}
			for i, t := range types {
				enc, err := codec.NewEncoder(cols[i], t, tc.formats[i], rs.settings)
				if err != nil {
					b.Fatal(err)
				}
				rs.encs = append(rs.encs, enc)
			}
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				if err := c.appendRows(rs, 0, n); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*n/time.Since(start).Seconds(), "rows/s")
		})
	}
}
