package catalog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/storage/catalog"
	"github.com/lancegate/lancegate/storage/objstore"
)

func TestCatalog(t *testing.T) {
	ctx := context.Background()
	store := objstore.NewMemory()
	c := catalog.New(store)
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	for _, name := range []string{"b", "a"} {
		if _, err := c.Create(ctx, name, schema); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Create(ctx, "a", schema); !errors.Is(err, catalog.ErrTableExists) {
		t.Errorf("Create(a) again: %v; want ErrTableExists", err)
	}
	// A folder without a manifest is not a table.
	if err := store.Put(ctx, "junk.lance/data/x.lance", bytes.NewReader([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	names, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(names) != "[a b]" {
		t.Errorf("List = %v; want [a b]", names)
	}
	if _, err := c.Open(ctx, "nope"); !errors.Is(err, catalog.ErrNoTable) {
		t.Errorf("Open(nope): %v; want ErrNoTable", err)
	}
	if err := c.Drop(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Open(ctx, "a"); !errors.Is(err, catalog.ErrNoTable) {
		t.Errorf("Open(a) after drop: %v; want ErrNoTable", err)
	}
	if err := c.Drop(ctx, "a"); !errors.Is(err, catalog.ErrNoTable) {
		t.Errorf("Drop(a) twice: %v; want ErrNoTable", err)
	}
	if _, err := c.Create(ctx, "a", schema); err != nil {
		t.Errorf("re-create after drop: %v", err)
	}
	for _, bad := range []string{"", "../x", "a/b", ".hidden"} {
		if _, err := c.Open(ctx, bad); !errors.Is(err, catalog.ErrInvalidName) {
			t.Errorf("Open(%q): %v; want ErrInvalidName", bad, err)
		}
	}
}
