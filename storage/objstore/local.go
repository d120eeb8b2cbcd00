package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// stagingPrefix starts the names of the files Put and PutIfAbsent stage
// before publishing them. List skips them and keys may not use it.
const stagingPrefix = ".lgtmp-"

// chunkSize is how many bytes Local reads between two checks of its
// context.
const chunkSize = 1 << 20

// mkdirAttempts bounds how often Put and PutIfAbsent recreate a parent
// directory that a concurrent Delete pruned before the staged file landed.
const mkdirAttempts = 8

// Local is a Store backed by a directory of the local filesystem. A key maps
// to the file at root/key. Because a filesystem path cannot be a file and a
// directory at once, a key cannot also be a proper prefix of another key
// followed by "/" (an object "a" and an object "a/b" cannot coexist), a
// limitation the cloud backends do not have; Lance's layout never needs both.
//
// Put stages the new content in a file named with the ".lgtmp-" prefix in the
// destination directory, syncs it and renames it over the key; PutIfAbsent
// hard-links its staged file to the key, which fails atomically when the key
// exists. The filesystem must therefore support rename and hard links within
// a directory. Delete removes directories it leaves empty, up to the root.
type Local struct {
	root string
}

// NewLocal returns a Local store rooted at root, creating the directory if it
// is absent. A relative root is resolved against the working directory.
func NewLocal(root string) (*Local, error) {
	if root == "" {
		return nil, errors.New("objstore: local root is empty")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("objstore: local root %q: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("objstore: create local root: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("objstore: local root: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("objstore: local root %s is not a directory", abs)
	}
	return &Local{root: abs}, nil
}

// Root returns the absolute directory the store is rooted at.
func (l *Local) Root() string { return l.root }

// path returns the file that holds key, or ErrInvalidKey.
func (l *Local) path(op, key string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("local %s %q: %w", op, key, ErrInvalidKey)
	}
	if strings.HasPrefix(key[strings.LastIndexByte(key, '/')+1:], stagingPrefix) {
		return "", fmt.Errorf("local %s %q: %w: names starting with %q are reserved for staging", op, key, ErrInvalidKey, stagingPrefix)
	}
	return filepath.Join(l.root, filepath.FromSlash(key)), nil
}

// notExist reports whether err means that no file is at a path: either the
// path is missing or one of its parents is a file.
func notExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// GetRange implements Store.
func (l *Local) GetRange(ctx context.Context, key string, off, length int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("local get %q: %w", key, err)
	}
	p, err := l.path("get", key)
	if err != nil {
		return nil, err
	}
	if off < 0 {
		return nil, fmt.Errorf("local get %q: offset %d: %w", key, off, ErrInvalidRange)
	}
	f, err := os.Open(p)
	if notExist(err) {
		return nil, fmt.Errorf("local get %q: %w: %w", key, ErrNotExist, err)
	}
	if err != nil {
		return nil, fmt.Errorf("local get %q: %w", key, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("local get %q: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("local get %q: %w", key, ErrNotExist)
	}
	size := fi.Size()
	if off > size {
		return nil, fmt.Errorf("local get %q: offset %d beyond size %d: %w", key, off, size, ErrInvalidRange)
	}
	n := size - off
	if length >= 0 && length < n {
		n = length
	}
	buf := make([]byte, n)
	for done := int64(0); done < n; {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("local get %q: %w", key, err)
		}
		m, err := f.ReadAt(buf[done:min(n, done+chunkSize)], off+done)
		done += int64(m)
		if errors.Is(err, io.EOF) {
			// The file is shorter than Stat said: return what exists.
			return buf[:done], nil
		}
		if err != nil {
			return nil, fmt.Errorf("local get %q: %w", key, err)
		}
	}
	return buf, nil
}

// Stat implements Store.
func (l *Local) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return ObjectInfo{}, fmt.Errorf("local stat %q: %w", key, err)
	}
	p, err := l.path("stat", key)
	if err != nil {
		return ObjectInfo{}, err
	}
	fi, err := os.Stat(p)
	if notExist(err) {
		return ObjectInfo{}, fmt.Errorf("local stat %q: %w: %w", key, ErrNotExist, err)
	}
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("local stat %q: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		return ObjectInfo{}, fmt.Errorf("local stat %q: %w", key, ErrNotExist)
	}
	return localInfo(key, fi), nil
}

