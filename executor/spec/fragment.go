package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Version is the fragment encoding this build speaks. An executor refuses
// a fragment of another version (a rolling upgrade then runs the
// fragment on the query node, see executor/remote).
const Version = 1

// TableRef names one snapshot of a table's dataset.
type TableRef struct {
	// Location is the URI of a dataset outside the storage root (a table
	// created WITH (location = …)); empty for the storage root the
	// executor was started with.
	Location string `json:"location,omitempty"`
	// Root is the dataset's key prefix in its store ("items.lance").
	Root string `json:"root"`
	// Version is the pinned manifest version.
	Version uint64 `json:"version"`
	// Committed is the version's commit time (the manifest timestamp, in
	// Unix nanoseconds). A table dropped and created again reuses root
	// and version numbers; the commit time tells the two apart, so an
	// executor never serves another incarnation's snapshot.
	Committed int64 `json:"committed"`
}

// Key identifies the dataset (not the version) for placement: the
// fragments of one dataset keep their owners across versions.
func (t TableRef) Key() string { return t.Location + "\x00" + t.Root }

// PieceKey is the placement key of piece p of table t: (dataset,
// fragment), or (index segment, partition) for a vector search.
func PieceKey(t TableRef, p Piece) string {
	if p.Index != "" {
		return p.Index + "/" + strconv.Itoa(p.Partition)
	}
	return t.Key() + "/" + strconv.FormatUint(p.ID, 10)
}

// ANN makes a fragment's rows the candidates of a vector search instead of
// a scan: the executor searches the partitions its pieces name, in every
// segment they name, for the Want nearest live rows, reads those rows and
// runs the fragment's filter, projection and top-k over them. The query
// node merges the executors' top-k lists with the rows of the fragments
// no segment covers.
type ANN struct {
	// Query is the query vector.
	Query []float32 `json:"query"`
	// Want is how many candidates each executor takes (k × refine factor,
	// capped by the rows indexed).
	Want int `json:"want"`
	// Ef is the HNSW search list size of IVF_HNSW_SQ segments.
	Ef int `json:"ef,omitempty"`
}

func (t TableRef) String() string {
	if t.Location != "" {
		return fmt.Sprintf("%s@v%d", t.Location, t.Version)
	}
	return fmt.Sprintf("%s@v%d", t.Root, t.Version)
}

// Piece is one data fragment of the snapshot, or, for a vector search
// (Fragment.ANN), one partition of one index segment.
type Piece struct {
	// ID is the Lance fragment id.
	ID uint64 `json:"id"`
	// Index is the UUID of the index segment, for a vector search.
	Index string `json:"index,omitempty"`
	// Partition is the segment's IVF partition, for a vector search.
	Partition int `json:"partition,omitempty"`
	// Skip is how many output rows of this piece the query node already
	// has (a retry after a failed stream resumes past them); streaming
	// fragments only.
	Skip int64 `json:"skip,omitempty"`
}

// SortKey is one key of a pushed-down top-k.
type SortKey struct {
	Expr       *Expr `json:"expr"`
	Desc       bool  `json:"desc,omitempty"`
	NullsFirst bool  `json:"nulls_first,omitempty"`
}

// PartialAgg is the partial aggregation an executor runs over its pieces:
// it returns the group columns, then one state column per aggregate.
type PartialAgg struct {
	GroupBy []*Expr  `json:"group_by,omitempty"`
	Aggs    []*Agg   `json:"aggs"`
	Names   []string `json:"names"`
}

// TopK keeps the Limit first rows by Keys.
type TopK struct {
	Keys  []SortKey `json:"keys"`
	Limit int64     `json:"limit"`
}

// Fragment is the unit of work a query node sends an executor: read the
// listed pieces of one table snapshot, then filter, project and
// optionally reduce them. Expressions are bound over the scanned columns
// (Filter, Project) or over the projected ones (Agg, TopK).
type Fragment struct {
	V     int      `json:"v"`
	Table TableRef `json:"table"`
	// Pieces are the data fragments to read, in output order.
	Pieces []Piece `json:"pieces"`
	// Columns are the dataset columns read, by name, in order.
	Columns []string `json:"columns"`
	// Filter keeps the rows where it is TRUE; nil keeps all.
	Filter *Expr `json:"filter,omitempty"`
	// Project computes the output columns; nil outputs the read columns.
	Project []*Expr  `json:"project,omitempty"`
	Names   []string `json:"names,omitempty"`
	// Agg and TopK reduce the projected rows of all pieces; at most one
	// is set. Without either the fragment streams piece by piece.
	Agg  *PartialAgg `json:"agg,omitempty"`
	TopK *TopK       `json:"topk,omitempty"`
	// Consts holds the expressions' constants (Encoder.Consts).
	Consts []byte `json:"consts,omitempty"`
	// Env carries parameters, the statement time and text options.
	Env *Env `json:"env,omitempty"`
	// ANN, when set, sources the rows from a vector search (see ANN).
	ANN *ANN `json:"ann,omitempty"`
	// Timeout bounds the executor's work on the fragment; 0 means none.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Heartbeat is how often the executor sends an empty batch while it
	// has nothing else to send (a reduction reading its input, a filter
	// matching nothing for a while), so that the query node can tell a
	// slow executor from a dead one; 0 means never.
	Heartbeat time.Duration `json:"heartbeat,omitempty"`
}

