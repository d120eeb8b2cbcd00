// Package sqlstate is lancegate's catalogue of SQLSTATE codes and the one
// error type that carries a code from where an error is born (the planner:
// 42601, 42P01; the executor: 22012, 57014) up to the gateway, which turns
// it into an ErrorResponse exactly once.
//
// Code is attached where the error is born, with New or Wrap; nothing ever
// matches error text. CodeOf reads the code of any error chain with
// errors.As; an error without one is XX000, an internal error (a bug).
// Storage stays SQL-free: it returns sentinels (objstore.ErrNotExist,
// lance.ErrCommitConflict) and the layer above translates them.
//
// The package is a leaf: it imports only the standard library, so every
// SQL-aware package may use it.
package sqlstate
