package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// maxInFlight bounds the events one produce attempt carries.
const maxInFlight = 1000

// KafkaPublisher publishes events to a Kafka topic or an event hub. Publish
// encodes the event and appends it to a bounded buffer; one sender
// goroutine, which Close ends, produces the buffer in attempts of up to a
// thousand events, keyed by table. A failed attempt puts its events back in
// front of the buffer and waits (100 ms doubling to 5 s) before the next, so
// a table's events keep their order and nothing newer overtakes what is
// retried. While the brokers are down the buffer fills; then each Publish
// drops the oldest event held. At most BufferSize events wait, plus those
// of the attempt in flight.
type KafkaPublisher struct {
	cl  *kgo.Client
	cfg KafkaConfig
	log *slog.Logger

	mu       sync.Mutex
	q        *queue[record]
	window   int  // events per attempt
	inflight int  // events of the attempt in flight
	closing  bool // Close was called
	dropping bool // the buffer overflowed since the last delivery
	st       PublisherStats

	wake   chan struct{}      // a token when the buffer may have events
	cancel context.CancelFunc // ends the sender
	done   chan struct{}      // closed when the sender has returned

	// topicPending: the topic is still to be created (StartUnreachable);
	// only the sender touches it.
	topicPending bool
}

// record is a buffered event, encoded.
type record struct {
	key   string
	value []byte
}

var _ Publisher = (*KafkaPublisher)(nil)

// NewKafkaPublisher connects to the brokers of cfg (creating the topic if
// cfg.CreateTopic) and starts the sender. It fails, within ctx, when no
// broker answers or the credentials are refused (ErrAuth); the caller
// decides whether to retry. Close releases it.
func NewKafkaPublisher(ctx context.Context, cfg KafkaConfig) (*KafkaPublisher, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	cl, topicPending, err := connectOrLazy(ctx, cfg,
		kgo.DefaultProduceTopic(cfg.Topic),
		kgo.RecordDeliveryTimeout(cfg.DeliveryTimeout),
		// Let the timeout fail records in flight too, so that a dead
		// broker cannot hold an attempt forever; a record the broker
		// did store may then come twice, which consumers tolerate.
		kgo.AllowIdempotentProduceCancellation(),
		// Events are small and Event Hubs limits the codecs it takes.
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		// Event Hubs closes connections on requests over 1,046,528 bytes.
		kgo.ProducerBatchMaxBytes(1_000_000),
	)
	if err != nil {
		return nil, err
	}
	sendCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p := &KafkaPublisher{
		cl:     cl,
		cfg:    cfg,
		log:    cfg.Logger.With("topic", cfg.Topic),
		q:      newQueue[record](cfg.BufferSize),
		window: min(cfg.BufferSize, maxInFlight),
		wake:   make(chan struct{}, 1),
		cancel: cancel,
		done:   make(chan struct{}),

		topicPending: topicPending,
	}
	go p.send(sendCtx)
	return p, nil
}

// Publish buffers ev for the sender and returns at once. When the buffer is
// full the oldest buffered event is dropped; after Close, ev is.
func (p *KafkaPublisher) Publish(ev Event) {
	b, err := encodeEvent(ev)
	p.mu.Lock()
	p.st.Published++
	switch {
	case err != nil:
		p.st.Failed++
		p.mu.Unlock()
		p.log.Error("dropping an event that cannot be encoded", "table", ev.Table, "version", ev.Version, "err", err)
		return
	case p.closing:
		p.st.Dropped++
		p.mu.Unlock()
		return
	}
	dropped := p.q.push(record{key: ev.Table, value: b})
	first := dropped && !p.dropping
	if dropped {
		p.st.Dropped++
		p.dropping = true
	}
	p.mu.Unlock()
	if first {
		p.log.Warn("event buffer full: dropping the oldest events until the brokers catch up", "buffer_size", p.cfg.BufferSize)
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Stats returns the publisher's counters.
func (p *KafkaPublisher) Stats() PublisherStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.st
	st.Buffered = uint64(p.q.Len() + p.inflight)
	return st
}

// Close stops taking events and delivers those buffered until ctx ends;
// then it drops the rest (counted in Dropped), closes the connections and
// returns an error wrapping ctx's that says how many were dropped. Close
// returns when the sender has stopped.
func (p *KafkaPublisher) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closing {
		p.mu.Unlock()
		<-p.done
		return nil
	}
	p.closing = true
	before := p.st.Dropped
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}

	var err error
	select {
	case <-p.done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	p.cancel()
	// Closing the client fails the attempt in flight, if any, at once.
	p.cl.Close()
	<-p.done

	p.mu.Lock()
	lost := p.st.Dropped - before
	p.mu.Unlock()
	if err != nil && lost > 0 {
		return fmt.Errorf("events: closing the kafka publisher: %d events undelivered: %w", lost, err)
	}
	return nil
}

