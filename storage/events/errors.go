package events

import "errors"

// ErrClosed reports a call on a closed Bus or Source. Test it with
// errors.Is.
var ErrClosed = errors.New("event transport closed")

// ErrInvalidConfig reports a Kafka or Event Hubs setting that cannot work: an
// unknown option, a malformed value, a connection string without an
// endpoint. Test it with errors.Is.
var ErrInvalidConfig = errors.New("invalid event transport configuration")

// ErrAuth reports that the brokers refused the client's credentials (SASL)
// or that the TLS handshake failed. Test it with errors.Is.
var ErrAuth = errors.New("event broker refused the credentials")
