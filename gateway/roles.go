package gateway

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow/scalar"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/pgwire"
	"github.com/lancegate/lancegate/planner/dialect"
	"github.com/lancegate/lancegate/storage/roles"
)

// Role management: CREATE / ALTER / DROP ROLE, GRANT and REVOKE, over the
// role database of storage/roles. The statements change storage at once,
// also inside a transaction block (they are not transactional), and are
// refused with 0A000 when the engine has no role database.

// SQLSTATEs of role statements that the sqlstate catalogue lacks.
const (
	dependentObjectsStillExist sqlstate.Code = "2BP01"
	objectInUse                sqlstate.Code = "55006"
	invalidGrantOperation      sqlstate.Code = "0LP01"
)

// roleStatement turns a parsed role statement into a statement.
func (s *Session) roleStatement(ss dialect.SessionStmt) (pgwire.Statement, bool) {
	var tag string
	var run func(ctx context.Context, st *roles.State, r *utilityResult) error
	switch x := ss.(type) {
	case *dialect.CreateRoleStmt:
		tag = "CREATE ROLE"
		run = func(ctx context.Context, st *roles.State, r *utilityResult) error { return s.createRole(st, x) }
	case *dialect.AlterRoleStmt:
		tag = "ALTER ROLE"
		run = func(ctx context.Context, st *roles.State, r *utilityResult) error { return s.alterRole(st, x) }
	case *dialect.DropRoleStmt:
		tag = "DROP ROLE"
		run = func(ctx context.Context, st *roles.State, r *utilityResult) error { return s.dropRole(st, x, r) }
	case *dialect.GrantStmt:
		tag = "GRANT"
		if x.Revoke {
			tag = "REVOKE"
		}
		run = func(ctx context.Context, st *roles.State, r *utilityResult) error { return s.grantTable(ctx, st, x) }
	case *dialect.GrantRoleStmt:
		tag = "GRANT ROLE"
		if x.Revoke {
			tag = "REVOKE ROLE"
		}
		run = func(ctx context.Context, st *roles.State, r *utilityResult) error { return s.grantRole(st, x) }
	default:
		return nil, false
	}
	return s.utility(tag, func(ctx context.Context, r *utilityResult) error {
		if err := s.checkFailed(); err != nil {
			return err
		}
		store := s.e.opts.Roles
		if store == nil {
			return sqlstate.New(sqlstate.FeatureNotSupported, "%s needs the role database", tag).
				WithHint("This engine was started without one (gateway.Options.Roles).")
		}
		ctx, cancel := s.statementContext(ctx)
		defer cancel()
		_, err := store.Update(ctx, func(st *roles.State) error {
			r.notices = r.notices[:0]
			return run(ctx, st, r)
		})
		if err != nil && sqlstate.As(err) == nil {
			return s.statementError(ctx, err)
		}
		return err
	}), true
}

// me returns the session's role in st (found by OID: a rename made by
// another session does not lose it).
func (s *Session) me(st *roles.State) (*roles.Role, error) { return s.currentRole(st) }

func noRole(name string) error {
	return sqlstate.New(sqlstate.UndefinedObject, "role %q does not exist", name)
}

// specRole resolves a RoleSpec (not PUBLIC) in st.
func (s *Session) specRole(st *roles.State, spec dialect.RoleSpec) (*roles.Role, error) {
	name := spec.Name
	switch spec.Special {
	case "":
	case "public":
		return nil, sqlstate.New(sqlstate.UndefinedObject, "role \"public\" does not exist")
	default:
		return s.me(st)
	}
	r := st.Role(name)
	if r == nil {
		return nil, noRole(name)
	}
	return r, nil
}

// mayManage checks that me may create, alter or drop role target (nil:
// a new role) with the given superuser attribute.
func mayManage(me, target *roles.Role, superuser bool, verb string) error {
	if me.Superuser {
		return nil
	}
	if superuser || target != nil && target.Superuser {
		return sqlstate.New(sqlstate.InsufficientPrivilege, "permission denied to %s role", verb).
			WithDetail("Only roles with the SUPERUSER attribute may %s roles with the SUPERUSER attribute.", verb)
	}
	if !me.CreateRole {
		return sqlstate.New(sqlstate.InsufficientPrivilege, "permission denied to %s role", verb).
			WithDetail("Only roles with the CREATEROLE attribute may %s roles.", verb)
	}
	return nil
}

