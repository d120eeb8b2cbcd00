package pgwire_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/jackc/pgproto3/v2"

	"github.com/lancegate/lancegate/gateway/pgwire"
)

func int8Param(v int64) []byte     { return binary.BigEndian.AppendUint64(nil, uint64(v)) }
func float8Param(v float64) []byte { return binary.BigEndian.AppendUint64(nil, math.Float64bits(v)) }

func TestExtendedQuery(t *testing.T) {
	ts := startServer(t, pgwire.Config{})
	binParams := [][]byte{int8Param(42), float8Param(2.5)}
	tests := []struct {
		name string
		msgs []pgproto3.FrontendMessage
		want []string
	}{
		{
			// pgx: Parse/Describe(S)/Sync, then Bind/Execute/Sync.
			"prepare then describe", []pgproto3.FrontendMessage{
				&pgproto3.Parse{Name: "s1", Query: "echo"},
				&pgproto3.Describe{ObjectType: 'S', Name: "s1"},
				&pgproto3.Sync{},
			},
			[]string{"1", "t 20,701", "T a:20/0 b:701/0", "Z I"},
		},
		{
			"bind and execute, binary results", []pgproto3.FrontendMessage{
				&pgproto3.Bind{PreparedStatement: "s1", ParameterFormatCodes: []int16{1}, Parameters: binParams, ResultFormatCodes: []int16{0, 1}},
				&pgproto3.Describe{ObjectType: 'P'},
				&pgproto3.Execute{},
				&pgproto3.Sync{},
			},
			[]string{"2", "T a:20/0 b:701/1", "D 42|" + string(float8Param(2.5)), "C SELECT 1", "Z I"},
		},
		{
			"NULL parameters", []pgproto3.FrontendMessage{
				&pgproto3.Bind{PreparedStatement: "s1", Parameters: [][]byte{nil, nil}},
				&pgproto3.Execute{},
				&pgproto3.Sync{},
			},
			[]string{"2", "D NULL|NULL", "C SELECT 1", "Z I"},
		},
		{
			"describe statement without rows", []pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: "insert", ParameterOIDs: []uint32{23}},
				&pgproto3.Describe{ObjectType: 'S'},
				&pgproto3.Bind{ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{0, 0, 0, 7}}},
				&pgproto3.Describe{ObjectType: 'P'},
				&pgproto3.Execute{MaxRows: 1},
				&pgproto3.Sync{},
			},
			[]string{"1", "t 23", "n", "2", "n", "C INSERT 0 1", "Z I"},
		},
		{
			"maxRows suspends the portal", []pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: "gen 3"},
				&pgproto3.Bind{},
				&pgproto3.Execute{MaxRows: 1},
				&pgproto3.Execute{MaxRows: 1},
				&pgproto3.Execute{MaxRows: 5},
				&pgproto3.Execute{},
				&pgproto3.Sync{},
			},
			[]string{"1", "2", "D 0|0|row-0", "s", "D 1|0.5|row-1", "s", "D 2|1|row-2", "C SELECT 1", "C SELECT 0", "Z I"},
		},
		{
			// Exactly maxRows rows left: suspended, as PostgreSQL does
			// without looking ahead; the next Execute completes.
			"maxRows equal to the rows left", []pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: "gen 2"},
				&pgproto3.Bind{},
				&pgproto3.Execute{MaxRows: 2},
				&pgproto3.Execute{MaxRows: 2},
				&pgproto3.Sync{},
			},
			[]string{"1", "2", "D 0|0|row-0", "D 1|0.5|row-1", "s", "C SELECT 0", "Z I"},
		},
		{
			"error skips to Sync", []pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: "error 42601 syntax error at or near \"x\""},
				&pgproto3.Bind{},
				&pgproto3.Describe{ObjectType: 'P'},
				&pgproto3.Execute{},
				&pgproto3.Query{String: "select 1"},
				&pgproto3.Flush{},
				&pgproto3.Sync{},
				&pgproto3.Parse{Query: "select 1"},
				&pgproto3.Bind{},
				&pgproto3.Execute{},
				&pgproto3.Sync{},
			},
			[]string{"E ERROR 42601 syntax error at or near \"x\" @8", "Z I"},
		},
		{
			"after the Sync all is well", nil,
			[]string{"1", "2", "D 1", "C SELECT 1", "Z I"},
		},
		{
			"duplicate statement", []pgproto3.FrontendMessage{
				&pgproto3.Parse{Name: "s1", Query: "select 1"},
				&pgproto3.Sync{},
			},
			[]string{"E ERROR 42P05 prepared statement \"s1\" already exists", "Z I"},
		},
		{
			"several statements in one Parse", []pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: "select 1; select 1"},
				&pgproto3.Sync{},
			},
			[]string{"E ERROR 42601 cannot insert multiple commands into a prepared statement", "Z I"},
		},
		{
			"unknown statement", []pgproto3.FrontendMessage{
				&pgproto3.Bind{PreparedStatement: "nope"},
				&pgproto3.Sync{},
				&pgproto3.Describe{ObjectType: 'S', Name: "nope"},
				&pgproto3.Sync{},
			},
			[]string{"E ERROR 26000 prepared statement \"nope\" does not exist", "Z I",
				"E ERROR 26000 prepared statement \"nope\" does not exist", "Z I"},
		},
		{
			"unknown portal", []pgproto3.FrontendMessage{
				&pgproto3.Execute{Portal: "nope"},
				&pgproto3.Sync{},
				&pgproto3.Describe{ObjectType: 'P', Name: "nope"},
				&pgproto3.Sync{},
			},
			[]string{"E ERROR 34000 portal \"nope\" does not exist", "Z I", "E ERROR 34000 portal \"nope\" does not exist", "Z I"},
		},
		{
			"parameter count", []pgproto3.FrontendMessage{
				&pgproto3.Bind{PreparedStatement: "s1", Parameters: [][]byte{[]byte("1")}},
				&pgproto3.Sync{},
			},
			[]string{"E ERROR 08P01 bind message supplies 1 parameters, but prepared statement \"s1\" requires 2", "Z I"},
		},
		{
			"bad binary parameter", []pgproto3.FrontendMessage{
				&pgproto3.Bind{PreparedStatement: "s1", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{1, 2}, nil}},
				&pgproto3.Sync{},
			},
			[]string{"E ERROR 22P03 incorrect binary data format in bind parameter 1", "Z I"},
		},
		{
			"result format count", []pgproto3.FrontendMessage{
				&pgproto3.Bind{PreparedStatement: "s1", Parameters: [][]byte{nil, nil}, ResultFormatCodes: []int16{0, 1, 1}},
				&pgproto3.Sync{},
			},
			[]string{"E ERROR 08P01 bind message has 3 result formats but query has 2 columns", "Z I"},
		},
		{
			"close statement and portal, present or not", []pgproto3.FrontendMessage{
				&pgproto3.Parse{Name: "s2", Query: "select 1"},
				&pgproto3.Bind{DestinationPortal: "p2", PreparedStatement: "s2"},
				&pgproto3.Close{ObjectType: 'S', Name: "s2"},
				// The portal outlives its statement's name.
				&pgproto3.Execute{Portal: "p2"},
				&pgproto3.Close{ObjectType: 'P', Name: "p2"},
				&pgproto3.Close{ObjectType: 'P', Name: "p2"},
				&pgproto3.Close{ObjectType: 'S', Name: "never"},
				&pgproto3.Execute{Portal: "p2"},
				&pgproto3.Sync{},
			},
			[]string{"1", "2", "3", "D 1", "C SELECT 1", "3", "3", "3", "E ERROR 34000 portal \"p2\" does not exist", "Z I"},
		},
		{
			"empty query", []pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: "  "},
				&pgproto3.Describe{ObjectType: 'S'},
				&pgproto3.Bind{},
				&pgproto3.Execute{},
				&pgproto3.Sync{},
			},
			[]string{"1", "t ", "n", "2", "I", "Z I"},
		},
		{
			"portals end at Sync outside a block", []pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: "select 1"},
				&pgproto3.Bind{DestinationPortal: "p3"},
				&pgproto3.Sync{},
				&pgproto3.Execute{Portal: "p3"},
				&pgproto3.Sync{},
			},
			[]string{"1", "2", "Z I", "E ERROR 34000 portal \"p3\" does not exist", "Z I"},
		},
		{
			"runtime error drops the portal", []pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: "runtime error"},
				&pgproto3.Bind{ResultFormatCodes: []int16{1}},
				&pgproto3.Execute{},
				&pgproto3.Sync{},
			},
			[]string{"1", "2", "D " + string(int8Param(0)) + "|" + string(float8Param(0)) + "|row-0",
				"D " + string(int8Param(1)) + "|" + string(float8Param(0.5)) + "|row-1",
				"D " + string(int8Param(2)) + "|" + string(float8Param(1)) + "|row-2",
				"E ERROR 22012 division by zero", "Z I"},
		},
		{
			"notices and settings", []pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: "notice"},
				&pgproto3.Bind{},
				&pgproto3.Execute{},
				&pgproto3.Parse{Query: "set TimeZone = Europe/Paris"},
				&pgproto3.Bind{},
				&pgproto3.Execute{},
				&pgproto3.Sync{},
			},
			[]string{"1", "2", "N NOTICE 42P07 relation \"t\" already exists, skipping", "C DO",
				"1", "2", "C SET", "S TimeZone=Europe/Paris", "Z I"},
		},
		{
			"panic is XX000 and skips to Sync", []pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: "panic"},
				&pgproto3.Bind{},
				&pgproto3.Execute{},
				&pgproto3.Execute{},
				&pgproto3.Sync{},
			},
			[]string{"1", "2", "E ERROR XX000 internal error: panic: fake engine panic", "Z I"},
		},
		{
			"FunctionCall is not supported", []pgproto3.FrontendMessage{
				&pgproto3.FunctionCall{Function: 1},
			},
			[]string{"E ERROR 0A000 fastpath function calls are not supported", "Z I"},
		},
	}
	w := connect(t, ts.addr)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.t = t
			if tt.msgs != nil {
				w.send(tt.msgs...)
			}
			w.expect(tt.want...)
		})
	}
}

