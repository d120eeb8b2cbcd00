package remote

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/spec"
	"github.com/lancegate/lancegate/storage/lance"
)

// fragmentRun is a running fragment: one run, or several in parallel.
type fragmentRun interface {
	Schema() *arrow.Schema
	Next(ctx context.Context) (int, arrow.Record, error)
	Stats() spec.Stats
	Progress() int64
	Close()
}

// startFragment starts frag on up to parallelism cores. A reducing
// fragment (partial aggregate or top-k over data fragments) is split
// into one run per core over a share of the pieces, each reducing its
// share; the query node's final aggregate or top-k merges however many
// partial result arrive, so a partial aggregate's split needs no merge
// here; the top-k lists are merged here, so that the executor still sends
// at most k rows. A streaming
// fragment keeps one run: its pieces must come out in order.
func startFragment(ctx context.Context, ds *lance.Dataset, indexes *indexCache, frag *spec.Fragment, mem memory.Allocator, parallelism int) (fragmentRun, error) {
	n := min(parallelism, len(frag.Pieces))
	if frag.Streaming() || frag.ANN != nil || n < 2 {
		return startRun(ctx, ds, indexes, frag, mem)
	}
	p := &parallelRun{}
	for i := range n {
		sub := *frag
		sub.Pieces = nil
		for j := i; j < len(frag.Pieces); j += n {
			sub.Pieces = append(sub.Pieces, frag.Pieces[j])
		}
		r, err := startRun(ctx, ds, indexes, &sub, mem)
		if err != nil {
			p.Close()
			return nil, err
		}
		p.runs = append(p.runs, r)
	}
	if frag.TopK != nil {
		r := p.runs[0]
		keys, err := r.sortKeys()
		if err == nil {
			p.merge, err = executor.NewTopK(r.env, &parallelSource{p}, executor.TopKConfig{Keys: keys, Limit: frag.TopK.Limit})
		}
		if err != nil {
			p.Close()
			return nil, err
		}
	}
	return p, nil
}

// parallelSource is the runs' combined output as an operator, for the
// merging top-k.
type parallelSource struct{ p *parallelRun }

func (s *parallelSource) Schema() *arrow.Schema { return s.p.Schema() }
func (s *parallelSource) Next(ctx context.Context) (arrow.Record, error) {
	_, rec, err := s.p.next(ctx)
	return rec, err
}
func (s *parallelSource) Close() {}

// parallelRun runs reducing runs concurrently and yields their outputs as
// they come (all as piece 0).
type parallelRun struct {
	runs    []*run
	merge   executor.Operator // the top-k over the runs' lists, or nil
	sent    int64             // rows and batches Next returned
	batches int64
	once    sync.Once
	cancel  context.CancelFunc
	out     chan item
	wg      sync.WaitGroup
	pending int // runs still producing
}

// item is one result of a run's Next: a batch of a piece, or an error
// (io.EOF when the run is done).
type item struct {
	piece int
	rec   arrow.Record
	err   error
}

// pump sends r's results to out until r ends or fails (that last item
// included), or until ctx ends; a batch nobody takes is released.
func pump(ctx context.Context, r fragmentRun, out chan<- item) {
	for {
		piece, rec, err := r.Next(ctx)
		select {
		case out <- item{piece, rec, err}:
		case <-ctx.Done():
			if rec != nil {
				rec.Release()
			}
			return
		}
		if err != nil {
			return
		}
	}
}

func (p *parallelRun) Schema() *arrow.Schema { return p.runs[0].Schema() }

func (p *parallelRun) start(ctx context.Context) {
	ctx, p.cancel = context.WithCancel(ctx)
	p.out = make(chan item, len(p.runs))
	p.pending = len(p.runs)
	for _, r := range p.runs {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			pump(ctx, r, p.out)
		}()
	}
}

// Next implements fragmentRun.
func (p *parallelRun) Next(ctx context.Context) (int, arrow.Record, error) {
	var rec arrow.Record
	var err error
	if p.merge != nil {
		rec, err = p.merge.Next(ctx)
	} else {
		_, rec, err = p.next(ctx)
	}
	if err == nil {
		p.sent += rec.NumRows()
		p.batches++
	}
	return 0, rec, err
}

// next returns the runs' outputs as they come.
func (p *parallelRun) next(ctx context.Context) (int, arrow.Record, error) {
	p.once.Do(func() { p.start(ctx) })
	for p.pending > 0 {
		select {
		case it := <-p.out:
			switch {
			case errors.Is(it.err, io.EOF):
				p.pending--
			case it.err != nil:
				return 0, nil, it.err
			default:
				return 0, it.rec, nil
			}
		case <-ctx.Done():
			return 0, nil, ctx.Err()
		}
	}
	return 0, nil, io.EOF
}

// Stats implements fragmentRun: the runs' sums and longest time, and
// the rows this run sent.
func (p *parallelRun) Stats() spec.Stats {
	var s spec.Stats
	for _, r := range p.runs {
		st := r.Stats()
		elapsed := max(s.Elapsed, st.Elapsed)
		s.Add(st)
		s.Elapsed = elapsed
	}
	s.Rows, s.Batches = p.sent, p.batches
	return s
}

// Progress implements fragmentRun.
func (p *parallelRun) Progress() int64 {
	var n int64
	for _, r := range p.runs {
		n += r.Progress()
	}
	return n
}

// Close implements fragmentRun: it stops the runs and releases what they
// produced and nobody took.
func (p *parallelRun) Close() {
	if p.cancel != nil {
		// The runs' goroutines give up sending once cancelled, so they
		// end; what they had sent is released here.
		p.cancel()
		p.wg.Wait()
		for len(p.out) > 0 {
			if it := <-p.out; it.rec != nil {
				it.rec.Release()
			}
		}
	}
	for _, r := range p.runs {
		r.Close()
	}
}
