package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/spec"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Gather is the query node's side of a distributed fragment: an operator
// yielding the union of the fragment's output over all its pieces.
//
// Pieces are placed by rendezvous hashing over the live executors; each
// executor gets one stream with the pieces it owns. A streaming fragment
// is consumed in piece order (the order a local scan has), which costs
// nothing: while Gather reads the stream holding the current piece, the
// others fill a few batches and then wait under gRPC flow control. A
// reducing fragment (partial aggregate, top-k) is consumed stream by
// stream, each stream's output held back until it completed.
//
// Failover: when a stream fails with an executor fault (connection lost,
// stream idle longer than StreamTimeout, anything but a SQL error), the
// executor is marked down and its unfinished pieces move to their next
// executors in rendezvous order, never one that already failed them in
// this statement. A streaming piece resumes past the rows already
// delivered (spec.Piece.Skip; a fragment's output is deterministic), a
// reduction restarts. When no executor is left the query node runs the
// pieces itself (Options.Fallback) or fails with SQLSTATE 57P03.
type Gather struct {
	c         *Cluster
	ctx       context.Context
	cancel    context.CancelFunc
	frag      *spec.Fragment
	streaming bool
	schema    *arrow.Schema

	pieces []pieceState
	tasks  []*task // reducing fragments: the streams, in consumption order
	cur    int     // the current piece (streaming) or task (reducing)

	stats     map[string]*spec.Stats
	retries   int
	fallbacks int
	hedges    int // hedge streams started
	hedgeWins int // hedge streams whose answer was used
}

var _ executor.Operator = (*Gather)(nil)

type pieceState struct {
	delivered int64
	done      bool
	task      *task
	tried     map[string]bool
}

// task is one stream of a fragment over some of its pieces.
type task struct {
	addr    string // "" runs on the query node
	pieces  []int  // indexes into Gather.pieces, in order
	ch      chan event
	cancel  context.CancelFunc
	stash   *event
	started time.Time
	// hedge is a duplicate of a slow reducing task on another executor;
	// decided is set once one of the two produced its answer.
	hedge   *task
	decided bool
	noHedge bool // a hedge failed: do not try again
}

// event is what a task's goroutine reports, in order: the schema, then
// batches, then end (with the stream's stats) or an error.
type event struct {
	schema *arrow.Schema
	piece  int
	rec    arrow.Record
	end    bool
	stats  spec.Stats
	err    error
}

// localName labels the query node in statistics.
const localName = "query node"

func (c *Cluster) gather(ctx context.Context, frag *spec.Fragment) (*Gather, error) {
	ctx, cancel := context.WithCancel(ctx)
	g := &Gather{c: c, ctx: ctx, cancel: cancel, frag: frag, streaming: frag.Streaming(),
		pieces: make([]pieceState, len(frag.Pieces)), stats: map[string]*spec.Stats{}}
	all := make([]int, len(frag.Pieces))
	for i := range all {
		all[i] = i
	}
	tasks, err := g.place(all)
	if err == nil {
		g.tasks = tasks
		err = g.awaitSchema()
	}
	if err != nil {
		g.Close()
		return nil, err
	}
	return g, nil
}

// key is the placement key of piece i.
func (g *Gather) key(i int) string { return spec.PieceKey(g.frag.Table, g.frag.Pieces[i]) }

// place assigns pieces to their first live executor that has not failed
// them, starting one task per executor, in the order of their first
// piece.
func (g *Gather) place(pieces []int) ([]*task, error) {
	live := g.c.live()
	byAddr := map[string]*task{}
	var out []*task
	for _, i := range pieces {
		addr := ""
		for _, m := range rank(g.key(i), live) {
			if !g.pieces[i].tried[m] {
				addr = m
				break
			}
		}
		if addr == "" && g.c.opts.Fallback == nil {
			return nil, sqlstate.New(sqlstate.CannotConnectNow, "no plan executor is available for %s; retry the statement", g.frag.Table).
				WithDetail("%d executors known, %d live", len(g.c.Members()), len(live))
		}
		t := byAddr[addr]
		if t == nil {
			t = &task{addr: addr}
			byAddr[addr] = t
			out = append(out, t)
		}
		t.pieces = append(t.pieces, i)
		g.pieces[i].task = t
	}
	for _, t := range out {
		if t.addr == "" {
			g.fallbacks++
		}
		g.start(t)
	}
	return out, nil
}

