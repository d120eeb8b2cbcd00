package pgwire

import (
	"context"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/gateway/codec"
)

// This file is the boundary between the wire protocol and the SQL engine.
// The protocol layer owns connections, authentication, message framing,
// prepared-statement and portal bookkeeping, and the encoding of values;
// the engine (package gateway) owns SQL: parsing, session settings,
// transactions, planning and execution. Everything crosses as the types
// below; result rows cross as Arrow record batches.

// Engine creates one Session per authenticated connection.
type Engine interface {
	// NewSession starts a session for a client that passed authentication.
	// An error (unknown database: 3D000, bad parameter: 22023) is sent as
	// a FATAL ErrorResponse and the connection is closed.
	NewSession(ctx context.Context, s Startup) (Session, error)
}

// Startup is what the client's StartupMessage asked for.
type Startup struct {
	User     string
	Database string
	// Params holds every other startup parameter (application_name,
	// client_encoding, DateStyle, options, …), keys as sent.
	Params map[string]string
	// ProcessID is the connection's BackendKeyData process id, which the
	// session reports as pg_backend_pid().
	ProcessID uint32
}

// Session is one connection's SQL state. The protocol layer calls it from
// one goroutine at a time, except that ctx passed to Execute and Next is
// cancelled from another goroutine when a CancelRequest arrives.
type Session interface {
	// ParameterStatus returns the parameters to report after
	// authentication, in order (see docs/pg-compat: client_encoding,
	// DateStyle, server_version, …).
	ParameterStatus() []Parameter

	// Split splits the text of a simple Query message into statements,
	// with the PostgreSQL lexer (never on a raw ';'). Each piece keeps its
	// offset in text so error positions refer to the whole message. An
	// empty message (or only comments and ';') yields no statements.
	Split(text string) ([]Piece, error)

	// Prepare parses, binds and plans one statement. paramOIDs are the
	// types the client declared (0 = unspecified); the Statement reports
	// the types it inferred for all parameters. Errors carry SQLSTATE and
	// position (see executor/sqlstate).
	Prepare(ctx context.Context, text string, paramOIDs []uint32) (Statement, error)

	// Settings returns the session settings that change how values are
	// written and read on the wire (TimeZone, extra_float_digits, …). The
	// protocol layer asks before each execution, since SET may change them.
	Settings() *codec.Settings

	// TxStatus is the ReadyForQuery status: 'I' idle, 'T' in a
	// transaction block, 'E' in a failed block.
	TxStatus() byte

	// EndImplicit ends the implicit transaction that spans the statements
	// of one simple Query message, or the messages before a Sync outside a
	// transaction block: commit is true unless one of them failed. It is
	// called after every Query message and at every Sync, also inside a
	// transaction block, where there is no implicit transaction to end and
	// commit=false means a statement or message of the block failed
	// (possibly with an error the protocol layer found itself, such as a
	// bad Bind), so the block is now failed.
	EndImplicit(ctx context.Context, commit bool) error

	// Close ends the session (the client went away); an open transaction
	// is rolled back.
	Close()
}

// Piece is one statement of a simple Query message.
type Piece struct {
	// Text is the statement's text, without the separating ';'.
	Text string
	// Offset is the byte offset of Text in the message.
	Offset int
}

// Parameter is one ParameterStatus name and value.
type Parameter struct {
	Name, Value string
}

// Column describes one result column, as RowDescription reports it.
type Column struct {
	Name string
	// TableOID and AttNum identify a plain table column; 0 for
	// expressions.
	TableOID uint32
	AttNum   int16
	// TypeOID, TypeLen and TypeMod are the PostgreSQL type, typlen and
	// modifier (e.g. vector(3) has modifier 3; -1 when none).
	TypeOID uint32
	TypeLen int16
	TypeMod int32
}

// Statement is one prepared statement. It may be executed many times,
// with different parameters, until it is closed.
type Statement interface {
	// ParamOIDs returns the type of each parameter $1…$n.
	ParamOIDs() []uint32
	// Columns describes the rows Execute returns; nil when the statement
	// returns no rows (Describe answers NoData).
	Columns() []Column
	// Execute runs the statement. params holds one value per parameter,
	// already decoded to the parameter's type (nil for SQL NULL; see
	// codec.DecodeParam). The Result streams rows; it must be closed.
	Execute(ctx context.Context, params []scalar.Scalar) (Result, error)
	// Close releases the statement.
	Close()
}

// Result is the outcome of one execution. For statements without rows
// Next returns io.EOF at once.
type Result interface {
	// Next returns the next batch of rows, or io.EOF after the last. The
	// batch is valid until the next call to Next or Close; the protocol
	// layer encodes it before asking for more. Columns of the batch are in
	// the order of Statement.Columns.
	Next(ctx context.Context) (arrow.Record, error)
	// Tag returns the CommandComplete tag ("SELECT 3", "INSERT 0 1",
	// "CREATE TABLE", …); valid once Next has returned io.EOF.
	Tag() string
	// Notices returns notices and warnings raised so far (e.g. 42P07
	// "relation already exists, skipping"), each sent as NoticeResponse
	// before CommandComplete.
	Notices() []error
	// ParameterChanges returns parameters whose reported value changed
	// (after SET application_name, …), sent as ParameterStatus after
	// CommandComplete.
	ParameterChanges() []Parameter
	// Close releases the result, stopping execution early if needed.
	Close()
}

// CopyIn is implemented by the Result of COPY … FROM STDIN. The protocol
// layer sends CopyInResponse with CopyFormat, then calls CopyFrom with a
// reader of the client's CopyData payloads, and sends CommandComplete
// with Tag when it returns nil (pg-compat §3.6).
type CopyIn interface {
	Result
	// CopyFormat returns the overall format (0 text, 1 binary) and the
	// format of each column, for CopyInResponse.
	CopyFormat() (overall int16, columns []int16)
	// CopyFrom reads the data from r and stores it. r returns the
	// payloads of CopyData messages as a byte stream, io.EOF at CopyDone,
	// a 57014 error at CopyFail, and ctx's error once ctx is done; its
	// bytes are valid until the next Read. An error from CopyFrom fails
	// the statement: nothing it read may be stored.
	CopyFrom(ctx context.Context, r io.Reader) error
}

// CopyOut is implemented by the Result of COPY … TO STDOUT. The protocol
// layer sends CopyOutResponse with CopyFormat, calls CopyTo, then sends
// CopyDone and CommandComplete with Tag.
type CopyOut interface {
	Result
	// CopyFormat returns the overall format (0 text, 1 binary) and the
	// format of each column, for CopyOutResponse.
	CopyFormat() (overall int16, columns []int16)
	// CopyTo writes the data to w: each Write is sent as one CopyData
	// message (one row, or the binary header or trailer); w does not keep
	// the slice. A Write error ends the connection: CopyTo returns it
	// unchanged.
	CopyTo(ctx context.Context, w io.Writer) error
}
