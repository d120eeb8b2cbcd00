package blockcache

import (
	"context"
	"testing"

	"github.com/lancegate/lancegate/storage/objstore"
)

// FuzzGetRange checks that any read through a cache of any block size
// answers as the inner store does, cold and warm.
func FuzzGetRange(f *testing.F) {
	f.Add(uint16(7), uint16(20), int64(3), int64(10), false)
	f.Add(uint16(1), uint16(0), int64(0), int64(-1), true)
	f.Add(uint16(64), uint16(128), int64(128), int64(-1), false)
	f.Fuzz(func(t *testing.T, blockSize, size uint16, off, length int64, disk bool) {
		bs := int(blockSize%300) + 1
		inner := objstore.NewMemory()
		putObj(t, inner, dataKey, pattern(int(size%2000), byte(size)))
		opts := Options{BlockSize: bs, RAMBytes: 1 << 20}
		if disk {
			opts = Options{BlockSize: bs, RAMBytes: -1, DiskDir: t.TempDir()}
		}
		s := newCache(t, inner, opts)
		ctx := context.Background()
		c := readCase{dataKey, off % 5000, length % 5000}
		for range 2 {
			sameAnswer(t, ctx, s, inner, c)
			sameAnswer(t, ctx, s, inner, readCase{dataKey, 0, -1})
		}
	})
}
