package events_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lancegate/lancegate/storage/events"
)

func TestDecodeEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		value string
		want  events.Event
		ok    bool
	}{
		{
			name:  "all fields",
			value: `{"table":"items","uri":"az://c/items.lance","version":7,"prev_version":6,"op":"delete","rows_added":0,"rows_deleted":3,"fragments":[2,5],"time":"2025-01-02T03:04:05.000006Z","source":"q-1"}`,
			want: events.Event{Table: "items", URI: "az://c/items.lance", Version: 7, PrevVersion: 6, Op: "delete", RowsDeleted: 3,
				Fragments: []uint64{2, 5}, Time: time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC), Source: "q-1"},
			ok: true,
		},
		{name: "newer fields are ignored", value: `{"table":"t","op":"vacuum","shard":3}`, want: events.Event{Table: "t", Op: "vacuum"}, ok: true},
		{name: "no table", value: `{"version":1}`},
		{name: "null", value: `null`},
		{name: "array", value: `[1]`},
		{name: "truncated", value: `{"table":"t"`},
		{name: "negative version", value: `{"table":"t","version":-1}`},
		{name: "bad time", value: `{"table":"t","time":"yesterday"}`},
		{name: "empty", value: ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := events.DecodeEvent([]byte(tt.value))
			if (err == nil) != tt.ok {
				t.Fatalf("DecodeEvent(%s) = %v; want ok %v", tt.value, err, tt.ok)
			}
			if tt.ok && !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("DecodeEvent(%s) = %+v; want %+v", tt.value, got, tt.want)
			}
		})
	}
}

func TestEncodeEventLimits(t *testing.T) {
	t.Parallel()
	if _, err := events.EncodeEvent(events.Event{Table: "t", Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}); err == nil {
		t.Error("EncodeEvent of a year-10000 time succeeded")
	}
	if _, err := events.EncodeEvent(events.Event{Table: "t", Source: strings.Repeat("x", 1<<20)}); err == nil {
		t.Error("EncodeEvent of a 1 MiB event succeeded")
	}
	b := events.NewBus(1)
	defer b.Close()
	b.Publish(events.Event{Table: "t", Source: strings.Repeat("x", 1<<20)}) // the bus does not encode
	if st := b.Stats(); st.Buffered != 1 {
		t.Errorf("bus stats %+v", st)
	}
}

// FuzzDecodeEvent checks that the record decoder never panics, and that
// what it accepts encodes and decodes back to the same event.
func FuzzDecodeEvent(f *testing.F) {
	for _, s := range []string{
		`{"table":"t","version":1,"op":"append","time":"2025-01-02T03:04:05Z"}`,
		`{"table":"t","fragments":[1,2,3],"rows_added":18446744073709551615}`,
		`{"table":"\u00e9\u0000","source":"job-1"}`,
		`null`, `{}`, `[]`, `"t"`, `{"table":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := events.DecodeEvent(b)
		if err != nil {
			return
		}
		if e.Table == "" {
			t.Fatalf("DecodeEvent(%q) accepted an event without a table", b)
		}
		enc, err := events.EncodeEvent(e)
		if err != nil {
			if len(b) > 800<<10 || e.Time.Year() > 9999 || e.Time.Year() < 0 {
				return // too large, or a time JSON cannot carry
			}
			t.Fatalf("EncodeEvent(DecodeEvent(%q)) = %v", b, err)
		}
		again, err := events.DecodeEvent(enc)
		if err != nil {
			t.Fatalf("DecodeEvent(%s) = %v after encoding", enc, err)
		}
		if !again.Time.Equal(e.Time) {
			t.Fatalf("time %v became %v", e.Time, again.Time)
		}
		again.Time, e.Time = time.Time{}, time.Time{}
		if len(e.Fragments) == 0 {
			e.Fragments = nil // omitempty
		}
		if !reflect.DeepEqual(again, e) {
			t.Fatalf("round trip of %q:\n %+v\nbecame\n %+v", b, e, again)
		}
	})
}
