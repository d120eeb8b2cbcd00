package blockcache

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lancegate/lancegate/storage/objstore"
)

const dataKey = "t.lance/data/abc.lance"

// blockFiles returns the block files under dir.
func blockFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !de.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mustRead reads [off, off+length) of key through s and checks it against data.
func mustRead(t *testing.T, s objstore.Store, data []byte, off, length int64) {
	t.Helper()
	got, err := s.GetRange(t.Context(), dataKey, off, length)
	if err != nil {
		t.Fatalf("GetRange(%d, %d) = %v", off, length, err)
	}
	if c, ok := s.(*Store); ok {
		c.flushDisk() // disk fills are asynchronous
	}
	end := int64(len(data))
	if length >= 0 {
		end = min(end, off+length)
	}
	if !bytes.Equal(got, data[off:end]) {
		t.Fatalf("GetRange(%d, %d) returned wrong bytes", off, length)
	}
}

func TestRAMHit(t *testing.T) {
	inner := &counting{Store: objstore.NewMemory()}
	data := pattern(1000, 1)
	putObj(t, inner, dataKey, data)
	s := newCache(t, inner, Options{BlockSize: 100, RAMBytes: 1 << 20})
	mustRead(t, s, data, 150, 300) // blocks 1..4
	cold := s.Stats()
	if cold.BytesFromStore != 400 || cold.RAMMisses != 4 || cold.RAMHits != 0 {
		t.Fatalf("cold stats = %+v; want 400 bytes from the store, 4 RAM misses", cold)
	}
	gets := inner.gets.Load()
	mustRead(t, s, data, 150, 300)
	mustRead(t, s, data, 200, 100)
	warm := s.Stats()
	if warm.BytesFromStore != cold.BytesFromStore || inner.gets.Load() != gets {
		t.Fatalf("warm reads went to the store: stats %+v, %d gets (was %d)", warm, inner.gets.Load(), gets)
	}
	if warm.RAMHits != 5 || warm.BytesFromCache != 500 || warm.RAMBytes != 400 {
		t.Fatalf("warm stats = %+v; want 5 RAM hits, 500 bytes from cache, 400 RAM bytes", warm)
	}
	// The caller owns the answer.
	got, _ := s.GetRange(t.Context(), dataKey, 200, 10)
	clear(got)
	mustRead(t, s, data, 200, 10)
}

func TestDiskSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	inner := &counting{Store: objstore.NewMemory()}
	data := pattern(10_000, 2)
	putObj(t, inner, dataKey, data)
	opts := Options{BlockSize: 1024, RAMBytes: -1, DiskDir: dir, DiskBytes: 1 << 20}
	s := newCache(t, inner, opts)
	mustRead(t, s, data, 0, -1)
	if n := len(blockFiles(t, dir)); n != 10 {
		t.Fatalf("%d block files; want 10", n)
	}
	s.Close()

	inner.gets.Store(0)
	inner.stats.Store(0)
	for _, ram := range []int64{-1, 1 << 20} {
		opts.RAMBytes = ram
		again := newCache(t, inner, opts)
		if got := again.Stats().DiskBytes; got <= 10_000 {
			t.Fatalf("DiskBytes after restart = %d; want the files' size", got)
		}
		mustRead(t, again, data, 3000, 5000) // size unknown, blocks cached: no Stat
		mustRead(t, again, data, 0, -1)
		mustRead(t, again, data, 9999, 10)
		if g, st := inner.gets.Load(), inner.stats.Load(); g != 0 || st != 0 {
			t.Fatalf("after restart (RAM %d): %d GetRange and %d Stat calls reached the store; want none", ram, g, st)
		}
		if h := again.Stats().DiskHits; h == 0 {
			t.Fatalf("no disk hits after restart")
		}
		again.Close()
	}
}

func TestCorruptBlockFile(t *testing.T) {
	cases := map[string]func(path string) error{
		"truncated": func(p string) error { return os.Truncate(p, 40) },
		"flipped": func(p string) error {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b[len(b)-1] ^= 0xff
			return os.WriteFile(p, b, 0o644)
		},
		"empty": func(p string) error { return os.Truncate(p, 0) },
		"other block": func(p string) error {
			return os.WriteFile(p, encodeBlock(1024, "t.lance/data/other.lance", 0, pattern(1024, 9)), 0o644)
		},
	}
	for name, corrupt := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			inner := &counting{Store: objstore.NewMemory()}
			data := pattern(3000, 3)
			putObj(t, inner, dataKey, data)
			opts := Options{BlockSize: 1024, RAMBytes: -1, DiskDir: dir}
			s := newCache(t, inner, opts)
			mustRead(t, s, data, 0, -1)
			files := blockFiles(t, dir)
			for _, f := range files {
				if err := corrupt(f); err != nil {
					t.Fatal(err)
				}
			}
			gets := inner.gets.Load()
			mustRead(t, s, data, 0, -1) // same Store: index says present, file is bad
			// The three blocks are refetched (consecutive: one request).
			if inner.gets.Load() != gets+1 {
				t.Fatalf("%d GetRange calls after corruption; want 1 refetching the 3 blocks", inner.gets.Load()-gets)
			}
			for _, f := range files {
				if err := corrupt(f); err != nil {
					t.Fatal(err)
				}
			}
			s.Close()
			// A restart drops files whose header is bad at once, and the
			// others when a read finds their payload bad.
			again := newCache(t, inner, opts)
			mustRead(t, again, data, 500, 2000)
			mustRead(t, again, data, 0, -1)
			for _, f := range blockFiles(t, dir) {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				h, err := parseHeader(b)
				if err == nil {
					_, err = decodeBlock(b, h.blockSize, h.key, h.idx)
				}
				if err != nil {
					t.Errorf("block file %s still corrupt after reads: %v", f, err)
				}
			}
		})
	}
}

