// Package catalog maps table names to Lance datasets.
//
// A table t of schema public is, by default, the dataset <root>/t.lance in
// the server's storage root: the layout LanceDB's directory connection
// uses, so lancedb.connect(root) and lancegate see the same tables, and a
// dataset pylance puts there appears as a table.
//
// A table may instead live at a location of its own (CREATE TABLE … WITH
// (location = 'abfss://container@account.dfs.core.windows.net/path')): in
// another container or storage account, such as a customer's in the hybrid
// deployment model. Such a table is recorded by a small object in the root,
//
//	<root>/_lancegate/tables/<t>.json   {"location": "<uri>"}
//
// created with a conditional put, and its dataset lives at the location.
//
// The catalog holds no state of its own: the listing of the root is the
// list of tables, and a table exists exactly when its dataset has a
// committed manifest or its location record exists. Creating a table is
// creating version 1 of its dataset (or its location record), which is
// atomic, so two concurrent CREATE TABLEs of one name cannot both succeed.
package catalog

import (
	"context"
	"encoding/json"
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

// locationsDir holds the location records of tables stored elsewhere.
const locationsDir = "_lancegate/tables/"

// ErrNoTable reports a table that does not exist. Test it with errors.Is.
var ErrNoTable = errors.New("table does not exist")

// ErrTableExists reports creating a table that exists. Test it with
// errors.Is.
var ErrTableExists = errors.New("table already exists")

// ErrInvalidName reports a table name that cannot be a dataset folder.
// Test it with errors.Is.
var ErrInvalidName = errors.New("invalid table name")

// ErrLocationInUse reports creating a table at a location that already
// holds a dataset. Test it with errors.Is.
var ErrLocationInUse = errors.New("location already holds a dataset")

// ErrNoLocations reports a table location on a catalog made without a
// Locator. Test it with errors.Is.
var ErrNoLocations = errors.New("table locations are not available")

// Locator opens the store a table location names and returns the key
// prefix of the location inside it; objstore.Opener implements it.
type Locator interface {
	OpenLocation(ctx context.Context, uri string) (objstore.Store, string, error)
}

// Catalog is the set of tables of one storage root.
type Catalog struct {
	store objstore.Store
	loc   Locator
}

// New returns the catalog of the tables in store. loc opens the locations
// of tables stored elsewhere; nil refuses them (ErrNoLocations).
func New(store objstore.Store, loc Locator) *Catalog { return &Catalog{store: store, loc: loc} }

// Store returns the object store of the storage root.
func (c *Catalog) Store() objstore.Store { return c.store }

// Root returns the dataset key prefix of table name in the storage root.
func Root(name string) string { return name + Suffix }

// URI returns the URI of table name's dataset for messages and events:
// its location when it has one, else its folder under rootURI (the
// storage root as configured, e.g. az://container/prefix or a path).
func URI(rootURI, location, name string) string {
	if location != "" {
		return location
	}
	return strings.TrimSuffix(rootURI, "/") + "/" + Root(name)
}

// TableURI returns the URI of ds, a version of table name, for messages
// and events (see URI). Only a dataset outside the root store (a table
// WITH (location = …)) costs a read: its location record.
func (c *Catalog) TableURI(ctx context.Context, rootURI, name string, ds *lance.Dataset) string {
	var loc string
	if ds != nil && ds.Store() != c.store {
		loc, _ = c.location(ctx, name)
	}
	return URI(rootURI, loc, name)
}

func checkName(name string) error {
	if name == "" || strings.ContainsAny(name, "/\\\x00") || name == "." || name == ".." || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_lancegate") {
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	return nil
}

// record is the content of a location record.
type record struct {
	Location string `json:"location"`
}

func recordKey(name string) string { return locationsDir + name + ".json" }

// location returns the location of table name, or "" when it has no
// record.
func (c *Catalog) location(ctx context.Context, name string) (string, error) {
	data, err := objstore.ReadAll(ctx, c.store, recordKey(name))
	if errors.Is(err, objstore.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var r record
	if err := json.Unmarshal(data, &r); err != nil || r.Location == "" {
		return "", fmt.Errorf("%w: location record of table %s: %v", lance.ErrCorrupt, name, err)
	}
	return r.Location, nil
}

// openLocation returns the store and dataset root of a location.
func (c *Catalog) openLocation(ctx context.Context, uri string) (objstore.Store, string, error) {
	if c.loc == nil {
		return nil, "", fmt.Errorf("%w: %s", ErrNoLocations, uri)
	}
	return c.loc.OpenLocation(ctx, uri)
}

// Location returns where table name's dataset is: its location URI, or ""
// for the storage root.
func (c *Catalog) Location(ctx context.Context, name string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	return c.location(ctx, name)
}

// Open opens the newest version of table name.
func (c *Catalog) Open(ctx context.Context, name string) (*lance.Dataset, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	ds, err := lance.Open(ctx, c.store, Root(name))
	if !errors.Is(err, lance.ErrNotFound) {
		return ds, err
	}
	// Tables in the root need one listing; only a miss pays for the
	// location record.
	loc, lerr := c.location(ctx, name)
	if lerr != nil {
		return nil, lerr
	}
	if loc == "" {
		return nil, fmt.Errorf("%w: %s", ErrNoTable, name)
	}
	store, root, err := c.openLocation(ctx, loc)
	if err != nil {
		return nil, fmt.Errorf("table %s at %s: %w", name, loc, err)
	}
	ds, err = lance.Open(ctx, store, root)
	if err != nil {
		return nil, fmt.Errorf("table %s at %s: %w", name, loc, err)
	}
	return ds, nil
}

// Create creates table name with schema and no rows: in the storage root
// when location is "", else at location (which must hold no dataset).
func (c *Catalog) Create(ctx context.Context, name string, schema *arrow.Schema, location string) (*lance.Dataset, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if location == "" {
		if loc, err := c.location(ctx, name); err != nil {
			return nil, err
		} else if loc != "" {
			return nil, fmt.Errorf("%w: %s", ErrTableExists, name)
		}
		ds, err := lance.Create(ctx, c.store, Root(name), schema, nil, lance.WriteOptions{})
		if errors.Is(err, lance.ErrExists) {
			return nil, fmt.Errorf("%w: %s", ErrTableExists, name)
		}
		return ds, err
	}
	store, root, err := c.openLocation(ctx, location)
	if err != nil {
		return nil, fmt.Errorf("table %s at %s: %w", name, location, err)
	}
	if _, err := lance.Open(ctx, c.store, Root(name)); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrTableExists, name)
	} else if !errors.Is(err, lance.ErrNotFound) {
		return nil, err
	}
	if _, err := lance.Open(ctx, store, root); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrLocationInUse, location)
	} else if !errors.Is(err, lance.ErrNotFound) {
		return nil, fmt.Errorf("table %s at %s: %w", name, location, err)
	}
	rec, err := json.Marshal(record{Location: location})
	if err != nil {
		return nil, err
	}
	// The record is the table's existence: claim the name first.
	if err := c.store.PutIfAbsent(ctx, recordKey(name), rec); errors.Is(err, objstore.ErrPreconditionFailed) {
		return nil, fmt.Errorf("%w: %s", ErrTableExists, name)
	} else if err != nil {
		return nil, err
	}
	ds, err := lance.Create(ctx, store, root, schema, nil, lance.WriteOptions{})
	if err != nil {
		// Give the name back; the location holds nothing of ours.
		if derr := c.store.Delete(context.WithoutCancel(ctx), recordKey(name)); derr != nil {
			err = errors.Join(err, derr)
		}
		if errors.Is(err, lance.ErrExists) {
			return nil, fmt.Errorf("%w: %s", ErrLocationInUse, location)
		}
		return nil, fmt.Errorf("table %s at %s: %w", name, location, err)
	}
	return ds, nil
}

