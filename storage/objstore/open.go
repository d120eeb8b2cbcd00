package objstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// ErrUnsupportedScheme reports a storage URI whose scheme has no backend in
// this build. Test it with errors.Is.
var ErrUnsupportedScheme = errors.New("unsupported storage scheme")

// Open returns the Store a storage URI (the --storage flag) names:
//
//   - a plain path, absolute or relative to the working directory, or
//     file:///abs/path: a Local store rooted there, created if absent;
//   - memory:// or memory://name: a new, empty Memory store (the name only
//     labels it; every call returns a fresh store);
//   - az://container/prefix: Azure Blob Storage, which this build does not
//     have yet (ErrUnsupportedScheme).
//
// Any other scheme is ErrUnsupportedScheme.
func Open(ctx context.Context, uri string) (Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("objstore: open %q: %w", uri, err)
	}
	if uri == "" {
		return nil, errors.New("objstore: open: empty storage URI")
	}
	scheme, ok := uriScheme(uri)
	if !ok {
		return openLocal(uri)
	}
	switch scheme {
	case "file":
		u, err := url.Parse(uri)
		if err != nil {
			return nil, fmt.Errorf("objstore: open %q: %w", uri, err)
		}
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("objstore: open %q: file URI with host %q; want file:///absolute/path", uri, u.Host)
		}
		if u.Path == "" || !filepath.IsAbs(filepath.FromSlash(u.Path)) {
			return nil, fmt.Errorf("objstore: open %q: file URI needs an absolute path (file:///absolute/path)", uri)
		}
		return openLocal(filepath.FromSlash(u.Path))
	case "memory":
		return NewMemory(), nil
	case "az":
		return nil, fmt.Errorf("objstore: open %q: %w: the Azure Blob Storage backend is not built yet", uri, ErrUnsupportedScheme)
	}
	return nil, fmt.Errorf("objstore: open %q: %w %q", uri, ErrUnsupportedScheme, scheme)
}

// openLocal opens a Local store at path, relative to the working directory
// unless absolute.
func openLocal(path string) (Store, error) {
	l, err := NewLocal(path)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// uriScheme returns the lower-cased scheme of a URI of the form
// scheme://rest, and false for anything else (a plain path).
func uriScheme(uri string) (string, bool) {
	i := strings.Index(uri, "://")
	if i <= 0 {
		return "", false
	}
	scheme := uri[:i]
	for j, c := range scheme {
		alpha := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !alpha && (j == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return "", false
		}
	}
	return strings.ToLower(scheme), true
}
