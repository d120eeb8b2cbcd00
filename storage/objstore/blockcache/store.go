package blockcache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"runtime"
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

	// Disk fills are written by one goroutine from this queue, off the
	// read path; a full queue drops the fill (the block is still in RAM,
	// and a later miss fills it again). Close drains it.
	diskq    chan diskFill
	pending  sync.Map      // blockKey → []byte: fills queued, not yet on disk
	queued   atomic.Int64  // fills queued or being written
	diskStop chan struct{} // closed by Close
	diskDone chan struct{} // closed by the writer when it has drained diskq

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
		s.diskq, s.diskStop, s.diskDone = make(chan diskFill, diskQueue), make(chan struct{}), make(chan struct{})
		go s.diskWriter()
	}
	return s, nil
}

// diskQueue is how many block fills may wait for the disk writer (64 MiB
// of default blocks).
const diskQueue = 256

// diskFill is one block waiting to be written to the disk tier.
type diskFill struct {
	epoch uint64
	key   string
	idx   int64
	data  []byte
}

// diskWriter writes queued fills, skipping those an invalidation
// overtook.
func (s *Store) diskWriter() {
	defer close(s.diskDone)
	write := func(f diskFill) {
		s.fillMu.RLock()
		defer s.fillMu.RUnlock()
		if s.epoch.Load() == f.epoch {
			if err := s.disk.put(f.key, f.idx, f.data); err != nil {
				s.log.Warn("blockcache: disk fill failed", "key", f.key, "block", f.idx, "err", err)
			}
		}
		s.pending.Delete(blockKey{f.key, f.idx})
		s.queued.Add(-1)
	}
	for {
		select {
		case f := <-s.diskq:
			write(f)
		case <-s.diskStop:
			for {
				select {
				case f := <-s.diskq:
					write(f)
				default:
					return
				}
			}
		}
	}
}

// flushDisk waits until the disk writer has written every fill queued so
// far (for tests).
func (s *Store) flushDisk() {
	for s.queued.Load() > 0 {
		runtime.Gosched()
	}
}

// blockKey names block idx of key.
type blockKey struct {
	key string
	idx int64
}

// diskGet looks a block up in the disk tier, including fills still
// queued for it.
func (s *Store) diskGet(key string, idx int64) ([]byte, bool) {
	if v, ok := s.pending.Load(blockKey{key, idx}); ok {
		return v.([]byte), true
	}
	return s.disk.get(key, idx)
}

// Close releases the RAM tier. The disk tier's files stay for the next
// Store over the same folder. The inner store is not closed. Closing twice
// is harmless.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if s.disk != nil {
			close(s.diskStop)
			<-s.diskDone
		}
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
		s.pending.Range(func(k, _ any) bool {
			if k.(blockKey).key == key {
				s.pending.Delete(k)
			}
			return true
		})
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
