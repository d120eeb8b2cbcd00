package lance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/lancegate/lancegate/storage/lance/deletion"
	"github.com/lancegate/lancegate/storage/lance/pb"
	"github.com/lancegate/lancegate/storage/objstore"
)

// Old-version cleanup, as pylance's cleanup_old_versions does it: remove the
// manifests of expired versions, then every file that only they referenced.
// The doc.go essay states the rules and why the order is crash safe.

const (
	indicesDir = "_indices"
	tagsDir    = "_refs/tags"
	branchDir  = "_refs/branches"
	// cleanupParallelism bounds the manifest reads and deletes in flight.
	cleanupParallelism = 16
)

// CleanupOptions configures CleanupOldVersions.
type CleanupOptions struct {
	// OlderThan is the retention, and must be positive. Versions committed
	// before Now-OlderThan (the cutoff) are removed, except the latest
	// version and tagged ones. Files that no manifest references at all
	// (those of failed or still running commits) are removed once their
	// modification time is before the cutoff, so OlderThan must also
	// exceed the longest time a writer takes from uploading a file to
	// committing it; pylance uses a fixed 7 days for that.
	OlderThan time.Duration
	// Now is the time the retention is counted back from; zero means
	// time.Now().
	Now time.Time
	// DeleteUnverified removes the files no manifest references whatever
	// their age. Only safe when nothing writes to the dataset meanwhile.
	DeleteUnverified bool
}

// CleanupStats reports what a cleanup removed.
type CleanupStats struct {
	// VersionsRemoved counts the manifests deleted.
	VersionsRemoved uint64
	// FilesRemoved counts the data, deletion, transaction and index files
	// deleted (manifests not included).
	FilesRemoved uint64
	// BytesRemoved sums the sizes of every object deleted, manifests
	// included.
	BytesRemoved uint64
}

// CleanupOldVersions removes the versions of the dataset at root that are
// older than the retention, and then the files no remaining version
// references. It never removes the latest version, a tagged version
// (_refs/tags/*.json) or a file a remaining version references, and it
// refuses datasets with branches or with features it does not understand.
//
// It is safe against writers committing meanwhile: versions newer than
// the ones it listed are read again before any data file is deleted, and
// files no manifest references are kept until they are older than the
// cutoff. If it stops half-way (an error, a crash), every remaining version
// is still readable, and the next run finishes the job.
func CleanupOldVersions(ctx context.Context, store objstore.Store, root string, opts CleanupOptions) (CleanupStats, error) {
	if opts.OlderThan <= 0 {
		return CleanupStats{}, fmt.Errorf("cleanup %s: retention %v: OlderThan must be positive", root, opts.OlderThan)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	cutoff := now.Add(-opts.OlderThan)
	c := &cleaner{store: store, root: root, cutoff: cutoff, opts: opts, keep: newFileSet(), verified: newFileSet()}
	stats, err := c.run(ctx)
	if err != nil {
		return stats, fmt.Errorf("cleanup %s: %w", root, err)
	}
	slog.Debug("lance: cleaned up old versions", "root", root, "cutoff", cutoff,
		"versions_removed", stats.VersionsRemoved, "files_removed", stats.FilesRemoved, "bytes_removed", stats.BytesRemoved)
	return stats, nil
}

// cleaner is one cleanup run.
type cleaner struct {
	store  objstore.Store
	root   string
	cutoff time.Time
	opts   CleanupOptions
	// keep holds the files of the versions that stay; verified those of the
	// versions removed. A file in neither is unverified: it may belong to a
	// commit still running.
	keep, verified *fileSet
	stats          CleanupStats
}

func (c *cleaner) run(ctx context.Context) (CleanupStats, error) {
	if err := c.refuseBranches(ctx); err != nil {
		return c.stats, err
	}
	tagged, err := TaggedVersions(ctx, c.store, c.root)
	if err != nil {
		return c.stats, err
	}
	refs, err := listManifests(ctx, c.store, c.root)
	if err != nil {
		return c.stats, err
	}
	if len(refs) == 0 {
		return c.stats, fmt.Errorf("%w: no manifest under %s", ErrNotFound, objstore.Join(c.root, versionsDir))
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].version < refs[j].version })
	latest := refs[len(refs)-1].version

	// Decide from every manifest before deleting anything.
	old := make([]bool, len(refs))
	err = forEach(ctx, len(refs), func(ctx context.Context, i int) error {
		ref := refs[i]
		mf, err := c.readManifest(ctx, ref)
		if err != nil {
			return err
		}
		ts := mf.manifest.GetTimestamp().AsTime()
		old[i] = ref.version != latest && !tagged[ref.version] && ts.Before(c.cutoff)
		if old[i] {
			// An index section of a removed version that does not decode
			// only leaves its index files unverified.
			_ = c.verified.addManifest(c.root, mf)
			return nil
		}
		return c.keep.addManifest(c.root, mf)
	})
	if err != nil {
		return c.stats, err
	}

	// Manifests first, oldest first: whatever happens next, the versions
	// left form a contiguous, readable suffix of the history, and the
	// files of the removed ones are found again by the next run.
	for i, ref := range refs {
		if !old[i] {
			continue
		}
		if err := c.store.Delete(ctx, ref.key); err != nil {
			return c.stats, fmt.Errorf("delete manifest of version %d: %w", ref.version, err)
		}
		c.stats.VersionsRemoved++
		c.stats.BytesRemoved += uint64(ref.size)
	}

	// A writer may have committed since the listing: what its versions
	// reference stays.
	if err := c.keepNewer(ctx, latest); err != nil {
		return c.stats, err
	}
	doomed, err := c.unreferenced(ctx)
	if err != nil {
		return c.stats, err
	}
	var mu sync.Mutex
	err = forEach(ctx, len(doomed), func(ctx context.Context, i int) error {
		if err := c.store.Delete(ctx, doomed[i].Key); err != nil {
			return fmt.Errorf("delete %s: %w", doomed[i].Key, err)
		}
		mu.Lock()
		c.stats.FilesRemoved++
		c.stats.BytesRemoved += uint64(doomed[i].Size)
		mu.Unlock()
		return nil
	})
	return c.stats, err
}

