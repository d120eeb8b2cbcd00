package datafile

import "github.com/lancegate/lancegate/storage/lance/datafile/structural"

// ErrCorrupt reports a data file whose bytes do not follow the format:
// truncated, foreign, or damaged. Test it with errors.Is. It is the same
// value as structural.ErrCorrupt.
var ErrCorrupt = structural.ErrCorrupt

// ErrUnsupported reports a well-formed file that uses an encoding, layout,
// type or version lancegate does not read. Test it with errors.Is. It is the
// same value as structural.ErrUnsupported.
var ErrUnsupported = structural.ErrUnsupported