// Drop deletes every file of table name, and its location record. A reader
// holding a snapshot of it may fail afterwards; writers racing the drop
// may leave files behind, which a later CREATE of the same name does not
// see as a table until a manifest is committed.
func (c *Catalog) Drop(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	n, err := deleteDataset(ctx, c.store, Root(name))
	if err != nil || n > 0 {
		return err
	}
	loc, err := c.location(ctx, name)
	if err != nil {
		return err
	}
	if loc == "" {
		return fmt.Errorf("%w: %s", ErrNoTable, name)
	}
	store, root, err := c.openLocation(ctx, loc)
	if err != nil {
		return fmt.Errorf("table %s at %s: %w", name, loc, err)
	}
	// The record goes first, so the table stops existing before its data
	// goes.
	if err := c.store.Delete(ctx, recordKey(name)); err != nil {
		return err
	}
	_, err = deleteDataset(ctx, store, root)
	return err
}

// deleteDataset deletes the files under root, manifests first, and
// returns how many there were.
func deleteDataset(ctx context.Context, store objstore.Store, root string) (int, error) {
	var keys []string
	for info, err := range store.List(ctx, root+"/") {
		if err != nil {
			return 0, err
		}
		keys = append(keys, info.Key)
	}
	// Manifests first, so the table stops existing before its data goes.
	sort.SliceStable(keys, func(i, j int) bool {
		return strings.Contains(keys[i], "/_versions/") && !strings.Contains(keys[j], "/_versions/")
	})
	for _, k := range keys {
		if err := store.Delete(ctx, k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
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
		if rest, ok := strings.CutPrefix(info.Key, locationsDir); ok {
			if name, ok := strings.CutSuffix(rest, ".json"); ok && !seen[name] && checkName(name) == nil {
				seen[name] = true
				names = append(names, name)
			}
			continue
		}
		dir, rest, ok := strings.Cut(info.Key, "/")
		if !ok || !strings.HasSuffix(dir, Suffix) {
			continue
		}
		if !strings.HasPrefix(rest, "_versions/") || !strings.HasSuffix(rest, ".manifest") {
			continue
		}
		name := strings.TrimSuffix(dir, Suffix)
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}
