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
//   - az://container/prefix, abfss://container@account.dfs.core.windows.net/prefix
//     or https://account.blob.core.windows.net/container/prefix: an Azure
//     store (see ParseAzure for the options, named as Lance names them).
//     Open checks that the container exists and the credentials work.
//
// options are storage options; only Azure reads them, and a non-empty map
// for another scheme is an error rather than silently ignored. Any other
// scheme is ErrUnsupportedScheme.
func Open(ctx context.Context, uri string, options map[string]string) (Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("objstore: open %q: %w", uri, err)
	}
	if uri == "" {
		return nil, errors.New("objstore: open: empty storage URI")
	}
	scheme, ok := uriScheme(uri)
	if IsAzureURI(uri) {
		cfg, err := ParseAzure(uri, options)
		if err != nil {
			return nil, err
		}
		a, err := NewAzure(cfg, nil)
		if err != nil {
			return nil, err
		}
		if err := a.Check(ctx); err != nil {
			return nil, err
		}
		return a, nil
	}
	if len(options) > 0 {
		return nil, fmt.Errorf("objstore: open %q: storage options apply only to Azure storage", uri)
	}
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

// isAzureScheme reports the URI schemes Lance uses for Azure Blob Storage.
func isAzureScheme(scheme string) bool {
	switch scheme {
	case "az", "azure", "abfs", "abfss":
		return true
	}
	return false
}

// IsAzureURI reports whether Open treats uri as an Azure storage location.
func IsAzureURI(uri string) bool {
	scheme, _ := uriScheme(uri)
	if isAzureScheme(scheme) {
		return true
	}
	if scheme != "https" && scheme != "http" {
		return false
	}
	u, err := url.Parse(uri)
	return err == nil && strings.Contains(u.Hostname(), ".blob.")
}
