package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strconv"
	"time"

	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/flight"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/lancegate/lancegate/executor/spec"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/storage/lance"
)

// Trailer and header keys of a DoGet stream.
const (
	// trailerStats carries the fragment's spec.Stats as JSON.
	trailerStats = "lancegate-stats"
	// trailerSQLState carries the SQLSTATE of a SQL error (the status
	// message is its text); its absence marks an executor fault.
	trailerSQLState = "lancegate-sqlstate"
	trailerPosition = "lancegate-position"
	trailerDetail   = "lancegate-detail-bin"
	trailerHint     = "lancegate-hint-bin"
)

// Heartbeats are empty batches whose app metadata is "-1:<progress>",
// progress counting the rows and bytes the fragment has read so far. The
// first one announces the schema. A query node counts a heartbeat as a
// sign of life only when the progress moved: an executor stuck on a hung
// disk keeps sending heartbeats but makes none.
func heartbeatMeta(progress int64) []byte {
	return strconv.AppendInt([]byte("-1:"), progress, 10)
}

// Action names.
const (
	// actionPing answers "ready" once the executor serves fragments.
	actionPing = "lancegate.ping"
)

// Opener opens the snapshots fragments name.
type Opener interface {
	Open(ctx context.Context, ref spec.TableRef) (*lance.Dataset, error)
}

// ReadCounter attributes storage reads to the fragment whose context
// they carry: the executor's block cache implements it. Bytes reports
// what the reads under ctx read from storage and from the cache.
type ReadCounter interface {
	Track(ctx context.Context) (context.Context, func() (storage, cache int64))
}

// ServerConfig configures an executor's Flight service.
type ServerConfig struct {
	// Name is the executor's advertised address, reported in Stats.
	Name string
	// Open opens table snapshots.
	Open Opener
	// Reads attributes bytes read to fragments; nil reports none.
	Reads ReadCounter
	// Mem allocates the batches sent; nil is memory.DefaultAllocator.
	Mem memory.Allocator
	// Logger receives fragment failures; nil is slog.Default().
	Logger *slog.Logger
	// Ready reports whether the executor takes fragments (false while it
	// prewarms its cache); nil means always.
	Ready func() bool
	// IndexEntries bounds the vector index segments kept loaded (default
	// 16).
	IndexEntries int
	// Parallelism is how many cores one partial aggregate or top-k may
	// use (its pieces split among them); 0 means GOMAXPROCS.
	Parallelism int
}

// Server is a plan executor's Arrow Flight service: DoGet runs the
// fragment in the ticket and streams its batches, each with its piece's
// index as app metadata, then the Stats in the trailer.
type Server struct {
	flight.BaseFlightServer
	cfg     ServerConfig
	indexes *indexCache
}

// NewServer returns the Flight service of an executor.
func NewServer(cfg ServerConfig) *Server {
	if cfg.Mem == nil {
		cfg.Mem = memory.DefaultAllocator
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Parallelism <= 0 {
		cfg.Parallelism = runtime.GOMAXPROCS(0)
	}
	return &Server{cfg: cfg, indexes: newIndexCache(cfg.IndexEntries)}
}

// Serve serves Flight on ln until ctx ends, then stops: in-flight
// streams fail at once (their query nodes resume them elsewhere) rather
// than holding the shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(64 << 20))
	flight.RegisterFlightServiceServer(srv, s)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		srv.Stop()
		<-done
		return nil
	case err := <-done:
		return err
	}
}

func (s *Server) ready() bool { return s.cfg.Ready == nil || s.cfg.Ready() }

// DoAction answers pings: "ready", or Unavailable while prewarming.
func (s *Server) DoAction(a *flight.Action, stream flight.FlightService_DoActionServer) error {
	if a.GetType() != actionPing {
		return status.Errorf(codes.Unimplemented, "unknown action %q", a.GetType())
	}
	if !s.ready() {
		return status.Error(codes.Unavailable, "executor is warming its cache")
	}
	return stream.Send(&flight.Result{Body: []byte("ready")})
}

