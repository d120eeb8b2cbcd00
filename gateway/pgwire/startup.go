package pgwire

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// The startup phase (pg-compat §2.1) is read with exact reads on the raw
// socket: pgproto3/v2's ReceiveStartupMessage knows only protocol 3.0, and
// its chunk reader reads ahead, which would pull bytes sent after an
// SSLRequest into a plaintext buffer before TLS starts. Reading exactly
// length-prefixed packets means nothing is ever buffered on our side when the
// TLS handshake begins: bytes a client (or a man in the middle) sends after
// the SSLRequest are handed to the handshake, which rejects them.

// Codes of the packets that may open a connection.
const (
	codeCancelRequest = 80877102
	codeSSLRequest    = 80877103
	codeGSSENCRequest = 80877104
	protocol30        = 3 << 16
)

// maxStartupPacket is MAX_STARTUP_PACKET_LENGTH from PostgreSQL.
const maxStartupPacket = 10000

// tlsRecordHandshake is the first byte of a TLS ClientHello: a client using
// direct TLS (PostgreSQL 17 sslnegotiation=direct) sends it instead of a
// length word.
const tlsRecordHandshake = 0x16

// packetKind says which of the four first packets arrived.
type packetKind int

const (
	kindStartup packetKind = iota
	kindSSLRequest
	kindGSSENCRequest
	kindCancelRequest
)

// startupPacket is a decoded first packet.
type startupPacket struct {
	Kind packetKind
	// Major and Minor are the protocol version of a StartupMessage.
	Major, Minor uint16
	// User and Database are the startup parameters of those names.
	User, Database string
	// Params holds every other parameter, keys as sent (last one wins).
	Params map[string]string
	// Replication is the replication parameter, "" when absent.
	Replication string
	// ProtocolOptions lists the _pq_.* parameters, in order.
	ProtocolOptions []string
	// CancelPID and CancelKey are the fields of a CancelRequest.
	CancelPID, CancelKey uint32
}

// errBadStartupLength is a first packet whose length word is out of range.
// PostgreSQL logs it and closes without answering, since the peer is
// probably not speaking its protocol at all.
var errBadStartupLength = errors.New("pgwire: invalid length of startup packet")

// readStartupPacket reads one length-prefixed first packet with exact reads.
func readStartupPacket(r io.Reader) (startupPacket, error) {
	var lenBuf [4]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return startupPacket{}, &ioError{err: err}
	}
	return readStartupBody(r, binary.BigEndian.Uint32(lenBuf[:]))
}

// readStartupBody reads the rest of a first packet whose length word is n.
func readStartupBody(r io.Reader, n uint32) (startupPacket, error) {
	if n < 8 || n > maxStartupPacket+4 {
		return startupPacket{}, errBadStartupLength
	}
	body := make([]byte, n-4)
	if _, err := io.ReadFull(r, body); err != nil {
		return startupPacket{}, &ioError{err: err}
	}
	return decodeStartupPacket(body)
}

// decodeStartupPacket decodes a first packet after its length word: a code or
// protocol version, then the body. Errors that PostgreSQL reports to the
// client are *fatalError with a SQLSTATE.
func decodeStartupPacket(body []byte) (startupPacket, error) {
	if len(body) < 4 {
		return startupPacket{}, errBadStartupLength
	}
	code := binary.BigEndian.Uint32(body)
	rest := body[4:]
	switch code {
	case codeSSLRequest, codeGSSENCRequest:
		if len(rest) != 0 {
			return startupPacket{}, errBadStartupLength
		}
		if code == codeSSLRequest {
			return startupPacket{Kind: kindSSLRequest}, nil
		}
		return startupPacket{Kind: kindGSSENCRequest}, nil
	case codeCancelRequest:
		if len(rest) != 8 {
			return startupPacket{}, errBadStartupLength
		}
		return startupPacket{
			Kind:      kindCancelRequest,
			CancelPID: binary.BigEndian.Uint32(rest),
			CancelKey: binary.BigEndian.Uint32(rest[4:]),
		}, nil
	}
	p := startupPacket{Kind: kindStartup, Major: uint16(code >> 16), Minor: uint16(code)}
	if p.Major != 3 {
		return p, fatalf(sqlstate.FeatureNotSupported,
			"unsupported frontend protocol %d.%d: server supports 3.0 to 3.0", p.Major, p.Minor)
	}
	p.Params = make(map[string]string)
	for {
		name, after, ok := cstring(rest)
		if !ok {
			return p, errStartupLayout()
		}
		if name == "" {
			if len(after) != 0 {
				return p, errStartupLayout()
			}
			break
		}
		value, after2, ok := cstring(after)
		if !ok {
			return p, errStartupLayout()
		}
		rest = after2
		switch {
		case name == "user":
			p.User = value
		case name == "database":
			p.Database = value
		case name == "replication":
			p.Replication = value
		case strings.HasPrefix(name, "_pq_."):
			p.ProtocolOptions = append(p.ProtocolOptions, name)
		default:
			p.Params[name] = value
		}
	}
	return p, nil
}

func errStartupLayout() error {
	return fatalf(sqlstate.ProtocolViolation, "invalid startup packet layout: expected terminator as last byte")
}

// cstring splits a NUL-terminated string off b.
func cstring(b []byte) (s string, rest []byte, ok bool) {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return "", nil, false
	}
	return string(b[:i]), b[i+1:], true
}

