package events_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lancegate/lancegate/storage/events"
)

// collector records what consumer loops received.
type collector struct {
	mu     sync.Mutex
	got    map[string]int // event key → deliveries
	byLoop map[string]int // loop name → deliveries
	errs   []error
}

func newCollector() *collector {
	return &collector{got: map[string]int{}, byLoop: map[string]int{}}
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.got)
}

// run is an agent's loop: fetch, handle, commit, until ctx ends or src
// closes.
func (c *collector) run(ctx context.Context, name string, src events.Source) {
	for {
		ds, err := src.Fetch(ctx)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, events.ErrClosed) {
				c.mu.Lock()
				c.errs = append(c.errs, err)
				c.mu.Unlock()
			}
			return
		}
		c.mu.Lock()
		for _, d := range ds {
			c.got[key(d.Event)]++
		}
		c.byLoop[name] += len(ds)
		c.mu.Unlock()
		// A rebalance may refuse a commit; the events then come again.
		_ = src.Commit(ctx, ds)
	}
}

// TestKafkaSourceRebalance consumes with two members of one group: the
// second joins while events flow, then the first leaves while events
// flow. Every event arrives, and once both have left, the group's offsets
// stand at the end of every partition: nothing was lost or left
// uncommitted (some events may arrive twice).
func TestKafkaSourceRebalance(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	cfg := kafkaConfig(c.ListenAddrs())
	cfg.Partitions = 8
	pub := newPublisher(t, cfg)
	col := newCollector()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var wg sync.WaitGroup
	start := func(name string) *events.KafkaSource {
		s := newSource(t, cfg, "agents")
		wg.Go(func() { col.run(ctx, name, s) })
		return s
	}
	const tables = 40
	version := uint64(0)
	publish := func(versions int) {
		for range versions {
			version++
			for i := range tables {
				pub.Publish(ev(tableName(i), version))
			}
		}
	}
	consumed := func(what string) {
		want := tables * int(version)
		waitFor(t, 20*time.Second, what, func() bool { return col.count() == want })
	}

	a := start("a")
	publish(5)
	consumed("the events before the second member")
	b := start("b")
	publish(5)
	consumed("the events during the first rebalance")
	ctx2, cancel2 := context.WithTimeout(ctx, 10*time.Second)
	defer cancel2()
	if _, err := c.WaitGroupStable(ctx2, "agents", 2); err != nil {
		t.Fatalf("waiting for a group of two: %v", err)
	}
	publish(5)
	consumed("the events with two members")
	publish(5)
	a.Close()
	consumed("the events during the second rebalance")
	b.Close()
	cancel()
	wg.Wait()

	if len(col.errs) > 0 {
		t.Errorf("consumer errors: %v", col.errs)
	}
	if col.byLoop["b"] == 0 {
		t.Errorf("the second member got nothing: no rebalance happened")
	}
	dups := 0
	for _, n := range col.got {
		dups += n - 1
	}
	t.Logf("%d events, %d deliveries of them again; deliveries per member: %v", len(col.got), dups, col.byLoop)
	for p, lag := range groupLag(t, cfg.Brokers, "agents", cfg.Topic) {
		if lag != 0 {
			t.Errorf("partition %d: %d events uncommitted after both members left", p, lag)
		}
	}
}

// TestKafkaSourceRevokedWhileHeld rebalances while the first member holds
// a fetched, uncommitted batch: the new owner of the revoked partitions
// gets their events again, and the first member's late commit moves only
// the partitions it kept.
func TestKafkaSourceRevokedWhileHeld(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	cfg := kafkaConfig(c.ListenAddrs())
	cfg.Partitions = 8
	pub := newPublisher(t, cfg)
	const n = 200
	for v := uint64(1); v <= n; v++ {
		pub.Publish(ev(tableName(int(v%40)), v))
	}
	waitFor(t, 10*time.Second, "delivery", func() bool { return pub.Stats().Delivered == n })

	a := newSource(t, cfg, "agents")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var held []events.Delivery
	for len(held) < n {
		ds, err := a.Fetch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, ds...)
	}

	b := newSource(t, cfg, "agents")
	col := newCollector()
	var wg sync.WaitGroup
	defer wg.Wait()
	bctx, bcancel := context.WithCancel(ctx)
	defer bcancel()
	wg.Go(func() { col.run(bctx, "b", b) })
	if _, err := c.WaitGroupStable(ctx, "agents", 2); err != nil {
		t.Fatalf("waiting for a group of two: %v", err)
	}
	waitFor(t, 10*time.Second, "the revoked partitions' events at the new owner", func() bool { return col.count() > 0 })

	if err := a.Commit(ctx, held); err != nil {
		t.Fatalf("late commit of the held batch: %v", err)
	}
	// What b got came from partitions a lost, so a's late commit must not
	// have covered them: b's own commits did. Everything is committed once
	// b has caught up.
	waitFor(t, 10*time.Second, "all partitions committed", func() bool {
		for _, lag := range groupLag(t, cfg.Brokers, "agents", cfg.Topic) {
			if lag != 0 {
				return false
			}
		}
		return true
	})
	for k := range col.got {
		found := false
		for _, d := range held {
			found = found || key(d.Event) == k
		}
		if !found {
			t.Errorf("b got %s, which a never fetched", k)
		}
	}
	t.Logf("a held %d events; b got %d of them again", len(held), col.count())
	bcancel()
}

