package dialect

import (
	"github.com/lancegate/lancegate/executor/sqlstate"
)

// RoleSpec names a role in GRANT, REVOKE, ALTER ROLE and DROP ROLE: a
// role name, or one of the special forms PUBLIC, CURRENT_USER,
// SESSION_USER and CURRENT_ROLE (Special holds the folded keyword; Name is
// then empty).
type RoleSpec struct {
	Name    string
	Special string
	Pos     int // 1-based character position
}

// RoleOptions are the options of CREATE ROLE and ALTER ROLE. A nil
// pointer is an option not given.
type RoleOptions struct {
	Login, Superuser, CreateRole, CreateDB, Inherit, Replication, BypassRLS *bool
	// Password is PASSWORD 'x'; PasswordNull is PASSWORD NULL.
	Password     *string
	PasswordNull bool
	// ConnLimit is CONNECTION LIMIT n.
	ConnLimit *int
	// ValidUntil is VALID UNTIL 'timestamp', as written.
	ValidUntil *string
	// InRole are the roles of IN ROLE / IN GROUP (the new role joins
	// them); Members of ROLE / USER (they join the new role); Admins of
	// ADMIN. CREATE ROLE only.
	InRole, Members, Admins []string
}

// CreateRoleStmt is CREATE ROLE | USER | GROUP name [[WITH] options].
// User is set for CREATE USER, whose roles can log in unless NOLOGIN.
type CreateRoleStmt struct {
	Name    string
	User    bool
	Options RoleOptions
	Pos     int // of the name
}

// AlterRoleStmt is ALTER ROLE | USER name [WITH] options, or ALTER ROLE
// name RENAME TO new (RenameTo set).
type AlterRoleStmt struct {
	Role     RoleSpec
	Options  RoleOptions
	RenameTo string
}

// DropRoleStmt is DROP ROLE | USER | GROUP [IF EXISTS] name[, …].
type DropRoleStmt struct {
	Names    []RoleSpec
	IfExists bool
}

// GrantStmt is GRANT privileges ON [TABLE] t[, …] TO role[, …] [WITH
// GRANT OPTION], or REVOKE [GRANT OPTION FOR] privileges ON [TABLE] t[,
// …] FROM role[, …] [CASCADE | RESTRICT] (Revoke set). Privileges are
// folded ("select", "insert", …); ALL [PRIVILEGES] is ["all"]. Tables are
// name parts as written (schema-qualified names have two).
type GrantStmt struct {
	Revoke      bool
	Privileges  []string
	Tables      [][]string
	Grantees    []RoleSpec
	GrantOption bool
}

// GrantRoleStmt is GRANT role[, …] TO role[, …] [WITH ADMIN OPTION], or
// REVOKE [ADMIN OPTION FOR] role[, …] FROM role[, …] (Revoke set).
type GrantRoleStmt struct {
	Revoke  bool
	Roles   []RoleSpec
	Members []RoleSpec
}

// SQLSTATEs of role statements that the sqlstate catalogue lacks.
const (
	reservedName          sqlstate.Code = "42939"
	invalidGrantOperation sqlstate.Code = "0LP01"
)

func (*CreateRoleStmt) sessionStmt() {}
func (*AlterRoleStmt) sessionStmt()  {}
func (*DropRoleStmt) sessionStmt()   {}
func (*GrantStmt) sessionStmt()      {}
func (*GrantRoleStmt) sessionStmt()  {}

// isRoleStatement reports whether a statement manages roles or privileges:
// GRANT, REVOKE, and CREATE / ALTER / DROP of ROLE, USER or GROUP.
func isRoleStatement(toks []Token) bool {
	t := toks[0]
	switch {
	case t.Keyword("grant"), t.Keyword("revoke"):
		return true
	case t.Keyword("create"), t.Keyword("alter"), t.Keyword("drop"):
		return len(toks) > 1 && (toks[1].Keyword("role") || toks[1].Keyword("user") || toks[1].Keyword("group"))
	}
	return false
}

