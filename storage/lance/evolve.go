package lance

import (
	"context"
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/storage/lance/datafile"
	"github.com/lancegate/lancegate/storage/lance/pb"
)

// maxFieldID is the largest field id the schema or any data file uses; new
// fields are numbered above it so that a dropped column's id is never
// reused, as Lance requires.
func maxFieldID(m *pb.Manifest) int32 {
	mx := int32(-1)
	for _, f := range m.Fields {
		mx = max(mx, f.Id)
	}
	for _, fr := range m.Fragments {
		for _, df := range fr.Files {
			for _, id := range df.Fields {
				mx = max(mx, id)
			}
		}
	}
	return mx
}

// AddColumns adds nullable columns in one commit without writing data, as
// pylance's all-null add_columns does: no data file holds the new fields,
// so every existing row reads null for them.
func (d *Dataset) AddColumns(ctx context.Context, fields []arrow.Field) (*Dataset, error) {
	for _, f := range fields {
		if !f.Nullable {
			return nil, fmt.Errorf("add column %q: %w: a column added without data must be nullable", f.Name, ErrNullViolation)
		}
		if d.schema.Index(f.Name) >= 0 {
			return nil, fmt.Errorf("add column %q: %w", f.Name, ErrColumnExists)
		}
	}
	added, err := NewSchema(arrow.NewSchema(fields, nil), maxFieldID(d.manifest)+1)
	if err != nil {
		return nil, err
	}
	if added.HasLists() && d.format == datafile.V2_0 {
		return nil, fmt.Errorf("add columns: %w: list columns need data file version 2.1 and this dataset's files are 2.0 (a dataset's files share one version)", ErrUnsupportedType)
	}
	newFields := append(append([]*pb.Field(nil), d.schema.Fields()...), added.Fields()...)
	txn := &pb.Transaction{Operation: &pb.Transaction_Merge_{Merge: &pb.Transaction_Merge{
		Fragments:      d.manifest.Fragments,
		Schema:         newFields,
		SchemaMetadata: d.manifest.SchemaMetadata,
	}}}
	return commit(ctx, d.store, d.root, d, commitSpec{
		txn:    txn,
		format: d.format,
		scheme: d.scheme,
		build: func(latest *pb.Manifest, idx *pb.IndexSection) (*pb.Manifest, *pb.IndexSection, error) {
			latest.Fields = newFields
			return latest, idx, nil
		},
	})
}

// DropColumns removes top-level columns from the schema in one commit,
// leaving the data files as they are (metadata only, as Lance does).
// Indices over dropped columns are removed.
func (d *Dataset) DropColumns(ctx context.Context, names []string) (*Dataset, error) {
	drop := map[int32]bool{}
	for _, n := range names {
		i := d.schema.Index(n)
		if i < 0 {
			return nil, fmt.Errorf("drop column %q: %w", n, ErrNoColumn)
		}
		drop[d.schema.FieldID(i)] = true
	}
	// Drop the fields and their descendants (pre-order: parents first).
	var kept []*pb.Field
	for _, f := range d.schema.Fields() {
		if drop[f.Id] || (f.ParentId != -1 && drop[f.ParentId]) {
			drop[f.Id] = true
			continue
		}
		kept = append(kept, f)
	}
	if len(kept) == 0 {
		return nil, fmt.Errorf("drop columns: %w: a table must keep at least one column", ErrNoColumn)
	}
	txn := &pb.Transaction{Operation: &pb.Transaction_Project_{Project: &pb.Transaction_Project{Schema: kept}}}
	return commit(ctx, d.store, d.root, d, commitSpec{
		txn:    txn,
		format: d.format,
		scheme: d.scheme,
		build: func(latest *pb.Manifest, idx *pb.IndexSection) (*pb.Manifest, *pb.IndexSection, error) {
			latest.Fields = kept
			if idx != nil {
				var indices []*pb.IndexMetadata
				for _, im := range idx.Indices {
					ok := true
					for _, fid := range im.Fields {
						ok = ok && !drop[fid]
					}
					if ok {
						indices = append(indices, im)
					}
				}
				idx.Indices = indices
			}
			return latest, idx, nil
		},
	})
}
