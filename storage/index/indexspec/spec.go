// Package indexspec is the declaration of a vector index: what CREATE
// INDEX asked for, stored in the table's dataset config until DROP INDEX,
// so that the request is durable the moment the statement returns and
// any agent replica can act on it.
//
//	CREATE INDEX items_emb_idx ON items USING ivf_pq (emb vector_cosine_ops)
//	    WITH (num_partitions = 256, num_sub_vectors = 16)
//
// becomes one UpdateConfig commit of
//
//	"lancegate.indexes.items_emb_idx" =
//	    {"column":"emb","type":"IVF_PQ","metric":"cosine","num_partitions":256,"num_sub_vectors":16,"created":"…"}
//
// The gateway writes it (and publishes an event); the agent reads the
// declarations of every table it looks at and builds those whose name
// has no entry in the manifest's index section yet (agent.IVFPQIndexer).
// pylance ignores config keys it does not know, so the declaration does
// not disturb other readers.
package indexspec

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ConfigPrefix starts the config key of every declared index; the rest of
// the key is the index name.
const ConfigPrefix = "lancegate.indexes."

// Index types.
const (
	IVFPQ     = "IVF_PQ"
	IVFHNSWSQ = "IVF_HNSW_SQ"
)

// Spec is one declared index.
type Spec struct {
	// Name is the index name (the config key's suffix; not in the JSON).
	Name string `json:"-"`
	// Column is the indexed vector column.
	Column string `json:"column"`
	// Type is IVFPQ or IVFHNSWSQ.
	Type string `json:"type"`
	// Metric is l2, cosine or dot.
	Metric string `json:"metric"`
	// NumPartitions and NumSubVectors shape IVF_PQ (0: the defaults).
	NumPartitions int `json:"num_partitions,omitempty"`
	NumSubVectors int `json:"num_sub_vectors,omitempty"`
	// M and EfConstruction shape HNSW graphs (0: the defaults).
	M              int `json:"m,omitempty"`
	EfConstruction int `json:"ef_construction,omitempty"`
	// Created is when the index was declared.
	Created time.Time `json:"created"`
}

// Key returns the config key of s.
func (s Spec) Key() string { return ConfigPrefix + s.Name }

// Encode returns the config value of s.
func (s Spec) Encode() (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("index %q: %w", s.Name, err)
	}
	return string(b), nil
}

// Declared returns the indexes declared in a dataset config, by name. A
// value that does not decode is reported in errs and left out.
func Declared(config map[string]string) (specs []Spec, errs []error) {
	for k, v := range config {
		name, ok := strings.CutPrefix(k, ConfigPrefix)
		if !ok || name == "" {
			continue
		}
		var s Spec
		if err := json.Unmarshal([]byte(v), &s); err != nil {
			errs = append(errs, fmt.Errorf("config %s: %w", k, err))
			continue
		}
		if s.Column == "" || (s.Type != IVFPQ && s.Type != IVFHNSWSQ) {
			errs = append(errs, fmt.Errorf("config %s: no column or unknown type %q", k, s.Type))
			continue
		}
		s.Name = name
		specs = append(specs, s)
	}
	sort.Slice(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name })
	return specs, errs
}
