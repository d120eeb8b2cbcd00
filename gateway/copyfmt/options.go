package copyfmt

import (
	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// Format is a COPY data format.
type Format int8

// The COPY formats.
const (
	Text Format = iota
	CSV
	Binary
)

// String returns the format's name as COPY spells it.
func (f Format) String() string {
	switch f {
	case CSV:
		return "csv"
	case Binary:
		return "binary"
	}
	return "text"
}

// badCopyFormat is 22P04 bad_copy_file_format.
const badCopyFormat sqlstate.Code = "22P04"

// Options are the COPY options that shape the data. The engine validates
// the statement's options (PostgreSQL's ProcessCopyOptions) and fills
// them in; DefaultOptions gives each format's defaults.
type Options struct {
	Format Format
	// Delimiter separates fields (text: tab, CSV: comma).
	Delimiter byte
	// Null is the string that stands for NULL (text: \N, CSV: empty).
	Null string
	// Quote and Escape are CSV's quote and escape characters ('"' both).
	Quote, Escape byte
	// Header: the first line holds column names (skipped on input, or
	// checked against the columns when HeaderMatch is set).
	Header, HeaderMatch bool
	// ForceQuote (output), ForceNotNull and ForceNull (input) are CSV's
	// per-column options, one flag per column of the COPY; nil means
	// none.
	ForceQuote, ForceNotNull, ForceNull []bool
}

// DefaultOptions returns the defaults of format f.
func DefaultOptions(f Format) Options {
	switch f {
	case CSV:
		return Options{Format: CSV, Delimiter: ',', Null: "", Quote: '"', Escape: '"'}
	case Binary:
		return Options{Format: Binary}
	}
	return Options{Format: Text, Delimiter: '\t', Null: `\N`}
}

// Field is one column of a COPY: its name (for errors and headers), its
// PostgreSQL type, and whether NULL is refused (23502).
type Field struct {
	Name    string
	Type    pgtype.Type
	NotNull bool
}

func flag(f []bool, i int) bool { return i < len(f) && f[i] }
