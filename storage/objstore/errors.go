package objstore

import "errors"

// ErrNotExist reports that no object has the key. Test it with errors.Is.
var ErrNotExist = errors.New("object does not exist")

// ErrPreconditionFailed reports that PutIfAbsent lost: an object with the
// key already exists. Test it with errors.Is.
var ErrPreconditionFailed = errors.New("object already exists")

// ErrInvalidRange reports a range outside the object. Test it with errors.Is.
var ErrInvalidRange = errors.New("invalid byte range")

// ErrInvalidKey reports a key the store refuses (empty, absolute, or with
// "." or ".." segments). Test it with errors.Is.
var ErrInvalidKey = errors.New("invalid object key")
