package pgwire

import (
	"encoding/binary"
	"io"

	"github.com/jackc/pgproto3/v2"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Message size limits, as PostgreSQL 15 applies them in SocketBackend
// (postgres.c) and pqcomm.h.
const (
	// defaultLargeLimit is PQ_LARGE_MESSAGE_LIMIT (MaxAllocSize - 1): the
	// bound for Query, Parse, Bind, CopyData and FunctionCall.
	defaultLargeLimit = 1<<30 - 1
	// smallLimit is PQ_SMALL_MESSAGE_LIMIT, the bound for every other type.
	smallLimit = 10000
	// authLimit is PG_MAX_AUTH_TOKEN_LENGTH, the bound for 'p' messages
	// (password, SASL) during authentication.
	authLimit = 65535
)

// Buffer sizes of the reader. Most messages are far below readBufSize, so
// one read from the socket usually brings in several pipelined messages.
const (
	readBufSize    = 8 << 10
	maxIdleReadBuf = 1 << 20
)

// msgReader is the pgproto3.ChunkReader under the Backend. It exists for
// three reasons (pg-compat §2.6): it checks the length word of every message
// against the limit for its type before a byte of the body is allocated; it
// flushes the output (and notices a server shutdown) before any read that can
// block, so the client never waits for replies sitting in our buffer; and it
// reuses one buffer instead of allocating per message.
//
// Lifetime: a slice returned by Next is valid until the next call to Next.
// That is stricter than the comment on pgproto3.ChunkReader, but the Backend
// uses a header before reading the body and only promises a message until the
// next Receive, and the connection copies whatever it keeps past that.
type msgReader struct {
	r      io.Reader
	buf    []byte
	rp, wp int

	large int  // limit for the large message types
	auth  bool // authentication phase: only 'p' is expected

	inBody bool // the next Next reads the body of the header just returned

	// beforeRead is called before reading from the socket: it flushes the
	// output and returns an error if the connection must stop.
	beforeRead func() error
}

func newMsgReader(r io.Reader, large int, beforeRead func() error) *msgReader {
	return &msgReader{r: r, buf: make([]byte, readBufSize), large: large, beforeRead: beforeRead}
}

var _ pgproto3.ChunkReader = (*msgReader)(nil)

// Next implements pgproto3.ChunkReader. The Backend asks for a 5-byte header
// and then for the body; the header's type and length are checked here.
func (m *msgReader) Next(n int) ([]byte, error) {
	if m.inBody {
		m.inBody = false
		return m.take(n)
	}
	hdr, err := m.take(n)
	if err != nil || n != 5 {
		return hdr, err
	}
	typ := hdr[0]
	length := int64(int32(binary.BigEndian.Uint32(hdr[1:])))
	limit, ok := m.limit(typ)
	switch {
	case !ok:
		return nil, fatalf(sqlstate.ProtocolViolation, "invalid frontend message type %d", typ)
	case length < 4 || length-4 > int64(limit):
		return nil, fatalf(sqlstate.ProtocolViolation, "invalid message length")
	}
	m.inBody = true
	return hdr, nil
}

// limit returns the largest body accepted for a message type, and whether
// the type is one a client may send at this point.
func (m *msgReader) limit(typ byte) (int, bool) {
	if m.auth {
		return authLimit, typ == 'p'
	}
	switch typ {
	case 'Q', 'P', 'B', 'd', 'F':
		return m.large, true
	case 'C', 'D', 'E', 'H', 'S', 'X', 'c', 'f':
		return min(smallLimit, m.large), true
	}
	return 0, false
}

// take returns the next n bytes, reading from the socket as needed.
func (m *msgReader) take(n int) ([]byte, error) {
	if m.wp-m.rp >= n {
		b := m.buf[m.rp : m.rp+n : m.rp+n]
		m.rp += n
		return b, nil
	}
	if m.rp == m.wp {
		m.rp, m.wp = 0, 0
		if len(m.buf) > maxIdleReadBuf && n <= readBufSize {
			m.buf = make([]byte, readBufSize) // let a huge message's buffer go
		}
	}
	if len(m.buf)-m.rp < n {
		if n <= len(m.buf) {
			m.wp = copy(m.buf, m.buf[m.rp:m.wp])
		} else {
			nb := make([]byte, n)
			m.wp = copy(nb, m.buf[m.rp:m.wp])
			m.buf = nb
		}
		m.rp = 0
	}
	if m.beforeRead != nil {
		if err := m.beforeRead(); err != nil {
			return nil, err
		}
	}
	for m.wp-m.rp < n {
		k, err := m.r.Read(m.buf[m.wp:])
		m.wp += k
		if err != nil && m.wp-m.rp < n {
			return nil, &ioError{err: err}
		}
	}
	b := m.buf[m.rp : m.rp+n : m.rp+n]
	m.rp += n
	return b, nil
}
