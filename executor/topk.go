package executor

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"math"
	"slices"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// TopKConfig configures a TopK.
type TopKConfig struct {
	// Keys are the ORDER BY keys.
	Keys []SortKey
	// Limit is k, the number of rows to return (LIMIT); it must not be
	// negative.
	Limit int64
	// Offset is the number of leading rows to skip (OFFSET).
	Offset int64
}

// TopK is ORDER BY … LIMIT k [OFFSET o] without sorting the input: it
// keeps the best k+o rows seen so far in a bounded max-heap. This is
// exact vector search: "ORDER BY embedding <-> $1 LIMIT 10" is a TopK
// over the distance expression.
//
// Per batch, TopK evaluates the key, compares every row's key with the
// current threshold (the worst row kept, once k+o rows are kept) in one
// tight loop, and copies only the rows that beat it into a staging
// batch; the heap holds references into staging batches, which are
// compacted when they hold more than a few times k rows. A single key of
// a fixed-width type (a distance is float8) compares as ordered words;
// other keys as byte strings. Rows with equal keys keep input order, so
// the result is exactly that of a stable Sort followed by Limit.
type TopK struct {
	env   *expr.Env
	in    Operator
	cfg   TopKConfig
	exprs []expr.Expr
	k     int

	heap   []topEntry
	stages []arrow.Record
	staged int   // rows held by stages
	seq    int64 // rows seen before the current batch

	out  arrow.Record
	perm []int32
	pos  int
	done bool

	// Per-batch scratch.
	words []uint64
	rank  []uint8
	cand  []int32
	kbuf  []byte
}

var _ Operator = (*TopK)(nil)

// topEntry is one kept row: its key, its input position (the tie-break)
// and where its copy lives.
type topEntry struct {
	rank  uint8
	word  uint64
	key   []byte // byte-string keys only
	seq   int64
	stage int32
	row   int32
}

// MaxTopK is the largest LIMIT + OFFSET a TopK keeps in its heap; larger
// ones are a Sort followed by a Limit.
const MaxTopK = 1 << 24

// NewTopK returns a TopK over in, taking ownership of in.
func NewTopK(env *expr.Env, in Operator, cfg TopKConfig) (*TopK, error) {
	if len(cfg.Keys) == 0 || cfg.Limit < 0 || cfg.Offset < 0 {
		in.Close()
		return nil, sqlstate.New(sqlstate.InvalidRowCountInLimitClause, "LIMIT must not be negative")
	}
	if cfg.Limit > MaxTopK || cfg.Offset > MaxTopK || cfg.Limit+cfg.Offset > MaxTopK {
		in.Close()
		return nil, errf("TopK of %d rows: use Sort and Limit", cfg.Limit+cfg.Offset)
	}
	exprs := make([]expr.Expr, len(cfg.Keys))
	for i, k := range cfg.Keys {
		exprs[i] = k.Expr
	}
	return &TopK{env: env, in: in, cfg: cfg, exprs: exprs, k: int(cfg.Limit + cfg.Offset)}, nil
}

// Schema implements Operator.
func (t *TopK) Schema() *arrow.Schema { return t.in.Schema() }

// Next implements Operator.
func (t *TopK) Next(ctx context.Context) (arrow.Record, error) {
	if !t.done {
		if err := t.consume(ctx); err != nil {
			return nil, err
		}
		t.done = true
	}
	if err := checkCtx(ctx); err != nil {
		return nil, err
	}
	if t.pos >= len(t.perm) {
		return nil, io.EOF
	}
	end := min(len(t.perm), t.pos+BatchSize)
	idx := t.perm[t.pos:end]
	t.pos = end
	return gatherRecord(ctx, t.env.Mem, t.Schema(), t.out, nil, idx)
}

// less orders entries: key, then input position.
func (t *TopK) less(a, b *topEntry) bool {
	if a.key != nil || b.key != nil {
		if c := bytes.Compare(a.key, b.key); c != 0 {
			return c < 0
		}
		return a.seq < b.seq
	}
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	if a.word != b.word {
		return a.word < b.word
	}
	return a.seq < b.seq
}

func (t *TopK) consume(ctx context.Context) error {
	if t.k == 0 {
		return nil
	}
	for {
		if err := checkCtx(ctx); err != nil {
			return err
		}
		rec, err := t.in.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		err = t.add(ctx, rec)
		t.seq += rec.NumRows()
		rec.Release()
		if err != nil {
			return err
		}
	}
	return t.finish(ctx)
}

