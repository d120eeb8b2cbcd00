package events

import (
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// offsets tracks, per owned partition, the records fetched and which of
// them are done, so that a commit moves a partition's offset past the done
// prefix and never past a record still being worked on. Kafka keeps one
// offset per partition: committing offset n says "everything before n is
// done".
//
// Each assignment of a partition gets a fresh generation. A delivery
// carries the generation it was fetched in, and marking it done in a later
// generation (the partition was revoked and came back) does nothing: the
// new assignment starts from the committed offset and fetches the record
// again.
type offsets struct {
	mu    sync.Mutex
	parts map[topicPartition]*partOffsets
	gen   uint64 // last generation handed out
}

type topicPartition struct {
	topic     string
	partition int32
}

// partOffsets is the state of one owned partition.
type partOffsets struct {
	gen       uint64
	pending   map[int64]bool // offsets fetched and not yet committed: done?
	next      int64          // one past the highest offset fetched; -1 before any
	committed int64          // offset committed by this assignment; -1 before any
	epoch     int32          // leader epoch of the last record fetched
}

func newOffsets() *offsets {
	return &offsets{parts: map[topicPartition]*partOffsets{}}
}

// assign starts tracking partitions this consumer now owns.
func (o *offsets) assign(assigned map[string][]int32) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for topic, ps := range assigned {
		for _, p := range ps {
			tp := topicPartition{topic, p}
			if _, ok := o.parts[tp]; ok {
				continue
			}
			o.gen++
			o.parts[tp] = &partOffsets{gen: o.gen, pending: map[int64]bool{}, next: -1, committed: -1, epoch: -1}
		}
	}
}

// fetched records a fetched record, done already if it is to be skipped,
// and returns its generation; ok is false if the partition is not owned
// (it was revoked after the fetch), in which case the record must not be
// delivered.
func (o *offsets) fetched(topic string, partition int32, offset int64, epoch int32, done bool) (gen uint64, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	po := o.parts[topicPartition{topic, partition}]
	if po == nil || offset < po.committed {
		return 0, false
	}
	if !po.pending[offset] {
		po.pending[offset] = done
	}
	po.next = max(po.next, offset+1)
	po.epoch = epoch
	return po.gen, true
}

// done marks deliveries done; those of another generation are ignored.
func (o *offsets) done(ds []Delivery, owner any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, d := range ds {
		if d.owner != owner {
			continue
		}
		po := o.parts[topicPartition{d.topic, d.partition}]
		if po == nil || po.gen != d.gen {
			continue
		}
		if _, ok := po.pending[d.offset]; ok {
			po.pending[d.offset] = true
		}
	}
}

// commitPoint returns where po's offset may move: the lowest offset not
// yet done, or one past the highest fetched when all are done.
func (po *partOffsets) commitPoint() int64 {
	point := po.next
	for off, done := range po.pending {
		if !done && off < point {
			point = off
		}
	}
	return point
}

// ready returns the offsets to commit for the owned partitions (all when
// only is nil) whose commit point moved, with their generations.
func (o *offsets) ready(only map[string][]int32) (map[string]map[int32]kgo.EpochOffset, map[topicPartition]uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[string]map[int32]kgo.EpochOffset{}
	gens := map[topicPartition]uint64{}
	add := func(tp topicPartition, po *partOffsets) {
		point := po.commitPoint()
		if point <= po.committed || po.next < 0 {
			return
		}
		if out[tp.topic] == nil {
			out[tp.topic] = map[int32]kgo.EpochOffset{}
		}
		out[tp.topic][tp.partition] = kgo.EpochOffset{Epoch: po.epoch, Offset: point}
		gens[tp] = po.gen
	}
	if only == nil {
		for tp, po := range o.parts {
			add(tp, po)
		}
	} else {
		for topic, ps := range only {
			for _, p := range ps {
				tp := topicPartition{topic, p}
				if po := o.parts[tp]; po != nil {
					add(tp, po)
				}
			}
		}
	}
	return out, gens
}

// committed records that offs were committed: the done records below each
// point are forgotten.
func (o *offsets) committed(offs map[string]map[int32]kgo.EpochOffset, gens map[topicPartition]uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for topic, ps := range offs {
		for p, eo := range ps {
			tp := topicPartition{topic, p}
			po := o.parts[tp]
			if po == nil || po.gen != gens[tp] || eo.Offset <= po.committed {
				continue
			}
			po.committed = eo.Offset
			for off := range po.pending {
				if off < eo.Offset {
					delete(po.pending, off)
				}
			}
		}
	}
}

// forget stops tracking partitions this consumer no longer owns.
func (o *offsets) forget(lost map[string][]int32) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for topic, ps := range lost {
		for _, p := range ps {
			delete(o.parts, topicPartition{topic, p})
		}
	}
}
