package lance_test

import (
	"context"
	"io"
	"iter"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
)

// hookStore wraps a store with test hooks: a before-hook returning an
// error fails the call without touching the store; mtime overrides the
// modification times List reports.
type hookStore struct {
	objstore.Store
	beforePut         func(ctx context.Context, key string) error
	beforePutIfAbsent func(ctx context.Context, key string) error
	beforeDelete      func(ctx context.Context, key string) error
	mtime             func(key string) (time.Time, bool)
}

var _ objstore.Store = (*hookStore)(nil)

func (h *hookStore) Put(ctx context.Context, key string, r io.Reader) error {
	if h.beforePut != nil {
		if err := h.beforePut(ctx, key); err != nil {
			return err
		}
	}
	return h.Store.Put(ctx, key, r)
}

func (h *hookStore) PutIfAbsent(ctx context.Context, key string, data []byte) error {
	if h.beforePutIfAbsent != nil {
		if err := h.beforePutIfAbsent(ctx, key); err != nil {
			return err
		}
	}
	return h.Store.PutIfAbsent(ctx, key, data)
}

func (h *hookStore) Delete(ctx context.Context, key string) error {
	if h.beforeDelete != nil {
		if err := h.beforeDelete(ctx, key); err != nil {
			return err
		}
	}
	return h.Store.Delete(ctx, key)
}

func (h *hookStore) List(ctx context.Context, prefix string) iter.Seq2[objstore.ObjectInfo, error] {
	return func(yield func(objstore.ObjectInfo, error) bool) {
		for info, err := range h.Store.List(ctx, prefix) {
			if err == nil && h.mtime != nil {
				if t, ok := h.mtime(info.Key); ok {
					info.LastModified = t
				}
			}
			if !yield(info, err) {
				return
			}
		}
	}
}

// fragmented creates a dataset at root with one fragment per entry of
// sizes, holding that many rows, ids counting up from 0 (no fragment for
// an empty sizes).
func fragmented(t testing.TB, store objstore.Store, root string, mem memory.Allocator, sizes ...int) *lance.Dataset {
	t.Helper()
	ctx := context.Background()
	reader := func(first, n int) array.RecordReader {
		rec := rows(mem, first, n)
		defer rec.Release()
		rr, err := array.NewRecordReader(testSchema, []arrow.Record{rec})
		if err != nil {
			t.Fatal(err)
		}
		return rr
	}
	if len(sizes) == 0 {
		ds, err := lance.Create(ctx, store, root, testSchema, nil, lance.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}
	rr := reader(0, sizes[0])
	ds, err := lance.Create(ctx, store, root, testSchema, rr, lance.WriteOptions{})
	rr.Release()
	if err != nil {
		t.Fatal(err)
	}
	next := sizes[0]
	for _, n := range sizes[1:] {
		rr := reader(next, n)
		ds, err = ds.Append(ctx, rr, lance.WriteOptions{})
		rr.Release()
		if err != nil {
			t.Fatal(err)
		}
		next += n
	}
	return ds
}

// countKeys counts the objects under prefix.
func countKeys(t *testing.T, store objstore.Store, prefix string) int {
	t.Helper()
	n := 0
	for _, err := range store.List(context.Background(), prefix) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}