func (s *Session) createRole(st *roles.State, x *dialect.CreateRoleStmt) error {
	me, err := s.me(st)
	if err != nil {
		return err
	}
	o := x.Options
	if err := mayManage(me, nil, o.Superuser != nil && *o.Superuser, "create"); err != nil {
		return err
	}
	if st.Role(x.Name) != nil {
		return sqlstate.New(sqlstate.DuplicateObject, "role %q already exists", x.Name)
	}
	r := roles.Role{Name: x.Name, Login: x.User, Inherit: true, ConnLimit: -1}
	if err := s.applyRoleOptions(&r, o); err != nil {
		return err
	}
	created, err := st.Create(r)
	if err != nil {
		return err
	}
	for _, name := range o.InRole {
		g := st.Role(name)
		if g == nil {
			return noRole(name)
		}
		created.MemberOf = append(created.MemberOf, g.OID)
	}
	for _, name := range append(slices.Clone(o.Members), o.Admins...) {
		m := st.Role(name)
		if m == nil {
			return noRole(name)
		}
		if !slices.Contains(m.MemberOf, created.OID) {
			m.MemberOf = append(m.MemberOf, created.OID)
		}
	}
	return nil
}

// applyRoleOptions sets the attributes CREATE ROLE and ALTER ROLE give.
func (s *Session) applyRoleOptions(r *roles.Role, o dialect.RoleOptions) error {
	set := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	set(&r.Login, o.Login)
	set(&r.Superuser, o.Superuser)
	set(&r.CreateRole, o.CreateRole)
	set(&r.CreateDB, o.CreateDB)
	set(&r.Inherit, o.Inherit)
	if o.ConnLimit != nil {
		if *o.ConnLimit < -1 {
			return sqlstate.New(sqlstate.InvalidParameterValue, "invalid connection limit: %d", *o.ConnLimit)
		}
		r.ConnLimit = *o.ConnLimit
	}
	if o.ValidUntil != nil {
		t, err := s.validUntil(*o.ValidUntil)
		if err != nil {
			return err
		}
		r.ValidUntil = t
	}
	switch {
	case o.PasswordNull:
		r.Verifier = nil
	case o.Password != nil:
		v, err := verifierOf(*o.Password)
		if err != nil {
			return err
		}
		r.Verifier = v
	}
	return nil
}

// verifierOf derives a password's SCRAM-SHA-256 verifier, or takes a
// verifier given already hashed (SCRAM-SHA-256$…), as PostgreSQL does. An
// empty password is no password, with PostgreSQL's notice omitted.
func verifierOf(password string) (*roles.Verifier, error) {
	if password == "" {
		return nil, nil
	}
	var v pgwire.SCRAMVerifier
	var err error
	if strings.HasPrefix(password, "SCRAM-SHA-256$") {
		v, err = pgwire.ParseSCRAMVerifier(password)
		if err != nil {
			return nil, sqlstate.Wrap(err, sqlstate.InvalidParameterValue, "invalid SCRAM-SHA-256 secret")
		}
	} else if v, err = pgwire.NewSCRAMVerifier(password, nil, 0); err != nil {
		return nil, err
	}
	return &roles.Verifier{Salt: v.Salt, Iterations: v.Iterations, StoredKey: v.StoredKey, ServerKey: v.ServerKey}, nil
}

// validUntil parses VALID UNTIL's timestamp; 'infinity' is forever.
func (s *Session) validUntil(text string) (time.Time, error) {
	if strings.EqualFold(strings.TrimSpace(text), "infinity") {
		return time.Time{}, nil
	}
	v, err := pgtype.ParseText(pgtype.TimestampTZ, text, s.settings.loc)
	if err != nil {
		return time.Time{}, err
	}
	ts, ok := v.(*scalar.Timestamp)
	if !ok || !ts.IsValid() {
		return time.Time{}, sqlstate.New(sqlstate.InvalidDatetimeFormat, "invalid input syntax for type timestamp with time zone: %q", text)
	}
	return time.UnixMicro(int64(ts.Value)).UTC(), nil
}

func (s *Session) alterRole(st *roles.State, x *dialect.AlterRoleStmt) error {
	me, err := s.me(st)
	if err != nil {
		return err
	}
	target, err := s.specRole(st, x.Role)
	if err != nil {
		return err
	}
	if x.RenameTo != "" {
		if target.OID == me.OID {
			return sqlstate.New(sqlstate.FeatureNotSupported, "session user cannot be renamed")
		}
		if err := mayManage(me, target, false, "rename"); err != nil {
			return err
		}
		if st.Role(x.RenameTo) != nil {
			return sqlstate.New(sqlstate.DuplicateObject, "role %q already exists", x.RenameTo)
		}
		return st.Rename(target.Name, x.RenameTo)
	}
	o := x.Options
	self := target.OID == me.OID
	onlyPassword := o.Login == nil && o.Superuser == nil && o.CreateRole == nil && o.CreateDB == nil &&
		o.Inherit == nil && o.Replication == nil && o.BypassRLS == nil && o.ConnLimit == nil && o.ValidUntil == nil
	if !(self && onlyPassword) {
		if err := mayManage(me, target, o.Superuser != nil, "alter"); err != nil {
			return err
		}
	}
	if target.OID == roles.BootstrapOID && o.Superuser != nil && !*o.Superuser {
		return sqlstate.New(sqlstate.FeatureNotSupported, "permission denied to alter role").
			WithDetail("The bootstrap user must have the SUPERUSER attribute.")
	}
	return s.applyRoleOptions(target, o)
}

