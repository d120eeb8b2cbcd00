package datafile

import "errors"

// ErrCorrupt reports a data file whose bytes do not follow the format:
// truncated, foreign, or damaged. Test it with errors.Is.
var ErrCorrupt = errors.New("corrupt lance data file")

// ErrUnsupported reports a well-formed file that uses an encoding, layout,
// type or version lancegate does not read. Test it with errors.Is.
var ErrUnsupported = errors.New("unsupported lance data file feature")
