package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"
)

// Config configures a Server. The listen address is the caller's business:
// Serve takes a net.Listener.
type Config struct {
	// TLS, when set, is offered to clients: SSLRequest is answered 'S' and
	// direct TLS (ALPN "postgresql") is accepted. When nil, SSLRequest is
	// answered 'N'.
	TLS *tls.Config
	// Auth selects trust or SCRAM-SHA-256 authentication.
	Auth Auth
	// MaxMessageSize bounds the body of Query, Parse, Bind, CopyData and
	// FunctionCall messages; every other message is bounded by 10000 bytes
	// (or MaxMessageSize if smaller), as in PostgreSQL. A longer message
	// ends the connection with FATAL 08P01 before it is read. Zero means
	// PostgreSQL's 1 GiB.
	MaxMessageSize int
	// AuthTimeout bounds the time from accepting a connection to the end
	// of authentication (PostgreSQL's authentication_timeout). Zero means
	// one minute.
	AuthTimeout time.Duration
	// Logger receives connection events and bugs; nil means slog.Default().
	Logger *slog.Logger
}

// Server serves the PostgreSQL protocol over the listeners given to Serve,
// one goroutine per connection, with an Engine behind it.
type Server struct {
	cfg    Config
	engine Engine
	log    *slog.Logger
	tls    *tls.Config
	// mockSecret keys the salts of made-up SCRAM verifiers (auth.go).
	mockSecret []byte

	mu      sync.Mutex
	conns   map[*conn]struct{} // every connection being served
	byPID   map[uint32]*conn   // connections past authentication (cancel.go)
	nextPID uint32
	closing bool
	closed  chan struct{} // closed when shutdown starts
	wg      sync.WaitGroup
}

// ErrServerClosed is returned by Serve after Shutdown; test it with
// errors.Is.
var ErrServerClosed = errors.New("pgwire: server closed")

// shutdownGrace is how long connections have to be told 57P01 when Serve's
// context ends, before their sockets are closed under them.
const shutdownGrace = 5 * time.Second

// NewServer returns a server for engine. cfg.TLS is cloned, with ALPN
// "postgresql" added for direct TLS.
func NewServer(cfg Config, engine Engine) *Server {
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = defaultLargeLimit
	}
	if cfg.AuthTimeout <= 0 {
		cfg.AuthTimeout = time.Minute
	}
	s := &Server{
		cfg:        cfg,
		engine:     engine,
		log:        cfg.Logger,
		mockSecret: make([]byte, 32),
		conns:      make(map[*conn]struct{}),
		byPID:      make(map[uint32]*conn),
		closed:     make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "pgwire")
	_, _ = rand.Read(s.mockSecret)
	if cfg.TLS != nil {
		s.tls = cfg.TLS.Clone()
		if !slices.Contains(s.tls.NextProtos, alpnPostgreSQL) {
			s.tls.NextProtos = append(s.tls.NextProtos, alpnPostgreSQL)
		}
	}
	return s
}

// Serve accepts connections on ln and serves each on its own goroutine
// until ctx ends or Shutdown is called; it closes ln. When ctx ends, Serve
// shuts the server down: every connection is told FATAL 57P01 and closed
// (sockets still open after a grace period are closed under them), and
// Serve returns nil once all connection goroutines have exited. After
// Shutdown it returns ErrServerClosed. An accept error that is neither
// returns that error and leaves running connections alone.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// The watcher closes ln when ctx ends or the server shuts down, which
	// makes Accept return. It exits when Serve does (stop).
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-ctx.Done():
		case <-s.closed:
		case <-stop:
			return
		}
		ln.Close()
	}()
	defer func() {
		close(stop)
		<-watched
	}()

	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			switch {
			case ctx.Err() != nil:
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
				defer cancel()
				_ = s.Shutdown(sctx)
				return nil
			case s.isClosing():
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed; retrying", "err", err, "delay", delay)
				select {
				case <-time.After(delay):
					continue
				case <-ctx.Done():
					continue
				case <-s.closed:
					continue
				}
			}
			ln.Close()
			return fmt.Errorf("pgwire: accept: %w", err)
		}
		delay = 0
		s.start(nc)
	}
}

// start launches the goroutine of a new connection, or closes it when the
// server is shutting down. The goroutine exits when the connection closes
// (client gone, FATAL error, Terminate) or the server shuts down.
func (s *Server) start(nc net.Conn) {
	c := newConn(s, nc)
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		nc.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer s.forget(c)
		c.serve()
	}()
}

// forget drops a finished connection from the server's sets.
func (s *Server) forget(c *conn) {
	s.unregister(c)
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// Shutdown stops the server: listeners stop accepting, every connection's
// running statement is cancelled and each connection is told FATAL 57P01
// ("terminating connection due to administrator command") and closed.
// Shutdown returns when all connection goroutines have exited; if ctx ends
// first, the remaining sockets are closed under their connections and
// Shutdown returns ctx's error once they have exited.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.closing {
		s.closing = true
		close(s.closed)
	}
	for c := range s.conns {
		c.terminate()
	}
	s.mu.Unlock()

	// The waiter exits when the last connection goroutine has; the forced
	// close below guarantees that happens.
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	for c := range s.conns {
		c.raw.Close()
	}
	s.mu.Unlock()
	<-done
	return ctx.Err()
}