// errCancelHandled ends a connection that carried a CancelRequest: it gets
// no answer, only a close.
var errCancelHandled = errors.New("pgwire: cancel request handled")

// startup runs the first-packet loop (pg-compat §2.1) on the raw socket until
// a StartupMessage arrives: SSLRequest is answered 'S' and TLS when the server
// has a certificate, else 'N'; GSSENCRequest is answered 'N'; a
// CancelRequest is acted on and ends the connection (errCancelHandled). On
// return c.nc is the TLS connection when TLS was negotiated.
func (c *conn) startup() (startupPacket, error) {
	sslDone, gssDone := false, false
	for first := true; ; first = false {
		var pkt startupPacket
		var err error
		if first && c.srv.tls != nil {
			pkt, err = c.readFirstPacket()
		} else {
			pkt, err = readStartupPacket(c.nc)
		}
		if err != nil {
			return pkt, err
		}
		switch pkt.Kind {
		case kindSSLRequest:
			if sslDone || c.tlsOn {
				// PostgreSQL reads a second SSLRequest as an unknown version.
				return pkt, fatalf(sqlstate.FeatureNotSupported,
					"unsupported frontend protocol %d.%d: server supports 3.0 to 3.0", codeSSLRequest>>16, codeSSLRequest&0xffff)
			}
			sslDone = true
			if c.srv.tls == nil {
				if err := c.writeRaw([]byte{'N'}); err != nil {
					return pkt, err
				}
				continue
			}
			if err := c.writeRaw([]byte{'S'}); err != nil {
				return pkt, err
			}
			if err := c.startTLS(c.nc); err != nil {
				return pkt, err
			}
		case kindGSSENCRequest:
			if gssDone {
				return pkt, fatalf(sqlstate.FeatureNotSupported,
					"unsupported frontend protocol %d.%d: server supports 3.0 to 3.0", codeGSSENCRequest>>16, codeGSSENCRequest&0xffff)
			}
			gssDone = true
			if err := c.writeRaw([]byte{'N'}); err != nil {
				return pkt, err
			}
		case kindCancelRequest:
			c.srv.cancelRequest(pkt.CancelPID, pkt.CancelKey)
			return pkt, errCancelHandled
		default:
			return pkt, nil
		}
	}
}

// readFirstPacket reads the first packet of a connection to a server with
// TLS configured: a first byte of 0x16 starts direct TLS (with ALPN
// "postgresql"), after which the packets are read inside TLS.
func (c *conn) readFirstPacket() (startupPacket, error) {
	var lenBuf [4]byte
	if _, err := io.ReadFull(c.nc, lenBuf[:1]); err != nil {
		return startupPacket{}, &ioError{err: err}
	}
	if lenBuf[0] == tlsRecordHandshake {
		if err := c.startTLS(&prefixConn{Conn: c.nc, prefix: lenBuf[:1]}); err != nil {
			return startupPacket{}, err
		}
		if c.nc.(*tls.Conn).ConnectionState().NegotiatedProtocol != alpnPostgreSQL {
			return startupPacket{}, fmt.Errorf("pgwire: direct TLS without ALPN %q", alpnPostgreSQL)
		}
		return readStartupPacket(c.nc)
	}
	if _, err := io.ReadFull(c.nc, lenBuf[1:]); err != nil {
		return startupPacket{}, &ioError{err: err}
	}
	return readStartupBody(c.nc, binary.BigEndian.Uint32(lenBuf[:]))
}

// alpnPostgreSQL is the ALPN protocol name PostgreSQL 17 uses.
const alpnPostgreSQL = "postgresql"

// startTLS runs the server side of the TLS handshake over under.
func (c *conn) startTLS(under net.Conn) error {
	tc := tls.Server(under, c.srv.tls)
	if err := tc.HandshakeContext(c.ctx); err != nil {
		return &ioError{err: fmt.Errorf("tls handshake: %w", err)}
	}
	c.nc, c.tlsOn = tc, true
	return nil
}

// prefixConn replays bytes already read before reading from Conn.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// checkStartup applies the rules of pg-compat §2.2 that the protocol layer
// owns; the engine checks the database and the parameters.
func checkStartup(p *startupPacket) error {
	switch strings.ToLower(p.Replication) {
	case "", "false", "off", "no", "0":
	default:
		return fatalf(sqlstate.FeatureNotSupported, "replication connections are not supported")
	}
	if p.User == "" {
		return fatalf(sqlstate.InvalidAuthorizationSpecification, "no PostgreSQL user name specified in startup packet")
	}
	if p.Database == "" {
		p.Database = p.User
	}
	return nil
}

// needsNegotiation reports whether the client asked for more than 3.0 offers:
// a newer minor version or protocol options.
func (p *startupPacket) needsNegotiation() bool {
	return p.Minor > 0 || len(p.ProtocolOptions) > 0
}

// appendNegotiateProtocolVersion appends the NegotiateProtocolVersion message
// ('v'), which pgproto3/v2 lacks: the newest minor version supported and the
// protocol options not recognised.
func appendNegotiateProtocolVersion(dst []byte, newestMinor uint32, options []string) []byte {
	start := len(dst)
	dst = append(dst, 'v', 0, 0, 0, 0)
	dst = binary.BigEndian.AppendUint32(dst, newestMinor)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(options)))
	for _, o := range options {
		dst = append(dst, o...)
		dst = append(dst, 0)
	}
	binary.BigEndian.PutUint32(dst[start+1:], uint32(len(dst)-start-1))
	return dst
}