func TestDiskBoundAfterRestart(t *testing.T) {
	dir := t.TempDir()
	inner := objstore.NewMemory()
	data := pattern(100*1024, 4)
	putObj(t, inner, dataKey, data)
	opts := Options{BlockSize: 1024, RAMBytes: -1, DiskDir: dir, DiskBytes: 1 << 20}
	s := newCache(t, inner, opts)
	mustRead(t, s, data, 0, -1)
	if n := len(blockFiles(t, dir)); n != 100 {
		t.Fatalf("%d block files; want 100", n)
	}
	// A leftover temporary file from a crash.
	tmp := filepath.Join(dir, "ab", tempPrefix+"123")
	if err := os.MkdirAll(filepath.Dir(tmp), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmp, []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Touch the blocks of the last 10 KiB so they are the most recent.
	mustRead(t, s, data, 90*1024, -1)
	s.Close()

	opts.DiskBytes = 20 * 1024
	again := newCache(t, inner, opts)
	st := again.Stats()
	if st.DiskBytes > opts.DiskBytes || st.DiskEvictions == 0 {
		t.Fatalf("after restart with a smaller bound: %+v; want DiskBytes <= %d and evictions", st, opts.DiskBytes)
	}
	files := blockFiles(t, dir)
	var total int64
	for _, f := range files {
		if strings.Contains(f, tempPrefix) {
			t.Fatalf("temporary file %s survived the restart", f)
		}
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		total += fi.Size()
	}
	if total != st.DiskBytes {
		t.Fatalf("files hold %d bytes; Stats says %d", total, st.DiskBytes)
	}
	// The most recently used blocks survived.
	counted := &counting{Store: inner}
	warm := newCache(t, counted, opts)
	mustRead(t, warm, data, 95*1024, 4*1024)
	if g := counted.gets.Load(); g != 0 {
		t.Fatalf("reading recently used blocks after restart made %d store reads; want 0", g)
	}
	// Filling past the bound evicts.
	mustRead(t, warm, data, 0, 40*1024)
	if st := warm.Stats(); st.DiskBytes > opts.DiskBytes {
		t.Fatalf("DiskBytes = %d; want <= %d", st.DiskBytes, opts.DiskBytes)
	}
}

func TestRAMEviction(t *testing.T) {
	inner := objstore.NewMemory()
	data := pattern(4<<20, 5)
	putObj(t, inner, dataKey, data)
	s := newCache(t, inner, Options{BlockSize: 64 << 10, RAMBytes: 1 << 20})
	mustRead(t, s, data, 0, -1)
	st := s.Stats()
	if st.Evictions == 0 || st.RAMBytes > 1<<20 {
		t.Fatalf("after reading 4 MiB through a 1 MiB RAM tier: %+v; want evictions and RAMBytes <= 1 MiB", st)
	}
	mustRead(t, s, data, 0, -1)
}

func TestManifestNeverCached(t *testing.T) {
	inner := &counting{Store: objstore.NewMemory()}
	const key = "t.lance/_versions/1.manifest"
	s := newCache(t, inner, Options{BlockSize: 16, RAMBytes: 1 << 20, DiskDir: t.TempDir()})
	putObj(t, inner, key, []byte("first manifest content"))
	for _, want := range []string{"first manifest content", "second, longer manifest content"} {
		putObj(t, inner, key, []byte(want)) // behind the cache's back
		for range 2 {
			got, err := objstore.ReadAll(t.Context(), s, key)
			if err != nil || string(got) != want {
				t.Fatalf("ReadAll = %q, %v; want %q", got, err, want)
			}
		}
	}
	if st := s.Stats(); st.RAMHits+st.RAMMisses+st.BytesFromStore != 0 || st.DiskBytes != 0 {
		t.Fatalf("a manifest touched the cache: %+v", st)
	}
}

func TestWriteThroughInvalidates(t *testing.T) {
	s := newCache(t, objstore.NewMemory(), Options{BlockSize: 8, RAMBytes: 1 << 20, DiskDir: t.TempDir()})
	putObj(t, s, dataKey, []byte("old content, quite long"))
	if got, _ := objstore.ReadAll(t.Context(), s, dataKey); string(got) != "old content, quite long" {
		t.Fatalf("ReadAll = %q", got)
	}
	putObj(t, s, dataKey, []byte("new"))
	if got, _ := objstore.ReadAll(t.Context(), s, dataKey); string(got) != "new" {
		t.Fatalf("after overwrite through the cache, ReadAll = %q; want %q", got, "new")
	}
	if err := s.Delete(t.Context(), dataKey); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRange(t.Context(), dataKey, 0, 2); err == nil {
		t.Fatalf("GetRange after Delete succeeded; want ErrNotExist")
	}
}

func TestLanceImmutable(t *testing.T) {
	cases := map[string]bool{
		"t.lance/data/abc.lance":                        true,
		"x/t.lance/_indices/uuid/index.idx":             true,
		"x/t.lance/_indices/uuid/auxiliary.idx":         true,
		"t.lance/_deletions/1-2-3.arrow":                true,
		"t.lance/_transactions/3-uuid.txn":              true,
		"t.lance/_versions/1.manifest":                  false,
		"t.lance/_latest.manifest":                      false,
		"data/t.lance/_versions/2.manifest":             false,
		"data/_lancegate/tables/t.json":                 false,
		"t.lance/data/notes.txt":                        false,
		"data/t.lance/data/abc.lance":                   true,
		"abc.lance":                                     false,
		"_lancegate/jobs/1.json":                        false,
		"t.lance/_versions/_indices/x":                  false,
		"root/_indices":                                 false,
		"t.lance/_indices/2f6a1c9e-1b1e-4a53/index.idx": true,
	}
	for key, want := range cases {
		if got := LanceImmutable(key); got != want {
			t.Errorf("LanceImmutable(%q) = %v; want %v", key, got, want)
		}
	}
}

func TestOptions(t *testing.T) {
	inner := objstore.NewMemory()
	for name, opts := range map[string]Options{
		"negative block":  {BlockSize: -1},
		"huge block":      {BlockSize: 2 << 30},
		"negative disk":   {DiskDir: t.TempDir(), DiskBytes: -1},
		"RAM below block": {BlockSize: 8 << 20, RAMBytes: 4 << 20},
	} {
		if _, err := New(inner, opts); err == nil {
			t.Errorf("New with %s succeeded; want an error", name)
		}
	}
	s := newCache(t, inner, Options{})
	if s.blockSize != DefaultBlockSize || s.ram == nil || s.disk != nil {
		t.Fatalf("defaults: block %d, ram %v, disk %v", s.blockSize, s.ram != nil, s.disk != nil)
	}
	for _, c := range []struct {
		ram          int64
		block        int
		shards, mibs int
	}{
		{DefaultRAMBytes, DefaultBlockSize, 64, 512},
		{64 << 20, DefaultBlockSize, 32, 64},
		{1 << 20, DefaultBlockSize, 1, 1},
		{1<<20 + 5, 100, 32, 1},
		{100, 100, 32, 1},
	} {
		cfg, err := ramConfig(c.ram, c.block)
		if err != nil || cfg.Shards != c.shards || cfg.HardMaxCacheSize != c.mibs {
			t.Errorf("ramConfig(%d, %d) = %d shards, %d MiB, %v; want %d, %d", c.ram, c.block, cfg.Shards, cfg.HardMaxCacheSize, err, c.shards, c.mibs)
		}
	}
}

func TestPrewarm(t *testing.T) {
	inner := &counting{Store: objstore.NewMemory()}
	data := pattern(100*64+5, 10)
	putObj(t, inner, dataKey, data)
	putObj(t, inner, "t.lance/_versions/1.manifest", []byte("m"))
	s := newCache(t, inner, Options{BlockSize: 64, RAMBytes: 1 << 20})
	if err := s.Prewarm(t.Context(), []string{dataKey, "t.lance/_versions/1.manifest"}); err != nil {
		t.Fatalf("Prewarm = %v", err)
	}
	if got := s.Stats().BytesFromStore; got != uint64(len(data)) {
		t.Fatalf("Prewarm read %d bytes; want %d", got, len(data))
	}
	gets := inner.gets.Load()
	mustRead(t, s, data, 0, -1)
	if inner.gets.Load() != gets {
		t.Fatalf("read after Prewarm reached the store")
	}
	if err := s.Prewarm(t.Context(), []string{"t.lance/data/missing.lance"}); err == nil {
		t.Fatalf("Prewarm of a missing key succeeded")
	}
}
