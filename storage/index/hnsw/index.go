package hnsw

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/lancegate/lancegate/storage/index/distance"
	"github.com/lancegate/lancegate/storage/index/ivfpq"
)

// Errors returned by Build, Search and FromParts. Test for them with
// errors.Is; the returned errors wrap them with the offending sizes.
var (
	// ErrInvalidArgument reports inconsistent sizes or parameters.
	ErrInvalidArgument = errors.New("hnsw: invalid argument")
	// ErrNonFinite reports a NaN or ±Inf value in the input vectors.
	ErrNonFinite = errors.New("hnsw: non-finite vector value")
)

// Candidate is one search result: a row id and its distance to the query.
// It is ivfpq's type, so both vector indexes feed the same merge.
type Candidate = ivfpq.Candidate

// Index is an in-memory IVF_HNSW_SQ index: IVF centroids, one SQ8
// quantizer shared by all partitions, and per partition the row ids, the
// SQ8 codes and an HNSW graph over them. Make one with Build or FromParts
// (which also cache per-row norms that Search needs). An Index is
// immutable once built or assembled; Search is safe for concurrent use.
type Index struct {
	// Metric is the distance the index answers.
	Metric distance.Metric
	// Dim is the vector dimension.
	Dim int
	// Centroids are the IVF centroids, NumPartitions×Dim row-major: L2
	// k-means centroids of the (for Cosine, normalised) vectors, or unit
	// spherical centroids for Dot.
	Centroids []float32
	// SQ is the scalar quantizer of every stored vector (raw for L2 and
	// Dot, normalised for Cosine; never residuals).
	SQ *distance.SQ8
	// Partitions are the IVF lists, in centroid order.
	Partitions []Partition
	// M and EfConstruction are the HNSW parameters the graphs were built
	// with; MaxLevel bounds the number of levels (Lance's max_level).
	M, EfConstruction, MaxLevel int
	// Loss is the IVF loss: the sum of every vector's coarse distance to
	// its centroid.
	Loss float64
}

// Partition is one IVF list: its vectors in input order, identified by
// local ids 0..len(RowIDs)−1.
type Partition struct {
	// RowIDs[i] is the row id of local vector i.
	RowIDs []uint64
	// Codes are the SQ8 codes, Dim bytes per vector, row-major.
	Codes []byte
	// Graph is the HNSW graph over the local ids.
	Graph Graph

	// norms[i] is ‖x̂_i‖², the squared norm of decoded vector i, for the
	// L2 and Cosine search kernel (see Index.Search); nil for Dot.
	norms []float32
}

// fillNorms computes the partition's decoded squared norms.
func (part *Partition) fillNorms(sq *distance.SQ8, dim int, dec []float32) {
	n := len(part.RowIDs)
	if dec == nil {
		dec = sq.Decode(make([]float32, 0, n*dim), part.Codes)
	}
	part.norms = make([]float32, n)
	for i := range n {
		v := dec[i*dim : (i+1)*dim]
		part.norms[i] = distance.InnerProduct(v, v)
	}
}

// Graph is one partition's HNSW graph. Levels[0] holds every node; level
// l > 0 holds the nodes whose drawn level is at least l. The slice ends at
// the highest non-empty level, so len(Levels)−1 is the graph's top level
// (Lance pads to max_level with empty levels). An empty partition has no
// levels.
type Graph struct {
	// Entry is the local id where every search starts: a node of the top
	// level.
	Entry uint32
	// Levels are the adjacency lists, bottom (0) first.
	Levels []Level
}

// Level is one HNSW level in compressed sparse row form: node Nodes[j]
// (or j itself on level 0, where Nodes is nil) has the neighbours
// Neighbors[Offsets[j]:Offsets[j+1]], local ids. Degrees are at most 2M on
// level 0 and M above.
type Level struct {
	// Nodes are the local ids present on the level, ascending; nil on level
	// 0, which holds every node in id order.
	Nodes []uint32
	// Offsets has one entry per node plus a final total.
	Offsets []uint32
	// Neighbors are the concatenated neighbour lists.
	Neighbors []uint32
}

