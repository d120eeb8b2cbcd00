// Package hashtable assigns dense ids (0, 1, 2, …) to the distinct tuples
// of key values in Arrow batches. It is the core of hash aggregation
// (an id is a group, and accumulators are arrays indexed by it), of
// DISTINCT (a row whose id is new is a first occurrence), of DISTINCT
// aggregates, and of hash joins (the build side's keys get ids; probe rows
// look theirs up).
//
// # How a batch is processed
//
// Work is column-at-a-time wherever possible; no Go map and no per-row
// interface call is on the hot path:
//
//  1. each key column is read once into a flat form: one uint64 word per
//     row for fixed-width types (integers, floats normalised so that −0 =
//     0 and all NaNs are one value, dates, timestamps, booleans), two for
//     decimal128, byte ranges for strings, binaries and vectors, and for
//     other lists (PostgreSQL arrays) their elements in a column of the
//     element type (list.go);
//  2. a 64-bit hash per row is computed column by column;
//  3. each row probes an open-addressing table (linear probing, at most
//     half full) of ids, stopping at the first id with the same full
//     hash, or inserting a new id at an empty slot;
//  4. the tentative matches are verified column by column against the
//     stored keys; the rare row whose key differs despite an equal hash
//     is re-probed one slot at a time.
//
// NULL is a value like any other here: two NULL keys get the same id, as
// GROUP BY and DISTINCT require. Joins, where NULL never matches, skip
// rows with NULL keys themselves.
//
// Keys are stored in Go memory (not the Arrow allocator) and are copied
// into Arrow arrays only when Keys is called. A Table is not safe for
// concurrent use.
package hashtable