// add offers a batch's rows to the heap.
func (t *TopK) add(ctx context.Context, rec arrow.Record) error {
	n := int(rec.NumRows())
	keys, err := evalAll(ctx, t.env, t.exprs, rec)
	if err != nil {
		return err
	}
	defer releaseAll(keys)
	full := len(t.heap) == t.k
	t.cand = t.cand[:0]
	var enc *keyEncoder
	wordMode := len(keys) == 1 && wordKeyable(keys[0].DataType())
	spec := t.cfg.Keys[0]
	switch {
	case wordMode && full && keys[0].DataType().ID() == arrow.FLOAT64 && !spec.Desc && !spec.nullsFirst() &&
		keys[0].NullN() == 0 && t.heap[0].rank == 0 && t.heap[0].word != math.MaxUint64:
		// The exact-search hot loop: distances against the worst kept
		// distance, one float compare per row (no NaN on either side).
		thr := floatOfOrdered(t.heap[0].word)
		dist := typedValues[float64](keys[0])
		for i, d := range dist {
			if d < thr {
				t.cand = append(t.cand, int32(i))
			}
		}
		if cap(t.words) < n {
			t.words, t.rank = make([]uint64, n), make([]uint8, n)
		}
		for _, r := range t.cand {
			t.words[r], t.rank[r] = orderedFloat(dist[r]), 0
		}
	case wordMode:
		t.wordsFor(keys[0], spec)
		words, rank := t.words[:n], t.rank[:n]
		if !full {
			t.cand = appendRange(t.cand, n)
			break
		}
		thr := t.heap[0]
		for i, x := range words {
			if rank[i] < thr.rank || rank[i] == thr.rank && x < thr.word {
				t.cand = append(t.cand, int32(i))
			}
		}
	default:
		if enc, err = newKeyEncoder(t.cfg.Keys, keys); err != nil {
			return err
		}
		if !full {
			t.cand = appendRange(t.cand, n)
			break
		}
		thr := t.heap[0].key
		for i := 0; i < n; i++ {
			t.kbuf = enc.appendRow(t.kbuf[:0], i)
			if bytes.Compare(t.kbuf, thr) < 0 {
				t.cand = append(t.cand, int32(i))
			}
		}
	}
	if len(t.cand) == 0 {
		return nil
	}
	// Offer the candidates; entries of this batch point into rec (stage
	// −1) until the survivors are copied below.
	for _, r := range t.cand {
		e := topEntry{seq: t.seq + int64(r), stage: -1, row: r}
		if wordMode {
			e.rank, e.word = t.rank[r], t.words[r]
		} else {
			e.key = enc.appendRow(nil, int(r))
		}
		switch {
		case len(t.heap) < t.k:
			t.push(e)
		case t.less(&e, &t.heap[0]):
			t.heap[0] = e
			t.siftDown(0)
		}
	}
	// Copy the rows of this batch that are still kept.
	t.cand = t.cand[:0]
	for i := range t.heap {
		if e := &t.heap[i]; e.stage < 0 {
			t.cand = append(t.cand, e.row)
		}
	}
	if len(t.cand) == 0 {
		return nil
	}
	slices.Sort(t.cand)
	stage, err := gatherRecord(ctx, t.env.Mem, t.Schema(), rec, nil, t.cand)
	if err != nil {
		return err
	}
	sid := int32(len(t.stages))
	t.stages = append(t.stages, stage)
	t.staged += len(t.cand)
	for i := range t.heap {
		if e := &t.heap[i]; e.stage < 0 {
			k, _ := slices.BinarySearch(t.cand, e.row)
			e.stage, e.row = sid, int32(k)
		}
	}
	if t.staged > 4*t.k+2*BatchSize {
		return t.compact(ctx)
	}
	return nil
}

// wordsFor computes the ordered words and ranks of a key column.
func (t *TopK) wordsFor(key arrow.Array, spec SortKey) {
	n := key.Len()
	if cap(t.words) < n {
		t.words, t.rank = make([]uint64, n), make([]uint8, n)
	}
	orderedWords(key, spec.Desc, spec.nullsFirst(), t.words[:n], t.rank[:n])
}

func appendRange(dst []int32, n int) []int32 {
	for i := 0; i < n; i++ {
		dst = append(dst, int32(i))
	}
	return dst
}

// push adds e to the max-heap (worst entry at the root).
func (t *TopK) push(e topEntry) {
	t.heap = append(t.heap, e)
	i := len(t.heap) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !t.less(&t.heap[p], &t.heap[i]) {
			break
		}
		t.heap[p], t.heap[i] = t.heap[i], t.heap[p]
		i = p
	}
}

func (t *TopK) siftDown(i int) {
	n := len(t.heap)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		big := l
		if r := l + 1; r < n && t.less(&t.heap[l], &t.heap[r]) {
			big = r
		}
		if !t.less(&t.heap[i], &t.heap[big]) {
			return
		}
		t.heap[i], t.heap[big] = t.heap[big], t.heap[i]
		i = big
	}
}

// compact copies the kept rows into one staging batch and drops the rest.
func (t *TopK) compact(ctx context.Context) error {
	all, err := concatRecords(t.env.Mem, t.Schema(), t.stages)
	if err != nil {
		return err
	}
	defer all.Release()
	base := make([]int32, len(t.stages))
	off := int32(0)
	for i, s := range t.stages {
		base[i] = off
		off += int32(s.NumRows())
	}
	idx := make([]int32, len(t.heap))
	for i := range t.heap {
		e := &t.heap[i]
		idx[i] = base[e.stage] + e.row
		e.stage, e.row = 0, int32(i)
	}
	merged, err := gatherRecord(ctx, t.env.Mem, t.Schema(), all, nil, idx)
	if err != nil {
		return err
	}
	t.releaseStages()
	t.stages = []arrow.Record{merged}
	t.staged = len(idx)
	return nil
}

// finish orders the kept rows and applies the offset.
func (t *TopK) finish(ctx context.Context) error {
	if len(t.heap) == 0 {
		return nil
	}
	if err := t.compact(ctx); err != nil {
		return err
	}
	t.out = t.stages[0]
	t.stages = nil
	entries := slices.Clone(t.heap)
	slices.SortFunc(entries, func(a, b topEntry) int {
		if t.less(&a, &b) {
			return -1
		}
		if t.less(&b, &a) {
			return 1
		}
		return cmp.Compare(a.row, b.row)
	})
	off := min(int(t.cfg.Offset), len(entries))
	for _, e := range entries[off:] {
		t.perm = append(t.perm, e.row)
	}
	return nil
}

func (t *TopK) releaseStages() {
	for _, s := range t.stages {
		s.Release()
	}
	t.stages = nil
	t.staged = 0
}

// Close implements Operator.
func (t *TopK) Close() {
	t.releaseStages()
	if t.out != nil {
		t.out.Release()
		t.out = nil
	}
	t.in.Close()
}
