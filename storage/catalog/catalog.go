// Package catalog maps table names to Lance datasets in one storage root:
// table t of schema public is the dataset <root>/t.lance, the layout
// LanceDB's directory connection uses, so lancedb.connect(root) and
// lancegate see the same tables, and a dataset pylance puts there appears
// as a table.
//
// The catalog holds no state of its own: the listing of the root is the
// list of tables, and a table exists exactly when its dataset has a
// committed manifest. Creating a table is creating version 1 of its
// dataset, which is atomic (a conditional put), so two concurrent CREATE
// TABLEs of one name cannot both succeed.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
)

// Suffix is the folder suffix of a table's dataset.
const Suffix = ".lance"

// ErrNoTable reports a table that does not exist. Test it with errors.Is.
var ErrNoTable = errors.New("table does not exist")

// ErrTableExists reports creating a table that exists. Test it with
// errors.Is.
var ErrTableExists = errors.New("table already exists")

// ErrInvalidName reports a table name that cannot be a dataset folder.
// Test it with errors.Is.
var ErrInvalidName = errors.New("invalid table name")

// Catalog is the set of tables in one storage root.
type Catalog struct {
	store objstore.Store
}

// New returns the catalog of the tables in store.
func New(store objstore.Store) *Catalog { return &Catalog{store: store} }

// Store returns the object store the tables live in.
func (c *Catalog) Store() objstore.Store { return c.store }

// Root returns the dataset key prefix of table name.
func Root(name string) string { return name + Suffix }

func checkName(name string) error {
	if name == "" || strings.ContainsAny(name, "/\\\x00") || name == "." || name == ".." || strings.HasPrefix(name, ".") {
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	return nil
}

// Open opens the newest version of table name.
func (c *Catalog) Open(ctx context.Context, name string) (*lance.Dataset, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	ds, err := lance.Open(ctx, c.store, Root(name))
	if errors.Is(err, lance.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNoTable, name)
	}
	return ds, err
}

// Create creates table name with schema and no rows.
func (c *Catalog) Create(ctx context.Context, name string, schema *arrow.Schema) (*lance.Dataset, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	ds, err := lance.Create(ctx, c.store, Root(name), schema, nil, lance.WriteOptions{})
	if errors.Is(err, lance.ErrExists) {
		return nil, fmt.Errorf("%w: %s", ErrTableExists, name)
	}
	return ds, err
}

// Drop deletes every file of table name. A reader holding a snapshot of it
// may fail afterwards; writers racing the drop may leave files behind,
// which a later CREATE of the same name does not see as a table until a
// manifest is committed.
func (c *Catalog) Drop(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	root := Root(name) + "/"
	var keys []string
	for info, err := range c.store.List(ctx, root) {
		if err != nil {
			return err
		}
		keys = append(keys, info.Key)
	}
	if len(keys) == 0 {
		return fmt.Errorf("%w: %s", ErrNoTable, name)
	}
	// Manifests first, so the table stops existing before its data goes.
	sort.SliceStable(keys, func(i, j int) bool {
		return strings.Contains(keys[i], "/_versions/") && !strings.Contains(keys[j], "/_versions/")
	})
	for _, k := range keys {
		if err := c.store.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// List returns the names of the tables, sorted. A folder named *.lance
// without a committed manifest is not a table.
func (c *Catalog) List(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	var names []string
	for info, err := range c.store.List(ctx, "") {
		if err != nil {
			return nil, err
		}
		dir, rest, ok := strings.Cut(info.Key, "/")
		if !ok || !strings.HasSuffix(dir, Suffix) || seen[dir] {
			continue
		}
		if !strings.HasPrefix(rest, "_versions/") || !strings.HasSuffix(rest, ".manifest") {
			continue
		}
		seen[dir] = true
		names = append(names, strings.TrimSuffix(dir, Suffix))
	}
	sort.Strings(names)
	return names, nil
}
