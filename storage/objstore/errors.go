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

// ErrInvalidLocation reports a storage URI or storage option that does not
// say where a store is. Test it with errors.Is.
var ErrInvalidLocation = errors.New("invalid storage location")

// ErrPermission reports that the store refused the caller's credentials or
// their rights (Azure 401 and 403). Test it with errors.Is.
var ErrPermission = errors.New("storage permission denied")

// ErrThrottled reports that the store kept answering "busy" (Azure 429, 503
// ServerBusy, 500 OperationTimedOut) until the retries ran out. Test it with
// errors.Is.
var ErrThrottled = errors.New("storage is throttling requests")

// ErrUnavailable reports that the store could not be reached, or did not
// answer within its request deadline, until the retries ran out. Test it
// with errors.Is.
var ErrUnavailable = errors.New("storage unavailable")

// ErrNoContainer reports that the store's root (an Azure container) does
// not exist. Test it with errors.Is.
var ErrNoContainer = errors.New("storage container does not exist")
