// Package gateway is lancegate's SQL front: it gives each client
// connection a session (configuration parameters, transaction state,
// prepared statements' plans) and runs statements through the dialect
// bridge, the planner and the executor over the tables in storage.
//
// # Layers
//
//	gateway/pgwire   the protocol: bytes ⇄ messages, auth, portals, cancel
//	gateway          sessions: SET/SHOW/BEGIN…, planning, executing, errors
//	gateway/codec    values ⇄ PostgreSQL text and binary forms
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
// # Errors
//
// Every error leaving this package carries a SQLSTATE (executor/sqlstate);
// storage's sentinels are translated once, in storageError.
package gateway