// roleStmt parses a statement isRoleStatement accepted.
func (p *rw) roleStmt() SessionStmt {
	t := p.next()
	switch t.Value {
	case "grant":
		return p.grantStmt(false)
	case "revoke":
		return p.grantStmt(true)
	case "create":
		kind := p.next()
		s := &CreateRoleStmt{User: kind.Value == "user"}
		n := p.roleName()
		s.Name, s.Pos = n.Value, charPos(p.text, n.Offset)
		p.acceptKw("with")
		s.Options = p.roleOptions(true)
		return s
	case "alter":
		p.next()
		s := &AlterRoleStmt{Role: p.roleSpec()}
		if p.acceptKw("rename", "to") {
			s.RenameTo = p.roleName().Value
			return s
		}
		if p.isKw("set") || p.isKw("reset") || p.isKw("in") {
			p.unsupported(p.tok(), "ALTER ROLE … SET and RESET")
		}
		p.acceptKw("with")
		s.Options = p.roleOptions(false)
		return s
	case "drop":
		p.next()
		s := &DropRoleStmt{IfExists: p.acceptKw("if", "exists")}
		for {
			s.Names = append(s.Names, p.roleSpec())
			if !p.acceptPunct(",") {
				break
			}
		}
		return s
	}
	p.errAtTok(t)
	return nil
}

// roleName reads a role name (RoleId: not a reserved keyword).
func (p *rw) roleName() Token {
	t := p.tok()
	if t.Kind != Ident || !t.Quoted && (reservedKeywords[t.Value] || t.Value == "public" || t.Value == "none") {
		if t.Kind == Ident && !t.Quoted && (t.Value == "public" || t.Value == "none") {
			p.fail(errAt(p.text, t.Offset, reservedName, "role name %q is reserved", t.Value))
		}
		p.errHere()
	}
	return p.next()
}

// roleSpec reads a RoleSpec.
func (p *rw) roleSpec() RoleSpec {
	t := p.tok()
	pos := charPos(p.text, t.Offset)
	if t.Kind == Ident && !t.Quoted {
		switch t.Value {
		case "public", "current_user", "session_user", "current_role":
			p.next()
			return RoleSpec{Special: t.Value, Pos: pos}
		}
	}
	if t.Kind != Ident || !t.Quoted && reservedKeywords[t.Value] {
		p.errHere()
	}
	p.next()
	return RoleSpec{Name: t.Value, Pos: pos}
}

// roleOptions parses CREATE ROLE's and ALTER ROLE's options up to the end
// of the statement; create allows the membership options.
func (p *rw) roleOptions(create bool) RoleOptions {
	var o RoleOptions
	seen := map[string]bool{}
	once := func(t Token, name string) {
		if seen[name] {
			p.fail(errAt(p.text, t.Offset, sqlstate.SyntaxError, "conflicting or redundant options"))
		}
		seen[name] = true
	}
	flag := func(t Token, name string, dst **bool, v bool) {
		once(t, name)
		*dst = &v
	}
	names := func() []string {
		var out []string
		for {
			out = append(out, p.roleName().Value)
			if !p.acceptPunct(",") {
				return out
			}
		}
	}
	for !p.isPunct(";") && p.tok().Kind != EOF {
		t := p.next()
		if t.Kind != Ident || t.Quoted {
			p.errAtTok(t)
		}
		switch t.Value {
		case "login", "nologin":
			flag(t, "login", &o.Login, t.Value == "login")
		case "superuser", "nosuperuser":
			flag(t, "superuser", &o.Superuser, t.Value == "superuser")
		case "createrole", "nocreaterole":
			flag(t, "createrole", &o.CreateRole, t.Value == "createrole")
		case "createdb", "nocreatedb":
			flag(t, "createdb", &o.CreateDB, t.Value == "createdb")
		case "inherit", "noinherit":
			flag(t, "inherit", &o.Inherit, t.Value == "inherit")
		case "replication", "noreplication":
			flag(t, "replication", &o.Replication, t.Value == "replication")
		case "bypassrls", "nobypassrls":
			flag(t, "bypassrls", &o.BypassRLS, t.Value == "bypassrls")
		case "encrypted", "password":
			if t.Value == "encrypted" {
				p.expectKw("password")
			}
			once(t, "password")
			switch v := p.tok(); {
			case v.Kind == String:
				p.next()
				s := v.Value
				o.Password = &s
			case v.Keyword("null") && t.Value == "password":
				p.next()
				o.PasswordNull = true
			default:
				p.errHere()
			}
		case "unencrypted":
			p.fail(errAt(p.text, t.Offset, sqlstate.FeatureNotSupported, "UNENCRYPTED PASSWORD is no longer supported"))
		case "connection":
			p.expectKw("limit")
			once(t, "connection limit")
			neg := false
			if p.isOp("-") || p.isOp("+") {
				neg = p.next().Value == "-"
			}
			v := p.tok()
			if v.Kind != Integer || len(v.Value) > 9 {
				p.errHere()
			}
			p.next()
			n := 0
			for _, c := range v.Value {
				n = n*10 + int(c-'0')
			}
			if neg {
				n = -n
			}
			o.ConnLimit = &n
		case "valid":
			p.expectKw("until")
			once(t, "valid until")
			v := p.tok()
			if v.Kind != String {
				p.errHere()
			}
			p.next()
			s := v.Value
			o.ValidUntil = &s
		case "sysid":
			if p.tok().Kind != Integer {
				p.errHere()
			}
			p.next()
		case "in":
			if !create {
				p.errAtTok(t)
			}
			if !p.acceptKw("role") {
				p.expectKw("group")
			}
			once(t, "in role")
			o.InRole = names()
		case "role", "user":
			if !create {
				p.errAtTok(t)
			}
			once(t, "role")
			o.Members = names()
		case "admin":
			if !create {
				p.errAtTok(t)
			}
			once(t, "admin")
			o.Admins = names()
		default:
			p.errAtTok(t)
		}
	}
	return o
}