// DoGet runs one fragment.
func (s *Server) DoGet(tkt *flight.Ticket, stream flight.FlightService_DoGetServer) error {
	if !s.ready() {
		return status.Error(codes.Unavailable, "executor is warming its cache")
	}
	ctx := stream.Context()
	frag, err := spec.Unmarshal(tkt.GetTicket())
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	if frag.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, frag.Timeout)
		defer cancel()
	}
	bytesRead := func() (int64, int64) { return 0, 0 }
	if s.cfg.Reads != nil {
		ctx, bytesRead = s.cfg.Reads.Track(ctx)
	}
	err = s.serve(ctx, frag, stream, bytesRead)
	if err != nil {
		if ctx.Err() == nil {
			s.cfg.Logger.Warn("fragment failed", "table", frag.Table.String(), "pieces", len(frag.Pieces), "err", err)
		}
		return s.statusOf(stream, err)
	}
	return nil
}

func (s *Server) serve(ctx context.Context, frag *spec.Fragment, stream flight.FlightService_DoGetServer, bytesRead func() (int64, int64)) error {
	ds, err := s.cfg.Open.Open(ctx, frag.Table)
	if err != nil {
		return fmt.Errorf("open %s: %w", frag.Table, err)
	}
	r, err := startFragment(ctx, ds, s.indexes, frag, s.cfg.Mem, s.cfg.Parallelism)
	if err != nil {
		return err
	}
	defer r.Close()
	w := flight.NewRecordWriter(stream, ipc.WithSchema(r.Schema()), ipc.WithAllocator(s.cfg.Mem))
	// An empty batch first: the query node learns the schema before the
	// first rows exist (a reduction has none until its input is read).
	empty := array.NewRecordBuilder(s.cfg.Mem, r.Schema())
	heartbeat := empty.NewRecord()
	empty.Release()
	defer heartbeat.Release()
	progress := func() int64 {
		storage, cache := bytesRead()
		return r.Progress() + storage + cache
	}
	if err := w.WriteWithAppMetadata(heartbeat, heartbeatMeta(0)); err != nil {
		w.Close()
		return err
	}
	// The fragment runs in its own goroutine so that heartbeats go out
	// while it computes; only this goroutine writes to the stream.
	rctx, cancel := context.WithCancel(ctx)
	results := make(chan item, 1)
	go func() {
		defer close(results)
		pump(rctx, r, results)
	}()
	defer func() {
		cancel()
		for it := range results {
			if it.rec != nil {
				it.rec.Release()
			}
		}
	}()
	var tick <-chan time.Time
	if frag.Heartbeat > 0 {
		t := time.NewTicker(frag.Heartbeat)
		defer t.Stop()
		tick = t.C
	}
	for done := false; !done; {
		select {
		case <-tick:
			if err := w.WriteWithAppMetadata(heartbeat, heartbeatMeta(progress())); err != nil {
				w.Close()
				return err
			}
		case it, ok := <-results:
			if !ok {
				w.Close()
				return ctx.Err()
			}
			if errors.Is(it.err, io.EOF) {
				done = true
				break
			}
			if it.err != nil {
				w.Close()
				return it.err
			}
			err := w.WriteWithAppMetadata(it.rec, strconv.AppendInt(nil, int64(it.piece), 10))
			it.rec.Release()
			if err != nil {
				w.Close()
				return err
			}
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	st := r.Stats()
	st.Executor = s.cfg.Name
	st.BytesStorage, st.BytesCache = bytesRead()
	b, _ := json.Marshal(st)
	stream.SetTrailer(metadata.Pairs(trailerStats, string(b)))
	return nil
}

// statusOf turns a fragment's error into a gRPC status: SQL errors carry
// their SQLSTATE and fields in the trailer and are final; anything else
// is an executor fault the query node may retry elsewhere.
func (s *Server) statusOf(stream flight.FlightService_DoGetServer, err error) error {
	if st, ok := status.FromError(err); ok && st.Code() != codes.Unknown {
		return err
	}
	if e := sqlstate.As(err); e != nil {
		md := metadata.Pairs(trailerSQLState, string(e.Code))
		if e.Position > 0 {
			md.Append(trailerPosition, strconv.Itoa(e.Position))
		}
		if e.Detail != "" {
			md.Append(trailerDetail, e.Detail)
		}
		if e.Hint != "" {
			md.Append(trailerHint, e.Hint)
		}
		stream.SetTrailer(md)
		return status.Error(codes.FailedPrecondition, e.Error())
	}
	if errors.Is(err, context.Canceled) {
		return status.Error(codes.Canceled, err.Error())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}
