package gateway

import (
	"context"
	"strings"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/pgwire"
	"github.com/lancegate/lancegate/planner"
	"github.com/lancegate/lancegate/planner/dialect"
)

// Split implements pgwire.Session with the PostgreSQL lexer.
func (s *Session) Split(text string) ([]pgwire.Piece, error) {
	pieces, err := dialect.Split(text)
	if err != nil {
		return nil, err
	}
	out := make([]pgwire.Piece, len(pieces))
	for i, p := range pieces {
		out[i] = pgwire.Piece{Text: p.Text, Offset: p.Offset}
	}
	return out, nil
}

// Prepare implements pgwire.Session: session statements are answered
// here, everything else is bound by the planner.
func (s *Session) Prepare(ctx context.Context, text string, paramOIDs []uint32) (pgwire.Statement, error) {
	st, err := dialect.Parse(text)
	if err != nil {
		s.fail()
		return nil, err
	}
	if st.Empty() {
		return &emptyStatement{}, nil
	}
	if st.Session != nil {
		u, err := s.sessionStatement(ctx, st.Session, paramOIDs)
		if err != nil {
			s.fail()
			return nil, err
		}
		return u, nil
	}
	if err := s.checkFailed(); err != nil {
		return nil, err
	}
	p, err := planner.Prepare(ctx, sessionCatalog{s: s}, s, planner.FromDialect(st.Rewrite), paramTypes(paramOIDs))
	if err != nil {
		s.fail()
		return nil, err
	}
	return newPlanned(s, p), nil
}

func paramTypes(oids []uint32) []pgtype.Type {
	out := make([]pgtype.Type, len(oids))
	for i, o := range oids {
		out[i] = pgtype.Type{OID: o, Mod: -1}
	}
	return out
}

// sessionStatement turns a parsed session statement into a statement.
func (s *Session) sessionStatement(ctx context.Context, ss dialect.SessionStmt, paramOIDs []uint32) (pgwire.Statement, error) {
	if st, ok := s.roleStatement(ss); ok {
		return st, nil
	}
	switch x := ss.(type) {
	case *dialect.SetStmt:
		if x.Default {
			return s.resetStmt(x.Name), nil
		}
		vals := make([]string, len(x.Values))
		for i, v := range x.Values {
			vals[i] = v.Text
		}
		name := x.Name
		if strings.EqualFold(name, "time zone") || strings.EqualFold(name, "time_zone") {
			name = "TimeZone"
		}
		return s.setStmt(name, vals, x.Local), nil
	case *dialect.SetTransactionStmt:
		return s.setTransactionStmt(x), nil
	case *dialect.ResetStmt:
		if x.All {
			return s.resetStmt("all"), nil
		}
		return s.resetStmt(x.Name), nil
	case *dialect.ShowStmt:
		if x.Name == "jobs" {
			// lancegate's own: the agent's job history, newest first.
			return s.Prepare(ctx, showJobsQuery, paramOIDs)
		}
		if x.All {
			return s.showStmt("all")
		}
		return s.showStmt(x.Name)
	case *dialect.BeginStmt:
		tag := "BEGIN"
		if x.Start {
			tag = "START TRANSACTION"
		}
		return s.beginStmt(tag, x.Modes.ReadOnly, x.Modes.Isolation), nil
	case *dialect.CommitStmt:
		if x.Chain {
			return nil, notSupported("COMMIT AND CHAIN")
		}
		return s.commitStmt(), nil
	case *dialect.RollbackStmt:
		if x.Chain {
			return nil, notSupported("ROLLBACK AND CHAIN")
		}
		return s.rollbackStmt(), nil
	case *dialect.SavepointStmt:
		return s.savepointStmt(x.Name), nil
	case *dialect.ReleaseStmt:
		return s.releaseStmt(x.Name), nil
	case *dialect.RollbackToStmt:
		return s.rollbackToStmt(x.Name), nil
	case *dialect.DiscardStmt:
		return s.discardStmt(x.What), nil
	case *dialect.DeallocateStmt:
		return s.deallocateStmt(x), nil
	case *dialect.CreateExtensionStmt:
		if x.Name != "vector" {
			return nil, sqlstate.New(sqlstate.UndefinedFile, "extension %q is not available", x.Name).WithHint("lancegate has the vector extension built in.")
		}
		return s.simpleStmt("CREATE EXTENSION"), nil
	case *dialect.CreateIndexStmt:
		return s.createIndexStmt(x), nil
	case *dialect.CreateSequenceStmt:
		return s.createSequenceStmt(x)
	case *dialect.DropSequenceStmt:
		return s.dropSequenceStmt(x)
	case *dialect.DropIndexStmt:
		return s.dropIndexStmt(x), nil
	case *dialect.UnlistenStmt:
		return s.simpleStmt("UNLISTEN"), nil
	case *dialect.ListenStmt:
		return nil, notSupported("LISTEN")
	case *dialect.NotifyStmt:
		return nil, notSupported("NOTIFY")
	case *dialect.MaintenanceStmt:
		return s.simpleStmt(strings.ToUpper(x.Command)), nil
	case *dialect.ExplainStmt:
		return s.explainStmt(ctx, x, paramOIDs)
	case *dialect.CopyStmt:
		return s.copyStmt(ctx, x)
	case *dialect.DeclareStmt:
		return s.declareStmt(ctx, x, paramOIDs)
	case *dialect.FetchStmt:
		return s.fetchStmt(x)
	case *dialect.CloseStmt:
		return s.closeCursorStmt(x), nil
	case *dialect.PrepareStmt:
		return s.prepareStmt(x)
	case *dialect.ExecuteStmt:
		return s.executeStmt(ctx, x, paramOIDs)
	case *dialect.CommentStmt:
		return s.commentStmt(x)
	}
	return nil, sqlstate.New(sqlstate.FeatureNotSupported, "statement %T is not supported", ss)
}

// explainStmt binds EXPLAIN [ANALYZE] with the planner.
func (s *Session) explainStmt(ctx context.Context, x *dialect.ExplainStmt, paramOIDs []uint32) (pgwire.Statement, error) {
	if err := s.checkFailed(); err != nil {
		return nil, err
	}
	analyze := false
	for _, o := range x.Options {
		switch o.Name {
		case "analyze":
			analyze = o.Value == nil || isTrue(o.Value.Text)
		case "verbose", "costs", "buffers", "timing", "summary", "settings", "wal":
		case "format":
			if o.Value != nil && !strings.EqualFold(o.Value.Text, "text") {
				return nil, notSupported("EXPLAIN (FORMAT " + o.Value.Text + ")")
			}
		default:
			return nil, sqlstate.New(sqlstate.SyntaxError, "unrecognized EXPLAIN option %q", o.Name)
		}
	}
	p, err := planner.PrepareExplain(ctx, sessionCatalog{s: s}, s, planner.FromDialect(x.Query), analyze, paramTypes(paramOIDs))
	if err != nil {
		return nil, err
	}
	return newPlanned(s, p), nil
}

func isTrue(v string) bool {
	b, err := checkBool(v)
	return err == nil && b == "on"
}

// emptyStatement is a statement of no tokens.
type emptyStatement struct{ utilityStatement }
