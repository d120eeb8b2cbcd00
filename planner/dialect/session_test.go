package dialect

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// describeSession renders a session statement compactly for comparison.
func describeSession(s SessionStmt) string {
	q := func(r *Rewrite) string {
		if r == nil {
			return "<nil>"
		}
		return r.SQL
	}
	switch x := s.(type) {
	case *SetStmt:
		var vs []string
		for _, v := range x.Values {
			vs = append(vs, fmt.Sprintf("%d:%s", v.Kind, v.Text))
		}
		return fmt.Sprintf("set local=%v %s=%s default=%v", x.Local, x.Name, strings.Join(vs, ","), x.Default)
	case *SetTransactionStmt:
		return fmt.Sprintf("set-transaction session=%v %s snapshot=%s", x.Session, describeModes(x.Modes), x.Snapshot)
	case *BeginStmt:
		return fmt.Sprintf("begin start=%v %s", x.Start, describeModes(x.Modes))
	case *PrepareStmt:
		return fmt.Sprintf("prepare %s %v as %s", x.Name, x.Types, q(x.Query))
	case *ExecuteStmt:
		return fmt.Sprintf("execute %s %s", x.Name, q(x.Args))
	case *ExplainStmt:
		return fmt.Sprintf("explain %s %s", describeOptions(x.Options), q(x.Query))
	case *CopyStmt:
		return fmt.Sprintf("copy table=%v cols=%v query=%s from=%v target=%d file=%s %s", x.Table, x.Columns, q(x.Query), x.From, x.Target, x.File, describeOptions(x.Options))
	case *DeclareStmt:
		return fmt.Sprintf("declare %s binary=%v hold=%v scroll=%v %s", x.Name, x.Binary, x.Hold, x.Scroll != nil && *x.Scroll, q(x.Query))
	case *CommentStmt:
		c := "NULL"
		if x.Comment != nil {
			c = *x.Comment
		}
		return fmt.Sprintf("comment %s %v %s", x.Object, x.Name, c)
	case *MaintenanceStmt:
		return fmt.Sprintf("%s %s %v", x.Command, describeOptions(x.Options), x.Tables)
	case *CreateIndexStmt:
		return fmt.Sprintf("create-index %q ine=%v unique=%v on %v@%d using %s@%d %+v %s unsupported=%s@%d", x.Name, x.IfNotExists, x.Unique, x.Table, x.TablePos, x.Method, x.MethodPos, x.Columns, describeOptions(x.With), x.Unsupported, x.UnsupportedPos)
	}
	return strings.TrimPrefix(fmt.Sprintf("%T %+v", s, s), "*dialect.")
}

func describeModes(m TxModes) string {
	s := "iso=" + m.Isolation
	if m.ReadOnly != nil {
		s += fmt.Sprintf(" ro=%v", *m.ReadOnly)
	}
	if m.Deferrable != nil {
		s += fmt.Sprintf(" def=%v", *m.Deferrable)
	}
	return s
}

func describeOptions(opts []Option) string {
	var s []string
	for _, o := range opts {
		v := o.Name
		if o.Value != nil {
			v += "=" + o.Value.Text
		}
		if o.Columns != nil {
			v += fmt.Sprint(o.Columns)
		}
		s = append(s, v)
	}
	return "[" + strings.Join(s, " ") + "]"
}

