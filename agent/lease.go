package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lancegate/lancegate/storage/objstore"
)

// Leases keep at most one job per table and job type running, across
// agent replicas and job pods, with nothing but the object store's
// create-if-absent:
//
//	_lancegate/leases/<table>/<type>/<epoch, 20 digits>.json
//	    {"holder": "<job id>", "expires": "<RFC 3339>"}
//
// The lease's state is its newest epoch. Taking, renewing or releasing it
// is creating epoch+1 with PutIfAbsent, allowed when the newest epoch is
// expired or already the caller's: two contenders for one epoch cannot
// both win, so there is no check-then-write. Old epochs are deleted as new
// ones are written. Clocks of different machines are trusted to agree to
// well within the TTL.
//
// A lease is an optimisation, not a lock the data depends on: a job that
// lost its lease and commits anyway meets Lance's commit conflict checks.
type Leases struct {
	store objstore.Store
	now   func() time.Time
}

// NewLeases returns the leases kept in store. now is the clock (nil means
// time.Now).
func NewLeases(store objstore.Store, now func() time.Time) *Leases {
	if now == nil {
		now = time.Now
	}
	return &Leases{store: store, now: now}
}

// ErrLeaseHeld reports that another holder has a live lease. Test it with
// errors.Is.
var ErrLeaseHeld = errors.New("lease held by another job")

const leasesDir = "_lancegate/leases/"

// leaseRecord is the content of one epoch.
type leaseRecord struct {
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires"`
}

func leasePrefix(table string, typ JobType) string {
	return leasesDir + table + "/" + string(typ) + "/"
}

// newest returns the newest epoch of a lease and its record (epoch 0 and
// a zero record when there is none), and the keys of older epochs.
func (l *Leases) newest(ctx context.Context, prefix string) (uint64, leaseRecord, []string, error) {
	var epoch uint64
	var key string
	var older []string
	for info, err := range l.store.List(ctx, prefix) {
		if err != nil {
			return 0, leaseRecord{}, nil, err
		}
		e, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(info.Key, prefix), ".json"), 10, 64)
		if err != nil {
			continue
		}
		if key != "" {
			older = append(older, key)
		}
		epoch, key = e, info.Key // keys list in lexical = numeric order
	}
	if key == "" {
		return 0, leaseRecord{}, nil, nil
	}
	data, err := objstore.ReadAll(ctx, l.store, key)
	if errors.Is(err, objstore.ErrNotExist) {
		// Deleted as a newer epoch was written: the caller's next try
		// sees the newer one.
		return epoch, leaseRecord{}, older, nil
	}
	if err != nil {
		return 0, leaseRecord{}, nil, err
	}
	var r leaseRecord
	if err := json.Unmarshal(data, &r); err != nil {
		// A damaged record holds nothing: the next epoch replaces it.
		return epoch, leaseRecord{}, older, nil
	}
	return epoch, r, older, nil
}

// write creates the next epoch unless the lease is live and someone
// else's.
func (l *Leases) write(ctx context.Context, table string, typ JobType, holder string, expires time.Time) error {
	prefix := leasePrefix(table, typ)
	epoch, cur, older, err := l.newest(ctx, prefix)
	if err != nil {
		return fmt.Errorf("lease %s/%s: %w", table, typ, err)
	}
	if cur.Holder != "" && cur.Holder != holder && cur.Expires.After(l.now()) {
		return fmt.Errorf("lease %s/%s: %w (%s, until %s)", table, typ, ErrLeaseHeld, cur.Holder, cur.Expires.UTC().Format(time.RFC3339))
	}
	data, err := json.Marshal(leaseRecord{Holder: holder, Expires: expires})
	if err != nil {
		return err
	}
	key := fmt.Sprintf("%s%020d.json", prefix, epoch+1)
	if err := l.store.PutIfAbsent(ctx, key, data); errors.Is(err, objstore.ErrPreconditionFailed) {
		return fmt.Errorf("lease %s/%s: %w (lost the race for epoch %d)", table, typ, ErrLeaseHeld, epoch+1)
	} else if err != nil {
		return fmt.Errorf("lease %s/%s: %w", table, typ, err)
	}
	// Epochs before the one just replaced are history; the replaced one
	// stays until the next write, so a reader listing concurrently still
	// finds a record.
	for _, k := range older {
		_ = l.store.Delete(ctx, k)
	}
	return nil
}

// Acquire takes the lease of table and type for holder until ttl from
// now, or renews it if holder has it. It fails with ErrLeaseHeld while
// another holder's lease is live.
func (l *Leases) Acquire(ctx context.Context, table string, typ JobType, holder string, ttl time.Duration) error {
	return l.write(ctx, table, typ, holder, l.now().Add(ttl))
}

// Release ends holder's lease, if it still has it.
func (l *Leases) Release(ctx context.Context, table string, typ JobType, holder string) error {
	err := l.write(ctx, table, typ, holder, l.now())
	if errors.Is(err, ErrLeaseHeld) {
		return nil // someone else has it already
	}
	return err
}

// Holder returns the live holder of a lease, or "".
func (l *Leases) Holder(ctx context.Context, table string, typ JobType) (string, error) {
	_, cur, _, err := l.newest(ctx, leasePrefix(table, typ))
	if err != nil || !cur.Expires.After(l.now()) {
		return "", err
	}
	return cur.Holder, nil
}

// Released returns when the newest lease of table and type ended (its
// holder released it, or it expired), or the zero time when it is live or
// was never taken.
func (l *Leases) Released(ctx context.Context, table string, typ JobType) (time.Time, error) {
	epoch, cur, _, err := l.newest(ctx, leasePrefix(table, typ))
	if err != nil || epoch == 0 || cur.Expires.After(l.now()) {
		return time.Time{}, err
	}
	return cur.Expires, nil
}
