package roles

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lancegate/lancegate/storage/objstore"
)

// Dir holds the role document's versions, relative to the storage root.
const Dir = "_lancegate/roles/"

// DefaultTTL is how long Snapshot serves a state without reading storage.
const DefaultTTL = time.Second

// Keep is how many versions of the document stay after a write.
const Keep = 10

// maxAttempts bounds Update's retries after lost races.
const maxAttempts = 64

// ErrContention reports an Update that lost the race too many times in a
// row. Test it with errors.Is.
var ErrContention = errors.New("role database: too many concurrent updates")

// Options configures a Store.
type Options struct {
	// TTL is how long Snapshot may serve a state without reading storage;
	// 0 means DefaultTTL, negative always reads.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Store is the role database of one storage root. It is safe for
// concurrent use, and several Stores (on several query nodes) may update
// the same root at once.
type Store struct {
	store objstore.Store
	ttl   time.Duration
	now   func() time.Time

	mu     sync.Mutex
	cached *State
	read   time.Time
}

// New returns the role database kept in store.
func New(store objstore.Store, opts Options) *Store {
	if opts.TTL == 0 {
		opts.TTL = DefaultTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Store{store: store, ttl: opts.TTL, now: opts.Now}
}

func versionKey(v uint64) string {
	return fmt.Sprintf("%s%020d.json", Dir, math.MaxUint64-v)
}

func parseVersionKey(key string) (uint64, bool) {
	name, ok := strings.CutPrefix(key, Dir)
	if !ok {
		return 0, false
	}
	digits, ok := strings.CutSuffix(name, ".json")
	if !ok || len(digits) != 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, false
	}
	return math.MaxUint64 - n, true
}

// Load reads the newest state from storage.
func (s *Store) Load(ctx context.Context) (*State, error) {
	for attempt := 0; ; attempt++ {
		st, err := s.load(ctx)
		if errors.Is(err, objstore.ErrNotExist) && attempt < 3 {
			// The version listed was deleted by a writer's cleanup in the
			// meantime: a newer one exists.
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("role database: %w", err)
		}
		s.remember(st)
		return st, nil
	}
}

func (s *Store) load(ctx context.Context) (*State, error) {
	for info, err := range s.store.List(ctx, Dir) {
		if err != nil {
			return nil, err
		}
		v, ok := parseVersionKey(info.Key)
		if !ok {
			continue
		}
		data, err := objstore.ReadAll(ctx, s.store, info.Key)
		if err != nil {
			return nil, err
		}
		st := &State{}
		if err := json.Unmarshal(data, st); err != nil {
			return nil, fmt.Errorf("version %d: %w", v, err)
		}
		if st.Version != v {
			return nil, fmt.Errorf("version %d records version %d", v, st.Version)
		}
		if err := st.validate(); err != nil {
			return nil, fmt.Errorf("version %d: %w", v, err)
		}
		return st, nil
	}
	return Bootstrap(), nil
}

// ErrCorrupt reports a role document that does not hold together. Test it
// with errors.Is.
var ErrCorrupt = errors.New("corrupt role document")

// validate checks what the rest of the package relies on: every role is
// present under its own name, OIDs are unique and below NextOID (or the
// bootstrap's), no table entry is empty.
func (st *State) validate() error {
	if st.Roles == nil {
		st.Roles = map[string]*Role{}
	}
	if st.Tables == nil {
		st.Tables = map[string]*TableACL{}
	}
	oids := map[uint32]bool{}
	for name, r := range st.Roles {
		switch {
		case r == nil || r.Name != name:
			return fmt.Errorf("%w: role entry %q", ErrCorrupt, name)
		case r.OID == PublicOID || oids[r.OID] || r.OID >= st.NextOID && r.OID != BootstrapOID:
			return fmt.Errorf("%w: role %q has OID %d", ErrCorrupt, name, r.OID)
		case r.Verifier != nil && r.Verifier.Iterations <= 0:
			return fmt.Errorf("%w: role %q has a bad verifier", ErrCorrupt, name)
		}
		oids[r.OID] = true
	}
	for name, t := range st.Tables {
		if t == nil {
			return fmt.Errorf("%w: table entry %q", ErrCorrupt, name)
		}
	}
	return nil
}

// remember caches st unless a newer state is cached already.
func (s *Store) remember(st *State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached == nil || st.Version >= s.cached.Version {
		s.cached, s.read = st, s.now()
	}
}

// Snapshot returns a state read at most TTL ago (see the package
// documentation on staleness). The state must not be modified.
func (s *Store) Snapshot(ctx context.Context) (*State, error) {
	s.mu.Lock()
	st, read := s.cached, s.read
	s.mu.Unlock()
	if st != nil && s.ttl > 0 && s.now().Sub(read) < s.ttl {
		return st, nil
	}
	return s.Load(ctx)
}

// Update applies change to a copy of the newest state and writes the
// result as the next version. If another writer created that version
// first, Update reads it and applies change again, so change must depend
// only on the state it is given. An error from change aborts the update
// and is returned as is. The new state is returned.
func (s *Store) Update(ctx context.Context, change func(*State) error) (*State, error) {
	for range maxAttempts {
		cur, err := s.Load(ctx)
		if err != nil {
			return nil, err
		}
		next := cur.clone()
		if err := change(next); err != nil {
			return nil, err
		}
		next.Version = cur.Version + 1
		data, err := json.Marshal(next)
		if err != nil {
			return nil, fmt.Errorf("role database: %w", err)
		}
		err = s.store.PutIfAbsent(ctx, versionKey(next.Version), data)
		if errors.Is(err, objstore.ErrPreconditionFailed) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("role database version %d: %w", next.Version, err)
		}
		s.remember(next)
		s.cleanup(ctx, next.Version)
		return next, nil
	}
	return nil, ErrContention
}

// cleanup deletes versions older than the newest Keep, best effort: a
// failure leaves garbage, never a wrong state.
func (s *Store) cleanup(ctx context.Context, newest uint64) {
	if newest <= Keep {
		return
	}
	var old []string
	for info, err := range s.store.List(ctx, Dir) {
		if err != nil {
			return
		}
		if v, ok := parseVersionKey(info.Key); ok && v+Keep <= newest {
			old = append(old, info.Key)
		}
	}
	for _, k := range old {
		_ = s.store.Delete(ctx, k)
	}
}

// Now returns the store's clock reading (Options.Now).
func (s *Store) Now() time.Time { return s.now() }
