package planner

import (
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/planner/dialect"
)

// TypeOf resolves a type name the dialect parsed outside a statement the
// planner binds (PREPARE's parameter types): 42704 for an unknown type.
func TypeOf(t dialect.PGType) (pgtype.Type, error) {
	return typeByName(t.Name, int32(t.Typmod))
}
