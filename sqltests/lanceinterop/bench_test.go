package lanceinterop

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
)

// The storage benchmarks of docs/benchmarks.md: writing and scanning 1M
// rows of (int64, utf8, 128-d float32 vector), lancegate against pylance
// doing the same work on the same files in the same run. Run them with
//
//	make bench            (or: taskset -c 0 env GOMAXPROCS=1 make bench  for one core)
//
// LANCEGATE_BENCH_ROWS overrides the row count.

func benchRows() int {
	if s := os.Getenv("LANCEGATE_BENCH_ROWS"); s != "" {
		var n int
		fmt.Sscan(s, &n)
		return n
	}
	return 1_000_000
}

var benchSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "vec", Type: arrow.FixedSizeListOf(128, arrow.PrimitiveTypes.Float32), Nullable: true},
}, nil)

// benchBatches makes n rows in batches of 64k.
func benchBatches(mem memory.Allocator, n int) []arrow.Record {
	var out []arrow.Record
	for first := 0; first < n; first += 1 << 16 {
		m := min(1<<16, n-first)
		b := array.NewRecordBuilder(mem, benchSchema)
		ib := b.Field(0).(*array.Int64Builder)
		sb := b.Field(1).(*array.StringBuilder)
		lb := b.Field(2).(*array.FixedSizeListBuilder)
		vb := lb.ValueBuilder().(*array.Float32Builder)
		for i := first; i < first+m; i++ {
			ib.Append(int64(i))
			sb.Append(fmt.Sprintf("item-%08d-%d", i, i%977))
			lb.Append(true)
			for k := 0; k < 128; k++ {
				vb.Append(float32((i*131+k*7)%1000) / 1000)
			}
		}
		out = append(out, b.NewRecord())
		b.Release()
	}
	return out
}

func payloadBytes(recs []arrow.Record) int64 {
	var n int64
	for _, r := range recs {
		for _, c := range r.Columns() {
			for _, b := range c.Data().Buffers() {
				if b != nil {
					n += int64(b.Len())
				}
			}
			for _, ch := range c.Data().Children() {
				for _, b := range ch.Buffers() {
					if b != nil {
						n += int64(b.Len())
					}
				}
			}
		}
	}
	return n
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

func secondsList(v any) []float64 {
	var out []float64
	for _, x := range v.([]any) {
		out = append(out, x.(float64))
	}
	return out
}

// BenchmarkScan scans every column of a dataset; each iteration also
// times pylance scanning the same files. "lancegate-2.0" is a dataset
// lancegate wrote; "pylance-2.2" one pylance wrote with its defaults.
func BenchmarkScan(b *testing.B) {
	for _, writer := range []string{"lancegate-2.0", "pylance-2.2"} {
		b.Run(writer, func(b *testing.B) { benchScan(b, writer) })
	}
}

func benchScan(b *testing.B, writer string) {
	n := benchRows()
	mem := memory.NewGoAllocator()
	recs := benchBatches(mem, n)
	bytes := payloadBytes(recs)
	dir := b.TempDir()
	store, err := objstore.NewLocal(dir)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if writer == "lancegate-2.0" {
		rr, _ := array.NewRecordReader(benchSchema, recs)
		_, err = lance.Create(ctx, store, "bench.lance", benchSchema, rr, lance.WriteOptions{})
		rr.Release()
	} else {
		all := concat(b, mem, benchSchema, retainAll(recs))
		in := filepath.Join(b.TempDir(), "in.arrow")
		writeIPC(b, in, all)
		all.Release()
		pylance(b, "write", filepath.Join(dir, "bench.lance"), in)
	}
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range recs {
		r.Release()
	}
	ds, err := lance.Open(ctx, store, "bench.lance")
	if err != nil {
		b.Fatal(err)
	}
	var goSec, pySec []float64
	b.SetBytes(bytes)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		sc, err := ds.Scan(lance.ScanOptions{Mem: mem, BatchRows: 1 << 16})
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for {
			rec, err := sc.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows += int(rec.NumRows())
			rec.Release()
		}
		sc.Close()
		goSec = append(goSec, time.Since(start).Seconds())
		if rows != n {
			b.Fatalf("scanned %d rows; want %d", rows, n)
		}
		b.StopTimer()
		res := pylance(b, "bench-scan", filepath.Join(dir, "bench.lance"), "--repeat", "1")
		pySec = append(pySec, secondsList(res["seconds"])...)
		b.StartTimer()
	}
	g, p := median(goSec), median(pySec)
	b.ReportMetric(float64(n)/g, "rows/s")
	b.ReportMetric(float64(n)/p, "pylance_rows/s")
	b.ReportMetric(p/g, "speedup_vs_pylance")
}

// BenchmarkWrite writes the rows as a new 2.0 dataset; each iteration also
// times pylance writing the same rows (from an Arrow IPC file already in
// memory on its side).
func BenchmarkWrite(b *testing.B) {
	n := benchRows()
	mem := memory.NewGoAllocator()
	recs := benchBatches(mem, n)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	bytes := payloadBytes(recs)
	dir := b.TempDir()
	ipcPath := filepath.Join(dir, "in.arrow")
	all := concat(b, mem, benchSchema, retainAll(recs))
	writeIPC(b, ipcPath, all)
	all.Release()
	ctx := context.Background()
	var goSec, pySec []float64
	b.SetBytes(bytes)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		store, err := objstore.NewLocal(filepath.Join(dir, fmt.Sprint("go", i)))
		if err != nil {
			b.Fatal(err)
		}
		rr, _ := array.NewRecordReader(benchSchema, recs)
		start := time.Now()
		if _, err := lance.Create(ctx, store, "bench.lance", benchSchema, rr, lance.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		goSec = append(goSec, time.Since(start).Seconds())
		b.StopTimer()
		os.RemoveAll(filepath.Join(dir, fmt.Sprint("go", i)))
		res := pylance(b, "bench-write", ipcPath, filepath.Join(dir, fmt.Sprint("py", i)), "--repeat", "1")
		pySec = append(pySec, secondsList(res["seconds"])...)
		b.StartTimer()
	}
	g, p := median(goSec), median(pySec)
	b.ReportMetric(float64(n)/g, "rows/s")
	b.ReportMetric(float64(n)/p, "pylance_rows/s")
	b.ReportMetric(p/g, "speedup_vs_pylance")
}
