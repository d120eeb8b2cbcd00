package pgwire_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/codec"
	"github.com/lancegate/lancegate/gateway/pgwire"
)

// fakeEngine is a scripted Engine. Its statements form a tiny language,
// matched case-insensitively on the statement text:
//
//	select 1               one int4 row
//	gen N                  N rows (id int8, score float8, name text), 1000 per batch
//	bench                  fakeEngine.benchRows rows from one prebuilt batch
//	echo                   two parameters (int8, float8), returned as one row
//	error CODE message     Prepare fails with CODE, position 8
//	runtime error          one batch of 3 rows, then 22012
//	sleep                  Next blocks until its ctx ends
//	set NAME = VALUE       tag SET, ParameterStatus NAME=VALUE
//	notice                 a 42P07 notice, tag DO
//	begin / commit / rollback
//	insert                 tag INSERT 0 1
//	panic                  panics in Execute
//	uncoded                Execute fails with an error without SQLSTATE
//	copy in | copy out N   COPY … FROM STDIN / TO STDOUT (copy_test.go)
type fakeEngine struct {
	mu       sync.Mutex
	live     int
	sessions []*fakeSession
	started  []pgwire.Startup

	// sleeping receives once each time a "sleep" statement starts waiting.
	sleeping chan struct{}

	benchRows  int
	benchBatch arrow.Record
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{sleeping: make(chan struct{}, 16)}
}

func (e *fakeEngine) NewSession(ctx context.Context, s pgwire.Startup) (pgwire.Session, error) {
	if s.Database == "nosuchdb" {
		return nil, sqlstate.New(sqlstate.InvalidCatalogName, "database \"%s\" does not exist", s.Database)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	fs := &fakeSession{e: e, st: s, tx: 'I', app: s.Params["application_name"]}
	e.live++
	e.sessions = append(e.sessions, fs)
	e.started = append(e.started, s)
	return fs, nil
}

func (e *fakeEngine) liveSessions() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.live
}

func (e *fakeEngine) lastSession() *fakeSession {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.sessions[len(e.sessions)-1]
}

type fakeSession struct {
	e   *fakeEngine
	st  pgwire.Startup
	tx  byte
	app string

	mu       sync.Mutex
	implicit []bool // EndImplicit's commit argument, per call
	closed   bool
}

var _ pgwire.Session = (*fakeSession)(nil)

func (s *fakeSession) ParameterStatus() []pgwire.Parameter {
	return []pgwire.Parameter{
		{Name: "application_name", Value: s.app},
		{Name: "client_encoding", Value: "UTF8"},
		{Name: "DateStyle", Value: "ISO, MDY"},
		{Name: "integer_datetimes", Value: "on"},
		{Name: "server_encoding", Value: "UTF8"},
		{Name: "server_version", Value: "15.20 (lancegate test)"},
		{Name: "standard_conforming_strings", Value: "on"},
		{Name: "TimeZone", Value: "UTC"},
	}
}

// Split splits on ';' outside single quotes.
func (s *fakeSession) Split(text string) ([]pgwire.Piece, error) {
	var out []pgwire.Piece
	start, quoted := 0, false
	add := func(end int) {
		piece := text[start:end]
		trimmed := strings.TrimLeft(piece, " \t\n")
		off := start + len(piece) - len(trimmed)
		trimmed = strings.TrimRight(trimmed, " \t\n")
		if trimmed != "" {
			out = append(out, pgwire.Piece{Text: trimmed, Offset: off})
		}
	}
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '\'':
			quoted = !quoted
		case ';':
			if !quoted {
				add(i)
				start = i + 1
			}
		}
	}
	if quoted {
		return nil, sqlstate.New(sqlstate.SyntaxError, "unterminated quoted string at or near \"'\"").WithPosition(len(text))
	}
	add(len(text))
	return out, nil
}

