package sqltests

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/lancegate/lancegate/gateway"
	"github.com/lancegate/lancegate/storage/events"
	"github.com/lancegate/lancegate/storage/objstore"
)

// BenchmarkInsertEvents: what publishing write events costs a commit.
// Single-row INSERTs (autocommit, one Lance version each) into the memory
// store (no disk noise), round robin over three servers: no events (the baseline), the
// in-process bus, and Kafka (kfake on 127.0.0.1). Reports p50/p99 per
// INSERT and the ratios to the baseline. The broker is kfake in the test
// process unless LANCEGATE_BENCH_KAFKA names one.
func BenchmarkInsertEvents(b *testing.B) {
	// LANCEGATE_BENCH_KAFKA=host:port points at a broker in another
	// process (or machine), so that its work does not share the
	// benchmark's cores.
	addrs := strings.Split(os.Getenv("LANCEGATE_BENCH_KAFKA"), ",")
	if addrs[0] == "" {
		kc, err := kfake.NewCluster(kfake.NumBrokers(1))
		if err != nil {
			b.Fatal(err)
		}
		defer kc.Close()
		addrs = kc.ListenAddrs()
	}
	ctx := context.Background()
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	kp, err := events.NewKafkaPublisher(pctx, kafkaFor(addrs))
	cancel()
	if err != nil {
		b.Fatal(err)
	}
	defer kp.Close(ctx)
	bus := events.NewBus(1 << 20)
	modes := []struct {
		name string
		pub  gateway.Publisher
	}{{"none", nil}, {"bus", bus}, {"kafka", kp}}
	type run struct {
		exec func() error
		lat  []time.Duration
	}
	runs := make([]*run, len(modes))
	for i, m := range modes {
		srv := startServerWith(b, objstore.NewMemory(), gateway.Options{Events: m.pub})
		conn := srv.connect(b)
		if _, err := conn.Exec(ctx, `CREATE TABLE t (id bigint, name text)`); err != nil {
			b.Fatal(err)
		}
		n := 0
		runs[i] = &run{exec: func() error {
			n++
			_, err := conn.Exec(ctx, `INSERT INTO t VALUES ($1, 'x')`, n)
			return err
		}}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range runs {
			r := runs[(i+k)%len(runs)] // rotate, so no mode always goes first
			start := time.Now()
			if err := r.exec(); err != nil {
				b.Fatal(err)
			}
			r.lat = append(r.lat, time.Since(start))
		}
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	base50, base99 := percentile(runs[0].lat, 0.5), percentile(runs[0].lat, 0.99)
	for i, m := range modes {
		p50, p99 := percentile(runs[i].lat, 0.5), percentile(runs[i].lat, 0.99)
		b.ReportMetric(ms(p50), m.name+"_p50_ms")
		b.ReportMetric(ms(p99), m.name+"_p99_ms")
		if i > 0 {
			b.ReportMetric(float64(p50)/float64(base50), m.name+"/none_p50")
			b.ReportMetric(float64(p99)/float64(base99), m.name+"/none_p99")
		}
	}
	if st := kp.Stats(); st.Dropped != 0 || st.Failed != 0 {
		b.Fatalf("kafka publisher: %+v", st)
	}
}
