package blockcache

import "strings"

// LanceImmutable reports whether key names one of a Lance dataset's
// immutable files, which the cache may keep forever:
//
//   - data files: <dataset>/data/<name>.lance
//   - deletion files: <dataset>/_deletions/<name>
//   - transaction files: <dataset>/_transactions/<name>
//   - index files: anything under <dataset>/_indices/
//
// Manifests (anything under _versions/, _latest.manifest) and lancegate's
// own mutable records (_lancegate/…) are never cacheable, whatever folder
// names precede them, so a storage root that happens to contain a folder
// called "data" does not make its manifests cacheable.
func LanceImmutable(key string) bool {
	segs := strings.Split(key, "/")
	if len(segs) < 2 {
		return false
	}
	for _, s := range segs {
		if s == "_versions" || s == "_latest.manifest" || s == "_lancegate" {
			return false
		}
	}
	name, parent := segs[len(segs)-1], segs[len(segs)-2]
	switch parent {
	case "data":
		return strings.HasSuffix(name, ".lance")
	case "_deletions", "_transactions":
		return true
	}
	for _, s := range segs[:len(segs)-1] {
		if s == "_indices" {
			return true
		}
	}
	return false
}
