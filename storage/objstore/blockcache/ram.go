package blockcache

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/allegro/bigcache/v3"
)

// Sizing of the RAM tier.
//
// bigcache splits its bound (HardMaxCacheSize, whole MiB) evenly between
// shards, and refuses an entry bigger than one shard. Each entry costs its
// payload plus bigcache's header (18 bytes), the cache key (16 hex digits +
// the object key) and up to 5 bytes of queue framing. With the defaults,
// 512 MiB over 64 shards is 8 MiB per shard: about 31 blocks of 256 KiB
// each, so a block is well under the per-shard limit and eviction inside a
// shard (oldest first) is reasonably fine-grained. For smaller bounds or
// bigger blocks, newRAM halves the number of shards until a shard holds at
// least minBlocksPerShard blocks (or one shard is left), and refuses a
// bound that cannot hold a single block.
const (
	maxShards         = 64
	minBlocksPerShard = 4
	// entryOverhead bounds bigcache's per-entry overhead besides the object
	// key: header 18 + index digits 16 + framing 5, rounded up.
	entryOverhead = 64
	// maxRAMKey is the longest object key the RAM tier stores (bigcache
	// keeps key lengths in 16 bits); longer keys skip the RAM tier.
	maxRAMKey = 4096
	// forever is the LifeWindow: Lance files are immutable, so entries
	// never go stale and only lack of space evicts them.
	forever = 100 * 365 * 24 * time.Hour
)

// ramTier is the in-process tier: a bigcache of blocks keyed by block
// index and object key, plus an index of which blocks of which key it
// holds (for byte accounting and for invalidation).
type ramTier struct {
	cache *bigcache.BigCache
	hot   *hotBlocks
	stats *counters

	mu     sync.Mutex
	blocks map[string]map[int64]int // key → block index → payload length
}

// ramConfig returns the bigcache configuration for a bound of ramBytes and
// blocks of blockSize bytes.
func ramConfig(ramBytes int64, blockSize int) (bigcache.Config, error) {
	mib := max(ramBytes>>20, 1)
	entry := int64(blockSize) + entryOverhead + maxRAMKey
	shards := maxShards
	for shards > 1 && mib<<20/int64(shards) < minBlocksPerShard*entry {
		shards /= 2
	}
	if mib<<20 < entry {
		return bigcache.Config{}, fmt.Errorf("blockcache: RAMBytes %d too small for a block of %d bytes", ramBytes, blockSize)
	}
	return bigcache.Config{
		Shards:      shards,
		LifeWindow:  forever,
		CleanWindow: 0,
		// Initial allocation only: ten entries of up to 64 KiB per shard;
		// shards grow up to their share of HardMaxCacheSize.
		MaxEntriesInWindow: 10 * shards,
		MaxEntrySize:       min(blockSize, 64<<10),
		HardMaxCacheSize:   int(mib),
		Verbose:            false,
	}, nil
}

func newRAM(ramBytes int64, blockSize int, stats *counters) (*ramTier, error) {
	cfg, err := ramConfig(ramBytes, blockSize)
	if err != nil {
		return nil, err
	}
	r := &ramTier{stats: stats, blocks: make(map[string]map[int64]int), hot: newHotBlocks(hotLimit(ramBytes))}
	cfg.OnRemoveWithReason = r.onRemove
	cfg = cfg.OnRemoveFilterSet(bigcache.NoSpace, bigcache.Deleted, bigcache.Expired)
	c, err := bigcache.New(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("blockcache: RAM tier: %w", err)
	}
	r.cache = c
	return r, nil
}

// ramKey is the bigcache key of block idx of key.
func ramKey(key string, idx int64) string {
	var b [16]byte
	s := strconv.AppendUint(b[:0], uint64(idx), 16)
	pad := 16 - len(s)
	out := make([]byte, 0, 16+len(key))
	for range pad {
		out = append(out, '0')
	}
	out = append(out, s...)
	return string(append(out, key...))
}

// parseRAMKey undoes ramKey.
func parseRAMKey(k string) (string, int64, bool) {
	if len(k) < 16 {
		return "", 0, false
	}
	idx, err := strconv.ParseUint(k[:16], 16, 63)
	if err != nil {
		return "", 0, false
	}
	return k[16:], int64(idx), true
}

// onRemove keeps the index in step with bigcache. bigcache calls it with a
// shard locked; it takes only r.mu.
func (r *ramTier) onRemove(k string, _ []byte, reason bigcache.RemoveReason) {
	if reason == bigcache.NoSpace {
		r.stats.evictions.Add(1)
	}
	key, idx, ok := parseRAMKey(k)
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.blocks[key]
	n, ok := m[idx]
	if !ok {
		return
	}
	delete(m, idx)
	if len(m) == 0 {
		delete(r.blocks, key)
	}
	r.stats.ramBytes.Add(-int64(n))
}

// get returns block idx of key: a hot block (shared, see hotBlocks), or a
// fresh copy from bigcache, which Store.ramGet then makes hot.
func (r *ramTier) get(key string, idx int64) ([]byte, bool) {
	if len(key) > maxRAMKey {
		return nil, false
	}
	if b, ok := r.hot.get(key, idx); ok {
		return b, true
	}
	b, err := r.cache.Get(ramKey(key, idx))
	if err != nil {
		return nil, false
	}
	return b, true
}

// set stores a copy of data as block idx of key. A block bigger than a
// shard is not stored; the read still succeeds.
func (r *ramTier) set(key string, idx int64, data []byte) {
	if len(key) > maxRAMKey {
		return
	}
	r.mu.Lock()
	m := r.blocks[key]
	if m == nil {
		m = make(map[int64]int)
		r.blocks[key] = m
	}
	old := m[idx]
	m[idx] = len(data)
	r.stats.ramBytes.Add(int64(len(data) - old))
	r.mu.Unlock()
	// Outside r.mu: Set may evict, which calls onRemove.
	if err := r.cache.Set(ramKey(key, idx), data); err != nil {
		r.onRemove(ramKey(key, idx), nil, 0)
	}
	r.hot.put(key, idx, data)
}

// invalidate drops every block of key.
func (r *ramTier) invalidate(key string) {
	r.hot.invalidate(key)
	r.mu.Lock()
	idxs := make([]int64, 0, len(r.blocks[key]))
	for idx := range r.blocks[key] {
		idxs = append(idxs, idx)
	}
	r.mu.Unlock()
	for _, idx := range idxs {
		// onRemove (reason Deleted) updates the index.
		if err := r.cache.Delete(ramKey(key, idx)); errors.Is(err, bigcache.ErrEntryNotFound) {
			r.onRemove(ramKey(key, idx), nil, bigcache.Deleted)
		}
	}
}

func (r *ramTier) close() error { return r.cache.Close() }
