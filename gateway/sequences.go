package gateway

import (
	"context"
	"strings"
	"sync"

	"github.com/lancegate/lancegate/executor/expr"
	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/planner"
	"github.com/lancegate/lancegate/storage/catalog"
	"github.com/lancegate/lancegate/storage/lance"
)

// Serial and identity columns.
//
// CREATE TABLE records, for each serial (or GENERATED … AS IDENTITY)
// column c of table t, the dataset config entries
//
//	lancegate.sequence.c = t_c_seq     the sequence filling the column
//	lancegate.identity.c = a | d       GENERATED ALWAYS | BY DEFAULT (identity columns only)
//
// An INSERT or COPY that leaves the column out, or writes DEFAULT, takes
// the sequence's next values (planner.SequenceArray, nextval). Values come
// from ranges claimed in storage (storage/catalog, sequences.go) and are
// served from memory by the query node, so they are unique across nodes
// and increase on each node, with gaps like PostgreSQL's cached sequences.

const (
	sequenceConfig = "lancegate.sequence."
	identityConfig = "lancegate.identity."
)

// sequenceName is the sequence PostgreSQL names for a serial column.
func sequenceName(table, column string) string { return table + "_" + column + "_seq" }

// columnSequences fills the Sequence and Identity of a table's columns
// from its dataset config.
func columnSequences(ds *lance.Dataset, cols []planner.ColumnDef) {
	cfg := ds.Config()
	for i := range cols {
		cols[i].Sequence = cfg[sequenceConfig+cols[i].Name]
		if id := cfg[identityConfig+cols[i].Name]; len(id) == 1 {
			cols[i].Identity = id[0]
		}
	}
}

// sequenceConfigs returns the config entries of CREATE TABLE's serial and
// identity columns.
func sequenceConfigs(def planner.TableDef) map[string]string {
	out := map[string]string{}
	for _, c := range def.Columns {
		if !c.Serial {
			continue
		}
		out[sequenceConfig+c.Name] = sequenceName(def.Name, c.Name)
		if c.Identity != 0 {
			out[identityConfig+c.Name] = string(c.Identity)
		}
	}
	return out
}

// tableSequences lists the sequences of a dataset's columns.
func tableSequences(ds *lance.Dataset) []string {
	var out []string
	for k, v := range ds.Config() {
		if strings.HasPrefix(k, sequenceConfig) {
			out = append(out, v)
		}
	}
	return out
}

// seqRange is the part of a claimed range a node has not handed out.
type seqRange struct{ next, end int64 }

// sequences serves sequence values from claimed ranges.
type sequences struct {
	mu     sync.Mutex
	ranges map[string]*seqRange
	// defs caches CREATE SEQUENCE definitions by name; a nil entry is a
	// sequence without one (a serial column's), whose positions are its
	// values.
	defs map[string]*catalog.SequenceDef
}

// forgetSequenceState drops this node's range and definition of seq.
func (c *storageCatalog) forgetSequenceState(seq string) {
	c.seqs.mu.Lock()
	defer c.seqs.mu.Unlock()
	delete(c.seqs.ranges, seq)
	delete(c.seqs.defs, seq)
}

// sequenceDefLocked returns seq's definition (nil for none), from the
// cache or storage; c.seqs.mu is held.
func (c *storageCatalog) sequenceDefLocked(ctx context.Context, seq string) (*catalog.SequenceDef, error) {
	if def, ok := c.seqs.defs[seq]; ok {
		return def, nil
	}
	def, found, err := c.cat.SequenceDefOf(ctx, seq)
	if err != nil {
		return nil, storageError(err, seq)
	}
	if c.seqs.defs == nil {
		c.seqs.defs = map[string]*catalog.SequenceDef{}
	}
	if !found {
		// Not made by CREATE SEQUENCE: it must be a serial column's
		// (checked once per node: nextval of a name that is neither is
		// 42P01, not a new sequence).
		snap, err := c.snapshot(ctx)
		if err != nil {
			return nil, err
		}
		serial := false
		for _, t := range snap.Tables {
			for _, q := range t.Sequences {
				serial = serial || q.Name == seq
			}
		}
		if !serial {
			return nil, sqlstate.New(sqlstate.UndefinedTable, "relation %q does not exist", seq)
		}
		c.seqs.defs[seq] = nil
		return nil, nil
	}
	c.seqs.defs[seq] = &def
	return &def, nil
}

var _ expr.Sequences = (*storageCatalog)(nil)

// NextValues implements expr.Sequences.
func (c *storageCatalog) NextValues(ctx context.Context, seq string, n int) ([]int64, error) {
	c.seqs.mu.Lock()
	defer c.seqs.mu.Unlock()
	if c.seqs.ranges == nil {
		c.seqs.ranges = map[string]*seqRange{}
	}
	def, err := c.sequenceDefLocked(ctx, seq)
	if err != nil {
		return nil, err
	}
	r := c.seqs.ranges[seq]
	if r == nil {
		r = &seqRange{}
		c.seqs.ranges[seq] = r
	}
	out := make([]int64, 0, n)
	for len(out) < n {
		if r.next >= r.end {
			first, count, err := c.cat.ClaimSequence(ctx, seq, int64(n-len(out)))
			if err != nil {
				return nil, storageError(err, seq)
			}
			r.next, r.end = first, first+count
		}
		for r.next < r.end && len(out) < n {
			v := r.next
			if def != nil {
				var ok bool
				if v, ok = def.Value(r.next); !ok {
					if def.Increment > 0 {
						return nil, sqlstate.New(sqlstate.SequenceGeneratorLimitExceeded, "nextval: reached maximum value of sequence %q (%d)", seq, def.Max)
					}
					return nil, sqlstate.New(sqlstate.SequenceGeneratorLimitExceeded, "nextval: reached minimum value of sequence %q (%d)", seq, def.Min)
				}
			}
			out = append(out, v)
			r.next++
		}
	}
	return out, nil
}

// forgetSequences drops a dropped table's sequences: their claims in
// storage and this node's ranges.
func (c *storageCatalog) forgetSequences(ctx context.Context, seqs []string) {
	c.seqs.mu.Lock()
	for _, s := range seqs {
		delete(c.seqs.ranges, s)
		delete(c.seqs.defs, s)
	}
	c.seqs.mu.Unlock()
	for _, s := range seqs {
		if err := c.cat.DropSequence(ctx, s); err != nil {
			c.logger.Warn("dropped table keeps sequence claims", "sequence", s, "err", err)
		}
	}
}
