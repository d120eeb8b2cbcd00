package gateway

import (
	"context"
	"errors"
	"math"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/pgwire"
	"github.com/lancegate/lancegate/planner"
	"github.com/lancegate/lancegate/planner/dialect"
	"github.com/lancegate/lancegate/storage/catalog"
)

// CREATE SEQUENCE and DROP SEQUENCE. A sequence's definition lives in the
// storage root (storage/catalog, SequenceDef); its values come from the
// same claimed ranges as a serial column's (sequences.go), as positions
// the definition maps to values. Like PostgreSQL's cached sequences,
// values are unique across query nodes and increase on each node, with
// gaps. OWNED BY is accepted and not recorded: dropping the table leaves
// the sequence. ALTER SEQUENCE, setval and currval are not supported.

// createSequenceStmt is CREATE SEQUENCE.
func (s *Session) createSequenceStmt(x *dialect.CreateSequenceStmt) (pgwire.Statement, error) {
	name, err := publicName(x.Name, x.Pos)
	if err != nil {
		return nil, err
	}
	def, err := sequenceDef(x)
	if err != nil {
		return nil, err
	}
	return s.utility("CREATE SEQUENCE", func(ctx context.Context, r *utilityResult) error {
		if err := s.checkFailed(); err != nil {
			return err
		}
		exists := sqlstate.New(sqlstate.DuplicateTable, "relation %q already exists", name)
		if _, found, err := (catalogFuncs{s: s}).RelationOID(ctx, name); err != nil {
			return err
		} else if found {
			if x.IfNotExists {
				r.notices = append(r.notices, sqlstate.New(sqlstate.DuplicateTable, "relation %q already exists, skipping", name))
				return nil
			}
			return exists.WithPosition(x.Pos)
		}
		c := s.e.tables
		err := c.cat.CreateSequenceDef(ctx, name, def)
		if errors.Is(err, catalog.ErrSequenceExists) {
			return exists.WithPosition(x.Pos)
		}
		if err != nil {
			return storageError(err, name)
		}
		if _, err := c.cat.AssignOID(ctx, name); err != nil {
			return storageError(err, name)
		}
		c.forgetSequenceState(name)
		s.transaction().catalog = nil
		return nil
	}), nil
}

// dropSequenceStmt is DROP SEQUENCE.
func (s *Session) dropSequenceStmt(x *dialect.DropSequenceStmt) (pgwire.Statement, error) {
	names := make([]string, len(x.Names))
	for i, n := range x.Names {
		name, err := publicName(n, x.Pos)
		if err != nil {
			return nil, err
		}
		names[i] = name
	}
	return s.utility("DROP SEQUENCE", func(ctx context.Context, r *utilityResult) error {
		if err := s.checkFailed(); err != nil {
			return err
		}
		c := s.e.tables
		for _, name := range names {
			dropped, err := c.cat.DropSequenceDef(ctx, name)
			if err != nil {
				return storageError(err, name)
			}
			if !dropped {
				if x.IfExists {
					r.notices = append(r.notices, sqlstate.New(sqlstate.UndefinedTable, "sequence %q does not exist, skipping", name))
					continue
				}
				return sqlstate.New(sqlstate.UndefinedTable, "sequence %q does not exist", name).WithPosition(x.Pos)
			}
			if err := c.cat.ReleaseOID(ctx, name); err != nil {
				c.logger.Warn("dropped sequence keeps its oid record", "sequence", name, "err", err)
			}
			c.forgetSequenceState(name)
		}
		s.transaction().catalog = nil
		return nil
	}), nil
}

// publicName returns the relation name of name (schema public or none).
func publicName(name []string, pos int) (string, error) {
	switch {
	case len(name) == 1:
		return name[0], nil
	case len(name) == 2 && name[0] == "public":
		return name[1], nil
	}
	return "", sqlstate.New(sqlstate.InvalidSchemaName, "schema %q does not exist", name[len(name)-2]).WithPosition(pos)
}

// sequenceDef applies CREATE SEQUENCE's options to PostgreSQL's defaults
// and checks them as PostgreSQL does (22023).
func sequenceDef(x *dialect.CreateSequenceStmt) (catalog.SequenceDef, error) {
	def := catalog.SequenceDef{Type: pgtype.OIDInt8, Increment: 1, Cache: 1, Cycle: x.Cycle}
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if x.Type != nil {
		t, err := planner.TypeOf(*x.Type)
		if err != nil {
			return def, err
		}
		switch t.OID {
		case pgtype.OIDInt2:
			lo, hi = math.MinInt16, math.MaxInt16
		case pgtype.OIDInt4:
			lo, hi = math.MinInt32, math.MaxInt32
		case pgtype.OIDInt8:
		default:
			return def, sqlstate.New(sqlstate.InvalidParameterValue, "sequence type must be smallint, integer, or bigint")
		}
		def.Type = t.OID
	}
	bad := func(format string, args ...any) (catalog.SequenceDef, error) {
		return def, sqlstate.New(sqlstate.InvalidParameterValue, format, args...)
	}
	if x.Increment != nil {
		def.Increment = *x.Increment
	}
	if def.Increment == 0 {
		return bad("INCREMENT must not be zero")
	}
	// Ascending sequences run from 1 to the type's maximum, descending
	// ones from its minimum to -1.
	def.Min, def.Max = 1, hi
	if def.Increment < 0 {
		def.Min, def.Max = lo, -1
	}
	if x.Min != nil {
		def.Min = *x.Min
	}
	if x.Max != nil {
		def.Max = *x.Max
	}
	if def.Min < lo || def.Min > hi {
		return bad("MINVALUE (%d) is out of range for sequence data type %s", def.Min, typeName(def.Type))
	}
	if def.Max < lo || def.Max > hi {
		return bad("MAXVALUE (%d) is out of range for sequence data type %s", def.Max, typeName(def.Type))
	}
	if def.Min >= def.Max {
		return bad("MINVALUE (%d) must be less than MAXVALUE (%d)", def.Min, def.Max)
	}
	def.Start = def.Min
	if def.Increment < 0 {
		def.Start = def.Max
	}
	if x.Start != nil {
		def.Start = *x.Start
	}
	if def.Start < def.Min {
		return bad("START value (%d) cannot be less than MINVALUE (%d)", def.Start, def.Min)
	}
	if def.Start > def.Max {
		return bad("START value (%d) cannot be greater than MAXVALUE (%d)", def.Start, def.Max)
	}
	if x.Cache != nil {
		if *x.Cache < 1 {
			return bad("CACHE (%d) must be greater than zero", *x.Cache)
		}
		def.Cache = *x.Cache
	}
	return def, nil
}

func typeName(oid uint32) string {
	return pgtype.Type{OID: oid, Mod: -1}.String()
}
