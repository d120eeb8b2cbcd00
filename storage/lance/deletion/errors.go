package deletion

import "errors"

// ErrCorrupt reports a deletion file whose bytes are not a valid file of its
// kind. Test it with errors.Is.
var ErrCorrupt = errors.New("corrupt deletion file")

// ErrEmpty reports an attempt to encode an empty set of deleted rows, which
// Lance represents by the absence of a deletion file. Test it with
// errors.Is.
var ErrEmpty = errors.New("empty deletion set")