func (s *Session) dropRole(st *roles.State, x *dialect.DropRoleStmt, r *utilityResult) error {
	me, err := s.me(st)
	if err != nil {
		return err
	}
	for _, spec := range x.Names {
		if spec.Special != "" {
			return sqlstate.New(sqlstate.SyntaxError, "cannot use special role specifier in DROP ROLE")
		}
		target := st.Role(spec.Name)
		if target == nil {
			if x.IfExists {
				r.notices = append(r.notices, &sqlstate.Error{Code: sqlstate.SuccessfulCompletion, Message: fmt.Sprintf("role %q does not exist, skipping", spec.Name)})
				continue
			}
			return noRole(spec.Name)
		}
		switch {
		case target.OID == me.OID:
			return sqlstate.New(objectInUse, "current user cannot be dropped")
		case target.OID == roles.BootstrapOID:
			return sqlstate.New(dependentObjectsStillExist, "cannot drop role %s because it is required by the database system", target.Name)
		}
		if err := mayManage(me, target, false, "drop"); err != nil {
			return err
		}
		var dep *roles.DependencyError
		if err := st.Drop(target.Name); errors.As(err, &dep) {
			return &sqlstate.Error{Code: dependentObjectsStillExist, Err: err, Detail: dep.What,
				Message: fmt.Sprintf("role %q cannot be dropped because some objects depend on it", target.Name)}
		} else if err != nil {
			return err
		}
	}
	return nil
}

// privilegeBits maps GRANT's privilege words.
var privilegeBits = map[string]roles.Privilege{
	"all": roles.All, "select": roles.Select, "insert": roles.Insert, "update": roles.Update, "delete": roles.Delete,
}

func (s *Session) grantTable(ctx context.Context, st *roles.State, x *dialect.GrantStmt) error {
	me, err := s.me(st)
	if err != nil {
		return err
	}
	if x.GrantOption && !x.Revoke {
		return sqlstate.New(sqlstate.FeatureNotSupported, "WITH GRANT OPTION is not supported")
	}
	var privs roles.Privilege
	for _, p := range x.Privileges {
		privs |= privilegeBits[p]
	}
	var tables []string
	for _, parts := range x.Tables {
		name := parts[len(parts)-1]
		if len(parts) > 1 && parts[len(parts)-2] != "public" {
			return sqlstate.New(sqlstate.UndefinedTable, "relation %q does not exist", strings.Join(parts, "."))
		}
		if _, err := s.e.tables.Table(ctx, name); err != nil {
			return err
		}
		if !me.Superuser && !st.IsMember(me, st.Owner(name)) {
			return sqlstate.New(sqlstate.InsufficientPrivilege, "permission denied for table %s", name)
		}
		tables = append(tables, name)
	}
	var grantees []uint32
	for _, g := range x.Grantees {
		if g.Special == "public" {
			grantees = append(grantees, roles.PublicOID)
			continue
		}
		r, err := s.specRole(st, g)
		if err != nil {
			return err
		}
		grantees = append(grantees, r.OID)
	}
	if x.Revoke && x.GrantOption {
		return nil // no grant options are ever given
	}
	for _, t := range tables {
		for _, g := range grantees {
			if x.Revoke {
				st.Revoke(t, g, privs)
			} else {
				st.Grant(t, g, privs)
			}
		}
	}
	return nil
}

func (s *Session) grantRole(st *roles.State, x *dialect.GrantRoleStmt) error {
	me, err := s.me(st)
	if err != nil {
		return err
	}
	for _, rs := range x.Roles {
		g, err := s.specRole(st, rs)
		if err != nil {
			return err
		}
		if err := mayManage(me, g, false, "grant"); err != nil {
			return err
		}
		for _, ms := range x.Members {
			m, err := s.specRole(st, ms)
			if err != nil {
				return err
			}
			if x.Revoke {
				m.MemberOf = slices.DeleteFunc(m.MemberOf, func(o uint32) bool { return o == g.OID })
				continue
			}
			if st.IsMember(g, m.OID) {
				return sqlstate.New(invalidGrantOperation, "role %q is a member of role %q", g.Name, m.Name)
			}
			if !slices.Contains(m.MemberOf, g.OID) {
				m.MemberOf = append(m.MemberOf, g.OID)
			}
		}
	}
	return nil
}