// Streaming reports whether the fragment's output is per piece (each
// output batch belongs to one piece, pieces in order) rather than one
// reduction over all its pieces.
func (f *Fragment) Streaming() bool { return f.Agg == nil && f.TopK == nil }

// ErrInvalid marks a fragment an executor cannot accept.
var ErrInvalid = errors.New("invalid plan fragment")

// Marshal encodes a fragment for a Flight ticket.
func Marshal(f *Fragment) ([]byte, error) {
	f.V = Version
	if err := f.check(); err != nil {
		return nil, err
	}
	return json.Marshal(f)
}

// Unmarshal decodes and checks a ticket's fragment. Expressions are
// checked when they are decoded (Decoder).
func Unmarshal(b []byte) (*Fragment, error) {
	var f Fragment
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if f.V != Version {
		return nil, fmt.Errorf("%w: encoding version %d, this executor speaks %d", ErrInvalid, f.V, Version)
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return &f, nil
}

func (f *Fragment) check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
	}
	switch {
	case f.Table.Root == "" || strings.Contains(f.Table.Root, ".."):
		return bad("table root %q", f.Table.Root)
	case len(f.Pieces) == 0:
		return bad("no pieces")
	case f.Agg != nil && f.TopK != nil:
		return bad("both a partial aggregate and a top-k")
	case f.Project != nil && len(f.Names) != len(f.Project):
		return bad("%d projections, %d names", len(f.Project), len(f.Names))
	case f.TopK != nil && (f.TopK.Limit < 0 || len(f.TopK.Keys) == 0):
		return bad("top-k limit %d with %d keys", f.TopK.Limit, len(f.TopK.Keys))
	case f.Agg != nil && len(f.Agg.Names) != len(f.Agg.GroupBy)+len(f.Agg.Aggs):
		return bad("partial aggregate with %d names for %d columns", len(f.Agg.Names), len(f.Agg.GroupBy)+len(f.Agg.Aggs))
	case f.ANN != nil && (f.TopK == nil || f.ANN.Want < 1 || len(f.ANN.Query) == 0):
		return bad("vector search without a top-k, candidates or query")
	}
	for _, p := range f.Pieces {
		if p.Skip < 0 {
			return bad("piece %d skips %d rows", p.ID, p.Skip)
		}
		if (p.Index != "") != (f.ANN != nil) || p.Partition < 0 {
			return bad("piece %+v in a fragment with vector search %v", p, f.ANN != nil)
		}
	}
	return nil
}

// Stats are an executor's measurements of one fragment, sent in the
// stream's trailer and shown by EXPLAIN ANALYZE.
type Stats struct {
	// Executor names the executor (its advertised address), or "local"
	// for a fragment the query node ran itself.
	Executor string `json:"executor"`
	Pieces   int    `json:"pieces"`
	// RowsRead are the rows the scan produced; Rows the rows sent.
	RowsRead int64 `json:"rows_read"`
	Rows     int64 `json:"rows"`
	Batches  int64 `json:"batches"`
	// Elapsed is the executor's wall time for the fragment.
	Elapsed time.Duration `json:"elapsed"`
	// BytesStorage were read from object storage; BytesCache were served
	// by the executor's block cache (RAM or disk).
	BytesStorage int64 `json:"bytes_storage"`
	BytesCache   int64 `json:"bytes_cache"`
}

// Add accumulates o into s (for per-executor totals).
func (s *Stats) Add(o Stats) {
	s.Pieces += o.Pieces
	s.RowsRead += o.RowsRead
	s.Rows += o.Rows
	s.Batches += o.Batches
	s.Elapsed += o.Elapsed
	s.BytesStorage += o.BytesStorage
	s.BytesCache += o.BytesCache
}
