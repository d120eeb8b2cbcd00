package gateway

import (
	"context"
	"strings"
	"sync"

	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/planner"
	"github.com/lancegate/lancegate/storage/roles"
)

// Enforcement. With a role database (Options.Roles) every session runs as
// the role of its startup user, and every execution of a planned statement
// first checks the role's privileges on the tables the plan touches
// (planner.Prepared.Uses), as PostgreSQL's executor does at ExecutorStart:
// a REVOKE therefore stops prepared statements too. Superusers pass every
// check; a table's owner (its creator) has every privilege on it; the
// system tables (lancegate.*, pg_catalog.*, information_schema.*) are
// readable by everyone. Checks read the role database through
// roles.Store.Snapshot: changes made on this node apply at once, changes
// made on another node within the store's TTL.

// roleConns counts each role's sessions on this engine, for CONNECTION
// LIMIT (a per-node count: nodes do not share sessions).
type roleConns struct {
	mu    sync.Mutex
	count map[uint32]int
}

// startRole maps the session's startup user to its role: an unknown role
// or one without LOGIN cannot connect (FATAL 28000), one at its
// connection limit gets 53300. It sets is_superuser.
func (s *Session) startRole(ctx context.Context) error {
	store := s.e.opts.Roles
	if store == nil {
		return nil
	}
	st, err := store.Snapshot(ctx)
	if err != nil {
		return err
	}
	r := st.Role(s.startup.User)
	if r == nil {
		return sqlstate.New(sqlstate.InvalidAuthorizationSpecification, "role %q does not exist", s.startup.User)
	}
	if !r.Login {
		return sqlstate.New(sqlstate.InvalidAuthorizationSpecification, "role %q is not permitted to log in", r.Name)
	}
	c := &s.e.conns
	c.mu.Lock()
	defer c.mu.Unlock()
	if !r.Superuser && r.ConnLimit >= 0 && c.count[r.OID] >= r.ConnLimit {
		return sqlstate.New(sqlstate.TooManyConnections, "too many connections for role %q", r.Name)
	}
	if c.count == nil {
		c.count = map[uint32]int{}
	}
	c.count[r.OID]++
	s.role = r.OID
	if !r.Superuser {
		s.settings.values["is_superuser"] = "off"
	}
	return nil
}

// endRole releases the session's connection slot (Session.Close).
func (s *Session) endRole() {
	if s.role == 0 {
		return
	}
	c := &s.e.conns
	c.mu.Lock()
	if c.count[s.role]--; c.count[s.role] <= 0 {
		delete(c.count, s.role)
	}
	c.mu.Unlock()
	s.role = 0
}

// currentRole returns the session's role in st.
func (s *Session) currentRole(st *roles.State) (*roles.Role, error) {
	r := st.RoleByOID(s.role)
	if r == nil {
		return nil, sqlstate.New(sqlstate.InvalidAuthorizationSpecification, "role with OID %d does not exist", s.role)
	}
	return r, nil
}

// isPublicCatalog reports whether a table is one of the system tables
// everyone may read: lancegate.*, and the pg_catalog and
// information_schema relations, qualified or not (pgcatalog_tables.go
// resolves them).
func (s *Session) isPublicCatalog(name string) bool {
	if _, ok := s.e.tables.catalogRelation(name); ok {
		return true
	}
	return isSystemName(name) || strings.HasPrefix(name, "pg_catalog.") || strings.HasPrefix(name, "information_schema.")
}

// checkUses checks the session role's privileges for the tables a
// planned statement touches (42501 when one is missing).
func (s *Session) checkUses(ctx context.Context, uses []planner.TableUse) error {
	store := s.e.opts.Roles
	if store == nil || s.role == 0 || len(uses) == 0 {
		return nil
	}
	st, err := store.Snapshot(ctx)
	if err != nil {
		return err
	}
	me, err := s.currentRole(st)
	if err != nil || me.Superuser {
		return err
	}
	for _, u := range uses {
		switch {
		case s.isPublicCatalog(u.Table):
			if u.Need&^planner.PrivSelect != 0 {
				return sqlstate.New(sqlstate.InsufficientPrivilege, "permission denied for table %s", u.Table)
			}
		case u.Need&planner.PrivOwner != 0:
			if _, recorded := st.Tables[u.Table]; !recorded && !s.tableExists(ctx, u.Table) {
				continue // DROP TABLE IF EXISTS of nothing: the statement says so
			}
			if !st.IsMember(me, st.Owner(u.Table)) {
				return sqlstate.New(sqlstate.InsufficientPrivilege, "must be owner of table %s", u.Table)
			}
		default:
			have := st.Privileges(me, u.Table)
			if want := tablePrivileges(u.Need); have&want != want {
				return sqlstate.New(sqlstate.InsufficientPrivilege, "permission denied for table %s", u.Table)
			}
		}
	}
	return nil
}

// tableExists reports whether a table exists in storage (an error
// counts as existing, so the owner check still applies).
func (s *Session) tableExists(ctx context.Context, name string) bool {
	_, err := s.e.tables.Table(ctx, name)
	return sqlstate.CodeOf(err) != sqlstate.UndefinedTable
}

// checkOwner checks that the session role owns table (CREATE INDEX,
// DROP INDEX).
func (s *Session) checkOwner(ctx context.Context, table string) error {
	return s.checkUses(ctx, []planner.TableUse{{Table: table, Need: planner.PrivOwner}})
}

// checkIndexOwner checks that the session role owns the table of index
// (DROP INDEX); an index that does not exist is left to the statement.
func (s *Session) checkIndexOwner(ctx context.Context, index string) error {
	store := s.e.opts.Roles
	if store == nil || s.role == 0 {
		return nil
	}
	st, err := store.Snapshot(ctx)
	if err != nil {
		return err
	}
	if me, err := s.currentRole(st); err != nil || me.Superuser {
		return err
	}
	table, err := s.indexTable(ctx, index)
	if err != nil || table == "" {
		return err
	}
	return s.checkOwner(ctx, table)
}

// tablePrivileges maps the planner's needs to the stored privileges.
func tablePrivileges(p planner.Privilege) roles.Privilege {
	var out roles.Privilege
	for _, m := range []struct {
		from planner.Privilege
		to   roles.Privilege
	}{{planner.PrivSelect, roles.Select}, {planner.PrivInsert, roles.Insert}, {planner.PrivUpdate, roles.Update}, {planner.PrivDelete, roles.Delete}} {
		if p&m.from != 0 {
			out |= m.to
		}
	}
	return out
}

// afterPlanned records what a successful CREATE TABLE or DROP TABLE
// changed: the creator owns the new table; a dropped table's owner and
// grants are forgotten (a later table of the same name starts afresh).
func (s *Session) afterPlanned(ctx context.Context, p *planner.Prepared, res *planner.Result) error {
	store := s.e.opts.Roles
	if store == nil || s.role == 0 {
		return nil
	}
	var created, dropped []string
	for _, u := range p.Uses() {
		switch {
		case u.Need&planner.PrivCreate != 0 && p.Kind == "CREATE TABLE" && len(res.Notices) == 0:
			created = append(created, u.Table)
		case u.Need&planner.PrivOwner != 0 && p.Kind == "DROP TABLE":
			dropped = append(dropped, u.Table)
		}
	}
	if len(created) == 0 && len(dropped) == 0 {
		return nil
	}
	_, err := store.Update(ctx, func(st *roles.State) error {
		for _, t := range created {
			st.SetOwner(t, s.role)
		}
		for _, t := range dropped {
			st.DropTable(t)
		}
		return nil
	})
	return err
}
