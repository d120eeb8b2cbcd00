package blockcache

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"

	"golang.org/x/sync/errgroup"

	"github.com/lancegate/lancegate/storage/objstore"
)

// GetRange implements objstore.Store. Reads of cacheable keys are served
// block by block: RAM, then disk, then the inner store.
func (s *Store) GetRange(ctx context.Context, key string, off, length int64) ([]byte, error) {
	if !s.cacheable(key) {
		return s.inner.GetRange(ctx, key, off, length)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("blockcache get %q: %w", key, err)
	}
	if !objstore.ValidKey(key) {
		return nil, fmt.Errorf("blockcache get %q: %w", key, objstore.ErrInvalidKey)
	}
	if off < 0 {
		return nil, fmt.Errorf("blockcache get %q: offset %d: %w", key, off, objstore.ErrInvalidRange)
	}
	epoch := s.epoch.Load()
	bs := s.blockSize
	first := off / bs
	size, known := s.sizes.Get(key)
	var pre [][]byte
	if length > math.MaxInt64-off {
		length = -1 // to the end, the same answer
	}
	// Without the size, a read to the end, or one spanning blocks (which
	// may lie past the end), needs it. The cached blocks from first on may
	// tell (the object's last block is short); if they do not, ask the
	// store: once per key, as objects are immutable and the size is kept.
	if !known && (length < 0 || length > bs || off%bs+length > bs) {
		lastWanted := int64(-1) // to the end
		if length >= 0 {
			lastWanted = (off + length - 1) / bs
		}
		pre, size, known = s.probe(ctx, epoch, key, first, lastWanted)
		// If every wanted block is cached and full, the object reaches
		// past the read, whatever its size.
		covered := lastWanted >= 0 && int64(len(pre)) == lastWanted-first+1
		if !known && !covered {
			info, err := s.inner.Stat(ctx, key)
			if err != nil {
				return nil, fmt.Errorf("blockcache get %q: %w", key, err)
			}
			size, known = info.Size, true
			s.learnSize(epoch, key, size)
		}
	}
	var end int64
	if known {
		if off > size {
			return nil, fmt.Errorf("blockcache get %q: offset %d of %d bytes: %w", key, off, size, objstore.ErrInvalidRange)
		}
		end = size
		if length >= 0 && length < size-off {
			end = off + length
		}
		if end == off {
			return []byte{}, nil
		}
	} else {
		end = off + length // within one block, or all blocks cached
	}
	last := max(end-1, off) / bs
	if int64(len(pre)) > last-first+1 {
		pre = pre[:last-first+1]
	}
	blocks, err := s.blocks(ctx, epoch, key, first, last, pre)
	if err != nil {
		return nil, fmt.Errorf("blockcache get %q: %w", key, err)
	}
	out := make([]byte, 0, end-off)
	for i, data := range blocks {
		start := (first + int64(i)) * bs
		from := max(off-start, 0)
		if from > int64(len(data)) {
			return nil, fmt.Errorf("blockcache get %q: offset %d of %d bytes: %w", key, off, start+int64(len(data)), objstore.ErrInvalidRange)
		}
		to := min(end-start, int64(len(data)))
		out = append(out, data[from:to]...)
		if int64(len(data)) < bs {
			break // the last block of the object
		}
	}
	return out, nil
}

