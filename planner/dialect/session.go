package dialect

// SessionStmt is a statement the gateway handles itself (pg-compat §4):
// it never reaches the TiDB parser. The concrete types are the pointer
// types in this file, one per kind of statement; switch on them. Statements
// that embed a query (EXPLAIN, PREPARE, DECLARE, COPY (query) TO, EXECUTE
// arguments) carry it already rewritten, with positions relative to the
// whole statement.
type SessionStmt interface{ sessionStmt() }

// ValueKind classifies a Value.
type ValueKind int

// The value kinds.
const (
	// ValueIdent is an identifier or keyword (folded unless Quoted).
	ValueIdent ValueKind = iota
	// ValueString is a string literal (decoded).
	ValueString
	// ValueNumber is a number with its sign, as written ("-7", "1.5").
	ValueNumber
	// ValueInterval is INTERVAL 'text' [fields] (SET TIME ZONE); Text is
	// the string and Typmod the interval's fields and precision.
	ValueInterval
)

// Value is a value in SET, an option of EXPLAIN or COPY, and the like.
type Value struct {
	Kind   ValueKind
	Text   string
	Quoted bool // a quoted identifier
	Typmod int  // for ValueInterval
	Pos    int  // 1-based character position
}

// Option is a name with an optional value (EXPLAIN (ANALYZE, FORMAT
// JSON), COPY … WITH (FORMAT binary), VACUUM (FULL)). Legacy COPY options
// are normalised to this form (BINARY → format binary, CSV HEADER →
// format csv, header true).
type Option struct {
	Name  string // folded
	Value *Value // nil when absent
	// Columns is the column list of FORCE_QUOTE/FORCE_NOT_NULL/FORCE_NULL
	// (["*"] for all).
	Columns []string
}

// TxModes are the modes of BEGIN, START TRANSACTION and SET TRANSACTION.
type TxModes struct {
	// Isolation is "", "serializable", "repeatable read", "read committed"
	// or "read uncommitted".
	Isolation string
	// ReadOnly and Deferrable are nil when not given.
	ReadOnly   *bool
	Deferrable *bool
}

// SetStmt is SET [SESSION | LOCAL] name {TO | =} value[, …] | DEFAULT, and
// the special forms: SET TIME ZONE (name "timezone"), SET SCHEMA
// ("search_path"), SET NAMES ("client_encoding"), SET ROLE ("role"), SET
// SESSION AUTHORIZATION ("session_authorization").
type SetStmt struct {
	Local bool
	// Name is the parameter name, folded (dotted custom names kept whole).
	Name string
	// Values are the values; empty when Default is set.
	Values []Value
	// Default is set for DEFAULT (and SET TIME ZONE LOCAL).
	Default bool
}

// SetTransactionStmt is SET TRANSACTION modes, SET TRANSACTION SNAPSHOT
// 'id', or SET SESSION CHARACTERISTICS AS TRANSACTION modes (Session).
type SetTransactionStmt struct {
	Session  bool
	Modes    TxModes
	Snapshot string
}

// ResetStmt is RESET name | ALL (RESET TIME ZONE → "timezone", RESET
// SESSION AUTHORIZATION → "session_authorization", RESET ROLE → "role",
// RESET TRANSACTION ISOLATION LEVEL → "transaction_isolation").
type ResetStmt struct {
	Name string
	All  bool
}

// ShowStmt is SHOW name | ALL (SHOW TIME ZONE → "timezone", SHOW
// TRANSACTION ISOLATION LEVEL → "transaction_isolation", SHOW SESSION
// AUTHORIZATION → "session_authorization").
type ShowStmt struct {
	Name string
	All  bool
}

// BeginStmt is BEGIN [WORK | TRANSACTION] [modes] or START TRANSACTION
// [modes].
type BeginStmt struct {
	Modes TxModes
	Start bool
}

// CommitStmt is COMMIT or END [WORK | TRANSACTION] [AND [NO] CHAIN].
type CommitStmt struct{ Chain bool }

// RollbackStmt is ROLLBACK or ABORT [WORK | TRANSACTION] [AND [NO] CHAIN].
type RollbackStmt struct{ Chain bool }

