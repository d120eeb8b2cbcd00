package events

import "testing"

// at returns the offset ready to commit for partition p of topic "t", or -1.
func at(o *offsets, p int32) int64 {
	offs, _ := o.ready(nil)
	if eo, ok := offs["t"][p]; ok {
		return eo.Offset
	}
	return -1
}

func TestOffsets(t *testing.T) {
	owner := new(int)
	o := newOffsets()
	o.assign(map[string][]int32{"t": {0, 1}})
	deliver := func(p int32, off int64) Delivery {
		gen, ok := o.fetched("t", p, off, 3, false)
		if !ok {
			t.Fatalf("fetched(%d, %d) on an owned partition: not ok", p, off)
		}
		return Delivery{owner: owner, topic: "t", partition: p, offset: off, gen: gen}
	}
	d := make([]Delivery, 6)
	for i := range d {
		d[i] = deliver(0, int64(10+i)) // offsets 10..15
	}
	if got := at(o, 0); got != 10 {
		t.Fatalf("ready before any commit = %d; want 10 (nothing done)", got)
	}
	o.done([]Delivery{d[0], d[1], d[3]}, owner)
	if got := at(o, 0); got != 12 {
		t.Fatalf("ready with 10, 11, 13 done = %d; want 12", got)
	}
	o.done([]Delivery{d[2]}, new(int)) // another source's: ignored
	if got := at(o, 0); got != 12 {
		t.Fatalf("ready after a foreign delivery = %d; want 12", got)
	}
	offs, gens := o.ready(nil)
	if eo := offs["t"][0]; eo.Epoch != 3 {
		t.Fatalf("epoch = %d; want the record's 3", eo.Epoch)
	}
	o.committed(offs, gens)
	if got := at(o, 0); got != -1 {
		t.Fatalf("ready right after committing = %d; want nothing", got)
	}
	o.done([]Delivery{d[2], d[4], d[5]}, owner)
	if got := at(o, 0); got != 16 {
		t.Fatalf("ready with all done = %d; want 16", got)
	}

	// A skipped record counts as done at once.
	if _, ok := o.fetched("t", 1, 0, 0, true); !ok {
		t.Fatal("fetched a skipped record: not ok")
	}
	if got := at(o, 1); got != 1 {
		t.Fatalf("ready after a skipped record = %d; want 1", got)
	}

	// Revoked and assigned again: old deliveries no longer count.
	old := deliver(1, 1)
	o.forget(map[string][]int32{"t": {1}})
	if _, ok := o.fetched("t", 1, 2, 0, false); ok {
		t.Fatal("fetched on a revoked partition: ok")
	}
	o.assign(map[string][]int32{"t": {1}})
	fresh := deliver(1, 1)
	o.done([]Delivery{old}, owner)
	if got := at(o, 1); got != 1 {
		t.Fatalf("ready after marking a delivery of the previous assignment = %d; want 1 (not done)", got)
	}
	o.done([]Delivery{fresh}, owner)
	if got := at(o, 1); got != 2 {
		t.Fatalf("ready after marking the fresh delivery = %d; want 2", got)
	}

	// A commit result for an earlier generation is not recorded.
	offs, gens = o.ready(map[string][]int32{"t": {1}})
	if _, ok := offs["t"][0]; ok {
		t.Fatal("ready(only partition 1) included partition 0")
	}
	o.forget(map[string][]int32{"t": {1}})
	o.assign(map[string][]int32{"t": {1}})
	o.committed(offs, gens)
	if po := o.parts[topicPartition{"t", 1}]; po.committed != -1 {
		t.Fatalf("committed = %d after a stale commit result; want -1", po.committed)
	}
}