// readManifest reads one manifest, refusing features whose files cleanup
// could not account for.
func (c *cleaner) readManifest(ctx context.Context, ref manifestRef) (*manifestFile, error) {
	mf, err := readManifest(ctx, c.store, ref.key, ref.size)
	if err != nil {
		return nil, err
	}
	if bad := mf.manifest.ReaderFeatureFlags &^ readerFlagsUnderstood; bad != 0 {
		return nil, fmt.Errorf("%w: version %d needs reader feature flags %#x (%s)", ErrUnsupported, ref.version, bad, unsupportedReaderReason)
	}
	return mf, nil
}

// keepNewer adds the files of every version committed after latest.
func (c *cleaner) keepNewer(ctx context.Context, latest uint64) error {
	ref, err := latestManifest(ctx, c.store, c.root)
	if err != nil {
		return fmt.Errorf("re-read the latest version: %w", err)
	}
	for v := latest + 1; v <= ref.version; v++ {
		r, err := findManifest(ctx, c.store, c.root, v)
		if err != nil {
			return fmt.Errorf("re-read version %d: %w", v, err)
		}
		mf, err := c.readManifest(ctx, r)
		if err != nil {
			return err
		}
		if err := c.keep.addManifest(c.root, mf); err != nil {
			return err
		}
	}
	return nil
}

// unreferenced lists the files to delete: those no kept version references
// that a removed version did reference, or that are unverified and older
// than the cutoff (any age with DeleteUnverified). Only files Lance itself
// writes are considered: data/*.lance, _deletions/*.{arrow,bin},
// _transactions/*.txn, _indices/{uuid}/…, and commit staging files in
// _versions/.
func (c *cleaner) unreferenced(ctx context.Context) ([]objstore.ObjectInfo, error) {
	var out []objstore.ObjectInfo
	for _, dir := range []string{dataDir, deletionsDir, transactionsDir, indicesDir, versionsDir} {
		prefix := objstore.Join(c.root, dir) + "/"
		for info, err := range c.store.List(ctx, prefix) {
			if err != nil {
				return nil, fmt.Errorf("list %s: %w", prefix, err)
			}
			rel := strings.TrimPrefix(info.Key, prefix)
			var kept, known bool
			switch dir {
			case dataDir:
				if !strings.HasSuffix(rel, ".lance") {
					continue
				}
				kept, known = c.keep.keys[info.Key], c.verified.keys[info.Key]
			case deletionsDir:
				if strings.Contains(rel, "/") || !(strings.HasSuffix(rel, ".arrow") || strings.HasSuffix(rel, ".bin")) {
					continue
				}
				kept, known = c.keep.keys[info.Key], c.verified.keys[info.Key]
			case transactionsDir:
				if strings.Contains(rel, "/") || !strings.HasSuffix(rel, ".txn") {
					continue
				}
				kept, known = c.keep.keys[info.Key], c.verified.keys[info.Key]
			case indicesDir:
				id, _, ok := strings.Cut(rel, "/")
				if !ok {
					continue
				}
				kept, known = c.keep.indices[id], c.verified.indices[id]
			case versionsDir:
				// Committed manifests were dealt with above; only staged
				// ones a crashed commit left behind go here.
				if strings.Contains(rel, "/") || !(strings.Contains(rel, manifestSuffix+"-") || strings.HasPrefix(rel, ".tmp")) {
					continue
				}
			}
			switch {
			case kept:
			case known, c.opts.DeleteUnverified,
				!info.LastModified.IsZero() && info.LastModified.Before(c.cutoff):
				out = append(out, info)
			}
		}
	}
	return out, nil
}

