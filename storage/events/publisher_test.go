package events_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/lancegate/lancegate/storage/events"
)

// checkInvariant checks that every published event is accounted for once.
func checkInvariant(t *testing.T, st events.PublisherStats) {
	t.Helper()
	if sum := st.Delivered + st.Dropped + st.Failed + st.Buffered; sum != st.Published {
		t.Errorf("stats %+v: delivered+dropped+failed+buffered = %d; want published %d", st, sum, st.Published)
	}
}

// TestKafkaPublisherBrokerDown stops the broker while events are published
// and starts it again on the same port and data: Publish never blocks, the
// stats show the retries, and every event is delivered once the broker is
// back.
func TestKafkaPublisherBrokerDown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c1, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DataDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	addr := c1.ListenAddrs()[0]
	_, portText, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portText)

	cfg := kafkaConfig([]string{addr})
	pub := newPublisher(t, quickRetries(cfg))
	for v := uint64(1); v <= 10; v++ {
		pub.Publish(ev("before", v))
	}
	waitFor(t, 10*time.Second, "the first events delivered", func() bool { return pub.Stats().Delivered == 10 })

	c1.Close()
	start := time.Now()
	for v := uint64(1); v <= 50; v++ {
		pub.Publish(ev("during", v))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("50 Publish calls with the broker down took %v", d)
	}
	waitFor(t, 15*time.Second, "a retry", func() bool { return pub.Stats().Retried > 0 })
	if st := pub.Stats(); st.Delivered != 10 || st.Buffered != 50 {
		t.Fatalf("stats with the broker down: %+v; want 10 delivered, 50 buffered", st)
	}

	c2, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DataDir(dir), kfake.Ports(port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c2.Close)
	waitFor(t, 20*time.Second, "the buffered events delivered", func() bool { return pub.Stats().Delivered == 60 })
	st := pub.Stats()
	checkInvariant(t, st)
	if st.Dropped != 0 || st.Failed != 0 {
		t.Errorf("stats %+v; want nothing dropped or failed", st)
	}

	got := map[string]bool{}
	for _, e := range consume(t, newSource(t, cfg, "agents"), 60) {
		got[key(e)] = true
	}
	for v := uint64(1); v <= 50; v++ {
		if !got[key(ev("during", v))] {
			t.Errorf("during@%d published while the broker was down never arrived", v)
		}
	}
}

// refuseProduce makes the cluster answer every produce with a retriable
// error until the returned func is called.
func refuseProduce(c *kfake.Cluster) (restore func()) {
	h := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.NotEnoughReplicas, Count: -1})
	return h.Remove
}

// TestKafkaPublisherDropsOldest fills the buffer while the broker refuses
// writes: the oldest events are dropped and counted, the newest survive.
func TestKafkaPublisherDropsOldest(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	cfg := kafkaConfig(c.ListenAddrs())
	cfg.BufferSize = 50
	pub := newPublisher(t, quickRetries(cfg))
	restore := refuseProduce(c)

	const n = 300
	for v := uint64(1); v <= n; v++ {
		pub.Publish(ev("t", v))
	}
	st := pub.Stats()
	checkInvariant(t, st)
	// At most BufferSize wait and BufferSize are in flight.
	if st.Dropped < n-2*50 {
		t.Errorf("stats after overflowing: %+v; want at least %d dropped", st, n-2*50)
	}
	waitFor(t, 15*time.Second, "a retry", func() bool { return pub.Stats().Retried > 0 })

	restore()
	waitFor(t, 15*time.Second, "the buffer drained", func() bool { return pub.Stats().Buffered == 0 })
	st = pub.Stats()
	checkInvariant(t, st)
	if st.Failed != 0 || st.Delivered < 50 || st.Delivered > 100 {
		t.Errorf("stats after the broker recovered: %+v; want 50 to 100 delivered, none failed", st)
	}

	got := map[uint64]bool{}
	for _, e := range consume(t, newSource(t, cfg, "agents"), int(st.Delivered)) {
		got[e.Version] = true
	}
	for v := uint64(n - 49); v <= n; v++ {
		if !got[v] {
			t.Errorf("t@%d, one of the newest 50, was dropped", v)
		}
	}
}

// TestKafkaPublisherCloseFlushes delivers what is buffered before Close
// returns.
func TestKafkaPublisherCloseFlushes(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	cfg := kafkaConfig(c.ListenAddrs())
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	pub, err := events.NewKafkaPublisher(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for v := uint64(1); v <= 500; v++ {
		pub.Publish(ev(tableName(int(v%30)), v))
	}
	if err := pub.Close(ctx); err != nil {
		t.Fatalf("Close = %v", err)
	}
	st := pub.Stats()
	if st.Delivered != 500 || st.Buffered != 0 {
		t.Fatalf("stats after Close: %+v; want all 500 delivered", st)
	}
	pub.Publish(ev("late", 1))
	if st := pub.Stats(); st.Dropped != 1 || st.Published != 501 {
		t.Fatalf("stats after a Publish after Close: %+v; want it dropped", st)
	}
	if err := pub.Close(ctx); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

// TestKafkaPublisherCloseDeadline gives up on undeliverable events when
// Close's context ends, and counts them dropped.
func TestKafkaPublisherCloseDeadline(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	cfg := kafkaConfig(c.ListenAddrs())
	pub, err := events.NewKafkaPublisher(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer refuseProduce(c)()
	for v := uint64(1); v <= 20; v++ {
		pub.Publish(ev("t", v))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = pub.Close(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close with the broker refusing writes = %v; want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v past its 300ms deadline", d)
	}
	st := pub.Stats()
	checkInvariant(t, st)
	if st.Dropped != 20 || st.Buffered != 0 {
		t.Fatalf("stats after Close: %+v; want 20 dropped, none buffered", st)
	}
}

// TestKafkaStartUnreachable: with StartUnreachable, a publisher and a
// source start while no broker listens; events wait in the buffer; once a
// broker comes up the publisher creates the topic and delivers them, and
// the source consumes them. Without it, the publisher fails to start.
func TestKafkaStartUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, portText, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portText)
	cfg := quickRetries(kafkaConfig([]string{addr}))

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	_, err = events.NewKafkaPublisher(ctx, cfg)
	cancel()
	if err == nil {
		t.Fatal("a publisher started with no broker and no StartUnreachable")
	}

	cfg.StartUnreachable = true
	pub := newPublisher(t, cfg)
	src := newSource(t, cfg, "agents")
	for v := uint64(1); v <= 5; v++ {
		pub.Publish(ev("t", v))
	}
	waitFor(t, 10*time.Second, "a failed attempt", func() bool { return pub.Stats().Retried > 0 })
	if st := pub.Stats(); st.Buffered != 5 || st.Delivered != 0 {
		t.Fatalf("stats with no broker: %+v", st)
	}

	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	waitFor(t, 20*time.Second, "delivery once the broker is up", func() bool { return pub.Stats().Delivered == 5 })
	checkInvariant(t, pub.Stats())
	got := consume(t, src, 5)
	for i, e := range got {
		if e.Version != uint64(i+1) {
			t.Fatalf("consumed %v out of order", got)
		}
	}
}
