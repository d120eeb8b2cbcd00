package objstore

import (
	"context"
	"io"
	"iter"
	"strings"
	"time"
)

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	// Key is the object's key relative to the store root.
	Key string
	// Size is the object's length in bytes.
	Size int64
	// ETag changes whenever the object's content changes. Caches key
	// immutable objects by Key and ETag.
	ETag string
	// LastModified is when the object was last written.
	LastModified time.Time
}

// Store is an object store rooted at some location. Implementations are safe
// for concurrent use. Every method honours ctx cancellation and deadlines.
type Store interface {
	// GetRange returns length bytes of key starting at off. A negative length
	// reads to the end of the object. Reading past the end returns the bytes
	// that exist; an offset beyond the end is ErrInvalidRange. A missing key
	// is ErrNotExist. The returned slice belongs to the caller.
	GetRange(ctx context.Context, key string, off, length int64) ([]byte, error)

	// Stat returns the object's size and ETag, or ErrNotExist.
	Stat(ctx context.Context, key string) (ObjectInfo, error)

	// List yields the objects whose keys start with prefix, in lexical order
	// of their keys, fetching lazily. Iteration stops at the first error,
	// which is yielded with a zero ObjectInfo.
	List(ctx context.Context, prefix string) iter.Seq2[ObjectInfo, error]

	// Put writes the bytes read from r under key, replacing any object there.
	// Readers see either the old object or the whole new one.
	Put(ctx context.Context, key string, r io.Reader) error

	// PutIfAbsent writes data under key only if no object has that key, in
	// one atomic step. If one does, it returns ErrPreconditionFailed and
	// changes nothing.
	PutIfAbsent(ctx context.Context, key string, data []byte) error

	// Delete removes key. Deleting a missing key succeeds.
	Delete(ctx context.Context, key string) error
}

// Join joins key segments with "/", ignoring empty ones.
func Join(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		p = strings.Trim(p, "/")
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		b.WriteString(p)
	}
	return b.String()
}

// ValidKey reports whether key is a clean relative key: not empty, no
// leading or trailing slash, no empty, "." or ".." segments.
func ValidKey(key string) bool {
	if key == "" || strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") {
		return false
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// ReadAll reads a whole object.
func ReadAll(ctx context.Context, s Store, key string) ([]byte, error) {
	return s.GetRange(ctx, key, 0, -1)
}