// send is the sender goroutine: it produces the buffer until ctx ends, or
// until Close was called and the buffer is empty.
func (p *KafkaPublisher) send(ctx context.Context) {
	defer close(p.done)
	backoff := p.cfg.minBackoff
	failures := 0 // consecutive failed attempts
	for {
		batch := p.take(ctx)
		if batch == nil {
			p.mu.Lock()
			p.st.Dropped += uint64(p.q.clear())
			p.mu.Unlock()
			return
		}
		var retry []record
		var err error
		if p.topicPending {
			retry, err = p.createTopic(ctx, batch)
		}
		if len(retry) == 0 {
			retry, err = p.produce(ctx, batch)
		}
		if len(retry) == 0 {
			if failures > 0 {
				p.log.Info("delivering events again", "failed_attempts", failures)
			}
			failures, backoff = 0, p.cfg.minBackoff
			continue
		}
		if failures == 0 {
			p.log.Warn("could not deliver events; retrying", "events", len(retry), "err", err)
		} else {
			p.log.Debug("could not deliver events; retrying", "events", len(retry), "attempt", failures+1, "err", err)
		}
		failures++
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
		backoff = min(2*backoff, p.cfg.maxBackoff)
	}
}

// take removes the next attempt's events from the buffer, waiting for
// some. It returns nil when ctx ends, or when Close was called and the
// buffer is empty.
func (p *KafkaPublisher) take(ctx context.Context) []record {
	for {
		if ctx.Err() != nil {
			return nil
		}
		p.mu.Lock()
		if p.q.Len() > 0 {
			batch := p.q.pop(p.window)
			p.inflight = len(batch)
			p.mu.Unlock()
			return batch
		}
		closing := p.closing
		p.mu.Unlock()
		if closing {
			return nil
		}
		select {
		case <-p.wake:
		case <-ctx.Done():
		}
	}
}

// produce makes one attempt at batch and settles the counters. It returns
// the events to retry, already put back in the buffer, and one of their
// errors.
func (p *KafkaPublisher) produce(ctx context.Context, batch []record) ([]record, error) {
	recs := make([]*kgo.Record, len(batch))
	index := make(map[*kgo.Record]int, len(batch))
	for i, r := range batch {
		recs[i] = &kgo.Record{Topic: p.cfg.Topic, Key: []byte(r.key), Value: r.value}
		index[recs[i]] = i
	}
	failed := make([]error, len(batch))
	for _, res := range p.cl.ProduceSync(ctx, recs...) {
		failed[index[res.Record]] = res.Err
	}

	var (
		retry     []record
		retryErr  error
		delivered uint64
		given     uint64
	)
	for i, err := range failed {
		switch {
		case err == nil:
			delivered++
		case permanent(err):
			given++
			p.log.Error("giving up on an event the brokers refuse", "table", batch[i].key, "bytes", len(batch[i].value), "err", err)
		default:
			retry = append(retry, batch[i])
			retryErr = err
		}
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	p.inflight = 0
	p.st.Delivered += delivered
	p.st.Failed += given
	if delivered > 0 {
		p.dropping = false
	}
	if ctx.Err() != nil {
		// Close ran out of time: what failed now is dropped.
		p.st.Dropped += uint64(len(retry))
		return nil, nil
	}
	p.st.Retried += uint64(len(retry))
	p.st.Dropped += uint64(p.q.pushFront(retry))
	return retry, retryErr
}

// createTopic creates the topic before the first attempt of a publisher
// that started without a broker. On failure it puts batch back and
// returns it to retry.
func (p *KafkaPublisher) createTopic(ctx context.Context, batch []record) ([]record, error) {
	tctx, cancel := context.WithTimeout(ctx, p.cfg.DeliveryTimeout)
	err := ensureTopic(tctx, p.cl, p.cfg)
	cancel()
	if err == nil {
		p.topicPending = false
		return nil, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inflight = 0
	p.st.Retried += uint64(len(batch))
	p.st.Dropped += uint64(p.q.pushFront(batch))
	return batch, err
}

// permanent reports whether a produce error would fail again on retry: the
// record itself is refused.
func permanent(err error) bool {
	for _, e := range []error{
		kerr.MessageTooLarge, kerr.RecordListTooLarge, kerr.InvalidRecord,
		kerr.CorruptMessage, kerr.InvalidTopicException,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
