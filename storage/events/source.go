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
	"github.com/twmb/franz-go/pkg/kmsg"
)

// closeTimeout bounds the final commit and the group leave of Close.
const closeTimeout = 10 * time.Second

// KafkaSource consumes events as one member of a consumer group. Offsets
// are committed only by Commit, and only past deliveries marked done (see
// Source); malformed records are logged, skipped and committed with their
// neighbours. When a rebalance revokes partitions, the done offsets are
// committed before the partitions go; what was fetched and not committed is
// fetched again by the new owner. A new group starts at the oldest event
// the topic retains.
type KafkaSource struct {
	cl    *kgo.Client
	cfg   KafkaConfig
	group string
	log   *slog.Logger
	offs  *offsets

	// commitMu keeps commits in order, so that a revoke's final commit
	// cannot be overtaken by an older one.
	commitMu  sync.Mutex
	closeOnce sync.Once
}

var _ Source = (*KafkaSource)(nil)

// NewKafkaSource joins group on the topic of cfg (creating the topic if
// cfg.CreateTopic). It fails, within ctx, when no broker answers or the
// credentials are refused (ErrAuth). Close releases it.
func NewKafkaSource(ctx context.Context, cfg KafkaConfig, group string) (*KafkaSource, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if group == "" {
		return nil, fmt.Errorf("events: no consumer group: %w", ErrInvalidConfig)
	}
	s := &KafkaSource{
		cfg:   cfg,
		group: group,
		log:   cfg.Logger.With("topic", cfg.Topic, "group", group),
		offs:  newOffsets(),
	}
	opts := []kgo.Opt{
		kgo.ConsumeTopics(cfg.Topic),
		kgo.ConsumerGroup(group),
		kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.OnPartitionsAssigned(s.assigned),
		kgo.OnPartitionsRevoked(s.revoked),
		kgo.OnPartitionsLost(s.lost),
	}
	if cfg.SessionTimeout > 0 {
		opts = append(opts, kgo.SessionTimeout(cfg.SessionTimeout))
	}
	if cfg.HeartbeatInterval > 0 {
		opts = append(opts, kgo.HeartbeatInterval(cfg.HeartbeatInterval))
	}
	// A source that starts without a broker waits for the topic to
	// appear (the publishers create it) rather than creating it.
	cl, _, err := connectOrLazy(ctx, cfg, opts...)
	if err != nil {
		return nil, err
	}
	if cfg.CreateTopic {
		cl.ForceMetadataRefresh() // see the topic just created
	}
	s.cl = cl
	return s, nil
}

// Fetch returns the next events, waiting until there is at least one or ctx
// ends. Records of partitions revoked meanwhile are left to their new owner.
func (s *KafkaSource) Fetch(ctx context.Context) ([]Delivery, error) {
	for {
		fs := s.cl.PollRecords(ctx, maxFetch)
		if fs.IsClientClosed() {
			return nil, ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fs.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.Canceled) {
				s.log.Warn("fetching events", "partition", p, "err", err)
			}
		})
		var (
			ds      []Delivery
			skipped bool
		)
		fs.EachRecord(func(r *kgo.Record) {
			ev, err := decodeEvent(r.Value)
			gen, ok := s.offs.fetched(r.Topic, r.Partition, r.Offset, r.LeaderEpoch, err != nil)
			switch {
			case !ok:
			case err != nil:
				skipped = true
				s.log.Warn("skipping a record that is not an event", "partition", r.Partition, "offset", r.Offset, "err", err)
			default:
				ds = append(ds, Delivery{Event: ev, owner: s, topic: r.Topic, partition: r.Partition, offset: r.Offset, gen: gen})
			}
		})
		if len(ds) > 0 {
			return ds, nil
		}
		if skipped {
			if err := s.commit(ctx, s.cl, nil); err != nil {
				s.log.Warn("committing skipped records", "err", err)
			}
		}
	}
}

// Commit marks ds done and commits, for each partition, the offset past
// its done prefix. Deliveries from another source or from partitions this
// source no longer owns are ignored. An error leaves the offsets where they
// were; the deliveries may come again.
func (s *KafkaSource) Commit(ctx context.Context, ds []Delivery) error {
	s.offs.done(ds, s)
	return s.commit(ctx, s.cl, nil)
}

// Close commits what is done, leaves the group (so its partitions move to
// the other members at once) and closes the connections. A Fetch in
// progress returns ErrClosed.
func (s *KafkaSource) Close() {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		if err := s.commit(ctx, s.cl, nil); err != nil {
			s.log.Warn("committing on close", "err", err)
		}
		if err := s.cl.LeaveGroupContext(ctx); err != nil {
			s.log.Warn("leaving the consumer group", "err", err)
		}
		s.cl.Close()
	})
}

// commit commits, through cl, the ready offsets of the owned partitions
// (those in only, when not nil). The group's callbacks pass the client kgo
// gives them: they may run before NewKafkaSource has set s.cl.
func (s *KafkaSource) commit(ctx context.Context, cl *kgo.Client, only map[string][]int32) error {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	offs, gens := s.offs.ready(only)
	if len(offs) == 0 {
		return nil
	}
	var (
		rerr error
		ok   = map[string]map[int32]kgo.EpochOffset{}
	)
	cl.CommitOffsetsSync(ctx, offs, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			rerr = err
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					rerr = err
					continue
				}
				if eo, found := offs[t.Topic][p.Partition]; found {
					if ok[t.Topic] == nil {
						ok[t.Topic] = map[int32]kgo.EpochOffset{}
					}
					ok[t.Topic][p.Partition] = eo
				}
			}
		}
	})
	s.offs.committed(ok, gens)
	if rerr != nil {
		return fmt.Errorf("events: committing offsets of group %q: %w", s.group, rerr)
	}
	return nil
}

// assigned, revoked and lost are the group's callbacks; kgo calls them one
// at a time, from its own goroutine.
func (s *KafkaSource) assigned(_ context.Context, _ *kgo.Client, ps map[string][]int32) {
	s.offs.assign(ps)
}

func (s *KafkaSource) revoked(ctx context.Context, cl *kgo.Client, ps map[string][]int32) {
	if len(ps) == 0 {
		return
	}
	if err := s.commit(ctx, cl, ps); err != nil {
		s.log.Warn("committing revoked partitions; their uncommitted events go to the new owner", "err", err)
	}
	s.offs.forget(ps)
}

func (s *KafkaSource) lost(_ context.Context, _ *kgo.Client, ps map[string][]int32) {
	s.offs.forget(ps)
}