// Len returns the number of nodes on the level.
func (l *Level) Len() int { return max(0, len(l.Offsets)-1) }

// Node returns the local id of the level's j-th node.
func (l *Level) Node(j int) uint32 {
	if l.Nodes == nil {
		return uint32(j)
	}
	return l.Nodes[j]
}

// position returns the row of node id on the level, or -1.
func (l *Level) position(id uint32) int {
	if l.Nodes == nil {
		if int(id) < l.Len() {
			return int(id)
		}
		return -1
	}
	j, ok := slices.BinarySearch(l.Nodes, id)
	if !ok {
		return -1
	}
	return j
}

// Neighbors returns the neighbour list of local id node on level, or nil
// when the node is not on that level. The slice aliases the graph and must
// not be modified.
func (g *Graph) Neighbors(level int, node uint32) []uint32 {
	if level < 0 || level >= len(g.Levels) {
		return nil
	}
	l := &g.Levels[level]
	j := l.position(node)
	if j < 0 {
		return nil
	}
	return l.Neighbors[l.Offsets[j]:l.Offsets[j+1]]
}

// LevelOffsets returns Lance's level_offsets for the graph: the first row
// of each of maxLevel levels, relative to the partition's first graph row,
// then the total row count (maxLevel+1 entries; levels above the graph's
// top are empty). maxLevel is normally Index.MaxLevel; it is raised to
// len(g.Levels) if smaller.
func (g *Graph) LevelOffsets(maxLevel int) []uint32 {
	maxLevel = max(maxLevel, len(g.Levels))
	out := make([]uint32, maxLevel+1)
	for l := range maxLevel {
		n := 0
		if l < len(g.Levels) {
			n = g.Levels[l].Len()
		}
		out[l+1] = out[l] + uint32(n)
	}
	return out
}

// SQBounds returns the quantizer's range as Lance stores it in
// auxiliary.idx (storage_metadata bounds start and end), and whether one
// range serves every dimension (Build with SingleRange, or a Lance index
// loaded by FromParts). When ok is false the index cannot be written in
// Lance's layout without re-encoding.
func (ix *Index) SQBounds() (start, end float32, ok bool) {
	if ix.SQ == nil || len(ix.SQ.Min) == 0 {
		return 0, 0, false
	}
	start, scale := ix.SQ.Min[0], ix.SQ.Scale[0]
	for d := range ix.SQ.Min {
		if ix.SQ.Min[d] != start || ix.SQ.Scale[d] != scale {
			return 0, 0, false
		}
	}
	return start, start + 255*scale, true
}

// NumPartitions returns the number of IVF lists.
func (ix *Index) NumPartitions() int { return len(ix.Partitions) }

// Len returns the number of indexed vectors.
func (ix *Index) Len() int {
	n := 0
	for i := range ix.Partitions {
		n += len(ix.Partitions[i].RowIDs)
	}
	return n
}

// graphMetric is the float metric the graphs are built with, on decoded
// SQ8 vectors: squared L2 for L2 and Cosine (unit vectors), Dot for Dot.
func (ix *Index) graphMetric() distance.Metric {
	if ix.Metric == distance.Dot {
		return distance.Dot
	}
	return distance.L2
}

// NodeDistance returns the distance between local vectors a and b of
// partition p as the index sees them (decoded SQ8 vectors), in Search's
// convention: squared L2, half squared L2 for Cosine, −a·b for Dot. This
// is the value a writer stores in Lance's _distance column. It returns NaN
// when p, a or b is out of range.
func (ix *Index) NodeDistance(p int, a, b uint32) float32 {
	if p < 0 || p >= len(ix.Partitions) {
		return float32(math.NaN())
	}
	part := &ix.Partitions[p]
	n := uint32(len(part.RowIDs))
	if a >= n || b >= n {
		return float32(math.NaN())
	}
	d := ix.Dim
	va := ix.SQ.Decode(make([]float32, 0, d), part.Codes[int(a)*d:int(a+1)*d])
	vb := ix.SQ.Decode(make([]float32, 0, d), part.Codes[int(b)*d:int(b+1)*d])
	v := ix.graphMetric().Distance(va, vb)
	if ix.Metric == distance.Cosine {
		v /= 2
	}
	return v
}

