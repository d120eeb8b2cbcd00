package lance

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/storage/lance/datafile"
)

// NewPageCache returns a PageCache holding at most maxBytes of decoded
// pages and file metadata, evicting the least recently used entry first.
// A page larger than maxBytes is returned but not kept. The query path of
// the gateway shares one per process (issue 7 adds the executors' block
// caches below it).
func NewPageCache(maxBytes int64) *LRUPageCache {
	return &LRUPageCache{max: maxBytes, items: map[pageKey]*list.Element{}, order: list.New()}
}

// LRUPageCache is NewPageCache's cache. Its zero value is not usable.
type LRUPageCache struct {
	max int64

	mu    sync.Mutex
	size  int64
	items map[pageKey]*list.Element
	order *list.List // front: most recently used

	hits, misses, evictions atomic.Int64
}

// pageKey names a page (col ≥ 0) or a file's metadata (col = -1).
type pageKey struct {
	key       string
	col, page int
}

type pageEntry struct {
	k    pageKey
	arr  arrow.Array
	file *datafile.File
	size int64
}

// PageCacheStats are a cache's counters since it was made.
type PageCacheStats struct {
	Hits, Misses, Evictions int64
	Bytes                   int64
	Entries                 int
}

// Stats returns the cache's counters.
func (c *LRUPageCache) Stats() PageCacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return PageCacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load(), Bytes: c.size, Entries: len(c.items)}
}

// File implements PageCache.
func (c *LRUPageCache) File(ctx context.Context, key string, open func() (*datafile.File, error)) (*datafile.File, error) {
	k := pageKey{key: key, col: -1}
	if e := c.get(k); e != nil {
		return e.file, nil
	}
	f, err := open()
	if err != nil {
		return nil, err
	}
	// Metadata is a few KiB per column; count it roughly.
	c.put(&pageEntry{k: k, file: f, size: int64(4096 * (1 + len(f.Columns)))})
	return f, nil
}

// Page implements PageCache.
func (c *LRUPageCache) Page(ctx context.Context, key string, col, page int, read func() (arrow.Array, error)) (arrow.Array, error) {
	if col < 0 {
		return nil, fmt.Errorf("page cache: column %d", col)
	}
	k := pageKey{key: key, col: col, page: page}
	c.mu.Lock()
	if el, ok := c.items[k]; ok {
		c.order.MoveToFront(el)
		e := el.Value.(*pageEntry)
		e.arr.Retain() // under the lock: eviction cannot release it first
		c.mu.Unlock()
		c.hits.Add(1)
		return e.arr, nil
	}
	c.mu.Unlock()
	c.misses.Add(1)
	a, err := read()
	if err != nil {
		return nil, err
	}
	a.Retain() // the caller's reference; read's goes to the cache
	c.put(&pageEntry{k: k, arr: a, size: arraySize(a.Data())})
	return a, nil
}

func (c *LRUPageCache) get(k pageKey) *pageEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok {
		c.misses.Add(1)
		return nil
	}
	c.hits.Add(1)
	c.order.MoveToFront(el)
	return el.Value.(*pageEntry)
}

// put adds e, or drops it when it cannot fit or another reader added the
// same key first; it releases what it does not keep.
func (c *LRUPageCache) put(e *pageEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.items[e.k]; dup || e.size > c.max {
		if e.arr != nil {
			e.arr.Release()
		}
		return
	}
	c.items[e.k] = c.order.PushFront(e)
	c.size += e.size
	for c.size > c.max {
		el := c.order.Back()
		old := el.Value.(*pageEntry)
		c.order.Remove(el)
		delete(c.items, old.k)
		c.size -= old.size
		c.evictions.Add(1)
		if old.arr != nil {
			old.arr.Release()
		}
	}
}

// arraySize is the bytes of an array's buffers, children included.
func arraySize(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	for _, ch := range d.Children() {
		n += arraySize(ch)
	}
	return n
}
