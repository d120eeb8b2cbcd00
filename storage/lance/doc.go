// Package lance reads and writes Lance datasets: the tables lancegate
// serves, stored so that pylance and LanceDB open them unchanged, and
// datasets pylance wrote, served as tables.
//
// # Layers
//
//	Dataset (dataset.go)      one committed version: manifest, schema, fragments
//	  ├─ Scan (scan.go)       fragments → data files → pages → Arrow batches, deletions
//	  │                       applied (filter.go)
//	  ├─ writes               Create/Append/Overwrite (write.go), Delete/Update (delete.go),
//	  │                       AddColumns/DropColumns (evolve.go), Compact (compact.go)
//	  └─ commit (commit.go)   transaction file, conditional manifest create, conflict
//	                          checks (transaction.go)
//	CleanupOldVersions        removes expired versions and the files only they used
//	  (cleanup.go)
//	datafile/                 one data file: container, 2.0 pages (read, write), 2.1/2.2 pages (read, write)
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
//	<root>/_indices/{uuid}/…                                   index files (carried; listed by Indexes, read by storage/index/lanceindex)
//	<root>/_refs/tags/{name}.json                              tags: {"version": N, …}
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
// conflict, rebuilding on top of it and retrying with backoff. Conflicts
// surface as ErrCommitConflict; the caller re-runs its operation on the
// newer version.
//
// The conflict rules (checkConflict) are never more permissive than
// pylance's resolver, because pylance may be the other writer:
//
//	ours ↓  committed →  Append  Delete/Update  Rewrite  CreateIndex  Overwrite  Restore   Merge/Project
//	Append               rebase  rebase         rebase   rebase       conflict   conflict  rebase
//	Overwrite            rebase  rebase         rebase   rebase       conflict   rebase    rebase
//	Delete/Update        rebase  conflict       (1)      rebase       conflict   conflict  conflict
//	Rewrite              rebase  (1)            (1)      (2)          conflict   conflict  conflict
//	Merge/Project        rebase  conflict       conflict rebase       conflict   conflict  conflict
//
//	(1) rebase if the two touched no fragment in common, else conflict
//	(2) rebase if every new index records a fragment bitmap and none covers
//	    a fragment being rewritten, else conflict
//
// Delete, Update and Rewrite also rebase over ReserveFragments (pylance's
// compaction reserves fragment ids in a version of its own) and a Rewrite
// over UpdateConfig; every operation conflicts with one lancegate does not
// know. The rules say whether a rebase may be tried; the rebuild checks it
// again on the manifest it lands on: Delete, Update and Rewrite refuse
// unless every fragment they change is still there with the data files,
// deletion file and row count they read. Their row offsets and deletion
// files were computed from those fragments and would otherwise drop a
// concurrent deletion or revive rows. A version between the read version
// and the newest that cleanup has removed cannot be checked and counts as
// a conflict.
//
// # Compaction
//
// Compact rewrites small fragments, and fragments with many deleted rows,
// into fewer fragments without deletions, as pylance's compact_files does,
// and commits them as one Rewrite transaction. It plans as Lance's
// plan_compaction does:
//
//  1. A fragment is a candidate if its deleted share exceeds
//     MaterializeDeletionsThreshold (worth rewriting alone), or if it has
//     fewer physical rows than TargetRowsPerFragment (worth rewriting only
//     with a neighbour). Compaction changes row addresses, so fragments an
//     index covers are candidates only when CompactOptions.RemapIndex can
//     rewrite the index (remap.go: fragment ids reserved by a
//     ReserveFragments commit, index files rewritten with remapped
//     addresses, entries swapped by the Rewrite and recorded in its
//     rewritten_indices, as pylance does).
//  2. Contiguous runs of candidates, in manifest order, form bins (a change
//     of index coverage ends one, so a new fragment is covered by exactly
//     the indexes its rows were); a bin of one fragment that is not worth
//     rewriting alone is dropped.
//  3. Each bin is cut into groups of at least the target live rows (the
//     last group takes the rest), and each group is read through the
//     scanner (deletions applied, every column, in order) and written, in
//     the dataset's data file version, into fragments of at most the
//     target rows.
//
// The transaction lists, per group, the old fragments as read and the new
// ones with id 0; the rebuild on the newest manifest numbers them from its
// max_fragment_id, and puts each group's new fragments where its first old
// one was, so rows keep their order. Compacting again straight away finds
// nothing to do. Old data files stay until CleanupOldVersions removes the
// versions that use them.
//
// # Old-version cleanup
//
// CleanupOldVersions removes every version committed before the cutoff
// (Now-OlderThan) except the latest and tagged ones, then the files only
// removed versions referenced, as pylance's cleanup_old_versions does:
//
//  1. Read every manifest and the tags, and decide: the kept versions'
//     data, deletion and transaction files and index directories stay; a
//     file only removed versions referenced is verified garbage; a file no
//     manifest references is unverified: it may belong to a commit in
//     flight, so it goes only when older than the cutoff (or with
//     DeleteUnverified). Only files Lance writes are considered.
//  2. Delete the expired manifests, oldest first.
//  3. Read any version committed since step 1 and keep its files.
//  4. Delete the garbage files.
//
// The order makes a crash harmless. Up to step 2 nothing is deleted;
// during step 2 every version left is fully readable (no file has gone
// yet), and the untagged ones form a contiguous suffix of the history;
// after it, the files of the removed versions are unreferenced, and a
// later run removes them as unverified files older than its cutoff (they
// predate the versions that used them). Concurrent
// writers are safe as long as OlderThan exceeds the time a writer takes
// from uploading a file to committing it: what they commit during a run is
// kept by step 3, and files of commits still in flight are younger than
// the cutoff. Readers pinned to a version older than the retention lose
// it, and a writer that must check versions cleanup removed gets
// ErrCommitConflict.
// Datasets with branches, or with feature flags lancegate does not
// understand, are refused.
//
// # What is supported
//
// Reading: data file versions 2.0, 2.1 and 2.2; V1 and V2 manifest names;
// both deletion file kinds; flat columns of every primitive, string,
// binary, temporal and fixed-size-list type; in 2.1+ files, lists of those
// (2.1+ files give columns to leaf fields only, so a list column is found
// under its item's field id, as pylance records it). Writing: flat columns
// and lists of flat types, in the dataset's data file version. A new
// dataset is 2.0, which every pylance since 0.16 reads, unless a column is
// a list: 2.0 files store lists differently (an offsets column and an
// items column) and lancegate neither writes nor reads that encoding, so
// such a dataset is created as 2.1. A dataset's files share one version,
// so AddColumns refuses a list column on a 2.0 dataset. Refused with
// ErrUnsupported: legacy (0.1) files, stable row ids, base paths, unknown
// feature flags, list columns of 2.0 files; other nested columns load as
// unsupported (the schema opens, reading the column fails).
//
// # Ownership
//
// Batches a Scanner returns belong to the caller, who must Release them.
// Record readers passed to writes are drained but not released.
package lance
