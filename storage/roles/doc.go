// Package roles keeps lancegate's roles and table privileges in the
// storage root, so that every query node authenticates the same users and
// enforces the same grants with nothing but the object store in common.
//
// # What is stored
//
// One document holds the whole role database: the roles (name, OID,
// LOGIN, SUPERUSER, CREATEROLE, CREATEDB, INHERIT, CONNECTION LIMIT, VALID
// UNTIL, the SCRAM-SHA-256 verifier, memberships) and, per table, its owner
// and the privileges granted on it (SELECT, INSERT, UPDATE, DELETE per
// grantee, PUBLIC included). Passwords are never stored: callers derive
// the verifier (salt, iterations, StoredKey, ServerKey) before they hand it
// to the store.
//
// Every change writes a new version of the document:
//
//	<root>/_lancegate/roles/<20 digits: MaxUint64 - version>.json
//
// The digits count down, so the newest version is the first key a listing
// yields (object stores list in lexical order) and reading the current
// state costs one listing page and one read.
//
// # Why one versioned document
//
// The object store offers one atomic primitive, PutIfAbsent (objstore's
// contract has no If-Match), and that is what a Lance commit uses too:
// version N+1 is created only if nobody created it first. A writer that
// loses the race re-reads version N+1, applies its change again and tries
// N+2 (Update). So two query nodes granting at the same moment never lose
// each other's grant, a rename moves a role and its grants in one step,
// and OIDs are allocated from the document's NextOID without any
// process-local counter: two nodes cannot hand out the same OID because
// only one of them can create the version that records it.
//
// The price is that every role change serialises on one key. Role and
// grant changes are rare (DDL, not traffic), so contention is negligible;
// one file per role would have spread writes but, without conditional
// replace, could not have kept a role and the grants naming it consistent.
// Old versions are deleted after each write (the newest Keep stay), so the
// folder stays small; a reader that raced a deletion lists again.
//
// # Bootstrap
//
// A storage root without a document has the bootstrap state: the
// superuser "lancegate" with OID 10, as PostgreSQL's bootstrap superuser,
// without a password. OIDs of created roles start at 16500
// (FirstNormalObjectId).
//
// # Caching and staleness
//
// Snapshot serves a state read at most TTL ago (default one second): the
// authentication and privilege-check paths call it on every connection and
// statement. A change made through a Store is visible to that Store at
// once; a change made on another query node is visible here after at most
// TTL. A REVOKE therefore takes effect on other nodes within TTL, and
// a statement already running keeps the privileges it was checked with.
package roles
