package sqlstate

import (
	"context"
	"errors"
)

// Code is a five-character SQLSTATE.
type Code string

// The codes lancegate raises, grouped by class (PostgreSQL's Appendix A).
const (
	SuccessfulCompletion Code = "00000"
	Warning              Code = "01000"

	ConnectionException Code = "08000"
	ProtocolViolation   Code = "08P01"

	FeatureNotSupported Code = "0A000"

	CardinalityViolation Code = "21000"

	DataException                Code = "22000"
	StringDataRightTruncation    Code = "22001"
	NumericValueOutOfRange       Code = "22003"
	InvalidDatetimeFormat        Code = "22007"
	DatetimeFieldOverflow        Code = "22008"
	DivisionByZero               Code = "22012"
	InvalidParameterValue        Code = "22023"
	InvalidArgumentForNtile      Code = "22014"
	InvalidTextRepresentation    Code = "22P02"
	InvalidBinaryRepresentation  Code = "22P03"
	NullValueNotAllowed          Code = "22004"
	InvalidEscapeSequence        Code = "22025"
	InvalidArgumentForLogarithm  Code = "2201E"
	InvalidArgumentForPower      Code = "2201F"
	InvalidRegularExpression     Code = "2201B"
	SubstringError               Code = "22011"
	InvalidEscapeCharacter       Code = "22019"
	ArraySubscriptError          Code = "2202E"
	InvalidRowCountInLimitClause Code = "2201W"
	InvalidRowCountInResult      Code = "2201X"

	IntegrityConstraintViolation Code = "23000"
	NotNullViolation             Code = "23502"
	UniqueViolation              Code = "23505"

	InvalidTransactionState           Code = "25000"
	ActiveSQLTransaction              Code = "25001"
	NoActiveSQLTransaction            Code = "25P01"
	InFailedSQLTransaction            Code = "25P02"
	ReadOnlySQLTransaction            Code = "25006"
	InvalidSQLStatementName           Code = "26000"
	InvalidAuthorizationSpecification Code = "28000"
	InvalidPassword                   Code = "28P01"
	InvalidCursorName                 Code = "34000"
	InvalidCatalogName                Code = "3D000"
	InvalidSchemaName                 Code = "3F000"

	SerializationFailure Code = "40001"
	DeadlockDetected     Code = "40P01"

	SyntaxErrorOrAccessRuleViolation Code = "42000"
	SyntaxError                      Code = "42601"
	InsufficientPrivilege            Code = "42501"
	UndefinedColumn                  Code = "42703"
	UndefinedFunction                Code = "42883"
	UndefinedTable                   Code = "42P01"
	UndefinedParameter               Code = "42P02"
	UndefinedObject                  Code = "42704"
	DuplicateColumn                  Code = "42701"
	DuplicateTable                   Code = "42P07"
	DuplicateObject                  Code = "42710"
	DuplicatePreparedStatement       Code = "42P05"
	DuplicateSchema                  Code = "42P06"
	AmbiguousColumn                  Code = "42702"
	AmbiguousFunction                Code = "42725"
	DatatypeMismatch                 Code = "42804"
	GroupingError                    Code = "42803"
	WindowingError                   Code = "42P20"
	DuplicateAlias                   Code = "42712"
	WrongObjectType                  Code = "42809"
	InvalidColumnReference           Code = "42P10"
	IndeterminateDatatype            Code = "42P18"
	InvalidRecursion                 Code = "42P19"
	CannotCoerce                     Code = "42846"
	InvalidTableDefinition           Code = "42P16"
	GeneratedAlways                  Code = "428C9"
	DuplicateCursor                  Code = "42P03"
	InvalidCursorDefinition          Code = "42P11"
	SequenceGeneratorLimitExceeded   Code = "2200H"

	InsufficientResources Code = "53000"
	OutOfMemory           Code = "53200"
	TooManyConnections    Code = "53300"
	ProgramLimitExceeded  Code = "54000"

	ObjectNotInPrerequisiteState Code = "55000"

	QueryCanceled Code = "57014"
	AdminShutdown Code = "57P01"
	// CannotConnectNow is a transient unavailability: no plan executor
	// could run part of a statement; retrying may succeed.
	CannotConnectNow Code = "57P03"

	UndefinedFile Code = "58P01"
	IOError       Code = "58030"

	InternalError Code = "XX000"
	DataCorrupted Code = "XX001"
)

// Class returns the two-character class of the code.
func (c Code) Class() string {
	if len(c) < 2 {
		return ""
	}
	return string(c[:2])
}

// Canceled returns the 57014 error of a statement whose context ended
// (statement_timeout or a cancel request), or nil while ctx is live.
func Canceled(ctx context.Context) error {
	err := ctx.Err()
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Wrap(err, QueryCanceled, "canceling statement due to statement timeout")
	}
	return Wrap(err, QueryCanceled, "canceling statement due to user request")
}
