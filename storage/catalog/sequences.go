package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lancegate/lancegate/storage/objstore"
)

// Sequences.
//
// A sequence (the one behind a serial or identity column) hands out
// increasing values to every query node without coordination beyond the
// object store. Its values are claimed in ranges that form a chain: a
// claim is an object named after its first value and holding how many
// values it takes,
//
//	_lancegate/sequences/<sequence>/00000000000000000065   "64": values 65…128 are taken
//
// and the next claim must start where the highest one ends. A node lists
// the claims, reads the highest one's size, and creates the next with
// PutIfAbsent; when another node created that key first, it reads that
// claim and tries after it. Two claims never overlap because every start
// is the end of the claim before it, and keys are never deleted while the
// sequence lives. A node serves its claim from memory, so values are
// unique and increase per node, with gaps (the rest of a claim when a node
// stops), as PostgreSQL's cached sequences have. Single-row inserts claim
// SequenceBlock values at a time; a large COPY claims its rows' count at
// once. Dropping the table deletes the sequence's claims.

// SequenceBlock is the smallest number of values one claim takes.
const SequenceBlock = 64

const sequencesDir = "_lancegate/sequences/"

// ErrSequenceExhausted reports a sequence past the largest int64.
var ErrSequenceExhausted = errors.New("sequence reached its maximum value")

// ClaimSequence claims at least n values of sequence seq (SequenceBlock
// at least) and returns the first and the count claimed; values start at 1.
func (c *Catalog) ClaimSequence(ctx context.Context, seq string, n int64) (first, count int64, err error) {
	prefix := sequencesDir + seq + "/"
	count = max(n, SequenceBlock)
	next := int64(1)
	last := ""
	for info, err := range c.store.List(ctx, prefix) {
		if err != nil {
			return 0, 0, fmt.Errorf("catalog: list sequence %s: %w", seq, err)
		}
		last = info.Key // keys sort by start: the last is the highest
	}
	if last != "" {
		if next, err = c.claimEnd(ctx, prefix, last); err != nil {
			return 0, 0, err
		}
	}
	for attempt := 0; attempt < 64; attempt++ {
		if next > 1<<62 {
			return 0, 0, ErrSequenceExhausted
		}
		key := fmt.Sprintf("%s%020d", prefix, next)
		err := c.store.PutIfAbsent(ctx, key, []byte(strconv.FormatInt(count, 10)))
		if err == nil {
			return next, count, nil
		}
		if !errors.Is(err, objstore.ErrPreconditionFailed) {
			return 0, 0, fmt.Errorf("catalog: claim sequence %s values: %w", seq, err)
		}
		if next, err = c.claimEnd(ctx, prefix, key); err != nil {
			return 0, 0, err
		}
	}
	return 0, 0, fmt.Errorf("catalog: sequence %s: too much contention", seq)
}

// claimEnd returns the value after the claim at key.
func (c *Catalog) claimEnd(ctx context.Context, prefix, key string) (int64, error) {
	start, err := strconv.ParseInt(strings.TrimPrefix(key, prefix), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("catalog: sequence claim %q: %w", key, err)
	}
	data, err := c.store.GetRange(ctx, key, 0, -1)
	if err != nil {
		return 0, fmt.Errorf("catalog: read sequence claim: %w", err)
	}
	size, err := strconv.ParseInt(string(data), 10, 64)
	if err != nil || size <= 0 {
		return 0, fmt.Errorf("catalog: sequence claim %q holds %q", key, data)
	}
	return start + size, nil
}

// DropSequence deletes a sequence's claims.
func (c *Catalog) DropSequence(ctx context.Context, seq string) error {
	for info, err := range c.store.List(ctx, sequencesDir+seq+"/") {
		if err != nil {
			return fmt.Errorf("catalog: list sequence %s: %w", seq, err)
		}
		if err := c.store.Delete(ctx, info.Key); err != nil {
			return fmt.Errorf("catalog: drop sequence %s: %w", seq, err)
		}
	}
	return nil
}

// A sequence made by CREATE SEQUENCE also has a definition, a JSON object
// written once (PutIfAbsent) and deleted by DROP SEQUENCE:
//
//	_lancegate/sequence_defs/<sequence>.json   {"type":20,"start":1,"increment":1,…}
//
// Its claims are then of positions (1, 2, …) along the sequence, which
// the definition maps to values (SequenceDef.Value).
const sequenceDefsDir = "_lancegate/sequence_defs/"

