// Package jobs keeps the history of the agent's maintenance jobs
// (compaction, cleanup, index builds) in the storage root, so that every
// query node can show it (the lancegate.jobs system table, SHOW JOBS) and
// every agent replica and job pod can write it, with nothing but the
// object store in common.
//
// Each job is one small JSON object, rewritten as the job moves from state
// to state:
//
//	<root>/_lancegate/jobs/<id>.json
//	    {"id": "20261127T011503.123456Z-5f1c9a0e", "table": "items",
//	     "type": "compact", "state": "succeeded", "reason": "…",
//	     "created": "…", "started": "…", "finished": "…",
//	     "read_version": 201, "version": 202, "stats": {"fragments_removed": 200, …}}
//
// IDs begin with their creation time in UTC, so the lexical order of the
// keys — the order every object store lists in — is the order the jobs
// were decided in, and the newest records are the last listed. A record is
// written by one job at a time (the job's lease), so plain Put suffices;
// readers see the old record or the new one, never a torn one.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lancegate/lancegate/storage/objstore"
)

// State is where a job is in its life.
type State string

// The states of a job.
const (
	// Pending: decided and handed to a launcher, not started yet.
	Pending State = "pending"
	// Running: the job holds its lease and is working.
	Running State = "running"
	// Succeeded: the job finished; Version is what it committed (0 when
	// there turned out to be nothing to do).
	Succeeded State = "succeeded"
	// Failed: the job stopped with Error; the agent decides again on its
	// next look at the table, so the work is retried.
	Failed State = "failed"
)

// Record is one job's history.
type Record struct {
	ID    string `json:"id"`
	Table string `json:"table"`
	Type  string `json:"type"`
	State State  `json:"state"`
	// Reason is why the agent decided on the job.
	Reason   string    `json:"reason,omitempty"`
	Created  time.Time `json:"created"`
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
	// ReadVersion is the table version the job worked from; Version is the
	// one it committed (0: none).
	ReadVersion uint64 `json:"read_version,omitempty"`
	Version     uint64 `json:"version,omitempty"`
	Error       string `json:"error,omitempty"`
	// Stats are the job's counters (fragments removed, files deleted, …).
	Stats map[string]int64 `json:"stats,omitempty"`
	// Runner names the process that ran the job (host or pod).
	Runner string `json:"runner,omitempty"`
}

// Done reports whether the job has finished, well or badly.
func (r Record) Done() bool { return r.State == Succeeded || r.State == Failed }

// Dir holds the records, relative to the storage root.
const Dir = "_lancegate/jobs/"

// idTime is the layout of an ID's time part: sortable, and free of
// characters some file systems refuse.
const idTime = "20060102T150405.000000Z"

// NewID returns a fresh job ID that sorts after the IDs of jobs created
// earlier.
func NewID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format(idTime) + "-" + hex.EncodeToString(b[:])
}

// ErrNotFound reports a job ID with no record. Test it with errors.Is.
var ErrNotFound = errors.New("no such job")

// ErrInvalidID reports an ID that cannot name a record.
var ErrInvalidID = errors.New("invalid job id")

// History is the job records of one storage root.
type History struct {
	store objstore.Store
}

// NewHistory returns the history kept in store.
func NewHistory(store objstore.Store) *History { return &History{store: store} }

func key(id string) (string, error) {
	if id == "" || strings.ContainsAny(id, "/\\\x00") || id == "." || id == ".." {
		return "", fmt.Errorf("%w: %q", ErrInvalidID, id)
	}
	return Dir + id + ".json", nil
}

// Put writes r, replacing the record of the same ID.
func (h *History) Put(ctx context.Context, r Record) error {
	k, err := key(r.ID)
	if err != nil {
		return err
	}
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := h.store.Put(ctx, k, strings.NewReader(string(data))); err != nil {
		return fmt.Errorf("job history %s: %w", r.ID, err)
	}
	return nil
}

// Get returns the record of id.
func (h *History) Get(ctx context.Context, id string) (Record, error) {
	k, err := key(id)
	if err != nil {
		return Record{}, err
	}
	data, err := objstore.ReadAll(ctx, h.store, k)
	if errors.Is(err, objstore.ErrNotExist) {
		return Record{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return Record{}, fmt.Errorf("job history %s: %w", id, err)
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return Record{}, fmt.Errorf("job history %s: %w", id, err)
	}
	return r, nil
}

// ListOptions narrows List.
type ListOptions struct {
	// Table, when set, keeps the jobs of that table only.
	Table string
	// Limit, when positive, keeps the newest Limit records.
	Limit int
}

// ids lists the record IDs, oldest first.
func (h *History) ids(ctx context.Context) ([]string, error) {
	var ids []string
	for info, err := range h.store.List(ctx, Dir) {
		if err != nil {
			return nil, fmt.Errorf("job history: %w", err)
		}
		name := strings.TrimPrefix(info.Key, Dir)
		if id, ok := strings.CutSuffix(name, ".json"); ok && !strings.Contains(id, "/") {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// List returns the records, newest first. Records that cannot be read
// (deleted while listing, damaged) are left out. Records are read
// listChunk at a time, newest first, readers at a time in parallel, so a
// limited listing reads little more than it returns.
func (h *History) List(ctx context.Context, opts ListOptions) ([]Record, error) {
	ids, err := h.ids(ctx)
	if err != nil {
		return nil, err
	}
	var out []Record
	full := func() bool { return opts.Limit > 0 && len(out) >= opts.Limit }
	for end := len(ids); end > 0 && !full(); {
		start := max(0, end-listChunk)
		recs := h.getAll(ctx, ids[start:end])
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for i := len(recs) - 1; i >= 0 && !full(); i-- {
			r := recs[i]
			if r.ID == "" || (opts.Table != "" && r.Table != opts.Table) {
				continue
			}
			out = append(out, r)
		}
		end = start
	}
	return out, nil
}

// listChunk and readers shape List's reads: on Azure each record is one
// GET of about a millisecond on a good day, so reading them one by one
// would make SHOW JOBS take seconds.
const (
	listChunk = 256
	readers   = 16
)

// getAll reads the records of ids in parallel; a record that cannot be
// read is left zero.
func (h *History) getAll(ctx context.Context, ids []string) []Record {
	recs := make([]Record, len(ids))
	sem := make(chan struct{}, readers)
	var wg sync.WaitGroup
	for i, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if r, err := h.Get(ctx, id); err == nil {
				recs[i] = r
			}
		})
	}
	wg.Wait()
	return recs
}

// Prune deletes the records of jobs that finished before cutoff and
// reports how many it deleted. Only records created before cutoff (their
// IDs say when) are read.
func (h *History) Prune(ctx context.Context, cutoff time.Time) (int, error) {
	ids, err := h.ids(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		created, ok := idCreated(id)
		if !ok || !created.Before(cutoff) {
			continue
		}
		r, err := h.Get(ctx, id)
		if err != nil || !r.Done() || !r.Finished.Before(cutoff) {
			continue
		}
		k, _ := key(id)
		if err := h.store.Delete(ctx, k); err != nil {
			return n, fmt.Errorf("job history %s: %w", id, err)
		}
		n++
	}
	return n, nil
}

// idCreated returns the creation time an ID made by NewID carries.
func idCreated(id string) (time.Time, bool) {
	if len(id) < len(idTime) {
		return time.Time{}, false
	}
	t, err := time.Parse(idTime, id[:len(idTime)])
	return t, err == nil
}
