// Package gateway is lancegate's SQL front: it gives each client
// connection a session (configuration parameters, transaction state,
// prepared statements' plans) and runs statements through the dialect
// bridge, the planner and the executor over the tables in storage.
//
// # Layers
//
//	gateway/pgwire    the protocol: bytes ⇄ messages, auth, portals, COPY framing, cancel
//	gateway           sessions: SET/SHOW/BEGIN…, planning, executing, errors
//	gateway/codec     values ⇄ PostgreSQL text and binary forms
//	gateway/copyfmt   COPY data (text, CSV, binary) ⇄ Arrow
//	gateway/pgcatalog pg_catalog and information_schema over a snapshot of the tables
//	planner          SQL → plans (planner/dialect: PostgreSQL text → TiDB AST)
//	executor         plans → Arrow batches
//	storage          tables as Lance datasets (storage/catalog, storage/lance)
//
// The protocol layer calls the Engine and Session interfaces of
// gateway/pgwire/engine.go; this package implements them. Session
// statements (SET, SHOW, RESET, BEGIN, COMMIT, ROLLBACK, DISCARD, …) are
// answered here and never reach the planner.
//
// # Snapshots and transactions
//
// Outside a transaction block every statement reads the newest committed
// version of each table it touches and commits its writes at once, one
// table version per statement. Inside BEGIN … COMMIT see txn.go.
//
// # Roles and privileges
//
// With a role database (Options.Roles, storage/roles) a session runs as
// the role of its startup user (roles_check.go: unknown or NOLOGIN roles
// are refused at NewSession). Every execution of a planned statement first
// checks the role's privileges on the tables its plan touches
// (planner.Prepared.Uses), so a REVOKE also stops prepared statements;
// CREATE TABLE records the creator as owner. Role statements (CREATE /
// ALTER / DROP ROLE, GRANT, REVOKE) are in roles.go; RoleAuth gives pgwire
// the SCRAM verifiers of the role database (roles_auth.go).
//
// # Errors
//
// Every error leaving this package carries a SQLSTATE (executor/sqlstate);
// storage's sentinels are translated once, in storageError.
package gateway
