package lance

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/lancegate/lancegate/storage/objstore"
)

// namingScheme is how a dataset names its manifests in _versions/.
//
//	V1: version 42 -> "42.manifest"
//	V2: version 42 -> "18446744073709551573.manifest" (u64 max - 42, 20 digits),
//	    so that a lexical listing yields the newest version first.
type namingScheme int

const (
	schemeV1 namingScheme = 1
	schemeV2 namingScheme = 2
)

const (
	versionsDir     = "_versions"
	manifestSuffix  = ".manifest"
	v2ManifestChars = 20 + len(manifestSuffix)
)

func (s namingScheme) name(version uint64) string {
	if s == schemeV1 {
		return strconv.FormatUint(version, 10) + manifestSuffix
	}
	return fmt.Sprintf("%020d%s", uint64(math.MaxUint64)-version, manifestSuffix)
}

// parseManifestName returns the version and scheme of a manifest file name,
// or ok=false for names that are not committed manifests (staging files
// "….manifest-{uuid}", detached "d…" versions, latest_version_hint.json).
func parseManifestName(name string) (uint64, namingScheme, bool) {
	if !strings.HasSuffix(name, manifestSuffix) {
		return 0, 0, false
	}
	digits := strings.TrimSuffix(name, manifestSuffix)
	v, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	if len(name) == v2ManifestChars {
		return math.MaxUint64 - v, schemeV2, true
	}
	return v, schemeV1, true
}

// manifestRef is one committed manifest found in a listing.
type manifestRef struct {
	version uint64
	scheme  namingScheme
	key     string
	size    int64
}

// listManifests lists every committed manifest of the dataset at root,
// refusing a directory that mixes naming schemes as pylance does.
func listManifests(ctx context.Context, store objstore.Store, root string) ([]manifestRef, error) {
	prefix := objstore.Join(root, versionsDir) + "/"
	var refs []manifestRef
	var scheme namingScheme
	for info, err := range store.List(ctx, prefix) {
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, err)
		}
		name := strings.TrimPrefix(info.Key, prefix)
		if strings.Contains(name, "/") {
			continue
		}
		v, s, ok := parseManifestName(name)
		if !ok {
			continue
		}
		if scheme != 0 && s != scheme {
			return nil, fmt.Errorf("%w: %s mixes V1 and V2 manifest names", ErrCorrupt, prefix)
		}
		scheme = s
		refs = append(refs, manifestRef{version: v, scheme: s, key: info.Key, size: info.Size})
	}
	return refs, nil
}

// latestManifest finds the newest committed manifest. With V2 names the
// first listed name is the newest, so the listing stops there.
func latestManifest(ctx context.Context, store objstore.Store, root string) (manifestRef, error) {
	prefix := objstore.Join(root, versionsDir) + "/"
	var best manifestRef
	found := false
	for info, err := range store.List(ctx, prefix) {
		if err != nil {
			return manifestRef{}, fmt.Errorf("list %s: %w", prefix, err)
		}
		name := strings.TrimPrefix(info.Key, prefix)
		if strings.Contains(name, "/") {
			continue
		}
		v, s, ok := parseManifestName(name)
		if !ok {
			continue
		}
		if found && s != best.scheme {
			return manifestRef{}, fmt.Errorf("%w: %s mixes V1 and V2 manifest names", ErrCorrupt, prefix)
		}
		if s == schemeV2 {
			// The lexically first V2 name is the newest version. A mixed
			// directory is detected here only when a V1 name sorts first;
			// full listings (ListVersions, commits) always detect it.
			return manifestRef{version: v, scheme: s, key: info.Key, size: info.Size}, nil
		}
		if !found || v > best.version {
			best = manifestRef{version: v, scheme: s, key: info.Key, size: info.Size}
		}
		found = true
	}
	if !found {
		return manifestRef{}, fmt.Errorf("%w: no manifest under %s", ErrNotFound, prefix)
	}
	return best, nil
}

// findManifest locates version v: the V2 name first, then the V1 name.
func findManifest(ctx context.Context, store objstore.Store, root string, v uint64) (manifestRef, error) {
	for _, s := range []namingScheme{schemeV2, schemeV1} {
		key := objstore.Join(root, versionsDir, s.name(v))
		info, err := store.Stat(ctx, key)
		if err == nil {
			return manifestRef{version: v, scheme: s, key: key, size: info.Size}, nil
		}
		if !errors.Is(err, objstore.ErrNotExist) {
			return manifestRef{}, fmt.Errorf("stat %s: %w", key, err)
		}
	}
	return manifestRef{}, fmt.Errorf("%w: version %d of %s", ErrNotFound, v, root)
}

// VersionInfo describes one committed version of a dataset.
type VersionInfo struct {
	// Version is the version number, from 1.
	Version uint64
	// Timestamp is when the version was committed.
	Timestamp time.Time
	// Operation names the transaction that made it ("Append", "Delete", …),
	// or "" when the transaction is not recorded.
	Operation string
	// Rows is the number of visible rows.
	Rows uint64
	// Fragments is the number of fragments.
	Fragments int
}
