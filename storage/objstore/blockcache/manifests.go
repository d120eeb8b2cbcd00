package blockcache

import (
	"context"
	"io"
	"iter"
	"strings"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/lancegate/lancegate/storage/objstore"
)

// Manifests keeps the bytes of Lance manifests (<dataset>/_versions/
// <name>.manifest) for a query node, which opens the newest version of
// every table a statement touches: a listing of _versions/, then a read
// of the newest manifest. The listing still goes to storage every time;
// the read is served from memory when the manifest's ETag in that listing
// (or in a Stat) is the one its cached bytes were read under.
//
// A manifest is written once and never changed, except that a table
// dropped and created again writes new manifests under the old names;
// their ETags differ, so the old bytes are never served for them. A read
// of a manifest this store has not seen listed or stated is not cached.
type Manifests struct {
	objstore.Store
	mu    sync.Mutex
	etags map[string]string // key → ETag last listed or stated
	cache *lru.Cache[manifestKey, []byte]
}

type manifestKey struct{ key, etag string }

// NewManifests wraps inner, keeping up to entries manifests (default
// 1024).
func NewManifests(inner objstore.Store, entries int) *Manifests {
	if entries <= 0 {
		entries = 1024
	}
	c, _ := lru.New[manifestKey, []byte](entries)
	return &Manifests{Store: inner, etags: map[string]string{}, cache: c}
}

func isManifest(key string) bool {
	dir, name, ok := strings.Cut(key[max(0, strings.LastIndex(key, "/_versions/")):], "/_versions/")
	return ok && dir == "" && !strings.Contains(name, "/") && strings.HasSuffix(name, ".manifest")
}

func (m *Manifests) saw(info objstore.ObjectInfo) {
	if info.ETag == "" || !isManifest(info.Key) {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.etags) > 4*m.cache.Len()+4096 {
		// Forget ETags of manifests long gone; they are learned again.
		clear(m.etags)
	}
	m.etags[info.Key] = info.ETag
}

func (m *Manifests) etag(key string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.etags[key]
}

// List implements objstore.Store, noting the ETags of manifests.
func (m *Manifests) List(ctx context.Context, prefix string) iter.Seq2[objstore.ObjectInfo, error] {
	return func(yield func(objstore.ObjectInfo, error) bool) {
		for info, err := range m.Store.List(ctx, prefix) {
			if err == nil {
				m.saw(info)
			}
			if !yield(info, err) {
				return
			}
		}
	}
}

// Stat implements objstore.Store, noting the ETag of a manifest.
func (m *Manifests) Stat(ctx context.Context, key string) (objstore.ObjectInfo, error) {
	info, err := m.Store.Stat(ctx, key)
	if err == nil {
		m.saw(info)
	}
	return info, err
}

// GetRange implements objstore.Store: a manifest read under a known ETag
// is served from memory.
func (m *Manifests) GetRange(ctx context.Context, key string, off, length int64) ([]byte, error) {
	etag := ""
	if isManifest(key) {
		etag = m.etag(key)
	}
	if etag == "" {
		return m.Store.GetRange(ctx, key, off, length)
	}
	k := manifestKey{key, etag}
	data, ok := m.cache.Get(k)
	if !ok {
		var err error
		if data, err = objstore.ReadAll(ctx, m.Store, key); err != nil {
			return nil, err
		}
		m.cache.Add(k, data)
	}
	size := int64(len(data))
	if off > size || off < 0 {
		return nil, objstore.ErrInvalidRange
	}
	end := size
	if length >= 0 && off+length < size {
		end = off + length
	}
	return append([]byte(nil), data[off:end]...), nil
}

// Put, PutIfAbsent and Delete forget the key's ETag, so that the next
// read asks storage (or a listing) again.

func (m *Manifests) forget(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.etags, key)
}

// Put implements objstore.Store.
func (m *Manifests) Put(ctx context.Context, key string, r io.Reader) error {
	m.forget(key)
	return m.Store.Put(ctx, key, r)
}

// PutIfAbsent implements objstore.Store.
func (m *Manifests) PutIfAbsent(ctx context.Context, key string, data []byte) error {
	m.forget(key)
	return m.Store.PutIfAbsent(ctx, key, data)
}

// Delete implements objstore.Store.
func (m *Manifests) Delete(ctx context.Context, key string) error {
	m.forget(key)
	return m.Store.Delete(ctx, key)
}
