package remote

import (
	"context"
	"errors"
	"fmt"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"github.com/lancegate/lancegate/executor/spec"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/storage/catalog"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
)

// StoreOpener opens the snapshots fragments name: in the storage root,
// or at a table's location through Locations. Opened snapshots are kept
// (a pinned version never changes), so a stream of fragments over one
// version reads its manifest once.
type StoreOpener struct {
	root      objstore.Store
	locations catalog.Locator
	cache     *lru.Cache[spec.TableRef, *lance.Dataset]
	group     singleflight.Group
}

// NewStoreOpener returns an opener over root (and locations, which may be
// nil) keeping up to entries snapshots open (default 256).
func NewStoreOpener(root objstore.Store, locations catalog.Locator, entries int) *StoreOpener {
	if entries <= 0 {
		entries = 256
	}
	c, _ := lru.New[spec.TableRef, *lance.Dataset](entries)
	return &StoreOpener{root: root, locations: locations, cache: c}
}

// ErrNoLocations is returned for a table outside the storage root when
// the opener has no Locator.
var ErrNoLocations = errors.New("tables outside the storage root are not configured on this node")

// replaced is the error of a snapshot that no longer exists: the table
// was dropped (and perhaps created again) or the version cleaned up while
// the statement ran. Retrying the statement reads the table as it is now.
func replaced(ref spec.TableRef) error {
	return sqlstate.New(sqlstate.SerializationFailure, "the snapshot %s the statement reads no longer exists", ref).
		WithHint("The table was dropped, replaced or cleaned up concurrently; retry the statement.")
}

// Open implements Opener.
func (o *StoreOpener) Open(ctx context.Context, ref spec.TableRef) (*lance.Dataset, error) {
	if ds, ok := o.cache.Get(ref); ok {
		return ds, nil
	}
	v, err, _ := o.group.Do(ref.String()+"\x00"+ref.Root, func() (any, error) {
		store, root := o.root, ref.Root
		if ref.Location != "" {
			if o.locations == nil {
				return nil, fmt.Errorf("%w: %s", ErrNoLocations, ref.Location)
			}
			s, r, err := o.locations.OpenLocation(ctx, ref.Location)
			if err != nil {
				return nil, err
			}
			store, root = s, r
		}
		ds, err := lance.OpenVersion(ctx, store, root, ref.Version)
		if errors.Is(err, lance.ErrNotFound) {
			return nil, replaced(ref)
		}
		if err != nil {
			return nil, err
		}
		if ds.Timestamp().UnixNano() != ref.Committed {
			return nil, replaced(ref)
		}
		o.cache.Add(ref, ds)
		return ds, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*lance.Dataset), nil
}
