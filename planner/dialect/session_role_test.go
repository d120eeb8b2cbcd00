package dialect

import (
	"reflect"
	"testing"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

func ptr[T any](v T) *T { return &v }

func TestRoleStatements(t *testing.T) {
	cases := []struct {
		in   string
		want SessionStmt
	}{
		{`CREATE ROLE alice LOGIN PASSWORD 'pw' CONNECTION LIMIT 3 VALID UNTIL '2030-01-01'`,
			&CreateRoleStmt{Name: "alice", Pos: 13, Options: RoleOptions{Login: ptr(true), Password: ptr("pw"), ConnLimit: ptr(3), ValidUntil: ptr("2030-01-01")}}},
		{`create user "Bob" with superuser createrole nocreatedb noinherit encrypted password 'SCRAM-SHA-256$4096:x$y:z' in role g1, g2`,
			&CreateRoleStmt{Name: "Bob", User: true, Pos: 13, Options: RoleOptions{Superuser: ptr(true), CreateRole: ptr(true), CreateDB: ptr(false), Inherit: ptr(false), Password: ptr("SCRAM-SHA-256$4096:x$y:z"), InRole: []string{"g1", "g2"}}}},
		{`ALTER ROLE alice WITH NOLOGIN PASSWORD NULL CONNECTION LIMIT -1`,
			&AlterRoleStmt{Role: RoleSpec{Name: "alice", Pos: 12}, Options: RoleOptions{Login: ptr(false), PasswordNull: true, ConnLimit: ptr(-1)}}},
		{`ALTER USER current_user PASSWORD 'x'`,
			&AlterRoleStmt{Role: RoleSpec{Special: "current_user", Pos: 12}, Options: RoleOptions{Password: ptr("x")}}},
		{`ALTER ROLE a RENAME TO b`, &AlterRoleStmt{Role: RoleSpec{Name: "a", Pos: 12}, RenameTo: "b"}},
		{`DROP ROLE IF EXISTS a, "B";`, &DropRoleStmt{IfExists: true, Names: []RoleSpec{{Name: "a", Pos: 21}, {Name: "B", Pos: 24}}}},
		{`GRANT SELECT, INSERT ON TABLE t, public.u TO alice, PUBLIC`,
			&GrantStmt{Privileges: []string{"select", "insert"}, Tables: [][]string{{"t"}, {"public", "u"}}, Grantees: []RoleSpec{{Name: "alice", Pos: 46}, {Special: "public", Pos: 53}}}},
		{`GRANT ALL PRIVILEGES ON t TO GROUP g WITH GRANT OPTION`,
			&GrantStmt{Privileges: []string{"all"}, Tables: [][]string{{"t"}}, Grantees: []RoleSpec{{Name: "g", Pos: 36}}, GrantOption: true}},
		{`REVOKE GRANT OPTION FOR delete, update ON t FROM a CASCADE`,
			&GrantStmt{Revoke: true, GrantOption: true, Privileges: []string{"delete", "update"}, Tables: [][]string{{"t"}}, Grantees: []RoleSpec{{Name: "a", Pos: 50}}}},
		{`GRANT g TO alice`, &GrantRoleStmt{Roles: []RoleSpec{{Name: "g", Pos: 7}}, Members: []RoleSpec{{Name: "alice", Pos: 12}}}},
		{`REVOKE g FROM alice`, &GrantRoleStmt{Revoke: true, Roles: []RoleSpec{{Name: "g", Pos: 8}}, Members: []RoleSpec{{Name: "alice", Pos: 15}}}},
	}
	for _, c := range cases {
		st, err := Parse(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(st.Session, c.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", c.in, st.Session, c.want)
		}
	}
}

func TestRoleStatementErrors(t *testing.T) {
	cases := []struct {
		in   string
		code sqlstate.Code
	}{
		{`CREATE ROLE public`, reservedName},
		{`CREATE ROLE a LOGIN NOLOGIN`, sqlstate.SyntaxError},
		{`CREATE ROLE a PASSWORD`, sqlstate.SyntaxError},
		{`CREATE ROLE select`, sqlstate.SyntaxError},
		{`ALTER ROLE a IN ROLE b`, sqlstate.FeatureNotSupported},
		{`ALTER ROLE a SET search_path = x`, sqlstate.FeatureNotSupported},
		{`GRANT SELECT (a) ON t TO b`, sqlstate.FeatureNotSupported},
		{`GRANT TRUNCATE ON t TO b`, sqlstate.FeatureNotSupported},
		{`GRANT EXECUTE ON t TO b`, invalidGrantOperation},
		{`GRANT SELECT ON t`, sqlstate.SyntaxError},
		{`GRANT SELECT ON t TO`, sqlstate.SyntaxError},
		{`REVOKE SELECT ON t TO a`, sqlstate.SyntaxError},
		{`CREATE ROLE a UNENCRYPTED PASSWORD 'x'`, sqlstate.FeatureNotSupported},
		{`CREATE ROLE a CONNECTION LIMIT 99999999999`, sqlstate.SyntaxError},
	}
	for _, c := range cases {
		_, err := Parse(c.in)
		e := sqlstate.As(err)
		if e == nil || e.Code != c.code {
			t.Errorf("%s: got %v, want %s", c.in, err, c.code)
		}
	}
}

// FuzzRoleStatement checks that role statements never panic and that
// every failure carries a SQLSTATE.
func FuzzRoleStatement(f *testing.F) {
	for _, s := range []string{
		`CREATE ROLE alice LOGIN PASSWORD 'pw' CONNECTION LIMIT 3 VALID UNTIL 'infinity'`,
		`CREATE USER u IN ROLE g ROLE m ADMIN a SYSID 7`,
		`ALTER ROLE a WITH NOSUPERUSER INHERIT`,
		`ALTER ROLE a RENAME TO b`,
		`DROP ROLE IF EXISTS a, b`,
		`GRANT ALL ON TABLE t TO PUBLIC`,
		`REVOKE SELECT, UPDATE ON t FROM a, GROUP g RESTRICT`,
		`GRANT g TO a WITH ADMIN OPTION GRANTED BY current_user`,
		`REVOKE ADMIN OPTION FOR g FROM a`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		st, err := Parse(in)
		if err != nil {
			if sqlstate.As(err) == nil {
				t.Fatalf("%q: error without SQLSTATE: %v", in, err)
			}
			return
		}
		if st == nil {
			t.Fatalf("%q: nil statement", in)
		}
	})
}
