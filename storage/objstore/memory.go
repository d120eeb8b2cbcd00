package objstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Memory is a Store held in process memory, for tests and for servers whose
// data may vanish (memory://). It is safe for concurrent use. It copies bytes
// on the way in and out, so callers never alias stored objects, and every
// write gives the object a new ETag.
type Memory struct {
	mu      sync.RWMutex
	objects map[string]memObject
	seq     uint64 // writes so far; the ETag of the latest write
}

// memObject is one stored object. Its data is never modified in place.
type memObject struct {
	data     []byte
	etag     string
	modified time.Time
}

var (
	_ Store = (*Memory)(nil)
	_ Store = (*Local)(nil)
)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{objects: make(map[string]memObject)}
}

// memInfo describes the object o stored under key.
func memInfo(key string, o memObject) ObjectInfo {
	return ObjectInfo{Key: key, Size: int64(len(o.data)), ETag: o.etag, LastModified: o.modified}
}

// memCheck returns the error for an operation on key when ctx is done or the
// key is invalid.
func memCheck(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory %s %q: %w", op, key, err)
	}
	if !ValidKey(key) {
		return fmt.Errorf("memory %s %q: %w", op, key, ErrInvalidKey)
	}
	return nil
}

// lookup returns the object under key, or ErrNotExist.
func (m *Memory) lookup(op, key string) (memObject, error) {
	m.mu.RLock()
	o, ok := m.objects[key]
	m.mu.RUnlock()
	if !ok {
		return memObject{}, fmt.Errorf("memory %s %q: %w", op, key, ErrNotExist)
	}
	return o, nil
}

// GetRange implements Store.
func (m *Memory) GetRange(ctx context.Context, key string, off, length int64) ([]byte, error) {
	if err := memCheck(ctx, "get", key); err != nil {
		return nil, err
	}
	o, err := m.lookup("get", key)
	if err != nil {
		return nil, err
	}
	size := int64(len(o.data))
	if off < 0 || off > size {
		return nil, fmt.Errorf("memory get %q: offset %d of %d bytes: %w", key, off, size, ErrInvalidRange)
	}
	end := size
	if length >= 0 && length < size-off {
		end = off + length
	}
	return append([]byte{}, o.data[off:end]...), nil
}

// Stat implements Store.
func (m *Memory) Stat(ctx context.Context, key string) (ObjectInfo, error) {
	if err := memCheck(ctx, "stat", key); err != nil {
		return ObjectInfo{}, err
	}
	o, err := m.lookup("stat", key)
	if err != nil {
		return ObjectInfo{}, err
	}
	return memInfo(key, o), nil
}

// List implements Store. It takes a sorted snapshot of the matching objects
// when iteration starts.
func (m *Memory) List(ctx context.Context, prefix string) iter.Seq2[ObjectInfo, error] {
	return func(yield func(ObjectInfo, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(ObjectInfo{}, fmt.Errorf("memory list %q: %w", prefix, err))
			return
		}
		m.mu.RLock()
		var infos []ObjectInfo
		for k, o := range m.objects {
			if strings.HasPrefix(k, prefix) {
				infos = append(infos, memInfo(k, o))
			}
		}
		m.mu.RUnlock()
		slices.SortFunc(infos, func(a, b ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
		for _, in := range infos {
			if err := ctx.Err(); err != nil {
				yield(ObjectInfo{}, fmt.Errorf("memory list %q: %w", prefix, err))
				return
			}
			if !yield(in, nil) {
				return
			}
		}
	}
}

// storeLocked records data under key with a fresh ETag. m.mu must be held
// for writing.
func (m *Memory) storeLocked(key string, data []byte) {
	m.seq++
	m.objects[key] = memObject{data: data, etag: strconv.FormatUint(m.seq, 16), modified: time.Now()}
}

// Put implements Store. It reads the whole stream before storing it, so
// readers never see part of it.
func (m *Memory) Put(ctx context.Context, key string, r io.Reader) error {
	if err := memCheck(ctx, "put", key); err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := io.CopyBuffer(&buf, ctxReader{ctx: ctx, r: r}, make([]byte, 32<<10)); err != nil {
		return fmt.Errorf("memory put %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memory put %q: %w", key, err)
	}
	data := buf.Bytes()
	m.mu.Lock()
	m.storeLocked(key, data)
	m.mu.Unlock()
	return nil
}

// PutIfAbsent implements Store.
func (m *Memory) PutIfAbsent(ctx context.Context, key string, data []byte) error {
	if err := memCheck(ctx, "put-if-absent", key); err != nil {
		return err
	}
	own := append([]byte{}, data...)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objects[key]; ok {
		return fmt.Errorf("memory put-if-absent %q: %w", key, ErrPreconditionFailed)
	}
	m.storeLocked(key, own)
	return nil
}

// Delete implements Store.
func (m *Memory) Delete(ctx context.Context, key string) error {
	if err := memCheck(ctx, "delete", key); err != nil {
		return err
	}
	m.mu.Lock()
	delete(m.objects, key)
	m.mu.Unlock()
	return nil
}
