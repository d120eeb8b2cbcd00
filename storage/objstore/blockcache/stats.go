package blockcache

import (
	"context"
	"sync/atomic"
)

// Stats is a snapshot of a Store's counters. Counts are per block lookup,
// not per GetRange call: a read spanning five blocks makes five RAM lookups.
type Stats struct {
	// RAMHits and RAMMisses count block lookups in the RAM tier.
	RAMHits, RAMMisses uint64
	// DiskHits and DiskMisses count block lookups in the disk tier (made
	// only after a RAM miss).
	DiskHits, DiskMisses uint64
	// Evictions counts blocks the RAM tier dropped for lack of space.
	Evictions uint64
	// DiskEvictions counts block files deleted to keep the disk tier under
	// its bound.
	DiskEvictions uint64
	// BytesFromStore counts bytes of cacheable keys read from the inner
	// store; BytesFromCache counts bytes of blocks served by RAM or disk.
	BytesFromStore, BytesFromCache uint64
	// RAMBytes and DiskBytes are the bytes held now: block payloads in RAM,
	// whole block files (header included) on disk.
	RAMBytes, DiskBytes int64
}

// counters are the live, atomically updated values behind Stats.
type counters struct {
	ramHits, ramMisses        atomic.Uint64
	diskHits, diskMisses      atomic.Uint64
	evictions, diskEvictions  atomic.Uint64
	bytesFromStore, fromCache atomic.Uint64
	ramBytes, diskBytes       atomic.Int64
}

// Stats returns a snapshot of the counters. Each value is read atomically;
// the snapshot as a whole is not taken at one instant.
func (s *Store) Stats() Stats {
	c := &s.stats
	return Stats{
		RAMHits:        c.ramHits.Load(),
		RAMMisses:      c.ramMisses.Load(),
		DiskHits:       c.diskHits.Load(),
		DiskMisses:     c.diskMisses.Load(),
		Evictions:      c.evictions.Load(),
		DiskEvictions:  c.diskEvictions.Load(),
		BytesFromStore: c.bytesFromStore.Load(),
		BytesFromCache: c.fromCache.Load(),
		RAMBytes:       c.ramBytes.Load(),
		DiskBytes:      c.diskBytes.Load(),
	}
}

// Reads are attributed to the work that made them through their context:
// Track returns a context under which every block this Store serves from
// RAM or disk, and every block it fetches from the inner store, is added
// to that context's counts. A block several readers wait for is counted
// as fetched by the reader that fetched it. Plan executors use this to
// report, per fragment, bytes from storage against bytes from cache.

type readCounts struct{ storage, cache atomic.Int64 }

type readCountsKey struct{}

// Track returns ctx with fresh read counts and a function returning them:
// bytes read from the inner store and bytes served by the cache.
func (s *Store) Track(ctx context.Context) (context.Context, func() (storage, cache int64)) {
	rc := &readCounts{}
	return context.WithValue(ctx, readCountsKey{}, rc), func() (int64, int64) { return rc.storage.Load(), rc.cache.Load() }
}

func countStorage(ctx context.Context, n int) {
	if rc, ok := ctx.Value(readCountsKey{}).(*readCounts); ok {
		rc.storage.Add(int64(n))
	}
}

func countCache(ctx context.Context, n int) {
	if rc, ok := ctx.Value(readCountsKey{}).(*readCounts); ok {
		rc.cache.Add(int64(n))
	}
}