// TestKafkaSourceRedelivery fetches without committing and closes, as an
// agent killed mid-batch: another member of the group gets the events
// again.
func TestKafkaSourceRedelivery(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	cfg := kafkaConfig(c.ListenAddrs())
	pub := newPublisher(t, cfg)
	for v := uint64(1); v <= 30; v++ {
		pub.Publish(ev(tableName(int(v%7)), v))
	}

	first := newSource(t, cfg, "agents")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	seen := 0
	for seen < 30 {
		ds, err := first.Fetch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seen += len(ds)
	}
	first.Close()

	second := newSource(t, cfg, "agents")
	got := map[string]bool{}
	for _, e := range consume(t, second, 30) {
		got[key(e)] = true
	}
	if len(got) != 30 {
		t.Fatalf("the second member got %d distinct events; want the 30 the first never committed", len(got))
	}
}

// TestKafkaSourcePartialCommit commits some deliveries of a batch: the
// offset stops before the first one not committed, and only what was not
// committed comes again.
func TestKafkaSourcePartialCommit(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	cfg := kafkaConfig(c.ListenAddrs())
	cfg.Partitions = 1
	pub := newPublisher(t, cfg)
	for v := uint64(1); v <= 10; v++ {
		pub.Publish(ev("t", v))
	}
	waitFor(t, 10*time.Second, "delivery", func() bool { return pub.Stats().Delivered == 10 })

	first := newSource(t, cfg, "agents")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var ds []events.Delivery
	for len(ds) < 10 {
		more, err := first.Fetch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, more...)
	}
	// Done: 1-4 and 6-10; 5 is still being worked on.
	if err := first.Commit(ctx, append(ds[:4:4], ds[5:]...)); err != nil {
		t.Fatal(err)
	}
	if lag := groupLag(t, cfg.Brokers, "agents", cfg.Topic)[0]; lag != 6 {
		t.Fatalf("lag after committing around version 5 = %d; want 6 (5 to 10)", lag)
	}
	first.Close()

	got := consume(t, newSource(t, cfg, "agents"), 6)
	if got[0].Version != 5 {
		t.Fatalf("the next member starts at version %d; want 5", got[0].Version)
	}
}

// TestKafkaSourceSkipsMalformed writes records that are not events: they
// are skipped and committed, and the good ones still arrive.
func TestKafkaSourceSkipsMalformed(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	cfg := kafkaConfig(c.ListenAddrs())
	cfg.Partitions = 1
	src := newSource(t, cfg, "agents")

	raw, err := kgo.NewClient(kgo.SeedBrokers(cfg.Brokers...), kgo.DefaultProduceTopic(cfg.Topic))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	good, err := events.EncodeEvent(ev("t", 1))
	if err != nil {
		t.Fatal(err)
	}
	values := [][]byte{[]byte("{not json"), good, []byte("null"), []byte(`{"table":""}`), []byte(`[1,2]`)}
	for _, v := range values {
		if err := raw.ProduceSync(t.Context(), &kgo.Record{Value: v}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}

	if got := consume(t, src, 1); key(got[0]) != "t@1" {
		t.Fatalf("got %v; want only t@1", got)
	}
	// The trailing malformed records are committed by the Fetch that
	// skips them, even with no event to deliver.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			_, _ = src.Fetch(ctx)
		}
	}()
	waitFor(t, 10*time.Second, "the malformed records committed", func() bool {
		return groupLag(t, cfg.Brokers, "agents", cfg.Topic)[0] == 0
	})
}

// TestKafkaSourceIgnoresForeignDeliveries commits deliveries another
// transport made: nothing happens.
func TestKafkaSourceIgnoresForeignDeliveries(t *testing.T) {
	t.Parallel()
	c := newCluster(t)
	src := newSource(t, kafkaConfig(c.ListenAddrs()), "agents")
	bus := events.NewBus(10)
	bus.Publish(ev("t", 1))
	ds, err := bus.Fetch(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Commit(t.Context(), ds); err != nil {
		t.Fatalf("Commit of a bus delivery = %v", err)
	}
}
