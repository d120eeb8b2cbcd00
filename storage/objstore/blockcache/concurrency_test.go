package blockcache

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/lancegate/lancegate/storage/objstore"
)

func TestConcurrentReaders(t *testing.T) {
	for name, opts := range tierConfigs(t, 100) {
		t.Run(name, func(t *testing.T) {
			inner := &counting{Store: objstore.NewMemory()}
			const size = 5000
			putObj(t, inner, dataKey, pattern(size, 6))
			s := newCache(t, inner, opts)
			const workers = 32
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			start := make(chan struct{})
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := rand.New(rand.NewPCG(uint64(w), 7))
					<-start
					for range 50 {
						c := readCase{dataKey, r.Int64N(size + 1), r.Int64N(700) - 1}
						want, _ := inner.Store.GetRange(context.Background(), c.key, c.off, c.length)
						got, err := s.GetRange(context.Background(), c.key, c.off, c.length)
						if err != nil || string(got) != string(want) {
							errs <- fmt.Errorf("GetRange(%d, %d) = %d bytes, %v; want %d bytes", c.off, c.length, len(got), err, len(want))
							return
						}
					}
				}()
			}
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			// Consecutive missing blocks are fetched with one request; two
			// readers may fetch overlapping runs, but never a block more
			// than twice over all of it on average.
			g := inner.gets.Load()
			if g > 2*size/100 {
				t.Errorf("%d GetRange calls reached the store for %d blocks", g, size/100)
			}
			// Now everything is cached: no request reaches the store.
			for off := int64(0); off < size; off += 333 {
				if _, err := s.GetRange(context.Background(), dataKey, off, 500); err != nil {
					t.Fatal(err)
				}
			}
			if after := inner.gets.Load(); after != g {
				t.Errorf("%d GetRange calls on a warm cache", after-g)
			}
		})
	}
}

// gated is a store whose GetRange waits for release (or its ctx) after
// announcing itself on entered.
type gated struct {
	objstore.Store
	entered chan struct{}
	release chan struct{}
}

func (g *gated) GetRange(ctx context.Context, key string, off, length int64) ([]byte, error) {
	g.entered <- struct{}{}
	select {
	case <-g.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.Store.GetRange(ctx, key, off, length)
}

func TestWaiterHonoursItsContext(t *testing.T) {
	mem := objstore.NewMemory()
	data := pattern(50, 7)
	putObj(t, mem, dataKey, data)
	g := &gated{Store: mem, entered: make(chan struct{}, 8), release: make(chan struct{})}
	s := newCache(t, g, Options{BlockSize: 64, RAMBytes: 1 << 20})

	leader := make(chan error, 1)
	go func() {
		_, err := s.GetRange(context.Background(), dataKey, 0, 10)
		leader <- err
	}()
	<-g.entered // the leader's load is inside the store, holding the flight

	ctx, cancel := context.WithCancel(t.Context())
	waiter := make(chan error, 1)
	go func() {
		_, err := s.GetRange(ctx, dataKey, 5, 10)
		waiter <- err
	}()
	cancel()
	if err := <-waiter; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter = %v; want context.Canceled", err)
	}
	close(g.release)
	if err := <-leader; err != nil {
		t.Fatalf("leader = %v", err)
	}
}

func TestLeaderCancelledOthersRetry(t *testing.T) {
	mem := objstore.NewMemory()
	data := pattern(50, 8)
	putObj(t, mem, dataKey, data)
	g := &gated{Store: mem, entered: make(chan struct{}, 8), release: make(chan struct{})}
	s := newCache(t, g, Options{BlockSize: 64, RAMBytes: 1 << 20})

	ctx, cancel := context.WithCancel(t.Context())
	leader := make(chan error, 1)
	go func() {
		_, err := s.GetRange(ctx, dataKey, 0, 10)
		leader <- err
	}()
	<-g.entered
	other := make(chan []byte, 1)
	go func() {
		got, err := s.GetRange(context.Background(), dataKey, 0, 20)
		if err != nil {
			t.Errorf("other reader = %v; want success despite the leader giving up", err)
		}
		other <- got
	}()
	cancel()
	if err := <-leader; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader = %v; want context.Canceled", err)
	}
	<-g.entered // the other reader's own load
	close(g.release)
	if got := <-other; string(got) != string(data[:20]) {
		t.Fatalf("other reader got %q; want %q", got, data[:20])
	}
}
