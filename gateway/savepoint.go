package gateway

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/pgwire"
)

// Savepoints mark positions in a transaction's write buffers: ROLLBACK TO
// truncates the buffers back to the mark (the writes are buffered until
// COMMIT, so undoing them is exact).

type savepoint struct {
	name   string
	tables map[string]tableMark
}

// tableMark is a table's buffer state at a savepoint.
type tableMark struct {
	rows    int
	removed map[int64]bool
	deleted map[uint64]bool
}

func copyMap[K comparable](m map[K]bool) map[K]bool {
	if m == nil {
		return nil
	}
	out := make(map[K]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (s *Session) savepointStmt(name string) pgwire.Statement {
	return s.utility("SAVEPOINT", func(ctx context.Context, r *utilityResult) error {
		if s.tx == nil || !s.tx.explicit {
			return sqlstate.New(sqlstate.NoActiveSQLTransaction, "SAVEPOINT can only be used in transaction blocks")
		}
		if err := s.checkFailed(); err != nil {
			return err
		}
		sp := savepoint{name: name, tables: map[string]tableMark{}}
		for tn, t := range s.tx.tables {
			sp.tables[tn] = tableMark{rows: len(t.rows), removed: copyMap(t.removed), deleted: copyMap(t.deleted)}
		}
		s.tx.savepoints = append(s.tx.savepoints, sp)
		return nil
	})
}

// findSavepoint returns the index of the newest savepoint named name.
func (tx *txn) findSavepoint(name string) (int, error) {
	for i := len(tx.savepoints) - 1; i >= 0; i-- {
		if tx.savepoints[i].name == name {
			return i, nil
		}
	}
	return -1, sqlstate.New(sqlstate.Code("3B001"), "savepoint %q does not exist", name)
}

func (s *Session) releaseStmt(name string) pgwire.Statement {
	return s.utility("RELEASE", func(ctx context.Context, r *utilityResult) error {
		if s.tx == nil || !s.tx.explicit {
			return sqlstate.New(sqlstate.NoActiveSQLTransaction, "RELEASE SAVEPOINT can only be used in transaction blocks")
		}
		if err := s.checkFailed(); err != nil {
			return err
		}
		i, err := s.tx.findSavepoint(name)
		if err != nil {
			return err
		}
		s.tx.savepoints = s.tx.savepoints[:i]
		return nil
	})
}

func (s *Session) rollbackToStmt(name string) pgwire.Statement {
	st := &utilityStatement{}
	st.run = func(ctx context.Context) (*utilityResult, error) {
		if s.tx == nil || !s.tx.explicit {
			return nil, sqlstate.New(sqlstate.NoActiveSQLTransaction, "ROLLBACK TO SAVEPOINT can only be used in transaction blocks")
		}
		i, err := s.tx.findSavepoint(name)
		if err != nil {
			s.tx.failed = true
			return nil, err
		}
		sp := s.tx.savepoints[i]
		for tn, t := range s.tx.tables {
			m, ok := sp.tables[tn]
			if !ok {
				t.discard()
				continue
			}
			for _, r := range t.rows[m.rows:] {
				r.Release()
			}
			t.rows = append([]arrow.Record(nil), t.rows[:m.rows]...)
			t.removed, t.deleted = copyMap(m.removed), copyMap(m.deleted)
		}
		s.tx.savepoints = s.tx.savepoints[:i+1]
		s.tx.failed = false
		return &utilityResult{tag: "ROLLBACK"}, nil
	}
	return st
}

// discardStmt is DISCARD ALL | PLANS | SEQUENCES | TEMP.
func (s *Session) discardStmt(what string) pgwire.Statement {
	return s.utility("DISCARD "+what, func(ctx context.Context, r *utilityResult) error {
		if what != "ALL" {
			return s.checkFailed()
		}
		if s.tx != nil && s.tx.explicit {
			return sqlstate.New(sqlstate.ActiveSQLTransaction, "DISCARD ALL cannot run inside a transaction block")
		}
		for _, d := range s.settings.defs {
			if d.readOnly {
				continue
			}
			canon, report, err := s.settings.reset(d.name)
			if err == nil {
				s.afterSettings(r, canon, report)
			}
		}
		s.prepared = nil // DEALLOCATE ALL
		return nil
	})
}
