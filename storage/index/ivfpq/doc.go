// Package ivfpq is the in-memory algorithmic core of lancegate's IVF_PQ
// vector index: k-means training, the product quantizer, building the
// inverted lists, and approximate search with optional exact re-ranking. It
// has no storage format yet; the Lance index files (index.idx and
// auxiliary.idx, docs/vector-index.md §2) will be written from and read
// into an Index by a later package.
//
// # Algorithm
//
// An IVF_PQ index answers "the k vectors nearest to q" in two stages.
//
// IVF (inverted file): KMeans cuts the vectors into NumPartitions clusters;
// each vector is stored in the list (Partition) of its nearest centroid. A
// query ranks the centroids and scans only the nprobes nearest lists.
//
// PQ (product quantization): each stored vector is compressed to M bytes.
// The dim dimensions are cut into M sub-vectors of SubDim = dim/M values,
// and each sub-space has its own 256-centroid codebook, trained by k-means;
// byte j of a code names the nearest (L2) centroid of sub-vector j. A query
// builds an M×256 table of sub-distances once (per list, when codes are
// residuals) and the distance to a code is then the sum of M table lookups
// (asymmetric distance computation, distance.PQDistances).
//
// PQ distances are approximate, and recall plateaus whatever nprobes
// (about 0.7 recall@10 for PQ16 on the 128-d test data, 0.45–0.5 on the
// harder benchmark set). Refine removes the plateau: Search for k·refineFactor candidates, read their full vectors,
// and Refine re-ranks them by exact distance (Lance's refine_factor).
//
// # k-means
//
// KMeans is Lloyd's algorithm: seed (k-means++ by default, or k random
// rows as Lance does), then alternate assignment and centroid update until
// MaxIters (Lance: 50) or until the loss changes by less than Tolerance
// (Lance: 1e-4, relative). Training uses at most SampleRate·k rows drawn
// without replacement (Lance: 256·k). All randomness comes from a PCG
// source seeded by KMeansOptions.Seed, and the parallel assignment works on
// fixed chunks whose losses are summed in order, so equal seeds give
// bit-identical centroids on any GOMAXPROCS. ctx is checked before every
// iteration. A cluster left empty is re-seeded with a random member of the
// largest cluster, perturbed by ±1/1024 per coordinate (Lance splits a big
// cluster the same way).
//
// Assignment uses Hamerly's bounds: a row whose distance to its centroid
// is below both a lower bound on its distance to every other centroid and
// half its centroid's distance to the nearest other centroid keeps its
// cluster without a full scan. The full scan is distance.Blocked's
// NearestL2 over a dimension-major copy of the centroids, refreshed every
// iteration: it returns the nearest centroid and the second-smallest
// distance (the new lower bound) in one pass, with no horizontal sums and
// no distance row to search afterwards. For PQ's 256 centroids of 8
// dimensions that is ≈ 80 ns per row against ≈ 1.1 µs for the row-major
// batch kernel and a scalar arg-min, which made PQ training most of a
// build; at 128 dimensions and 316 centroids it is still ≈ 1.7× faster.
// k-means++ seeding scans the whole sample once per pick, over a blocked
// copy of the sample when rows are short (≤ 32 values). The metrics:
//
//	L2      plain k-means.
//	Cosine  rows are normalised, then L2 k-means; centroids are means of
//	        unit vectors and are not renormalised (as in Lance).
//	Dot     spherical k-means: centroids are renormalised to unit length
//	        after every update (Lance's dot centroids all have norm 1).
//	        With unit centroids, the largest inner product is the smallest
//	        L2 distance, so the same L2 assignment serves.
//
// # Build
//
// Build normalises the vectors for Cosine, trains the IVF centroids
// (NumPartitions defaults to ⌊√n⌋; newer pylance derives the count from a
// target partition size instead, see docs/vector-index.md open question 3),
// assigns every row, and trains the PQ (NumSubVectors defaults to dim/16,
// see DefaultSubVectors) on
//
//	L2, Cosine  residuals x − c_p of the (normalised) vectors, as Lance does;
//	Dot         raw vectors, not residuals (Lance's use_residual is L2|Cosine).
//
// The PQ's M sub-quantizers always train with L2 k-means (Lance encodes dot
// vectors by L2-nearest sub-centroid too), at most 256·256 rows each,
// spread over the available cores. Encoding and L2 distance tables use the
// same blocked kernels over a blocked copy of each codebook, built once
// per PQ on first use. Partitions keep their rows in input
// order, codes row-major (Lance stores them transposed per partition; the
// writer will transpose).
//
// # Search
//
// Search picks the nprobes nearest centroids (L2 with the normalised query
// for L2 and Cosine, Dot for Dot), builds the ADC table (once for Dot; per
// partition for the residual codes of L2 and Cosine, as the sum of a
// precomputed partition term and a per-query term, see Index.Precompute,
// plus the coarse distance ‖q − c_p‖²), scans the
// codes with distance.PQDistances and keeps the best k in a bounded max-heap
// (ties broken by row id). Approximate distances: squared L2; for Cosine
// half the squared L2 between unit vectors, which approximates 1 − cos; for
// Dot −q·x̂. Refine returns exact distances under the metric (Lance reports
// 1 − q·x for dot; lancegate's Dot is −q·x).
//
// # Mapping to Lance's IVF_PQ
//
// Index.Centroids is the IVF centroids_tensor [NumPartitions, dim] of
// index.idx, PQ.Codebook is auxiliary.idx's codebook tensor, already laid
// out [M][256][SubDim], and Partitions are auxiliary.idx's rows grouped by
// partition (offsets = prefix sums of the lengths), with _rowid = RowIDs and
// __pq_code = Codes. Index.Loss corresponds to the IVF loss Lance stores. A
// pylance index loaded into an Index (codes un-transposed, then
// FromParts) can be searched by this package unchanged; package
// lanceindex does exactly that. Only the distance scale differs from
// pylance's unrefined results: pylance reports 2× this package's Cosine
// distance and 1 + this package's Dot distance.
package ivfpq