// start runs t in its own goroutine.
func (g *Gather) start(t *task) {
	frag := *g.frag
	if g.c.opts.StreamTimeout > 0 {
		frag.Heartbeat = g.c.opts.StreamTimeout / 4
	}
	frag.Pieces = make([]spec.Piece, len(t.pieces))
	for j, i := range t.pieces {
		frag.Pieces[j] = g.frag.Pieces[i]
		if g.streaming {
			frag.Pieces[j].Skip = g.pieces[i].delivered
		}
	}
	ctx, cancel := context.WithCancelCause(g.ctx)
	t.cancel = func() { cancel(context.Canceled) }
	t.started = time.Now()
	t.ch = make(chan event, g.c.opts.Buffer)
	go g.c.runTask(ctx, cancel, t, &frag, g.streaming)
}

// awaitSchema waits for the first stream's schema.
func (g *Gather) awaitSchema() error {
	for g.schema == nil {
		t := g.current()
		if t == nil {
			return sqlstate.New(sqlstate.InternalError, "distributed fragment over %s has no streams", g.frag.Table)
		}
		ev, err := g.receive(g.ctx, t)
		if err != nil {
			return err
		}
		switch {
		case ev.schema != nil:
			g.schema = ev.schema
		case ev.err != nil:
			if err := g.failed(t, ev.err); err != nil {
				return err
			}
		default:
			t.stash = &ev
		}
	}
	return nil
}

// current is the task holding the next output.
func (g *Gather) current() *task {
	if g.streaming {
		for g.cur < len(g.pieces) && g.pieces[g.cur].done {
			g.cur++
		}
		if g.cur < len(g.pieces) {
			return g.pieces[g.cur].task
		}
		return nil
	}
	if g.cur < len(g.tasks) {
		return g.tasks[g.cur]
	}
	return nil
}

// receive returns t's next event, or the SQL error of a cancelled
// statement (ctx is the caller's; g.ctx the one the gather started with).
func (g *Gather) receive(ctx context.Context, t *task) (event, error) {
	if t.stash != nil {
		ev := *t.stash
		t.stash = nil
		return ev, nil
	}
	select {
	case ev, ok := <-t.ch:
		if !ok {
			if err := executor.CheckContext(g.ctx); err != nil {
				return event{}, err
			}
			return event{err: &faultError{t.addr, errors.New("stream ended without a result")}}, nil
		}
		return ev, nil
	case <-g.ctx.Done():
		return event{}, executor.CheckContext(g.ctx)
	case <-ctx.Done():
		return event{}, executor.CheckContext(ctx)
	}
}

// receiveHedged is receive for a reducing task, which may be hedged: once
// the task has run for Options.Hedge without an answer, the same pieces
// start on the next live executor in rendezvous order, and whichever
// stream completes first is used; the other is cancelled. It returns the
// task whose event it is (the hedge, when the hedge won).
func (g *Gather) receiveHedged(ctx context.Context, t *task) (*task, event, error) {
	hedge := g.c.opts.Hedge
	if hedge <= 0 || t.addr == "" || t.decided || t.stash != nil {
		ev, err := g.receive(ctx, t)
		return t, ev, err
	}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		var fire <-chan time.Time
		if t.hedge == nil && !t.noHedge {
			if timer == nil {
				timer = time.NewTimer(max(time.Until(t.started.Add(hedge)), 0))
			}
			fire = timer.C
		}
		var hch <-chan event
		if t.hedge != nil {
			hch = t.hedge.ch
		}
		select {
		case ev, ok := <-t.ch:
			if ok && ev.schema != nil {
				continue
			}
			if !ok {
				if err := executor.CheckContext(g.ctx); err != nil {
					return t, event{}, err
				}
				ev = event{err: &faultError{t.addr, errors.New("stream ended without a result")}}
			}
			if ev.err != nil && isFault(ev.err) && t.hedge != nil {
				// The original failed while its hedge runs: the hedge takes over.
				g.c.markDown(t.addr, ev.err)
				g.retries++
				t = g.promote(t)
				continue
			}
			if t.hedge != nil {
				abandon(t.hedge)
				t.hedge = nil
			}
			t.decided = true
			return t, ev, nil
		case ev, ok := <-hch:
			if ok && ev.schema != nil {
				continue
			}
			if !ok || ev.err != nil {
				if ok && !isFault(ev.err) {
					return t, ev, nil // a SQL error is the statement's, whichever stream saw it
				}
				abandon(t.hedge)
				t.hedge, t.noHedge = nil, true
				continue
			}
			g.hedgeWins++
			t = g.promote(t)
			t.decided = true
			return t, ev, nil
		case <-fire:
			g.startHedge(t)
		case <-g.ctx.Done():
			return t, event{}, executor.CheckContext(g.ctx)
		case <-ctx.Done():
			return t, event{}, executor.CheckContext(ctx)
		}
	}
}

