package lance_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/lance/datafile"
	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/objstoretest"
)

var listsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	{Name: "nums", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
}, nil)

// listRows makes ids [first, first+n): every 7th tags list is null, every
// 5th nums list empty, and some items null.
func listRows(mem memory.Allocator, first, n int) arrow.Record {
	b := array.NewRecordBuilder(mem, listsSchema)
	defer b.Release()
	for i := first; i < first+n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		tb := b.Field(1).(*array.ListBuilder)
		if i%7 == 0 {
			tb.AppendNull()
		} else {
			tb.Append(true)
			sb := tb.ValueBuilder().(*array.StringBuilder)
			for j := 0; j < i%4; j++ {
				if (i+j)%9 == 0 {
					sb.AppendNull()
				} else {
					sb.Append(string(rune('a' + (i+j)%26)))
				}
			}
		}
		nb := b.Field(2).(*array.ListBuilder)
		nb.Append(true)
		if i%5 != 0 {
			nb.ValueBuilder().(*array.Int32Builder).AppendValues([]int32{int32(i), int32(-i)}, nil)
		}
	}
	return b.NewRecord()
}

// scanAll returns every row of ds as one record.
func scanAll(t *testing.T, mem memory.Allocator, ds *lance.Dataset) arrow.Record {
	t.Helper()
	sc, err := ds.Scan(lance.ScanOptions{Mem: mem, BatchRows: 333})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	var recs []arrow.Record
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	for {
		rec, err := sc.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	cols := make([]arrow.Array, len(listsSchema.Fields()))
	for c := range cols {
		parts := make([]arrow.Array, len(recs))
		for i, r := range recs {
			parts[i] = r.Column(c)
		}
		a, err := array.Concatenate(parts, mem)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Release()
		cols[c] = a
	}
	return array.NewRecord(listsSchema, cols, -1)
}

func TestListColumns(t *testing.T) { objstoretest.EachBackend(t, testListColumns) }

// testListColumns creates a dataset with list columns (a 2.1 dataset whose
// data files list the items' field ids, as pylance writes them), appends,
// compacts and reads back every row.
func testListColumns(t *testing.T, store objstore.Store) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var rs readers
	defer rs.release()
	ds, err := lance.Create(ctx, store, "l", listsSchema, rs.of(t, listRows(mem, 0, 2500)), lance.WriteOptions{MaxRowsPerFile: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if ds.DataFormat() != datafile.V2_1 {
		t.Fatalf("created as %s; want 2.1", ds.DataFormat())
	}
	if ds, err = ds.Append(ctx, rs.of(t, listRows(mem, 2500, 10)), lance.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, f := range ds.Manifest().Fragments {
		for _, df := range f.Files {
			// id 0, tags 1 (its item 2), nums 3 (its item 4)
			if got := df.Fields; len(got) != 3 || got[0] != 0 || got[1] != 2 || got[2] != 4 || df.FileMinorVersion != 1 {
				t.Fatalf("data file fields %v, version 2.%d; want [0 2 4], 2.1", got, df.FileMinorVersion)
			}
		}
	}
	check := func(what string, ds *lance.Dataset) {
		t.Helper()
		want := listRows(mem, 0, 2510)
		defer want.Release()
		got := scanAll(t, mem, ds)
		defer got.Release()
		for c := range listsSchema.Fields() {
			if !array.Equal(got.Column(c), want.Column(c)) {
				t.Fatalf("%s: column %s differs", what, listsSchema.Field(c).Name)
			}
		}
	}
	check("after append", ds)
	ds, _, err = ds.Compact(ctx, lance.CompactOptions{TargetRowsPerFragment: 5000, Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ds.Fragments()); n != 1 {
		t.Fatalf("%d fragments after compaction; want 1", n)
	}
	check("after compaction", ds)
	if ds.DataFormat() != datafile.V2_1 {
		t.Fatalf("compacted into %s; want 2.1", ds.DataFormat())
	}

	// A 2.0 dataset cannot take a list column.
	flat, err := lance.Create(ctx, store, "flat", testSchema, nil, lance.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if flat.DataFormat() != datafile.V2_0 {
		t.Fatalf("flat dataset created as %s; want 2.0", flat.DataFormat())
	}
	if _, err := flat.AddColumns(ctx, []arrow.Field{{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true}}); !errors.Is(err, lance.ErrUnsupportedType) {
		t.Fatalf("AddColumns(list) on 2.0: %v; want ErrUnsupportedType", err)
	}
}
