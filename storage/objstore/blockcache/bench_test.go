package blockcache

import (
	"testing"

	"github.com/lancegate/lancegate/storage/objstore"
)

// BenchmarkGetRange reads a 4 MiB object in 1 MiB ranges: cold (a new
// cache each time, every block from the store), warm from RAM, and warm
// from disk (RAM tier off).
func BenchmarkGetRange(b *testing.B) {
	const size, span = 4 << 20, 1 << 20
	inner := objstore.NewMemory()
	putObj(b, inner, dataKey, pattern(size, 1))
	read := func(b *testing.B, s *Store) {
		for off := int64(0); off < size; off += span {
			if _, err := s.GetRange(b.Context(), dataKey, off, span); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("cold", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			b.StopTimer()
			s, err := New(inner, Options{RAMBytes: 64 << 20})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			read(b, s)
			b.StopTimer()
			s.Close()
			b.StartTimer()
		}
	})
	b.Run("warm-ram", func(b *testing.B) {
		s := newCache(b, inner, Options{RAMBytes: 64 << 20})
		read(b, s)
		b.SetBytes(size)
		for b.Loop() {
			read(b, s)
		}
	})
	b.Run("warm-disk", func(b *testing.B) {
		s := newCache(b, inner, Options{RAMBytes: -1, DiskDir: b.TempDir()})
		read(b, s)
		b.SetBytes(size)
		for b.Loop() {
			read(b, s)
		}
	})
}