// localInfo describes the file fi as the object key. The ETag combines size,
// modification time in nanoseconds and the file's identity (its inode), so
// replacing a file changes it even when size and time coincide.
func localInfo(key string, fi fs.FileInfo) ObjectInfo {
	mt := fi.ModTime()
	return ObjectInfo{
		Key:          key,
		Size:         fi.Size(),
		ETag:         fmt.Sprintf("%x-%x-%x", fi.Size(), mt.UnixNano(), fileID(fi)),
		LastModified: mt,
	}
}

// List implements Store. It walks directories depth first, reading one
// directory at a time and ordering its entries so that the keys come out in
// lexical order of the whole key: a directory "a" sorts as "a/", after a
// sibling file "a.b" and before "a0".
func (l *Local) List(ctx context.Context, prefix string) iter.Seq2[ObjectInfo, error] {
	return func(yield func(ObjectInfo, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(ObjectInfo{}, fmt.Errorf("local list %q: %w", prefix, err))
			return
		}
		dir, rest := "", prefix
		if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
			dir, rest = prefix[:i], prefix[i+1:]
			if !ValidKey(dir) {
				return // no valid key has this prefix
			}
		}
		l.walk(ctx, dir, rest, yield)
	}
}

// listEntry is one directory entry in key order.
type listEntry struct {
	name  string // file or directory name
	sort  string // name, with "/" appended for a directory
	isDir bool
}

// walk yields the objects under the directory dirKey ("" for the root)
// whose names start with filter, in key order. It reports whether the
// consumer wants more.
func (l *Local) walk(ctx context.Context, dirKey, filter string, yield func(ObjectInfo, error) bool) bool {
	if err := ctx.Err(); err != nil {
		yield(ObjectInfo{}, fmt.Errorf("local list: %w", err))
		return false
	}
	dir := filepath.Join(l.root, filepath.FromSlash(dirKey))
	entries, err := os.ReadDir(dir)
	if notExist(err) {
		return true
	}
	if err != nil {
		yield(ObjectInfo{}, fmt.Errorf("local list %q: %w", dirKey, err))
		return false
	}
	list := make([]listEntry, 0, len(entries))
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, filter) {
			continue
		}
		mode := e.Type()
		if mode&fs.ModeSymlink != 0 {
			// Follow links, as GetRange and Stat do.
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				continue // dangling
			}
			mode = fi.Mode().Type()
		}
		switch {
		case mode.IsDir():
			list = append(list, listEntry{name: name, sort: name + "/", isDir: true})
		case mode.IsRegular() && !strings.HasPrefix(name, stagingPrefix):
			list = append(list, listEntry{name: name, sort: name})
		}
	}
	slices.SortFunc(list, func(a, b listEntry) int { return strings.Compare(a.sort, b.sort) })
	for _, e := range list {
		key := e.name
		if dirKey != "" {
			key = dirKey + "/" + e.name
		}
		if e.isDir {
			if !l.walk(ctx, key, "", yield) {
				return false
			}
			continue
		}
		if err := ctx.Err(); err != nil {
			yield(ObjectInfo{}, fmt.Errorf("local list: %w", err))
			return false
		}
		fi, err := os.Stat(filepath.Join(dir, e.name))
		if notExist(err) || err == nil && !fi.Mode().IsRegular() {
			continue // replaced since the directory was read
		}
		if err != nil {
			yield(ObjectInfo{}, fmt.Errorf("local list %q: %w", key, err))
			return false
		}
		if !yield(localInfo(key, fi), nil) {
			return false
		}
	}
	return true
}

// ctxReader fails reads once its context is done, so that copying a stream
// stops between chunks.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Put implements Store.
func (l *Local) Put(ctx context.Context, key string, r io.Reader) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local put %q: %w", key, err)
	}
	p, err := l.path("put", key)
	if err != nil {
		return err
	}
	staged, err := l.stage(ctx, p, ctxReader{ctx: ctx, r: r})
	if err != nil {
		return fmt.Errorf("local put %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		os.Remove(staged)
		return fmt.Errorf("local put %q: %w", key, err)
	}
	if err := os.Rename(staged, p); err != nil {
		os.Remove(staged)
		return fmt.Errorf("local put %q: %w", key, err)
	}
	if err := syncDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("local put %q: %w", key, err)
	}
	return nil
}

