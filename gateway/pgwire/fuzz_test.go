package pgwire_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lancegate/lancegate/gateway/pgwire"
)

// FuzzDecodeStartupPacket feeds the first-packet decoder arbitrary bodies
// (what follows the length word). It must never panic, and what it accepts
// must be well formed: a 3.x StartupMessage whose names and values hold no
// NUL, or one of the fixed-size request packets. The seed corpus in
// testdata/fuzz/FuzzDecodeStartupPacket holds each client's packet of
// pg-compat §2.1–2.2.
func FuzzDecodeStartupPacket(f *testing.F) {
	f.Add(startupPacket(3, 0, "user", "alice", "database", "db", "application_name", "psql")[4:])
	f.Add(startupPacket(3, 2, "user", "alice", "_pq_.test", "1")[4:])
	f.Add(codePacket(80877103)[4:])
	f.Add([]byte{0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 1, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := pgwire.DecodeStartupPacket(body)
		if err != nil {
			return
		}
		if len(body) < 4 {
			t.Fatalf("accepted a %d-byte packet", len(body))
		}
		if p.Params == nil {
			return // SSLRequest, GSSENCRequest or CancelRequest
		}
		if p.Major != 3 {
			t.Fatalf("accepted protocol %d.%d", p.Major, p.Minor)
		}
		if body[len(body)-1] != 0 {
			t.Fatal("accepted a packet without its terminator")
		}
		for k, v := range p.Params {
			if strings.ContainsRune(k, 0) || strings.ContainsRune(v, 0) || k == "" {
				t.Fatalf("bad parameter %q=%q", k, v)
			}
		}
		for _, o := range p.ProtocolOptions {
			if !strings.HasPrefix(o, "_pq_.") || !bytes.Contains(body, []byte(o+"\x00")) {
				t.Fatalf("bad protocol option %q", o)
			}
		}
	})
}
