package gateway

import (
	"context"
	"strings"
	"time"

	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/codec"
	"github.com/lancegate/lancegate/gateway/pgwire"
	"github.com/lancegate/lancegate/planner"
)

// Session is one client connection's SQL state. It implements
// pgwire.Session; the protocol layer calls it from one goroutine.
type Session struct {
	e        *Engine
	startup  pgwire.Startup
	settings *settings
	codec    *codec.Settings
	// tx is the open transaction (explicit block or implicit), or nil.
	tx *txn
	// changed collects ParameterStatus changes of the current statement.
	changed []pgwire.Parameter
	// role is the OID of the session's role (roles_check.go); 0 without a
	// role database.
	role uint32
	// prepared are the SQL-level prepared statements (sqlprepare.go).
	prepared map[string]*sqlPrepared
}

var _ pgwire.Session = (*Session)(nil)
var _ planner.Session = (*Session)(nil)

func newSession(e *Engine, s pgwire.Startup) *Session {
	sess := &Session{e: e, startup: s, settings: newSettings(e.opts.Version)}
	sess.refreshCodec()
	return sess
}

// refreshCodec recomputes the wire settings from the parameters.
func (s *Session) refreshCodec() {
	c := codec.DefaultSettings()
	c.Text.TimeZone = s.settings.loc
	c.TimeZoneName = s.settings.values["TimeZone"]
	if n, err := checkFloatDigits(s.settings.values["extra_float_digits"]); err == nil {
		c.Text.ExtraFloatDigits = atoiOr(n, 1)
	}
	c.Text.ByteaHex = s.settings.values["bytea_output"] != "escape"
	s.codec = c
}

func atoiOr(s string, def int) int {
	n := 0
	neg := strings.HasPrefix(s, "-")
	for _, r := range strings.TrimPrefix(s, "-") {
		if r < '0' || r > '9' {
			return def
		}
		n = n*10 + int(r-'0')
	}
	if neg {
		n = -n
	}
	return n
}

// applyOptions applies the startup "options" parameter: -c name=value and
// --name=value, separated by unescaped spaces.
func (s *Session) applyOptions(opts string) error {
	var args []string
	var cur strings.Builder
	esc := false
	for _, r := range opts {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case r == '\\':
			esc = true
		case r == ' ':
			if cur.Len() > 0 {
				args = append(args, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		args = append(args, cur.String())
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		var kv string
		switch {
		case a == "-c" && i+1 < len(args):
			i++
			kv = args[i]
		case strings.HasPrefix(a, "-c"):
			kv = a[2:]
		case strings.HasPrefix(a, "--"):
			kv = a[2:]
		default:
			return sqlstate.New(sqlstate.InvalidAuthorizationSpecification, "invalid command-line argument for server process: %s", a)
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return sqlstate.New(sqlstate.InvalidAuthorizationSpecification, "invalid command-line argument for server process: %s", a)
		}
		if _, _, err := s.settings.set(strings.ReplaceAll(k, "-", "_"), v); err != nil {
			return err
		}
	}
	return nil
}

// ParameterStatus implements pgwire.Session.
func (s *Session) ParameterStatus() []pgwire.Parameter {
	var out []pgwire.Parameter
	for _, kv := range s.settings.reported(s.e.opts.Version) {
		out = append(out, pgwire.Parameter{Name: kv[0], Value: kv[1]})
	}
	return out
}

// Settings implements pgwire.Session.
func (s *Session) Settings() *codec.Settings { return s.codec }

// TxStatus implements pgwire.Session.
func (s *Session) TxStatus() byte {
	switch {
	case s.tx == nil || !s.tx.explicit:
		return 'I'
	case s.tx.failed:
		return 'E'
	}
	return 'T'
}

// EndImplicit implements pgwire.Session: it ends an implicit transaction,
// committing its buffered writes unless a statement failed.
func (s *Session) EndImplicit(ctx context.Context, commit bool) error {
	if s.tx == nil || s.tx.explicit {
		if s.tx != nil && !commit {
			s.tx.failed = true
		}
		return nil
	}
	tx := s.tx
	s.tx = nil
	if commit && !tx.failed {
		return s.commit(ctx, tx)
	}
	s.discard(tx)
	return nil
}

// commit writes a transaction's changes, table by table.
func (s *Session) commit(ctx context.Context, tx *txn) error {
	tx.closeCursors()
	var first error
	for _, t := range tx.tables {
		if first == nil {
			if err := t.commit(ctx); err != nil {
				first = err
			}
		}
		t.discard()
	}
	return first
}

func (s *Session) discard(tx *txn) {
	tx.closeCursors()
	for _, t := range tx.tables {
		t.discard()
	}
}

// Close implements pgwire.Session.
func (s *Session) Close() {
	if s.tx != nil {
		s.discard(s.tx)
		s.tx = nil
	}
	s.endRole()
}

// The planner.Session methods.

// User implements planner.Session.
func (s *Session) User() string { return s.startup.User }

// Database implements planner.Session.
func (s *Session) Database() string { return s.e.opts.Database }

// BackendPID implements planner.Session.
func (s *Session) BackendPID() int32 { return int32(s.startup.ProcessID) }

// Version implements planner.Session.
func (s *Session) Version() string { return s.e.versionString() }

// Setting implements planner.Session.
func (s *Session) Setting(name string) (string, bool) {
	v, _, err := s.settings.get(name)
	return v, err == nil
}

// TimeZone implements planner.Session.
func (s *Session) TimeZone() *time.Location { return s.settings.loc }

// transaction returns the open transaction, starting an implicit one.
func (s *Session) transaction() *txn {
	if s.tx == nil {
		s.tx = newTxn(false)
	}
	return s.tx
}
