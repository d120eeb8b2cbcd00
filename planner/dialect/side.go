package dialect

// SideTable holds what the TiDB text of a statement cannot carry. Offsets
// named Offset are byte offsets into the emitted text (Rewrite.SQL), the
// values TiDB AST nodes report through OriginTextPosition; positions
// named Pos are 1-based character positions in the client's statement.
type SideTable struct {
	// Params is the slot map: one entry per ? marker, in the order the
	// markers appear in the emitted text.
	Params []ParamSlot
	// ParamCasts maps the Offset of a ? marker to the type the client cast
	// it to where TiDB's grammar allows only a bare marker (LIMIT $1::int,
	// OFFSET $2::bigint): the marker stands for __pg_cast(?, type).
	ParamCasts map[int]PGType
	// Columns lists the column definitions of CREATE TABLE and ALTER TABLE
	// … ADD COLUMN in order, with their exact PostgreSQL types. The TiDB
	// AST carries only a type of the same family.
	Columns []Column
	// Returning is the RETURNING list of INSERT, UPDATE or DELETE, parsed
	// as "SELECT <list>"; nil when there is none.
	Returning *Rewrite
	// Functions lists the functions called in FROM, each emitted as
	// LATERAL (SELECT __pg_srf('name', args…)) AS alias.
	Functions []FuncTable
	// Aliases lists FROM items with a column alias list, which TiDB lacks:
	// t AS a(x, y), (SELECT …) AS s(x).
	Aliases []ColumnAliases
	// Catalogs lists the database names of three-part names (db.schema.t),
	// dropped from the emitted text: the binder must check each is the
	// current database (0A000 "cross-database references are not
	// implemented" otherwise).
	Catalogs []NameRef
	// IfExists is set for ALTER TABLE IF EXISTS, which TiDB lacks.
	IfExists bool
	// StorageParams lists CREATE TABLE's WITH ( name = value, … ), which
	// TiDB lacks, in order.
	StorageParams []StorageParam
	// AlterColumns lists ALTER TABLE … ALTER [COLUMN] c actions in order;
	// each is emitted as ALTER COLUMN c DROP DEFAULT, which TiDB parses,
	// and the binder reads the action from here.
	AlterColumns []AlterColumn
}

// AlterColumnAction is what ALTER TABLE … ALTER COLUMN does.
type AlterColumnAction int

// The ALTER COLUMN actions.
const (
	AlterDropDefault AlterColumnAction = iota
	AlterSetDefault
	AlterDropNotNull
	AlterSetNotNull
	AlterType
)

// AlterColumn is one ALTER [COLUMN] c action.
type AlterColumn struct {
	Column string
	Action AlterColumnAction
	// Type is the new type of AlterType.
	Type PGType
	// Pos is the position of the column name.
	Pos int
}

// StorageParam is one storage parameter of CREATE TABLE … WITH (…).
type StorageParam struct {
	// Name is the parameter's name, folded to lower case unless quoted.
	Name string
	// Value is the value's text (a string literal's contents); "true" when
	// only the name was written.
	Value string
	// Pos is the position of the name.
	Pos int
}

// ParamSlot is one ? marker of the emitted text.
type ParamSlot struct {
	// N is the $n the marker stands for (1-based).
	N int
	// Offset is the marker's byte offset in the emitted text; TiDB's
	// ParamMarkerExpr is created with it.
	Offset int
	// Pos is the 1-based character position of $n in the statement.
	Pos int
}

// Column is one column definition.
type Column struct {
	Name string
	Type PGType
	// Serial is set for serial, bigserial and smallserial: the column takes
	// its default from a sequence (Type is int4, int8 or int2).
	Serial bool
	// Identity is 'a' for GENERATED ALWAYS AS IDENTITY, 'd' for GENERATED
	// BY DEFAULT AS IDENTITY (Serial is then set too), 0 otherwise.
	Identity byte
	// NotNull and PrimaryKey repeat the constraints for convenience; the
	// TiDB AST has them too.
	NotNull    bool
	PrimaryKey bool
	// Default is the DEFAULT expression parsed as "SELECT <expr>", or nil.
	// TiDB's grammar accepts too few default expressions to carry it.
	Default *Rewrite
	// Pos is the position of the column name.
	Pos int
}

// FuncTable is a function call in FROM.
type FuncTable struct {
	// Schema is the function's schema if written ("pg_catalog"), else "".
	Schema string
	// Name is the function name, folded ("generate_series").
	Name string
	// Alias is the FROM item's alias: the one written, or the function
	// name when none was (PostgreSQL's rule).
	Alias string
	// Columns is the column alias list, nil when none was written.
	Columns []string
	// Ordinality is set for WITH ORDINALITY: an int8 column numbering the
	// rows is appended.
	Ordinality bool
	// Offset is the byte offset of the __pg_srf call in the emitted text;
	// the call's arguments after the name are the function's arguments.
	Offset int
	// Pos is the position of the function name.
	Pos int
}

// ColumnAliases is a FROM item's column alias list.
type ColumnAliases struct {
	// Alias is the item's alias (as emitted).
	Alias   string
	Columns []string
	Pos     int
}

// NameRef is a name and where it was written.
type NameRef struct {
	Name string
	Pos  int
}
