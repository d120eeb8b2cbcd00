package pgtype

import (
	"strings"
	"sync"
	"time"
	// The zone database is embedded so that zone names resolve in images
	// without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// InvalidTimeZoneDisplacement is 22009, PostgreSQL's code for a zone
// offset beyond ±15:59:59.
const InvalidTimeZoneDisplacement sqlstate.Code = "22009"

var zones sync.Map // lower-case name → *time.Location

// LoadZone returns the IANA time zone of a name, ignoring case as
// PostgreSQL does ('europe/paris', 'UTC', 'utc', 'Etc/GMT+5'). Unknown
// names are 22023 `time zone "x" not recognized`. Results are cached.
func LoadZone(name string) (*time.Location, error) {
	key := strings.ToLower(name)
	if l, ok := zones.Load(key); ok {
		return l.(*time.Location), nil
	}
	l := loadZone(name, key)
	if l == nil {
		return nil, sqlstate.New(sqlstate.InvalidParameterValue, "time zone \"%s\" not recognized", name)
	}
	zones.Store(key, l)
	return l, nil
}

func loadZone(name, key string) *time.Location {
	switch key {
	case "utc", "gmt", "z", "zulu", "etc/utc", "etc/gmt", "universal", "etc/universal":
		return time.UTC
	case "", "local":
		return nil
	}
	if len(name) > 64 {
		return nil
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'z' || c == '/' || c == '_' || c == '-' || c == '+') {
			return nil
		}
	}
	if l, err := time.LoadLocation(name); err == nil {
		return l
	}
	// tzdata names are case-sensitive: try the usual spellings of each
	// part (America/New_York, America/Port-au-Prince, Africa/Dar_es_Salaam,
	// Etc/GMT+5, EST5EDT).
	parts := strings.Split(key, "/")
	if len(parts) > 3 {
		return nil
	}
	spell := [...]func(string) string{titleWords(false), titleWords(true), strings.ToUpper}
	idx := make([]int, len(parts))
	buf := make([]string, len(parts))
	for {
		for i, p := range parts {
			buf[i] = spell[idx[i]](p)
		}
		if l, err := time.LoadLocation(strings.Join(buf, "/")); err == nil {
			return l
		}
		i := 0
		for ; i < len(idx); i++ {
			idx[i]++
			if idx[i] < len(spell) {
				break
			}
			idx[i] = 0
		}
		if i == len(idx) {
			return nil
		}
	}
}

// titleWords upper-cases the first letter of each word (words are
// separated by _ and -); with keepShort, words of one or two letters
// after the first stay lower-case (Port-au-Prince, Port_of_Spain).
func titleWords(keepShort bool) func(string) string {
	return func(s string) string {
		b := []byte(s)
		start := 0
		for i := 0; i <= len(b); i++ {
			if i < len(b) && b[i] != '_' && b[i] != '-' {
				continue
			}
			if start < i && b[start] >= 'a' && b[start] <= 'z' && (!keepShort || start == 0 || i-start > 2) {
				b[start] -= 'a' - 'A'
			}
			start = i + 1
		}
		return string(b)
	}
}

// zoneOffset returns loc's UTC offset (seconds east) at the instant sec
// (seconds since 1970).
func zoneOffset(sec int64, loc *time.Location) int {
	if loc == nil || loc == time.UTC {
		return 0
	}
	_, off := time.Unix(sec, 0).In(loc).Zone()
	return off
}

// localOffset returns loc's UTC offset for a local wall-clock time
// (seconds since 1970 as if loc were UTC), resolving transitions as
// PostgreSQL's DetermineTimeZoneOffset does: a time skipped by a
// spring-forward takes the offset before the transition, an ambiguous
// time after a fall-back the offset after it.
func localOffset(local int64, loc *time.Location) int {
	if loc == nil || loc == time.UTC {
		return 0
	}
	before := time.Unix(local-secPerDay, 0).In(loc)
	_, beforeOff := before.Zone()
	_, end := before.ZoneBounds()
	if end.IsZero() {
		return beforeOff
	}
	boundary := end.Unix()
	_, afterOff := end.In(loc).Zone()
	beforeTime := local - int64(beforeOff)
	afterTime := local - int64(afterOff)
	switch {
	case beforeTime < boundary && afterTime < boundary:
		return beforeOff
	case beforeTime > boundary && afterTime >= boundary:
		return afterOff
	case beforeTime > afterTime:
		return beforeOff
	}
	return afterOff
}