func (s *fakeSession) Prepare(ctx context.Context, text string, paramOIDs []uint32) (pgwire.Statement, error) {
	lower := strings.ToLower(text)
	f := strings.Fields(lower)
	st := &fakeStmt{s: s, text: lower}
	switch {
	case lower == "select 1":
		st.cols = []pgwire.Column{col("?column?", 23, 4)}
	case len(f) == 2 && f[0] == "gen":
		n, err := strconv.Atoi(f[1])
		if err != nil {
			return nil, sqlstate.New(sqlstate.SyntaxError, "bad row count")
		}
		st.n = n
		st.cols = genColumns()
	case lower == "bench":
		st.n = s.e.benchRows
		st.cols = genColumns()
	case lower == "echo":
		st.params = []uint32{20, 701}
		st.cols = []pgwire.Column{col("a", 20, 8), col("b", 701, 8)}
	case len(f) >= 3 && f[0] == "error":
		return nil, sqlstate.New(sqlstate.Code(strings.ToUpper(f[1])), "%s", strings.Join(strings.Fields(text)[2:], " ")).WithPosition(8)
	case lower == "runtime error":
		st.n = 3
		st.failAfter = true
		st.cols = genColumns()
	case lower == "sleep":
		st.cols = []pgwire.Column{col("pg_sleep", 20, 8)}
	case len(f) == 4 && f[0] == "set" && f[2] == "=":
		st.tag = "SET"
		fields := strings.Fields(text)
		st.set = &pgwire.Parameter{Name: fields[1], Value: fields[3]}
	case lower == "notice":
		st.tag = "DO"
	case lower == "begin", lower == "commit", lower == "rollback":
		st.tag = strings.ToUpper(lower)
	case lower == "insert":
		st.tag = "INSERT 0 1"
	case lower == "panic", lower == "uncoded":
		st.tag = "X"
	case len(f) >= 2 && f[0] == "copy":
		return fakeCopy(f)
	default:
		return nil, sqlstate.New(sqlstate.SyntaxError, "syntax error at or near \"%s\"", strings.Fields(text)[0]).WithPosition(1)
	}
	// Parameters the client declared win, as in PostgreSQL.
	if len(paramOIDs) > len(st.params) {
		st.params = append(st.params, make([]uint32, len(paramOIDs)-len(st.params))...)
	}
	for i, oid := range paramOIDs {
		if oid != 0 {
			st.params[i] = oid
		}
	}
	return st, nil
}

func col(name string, oid uint32, size int16) pgwire.Column {
	return pgwire.Column{Name: name, TypeOID: oid, TypeLen: size, TypeMod: -1}
}

func genColumns() []pgwire.Column {
	return []pgwire.Column{col("id", 20, 8), col("score", 701, 8), col("name", 25, -1)}
}

func (s *fakeSession) Settings() *codec.Settings { return codec.DefaultSettings() }
func (s *fakeSession) TxStatus() byte            { return s.tx }

func (s *fakeSession) EndImplicit(ctx context.Context, commit bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.implicit = append(s.implicit, commit)
	return nil
}

func (s *fakeSession) implicitEnds() []bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bool(nil), s.implicit...)
}

func (s *fakeSession) Close() {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.e.live--
	}
}

type fakeStmt struct {
	s         *fakeSession
	text      string
	params    []uint32
	cols      []pgwire.Column
	n         int
	failAfter bool
	tag       string
	set       *pgwire.Parameter
}

func (st *fakeStmt) ParamOIDs() []uint32      { return st.params }
func (st *fakeStmt) Columns() []pgwire.Column { return st.cols }
func (st *fakeStmt) Close()                   {}

func (st *fakeStmt) Execute(ctx context.Context, params []scalar.Scalar) (pgwire.Result, error) {
	r := &fakeResult{st: st, mem: memory.NewGoAllocator(), tag: st.tag}
	switch st.text {
	case "panic":
		panic("fake engine panic")
	case "uncoded":
		return nil, errors.New("boom without a code")
	case "begin":
		st.s.tx = 'T'
	case "commit", "rollback":
		st.s.tx = 'I'
	case "notice":
		r.notices = []error{sqlstate.New(sqlstate.DuplicateTable, "relation \"t\" already exists, skipping")}
	case "echo":
		r.echo = params
	}
	if st.set != nil {
		r.changes = []pgwire.Parameter{*st.set}
	}
	return r, nil
}

type fakeResult struct {
	st      *fakeStmt
	mem     memory.Allocator
	sent    int
	batches int
	tag     string
	notices []error
	changes []pgwire.Parameter
	echo    []scalar.Scalar
	rec     arrow.Record
	done    bool
}