func TestSessionStatements(t *testing.T) {
	cases := []struct{ in, want string }{
		{"SET extra_float_digits = 3", "set local=false extra_float_digits=2:3 default=false"},
		{"SET application_name = 'DBeaver 23.0.0 - Main'", "set local=false application_name=1:DBeaver 23.0.0 - Main default=false"},
		{`SET search_path = "public", "$user"`, "set local=false search_path=0:public,0:$user default=false"},
		{"SET LOCAL statement_timeout TO DEFAULT", "set local=true statement_timeout= default=true"},
		{"SET SESSION TIMEZONE TO 'UTC'", "set local=false timezone=1:UTC default=false"},
		{"SET TIME ZONE 'UTC'", "set local=false timezone=1:UTC default=false"},
		{"SET TIME ZONE LOCAL", "set local=false timezone= default=true"},
		{"SET TIME ZONE -7", "set local=false timezone=2:-7 default=false"},
		{"SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE", "set local=false timezone=3:+00:00 default=false"},
		{"SET SCHEMA 'x'", "set local=false search_path=1:x default=false"},
		{"SET NAMES 'UTF8'", "set local=false client_encoding=1:UTF8 default=false"},
		{"SET ROLE admin", "set local=false role=0:admin default=false"},
		{"SET SESSION AUTHORIZATION DEFAULT", "set local=false session_authorization= default=true"},
		{"SET DATESTYLE TO 'ISO'", "set local=false datestyle=1:ISO default=false"},
		{"SET app.user_id = 42", "set local=false app.user_id=2:42 default=false"},
		{"SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE", "set-transaction session=true iso=serializable snapshot="},
		{"SET TRANSACTION READ ONLY, NOT DEFERRABLE", "set-transaction session=false iso= ro=true def=false snapshot="},
		{"RESET ALL", "ResetStmt &{Name: All:true}"},
		{"RESET TIME ZONE", "ResetStmt &{Name:timezone All:false}"},
		{"show timezone;", "ShowStmt &{Name:timezone All:false}"},
		{"show transaction isolation level", "ShowStmt &{Name:transaction_isolation All:false}"},
		{"SHOW standard_conforming_strings", "ShowStmt &{Name:standard_conforming_strings All:false}"},
		{"SHOW ALL", "ShowStmt &{Name: All:true}"},
		{"begin", "begin start=false iso="},
		{"BEGIN ISOLATION LEVEL REPEATABLE READ READ WRITE", "begin start=false iso=repeatable read ro=false"},
		{"START TRANSACTION ISOLATION LEVEL READ COMMITTED, READ ONLY, DEFERRABLE", "begin start=true iso=read committed ro=true def=true"},
		{"COMMIT", "CommitStmt &{Chain:false}"},
		{"END WORK AND CHAIN", "CommitStmt &{Chain:true}"},
		{"ROLLBACK", "RollbackStmt &{Chain:false}"},
		{"ABORT TRANSACTION AND NO CHAIN", "RollbackStmt &{Chain:false}"},
		{"SAVEPOINT sp1", "SavepointStmt &{Name:sp1}"},
		{`RELEASE "_pg3_1"`, "ReleaseStmt &{Name:_pg3_1}"},
		{"RELEASE SAVEPOINT x", "ReleaseStmt &{Name:x}"},
		{"ROLLBACK TO SAVEPOINT x", "RollbackToStmt &{Name:x}"},
		{"ROLLBACK WORK TO x", "RollbackToStmt &{Name:x}"},
		{"PREPARE q (int, text) AS SELECT $1, $2", "prepare q [pg_catalog.int4 pg_catalog.text] as SELECT ?, ?"},
		{"EXECUTE q (1, 'a' || 'b')", "execute q SELECT 1, __pg_op('||', 'a', 'b')"},
		{"EXECUTE q", "execute q <nil>"},
		{"DEALLOCATE ALL", "DeallocateStmt &{Name: All:true}"},
		{"DEALLOCATE PREPARE q", "DeallocateStmt &{Name:q All:false}"},
		{"DISCARD ALL", "DiscardStmt &{What:all}"},
		{"DISCARD TEMPORARY", "DiscardStmt &{What:temp}"},
		{"CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public", "CreateExtensionStmt &{Name:vector IfNotExists:true Schema:public Version: Cascade:false Pos:32}"},
		{"COMMENT ON TABLE items IS 'demo items'", "comment table [items] demo items"},
		{"CREATE INDEX ON items USING ivf_pq (embedding)", `create-index "" ine=false unique=false on [items]@17 using ivf_pq@29 [{Name:embedding Pos:37 OpClass:}] [] unsupported=@0`},
		{"create index concurrently if not exists ix on only public.Items using HNSW (emb vector_cosine_ops) with (m = 16, ef_construction = 64)", `create-index "ix" ine=true unique=false on [public items]@52 using hnsw@71 [{Name:emb Pos:77 OpClass:vector_cosine_ops}] [m=16 ef_construction=64] unsupported=@0`},
		{"CREATE UNIQUE INDEX u ON t (a DESC NULLS LAST) INCLUDE (b) WITH (wait)", `create-index "u" ine=false unique=true on [t]@26 using @0 [{Name:a Pos:29 OpClass:}] [wait] unsupported=INCLUDE@48`},
		{"DROP INDEX IF EXISTS a, public.b CASCADE", "DropIndexStmt &{Names:[[a] [public b]] IfExists:true Pos:22}"},
		{"COMMENT ON COLUMN public.items.name IS NULL", "comment column [public items name] NULL"},
		{"EXPLAIN (ANALYZE, FORMAT JSON) SELECT 1", "explain [analyze format=json] SELECT 1"},
		{"EXPLAIN ANALYZE VERBOSE SELECT * FROM t WHERE a = $1", "explain [analyze verbose] SELECT * FROM `t` WHERE (`a` = ?)"},
		{"EXPLAIN (SELECT 1)", "explain [] (SELECT 1)"},
		{"LISTEN ch", "ListenStmt &{Channel:ch}"},
		{"NOTIFY ch, 'hi'", "NotifyStmt &{Channel:ch Payload:hi}"},
		{"UNLISTEN *", "UnlistenStmt &{Channel: All:true}"},
		{"COPY items (name, embedding) FROM STDIN", "copy table=[items] cols=[name embedding] query=<nil> from=true target=0 file= []"},
		{`copy "items" ( "name", "embedding" ) from stdin binary;`, "copy table=[items] cols=[name embedding] query=<nil> from=true target=0 file= [format=binary]"},
		{"COPY (SELECT id, name FROM items) TO STDOUT", "copy table=[] cols=[] query=SELECT `id`, `name` FROM `items` from=false target=0 file= []"},
		{"COPY t TO STDOUT WITH (FORMAT csv, HEADER, FORCE_QUOTE *)", "copy table=[t] cols=[] query=<nil> from=false target=0 file= [format=csv header force_quote[*]]"},
		{"COPY t FROM '/tmp/x' CSV HEADER DELIMITER AS ';'", "copy table=[t] cols=[] query=<nil> from=true target=1 file=/tmp/x [format=csv header=true delimiter=;]"},
		{"ANALYZE", "analyze [] []"},
		{"VACUUM (FULL, VERBOSE) items, public.orders", "vacuum [full verbose] [[items] [public orders]]"},
		{"CHECKPOINT", "checkpoint [] []"},
		{"DECLARE c BINARY NO SCROLL CURSOR WITH HOLD FOR SELECT * FROM t", "declare c binary=true hold=true scroll=false SELECT * FROM `t`"},
		{"FETCH FORWARD 10 FROM c", "FetchStmt &{Move:false Direction:0 Count:10 All:false Cursor:c}"},
		{"FETCH ALL IN c", "FetchStmt &{Move:false Direction:0 Count:1 All:true Cursor:c}"},
		{"MOVE BACKWARD ALL c", "FetchStmt &{Move:true Direction:1 Count:1 All:true Cursor:c}"},
		{"FETCH LAST c", "FetchStmt &{Move:false Direction:2 Count:-1 All:false Cursor:c}"},
		{"FETCH -2 c", "FetchStmt &{Move:false Direction:0 Count:-2 All:false Cursor:c}"},
		{"CLOSE ALL", "CloseStmt &{Name: All:true}"},
	}
	for _, c := range cases {
		st, err := Parse(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if st.Session == nil {
			t.Errorf("%s: not a session statement: %s", c.in, st)
			continue
		}
		if got := describeSession(st.Session); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

func TestSessionErrors(t *testing.T) {
	cases := []struct {
		in   string
		code sqlstate.Code
		pos  int
	}{
		{"PREPARE TRANSACTION 'x'", sqlstate.FeatureNotSupported, 1},
		{"COMMIT PREPARED 'x'", sqlstate.FeatureNotSupported, 1},
		{"SET", sqlstate.SyntaxError, 4},
		{"SET x y", sqlstate.SyntaxError, 7},
		{"BEGIN ISOLATION LEVEL FOO", sqlstate.SyntaxError, 23},
		{"DISCARD x", sqlstate.SyntaxError, 9},
		{"EXPLAIN SHOW x", sqlstate.SyntaxError, 9},
		{"COPY (SELECT 1) FROM STDIN", sqlstate.SyntaxError, 17},
		{"COPY t FROM STDIN WHERE a > 1", sqlstate.FeatureNotSupported, 19},
		{"EXPLAIN SELECT $$", sqlstate.SyntaxError, 16},
		{"COMMENT ON FUNCTION f() IS 'x'", sqlstate.FeatureNotSupported, 12},
	}
	for _, c := range cases {
		_, err := Parse(c.in)
		e := sqlstate.As(err)
		if e == nil || e.Code != c.code || e.Position != c.pos {
			t.Errorf("%s: got %v (%+v), want %s at %d", c.in, err, e, c.code, c.pos)
		}
	}
}
