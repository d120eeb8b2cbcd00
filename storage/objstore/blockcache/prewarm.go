package blockcache

import (
	"context"
	"fmt"

	"github.com/lancegate/lancegate/storage/objstore"
)

// prewarmBatch is how many blocks Prewarm holds at once.
const prewarmBatch = 64

// Prewarm loads every block of the given objects into the tiers, as reads
// of the whole objects would, without assembling answers. Keys the
// Immutable predicate does not admit are skipped. It stops at the first
// error.
func (s *Store) Prewarm(ctx context.Context, keys []string) error {
	for _, key := range keys {
		if !s.cacheable(key) || !objstore.ValidKey(key) {
			continue
		}
		epoch := s.epoch.Load()
		info, err := s.Stat(ctx, key)
		if err != nil {
			return fmt.Errorf("blockcache prewarm %q: %w", key, err)
		}
		n := (info.Size + s.blockSize - 1) / s.blockSize
		for first := int64(0); first < n; first += prewarmBatch {
			last := min(first+prewarmBatch, n) - 1
			if _, err := s.blocks(ctx, epoch, key, first, last, nil); err != nil {
				return fmt.Errorf("blockcache prewarm %q: %w", key, err)
			}
		}
	}
	return nil
}