func TestFlush(t *testing.T) {
	ts := startServer(t, pgwire.Config{})
	w := connect(t, ts.addr)
	// Without Flush or Sync nothing need arrive; with Flush it must,
	// and no ReadyForQuery comes.
	w.send(&pgproto3.Parse{Query: "select 1"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Flush{})
	for _, want := range []string{"1", "2", "D 1", "C SELECT 1"} {
		if got := w.recv(); got != want {
			t.Fatalf("after Flush got %q; want %q", got, want)
		}
	}
	w.send(&pgproto3.Sync{})
	w.expect("Z I")
}

func TestExtendedImplicitTransaction(t *testing.T) {
	ts := startServer(t, pgwire.Config{})
	w := connect(t, ts.addr)
	w.send(&pgproto3.Parse{Query: "insert"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	w.until("Z")
	w.send(&pgproto3.Parse{Query: "insert"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: "error 23505 duplicate key"}, &pgproto3.Sync{})
	w.until("Z")
	// In a block, Sync leaves the transaction to the session.
	w.send(&pgproto3.Query{String: "begin"})
	w.until("Z")
	w.send(&pgproto3.Parse{Query: "insert"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	w.expect("1", "2", "C INSERT 0 1", "Z T")
	// An error found by the protocol layer inside the block is reported
	// to the session at Sync.
	w.send(&pgproto3.Bind{PreparedStatement: "nope"}, &pgproto3.Sync{})
	w.until("Z")
	got := ts.eng.lastSession().implicitEnds()
	// The Query "begin", then the two Syncs inside the block.
	want := []bool{true, false, true, true, false}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("EndImplicit commits = %v; want %v", got, want)
	}
}