// startHedge starts a duplicate of t on the best live executor that is
// not t's and has not failed t's pieces.
func (g *Gather) startHedge(t *task) {
	for _, m := range rank(g.key(t.pieces[0]), g.c.live()) {
		if m == t.addr || g.pieces[t.pieces[0]].tried[m] {
			continue
		}
		h := &task{addr: m, pieces: t.pieces}
		g.start(h)
		t.hedge = h
		g.hedges++
		return
	}
	t.noHedge = true
}

// promote replaces t by its hedge, abandoning t.
func (g *Gather) promote(t *task) *task {
	h := t.hedge
	t.hedge = nil
	abandon(t)
	for i, x := range g.tasks {
		if x == t {
			g.tasks[i] = h
		}
	}
	for _, i := range h.pieces {
		g.pieces[i].task = h
	}
	return h
}

// abandon cancels a task and releases what it still sends.
func abandon(t *task) {
	t.cancel()
	t.releaseStash()
	go t.drain()
}

// releaseStash releases the batch read ahead of t, if any.
func (t *task) releaseStash() {
	if t.stash != nil && t.stash.rec != nil {
		t.stash.rec.Release()
	}
	t.stash = nil
}

// drain releases what t's goroutine still sends, until it ends.
func (t *task) drain() {
	for ev := range t.ch {
		if ev.rec != nil {
			ev.rec.Release()
		}
	}
}

// Hedged reports how many hedge streams the fragment started and how many
// of them answered first.
func (g *Gather) Hedged() (started, won int) { return g.hedges, g.hedgeWins }

// failed handles a task's error: SQL errors end the statement; faults
// move the task's unfinished pieces elsewhere.
func (g *Gather) failed(t *task, err error) error {
	if cerr := executor.CheckContext(g.ctx); cerr != nil {
		return cerr
	}
	if !isFault(err) {
		return err
	}
	g.retries++
	if t.addr == "" {
		// The query node itself failed the pieces: nothing left to try.
		return sqlstate.Wrap(err, sqlstate.CannotConnectNow, "distributed fragment over %s failed: %v", g.frag.Table, err)
	}
	g.c.markDown(t.addr, err)
	var rest []int
	for _, i := range t.pieces {
		if g.pieces[i].done {
			continue
		}
		if g.pieces[i].tried == nil {
			g.pieces[i].tried = map[string]bool{}
		}
		g.pieces[i].tried[t.addr] = true
		rest = append(rest, i)
	}
	t.cancel()
	tasks, perr := g.place(rest)
	if perr != nil {
		return perr
	}
	if !g.streaming {
		g.tasks = append(g.tasks[:g.cur], append(tasks, g.tasks[g.cur+1:]...)...)
	}
	return nil
}

// Schema implements executor.Operator.
func (g *Gather) Schema() *arrow.Schema { return g.schema }

// Next implements executor.Operator.
func (g *Gather) Next(ctx context.Context) (arrow.Record, error) {
	if err := executor.CheckContext(ctx); err != nil {
		return nil, err
	}
	for {
		t := g.current()
		if t == nil {
			return nil, io.EOF
		}
		var ev event
		var err error
		if g.streaming {
			ev, err = g.receive(ctx, t)
		} else {
			t, ev, err = g.receiveHedged(ctx, t)
		}
		if err != nil {
			return nil, err
		}
		switch {
		case ev.schema != nil:
		case ev.err != nil:
			if err := g.failed(t, ev.err); err != nil {
				return nil, err
			}
		case ev.end:
			for _, i := range t.pieces {
				g.pieces[i].done = true
			}
			g.addStats(t, ev.stats)
			if !g.streaming {
				g.cur++
			}
		case !g.streaming:
			return ev.rec, nil
		case ev.piece == g.cur:
			g.pieces[g.cur].delivered += ev.rec.NumRows()
			return ev.rec, nil
		case ev.piece > g.cur:
			// The stream moved past the current piece: it is complete.
			for _, i := range t.pieces {
				if i < ev.piece {
					g.pieces[i].done = true
				}
			}
			t.stash = &ev
		default:
			ev.rec.Release()
			return nil, sqlstate.New(sqlstate.InternalError, "executor %s sent piece %d after piece %d", t.addr, ev.piece, g.cur)
		}
	}
}

