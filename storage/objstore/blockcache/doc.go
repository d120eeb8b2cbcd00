// Package blockcache is a read-through cache of object blocks in front of
// an objstore.Store, for plan executors: a scan or an index search reads
// the same data, deletion and index files again and again, and each read
// from object storage costs a round trip and egress. A *Store wraps the
// inner store and is itself an objstore.Store, so callers do not change.
//
// # What is cached, and why it never goes stale
//
// Only keys the Immutable predicate admits are cached; by default
// (LanceImmutable) those are a Lance dataset's data files, deletion files,
// transaction files and index files. Lance never rewrites such a file:
// a change writes new files under new names and commits a new manifest.
// So a cached block of such a key is right for as long as the key exists,
// and nothing ever expires; the tiers evict only for space. Manifests
// (_versions/, _latest.manifest) and every other key pass straight through,
// as do List, Put, PutIfAbsent and Delete. A write through the Store to a
// cacheable key still drops what is cached of that key, so a careless
// caller reads its own writes; a read racing such an overwrite may mix
// blocks of both versions, which immutable keys never see.
//
// # How a read flows
//
// GetRange splits [off, off+length) into blocks of Options.BlockSize
// (block i covers bytes [i*BlockSize, (i+1)*BlockSize) of the object) and
// takes each block from the first tier that has it:
//
//	RAM (bigcache) ─miss─▶ disk (block files) ─miss─▶ inner store
//	      ▲                      │ hit: copy to RAM        │ one GetRange per run
//	      └──────────────────────┴─────────────────────────┘ fill RAM and disk
//
// A read's blocks that no tier holds are fetched one request per run of
// consecutive blocks: object stores charge latency per request, so a cold
// 4 MiB read is one request, not sixteen (measured: per-block requests
// made cold reads on Azurite slower than no cache at all). A lone missing
// block is loaded once for all concurrent readers (singleflight); a
// reader stops waiting when its own context ends, and a reader whose
// shared load failed only because the leading reader gave up retries on
// its own. Two readers may fetch overlapping runs twice; the blocks are
// immutable, so both fills agree. Runs load in parallel (at most eight at
// a time).
// The answer is assembled into a new slice, so the caller owns it, and it
// keeps the objstore contract exactly: a block shorter than BlockSize is
// the object's last, which gives the object's size; reads that need the
// size (negative length, or spanning blocks) take it from a bounded map of
// sizes learned from short blocks and Stat, else from cached blocks, else
// from one Stat of the inner store.
//
// # Sizing
//
// The RAM tier is a bigcache of 64 shards bounded by Options.RAMBytes
// (default 512 MiB, whole MiB): 8 MiB per shard, about 31 blocks of
// 256 KiB, so a block is far below bigcache's per-shard limit; smaller
// bounds or bigger blocks use fewer shards (see ram.go). bigcache evicts
// the oldest entries of a full shard; evictions are counted in Stats.
// bigcache hands out a copy of a whole block on every read, so the most
// recently read blocks are also kept as they are in a hot layer (hot.go:
// an eighth of RAMBytes, at most 64 MiB, least recently used out), which
// readers share and copy only the bytes they asked for out of; it is not
// counted in Stats' RAM bytes.
// The disk tier is bounded by Options.DiskBytes (default 10 GiB, headers
// included: 10 GiB is about 40 000 block files of 256 KiB) and evicts the
// least recently used file. Blocks reach it off the read path: one writer
// goroutine takes fills from a queue of 256 blocks (reads see queued
// blocks as on disk), a fill that finds the queue full is dropped (the
// block is in RAM, and a later miss fills it again), and Close writes
// what is queued.
//
// # Restarts
//
// The disk tier keeps one file per block under Options.DiskDir, named by
// a hash of block size, key and block index, in a two-level fan-out of
// folders, written to a temporary file and renamed into place. Each file
// starts with a header naming its block and a CRC (see blockfile.go), so
// a hash collision, a torn write or a truncated file reads as a miss and
// the file is deleted. New walks DiskDir, deletes temporary leftovers and
// files it cannot use, rebuilds the LRU order from modification times
// (a hit refreshes a file's time) and evicts down to DiskBytes, so a
// restarted executor serves warm reads without touching the store.
// The RAM tier starts empty.
package blockcache