// ErrSequenceExists is CREATE SEQUENCE of a name that has a definition.
var ErrSequenceExists = errors.New("sequence already exists")

// SequenceDef is a CREATE SEQUENCE's definition.
type SequenceDef struct {
	// Type is the OID of smallint, integer or bigint.
	Type      uint32 `json:"type"`
	Start     int64  `json:"start"`
	Increment int64  `json:"increment"`
	Min       int64  `json:"min"`
	Max       int64  `json:"max"`
	Cache     int64  `json:"cache"`
	Cycle     bool   `json:"cycle"`
}

// Value returns the sequence's pos-th value (pos from 1), or false when
// a sequence without CYCLE has none left. Past its last value a cycling
// sequence starts again at Min (ascending) or Max (descending).
func (d SequenceDef) Value(pos int64) (int64, bool) {
	if d.Increment == 0 || pos < 1 {
		return 0, false
	}
	steps := func(from, to int64) int64 { // values from..to along Increment
		if d.Increment > 0 {
			return (to-from)/d.Increment + 1
		}
		return (from-to)/(-d.Increment) + 1
	}
	first, lap := steps(d.Start, d.Max), steps(d.Min, d.Max)
	restart := d.Min
	if d.Increment < 0 {
		first, lap, restart = steps(d.Start, d.Min), steps(d.Max, d.Min), d.Max
	}
	if pos <= first {
		return d.Start + (pos-1)*d.Increment, true
	}
	if !d.Cycle {
		return 0, false
	}
	return restart + ((pos-first-1)%lap)*d.Increment, true
}

// CreateSequenceDef records a sequence's definition; ErrSequenceExists
// when the name has one.
func (c *Catalog) CreateSequenceDef(ctx context.Context, name string, def SequenceDef) error {
	data, err := json.Marshal(def)
	if err != nil {
		return fmt.Errorf("catalog: sequence %s: %w", name, err)
	}
	err = c.store.PutIfAbsent(ctx, sequenceDefsDir+name+".json", data)
	if errors.Is(err, objstore.ErrPreconditionFailed) {
		return ErrSequenceExists
	}
	if err != nil {
		return fmt.Errorf("catalog: create sequence %s: %w", name, err)
	}
	return nil
}

// SequenceDefOf returns a sequence's definition; false for a sequence
// without one (a serial column's) or no sequence at all.
func (c *Catalog) SequenceDefOf(ctx context.Context, name string) (SequenceDef, bool, error) {
	data, err := c.store.GetRange(ctx, sequenceDefsDir+name+".json", 0, -1)
	if errors.Is(err, objstore.ErrNotExist) {
		return SequenceDef{}, false, nil
	}
	if err != nil {
		return SequenceDef{}, false, fmt.Errorf("catalog: read sequence %s: %w", name, err)
	}
	var def SequenceDef
	if err := json.Unmarshal(data, &def); err != nil {
		return SequenceDef{}, false, fmt.Errorf("catalog: sequence %s: %w", name, err)
	}
	return def, true, nil
}

// SequenceDefs returns every defined sequence's definition by name.
func (c *Catalog) SequenceDefs(ctx context.Context) (map[string]SequenceDef, error) {
	out := map[string]SequenceDef{}
	for info, err := range c.store.List(ctx, sequenceDefsDir) {
		if err != nil {
			return nil, fmt.Errorf("catalog: list sequences: %w", err)
		}
		name, ok := strings.CutSuffix(strings.TrimPrefix(info.Key, sequenceDefsDir), ".json")
		if !ok {
			continue
		}
		def, found, err := c.SequenceDefOf(ctx, name)
		if err != nil {
			return nil, err
		}
		if found {
			out[name] = def
		}
	}
	return out, nil
}

// DropSequenceDef deletes a sequence's definition and claims; false when
// it has no definition.
func (c *Catalog) DropSequenceDef(ctx context.Context, name string) (bool, error) {
	if _, ok, err := c.SequenceDefOf(ctx, name); err != nil || !ok {
		return false, err
	}
	// The claims first: a definition without claims is a fresh sequence,
	// claims without a definition would be a serial sequence's.
	if err := c.DropSequence(ctx, name); err != nil {
		return false, err
	}
	if err := c.store.Delete(ctx, sequenceDefsDir+name+".json"); err != nil {
		return false, fmt.Errorf("catalog: drop sequence %s: %w", name, err)
	}
	return true, nil
}
