// Package remote is distributed execution: plan executors that run plan
// fragments over their share of a table and keep it cached, and the query
// node's side that places fragments on them, gathers their output and
// survives their failures.
//
// # The executor
//
// An executor (lancegate serve --role executor) is an Arrow Flight
// service (Server). DoGet's ticket is a spec.Fragment: a table snapshot
// (storage location, dataset, pinned version), the pieces to read (Lance
// data fragments), the columns, a filter and projection, and optionally a
// partial aggregate or a top-k. The executor opens the snapshot (kept
// open: a version never changes), runs scan → filter → project [→ partial
// aggregate | top-k] with the ordinary executor operators (run.go), and
// streams Arrow record batches back, each tagged in its app metadata with
// the index of the piece it came from. The stream's gRPC trailer carries
// the fragment's spec.Stats (rows, time, bytes from storage and from the
// cache), or, for a SQL error such as a division by zero, its SQLSTATE,
// position, detail and hint, so the client sees the error it would have
// seen from one process.
//
// Executors read storage through storage/objstore/blockcache: fixed-size
// blocks of immutable Lance files in a bigcache RAM tier and a
// size-bounded disk tier that survives restarts. Because placement is
// stable, each executor caches its own share of every table, and the
// cluster's cache is the sum of the executors' caches.
//
// # The query node
//
// Cluster is the query node's set of executors: a static list or the
// addresses of a DNS name (a Kubernetes headless service), re-resolved
// every Refresh; every member is pinged every Probe. Cluster.Run places a
// fragment's pieces by rendezvous hashing of (dataset, fragment id) over
// the live members (rendezvous.go) and opens one stream per executor with
// the pieces it owns; Gather merges them (gather.go):
//
//	planner ──spec.Fragment──▶ Cluster.Run ──rendezvous──▶ one DoGet per executor
//	   ▲                                                        │ batches (piece i)
//	   └──── Gather: pieces in order, or reductions ◀───────────┘ + trailer stats
//
// A vector search an index serves is a fragment whose pieces are (index
// segment, partition) pairs instead of data fragments (spec.ANN; ann.go):
// each executor searches the partitions it owns and returns its exact
// top-k of their candidates.
//
// A streaming fragment's output is consumed in piece order, so a
// distributed scan returns rows in the order a local one does. A
// reduction (partial aggregate, top-k) is held per stream until the
// stream completed and finished on the query node (executor.AggFinal,
// another top-k).
//
// # Failures
//
// A stream fails with an executor fault when its connection breaks, when
// it shows no progress for StreamTimeout, or on any error that is not a
// SQL error. Executors send the schema at once and then, every quarter of
// the timeout, an empty batch carrying the rows and bytes the fragment has
// read (spec.Fragment.Heartbeat): a long aggregation keeps its stream,
// an executor stuck on a hung disk loses it. The executor is then marked down (pings bring it back), and the
// stream's unfinished pieces go to their next executors in rendezvous
// order, never one that already failed them in this statement. A
// streaming piece resumes past the rows the query node already has
// (spec.Piece.Skip): a fragment's output is a deterministic function of
// the snapshot, the pieces and the expressions, so no row is lost or
// repeated. When no executor is left, the query node runs the pieces
// itself (Options.Fallback) or fails the statement with SQLSTATE 57P03,
// which clients may retry. A statement never returns rows from a stream
// that failed, so failures cost time, not correctness.
package remote