// PutIfAbsent implements Store. The staged file is hard-linked to the key's
// path, which the kernel refuses atomically when the path exists.
func (l *Local) PutIfAbsent(ctx context.Context, key string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local put-if-absent %q: %w", key, err)
	}
	p, err := l.path("put-if-absent", key)
	if err != nil {
		return err
	}
	staged, err := l.stage(ctx, p, &sliceReader{ctx: ctx, data: data})
	if err != nil {
		return fmt.Errorf("local put-if-absent %q: %w", key, err)
	}
	// The staged name goes whatever happens; after a successful link the
	// object lives on under the key.
	defer os.Remove(staged)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local put-if-absent %q: %w", key, err)
	}
	if err := os.Link(staged, p); err != nil {
		if errors.Is(err, fs.ErrExist) {
			if fi, serr := os.Lstat(p); serr == nil && fi.IsDir() {
				return fmt.Errorf("local put-if-absent %q: the path is a directory holding other keys: %w", key, err)
			}
			return fmt.Errorf("local put-if-absent %q: %w", key, ErrPreconditionFailed)
		}
		return fmt.Errorf("local put-if-absent %q: %w", key, err)
	}
	if err := syncDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("local put-if-absent %q: %w", key, err)
	}
	return nil
}

// sliceReader reads a byte slice in chunks, failing once its context is
// done.
type sliceReader struct {
	ctx  context.Context
	data []byte
}

func (s *sliceReader) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	if len(s.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), chunkSize)], s.data)
	s.data = s.data[n:]
	return n, nil
}

// stage writes r to a new staging file beside path, creating the parent
// directories, and syncs it. Its modification time is set from the clock
// with full precision, so that the ETag of two quick writes differs even on
// filesystems with coarse timestamps. On error nothing is left behind.
func (l *Local) stage(ctx context.Context, path string, r io.Reader) (string, error) {
	dir := filepath.Dir(path)
	var f *os.File
	for attempt := 0; ; attempt++ {
		if err := l.mkdirAll(dir); err != nil {
			return "", err
		}
		var err error
		f, err = os.CreateTemp(dir, stagingPrefix+"*")
		if err == nil {
			break
		}
		// A concurrent Delete may have pruned dir after mkdirAll.
		if !notExist(err) || attempt == mkdirAttempts {
			return "", err
		}
		if err := ctx.Err(); err != nil {
			return "", err
		}
	}
	name := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(name)
		return "", err
	}
	buf := make([]byte, 32<<10)
	if _, err := io.CopyBuffer(struct{ io.Writer }{f}, r, buf); err != nil {
		return fail(err)
	}
	now := time.Now()
	if err := os.Chtimes(name, now, now); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// mkdirAll creates dir and its missing parents below the root, syncing the
// parent of each directory it creates so that the new entries are durable.
func (l *Local) mkdirAll(dir string) error {
	fi, err := os.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s is a file, not a directory", dir)
		}
		return nil
	}
	if !notExist(err) {
		return err
	}
	if dir == l.root || len(dir) < len(l.root) {
		return os.MkdirAll(dir, 0o755)
	}
	parent := filepath.Dir(dir)
	if err := l.mkdirAll(parent); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(parent)
}

// Delete implements Store. It removes the directories the deletion leaves
// empty, up to but excluding the root; a concurrent Put recreates them.
func (l *Local) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local delete %q: %w", key, err)
	}
	p, err := l.path("delete", key)
	if err != nil {
		return err
	}
	fi, err := os.Lstat(p)
	if notExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("local delete %q: %w", key, err)
	}
	if fi.IsDir() {
		return nil // a prefix of other keys, not an object
	}
	if err := os.Remove(p); err != nil && !notExist(err) {
		return fmt.Errorf("local delete %q: %w", key, err)
	}
	dir := filepath.Dir(p)
	if err := syncDir(dir); err != nil && !notExist(err) {
		return fmt.Errorf("local delete %q: %w", key, err)
	}
	for ; dir != l.root && strings.HasPrefix(dir, l.root+string(filepath.Separator)); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			break // not empty, or already gone
		}
	}
	return nil
}

// syncDir flushes the directory entries of dir to stable storage.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil && syncUnsupported(err) {
		return nil
	}
	return err
}
