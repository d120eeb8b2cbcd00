package lance

import (
	"errors"

	"github.com/lancegate/lancegate/storage/lance/datafile"
)

// ErrCorrupt reports dataset files whose bytes do not follow the Lance
// format. Test it with errors.Is. Data file corruption is the same value.
var ErrCorrupt = datafile.ErrCorrupt

// ErrUnsupported reports a well-formed dataset that uses a Lance feature
// lancegate does not handle (a feature flag, a file version, an encoding).
// Test it with errors.Is.
var ErrUnsupported = datafile.ErrUnsupported

// ErrUnsupportedType reports an Arrow or Lance type lancegate cannot store
// or read. Test it with errors.Is.
var ErrUnsupportedType = errors.New("unsupported column type")

// ErrNotFound reports that no dataset, or no such version of it, exists.
// Test it with errors.Is.
var ErrNotFound = errors.New("dataset not found")

// ErrExists reports that a dataset already exists where one is created.
// Test it with errors.Is.
var ErrExists = errors.New("dataset already exists")

// ErrCommitConflict reports that a concurrent commit made this one
// impossible (an overwrite under an append, two deletes of the same rows
// that cannot be merged) or that retries ran out. The operation may be
// re-run on the new version. Test it with errors.Is.
var ErrCommitConflict = errors.New("commit conflict")

// ErrNullViolation reports a null in a column that is not nullable. Test it
// with errors.Is.
var ErrNullViolation = errors.New("null value in a non-nullable column")

// ErrColumnExists reports adding a column whose name is taken. Test it
// with errors.Is.
var ErrColumnExists = errors.New("column already exists")

// ErrNoColumn reports a column that does not exist. Test it with
// errors.Is.
var ErrNoColumn = errors.New("no such column")
