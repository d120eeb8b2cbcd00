package pgwire_test

import (
	"testing"

	"github.com/jackc/pgproto3/v2"

	"github.com/lancegate/lancegate/gateway/pgwire"
)

func TestSimpleQuery(t *testing.T) {
	ts := startServer(t, pgwire.Config{})
	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"one statement", "select 1", []string{"T ?column?:23/0", "D 1", "C SELECT 1", "Z I"}},
		{"rows in batches", "gen 3", []string{"T id:20/0 score:701/0 name:25/0", "D 0|0|row-0", "D 1|0.5|row-1", "D 2|1|row-2", "C SELECT 3", "Z I"}},
		{"no rows", "insert", []string{"C INSERT 0 1", "Z I"}},
		{"empty", "", []string{"I", "Z I"}},
		{"only separators", " ; ;", []string{"I", "Z I"}},
		{
			// The error skips the rest; its position counts from the
			// start of the message (8 within the statement + 16 before).
			"error in the middle", "insert; select 1; error 42P01 relation \"x\" does not exist; insert",
			[]string{"C INSERT 0 1", "T ?column?:23/0", "D 1", "C SELECT 1", "E ERROR 42P01 relation \"x\" does not exist @26", "Z I"},
		},
		{"runtime error after rows", "runtime error", []string{"T id:20/0 score:701/0 name:25/0", "D 0|0|row-0", "D 1|0.5|row-1", "D 2|1|row-2", "E ERROR 22012 division by zero", "Z I"}},
		{"notice before CommandComplete", "notice", []string{"N NOTICE 42P07 relation \"t\" already exists, skipping", "C DO", "Z I"}},
		{"ParameterStatus after CommandComplete", "set application_name = x", []string{"C SET", "S application_name=x", "Z I"}},
		{"uncoded error is XX000", "uncoded", []string{"E ERROR XX000 boom without a code", "Z I"}},
		{"panic is XX000", "panic", []string{"E ERROR XX000 internal error: panic: fake engine panic", "Z I"}},
		{"split error", "select 'x", []string{"E ERROR 42601 unterminated quoted string at or near \"'\" @9", "Z I"}},
		{"transaction status", "begin; insert", []string{"C BEGIN", "C INSERT 0 1", "Z T"}},
		{"end of block", "commit", []string{"C COMMIT", "Z I"}},
	}
	w := connect(t, ts.addr)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.t = t
			w.send(&pgproto3.Query{String: tt.query})
			w.expect(tt.want...)
		})
	}
}

func TestSimpleQueryImplicitTransaction(t *testing.T) {
	ts := startServer(t, pgwire.Config{})
	w := connect(t, ts.addr)
	w.send(&pgproto3.Query{String: "insert; insert"})
	w.until("Z")
	w.send(&pgproto3.Query{String: "insert; error 22012 division by zero; insert"})
	w.until("Z")
	got := ts.eng.lastSession().implicitEnds()
	if len(got) != 2 || got[0] != true || got[1] != false {
		t.Fatalf("EndImplicit commits = %v; want [true false]", got)
	}
}

func TestStartupSequence(t *testing.T) {
	ts := startServer(t, pgwire.Config{})
	w := dial(t, ts.addr)
	w.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber,
		Parameters: map[string]string{"user": "alice", "database": "db", "application_name": "psql"}})
	w.expect("R ok",
		"S application_name=psql", "S client_encoding=UTF8", "S DateStyle=ISO, MDY", "S integer_datetimes=on",
		"S server_encoding=UTF8", "S server_version=15.20 (lancegate test)", "S standard_conforming_strings=on", "S TimeZone=UTC",
		"K", "Z I")
	w.send(&pgproto3.Terminate{})
	w.expectClosed()
}
