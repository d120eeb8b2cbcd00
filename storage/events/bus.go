package events

import (
	"context"
	"sync"
)

// DefaultBufferSize is the number of events a Bus or KafkaPublisher holds
// when none is configured: at a few hundred bytes each, a few megabytes.
const DefaultBufferSize = 10000

// maxFetch bounds the deliveries one Fetch returns.
const maxFetch = 1000

// Bus is the in-process transport of the embedded default: the query node
// publishes into it and the agent in the same process fetches from it. It
// holds at most its capacity of events and drops the oldest to take a new
// one; no event survives the process. Fetch removes what it returns, so
// Commit has nothing to do and an event is delivered at most once; the
// agent's periodic sweep makes up for what a crash loses. A Bus is meant for
// one consumer loop; concurrent Fetches get disjoint events.
type Bus struct {
	mu     sync.Mutex
	q      *queue[Event]
	st     PublisherStats // Buffered unused: q.Len() says it
	closed bool

	ready chan struct{} // a token when events may be waiting
	done  chan struct{} // closed by Close
}

var (
	_ Publisher = (*Bus)(nil)
	_ Source    = (*Bus)(nil)
)

// NewBus returns a bus that holds up to capacity events (≤ 0:
// DefaultBufferSize).
func NewBus(capacity int) *Bus {
	if capacity <= 0 {
		capacity = DefaultBufferSize
	}
	return &Bus{
		q:     newQueue[Event](capacity),
		ready: make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
}

// Publish appends ev, dropping the oldest buffered event if the bus is full.
// After Close the event is dropped.
func (b *Bus) Publish(ev Event) {
	ev = cloneEvent(ev)
	b.mu.Lock()
	b.st.Published++
	switch {
	case b.closed:
		b.st.Dropped++
	case b.q.push(ev):
		b.st.Dropped++
	}
	b.mu.Unlock()
	b.signal()
}

// Fetch returns the buffered events, oldest first, waiting for one if there
// are none. It returns ctx's error when ctx ends first, and ErrClosed after
// Close.
func (b *Bus) Fetch(ctx context.Context) ([]Delivery, error) {
	for {
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return nil, ErrClosed
		}
		if b.q.Len() > 0 {
			evs := b.q.pop(maxFetch)
			more := b.q.Len() > 0
			b.st.Delivered += uint64(len(evs))
			b.mu.Unlock()
			if more {
				b.signal() // for a concurrent Fetch
			}
			ds := make([]Delivery, len(evs))
			for i, ev := range evs {
				ds[i] = Delivery{Event: ev, owner: b}
			}
			return ds, nil
		}
		b.mu.Unlock()
		select {
		case <-b.ready:
		case <-b.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Commit does nothing: Fetch already removed the events.
func (b *Bus) Commit(context.Context, []Delivery) error { return nil }

// Close drops the buffered events (counted in Dropped), ends a Fetch in
// progress with ErrClosed and makes later Publishes drop their events.
func (b *Bus) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	b.st.Dropped += uint64(b.q.clear())
	close(b.done)
}

// Stats returns the bus's counters; Delivered counts events handed to
// Fetch.
func (b *Bus) Stats() PublisherStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.st
	st.Buffered = uint64(b.q.Len())
	return st
}

func (b *Bus) signal() {
	select {
	case b.ready <- struct{}{}:
	default:
	}
}
