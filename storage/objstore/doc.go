// Package objstore is lancegate's one door to durable bytes: Azure Blob
// Storage in production, a local folder on the embedded default, and memory
// for tests and throwaway servers.
//
// # The contract
//
// A Store holds immutable-by-convention objects under "/"-separated keys
// relative to its root. The operations are the ones Lance needs and nothing
// more, chosen so that every backend can implement them with single requests:
//
//   - GetRange reads a byte range. There is no suffix range (Azure has none):
//     a reader that wants the tail of an object learns its size first, from a
//     listing, from metadata it already holds (a manifest's file_size_bytes),
//     or from Stat.
//   - Stat returns size and ETag; List walks a prefix in lexical key order,
//     lazily, so a caller that stops early (the newest V2 manifest name sorts
//     first) pays for one page of listing only.
//   - Put writes or replaces an object from a stream. Readers never observe a
//     partial object: backends write to a staging name and rename, or upload
//     blocks and commit the block list in one request.
//   - PutIfAbsent creates an object only if no object has that key; it is the
//     commit point of a Lance version. A lost race is ErrPreconditionFailed,
//     whatever the backend says (EEXIST, Azure 409 BlobAlreadyExists, 412).
//     It must be atomic: no check-then-write.
//   - Delete removes an object; deleting a missing one is not an error.
//
// # Errors
//
// Backends return the sentinels of errors.go wrapped with the key and
// operation; callers test them with errors.Is. A missing object is
// ErrNotExist; a store that refuses the credentials is ErrPermission, one
// that keeps throttling ErrThrottled, one that cannot be reached in time
// ErrUnavailable, a missing container ErrNoContainer. The caller's own
// cancellation stays context.Canceled / context.DeadlineExceeded. Mapping these to SQLSTATEs is the gateway's business, not
// this package's.
//
// # Ownership
//
// A byte slice returned by GetRange belongs to the caller. A slice passed to
// PutIfAbsent may be reused by the caller once the call returns.
//
// # Backends
//
//   - Local (local.go): a folder; writes stage to a hidden name and rename,
//     PutIfAbsent links the staged file (atomic, no check-then-write).
//   - Memory (memory.go): tests and throwaway servers.
//   - Azure (azure*.go): one Blob Storage container on the Azure SDK.
//     azure_config.go reads Lance's URIs and storage option names (so the
//     options that open a dataset in pylance open it here),
//     azure_credential.go picks the credential (workload identity on AKS,
//     managed identity, DefaultAzureCredential; keys for development),
//     azure_errors.go maps Azure's answers to the sentinels. Every request
//     has a per-try deadline and retries with backoff; PutIfAbsent is one
//     Put Blob with If-None-Match: * carrying a commit id, so a retried
//     request that had in fact succeeded is not mistaken for a lost race.
//
// Open turns a --storage URI into a Store; Opener opens the locations of
// tables kept outside the root (other containers and accounts), one store
// per container, without carrying one account's keys to another.
//
// The conformance suite in objstoretest runs against every backend;
// azuritetest runs a real Azurite for the Azure backend's tests.
package objstore