// FromParts assembles an Index from stored parts, such as a Lance
// IVF_HNSW_SQ index read from disk: the IVF centroids (len(partitions)×dim),
// the SQ8 quantizer and the partitions with their codes and graphs. It
// checks shapes and that every graph id is in range; values are not
// checked. The parts' slices are used in place, not copied, and must not
// be modified afterwards (the partitions slice itself is copied). For L2
// and Cosine it decodes every code once to cache the vectors' norms. M, EfConstruction and MaxLevel are informational and may be
// set on the result.
func FromParts(metric distance.Metric, dim int, centroids []float32, sq *distance.SQ8, partitions []Partition) (*Index, error) {
	if !metric.Valid() {
		return nil, fmt.Errorf("%w: FromParts metric %v", ErrInvalidArgument, metric)
	}
	np := len(partitions)
	if dim <= 0 || np == 0 || len(centroids) != np*dim {
		return nil, fmt.Errorf("%w: FromParts dim=%d with %d centroid values for %d partitions", ErrInvalidArgument, dim, len(centroids), np)
	}
	if sq == nil || sq.Dim() != dim || len(sq.Scale) != dim {
		return nil, fmt.Errorf("%w: FromParts SQ8 does not fit dimension %d", ErrInvalidArgument, dim)
	}
	for p := range partitions {
		if err := checkPartition(&partitions[p], dim); err != nil {
			return nil, fmt.Errorf("%w: FromParts partition %d: %v", ErrInvalidArgument, p, err)
		}
	}
	partitions = slices.Clone(partitions) // the norms go into our copy
	if metric != distance.Dot {
		for p := range partitions {
			partitions[p].fillNorms(sq, dim, nil)
		}
	}
	return &Index{Metric: metric, Dim: dim, Centroids: centroids, SQ: sq, Partitions: partitions}, nil
}

// checkPartition validates a partition's code size and graph structure.
func checkPartition(part *Partition, dim int) error {
	n := len(part.RowIDs)
	if len(part.Codes) != n*dim {
		return fmt.Errorf("%d rows and %d code bytes", n, len(part.Codes))
	}
	g := &part.Graph
	if n == 0 {
		if len(g.Levels) != 0 {
			return errors.New("levels in an empty graph")
		}
		return nil
	}
	if len(g.Levels) == 0 || g.Levels[0].Nodes != nil || g.Levels[0].Len() != n {
		return fmt.Errorf("level 0 must list all %d nodes", n)
	}
	for li := range g.Levels {
		l := &g.Levels[li]
		if li > 0 && (len(l.Nodes) == 0 || len(l.Offsets) != len(l.Nodes)+1 || !slices.IsSorted(l.Nodes)) {
			return fmt.Errorf("level %d: malformed node list", li)
		}
		if len(l.Offsets) == 0 || l.Offsets[0] != 0 || int(l.Offsets[len(l.Offsets)-1]) != len(l.Neighbors) || !slices.IsSorted(l.Offsets) {
			return fmt.Errorf("level %d: malformed offsets", li)
		}
		for _, id := range l.Nodes {
			if int(id) >= n {
				return fmt.Errorf("level %d: node %d out of range", li, id)
			}
		}
		for _, id := range l.Neighbors {
			if int(id) >= n || l.position(id) < 0 {
				return fmt.Errorf("level %d: neighbour %d not on the level", li, id)
			}
		}
	}
	if g.Levels[len(g.Levels)-1].position(g.Entry) < 0 {
		return fmt.Errorf("entry %d not on the top level", g.Entry)
	}
	return nil
}
