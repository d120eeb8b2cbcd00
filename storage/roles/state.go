package roles

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// BootstrapName is the name of the bootstrap superuser.
const BootstrapName = "lancegate"

// BootstrapOID is the OID of the bootstrap superuser (PostgreSQL's
// BOOTSTRAP_SUPERUSERID).
const BootstrapOID = 10

// FirstOID is the first OID given to a created role. Like PostgreSQL's,
// OIDs are unique within one catalog (pg_authid here); roles start above
// the OIDs of the objects lancegate defines itself (gateway/pgcatalog:
// 16384 to 16499), and relations have their own sequence
// (storage/catalog).
const FirstOID = 16500

// PublicOID stands for PUBLIC, the pseudo-role every role belongs to, in
// grants.
const PublicOID = 0

// Privilege is a set of table privileges.
type Privilege uint8

// The table privileges lancegate enforces.
const (
	Select Privilege = 1 << iota
	Insert
	Update
	Delete
)

// All is every table privilege.
const All = Select | Insert | Update | Delete

// String lists the privileges in PostgreSQL's order, e.g. "INSERT, SELECT".
func (p Privilege) String() string {
	var out []string
	for _, x := range []struct {
		p    Privilege
		name string
	}{{Insert, "INSERT"}, {Select, "SELECT"}, {Update, "UPDATE"}, {Delete, "DELETE"}} {
		if p&x.p != 0 {
			out = append(out, x.name)
		}
	}
	s := ""
	for i, n := range out {
		if i > 0 {
			s += ", "
		}
		s += n
	}
	return s
}

// Verifier is a SCRAM-SHA-256 verifier (RFC 5802 §3): what is kept of a
// password.
type Verifier struct {
	Salt       []byte `json:"salt"`
	Iterations int    `json:"iterations"`
	StoredKey  []byte `json:"stored_key"`
	ServerKey  []byte `json:"server_key"`
}

// Role is one role.
type Role struct {
	Name       string `json:"name"`
	OID        uint32 `json:"oid"`
	Login      bool   `json:"login,omitempty"`
	Superuser  bool   `json:"superuser,omitempty"`
	CreateRole bool   `json:"createrole,omitempty"`
	CreateDB   bool   `json:"createdb,omitempty"`
	Inherit    bool   `json:"inherit,omitempty"`
	// ConnLimit is CONNECTION LIMIT; -1 means none.
	ConnLimit int `json:"conn_limit"`
	// ValidUntil is VALID UNTIL; zero means forever.
	ValidUntil time.Time `json:"valid_until,omitzero"`
	// Verifier is the password's verifier; nil means no password.
	Verifier *Verifier `json:"verifier,omitempty"`
	// MemberOf are the OIDs of the roles this role is a member of.
	MemberOf []uint32 `json:"member_of,omitempty"`
}

// Expired reports whether the role's password has expired at now.
func (r *Role) Expired(now time.Time) bool {
	return !r.ValidUntil.IsZero() && now.After(r.ValidUntil)
}

// TableACL is the owner of a table and the privileges granted on it.
type TableACL struct {
	// Owner is the OID of the role that created the table; tables created
	// before roles existed (or by pylance) have no record and belong to the
	// bootstrap superuser.
	Owner uint32 `json:"owner"`
	// Grants maps grantee OIDs (PublicOID for PUBLIC) to privileges.
	Grants map[uint32]Privilege `json:"grants,omitempty"`
}

// State is one version of the role database. A State returned by a Store
// is shared and must not be modified; Update hands its function a copy.
type State struct {
	// Version is the document's version; 0 is the bootstrap state.
	Version uint64 `json:"version"`
	// NextOID is the OID the next created role gets.
	NextOID uint32 `json:"next_oid"`
	// Roles maps role names to roles.
	Roles map[string]*Role `json:"roles"`
	// Tables maps table names to their owner and grants.
	Tables map[string]*TableACL `json:"tables,omitempty"`
}

// ErrRoleExists reports a role name already taken. Test it with errors.Is.
var ErrRoleExists = errors.New("role already exists")

// ErrNoRole reports a role that does not exist. Test it with errors.Is.
var ErrNoRole = errors.New("role does not exist")

// ErrDependentObjects reports a role that still owns tables or holds
// privileges. Test it with errors.Is.
var ErrDependentObjects = errors.New("role has dependent objects")

// DependencyError is ErrDependentObjects with what depends on the role,
// in PostgreSQL's words ("privileges for table t", "owner of table t").
type DependencyError struct{ What string }

func (e *DependencyError) Error() string { return ErrDependentObjects.Error() + ": " + e.What }

// Unwrap returns ErrDependentObjects.
func (e *DependencyError) Unwrap() error { return ErrDependentObjects }

// Bootstrap returns the state of a storage root with no role document.
func Bootstrap() *State {
	return &State{
		NextOID: FirstOID,
		Roles: map[string]*Role{BootstrapName: {
			Name: BootstrapName, OID: BootstrapOID, Login: true, Superuser: true,
			CreateRole: true, CreateDB: true, Inherit: true, ConnLimit: -1,
		}},
		Tables: map[string]*TableACL{},
	}
}

