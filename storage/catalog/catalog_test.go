package catalog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/storage/catalog"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/azuritetest"
	"github.com/lancegate/lancegate/storage/objstore/objstoretest"
)

func TestMain(m *testing.M) { azuritetest.Main(m) }

func TestCatalog(t *testing.T) { objstoretest.EachBackend(t, testCatalog) }

func testCatalog(t *testing.T, store objstore.Store) {
	ctx := context.Background()
	c := catalog.New(store, nil)
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	for _, name := range []string{"b", "a"} {
		if _, err := c.Create(ctx, name, schema, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Create(ctx, "a", schema, ""); !errors.Is(err, catalog.ErrTableExists) {
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
	if _, err := c.Create(ctx, "a", schema, ""); err != nil {
		t.Errorf("re-create after drop: %v", err)
	}
	for _, bad := range []string{"", "../x", "a/b", ".hidden"} {
		if _, err := c.Open(ctx, bad); !errors.Is(err, catalog.ErrInvalidName) {
			t.Errorf("Open(%q): %v; want ErrInvalidName", bad, err)
		}
	}
}

// TestLocations keeps tables in other places than the storage root: a
// local folder, and a second Azure container reached through an az:// URI
// and storage options, as a customer's account would be. The root holds
// only their location records; listing, opening, name clashes and drops
// behave as for tables in the root.
func TestLocations(t *testing.T) {
	ctx := context.Background()
	az := azuritetest.Shared(t)
	other := azuritetest.NewContainerName()
	if err := az.CreateContainer(ctx, other); err != nil {
		t.Fatal(err)
	}
	opener := objstore.NewOpener(map[string]string{
		"account_name": objstore.EmulatorAccount, "account_key": objstore.EmulatorKey, "endpoint": az.Endpoint(),
	}, nil)
	root := objstoretest.Named("azure")[0].NewStore(t)
	c := catalog.New(root, opener)
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	dir := t.TempDir()
	locs := map[string]string{
		"home":     "",
		"customer": "az://" + other + "/lakes/customer.lance",
		"scratch":  dir + "/scratch.lance",
	}
	for name, loc := range locs {
		if _, err := c.Create(ctx, name, schema, loc); err != nil {
			t.Fatalf("Create(%s at %q): %v", name, loc, err)
		}
	}
	names, err := c.List(ctx)
	if err != nil || fmt.Sprint(names) != "[customer home scratch]" {
		t.Fatalf("List = %v, %v; want [customer home scratch]", names, err)
	}
	for name, loc := range locs {
		ds, err := c.Open(ctx, name)
		if err != nil {
			t.Fatalf("Open(%s): %v", name, err)
		}
		if got, _ := c.Location(ctx, name); got != loc {
			t.Errorf("Location(%s) = %q; want %q", name, got, loc)
		}
		if ds.Version() != 1 {
			t.Errorf("%s: version %d; want 1", name, ds.Version())
		}
	}
	// The customer table's dataset is in the other container, where
	// pylance or LanceDB would open it by the same URI.
	store, prefix, err := opener.OpenLocation(ctx, locs["customer"])
	if err != nil {
		t.Fatal(err)
	}
	if ds, err := lance.Open(ctx, store, prefix); err != nil || prefix != "lakes/customer.lance" {
		t.Fatalf("dataset at the location: %v, prefix %q", err, prefix)
	} else if ds.Schema().Arrow().Field(0).Name != "id" {
		t.Errorf("dataset at the location has schema %v", ds.Schema().Arrow())
	}
	// Name clashes, either way round, and a location already in use.
	if _, err := c.Create(ctx, "customer", schema, ""); !errors.Is(err, catalog.ErrTableExists) {
		t.Errorf("Create(customer) in the root: %v; want ErrTableExists", err)
	}
	if _, err := c.Create(ctx, "home", schema, dir+"/home.lance"); !errors.Is(err, catalog.ErrTableExists) {
		t.Errorf("Create(home) at a location: %v; want ErrTableExists", err)
	}
	if _, err := c.Create(ctx, "again", schema, locs["customer"]); !errors.Is(err, catalog.ErrLocationInUse) {
		t.Errorf("Create at a location in use: %v; want ErrLocationInUse", err)
	}
	if _, err := c.Open(ctx, "again"); !errors.Is(err, catalog.ErrNoTable) {
		t.Errorf("a failed create left table again behind: %v", err)
	}
	for _, bad := range []string{"relative/x.lance", "s3://bucket/x.lance", "az://" + other} {
		if _, err := c.Create(ctx, "bad", schema, bad); !errors.Is(err, objstore.ErrInvalidLocation) {
			t.Errorf("Create at %q: %v; want ErrInvalidLocation", bad, err)
		}
	}
	// Drop removes the record and the dataset at the location.
	if err := c.Drop(ctx, "customer"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Open(ctx, "customer"); !errors.Is(err, catalog.ErrNoTable) {
		t.Errorf("Open(customer) after drop: %v; want ErrNoTable", err)
	}
	for info, err := range store.List(ctx, "lakes/") {
		t.Errorf("after drop, the location still holds %s (%v)", info.Key, err)
	}
	// Without a Locator, locations are refused rather than ignored.
	if _, err := catalog.New(root, nil).Create(ctx, "x", schema, dir+"/x.lance"); !errors.Is(err, catalog.ErrNoLocations) {
		t.Errorf("Create at a location without a Locator: %v; want ErrNoLocations", err)
	}
}
