package pgwire

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/jackc/pgproto3/v2"
	"github.com/xdg-go/scram"
	"github.com/xdg-go/stringprep"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// AuthMethod selects how clients authenticate.
type AuthMethod int

const (
	// AuthTrust accepts every client without a password (the embedded
	// default on loopback).
	AuthTrust AuthMethod = iota
	// AuthSCRAMSHA256 requires SCRAM-SHA-256 (RFC 5802, RFC 7677) against
	// a stored verifier.
	AuthSCRAMSHA256
)

// Auth configures authentication.
type Auth struct {
	// Method is the authentication method; the zero value is AuthTrust.
	Method AuthMethod
	// Lookup returns the SCRAM-SHA-256 verifier stored for a user, or an
	// error wrapping ErrUnknownUser when there is none. It is required for
	// AuthSCRAMSHA256 and may be called concurrently. Passwords are never
	// stored or seen by the server, only verifiers.
	Lookup func(ctx context.Context, user string) (SCRAMVerifier, error)
	// RequireTLS refuses clients that did not negotiate TLS, before any
	// authentication exchange (pg_hba.conf's hostssl): FATAL 28000.
	RequireTLS bool
}

// ErrUnknownUser is returned (wrapped) by Auth.Lookup for a user without a
// verifier; test it with errors.Is. The client sees the same error as for a
// wrong password.
var ErrUnknownUser = errors.New("pgwire: unknown user")

// SCRAMVerifier is what the server keeps of a password: the salt and
// iteration count of the key derivation, StoredKey = H(ClientKey) and
// ServerKey (RFC 5802 §3).
type SCRAMVerifier struct {
	Salt       []byte
	Iterations int
	StoredKey  []byte
	ServerKey  []byte
}

// SCRAMPasswords returns SCRAM-SHA-256 authentication for a fixed set of
// users (name → password), for tests and servers without a role database.
// Each verifier is derived once, with a random salt; the passwords
// themselves are not kept. lancegate serve gives Auth.Lookup the role
// database instead (gateway.RoleAuth).
func SCRAMPasswords(users map[string]string) Auth {
	verifiers := make(map[string]SCRAMVerifier, len(users))
	var deriveErr error
	for user, password := range users {
		v, err := NewSCRAMVerifier(password, nil, 0)
		if err != nil {
			deriveErr = err
			continue
		}
		verifiers[user] = v
	}
	return Auth{Method: AuthSCRAMSHA256, Lookup: func(_ context.Context, user string) (SCRAMVerifier, error) {
		if deriveErr != nil {
			return SCRAMVerifier{}, deriveErr
		}
		v, ok := verifiers[user]
		if !ok {
			return SCRAMVerifier{}, fmt.Errorf("role \"%s\": %w", user, ErrUnknownUser)
		}
		return v, nil
	}}
}

// scramIterations is PostgreSQL's scram_iterations default.
const scramIterations = 4096

