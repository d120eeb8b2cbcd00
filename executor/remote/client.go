package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/flight"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/lancegate/lancegate/executor/spec"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// source is a running fragment: on an executor over Flight, or on the
// query node itself. Next returns batches with the index of their piece
// in the fragment's Pieces.
type source interface {
	Schema() *arrow.Schema
	Next(ctx context.Context) (int, arrow.Record, error)
	Stats() spec.Stats
	Close()
}

// faultError marks an executor fault: the fragment may run elsewhere.
// Errors that are not faults are SQL errors of the fragment itself and
// go to the client.
type faultError struct {
	addr string
	err  error
}

func (e *faultError) Error() string { return "executor " + e.addr + ": " + e.err.Error() }
func (e *faultError) Unwrap() error { return e.err }

func isFault(err error) bool {
	var f *faultError
	return errors.As(err, &f)
}

// flightSource reads one DoGet stream.
type flightSource struct {
	addr     string
	progress int64 // the last heartbeat's progress; -1 before the first
	stream   flight.FlightService_DoGetClient
	rdr      *flight.Reader
	cancel   context.CancelFunc
	stats    spec.Stats
}

// openFlight sends frag to m and waits for the stream's schema.
func openFlight(ctx context.Context, m *member, frag *spec.Fragment, mem memory.Allocator) (*flightSource, error) {
	tkt, err := spec.Marshal(frag)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	stream, err := m.client.DoGet(ctx, &flight.Ticket{Ticket: tkt})
	if err != nil {
		cancel()
		return nil, &faultError{m.addr, err}
	}
	rdr, err := flight.NewRecordReader(stream, ipc.WithAllocator(mem))
	if err != nil {
		cancel()
		return nil, classify(m.addr, stream, err)
	}
	return &flightSource{addr: m.addr, stream: stream, rdr: rdr, cancel: cancel, progress: -1}, nil
}

func (s *flightSource) Schema() *arrow.Schema { return s.rdr.Schema() }

// Next returns the next batch and its piece, or piece -1 and no batch for
// a heartbeat that shows progress (heartbeats without progress are
// skipped: to the caller's watchdog the executor stays silent).
func (s *flightSource) Next(ctx context.Context) (int, arrow.Record, error) {
	for {
		if !s.rdr.Next() {
			err := s.rdr.Err()
			if err == nil || errors.Is(err, io.EOF) {
				s.readStats()
				return 0, nil, io.EOF
			}
			return 0, nil, classify(s.addr, s.stream, err)
		}
		meta := string(s.rdr.LatestAppMetadata())
		if p, ok := strings.CutPrefix(meta, "-1:"); ok {
			progress, err := strconv.ParseInt(p, 10, 64)
			if err != nil {
				return 0, nil, &faultError{s.addr, fmt.Errorf("bad heartbeat %q", meta)}
			}
			if progress > s.progress {
				s.progress = progress
				return -1, nil, nil
			}
			continue
		}
		return s.batch(meta)
	}
}

// batch returns the current batch, tagged with its piece index meta.
func (s *flightSource) batch(meta string) (int, arrow.Record, error) {
	piece, err := strconv.Atoi(meta)
	if err != nil || piece < 0 {
		return 0, nil, &faultError{s.addr, fmt.Errorf("batch with piece index %q", meta)}
	}
	rec := s.rdr.Record()
	rec.Retain()
	return piece, rec, nil
}

func (s *flightSource) readStats() {
	for _, v := range s.stream.Trailer().Get(trailerStats) {
		_ = json.Unmarshal([]byte(v), &s.stats)
	}
	s.stats.Executor = s.addr
}

func (s *flightSource) Stats() spec.Stats { return s.stats }

func (s *flightSource) Close() {
	s.cancel()
	s.rdr.Release()
}

// classify turns a stream error into the fragment's SQL error (the
// executor sent its SQLSTATE) or an executor fault.
func classify(addr string, stream interface{ Trailer() metadata.MD }, err error) error {
	md := stream.Trailer()
	codes := md.Get(trailerSQLState)
	if len(codes) == 0 {
		return &faultError{addr, err}
	}
	msg := err.Error()
	if st, ok := status.FromError(err); ok {
		msg = st.Message()
	}
	e := sqlstate.New(sqlstate.Code(codes[0]), "%s", msg)
	if p := md.Get(trailerPosition); len(p) > 0 {
		e.Position, _ = strconv.Atoi(p[0])
	}
	if d := md.Get(trailerDetail); len(d) > 0 {
		e.Detail = d[0]
	}
	if h := md.Get(trailerHint); len(h) > 0 {
		e.Hint = h[0]
	}
	return e
}