// SavepointStmt is SAVEPOINT name.
type SavepointStmt struct{ Name string }

// ReleaseStmt is RELEASE [SAVEPOINT] name.
type ReleaseStmt struct{ Name string }

// RollbackToStmt is ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] name.
type RollbackToStmt struct{ Name string }

// PrepareStmt is PREPARE name [(types)] AS statement.
type PrepareStmt struct {
	Name  string
	Types []PGType
	Query *Rewrite
}

// ExecuteStmt is EXECUTE name [(args)]; Args is the argument list parsed
// as "SELECT arg, …", nil without arguments.
type ExecuteStmt struct {
	Name string
	Args *Rewrite
}

// DeallocateStmt is DEALLOCATE [PREPARE] name | ALL.
type DeallocateStmt struct {
	Name string
	All  bool
}

// DiscardStmt is DISCARD ALL | PLANS | SEQUENCES | TEMP; What is the
// folded word ("temporary" is reported as "temp").
type DiscardStmt struct{ What string }

// CreateExtensionStmt is CREATE EXTENSION [IF NOT EXISTS] name [WITH]
// [SCHEMA s] [VERSION v] [CASCADE].
type CreateExtensionStmt struct {
	Name        string
	IfNotExists bool
	Schema      string
	Version     string
	Cascade     bool
	Pos         int // position of the name
}

// CommentStmt is COMMENT ON object name IS 'text' | NULL.
type CommentStmt struct {
	// Object is the folded object kind: "table", "column", "view",
	// "index", "schema", "sequence", "extension", "database", "type",
	// "materialized view", "constraint".
	Object string
	// Name is the object's qualified name (for a column, its table's name
	// then the column; for a constraint, the table's name then the
	// constraint's).
	Name []string
	// Comment is nil for IS NULL.
	Comment *string
}

// ExplainStmt is EXPLAIN [ANALYZE] [VERBOSE] statement or EXPLAIN
// (options) statement; the legacy keywords become options.
type ExplainStmt struct {
	Options []Option
	Query   *Rewrite
}

// ListenStmt is LISTEN channel.
type ListenStmt struct{ Channel string }

// NotifyStmt is NOTIFY channel [, 'payload'].
type NotifyStmt struct {
	Channel string
	Payload string
}

// UnlistenStmt is UNLISTEN channel | *.
type UnlistenStmt struct {
	Channel string
	All     bool
}

// CopyTarget is where COPY reads or writes.
type CopyTarget int

// The COPY targets.
const (
	CopyStdio   CopyTarget = iota // STDIN or STDOUT
	CopyFile                      // 'file'
	CopyProgram                   // PROGRAM 'command'
)

// CopyStmt is COPY table [(columns)] FROM … or COPY {table [(columns)] |
// (query)} TO ….
type CopyStmt struct {
	// Table is the qualified table name (nil for COPY (query) TO).
	Table   []string
	Columns []string
	// Query is the query of COPY (query) TO.
	Query *Rewrite
	// From is set for COPY … FROM.
	From   bool
	Target CopyTarget
	// File is the file name or command of CopyFile and CopyProgram.
	File    string
	Options []Option
}

// MaintenanceStmt is ANALYZE, VACUUM or CHECKPOINT (Command), with
// options and table names.
type MaintenanceStmt struct {
	Command string
	Options []Option
	Tables  [][]string
}

// DeclareStmt is DECLARE name [BINARY] [ASENSITIVE | INSENSITIVE] [[NO]
// SCROLL] CURSOR [{WITH | WITHOUT} HOLD] FOR query.
type DeclareStmt struct {
	Name        string
	Binary      bool
	Insensitive bool
	// Scroll is nil when neither SCROLL nor NO SCROLL was written.
	Scroll *bool
	Hold   bool
	Query  *Rewrite
}

// FetchDirection is the direction of FETCH and MOVE.
type FetchDirection int

// The fetch directions, as PostgreSQL's FetchStmt has them.
const (
	FetchForward FetchDirection = iota
	FetchBackward
	FetchAbsolute
	FetchRelative
)