func (g *Gather) addStats(t *task, st spec.Stats) {
	name := t.addr
	if name == "" {
		name = localName
	}
	s := g.stats[name]
	if s == nil {
		s = &spec.Stats{Executor: name}
		g.stats[name] = s
	}
	s.Add(st)
}

// Close implements executor.Operator: it cancels every stream and
// releases the batches they had queued.
func (g *Gather) Close() {
	g.cancel()
	seen := map[*task]bool{}
	drain := func(t *task) {
		if t == nil || seen[t] {
			return
		}
		seen[t] = true
		t.releaseStash()
		t.drain()
	}
	for _, t := range g.tasks {
		drain(t)
		if t != nil {
			drain(t.hedge)
		}
	}
	for i := range g.pieces {
		drain(g.pieces[i].task)
	}
}

// ExecutorStats reports, per executor, what the fragment's streams did
// (for EXPLAIN ANALYZE), and how many streams were retried or ran on the
// query node.
func (g *Gather) ExecutorStats() (stats []spec.Stats, retries, fallbacks int) {
	for _, s := range g.stats {
		stats = append(stats, *s)
	}
	sortStats(stats)
	return stats, g.retries, g.fallbacks
}

// runTask runs one task's stream and reports its events. Every path ends
// with exactly one end or error event (unless the statement was
// cancelled), then closes the channel.
func (c *Cluster) runTask(ctx context.Context, cancel context.CancelCauseFunc, t *task, frag *spec.Fragment, streaming bool) {
	defer close(t.ch)
	defer cancel(nil)
	send := func(ev event) bool {
		select {
		case t.ch <- ev:
			return true
		case <-ctx.Done():
			if ev.rec != nil {
				ev.rec.Release()
			}
			return false
		}
	}
	fail := func(err error) {
		if cause := context.Cause(ctx); errors.Is(cause, errStreamTimeout) {
			err = &faultError{t.addr, cause}
		}
		send(event{err: err})
	}
	// An executor that sends nothing for StreamTimeout is treated as dead.
	var watchdog *time.Timer
	if t.addr != "" && c.opts.StreamTimeout > 0 {
		watchdog = time.AfterFunc(c.opts.StreamTimeout, func() { cancel(errStreamTimeout) })
		defer watchdog.Stop()
	}
	src, err := c.open(ctx, t.addr, frag)
	if err != nil {
		fail(err)
		return
	}
	defer src.Close()
	if watchdog != nil {
		watchdog.Stop()
	}
	if !send(event{schema: src.Schema()}) {
		return
	}
	var held []event // a reduction's output, sent once complete
	for {
		// The watchdog runs only while waiting for the executor, not
		// while this side is slow to take batches.
		if watchdog != nil {
			watchdog.Reset(c.opts.StreamTimeout)
		}
		piece, rec, err := src.Next(ctx)
		if watchdog != nil {
			watchdog.Stop()
		}
		if err == nil && rec == nil {
			continue // a heartbeat
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			for _, ev := range held {
				ev.rec.Release()
			}
			fail(err)
			return
		}
		if piece < 0 || piece >= len(t.pieces) {
			rec.Release()
			for _, ev := range held {
				ev.rec.Release()
			}
			fail(&faultError{t.addr, fmt.Errorf("batch of piece %d in a stream of %d", piece, len(t.pieces))})
			return
		}
		ev := event{piece: t.pieces[piece], rec: rec}
		if !streaming {
			held = append(held, ev)
			continue
		}
		if !send(ev) {
			return
		}
	}
	for i, ev := range held {
		if !send(ev) {
			for _, rest := range held[i+1:] {
				rest.rec.Release()
			}
			return
		}
	}
	send(event{end: true, stats: src.Stats()})
}

var errStreamTimeout = errors.New("stream timed out")
