package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Cancellation (pg-compat §2.5). Every connection past authentication is
// registered under its BackendKeyData process id with a random secret key. A
// CancelRequest arrives on a new connection; if its key matches, the
// statement running on the target connection at that moment has its
// context cancelled, and the engine returns context.Canceled, which
// errors.go reports as 57014. A connection that is idle (between messages,
// or holding a suspended portal) is left alone. The cancelling connection
// gets no answer; it is closed.

// register assigns c a process id that is positive and unique among live
// connections, and a secret key from crypto/rand, and makes c reachable by
// CancelRequest.
func (s *Server) register(c *conn) error {
	var kb [4]byte
	if _, err := rand.Read(kb[:]); err != nil {
		return fmt.Errorf("pgwire: secret key: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byPID) >= math.MaxInt32-1 {
		return fatalf(sqlstate.TooManyConnections, "sorry, too many clients already")
	}
	for {
		s.nextPID++
		if s.nextPID > math.MaxInt32 {
			s.nextPID = 1
		}
		if _, used := s.byPID[s.nextPID]; !used {
			break
		}
	}
	c.pid, c.key = s.nextPID, binary.BigEndian.Uint32(kb[:])
	s.byPID[c.pid] = c
	return nil
}

// unregister removes c from the cancel registry; its pid may be reused.
func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.pid != 0 && s.byPID[c.pid] == c {
		delete(s.byPID, c.pid)
	}
}

// cancelRequest acts on a CancelRequest: the key is compared in constant
// time, and a wrong key or an unknown pid is ignored, as in PostgreSQL.
func (s *Server) cancelRequest(pid, key uint32) {
	s.mu.Lock()
	c := s.byPID[pid]
	s.mu.Unlock()
	if c == nil {
		s.log.Debug("cancel request for unknown process", "pid", pid)
		return
	}
	var want, got [4]byte
	binary.BigEndian.PutUint32(want[:], c.key)
	binary.BigEndian.PutUint32(got[:], key)
	if subtle.ConstantTimeCompare(want[:], got[:]) != 1 {
		s.log.Debug("cancel request with wrong key", "pid", pid)
		return
	}
	c.cancelActive()
}

// activity tracks whether a connection is running something a
// CancelRequest may cancel. ctx is the connection's statement context: it is
// passed to every engine call, derives from the connection's own context (so
// shutdown cancels it too), and is replaced once a cancellation has been
// used up, so a cancel never leaks into the next statement.
type activity struct {
	mu     sync.Mutex
	busy   bool
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// begin marks the connection busy and returns the context for the engine
// calls of the message being handled. end must follow.
func (c *conn) begin() context.Context {
	a := &c.act
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ctx == nil || a.ctx.Err() != nil {
		if a.cancel != nil {
			a.cancel(nil)
		}
		a.ctx, a.cancel = context.WithCancelCause(c.ctx)
	}
	a.busy = true
	return a.ctx
}

// end marks the connection idle: a CancelRequest arriving now does nothing.
func (c *conn) end() {
	a := &c.act
	a.mu.Lock()
	a.busy = false
	a.mu.Unlock()
}

// cancelActive cancels what the connection is running, if anything. It is
// called from the goroutine of the cancelling connection.
func (c *conn) cancelActive() {
	a := &c.act
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.busy && a.cancel != nil {
		a.cancel(errCancelRequest)
	}
}

// releaseActivity frees the statement context when the connection ends.
func (c *conn) releaseActivity() {
	a := &c.act
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cancel != nil {
		a.cancel(errors.New("pgwire: connection closed"))
	}
}
