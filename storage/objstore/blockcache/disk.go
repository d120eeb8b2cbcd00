package blockcache

import (
	"container/list"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// tempPrefix starts the names of block files being written; New deletes
// any it finds (left by a crash between create and rename).
const tempPrefix = "tmp-"

// diskTier keeps blocks as files under dir, bounded in bytes, evicting the
// least recently used. Its index lives in memory and is rebuilt from the
// files (ordered by modification time, which hits refresh) when a Store
// opens the folder again.
type diskTier struct {
	dir       string
	bound     int64
	blockSize int
	log       *slog.Logger
	stats     *counters

	mu     sync.Mutex
	lru    *list.List               // of *diskEntry; front = most recently used
	byName map[string]*list.Element // relative file name → element
	byKey  map[string]map[int64]*list.Element
	bytes  int64
}

// diskEntry is one block file in the index.
type diskEntry struct {
	name string // relative to dir
	key  string
	idx  int64
	size int64 // whole file
}

// openDisk opens (creating if need be) the disk tier in dir, rebuilds its
// index from the block files there and trims it to bound.
func openDisk(dir string, bound int64, blockSize int, log *slog.Logger, stats *counters) (*diskTier, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("blockcache: disk tier: %w", err)
	}
	d := &diskTier{
		dir: dir, bound: bound, blockSize: blockSize, log: log, stats: stats,
		lru: list.New(), byName: make(map[string]*list.Element), byKey: make(map[string]map[int64]*list.Element),
	}
	type found struct {
		diskEntry
		mtime time.Time
	}
	var all []found
	err := filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if de.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		base := de.Name()
		switch {
		case strings.HasPrefix(base, tempPrefix):
			d.removeFile(rel)
			return nil
		case !strings.HasSuffix(base, blockFileExt):
			return nil // not ours: leave it alone
		}
		info, err := de.Info()
		if err != nil {
			return nil // vanished meanwhile
		}
		h, err := readHeader(path)
		if err != nil || h.blockSize != blockSize || blockName(blockSize, h.key, h.idx) != rel {
			// Corrupt, or from a cache with another block size: it can
			// never be hit, so reclaim its space.
			d.removeFile(rel)
			return nil
		}
		all = append(all, found{diskEntry{name: rel, key: h.key, idx: h.idx, size: info.Size()}, info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("blockcache: disk tier: scan %s: %w", dir, err)
	}
	slices.SortStableFunc(all, func(a, b found) int { return a.mtime.Compare(b.mtime) })
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, f := range all {
		e := f.diskEntry
		d.addLocked(&e) // oldest first, so the newest ends at the front
	}
	d.evictLocked()
	d.log.Debug("blockcache: disk tier opened", "dir", dir, "files", d.lru.Len(), "bytes", d.bytes)
	return d, nil
}

// readHeader reads the naming fields of the block file at path.
func readHeader(path string) (blockHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return blockHeader{}, err
	}
	defer f.Close()
	head := make([]byte, 20)
	if _, err := io.ReadFull(f, head); err != nil {
		return blockHeader{}, errCorrupt
	}
	k := binary.BigEndian.Uint32(head[16:20])
	if k > 1<<20 {
		return blockHeader{}, errCorrupt
	}
	rest := make([]byte, int(k)+8)
	if _, err := io.ReadFull(f, rest); err != nil {
		return blockHeader{}, errCorrupt
	}
	return parseHeader(append(head, rest...))
}

// path is the absolute path of a relative block file name.
func (d *diskTier) path(name string) string { return filepath.Join(d.dir, name) }

// removeFile deletes a block file, logging failures other than absence.
func (d *diskTier) removeFile(name string) {
	if err := os.Remove(d.path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		d.log.Warn("blockcache: remove block file", "file", name, "err", err)
	}
}

