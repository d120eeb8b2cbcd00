// Package hnsw is the in-memory algorithmic core of lancegate's
// IVF_HNSW_SQ vector index: IVF partitioning, 8-bit scalar quantisation,
// one HNSW graph per partition, and filtered approximate search. Like
// package ivfpq it has no storage format; the Lance files (index.idx and
// auxiliary.idx, docs/vector-index.md §2.3–2.4) will be written from and
// read into an Index by a later package, and the mapping is below.
//
// IVF_PQ scans every code of the probed lists; IVF_HNSW_SQ walks a graph
// instead and touches a few thousand codes per query, at the price of a
// slower build and 1 byte per dimension per vector (SQ8) plus the graph.
//
// # Data flow
//
// Build, for n vectors of dimension dim:
//
//	vectors ──(Cosine: normalise)──▶ data
//	data ──ivfpq.KMeans──▶ Centroids ──assign──▶ partition of every row
//	data ──distance.TrainSQ8 (all rows, once)──▶ SQ
//	per partition, in parallel:
//	    rows (input order) ──SQ.Encode──▶ Codes ──SQ.Decode──▶ x̂
//	    x̂ ──HNSW insertions──▶ Graph
//
// The IVF is ivfpq's: L2 k-means on the (for Cosine, normalised) vectors,
// spherical k-means with unit centroids for Dot. The SQ8 is trained once
// over all the data, on the raw vectors (normalised for Cosine), never on
// residuals, as Lance does; SingleRange makes it one range for every
// dimension, which is all Lance's storage_metadata can hold. Graphs are
// built on the decoded vectors x̂, so construction sees exactly the
// vectors that search measures.
//
// # HNSW
//
// Each partition's graph follows Malkov & Yashunin (arXiv:1603.09320).
// Every node draws a level ⌊−ln U / ln M⌋, capped at MaxLevel−1, and
// nodes are inserted in local id order. An insertion descends greedily
// from the entry point to the node's top level, then on each of its levels
// runs a beam search of width EfConstruction, keeps at most M neighbours
// chosen by the paper's heuristic (a candidate is kept only when it is
// closer to the new node than to every neighbour already kept; the list is
// then topped up to M with the closest discarded candidates), and adds
// back-links. A list longer than its bound (2M on level 0, M above) is cut
// back with the same heuristic. A final pass gives each level-0 node left
// without in-links one, so no vector is cut off for want of an in-link.
// Build distances are squared L2 between decoded vectors for L2 and
// Cosine, −x̂·ŷ for Dot.
//
// # Search
//
// Search ranks all centroids (L2 with the normalised query, or Dot, as
// Lance does), prepares one distance.SQ8Query (the quantizer is global, so
// one query serves every partition), and searches partitions nearest
// first: a greedy descent through the upper levels, then a beam search of
// width ef on level 0. A partition no larger than ef is scanned instead.
// Code distances always use SQ8's Dot kernel, one multiply-add per byte;
// L2 and Cosine expand ‖q − x̂‖² = ‖q‖² + ‖x̂‖² − 2·q·x̂ with ‖x̂‖² cached
// per row (Build and FromParts compute it). Both SQ8 kernels are AVX2
// assembly on amd64 (portable Go elsewhere); at 128-d, one code per call,
// the Dot kernel takes ≈ 11 ns against ≈ 14 ns for L2, and ranks the
// same up to float rounding. Level 0 marks the unvisited neighbours of an
// expanded node and scores them with one SQ8Query.DistancesAt call, which
// overlaps the scattered rows' loads and pays the call overhead once per
// node; the upper levels' greedy descent scores one row per call.
// Results of all probed partitions meet in one top-K. Distances are those
// to the decoded vectors, in ivfpq.Search's conventions: squared L2; half
// the squared L2 between unit vectors for Cosine (≈ 1 − cos); −q·x̂ for
// Dot.
//
// Allow is a prefilter with hnswlib's semantics: rejected rows are
// traversed but never enter the result set, and the beam stops only once
// ef allowed rows are held and nothing closer remains, so a selective
// filter floods a partition rather than losing results. When fewer than K
// rows are found after NProbes partitions (a selective filter, or small
// lists), Search goes on probing partitions in coarse order until K are
// found or all are probed; SearchStats reports how many were probed and
// how many code distances were computed.
//
// # Determinism and concurrency
//
// Build is deterministic: equal inputs, options and seeds give identical
// indexes whatever Parallelism is, because k-means is (see ivfpq), every
// partition draws its levels from its own PCG stream (Seed, partition),
// and insertion within a partition is sequential. Partitions are built on
// up to Parallelism goroutines, all joined before Build returns; ctx is
// checked in k-means, between stages and every 128 insertions. An Index is
// immutable once built; Search only reads it (scratch memory comes from a
// sync.Pool), so concurrent searches are safe. An Allow function shared by
// concurrent searches must itself be safe for concurrent calls.
//
// # Mapping to Lance's IVF_HNSW_SQ
//
// index.idx (docs/vector-index.md §2.3): Centroids is the IVF
// centroids_tensor and Loss its loss. Partition p's graph is written as
// rows level by level: level 0 has one row per local id j with
// __vector_id = j and __neighbors = Graph.Neighbors(0, j); level l > 0 has
// one row per Levels[l].Nodes entry, ascending, as Lance lists them.
// _distance[i] is NodeDistance(p, j, __neighbors[i]). The "lance:hnsw"
// JSON of the partition is entry_point = Graph.Entry, params {max_level:
// MaxLevel, m: M, ef_construction: EfConstruction}, and level_offsets =
// Graph.LevelOffsets(MaxLevel) (Levels stops at the top non-empty level;
// the offsets pad with empty ones). The IVF lengths of index.idx count
// graph rows, the last level offset.
//
// auxiliary.idx (§2.4): rows grouped by partition in partition order, with
// _rowid = RowIDs and __sq_code = Codes (Dim bytes per row, not
// transposed); IVF lengths are len(RowIDs). The bounds {start, end} are
// SQBounds, which reports ok only for a single-range quantizer (Build with
// SingleRange). Lance encodes by truncation and this package by rounding,
// but both decode as start + code·(end−start)/255, so either reads the
// other's codes. A pylance index loads through FromParts with SQ8{Min:
// start, Scale: (end−start)/255} on every dimension.
//
// Not matched, and not needed for interop: Lance's snapshot gives node 0
// every level (readers use the stored entry point either way), and its
// choice of partition count for HNSW (see DefaultPartitionSize). Not yet
// probed against pylance: the scale of the _distance column and of the
// reported distances for Cosine and Dot (§3 lists 1 − cos and 1 − x·q; this
// package uses half the squared L2 and −x·q, as ivfpq does).
package hnsw