// refuseBranches fails on a dataset with branches: a branch's versions
// live elsewhere and may reference this dataset's files.
func (c *cleaner) refuseBranches(ctx context.Context) error {
	prefix := objstore.Join(c.root, branchDir) + "/"
	for info, err := range c.store.List(ctx, prefix) {
		if err != nil {
			return fmt.Errorf("list %s: %w", prefix, err)
		}
		return fmt.Errorf("%w: the dataset has branches (%s)", ErrUnsupported, info.Key)
	}
	return nil
}

// TaggedVersions returns the versions of the dataset at root that tags
// protect from cleanup. Tags are Lance's _refs/tags/{name}.json files, each
// a JSON object whose "version" names a version. A tag that does not parse
// is an error wrapping ErrCorrupt: the version it protects is unknown.
func TaggedVersions(ctx context.Context, store objstore.Store, root string) (map[uint64]bool, error) {
	prefix := objstore.Join(root, tagsDir) + "/"
	tagged := map[uint64]bool{}
	for info, err := range store.List(ctx, prefix) {
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, err)
		}
		if !strings.HasSuffix(info.Key, ".json") {
			continue
		}
		data, err := objstore.ReadAll(ctx, store, info.Key)
		if errors.Is(err, objstore.ErrNotExist) {
			continue // deleted since the listing
		}
		if err != nil {
			return nil, fmt.Errorf("read tag %s: %w", info.Key, err)
		}
		var tag struct {
			Version *uint64 `json:"version"`
		}
		if err := json.Unmarshal(data, &tag); err != nil || tag.Version == nil {
			return nil, fmt.Errorf("%w: tag %s names no version", ErrCorrupt, info.Key)
		}
		tagged[*tag.Version] = true
	}
	return tagged, nil
}

// fileSet is the files some manifests reference: data, deletion and
// transaction files by key, index directories by uuid. It is safe for
// concurrent use.
type fileSet struct {
	mu      sync.Mutex
	keys    map[string]bool
	indices map[string]bool
}

func newFileSet() *fileSet {
	return &fileSet{keys: map[string]bool{}, indices: map[string]bool{}}
}

// addManifest adds what mf references. An index section that does not
// decode is an error (after the other files are added): without it, index
// files could not be told apart from garbage.
func (s *fileSet) addManifest(root string, mf *manifestFile) error {
	m := mf.manifest
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range m.Fragments {
		for _, df := range f.Files {
			s.keys[objstore.Join(root, dataDir, df.Path)] = true
		}
		if del := f.DeletionFile; del != nil {
			s.keys[objstore.Join(root, deletion.Path(f.Id, del.ReadVersion, del.Id, del.FileType))] = true
		}
	}
	if m.TransactionFile != "" {
		s.keys[objstore.Join(root, transactionsDir, m.TransactionFile)] = true
	}
	var idx pb.IndexSection
	if mf.indexSection != nil {
		if err := proto.Unmarshal(mf.indexSection, &idx); err != nil {
			return fmt.Errorf("%w: index section of version %d: %v", ErrCorrupt, m.Version, err)
		}
	}
	for _, im := range idx.Indices {
		id, err := uuid.FromBytes(im.GetUuid().GetUuid())
		if err != nil {
			return fmt.Errorf("%w: index %q of version %d has a malformed uuid", ErrCorrupt, im.Name, m.Version)
		}
		s.indices[id.String()] = true
	}
	return nil
}

// forEach calls fn(ctx, i) for i in [0, n) with at most cleanupParallelism
// calls in flight, and returns the first error. After an error, or once
// ctx is done, it starts no more calls; it returns when all started ones
// have returned.
func forEach(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	sem := make(chan struct{}, cleanupParallelism)
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(ctx, i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
