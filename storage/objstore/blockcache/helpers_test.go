package blockcache

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"

	"github.com/lancegate/lancegate/storage/objstore"
)

// counting is an objstore.Store that counts what reaches its inner store.
type counting struct {
	objstore.Store
	gets, stats atomic.Int64
	getBytes    atomic.Int64
}

func (c *counting) GetRange(ctx context.Context, key string, off, length int64) ([]byte, error) {
	c.gets.Add(1)
	b, err := c.Store.GetRange(ctx, key, off, length)
	c.getBytes.Add(int64(len(b)))
	return b, err
}

func (c *counting) Stat(ctx context.Context, key string) (objstore.ObjectInfo, error) {
	c.stats.Add(1)
	return c.Store.Stat(ctx, key)
}

// cacheAll admits every key.
func cacheAll(string) bool { return true }

// newCache returns a cache over inner, closed when the test ends.
func newCache(t testing.TB, inner objstore.Store, opts Options) *Store {
	t.Helper()
	s, err := New(inner, opts)
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// putObj writes data under key of s or fails the test.
func putObj(t testing.TB, s objstore.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(context.Background(), key, bytes.NewReader(data)); err != nil {
		t.Fatalf("Put(%q) = %v", key, err)
	}
}

// pattern returns n bytes that show a misplaced range.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i%251) ^ seed
	}
	return b
}

// tierConfigs are the tier combinations the property tests cover.
func tierConfigs(t testing.TB, blockSize int) map[string]Options {
	return map[string]Options{
		"ram":  {BlockSize: blockSize, RAMBytes: 1 << 20, Immutable: cacheAll},
		"disk": {BlockSize: blockSize, RAMBytes: -1, DiskDir: t.TempDir(), DiskBytes: 1 << 20, Immutable: cacheAll},
		"both": {BlockSize: blockSize, RAMBytes: 1 << 20, DiskDir: t.TempDir(), DiskBytes: 1 << 20, Immutable: cacheAll},
	}
}