// blocks returns blocks first..last of key, each from the first tier that
// has it, the first len(pre) being pre. The slices may be shared between concurrent readers: callers
// copy out of them and never modify them.
func (s *Store) blocks(ctx context.Context, epoch uint64, key string, first, last int64, pre [][]byte) ([][]byte, error) {
	out := make([][]byte, last-first+1)
	copy(out, pre)
	var missing []int
	for i := len(pre); i < len(out); i++ {
		if data, ok := s.ramGet(ctx, epoch, key, first+int64(i), true); ok {
			out[i] = data
		} else {
			missing = append(missing, i)
		}
	}
	if len(missing) == 1 {
		data, err := s.load(ctx, epoch, key, first+int64(missing[0]))
		out[missing[0]] = data
		return out, err
	}
	if len(missing) > 1 {
		runs := s.fromDisk(ctx, epoch, key, first, missing, out)
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(parallelLoads)
		for _, run := range runs {
			g.Go(func() error {
				if len(run) == 1 {
					data, err := s.load(gctx, epoch, key, first+int64(run[0]))
					out[run[0]] = data
					return err
				}
				return s.fetchRun(gctx, epoch, key, first, run, out)
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fromDisk fills out[i] for the missing blocks the disk tier holds and
// returns the rest as runs of consecutive block positions: on a cold
// cache, a read of many blocks costs one request per run, not one per
// block (object stores charge latency per request, not per byte).
func (s *Store) fromDisk(ctx context.Context, epoch uint64, key string, first int64, missing []int, out [][]byte) [][]int {
	var runs [][]int
	for _, i := range missing {
		idx := first + int64(i)
		if s.disk != nil {
			if data, ok := s.diskGet(key, idx); ok {
				s.stats.diskHits.Add(1)
				s.stats.fromCache.Add(uint64(len(data)))
				countCache(ctx, len(data))
				s.fill(epoch, key, idx, data, false)
				out[i] = data
				continue
			}
		}
		if n := len(runs); n > 0 && runs[n-1][len(runs[n-1])-1] == i-1 {
			runs[n-1] = append(runs[n-1], i)
		} else {
			runs = append(runs, []int{i})
		}
	}
	return runs
}

// fetchRun reads the consecutive blocks at positions run (relative to
// first) with one request and fills the tiers. Concurrent readers of the
// same blocks may fetch them twice; the blocks are immutable, so both
// fills are the same. When the object ends before the run's last block
// begins (its size was not known), each block is loaded on its own, with
// the single-block path's end-of-object semantics.
func (s *Store) fetchRun(ctx context.Context, epoch uint64, key string, first int64, run []int, out [][]byte) error {
	idx0 := first + int64(run[0])
	n := int64(len(run))
	if s.disk != nil {
		s.stats.diskMisses.Add(uint64(n))
	}
	data, err := s.inner.GetRange(ctx, key, idx0*s.blockSize, n*s.blockSize)
	if err != nil {
		return fmt.Errorf("blocks %d-%d: %w", idx0, idx0+n-1, err)
	}
	s.stats.bytesFromStore.Add(uint64(len(data)))
	countStorage(ctx, len(data))
	if int64(len(data)) <= (n-1)*s.blockSize {
		for _, i := range run {
			b, err := s.load(ctx, epoch, key, first+int64(i))
			if err != nil {
				return err
			}
			out[i] = b
		}
		return nil
	}
	for j, i := range run {
		lo := int64(j) * s.blockSize
		block := data[lo:min(lo+s.blockSize, int64(len(data))):min(lo+s.blockSize, int64(len(data)))]
		s.fill(epoch, key, first+int64(i), block, true)
		out[i] = block
	}
	return nil
}

// probe reads cached blocks of key from first on, up to last (if not
// negative), until one is missing or short. A short block is the object's
// last, and gives its size.
func (s *Store) probe(ctx context.Context, epoch uint64, key string, first, last int64) (blocks [][]byte, size int64, known bool) {
	for idx := first; last < 0 || idx <= last; idx++ {
		// Misses are not counted here: blocks or load look again.
		data, ok := s.ramGet(ctx, epoch, key, idx, false)
		if !ok && s.disk != nil {
			if data, ok = s.diskGet(key, idx); ok {
				s.stats.diskHits.Add(1)
				s.stats.fromCache.Add(uint64(len(data)))
				countCache(ctx, len(data))
				s.fill(epoch, key, idx, data, false)
			}
		}
		if !ok {
			return blocks, 0, false
		}
		blocks = append(blocks, data)
		if int64(len(data)) < s.blockSize {
			return blocks, idx*s.blockSize + int64(len(data)), true
		}
	}
	return blocks, 0, false
}

// ramGet looks block idx of key up in the RAM tier, counting a hit, and a
// miss if countMiss.
func (s *Store) ramGet(ctx context.Context, epoch uint64, key string, idx int64, countMiss bool) ([]byte, bool) {
	if s.ram == nil {
		return nil, false
	}
	data, ok := s.ram.get(key, idx)
	if !ok {
		if countMiss {
			s.stats.ramMisses.Add(1)
		}
		return nil, false
	}
	s.stats.ramHits.Add(1)
	s.stats.fromCache.Add(uint64(len(data)))
	countCache(ctx, len(data))
	if int64(len(data)) < s.blockSize {
		s.learnSize(epoch, key, idx*s.blockSize+int64(len(data)))
	}
	// A copy from bigcache becomes hot, unless the key was invalidated
	// since this read began.
	s.fillMu.RLock()
	if s.epoch.Load() == epoch {
		s.ram.hot.put(key, idx, data)
	}
	s.fillMu.RUnlock()
	return data, true
}

// load returns block idx of key from disk or the inner store, sharing one
// load between concurrent readers of the same block. Each reader waits
// only as long as its own ctx allows; a reader whose shared load failed
// because the leading reader's ctx ended retries with its own.
func (s *Store) load(ctx context.Context, epoch uint64, key string, idx int64) ([]byte, error) {
	flight := strconv.FormatUint(epoch, 10) + "/" + ramKey(key, idx)
	for attempt := 0; ; attempt++ {
		ch := s.flights.DoChan(flight, func() (any, error) { return s.fetch(ctx, epoch, key, idx) })
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case r := <-ch:
			if r.Err != nil && r.Shared && attempt < maxRetries && ctx.Err() == nil &&
				(errors.Is(r.Err, context.Canceled) || errors.Is(r.Err, context.DeadlineExceeded)) {
				continue
			}
			if r.Err != nil {
				return nil, r.Err
			}
			return r.Val.([]byte), nil
		}
	}
}

// fetch is the body of a shared load: RAM again (a load that just ended
// may have filled it), then disk, then the inner store, filling the tiers
// on the way back.
func (s *Store) fetch(ctx context.Context, epoch uint64, key string, idx int64) ([]byte, error) {
	if s.ram != nil {
		if data, ok := s.ram.get(key, idx); ok {
			return data, nil
		}
	}
	if s.disk != nil {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if data, ok := s.diskGet(key, idx); ok {
			s.stats.diskHits.Add(1)
			s.stats.fromCache.Add(uint64(len(data)))
			countCache(ctx, len(data))
			s.fill(epoch, key, idx, data, false)
			return data, nil
		}
		s.stats.diskMisses.Add(1)
	}
	data, err := s.inner.GetRange(ctx, key, idx*s.blockSize, s.blockSize)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", idx, err)
	}
	s.stats.bytesFromStore.Add(uint64(len(data)))
	countStorage(ctx, len(data))
	s.fill(epoch, key, idx, data, true)
	return data, nil
}

// fill records what a block read taught: the object's size if the block
// is its last, and the block itself in RAM and (toDisk) on disk. It does
// nothing if an invalidation happened since the read began (epoch moved).
func (s *Store) fill(epoch uint64, key string, idx int64, data []byte, toDisk bool) {
	s.fillMu.RLock()
	defer s.fillMu.RUnlock()
	if s.epoch.Load() != epoch {
		return
	}
	if int64(len(data)) < s.blockSize {
		s.sizes.Add(key, idx*s.blockSize+int64(len(data)))
	}
	if s.ram != nil {
		s.ram.set(key, idx, data)
	}
	if toDisk && s.disk != nil {
		k := blockKey{key, idx}
		if _, queued := s.pending.LoadOrStore(k, data); queued {
			return
		}
		s.queued.Add(1)
		select {
		case s.diskq <- diskFill{epoch, key, idx, data}:
		default:
			s.pending.Delete(k)
			s.queued.Add(-1)
		}
	}
}

// learnSize remembers the size of key unless an invalidation happened
// since the read that found it began.
func (s *Store) learnSize(epoch uint64, key string, size int64) {
	s.fillMu.RLock()
	defer s.fillMu.RUnlock()
	if s.epoch.Load() == epoch {
		s.sizes.Add(key, size)
	}
}
