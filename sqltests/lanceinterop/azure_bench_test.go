package lanceinterop

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/azuritetest"
)

// Cold reads from Azure Blob Storage (Azurite on loopback) against the same
// dataset on local disk, and against pylance reading it from Azurite, in
// the same run (docs/benchmarks.md). "Cold" means every scan opens the
// dataset anew and lancegate has no cache tier yet: every byte crosses the
// HTTP API. Run with
//
//	go test ./sqltests/lanceinterop -run '^$' -bench Azure -benchtime 3x
//
// LANCEGATE_AZURE_BENCH_ROWS overrides the row count (default 250,000 rows
// of the storage benchmarks' schema, 135 MB).

func azureBenchRows() int {
	if s := os.Getenv("LANCEGATE_AZURE_BENCH_ROWS"); s != "" {
		var n int
		fmt.Sscan(s, &n)
		return n
	}
	return 250_000
}

// countingTransport counts the requests a store makes.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) Do(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(req)
}

// coldScan opens root in store and scans every column, returning the time
// to the first batch and to the end.
func coldScan(b *testing.B, store objstore.Store, mem memory.Allocator, want int) (first, total time.Duration) {
	ctx := context.Background()
	start := time.Now()
	ds, err := lance.Open(ctx, store, "bench.lance")
	if err != nil {
		b.Fatal(err)
	}
	sc, err := ds.Scan(lance.ScanOptions{Mem: mem, BatchRows: 1 << 16})
	if err != nil {
		b.Fatal(err)
	}
	defer sc.Close()
	rows := 0
	for {
		rec, err := sc.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		if rows == 0 {
			first = time.Since(start)
		}
		rows += int(rec.NumRows())
		rec.Release()
	}
	if rows != want {
		b.Fatalf("scanned %d rows; want %d", rows, want)
	}
	return first, time.Since(start)
}

// BenchmarkAzureColdScan scans a dataset cold from Azurite and from local
// disk, and has pylance scan it cold from Azurite, in each iteration.
func BenchmarkAzureColdScan(b *testing.B) {
	python(b)
	az := azuritetest.Shared(b)
	n := azureBenchRows()
	mem := memory.NewGoAllocator()
	recs := benchBatches(mem, n)
	payload := payloadBytes(recs)
	name := azuritetest.NewContainerName()
	if err := az.CreateContainer(context.Background(), name); err != nil {
		b.Fatal(err)
	}
	var counter countingTransport
	cfg := az.Config(name)
	cfg.Prefix = "bench"
	remote, err := objstore.NewAzure(cfg, &counter)
	if err != nil {
		b.Fatal(err)
	}
	local, err := objstore.NewLocal(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	for _, st := range []objstore.Store{remote, local} {
		rr, _ := array.NewRecordReader(benchSchema, recs)
		_, err := lance.Create(context.Background(), st, "bench.lance", benchSchema, rr, lance.WriteOptions{})
		rr.Release()
		if err != nil {
			b.Fatal(err)
		}
	}
	for _, r := range recs {
		r.Release()
	}
	acc := azureAccesses(az)[0]
	uri := "az://" + name + "/bench/bench.lance"
	var azSec, localSec, pySec, firstMs []float64
	var requests int64
	b.SetBytes(payload)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		before := counter.n.Load()
		first, total := coldScan(b, remote, mem, n)
		requests = counter.n.Load() - before
		azSec = append(azSec, total.Seconds())
		firstMs = append(firstMs, float64(first.Microseconds())/1000)
		b.StopTimer()
		_, total = coldScan(b, local, mem, n)
		localSec = append(localSec, total.Seconds())
		res := pylanceAzure(b, acc, "bench-scan", uri)
		pySec = append(pySec, secondsList(res["seconds"])...)
		b.StartTimer()
	}
	a, l, p := median(azSec), median(localSec), median(pySec)
	b.ReportMetric(float64(n)/a, "azure_rows/s")
	b.ReportMetric(float64(payload)/a/1e6, "azure_MB/s")
	b.ReportMetric(float64(n)/l, "local_rows/s")
	b.ReportMetric(a/l, "azure/local_time")
	b.ReportMetric(float64(n)/p, "pylance_azure_rows/s")
	b.ReportMetric(p/a, "speedup_vs_pylance")
	b.ReportMetric(float64(requests), "requests/scan")
	b.ReportMetric(median(firstMs), "first_batch_ms")
}

// BenchmarkAzureRangeRead times 64 KiB ranged reads at random offsets of a
// 64 MiB object, one at a time, on Azurite and on local disk: the request
// latency every page read pays without a cache.
func BenchmarkAzureRangeRead(b *testing.B) {
	az := azuritetest.Shared(b)
	remote := az.NewStore(b, "bench", nil)
	local, err := objstore.NewLocal(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	const size, chunk = 64 << 20, 64 << 10
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i * 7)
	}
	ctx := context.Background()
	for _, st := range []objstore.Store{remote, local} {
		if err := st.Put(ctx, "blob", bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
	lat := map[string][]float64{}
	b.SetBytes(chunk)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		off := int64((i * 7919 * chunk) % (size - chunk))
		for _, side := range []struct {
			name string
			st   objstore.Store
		}{{"azure", remote}, {"local", local}} {
			start := time.Now()
			got, err := side.st.GetRange(ctx, "blob", off, chunk)
			if err != nil || len(got) != chunk {
				b.Fatalf("%s GetRange: %d bytes, %v", side.name, len(got), err)
			}
			lat[side.name] = append(lat[side.name], float64(time.Since(start).Microseconds())/1000)
		}
	}
	for name, xs := range lat {
		sort.Float64s(xs)
		b.ReportMetric(xs[len(xs)/2], name+"_p50_ms")
		b.ReportMetric(xs[len(xs)*99/100], name+"_p99_ms")
	}
}
