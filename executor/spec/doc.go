// Package spec is the serialisable form of plan fragments: what a query
// node sends a plan executor over Arrow Flight (executor/remote) and what
// comes back besides the rows.
//
// A Fragment names one table snapshot (TableRef: storage location, dataset
// root, pinned version, commit time), the pieces to read (Lance data
// fragments in output order, or for a vector search (index segment,
// partition) pairs: see ANN), the columns, and the work to do over them: a filter, a
// projection, and optionally one reduction — a partial aggregation (the
// query node finishes it with executor.AggFinal) or a top-k (the query node
// merges the executors' top-k lists with another top-k). Fragments are
// JSON: a Flight ticket is opaque bytes, and JSON keeps them readable in
// logs; Version guards the encoding.
//
// Expressions travel as Expr trees: functions and aggregates by name and
// argument types, re-resolved on the executor from the same registry;
// constants and parameter values as one-row Arrow IPC records, so every
// value (floats, numerics, vectors, timestamps, NULLs) arrives bit-exact.
// An expression the encoder does not know is ErrUnsupported, and the
// planner then runs that part of the plan on the query node.
//
// A streaming fragment (no reduction) produces its pieces one after the
// other; each output batch carries its piece's index, and Piece.Skip lets
// a retry on another executor resume a piece past the rows already
// delivered. This is sound because a fragment's output is a deterministic
// function of the snapshot, the piece list and the expressions.
//
// Stats are the executor's measurements of one fragment (rows, time,
// bytes from storage and from its cache), returned in the stream trailer
// for EXPLAIN ANALYZE.
package spec