func (r *fakeResult) Next(ctx context.Context) (arrow.Record, error) {
	if r.rec != nil && r.rec != r.st.s.e.benchBatch {
		r.rec.Release()
	}
	r.rec = nil
	st := r.st
	switch {
	case st.text == "sleep":
		select {
		case st.s.e.sleeping <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return nil, fmt.Errorf("fake sleep: %w", ctx.Err())
	case st.text == "select 1" && !r.done:
		r.done = true
		b := array.NewInt32Builder(r.mem)
		defer b.Release()
		b.Append(1)
		r.rec = record(r.st.cols, b.NewArray())
		r.sent = 1
		return r.rec, nil
	case st.text == "echo" && !r.done:
		r.done = true
		ib := array.NewInt64Builder(r.mem)
		defer ib.Release()
		fb := array.NewFloat64Builder(r.mem)
		defer fb.Release()
		if v, ok := r.echo[0].(*scalar.Int64); ok && v != nil {
			ib.Append(v.Value)
		} else {
			ib.AppendNull()
		}
		if v, ok := r.echo[1].(*scalar.Float64); ok && v != nil {
			fb.Append(v.Value)
		} else {
			fb.AppendNull()
		}
		r.rec = record(r.st.cols, ib.NewArray(), fb.NewArray())
		r.sent = 1
		return r.rec, nil
	case st.text == "bench" && r.sent < st.n:
		rec := st.s.e.benchBatch
		r.sent += int(rec.NumRows())
		return rec, nil
	case st.failAfter && r.batches > 0:
		return nil, sqlstate.New(sqlstate.DivisionByZero, "division by zero")
	case st.cols != nil && len(st.cols) == 3 && r.sent < st.n:
		n := min(1000, st.n-r.sent)
		r.rec = genBatch(r.mem, r.sent, n)
		r.sent += n
		r.batches++
		return r.rec, nil
	}
	if r.tag == "" {
		r.tag = "SELECT " + strconv.Itoa(r.sent)
	}
	return nil, io.EOF
}

func (r *fakeResult) Tag() string                          { return r.tag }
func (r *fakeResult) Notices() []error                     { return r.notices }
func (r *fakeResult) ParameterChanges() []pgwire.Parameter { return r.changes }
func (r *fakeResult) Close() {
	if r.rec != nil && r.rec != r.st.s.e.benchBatch {
		r.rec.Release()
	}
	r.rec = nil
}

func record(cols []pgwire.Column, arrs ...arrow.Array) arrow.Record {
	fields := make([]arrow.Field, len(arrs))
	for i, a := range arrs {
		fields[i] = arrow.Field{Name: cols[i].Name, Type: a.DataType(), Nullable: true}
	}
	rec := array.NewRecord(arrow.NewSchema(fields, nil), arrs, int64(arrs[0].Len()))
	for _, a := range arrs {
		a.Release()
	}
	return rec
}

// genBatch returns rows from..from+n of the "gen" table: id, id/2, "row-<id>".
func genBatch(mem memory.Allocator, from, n int) arrow.Record {
	ib := array.NewInt64Builder(mem)
	defer ib.Release()
	fb := array.NewFloat64Builder(mem)
	defer fb.Release()
	sb := array.NewStringBuilder(mem)
	defer sb.Release()
	for i := from; i < from+n; i++ {
		ib.Append(int64(i))
		fb.Append(float64(i) / 2)
		sb.Append("row-" + strconv.Itoa(i))
	}
	return record(genColumns(), ib.NewArray(), fb.NewArray(), sb.NewArray())
}

// testServer is a Server over TCP loopback with a fake engine.
type testServer struct {
	srv    *pgwire.Server
	eng    *fakeEngine
	addr   string
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// startServer starts a server; it is shut down when the test ends.
func startServer(t testing.TB, cfg pgwire.Config) *testServer {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	eng := newFakeEngine()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{srv: pgwire.NewServer(cfg, eng), eng: eng, addr: ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { ts.done <- ts.srv.Serve(ctx, ln) }()
	t.Cleanup(ts.stop)
	return ts
}

// stop ends Serve through its context and waits for it.
func (ts *testServer) stop() {
	ts.once.Do(func() {
		ts.cancel()
		select {
		case <-ts.done:
		case <-time.After(20 * time.Second):
			panic("pgwire test server did not stop")
		}
	})
}

// url returns a connection string for pgx.
func (ts *testServer) url(extra string) string {
	host, port, _ := net.SplitHostPort(ts.addr)
	u := fmt.Sprintf("postgres://alice@%s:%s/db?sslmode=disable", host, port)
	if extra != "" {
		u += "&" + extra
	}
	return u
}

// testWriter sends server logs to the test log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
