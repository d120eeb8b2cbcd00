package blockcache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"sync"
	"sync/atomic"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"github.com/lancegate/lancegate/storage/objstore"
)

// Defaults of Options.
const (
	DefaultBlockSize = 256 << 10
	DefaultRAMBytes  = 512 << 20
	DefaultDiskBytes = 10 << 30
	// maxBlockSize keeps block lengths within the 32-bit fields of block
	// files.
	maxBlockSize = 1 << 30
	// sizeEntries bounds the map of known object sizes.
	sizeEntries = 1 << 16
	// parallelLoads bounds the blocks one GetRange loads at once.
	parallelLoads = 8
	// maxRetries bounds how often a reader retries a shared load that
	// failed only because the reader leading it gave up.
	maxRetries = 3
)

// Options configure a Store. The zero value gives the defaults.
type Options struct {
	// BlockSize is the unit of caching in bytes (default 256 KiB).
	BlockSize int
	// RAMBytes bounds the RAM tier (default 512 MiB, rounded down to whole
	// MiB); a negative value disables the RAM tier.
	RAMBytes int64
	// DiskDir is the folder of the disk tier; empty means no disk tier.
	// The folder belongs to one Store at a time.
	DiskDir string
	// DiskBytes bounds the disk tier, block file headers included
	// (default 10 GiB).
	DiskBytes int64
	// Immutable reports which keys may be cached (default LanceImmutable).
	// Every other key passes straight through to the inner store.
	Immutable func(key string) bool
	// Logger receives warnings about the disk tier (default: discarded).
	Logger *slog.Logger
}

// Store is an objstore.Store that caches blocks of immutable objects read
// from an inner store, in RAM and on local disk. It is safe for concurrent
// use.
type Store struct {
	inner     objstore.Store
	blockSize int64
	immutable func(string) bool
	log       *slog.Logger
	ram       *ramTier  // nil when disabled
	disk      *diskTier // nil when disabled
	sizes     *lru.Cache[string, int64]
	flights   singleflight.Group
	stats     counters
	closeOnce sync.Once

	// fillMu orders cache fills against invalidation: fills hold it for
	// reading and check that epoch has not moved since their read began;
	// invalidation holds it for writing and moves epoch.
	fillMu sync.RWMutex
	epoch  atomic.Uint64
}

var _ objstore.Store = (*Store)(nil)

// New returns a Store caching reads of inner as opts say. With a disk
// tier, it rebuilds the tier's index from DiskDir first.
func New(inner objstore.Store, opts Options) (*Store, error) {
	if inner == nil {
		return nil, errors.New("blockcache: nil inner store")
	}
	if opts.BlockSize == 0 {
		opts.BlockSize = DefaultBlockSize
	}
	if opts.BlockSize < 0 || opts.BlockSize > maxBlockSize {
		return nil, fmt.Errorf("blockcache: BlockSize %d out of range (1..%d)", opts.BlockSize, maxBlockSize)
	}
	if opts.RAMBytes == 0 {
		opts.RAMBytes = DefaultRAMBytes
	}
	if opts.DiskBytes == 0 {
		opts.DiskBytes = DefaultDiskBytes
	}
	if opts.DiskBytes < 0 {
		return nil, fmt.Errorf("blockcache: negative DiskBytes %d", opts.DiskBytes)
	}
	if opts.Immutable == nil {
		opts.Immutable = LanceImmutable
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	sizes, err := lru.New[string, int64](sizeEntries)
	if err != nil {
		return nil, fmt.Errorf("blockcache: %w", err)
	}
	s := &Store{
		inner:     inner,
		blockSize: int64(opts.BlockSize),
		immutable: opts.Immutable,
		log:       opts.Logger,
		sizes:     sizes,
	}
	if opts.RAMBytes > 0 {
		if s.ram, err = newRAM(opts.RAMBytes, opts.BlockSize, &s.stats); err != nil {
			return nil, err
		}
	}
	if opts.DiskDir != "" {
		if s.disk, err = openDisk(opts.DiskDir, opts.DiskBytes, opts.BlockSize, s.log, &s.stats); err != nil {
			if s.ram != nil {
				s.ram.close()
			}
			return nil, err
		}
	}
	return s, nil
}

// Close releases the RAM tier. The disk tier's files stay for the next
// Store over the same folder. The inner store is not closed. Closing twice
// is harmless.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if s.ram != nil {
			err = s.ram.close()
		}
	})
	return err
}

// cacheable reports whether reads of key go through the cache.
func (s *Store) cacheable(key string) bool {
	return (s.ram != nil || s.disk != nil) && s.immutable(key)
}

// invalidate forgets everything cached about key. Writes through the
// Store call it; the keys it caches are meant to be immutable, so this
// matters only for callers that break that rule.
func (s *Store) invalidate(key string) {
	s.fillMu.Lock()
	defer s.fillMu.Unlock()
	s.epoch.Add(1)
	s.sizes.Remove(key)
	if s.ram != nil {
		s.ram.invalidate(key)
	}
	if s.disk != nil {
		s.disk.invalidate(key)
	}
}

// Stat implements objstore.Store; it passes through, remembering the size
// of cacheable keys.
func (s *Store) Stat(ctx context.Context, key string) (objstore.ObjectInfo, error) {
	epoch := s.epoch.Load()
	info, err := s.inner.Stat(ctx, key)
	if err == nil && s.cacheable(key) {
		s.learnSize(epoch, key, info.Size)
	}
	return info, err
}

// List implements objstore.Store by passing through.
func (s *Store) List(ctx context.Context, prefix string) iter.Seq2[objstore.ObjectInfo, error] {
	return s.inner.List(ctx, prefix)
}

// Put implements objstore.Store by passing through, then dropping what is
// cached of key.
func (s *Store) Put(ctx context.Context, key string, r io.Reader) error {
	err := s.inner.Put(ctx, key, r)
	if s.cacheable(key) {
		s.invalidate(key)
	}
	return err
}

// PutIfAbsent implements objstore.Store like Put.
func (s *Store) PutIfAbsent(ctx context.Context, key string, data []byte) error {
	err := s.inner.PutIfAbsent(ctx, key, data)
	if s.cacheable(key) {
		s.invalidate(key)
	}
	return err
}

// Delete implements objstore.Store like Put.
func (s *Store) Delete(ctx context.Context, key string) error {
	err := s.inner.Delete(ctx, key)
	if s.cacheable(key) {
		s.invalidate(key)
	}
	return err
}