// clone deep-copies s, so an update never touches a shared state.
func (s *State) clone() *State {
	c := &State{Version: s.Version, NextOID: s.NextOID, Roles: make(map[string]*Role, len(s.Roles)), Tables: make(map[string]*TableACL, len(s.Tables))}
	for n, r := range s.Roles {
		rc := *r
		if r.Verifier != nil {
			v := *r.Verifier
			rc.Verifier = &v
		}
		rc.MemberOf = slices.Clone(r.MemberOf)
		c.Roles[n] = &rc
	}
	for n, t := range s.Tables {
		c.Tables[n] = &TableACL{Owner: t.Owner, Grants: maps.Clone(t.Grants)}
	}
	return c
}

// Role returns the role named name, or nil.
func (s *State) Role(name string) *Role { return s.Roles[name] }

// RoleByOID returns the role with OID oid, or nil.
func (s *State) RoleByOID(oid uint32) *Role {
	for _, r := range s.Roles {
		if r.OID == oid {
			return r
		}
	}
	return nil
}

// Create adds r, giving it the next OID, and returns it.
func (s *State) Create(r Role) (*Role, error) {
	if _, ok := s.Roles[r.Name]; ok {
		return nil, fmt.Errorf("%w: %q", ErrRoleExists, r.Name)
	}
	r.OID = s.NextOID
	s.NextOID++
	s.Roles[r.Name] = &r
	return &r, nil
}

// Rename renames a role; its OID, and so its grants, stay.
func (s *State) Rename(from, to string) error {
	r, ok := s.Roles[from]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNoRole, from)
	}
	if _, ok := s.Roles[to]; ok {
		return fmt.Errorf("%w: %q", ErrRoleExists, to)
	}
	delete(s.Roles, from)
	r.Name = to
	s.Roles[to] = r
	return nil
}

// Drop removes a role. A role that owns tables or holds privileges is
// ErrDependentObjects, as in PostgreSQL (2BP01).
func (s *State) Drop(name string) error {
	r, ok := s.Roles[name]
	if !ok {
		return fmt.Errorf("%w: %q", ErrNoRole, name)
	}
	for t, acl := range s.Tables {
		if acl.Owner == r.OID {
			return &DependencyError{What: "owner of table " + t}
		}
		if acl.Grants[r.OID] != 0 {
			return &DependencyError{What: "privileges for table " + t}
		}
	}
	delete(s.Roles, name)
	for _, o := range s.Roles {
		o.MemberOf = slices.DeleteFunc(o.MemberOf, func(m uint32) bool { return m == r.OID })
	}
	return nil
}

// table returns the ACL of table, creating one owned by the bootstrap
// superuser.
func (s *State) table(name string) *TableACL {
	t, ok := s.Tables[name]
	if !ok {
		t = &TableACL{Owner: BootstrapOID}
		s.Tables[name] = t
	}
	return t
}

// Grant adds privileges on table for grantee (PublicOID for PUBLIC).
func (s *State) Grant(table string, grantee uint32, p Privilege) {
	t := s.table(table)
	if t.Grants == nil {
		t.Grants = map[uint32]Privilege{}
	}
	t.Grants[grantee] |= p
}

// Revoke removes privileges on table from grantee.
func (s *State) Revoke(table string, grantee uint32, p Privilege) {
	t, ok := s.Tables[table]
	if !ok {
		return
	}
	if t.Grants[grantee] &^= p; t.Grants[grantee] == 0 {
		delete(t.Grants, grantee)
	}
}

// SetOwner records the owner of a table (at CREATE TABLE), dropping any
// grants left by an earlier table of the same name.
func (s *State) SetOwner(table string, owner uint32) {
	s.Tables[table] = &TableACL{Owner: owner}
}

// DropTable forgets a table's owner and grants.
func (s *State) DropTable(table string) { delete(s.Tables, table) }

// Owner returns the OID of the owner of table.
func (s *State) Owner(table string) uint32 {
	if t, ok := s.Tables[table]; ok {
		return t.Owner
	}
	return BootstrapOID
}

// Privileges returns what role may do on table: everything for a
// superuser and for the owner, else the union of its grants, PUBLIC's and
// (with INHERIT) those of the roles it is a member of, transitively.
func (s *State) Privileges(role *Role, table string) Privilege {
	if role.Superuser {
		return All
	}
	t, ok := s.Tables[table]
	owner := uint32(BootstrapOID)
	if ok {
		owner = t.Owner
	}
	var p Privilege
	for _, oid := range s.effective(role) {
		if oid == owner {
			return All
		}
		if ok {
			p |= t.Grants[oid]
		}
	}
	if ok {
		p |= t.Grants[PublicOID]
	}
	return p
}

// effective returns role's OID and, when it inherits, the OIDs of the roles
// it is a member of, transitively.
func (s *State) effective(role *Role) []uint32 {
	out := []uint32{role.OID}
	if !role.Inherit {
		return out
	}
	seen := map[uint32]bool{role.OID: true}
	for i := 0; i < len(out); i++ {
		r := s.RoleByOID(out[i])
		if r == nil || (i > 0 && !r.Inherit) {
			continue
		}
		for _, m := range r.MemberOf {
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	return out
}

// IsMember reports whether role is, directly or transitively, a member of
// the role with OID of (or is that role).
func (s *State) IsMember(role *Role, of uint32) bool {
	seen := map[uint32]bool{}
	queue := []uint32{role.OID}
	for len(queue) > 0 {
		o := queue[0]
		queue = queue[1:]
		if o == of {
			return true
		}
		if seen[o] {
			continue
		}
		seen[o] = true
		if r := s.RoleByOID(o); r != nil {
			queue = append(queue, r.MemberOf...)
		}
	}
	return false
}
