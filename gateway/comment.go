package gateway

import (
	"context"
	"errors"

	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/planner/dialect"
	"github.com/lancegate/lancegate/storage/lance"
)

// COMMENT ON TABLE t / COLUMN t.c IS '…' | NULL.
//
// Comments live in the table's dataset config, where pylance sees them
// too:
//
//	lancegate.comment          the table's comment
//	lancegate.comment.<column> a column's comment
//
// Setting one commits a new version (an UpdateConfig transaction); NULL
// or '' removes it. The catalog shows them in pg_description, and
// obj_description and col_description read them.

const commentConfig = "lancegate.comment"

// commentKey is the config key of the comment of column col ("" for the
// table's).
func commentKey(col string) string {
	if col == "" {
		return commentConfig
	}
	return commentConfig + "." + col
}

func (s *Session) commentStmt(x *dialect.CommentStmt) (*utilityStatement, error) {
	var table, column string
	switch x.Object {
	case "table":
		table = x.Name[len(x.Name)-1]
		if len(x.Name) > 1 && x.Name[len(x.Name)-2] != "public" {
			return nil, sqlstate.New(sqlstate.UndefinedTable, "relation %q does not exist", x.Name[len(x.Name)-2]+"."+table)
		}
	case "column":
		if len(x.Name) < 2 {
			return nil, sqlstate.New(sqlstate.SyntaxError, "column name must be qualified")
		}
		table, column = x.Name[len(x.Name)-2], x.Name[len(x.Name)-1]
	default:
		return nil, notSupported("COMMENT ON " + x.Object)
	}
	return s.utility("COMMENT", func(ctx context.Context, _ *utilityResult) error {
		if err := s.checkOwner(ctx, table); err != nil {
			return err
		}
		c := s.e.tables
		ds, err := c.cat.Open(ctx, table)
		if err != nil {
			return storageError(err, table)
		}
		if column != "" && ds.Schema().Index(column) < 0 {
			return sqlstate.New(sqlstate.UndefinedColumn, "column %q of relation %q does not exist", column, table)
		}
		key := commentKey(column)
		var next *lance.Dataset
		if x.Comment == nil || *x.Comment == "" {
			if _, ok := ds.Config()[key]; !ok {
				return nil
			}
			next, err = ds.UpdateConfig(ctx, nil, []string{key})
		} else {
			next, err = ds.UpdateConfig(ctx, map[string]string{key: *x.Comment}, nil)
		}
		if errors.Is(err, lance.ErrCommitConflict) {
			return sqlstate.New(sqlstate.SerializationFailure, "could not comment on %q: the table changed concurrently", table).WithHint("Retry the statement.")
		}
		if err != nil {
			return storageError(err, table)
		}
		c.publish(ctx, table, ds, next, "config", 0, 0)
		return nil
	}), nil
}