// FetchStmt is FETCH or MOVE (Move) [direction] [FROM | IN] cursor.
// NEXT is forward 1, PRIOR backward 1, FIRST absolute 1, LAST absolute -1,
// a bare count forward count; All is set for ALL, FORWARD ALL and
// BACKWARD ALL.
type FetchStmt struct {
	Move      bool
	Direction FetchDirection
	Count     int64
	All       bool
	Cursor    string
}

// CloseStmt is CLOSE name | ALL.
type CloseStmt struct {
	Name string
	All  bool
}

func (*SetStmt) sessionStmt()             {}
func (*SetTransactionStmt) sessionStmt()  {}
func (*ResetStmt) sessionStmt()           {}
func (*ShowStmt) sessionStmt()            {}
func (*BeginStmt) sessionStmt()           {}
func (*CommitStmt) sessionStmt()          {}
func (*RollbackStmt) sessionStmt()        {}
func (*SavepointStmt) sessionStmt()       {}
func (*ReleaseStmt) sessionStmt()         {}
func (*RollbackToStmt) sessionStmt()      {}
func (*PrepareStmt) sessionStmt()         {}
func (*ExecuteStmt) sessionStmt()         {}
func (*DeallocateStmt) sessionStmt()      {}
func (*DiscardStmt) sessionStmt()         {}
func (*CreateExtensionStmt) sessionStmt() {}
func (*CommentStmt) sessionStmt()         {}
func (*ExplainStmt) sessionStmt()         {}
func (*ListenStmt) sessionStmt()          {}
func (*NotifyStmt) sessionStmt()          {}
func (*UnlistenStmt) sessionStmt()        {}
func (*CopyStmt) sessionStmt()            {}
func (*MaintenanceStmt) sessionStmt()     {}
func (*DeclareStmt) sessionStmt()         {}
func (*FetchStmt) sessionStmt()           {}
func (*CloseStmt) sessionStmt()           {}

// CreateIndexStmt is CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS]
// [name] ON [ONLY] table [USING method] (column [opclass] [, …]) [WITH
// (param = value, …)]. The bridge parses PostgreSQL's whole grammar so
// that what lancegate does not support fails with 0A000 at a position
// rather than as a syntax error; the gateway decides what it builds.
type CreateIndexStmt struct {
	Name        string // empty: derived from the table and column
	IfNotExists bool
	Unique      bool
	Table       []string
	TablePos    int
	Method      string // folded; empty when USING is absent
	MethodPos   int
	Columns     []IndexColumn
	With        []Option
	// Unsupported names a clause that was parsed but lancegate refuses
	// (INCLUDE, WHERE, an expression key), with its position.
	Unsupported    string
	UnsupportedPos int
}

// IndexColumn is one key of CREATE INDEX.
type IndexColumn struct {
	Name    string
	Pos     int
	OpClass string // folded; empty when absent
}

// DropIndexStmt is DROP INDEX [CONCURRENTLY] [IF EXISTS] name [, …]
// [CASCADE | RESTRICT].
type DropIndexStmt struct {
	Names    [][]string
	IfExists bool
	Pos      int // of the first name
}

func (*CreateIndexStmt) sessionStmt() {}
func (*DropIndexStmt) sessionStmt()   {}

// sessionKeywords are the first keywords of session statements.
var sessionKeywords = setOf("set", "reset", "show", "begin", "start", "commit", "end", "rollback",
	"abort", "savepoint", "release", "prepare", "execute", "deallocate", "discard", "comment",
	"explain", "listen", "notify", "unlisten", "copy", "analyze", "analyse", "vacuum",
	"checkpoint", "declare", "fetch", "move", "close")

// isSessionStatement classifies a statement by its first tokens.
func isSessionStatement(toks []Token) bool {
	t := toks[0]
	if t.Kind != Ident || t.Quoted {
		return false
	}
	if isRoleStatement(toks) {
		return true
	}
	if t.Value == "create" {
		return len(toks) > 1 && (toks[1].Keyword("extension") || toks[1].Keyword("index") || toks[1].Keyword("sequence") ||
			len(toks) > 2 && toks[1].Keyword("unique") && toks[2].Keyword("index"))
	}
	if t.Value == "drop" {
		return len(toks) > 1 && (toks[1].Keyword("index") || toks[1].Keyword("sequence"))
	}
	return sessionKeywords[t.Value]
}
