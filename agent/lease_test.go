package agent

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/objstoretest"
)

// clock is a test clock the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestLeases(t *testing.T) {
	objstoretest.EachBackend(t, func(t *testing.T, store objstore.Store) {
		ctx := context.Background()
		clk := newClock()
		l := NewLeases(store, clk.now)
		if err := l.Acquire(ctx, "t", JobCompact, "job-1", time.Minute); err != nil {
			t.Fatal(err)
		}
		if h, _ := l.Holder(ctx, "t", JobCompact); h != "job-1" {
			t.Fatalf("holder = %q", h)
		}
		// Another holder is refused while the lease lives; other types and
		// tables are independent.
		if err := l.Acquire(ctx, "t", JobCompact, "job-2", time.Minute); !errors.Is(err, ErrLeaseHeld) {
			t.Fatalf("second holder: %v, want ErrLeaseHeld", err)
		}
		if err := l.Acquire(ctx, "t", JobCleanup, "job-3", time.Minute); err != nil {
			t.Fatalf("other type: %v", err)
		}
		if err := l.Acquire(ctx, "u", JobCompact, "job-4", time.Minute); err != nil {
			t.Fatalf("other table: %v", err)
		}
		// Renewal by the holder extends it.
		clk.advance(50 * time.Second)
		if err := l.Acquire(ctx, "t", JobCompact, "job-1", time.Minute); err != nil {
			t.Fatalf("renew: %v", err)
		}
		clk.advance(50 * time.Second)
		if err := l.Acquire(ctx, "t", JobCompact, "job-2", time.Minute); !errors.Is(err, ErrLeaseHeld) {
			t.Fatalf("after renewal: %v, want ErrLeaseHeld", err)
		}
		// Expired: anyone may take it.
		clk.advance(11 * time.Second)
		if h, _ := l.Holder(ctx, "t", JobCompact); h != "" {
			t.Fatalf("expired lease held by %q", h)
		}
		if err := l.Acquire(ctx, "t", JobCompact, "job-2", time.Minute); err != nil {
			t.Fatalf("after expiry: %v", err)
		}
		// Release by a former holder changes nothing; by the holder frees it.
		if err := l.Release(ctx, "t", JobCompact, "job-1"); err != nil {
			t.Fatal(err)
		}
		if h, _ := l.Holder(ctx, "t", JobCompact); h != "job-2" {
			t.Fatalf("holder after stale release = %q", h)
		}
		if err := l.Release(ctx, "t", JobCompact, "job-2"); err != nil {
			t.Fatal(err)
		}
		if h, _ := l.Holder(ctx, "t", JobCompact); h != "" {
			t.Fatalf("holder after release = %q", h)
		}
		// Old epochs are deleted as new ones are written.
		n := 0
		for _, err := range store.List(ctx, leasePrefix("t", JobCompact)) {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n > 2 {
			t.Fatalf("%d lease epochs kept, want at most 2", n)
		}
	})
}

// TestLeaseRace has many contenders race for a free lease: exactly one
// wins.
func TestLeaseRace(t *testing.T) {
	objstoretest.EachBackend(t, func(t *testing.T, store objstore.Store) {
		ctx := context.Background()
		l := NewLeases(store, nil)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Go(func() {
				err := l.Acquire(ctx, "t", JobCompact, string(rune('a'+i)), time.Minute)
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, ErrLeaseHeld):
					t.Errorf("contender %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d contenders won the lease, want 1", wins.Load())
		}
	})
}

func TestLeaseDamagedRecord(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMemory()
	if err := store.PutIfAbsent(ctx, leasePrefix("t", JobCompact)+"00000000000000000001.json", []byte("garbage")); err != nil {
		t.Fatal(err)
	}
	l := NewLeases(store, nil)
	if err := l.Acquire(ctx, "t", JobCompact, "job", time.Minute); err != nil {
		t.Fatalf("a damaged record must not hold the lease: %v", err)
	}
}
