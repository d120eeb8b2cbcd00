package gateway

import (
	"context"
	"io"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/lancegate/lancegate/executor"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/pgwire"
	"github.com/lancegate/lancegate/planner/dialect"
)

// Handlers of the session statements the dialect bridge parses.

// textRows makes an operator over rows of text columns.
func (s *Session) textRows(names []string, rows [][]string) executor.Operator {
	fields := make([]arrow.Field, len(names))
	for i, n := range names {
		fields[i] = arrow.Field{Name: n, Type: arrow.BinaryTypes.String, Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(s.e.opts.Mem, schema)
	defer b.Release()
	for _, r := range rows {
		for i, v := range r {
			b.Field(i).(*array.StringBuilder).Append(v)
		}
	}
	return &memRows{schema: schema, recs: []arrow.Record{b.NewRecord()}}
}

func (s *Session) utility(tag string, run func(ctx context.Context, r *utilityResult) error) *utilityStatement {
	return &utilityStatement{run: func(ctx context.Context) (*utilityResult, error) {
		r := &utilityResult{tag: tag}
		if err := run(ctx, r); err != nil {
			s.fail()
			return nil, err
		}
		return r, nil
	}}
}

// setStmt is SET [SESSION|LOCAL] name = value[, …] and SET TIME ZONE.
func (s *Session) setStmt(name string, values []string, local bool) *utilityStatement {
	return s.utility("SET", func(ctx context.Context, r *utilityResult) error {
		if err := s.checkFailed(); err != nil {
			return err
		}
		value := strings.Join(values, ", ")
		if local && (s.tx == nil || !s.tx.explicit) {
			r.notices = append(r.notices, sqlstate.New(sqlstate.NoActiveSQLTransaction, "SET LOCAL can only be used in transaction blocks"))
			return nil
		}
		if local || (s.tx != nil && s.tx.explicit) {
			s.tx.rememberSetting(s.settings, name, local)
		}
		canon, report, err := s.settings.set(name, value)
		if err != nil {
			return err
		}
		s.afterSettings(r, canon, report)
		return nil
	})
}

func (s *Session) afterSettings(r *utilityResult, canon string, report bool) {
	s.refreshCodec()
	if report {
		r.changed = append(r.changed, pgwire.Parameter{Name: canon, Value: s.settings.values[canon]})
	}
}

// resetStmt is RESET name | ALL.
func (s *Session) resetStmt(name string) *utilityStatement {
	return s.utility("RESET", func(ctx context.Context, r *utilityResult) error {
		if err := s.checkFailed(); err != nil {
			return err
		}
		names := []string{name}
		if strings.EqualFold(name, "all") {
			names = nil
			for _, d := range s.settings.defs {
				if !d.readOnly {
					names = append(names, d.name)
				}
			}
		}
		for _, n := range names {
			if s.tx != nil && s.tx.explicit {
				s.tx.rememberSetting(s.settings, n, false)
			}
			canon, report, err := s.settings.reset(n)
			if err != nil {
				return err
			}
			s.afterSettings(r, canon, report)
		}
		return nil
	})
}

// showStmt is SHOW name | ALL.
func (s *Session) showStmt(name string) (*utilityStatement, error) {
	if strings.EqualFold(name, "all") {
		st := s.utility("SHOW", func(ctx context.Context, r *utilityResult) error {
			var rows [][]string
			for _, kv := range s.settings.all() {
				rows = append(rows, []string{kv[0], kv[1], kv[2]})
			}
			r.rows = s.textRows([]string{"name", "setting", "description"}, rows)
			return nil
		})
		st.cols = []pgwire.Column{textColumn("name"), textColumn("setting"), textColumn("description")}
		return st, nil
	}
	_, canon, err := s.settings.get(name)
	if err != nil {
		return nil, err
	}
	st := s.utility("SHOW", func(ctx context.Context, r *utilityResult) error {
		if err := s.checkFailed(); err != nil {
			return err
		}
		v, canon, err := s.settings.get(name)
		if err != nil {
			return err
		}
		r.rows = s.textRows([]string{canon}, [][]string{{v}})
		return nil
	})
	st.cols = []pgwire.Column{textColumn(canon)}
	return st, nil
}

// beginStmt is BEGIN / START TRANSACTION [READ ONLY|READ WRITE]
// [ISOLATION LEVEL …].
func (s *Session) beginStmt(tag string, readOnly *bool, isolation string) *utilityStatement {
	return s.utility(tag, func(ctx context.Context, r *utilityResult) error {
		if isolation != "" {
			if _, err := checkIsolation(isolation); err != nil {
				return err
			}
		}
		if s.tx != nil && s.tx.explicit {
			if s.tx.failed {
				return s.checkFailed()
			}
			r.notices = append(r.notices, &sqlstate.Error{Code: sqlstate.ActiveSQLTransaction, Message: "there is already a transaction in progress"})
			return nil
		}
		tx := s.transaction()
		tx.explicit = true
		if readOnly != nil {
			tx.readOnly = *readOnly
		} else {
			tx.readOnly = s.settings.values["default_transaction_read_only"] == "on"
		}
		return nil
	})
}

// commitStmt is COMMIT / END; in a failed block it rolls back.
func (s *Session) commitStmt() *utilityStatement {
	st := &utilityStatement{}
	st.run = func(ctx context.Context) (*utilityResult, error) {
		r := &utilityResult{tag: "COMMIT"}
		if s.tx == nil || !s.tx.explicit {
			r.notices = append(r.notices, &sqlstate.Error{Code: sqlstate.NoActiveSQLTransaction, Message: "there is no transaction in progress"})
			return r, nil
		}
		tx := s.tx
		s.tx = nil
		s.endSettings(tx, r)
		if tx.failed {
			s.discard(tx)
			r.tag = "ROLLBACK"
			return r, nil
		}
		if err := s.commit(ctx, tx); err != nil {
			return nil, err
		}
		return r, nil
	}
	return st
}

// rollbackStmt is ROLLBACK / ABORT.
func (s *Session) rollbackStmt() *utilityStatement {
	st := &utilityStatement{}
	st.run = func(ctx context.Context) (*utilityResult, error) {
		r := &utilityResult{tag: "ROLLBACK"}
		if s.tx == nil || !s.tx.explicit {
			r.notices = append(r.notices, &sqlstate.Error{Code: sqlstate.NoActiveSQLTransaction, Message: "there is no transaction in progress"})
			return r, nil
		}
		tx := s.tx
		s.tx = nil
		s.discard(tx)
		s.endSettings(tx, r)
		return r, nil
	}
	return st
}

// endSettings undoes SET LOCAL (and, on rollback, SET) of a transaction.
func (s *Session) endSettings(tx *txn, r *utilityResult) {
	for _, saved := range tx.savedSettings {
		if !saved.local && !tx.failed && r.tag == "COMMIT" {
			continue
		}
		canon, report, err := s.settings.set(saved.name, saved.value)
		if err == nil {
			s.afterSettings(r, canon, report)
		}
	}
}

// simpleStmt answers a statement with a tag and nothing else.
func (s *Session) simpleStmt(tag string) *utilityStatement {
	return s.utility(tag, func(ctx context.Context, r *utilityResult) error {
		return s.checkFailed()
	})
}

// notSupported answers a known but unsupported statement with 0A000.
func notSupported(what string) error {
	return sqlstate.New(sqlstate.FeatureNotSupported, "%s is not supported", what)
}

// memRows is an operator over record batches in memory.
type memRows struct {
	schema *arrow.Schema
	recs   []arrow.Record
}

func (m *memRows) Schema() *arrow.Schema { return m.schema }

func (m *memRows) Next(ctx context.Context) (arrow.Record, error) {
	if len(m.recs) == 0 {
		return nil, io.EOF
	}
	r := m.recs[0]
	m.recs = m.recs[1:]
	return r, nil
}

func (m *memRows) Close() {
	for _, r := range m.recs {
		r.Release()
	}
	m.recs = nil
}

// setTransactionStmt is SET TRANSACTION … and SET SESSION CHARACTERISTICS
// AS TRANSACTION ….
func (s *Session) setTransactionStmt(x *dialect.SetTransactionStmt) *utilityStatement {
	return s.utility("SET", func(ctx context.Context, r *utilityResult) error {
		if err := s.checkFailed(); err != nil {
			return err
		}
		if x.Modes.Isolation != "" {
			if _, err := checkIsolation(x.Modes.Isolation); err != nil {
				return err
			}
		}
		if x.Session {
			if x.Modes.Isolation != "" {
				if _, _, err := s.settings.set("default_transaction_isolation", x.Modes.Isolation); err != nil {
					return err
				}
			}
			if x.Modes.ReadOnly != nil {
				v := "off"
				if *x.Modes.ReadOnly {
					v = "on"
				}
				canon, report, err := s.settings.set("default_transaction_read_only", v)
				if err != nil {
					return err
				}
				s.afterSettings(r, canon, report)
			}
			return nil
		}
		if s.tx == nil || !s.tx.explicit {
			r.notices = append(r.notices, sqlstate.New(sqlstate.NoActiveSQLTransaction, "SET TRANSACTION can only be used in transaction blocks"))
			return nil
		}
		if x.Modes.ReadOnly != nil {
			s.tx.readOnly = *x.Modes.ReadOnly
		}
		if x.Modes.Isolation != "" {
			s.tx.rememberSetting(s.settings, "transaction_isolation", true)
			if _, _, err := s.settings.set("transaction_isolation", x.Modes.Isolation); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetConfig implements expr.SettingsWriter: set_config(name, value,
// is_local) is SET [LOCAL] name = value. Outside a transaction block a
// local setting would end with the statement, so it is not applied (the
// value is returned as PostgreSQL returns it).
func (s *Session) SetConfig(_ context.Context, name, value string, local bool) (string, error) {
	tx := s.transaction()
	if local && !tx.explicit {
		if _, ok := s.settings.lookup(name); !ok && !strings.Contains(name, ".") {
			return "", sqlstate.New(sqlstate.UndefinedObject, "unrecognized configuration parameter %q", name)
		}
		return value, nil
	}
	if tx.explicit {
		tx.rememberSetting(s.settings, name, local)
	}
	canon, _, err := s.settings.set(name, value)
	if err != nil {
		return "", err
	}
	s.refreshCodec()
	v, _, err := s.settings.get(canon)
	return v, err
}