// NewSCRAMVerifier derives the verifier of a password, normalising it with
// SASLprep as PostgreSQL does (a password SASLprep rejects is used as is). A
// nil salt draws 16 random bytes; iterations ≤ 0 means 4096.
func NewSCRAMVerifier(password string, salt []byte, iterations int) (SCRAMVerifier, error) {
	if salt == nil {
		salt = make([]byte, 16)
		if _, err := rand.Read(salt); err != nil {
			return SCRAMVerifier{}, fmt.Errorf("pgwire: scram salt: %w", err)
		}
	}
	if iterations <= 0 {
		iterations = scramIterations
	}
	if prepped, err := stringprep.SASLprep.Prepare(password); err == nil {
		password = prepped
	}
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return SCRAMVerifier{}, fmt.Errorf("pgwire: scram key derivation: %w", err)
	}
	clientKey := hmacSHA256(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	return SCRAMVerifier{
		Salt:       salt,
		Iterations: iterations,
		StoredKey:  stored[:],
		ServerKey:  hmacSHA256(salted, "Server Key"),
	}, nil
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// String formats v as PostgreSQL stores it in pg_authid.rolpassword:
// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>, base64.
func (v SCRAMVerifier) String() string {
	b := base64.StdEncoding
	return "SCRAM-SHA-256$" + strconv.Itoa(v.Iterations) + ":" + b.EncodeToString(v.Salt) +
		"$" + b.EncodeToString(v.StoredKey) + ":" + b.EncodeToString(v.ServerKey)
}

// ParseSCRAMVerifier parses the rolpassword form that String writes, so
// verifiers can be copied from PostgreSQL.
func ParseSCRAMVerifier(s string) (SCRAMVerifier, error) {
	bad := func() (SCRAMVerifier, error) {
		return SCRAMVerifier{}, errors.New("pgwire: malformed SCRAM-SHA-256 verifier")
	}
	rest, ok := strings.CutPrefix(s, "SCRAM-SHA-256$")
	if !ok {
		return bad()
	}
	params, keys, ok := strings.Cut(rest, "$")
	if !ok {
		return bad()
	}
	iter, salt, ok1 := strings.Cut(params, ":")
	stored, server, ok2 := strings.Cut(keys, ":")
	if !ok1 || !ok2 {
		return bad()
	}
	var v SCRAMVerifier
	var err error
	if v.Iterations, err = strconv.Atoi(iter); err != nil || v.Iterations <= 0 {
		return bad()
	}
	b := base64.StdEncoding
	if v.Salt, err = b.DecodeString(salt); err != nil {
		return bad()
	}
	if v.StoredKey, err = b.DecodeString(stored); err != nil || len(v.StoredKey) != sha256.Size {
		return bad()
	}
	if v.ServerKey, err = b.DecodeString(server); err != nil || len(v.ServerKey) != sha256.Size {
		return bad()
	}
	return v, nil
}

// authenticate runs the authentication exchange of pg-compat §2.3 and sends
// AuthenticationOk. Failures are FATAL; a client closing the socket
// mid-exchange (psql does, to prompt for a password) is an ioError.
func (c *conn) authenticate(user string) error {
	if c.srv.cfg.Auth.RequireTLS && !c.tlsOn {
		host, _, _ := net.SplitHostPort(c.raw.RemoteAddr().String())
		return fatalf(sqlstate.InvalidAuthorizationSpecification, "no pg_hba.conf entry for host \"%s\", user \"%s\", no encryption", host, user)
	}
	switch c.srv.cfg.Auth.Method {
	case AuthTrust:
	case AuthSCRAMSHA256:
		if err := c.authSCRAM(user); err != nil {
			return err
		}
	default:
		return fatalf(sqlstate.InternalError, "authentication method %d is not configured", c.srv.cfg.Auth.Method)
	}
	return c.send(&pgproto3.AuthenticationOk{})
}

const mechSCRAMSHA256 = "SCRAM-SHA-256"

// authSCRAM runs SCRAM-SHA-256 over SASL. The user is the startup user: libpq
// sends an empty SCRAM user name, so the one in the client-first message is
// ignored. An unknown user gets a made-up verifier and fails at the proof,
// like a wrong password, so the exchange does not reveal which users exist.
func (c *conn) authSCRAM(user string) error {
	failed := func() error {
		return fatalf(sqlstate.InvalidPassword, "password authentication failed for user \"%s\"", user)
	}
	lookup := c.srv.cfg.Auth.Lookup
	if lookup == nil {
		return fatalf(sqlstate.InternalError, "scram-sha-256 authentication has no credential lookup")
	}
	v, err := lookup(c.ctx, user)
	known := err == nil
	switch {
	case errors.Is(err, ErrUnknownUser):
		v = c.srv.mockVerifier(user)
	case err != nil:
		return &fatalError{err: fmt.Errorf("pgwire: credential lookup for %q: %w", user, err)}
	}
	srv, err := scram.SHA256.NewServer(func(string) (scram.StoredCredentials, error) {
		return scram.StoredCredentials{
			KeyFactors: scram.KeyFactors{Salt: string(v.Salt), Iters: v.Iterations},
			StoredKey:  v.StoredKey,
			ServerKey:  v.ServerKey,
		}, nil
	})
	if err != nil {
		return &fatalError{err: fmt.Errorf("pgwire: scram server: %w", err)}
	}
	conv := srv.NewConversation()

	if err := c.sendAuthRequest(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{mechSCRAMSHA256}}, pgproto3.AuthTypeSASL); err != nil {
		return err
	}
	msg, err := c.receive()
	if err != nil {
		return err
	}
	first, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok {
		return fatalf(sqlstate.ProtocolViolation, "expected SASL response, got message type %T", msg)
	}
	if first.AuthMechanism != mechSCRAMSHA256 {
		return fatalf(sqlstate.ProtocolViolation, "client selected an invalid SASL authentication mechanism")
	}
	serverFirst, err := conv.Step(string(first.Data))
	if err != nil {
		c.log.Debug("scram client-first rejected", "err", err)
		return fatalf(sqlstate.ProtocolViolation, "malformed SCRAM message")
	}

	if err := c.sendAuthRequest(&pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)}, pgproto3.AuthTypeSASLContinue); err != nil {
		return err
	}
	msg, err = c.receive()
	if err != nil {
		return err
	}
	final, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		return fatalf(sqlstate.ProtocolViolation, "expected SASL response, got message type %T", msg)
	}
	serverFinal, err := conv.Step(string(final.Data))
	if err != nil || !conv.Valid() || !known {
		c.log.Debug("scram authentication failed", "user", user, "known", known, "err", err)
		return failed()
	}
	if err := c.be.SetAuthType(pgproto3.AuthTypeOk); err != nil {
		return &fatalError{err: err}
	}
	c.rd.auth = false
	return c.send(&pgproto3.AuthenticationSASLFinal{Data: []byte(serverFinal)})
}

// sendAuthRequest sends an authentication request, tells the Backend how to
// decode the 'p' message that answers it (pg-compat §2.3: without it both
// SASL messages decode as PasswordMessage) and flushes.
func (c *conn) sendAuthRequest(msg pgproto3.BackendMessage, authType uint32) error {
	if err := c.be.SetAuthType(authType); err != nil {
		return &fatalError{err: err}
	}
	c.rd.auth = true
	if err := c.send(msg); err != nil {
		return err
	}
	return c.flush()
}

// mockVerifier returns a verifier no password matches, with a salt that is
// stable per user so that repeated attempts look like a real account.
func (s *Server) mockVerifier(user string) SCRAMVerifier {
	salt := hmacSHA256(s.mockSecret, user)[:16]
	key := make([]byte, sha256.Size)
	_, _ = rand.Read(key)
	return SCRAMVerifier{Salt: salt, Iterations: scramIterations, StoredKey: key, ServerKey: key}
}