// addLocked puts e at the front of the index, replacing an entry of the
// same name. d.mu must be held.
func (d *diskTier) addLocked(e *diskEntry) {
	if el, ok := d.byName[e.name]; ok {
		d.dropLocked(el)
	}
	el := d.lru.PushFront(e)
	d.byName[e.name] = el
	m := d.byKey[e.key]
	if m == nil {
		m = make(map[int64]*list.Element)
		d.byKey[e.key] = m
	}
	m[e.idx] = el
	d.bytes += e.size
	d.stats.diskBytes.Store(d.bytes)
}

// dropLocked removes el from the index (not the file). d.mu must be held.
func (d *diskTier) dropLocked(el *list.Element) {
	e := el.Value.(*diskEntry)
	d.lru.Remove(el)
	delete(d.byName, e.name)
	if m := d.byKey[e.key]; m[e.idx] == el {
		delete(m, e.idx)
		if len(m) == 0 {
			delete(d.byKey, e.key)
		}
	}
	d.bytes -= e.size
	d.stats.diskBytes.Store(d.bytes)
}

// evictLocked deletes least recently used files until the tier is within
// its bound. d.mu must be held, so no write of the same name interleaves.
func (d *diskTier) evictLocked() {
	for d.bytes > d.bound {
		el := d.lru.Back()
		if el == nil {
			return
		}
		d.dropLocked(el)
		d.removeFile(el.Value.(*diskEntry).name)
		d.stats.diskEvictions.Add(1)
	}
}

// get returns block idx of key if a sound file holds it. A corrupt or
// short file is deleted and reported as a miss.
func (d *diskTier) get(key string, idx int64) ([]byte, bool) {
	name := blockName(d.blockSize, key, idx)
	d.mu.Lock()
	el, ok := d.byName[name]
	if ok {
		d.lru.MoveToFront(el)
	}
	d.mu.Unlock()
	if !ok {
		return nil, false
	}
	b, err := os.ReadFile(d.path(name))
	if err == nil {
		var data []byte
		if data, err = decodeBlock(b, d.blockSize, key, idx); err == nil {
			// Refresh the modification time so that a restart rebuilds
			// the same LRU order. A failure costs only that order.
			now := time.Now()
			_ = os.Chtimes(d.path(name), now, now)
			return data, true
		}
	}
	if !errors.Is(err, fs.ErrNotExist) { // else evicted meanwhile
		d.log.Warn("blockcache: unreadable block file, dropping it", "file", name, "key", key, "block", idx, "err", err)
	}
	d.mu.Lock()
	if cur, ok := d.byName[name]; ok && cur == el {
		d.dropLocked(el)
		d.removeFile(name)
	}
	d.mu.Unlock()
	return nil, false
}

// put writes block idx of key: to a temporary file, then renamed into
// place, so a reader never sees a partial file under the final name.
func (d *diskTier) put(key string, idx int64, data []byte) error {
	name := blockName(d.blockSize, key, idx)
	final := d.path(name)
	sub := filepath.Dir(final)
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return fmt.Errorf("blockcache: disk put: %w", err)
	}
	f, err := os.CreateTemp(sub, tempPrefix+"*")
	if err != nil {
		return fmt.Errorf("blockcache: disk put: %w", err)
	}
	buf := encodeBlock(d.blockSize, key, idx, data)
	_, werr := f.Write(buf)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("blockcache: disk put: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := os.Rename(f.Name(), final); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("blockcache: disk put: %w", err)
	}
	d.addLocked(&diskEntry{name: name, key: key, idx: idx, size: int64(len(buf))})
	d.evictLocked()
	return nil
}

// invalidate deletes every block file of key.
func (d *diskTier) invalidate(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	els := make([]*list.Element, 0, len(d.byKey[key]))
	for _, el := range d.byKey[key] {
		els = append(els, el)
	}
	for _, el := range els {
		d.dropLocked(el)
		d.removeFile(el.Value.(*diskEntry).name)
	}
}
