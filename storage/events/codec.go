package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// maxEventBytes bounds an encoded event. Event Hubs closes connections on
// requests above 1,046,528 bytes; a record this size leaves room for the
// batch around it.
const maxEventBytes = 900 << 10

// errMalformed reports a record value that is not an event.
var errMalformed = errors.New("malformed event")

// encodeEvent returns the record value of ev: its JSON form.
func encodeEvent(ev Event) ([]byte, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("events: encoding the event of table %q: %w", ev.Table, err)
	}
	if len(b) > maxEventBytes {
		return nil, fmt.Errorf("events: the event of table %q is %d bytes, more than %d", ev.Table, len(b), maxEventBytes)
	}
	return b, nil
}

// decodeEvent parses a record value. Unknown fields are accepted, so an older
// consumer reads a newer publisher's events; a value that is not a JSON
// object, or names no table, is malformed.
func decodeEvent(b []byte) (Event, error) {
	var ev Event
	if err := json.Unmarshal(b, &ev); err != nil {
		return Event{}, fmt.Errorf("%w: %w", errMalformed, err)
	}
	if ev.Table == "" {
		return Event{}, fmt.Errorf("%w: no table", errMalformed)
	}
	return ev, nil
}

// cloneEvent returns ev with slices of its own, so the caller may reuse its
// own after Publish.
func cloneEvent(ev Event) Event {
	ev.Fragments = slices.Clone(ev.Fragments)
	return ev
}
