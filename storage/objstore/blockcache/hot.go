package blockcache

import (
	"container/list"
	"sync"
)

// hotBlocks keeps the most recently read blocks of the RAM tier as they
// are, in front of bigcache: bigcache hands out a fresh copy of a whole
// block on every Get, and a point query that needs a few hundred bytes of
// a footer or a small page would pay for copying (and collecting) the
// whole block each time. A hot block is shared by its readers, who copy
// out the bytes they need and never modify it (see Store.blocks). Its
// bytes are bounded apart from the RAM tier's bound; entries leave in
// least recently used order, or with their key's invalidation.
type hotBlocks struct {
	mu    sync.Mutex
	limit int64
	bytes int64
	lru   *list.List                         // of *hotBlock, most recent first
	byKey map[string]map[int64]*list.Element // object key → block index → element
}

type hotBlock struct {
	key  string
	idx  int64
	data []byte
}

// hotLimit is the hot layer's bound for a RAM tier of ramBytes: an eighth
// of it, at most 64 MiB.
func hotLimit(ramBytes int64) int64 { return min(ramBytes/8, 64<<20) }

func newHotBlocks(limit int64) *hotBlocks {
	return &hotBlocks{limit: limit, lru: list.New(), byKey: make(map[string]map[int64]*list.Element)}
}

// get returns block idx of key if it is hot.
func (h *hotBlocks) get(key string, idx int64) ([]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.byKey[key][idx]
	if !ok {
		return nil, false
	}
	h.lru.MoveToFront(e)
	return e.Value.(*hotBlock).data, true
}

// put makes data (which nobody modifies afterwards) block idx of key.
func (h *hotBlocks) put(key string, idx int64, data []byte) {
	if int64(len(data)) > h.limit {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.byKey[key]
	if m == nil {
		m = make(map[int64]*list.Element)
		h.byKey[key] = m
	}
	if e, ok := m[idx]; ok {
		b := e.Value.(*hotBlock)
		h.bytes += int64(len(data) - len(b.data))
		b.data = data
		h.lru.MoveToFront(e)
	} else {
		m[idx] = h.lru.PushFront(&hotBlock{key: key, idx: idx, data: data})
		h.bytes += int64(len(data))
	}
	for h.bytes > h.limit {
		h.remove(h.lru.Back())
	}
}

// invalidate drops every block of key.
func (h *hotBlocks) invalidate(key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.byKey[key] {
		h.remove(e)
	}
}

// remove drops e; h.mu is held.
func (h *hotBlocks) remove(e *list.Element) {
	b := e.Value.(*hotBlock)
	h.lru.Remove(e)
	h.bytes -= int64(len(b.data))
	if m := h.byKey[b.key]; m != nil {
		delete(m, b.idx)
		if len(m) == 0 {
			delete(h.byKey, b.key)
		}
	}
}
