package lanceindex

import (
	"context"
	"errors"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"github.com/lancegate/lancegate/storage/lance"
)

// SegmentCache keeps loaded index segments, by dataset root and index
// UUID, for every process that searches them (query nodes and plan
// executors). Index files are immutable, so a loaded segment never goes
// stale; which rows are live and which fragments a segment covers come
// from the snapshot a search reads. A segment is loaded at most once at a
// time; one that cannot be loaded (unsupported, corrupt) is remembered,
// not retried by every query.
type SegmentCache struct {
	segs   *lru.Cache[string, Searcher]
	loads  singleflight.Group
	broken *lru.Cache[string, error]
}

// NewSegmentCache returns a cache of up to entries segments (default 16).
func NewSegmentCache(entries int) *SegmentCache {
	if entries <= 0 {
		entries = 16
	}
	segs, _ := lru.New[string, Searcher](entries)
	broken, _ := lru.New[string, error](256)
	return &SegmentCache{segs: segs, broken: broken}
}

// Segment returns the loaded segment of info, an index entry of ds.
func (c *SegmentCache) Segment(ctx context.Context, ds *lance.Dataset, info lance.IndexInfo) (Searcher, error) {
	key := ds.Root() + "\x00" + info.UUID
	if ix, ok := c.segs.Get(key); ok {
		return ix, nil
	}
	if err, ok := c.broken.Get(key); ok {
		return nil, err
	}
	v, err, _ := c.loads.Do(key, func() (any, error) {
		ix, err := Open(ctx, ds, info)
		if err != nil {
			if ctx.Err() == nil && (errors.Is(err, lance.ErrUnsupported) || errors.Is(err, lance.ErrCorrupt)) {
				c.broken.Add(key, err)
			}
			return nil, err
		}
		if pq, ok := ix.(*IVFPQ); ok {
			precompute(pq)
		}
		c.segs.Add(key, ix)
		return ix, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(Searcher), nil
}

// maxPrecomputeBytes bounds the per-partition tables precompute adds to
// one IVF_PQ segment.
const maxPrecomputeBytes = 64 << 20

// precompute gives a loaded IVF_PQ segment its per-partition distance
// table terms (ivfpq.(*Index).Precompute), so that a probe builds its ADC
// table with M·256 additions instead of M·256 sub-distances, when they
// cost at most maxPrecomputeBytes (NumPartitions·M KiB). It runs before
// the segment is shared.
func precompute(x *IVFPQ) {
	if int64(x.NumPartitions())*int64(x.NumSubVectors())*256*4 <= maxPrecomputeBytes {
		x.Model().Precompute()
	}
}
