package executor

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor/expr"
)

// SortConfig configures a Sort.
type SortConfig struct {
	// Keys are the ORDER BY keys, most significant first.
	Keys []SortKey
}

// Sort orders its whole input: it reads every batch, evaluates the keys,
// concatenates the input, sorts a permutation (stable: rows with equal
// keys keep their input order) and emits the rows in batches of
// BatchSize. A single fixed-width key is sorted as ordered words, other
// keys as byte strings (sortkey.go).
type Sort struct {
	env  *expr.Env
	in   Operator
	cfg  SortConfig
	all  arrow.Record // the concatenated input, after the first Next
	perm []int32
	pos  int
	done bool
}

var _ Operator = (*Sort)(nil)

// NewSort returns a Sort over in, taking ownership of in.
func NewSort(env *expr.Env, in Operator, cfg SortConfig) (*Sort, error) {
	if len(cfg.Keys) == 0 {
		in.Close()
		return nil, errf("sort without keys")
	}
	return &Sort{env: env, in: in, cfg: cfg}, nil
}

// Schema implements Operator.
func (s *Sort) Schema() *arrow.Schema { return s.in.Schema() }

// Next implements Operator.
func (s *Sort) Next(ctx context.Context) (arrow.Record, error) {
	if !s.done {
		if err := s.consume(ctx); err != nil {
			return nil, err
		}
		s.done = true
	}
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	if s.pos >= len(s.perm) {
		return nil, io.EOF
	}
	end := min(len(s.perm), s.pos+BatchSize)
	idx := s.perm[s.pos:end]
	s.pos = end
	return gatherRecord(ctx, s.env.Mem, s.Schema(), s.all, nil, idx)
}

// consume reads and sorts the whole input.
func (s *Sort) consume(ctx context.Context) error {
	var recs []arrow.Record
	var keys [][]arrow.Array // per key, per batch
	keys = make([][]arrow.Array, len(s.cfg.Keys))
	defer func() {
		for _, r := range recs {
			r.Release()
		}
		for _, k := range keys {
			releaseAll(k)
		}
	}()
	exprs := make([]expr.Expr, len(s.cfg.Keys))
	for i, k := range s.cfg.Keys {
		exprs[i] = k.Expr
	}
	for {
		if err := checkCtx(ctx); err != nil {
			return err
		}
		rec, err := s.in.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		recs = append(recs, rec)
		ks, err := evalAll(ctx, s.env, exprs, rec)
		if err != nil {
			return err
		}
		for i, k := range ks {
			keys[i] = append(keys[i], k)
		}
	}
	all, err := concatRecords(s.env.Mem, s.Schema(), recs)
	if err != nil {
		return err
	}
	s.all = all
	n := int(all.NumRows())
	if n == 0 {
		return nil
	}
	cols := make([]arrow.Array, len(keys))
	defer releaseAll(cols)
	for i, parts := range keys {
		c, err := concatArrays(s.env.Mem, parts)
		if err != nil {
			return err
		}
		cols[i] = c
	}
	perm, err := sortPermutation(s.cfg.Keys, cols, n)
	if err != nil {
		return err
	}
	s.perm = perm
	return nil
}

// sortPermutation returns the rows 0…n−1 of key columns cols in ORDER BY
// order, ties in row order.
func sortPermutation(keys []SortKey, cols []arrow.Array, n int) ([]int32, error) {
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	if len(keys) == 1 && wordKeyable(cols[0].DataType()) {
		words := make([]uint64, n)
		rank := make([]uint8, n)
		orderedWords(cols[0], keys[0].Desc, keys[0].nullsFirst(), words, rank)
		slices.SortFunc(perm, func(a, b int32) int {
			if c := cmp.Compare(rank[a], rank[b]); c != 0 {
				return c
			}
			if c := cmp.Compare(words[a], words[b]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		return perm, nil
	}
	enc, err := newKeyEncoder(keys, cols)
	if err != nil {
		return nil, err
	}
	var data []byte
	offs := make([]int, n+1)
	for i := 0; i < n; i++ {
		data = enc.appendRow(data, i)
		offs[i+1] = len(data)
	}
	key := func(i int32) []byte { return data[offs[i]:offs[i+1]] }
	slices.SortFunc(perm, func(a, b int32) int {
		if c := bytes.Compare(key(a), key(b)); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return perm, nil
}

// Close implements Operator.
func (s *Sort) Close() {
	if s.all != nil {
		s.all.Release()
		s.all = nil
	}
	s.in.Close()
}
