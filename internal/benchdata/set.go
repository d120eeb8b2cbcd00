package benchdata

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/lancegate/lancegate/storage/index/distance"
)

// Set is a generated data set with its ground truth under one metric.
type Set struct {
	Params  Params
	Metric  distance.Metric
	Base    []float32
	Queries []float32
	Truth   *Truth
	Meta    Meta
	// Dir is the cache folder holding the files below.
	Dir string
}

// Files of a cached Set, in its Dir.
const (
	BaseFile       = "base.fvecs"
	QueriesFile    = "queries.fvecs"
	TruthFile      = "truth.ivecs"
	TruthDistsFile = "truth_dists.fvecs"
	MetaFile       = "meta.json"
)

// Meta records how a set was made (performance.md §3.3: every generated
// set is recorded with its seed, its parameters and its RC).
type Meta struct {
	Params           Params  `json:"params"`
	Metric           string  `json:"metric"`
	K                int     `json:"k"`
	RelativeContrast float64 `json:"relative_contrast"`
	GenerateSeconds  float64 `json:"generate_seconds"`
	TruthSeconds     float64 `json:"truth_seconds"`
	KernelImpl       string  `json:"kernel_impl"`
}

// Key names a set: the data set key plus the metric and k of its truth.
func Key(p Params, m distance.Metric, k int) string {
	return fmt.Sprintf("%s_%s_k%d", p.Key(), m, k)
}

// Prepare returns the set for (p, m, k) from the cache folder root, making
// and storing it first when it is absent: root/Key(p, m, k)/ holds the
// base and queries (.fvecs), the true ids (.ivecs), the true distances
// (.fvecs) and meta.json. logf reports progress (nil: silent).
func Prepare(root string, p Params, m distance.Metric, k int, logf func(string, ...any)) (*Set, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if p.Queries <= 0 {
		return nil, errors.New("benchdata: a set needs queries")
	}
	dir := filepath.Join(root, Key(p, m, k))
	s := &Set{Params: p, Metric: m, Dir: dir}
	if err := s.load(); err == nil {
		logf("data: cached %s (RC %.3f)", dir, s.Meta.RelativeContrast)
		return s, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		logf("data: cache %s unusable (%v); regenerating", dir, err)
	}
	t0 := time.Now()
	base, queries, err := Generate(p)
	if err != nil {
		return nil, err
	}
	gen := time.Since(t0)
	logf("data: generated %d × %d + %d queries in %.1fs", p.N, p.Dim, p.Queries, gen.Seconds())
	t0 = time.Now()
	truth, err := GroundTruth(m, base, queries, p.Dim, k)
	if err != nil {
		return nil, err
	}
	tt := time.Since(t0)
	logf("data: exact top-%d of %d queries in %.1fs (%s kernels)", k, p.Queries, tt.Seconds(), distance.Impl())
	rc := RelativeContrast(base, queries, p.Dim, 200)
	s.Base, s.Queries, s.Truth = base, queries, truth
	s.Meta = Meta{Params: p, Metric: m.String(), K: k, RelativeContrast: rc, GenerateSeconds: gen.Seconds(), TruthSeconds: tt.Seconds(), KernelImpl: distance.Impl()}
	if err := s.save(); err != nil {
		return nil, err
	}
	logf("data: relative contrast %.3f; stored in %s", rc, dir)
	return s, nil
}

func (s *Set) path(name string) string { return filepath.Join(s.Dir, name) }

func (s *Set) save() error {
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return err
	}
	dim, k := s.Params.Dim, s.Truth.K
	if err := WriteFvecs(s.path(BaseFile), s.Base, dim); err != nil {
		return err
	}
	if err := WriteFvecs(s.path(QueriesFile), s.Queries, dim); err != nil {
		return err
	}
	if err := WriteIvecs(s.path(TruthFile), s.Truth.IDs, k); err != nil {
		return err
	}
	if err := WriteFvecs(s.path(TruthDistsFile), s.Truth.Dists, k); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s.Meta, "", "  ")
	if err != nil {
		return err
	}
	// meta.json last: its presence marks a complete set.
	return writeAtomic(s.path(MetaFile), b)
}

func (s *Set) load() error {
	b, err := os.ReadFile(s.path(MetaFile))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &s.Meta); err != nil {
		return err
	}
	if s.Meta.Params != s.Params || s.Meta.Metric != s.Metric.String() {
		return fmt.Errorf("meta.json describes another set")
	}
	dim := s.Params.Dim
	var d int
	if s.Base, d, err = ReadFvecs(s.path(BaseFile)); err != nil {
		return err
	} else if d != dim || len(s.Base) != s.Params.N*dim {
		return fmt.Errorf("%s: %d values of dim %d", BaseFile, len(s.Base), d)
	}
	if s.Queries, d, err = ReadFvecs(s.path(QueriesFile)); err != nil {
		return err
	} else if d != dim || len(s.Queries) != s.Params.Queries*dim {
		return fmt.Errorf("%s: %d values of dim %d", QueriesFile, len(s.Queries), d)
	}
	t := &Truth{}
	if t.IDs, t.K, err = ReadIvecs(s.path(TruthFile)); err != nil {
		return err
	}
	if t.Dists, d, err = ReadFvecs(s.path(TruthDistsFile)); err != nil {
		return err
	}
	if t.K != s.Meta.K || d != t.K || len(t.IDs) != s.Params.Queries*t.K || len(t.Dists) != len(t.IDs) {
		return fmt.Errorf("truth files do not match meta.json")
	}
	s.Truth = t
	return nil
}

// Exact returns the exact distance from query q to base row id under the
// set's metric (NaN for an id outside the base), with the same kernel as
// the ground truth.
func (s *Set) Exact(q int, id int64) float32 {
	dim := s.Params.Dim
	if id < 0 || id >= int64(s.Params.N) {
		return float32(math.NaN())
	}
	var out [1]float32
	s.Metric.Batch(s.Queries[q*dim:(q+1)*dim], s.Base[int(id)*dim:(int(id)+1)*dim], out[:])
	return out[0]
}

// Query returns query vector q.
func (s *Set) Query(q int) []float32 {
	dim := s.Params.Dim
	return s.Queries[q*dim : (q+1)*dim]
}

// Recall returns recall@K of got (row ids, nearest first) for query q;
// see Recall.
func (s *Set) Recall(q int, got []int64) float64 {
	ids, ds := s.Truth.Row(q)
	return Recall(ids, ds[len(ds)-1], got, func(id int64) float32 { return s.Exact(q, id) })
}
