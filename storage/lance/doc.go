// Package lance reads and writes Lance datasets: the tables lancegate
// serves, stored so that pylance and LanceDB open them unchanged, and
// datasets pylance wrote, served as tables.
//
// # Layers
//
//	Dataset (dataset.go)      one committed version: manifest, schema, fragments
//	  ├─ Scan (scan.go)       fragments → data files → pages → Arrow batches, deletions applied
//	  ├─ writes               Create/Append/Overwrite (write.go), Delete/Update (delete.go),
//	  │                       AddColumns/DropColumns (evolve.go)
//	  └─ commit (commit.go)   transaction file, conditional manifest create, conflict checks
//	datafile/                 one data file: container, 2.0 pages (read, write), 2.1/2.2 pages (read)
//	deletion/                 deletion files (.arrow and roaring .bin)
//	pb/                       the Lance protobufs
//	objstore (../objstore)    the bytes: local folder, memory, Azure Blob
//
// # A dataset on storage
//
//	<root>/_versions/{N}.manifest or {u64max-N:020}.manifest   one per version (V1 or V2 names)
//	<root>/_transactions/{read_version}-{uuid}.txn             one per commit
//	<root>/data/*.lance                                        data files
//	<root>/_deletions/{fragment}-{read_version}-{id}.{arrow,bin}
//	<root>/_indices/{uuid}/…                                   index files (carried, not read yet)
//
// The byte layouts are described in docs/lance-format.md at the root of the
// repository, next to what lancegate writes and accepts.
//
// # Versions and snapshots
//
// A Dataset is immutable: it is the manifest of one version. Opening reads
// the newest manifest (with V2 names the first one a listing returns),
// version N (time travel), or the newest one committed at or before a time.
// Every write returns the Dataset of the version it committed.
//
// # Commits
//
// A write puts its data and deletion files first, then its transaction
// file, then creates manifest latest+1 with a conditional put (create if
// absent). The manifest is the commit point: until it exists nothing is
// visible, and a failed write leaves the previous version current and
// readable. Losing the race for a version means re-reading the newest
// manifest, checking the transactions committed in between for a real
// conflict (checkConflict: appends never conflict with appends; overwrites,
// deletes and schema changes are conservative), rebuilding on top of it and
// retrying with backoff. Conflicts surface as ErrCommitConflict.
//
// # What is supported
//
// Reading: data file versions 2.0, 2.1 and 2.2; V1 and V2 manifest names;
// both deletion file kinds; flat columns of every primitive, string,
// binary, temporal and fixed-size-list type. Writing: 2.0 data files for
// flat schemas. Refused with ErrUnsupported: legacy (0.1) files, stable row
// ids, base paths, unknown feature flags; columns of nested types load as
// unsupported (the schema opens, reading the column fails).
//
// # Ownership
//
// Batches a Scanner returns belong to the caller, who must Release them.
// Record readers passed to writes are drained but not released.
package lance
