package events_test

import (
	"testing"

	"github.com/lancegate/lancegate/storage/events"
)

// TestBusDropsOldest overfills a bus: the oldest events go, counted, and
// the newest are delivered.
func TestBusDropsOldest(t *testing.T) {
	t.Parallel()
	b := events.NewBus(10)
	defer b.Close()
	for v := uint64(1); v <= 25; v++ {
		b.Publish(ev("t", v))
	}
	st := b.Stats()
	if st.Published != 25 || st.Dropped != 15 || st.Buffered != 10 {
		t.Fatalf("stats %+v; want 25 published, 15 dropped, 10 buffered", st)
	}
	got := consume(t, b, 10)
	for i, e := range got {
		if e.Version != uint64(16+i) {
			t.Fatalf("delivery %d is version %d; want %d", i, e.Version, 16+i)
		}
	}
	st = b.Stats()
	checkInvariant(t, st)
	if st.Delivered != 10 || st.Buffered != 0 {
		t.Fatalf("stats after fetching %+v; want 10 delivered", st)
	}
}

// TestBusClose drops what is buffered and what comes later.
func TestBusClose(t *testing.T) {
	t.Parallel()
	b := events.NewBus(0)
	b.Publish(ev("t", 1))
	b.Close()
	b.Close()
	b.Publish(ev("t", 2))
	st := b.Stats()
	checkInvariant(t, st)
	if st.Dropped != 2 {
		t.Fatalf("stats %+v; want both events dropped", st)
	}
}

// TestBusConcurrent publishes from many goroutines while one loop
// consumes; run with -race.
func TestBusConcurrent(t *testing.T) {
	t.Parallel()
	b := events.NewBus(100000)
	defer b.Close()
	const writers, each = 8, 500
	done := make(chan struct{})
	for w := range writers {
		go func() {
			for v := uint64(1); v <= each; v++ {
				b.Publish(ev(tableName(w), v))
			}
			done <- struct{}{}
		}()
	}
	got := consume(t, b, writers*each)
	for range writers {
		<-done
	}
	last := map[string]uint64{}
	for _, e := range got {
		if e.Version != last[e.Table]+1 {
			t.Fatalf("table %s: version %d after %d", e.Table, e.Version, last[e.Table])
		}
		last[e.Table] = e.Version
	}
}
