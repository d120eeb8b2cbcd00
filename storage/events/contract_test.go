package events_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/lancegate/lancegate/storage/events"
)

// openTransport returns a fresh publisher and a way to open a source that
// consumes what it publishes.
type openTransport func(t *testing.T) (events.Publisher, func(t *testing.T) events.Source)

// TestContract runs the Publisher and Source contract against every
// transport.
func TestContract(t *testing.T) {
	transports := map[string]openTransport{
		"bus": func(t *testing.T) (events.Publisher, func(*testing.T) events.Source) {
			b := events.NewBus(1000)
			t.Cleanup(b.Close)
			return b, func(*testing.T) events.Source { return b }
		},
		"kafka": func(t *testing.T) (events.Publisher, func(*testing.T) events.Source) {
			cfg := kafkaConfig(newCluster(t).ListenAddrs())
			p := newPublisher(t, cfg)
			return p, func(t *testing.T) events.Source { return newSource(t, cfg, "agents") }
		},
	}
	for name, open := range transports {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runContract(t, open)
		})
	}
}

func runContract(t *testing.T, open openTransport) {
	t.Run("RoundTripKeepsTableOrder", func(t *testing.T) {
		t.Parallel()
		pub, newSrc := open(t)
		src := newSrc(t)
		const tables, versions = 20, 25
		want := map[string]events.Event{}
		for v := uint64(1); v <= versions; v++ {
			for i := range tables {
				e := ev(tableName(i), v)
				want[key(e)] = e
				pub.Publish(e)
			}
		}
		got := consume(t, src, len(want))
		last := map[string]uint64{}
		seen := map[string]bool{}
		for _, e := range got {
			k := key(e)
			if seen[k] {
				t.Errorf("%s delivered twice", k)
			}
			seen[k] = true
			if !reflect.DeepEqual(e, want[k]) {
				t.Errorf("delivered %+v; want %+v", e, want[k])
			}
			if e.Version <= last[e.Table] {
				t.Errorf("table %s: version %d delivered after %d", e.Table, e.Version, last[e.Table])
			}
			last[e.Table] = e.Version
		}
	})

	t.Run("FetchWaitsForContext", func(t *testing.T) {
		t.Parallel()
		_, newSrc := open(t)
		src := newSrc(t)
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		ds, err := src.Fetch(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Fetch on an empty transport = %d deliveries, %v; want %v", len(ds), err, context.DeadlineExceeded)
		}
	})

	t.Run("FetchWakesOnPublish", func(t *testing.T) {
		t.Parallel()
		pub, newSrc := open(t)
		src := newSrc(t)
		got := make(chan []events.Delivery, 1)
		errc := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			ds, err := src.Fetch(ctx)
			errc <- err
			got <- ds
		}()
		pub.Publish(ev("t", 1))
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if ds := <-got; len(ds) != 1 || key(ds[0].Event) != "t@1" {
			t.Fatalf("Fetch = %+v; want t@1", ds)
		}
	})

	t.Run("PublishCopiesEvent", func(t *testing.T) {
		t.Parallel()
		pub, newSrc := open(t)
		src := newSrc(t)
		e := ev("t", 7)
		pub.Publish(e)
		e.Fragments[0] = 99
		got := consume(t, src, 1)
		if got[0].Fragments[0] != 6 {
			t.Fatalf("delivered fragments %v; want [6]: Publish kept the caller's slice", got[0].Fragments)
		}
	})

	t.Run("CommitNothing", func(t *testing.T) {
		t.Parallel()
		_, newSrc := open(t)
		src := newSrc(t)
		if err := src.Commit(t.Context(), nil); err != nil {
			t.Fatalf("Commit(nil) = %v", err)
		}
		if err := src.Commit(t.Context(), []events.Delivery{{Event: ev("t", 1)}}); err != nil {
			t.Fatalf("Commit of a delivery from nowhere = %v", err)
		}
	})

	t.Run("CloseEndsFetch", func(t *testing.T) {
		t.Parallel()
		_, newSrc := open(t)
		src := newSrc(t)
		errc := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := src.Fetch(ctx)
			errc <- err
		}()
		// Close may come before or during the Fetch; either way it ends.
		src.Close()
		if err := <-errc; !errors.Is(err, events.ErrClosed) {
			t.Fatalf("Fetch during Close = %v; want ErrClosed", err)
		}
		if _, err := src.Fetch(t.Context()); !errors.Is(err, events.ErrClosed) {
			t.Fatalf("Fetch after Close = %v; want ErrClosed", err)
		}
	})
}

func tableName(i int) string { return "table_" + string(rune('a'+i%26)) + string(rune('a'+i/26)) }

// consume fetches and commits until n events arrived (20 s at most) and
// returns them in delivery order.
func consume(t *testing.T, src events.Source, n int) []events.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var got []events.Event
	for len(got) < n {
		ds, err := src.Fetch(ctx)
		if err != nil {
			t.Fatalf("Fetch after %d of %d events: %v", len(got), n, err)
		}
		for _, d := range ds {
			got = append(got, d.Event)
		}
		if err := src.Commit(ctx, ds); err != nil {
			t.Fatal(err)
		}
	}
	return got
}
