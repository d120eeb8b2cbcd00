package codec

import (
	"time"

	"github.com/lancegate/lancegate/executor/pgtype"
)

// Settings are the session settings that change how values are written
// and read on the wire.
type Settings struct {
	// Text shapes text output (time zone, float digits, bytea format).
	Text pgtype.TextOptions
	// TimeZoneName is the session TimeZone as SHOW reports it.
	TimeZoneName string
}

// DefaultSettings returns PostgreSQL's defaults (TimeZone UTC).
func DefaultSettings() *Settings {
	return &Settings{Text: *pgtype.DefaultTextOptions(), TimeZoneName: "UTC"}
}

// TimeZone returns the session time zone.
func (s *Settings) TimeZone() *time.Location { return s.Text.TimeZone }

// Format codes of Bind and RowDescription.
const (
	FormatText   int16 = 0
	FormatBinary int16 = 1
)
