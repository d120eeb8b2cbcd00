package catalog

import (
	"context"
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