// grantStmt parses GRANT and REVOKE of table privileges or of roles.
func (p *rw) grantStmt(revoke bool) SessionStmt {
	grantOption := false
	if revoke && p.acceptKw("grant", "option", "for") {
		grantOption = true
	}
	adminOption := revoke && p.acceptKw("admin", "option", "for")
	// The privilege list, or the list of roles of GRANT role TO role.
	type item struct {
		tok  Token
		spec RoleSpec
	}
	var items []item
	for {
		t := p.tok()
		switch {
		case t.Keyword("all"):
			p.next()
			p.acceptKw("privileges")
			items = append(items, item{tok: t})
		case t.Kind == Ident && !t.Quoted && reservedKeywords[t.Value]:
			// SELECT, REFERENCES, CREATE, …: privileges only.
			p.next()
			items = append(items, item{tok: t})
		default:
			items = append(items, item{tok: t, spec: p.roleSpec()})
		}
		if p.isPunct("(") {
			p.unsupported(p.tok(), "column privileges")
		}
		if !p.acceptPunct(",") {
			break
		}
	}
	if !p.isKw("on") {
		// GRANT role TO role / REVOKE role FROM role.
		s := &GrantRoleStmt{Revoke: revoke}
		for _, it := range items {
			if it.spec.Name == "" {
				p.errAtTok(it.tok)
			}
			s.Roles = append(s.Roles, it.spec)
		}
		if revoke {
			p.expectKw("from")
		} else {
			p.expectKw("to")
		}
		s.Members = p.grantees()
		if !revoke && p.acceptKw("with") {
			p.expectKw("admin")
			if !p.acceptKw("option") {
				p.acceptKw("true")
			}
		}
		if p.acceptKw("granted", "by") {
			p.roleSpec()
		}
		if revoke {
			p.acceptKw("cascade")
			p.acceptKw("restrict")
		}
		_ = adminOption
		return s
	}
	if adminOption {
		p.errHere()
	}
	s := &GrantStmt{Revoke: revoke, GrantOption: grantOption}
	for _, it := range items {
		switch v := it.tok.Value; {
		case it.tok.Kind != Ident || it.tok.Quoted:
			p.errAtTok(it.tok)
		case v == "all", v == "select", v == "insert", v == "update", v == "delete":
			s.Privileges = append(s.Privileges, v)
		case v == "truncate", v == "references", v == "trigger", v == "maintain":
			p.unsupported(it.tok, "the "+upper(v)+" privilege")
		default:
			p.fail(errAt(p.text, it.tok.Offset, invalidGrantOperation, "invalid privilege type %s for relation", upper(v)))
		}
	}
	p.expectKw("on")
	switch {
	case p.acceptKw("table"):
	case p.isKw("all") && p.peek(1).Keyword("tables"):
		p.unsupported(p.tok(), "GRANT ON ALL TABLES IN SCHEMA")
	case p.isKws("schema"), p.isKws("database"), p.isKws("sequence"), p.isKws("function"):
		p.unsupported(p.tok(), "privileges on "+p.tok().Value+" objects")
	}
	for {
		s.Tables = append(s.Tables, p.nameParts())
		if !p.acceptPunct(",") {
			break
		}
	}
	if revoke {
		p.expectKw("from")
	} else {
		p.expectKw("to")
	}
	s.Grantees = p.grantees()
	if !revoke && p.acceptKw("with", "grant", "option") {
		s.GrantOption = true
	}
	if p.acceptKw("granted", "by") {
		p.roleSpec()
	}
	if revoke {
		if !p.acceptKw("cascade") {
			p.acceptKw("restrict")
		}
	}
	return s
}

// grantees parses [GROUP] role[, …].
func (p *rw) grantees() []RoleSpec {
	var out []RoleSpec
	for {
		p.acceptKw("group")
		out = append(out, p.roleSpec())
		if !p.acceptPunct(",") {
			return out
		}
	}
}
