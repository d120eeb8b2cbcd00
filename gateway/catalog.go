package gateway

import (
	"context"

	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/planner"
)

// sessionCatalog is the catalog a session's statements see: tables pinned
// by the session's transaction, with its buffered writes.
type sessionCatalog struct {
	s *Session
}

var _ planner.Catalog = sessionCatalog{}

func (c sessionCatalog) storage() *storageCatalog { return c.s.e.tables }

// Table implements planner.Catalog: the first use of a table in a
// transaction pins its newest version.
func (c sessionCatalog) Table(ctx context.Context, name string) (planner.Table, error) {
	if r, ok := c.storage().catalogRelation(name); ok {
		return c.s.catalogTable(ctx, r)
	}
	if isSystemName(name) {
		return c.storage().Table(ctx, name)
	}
	tx := c.s.transaction()
	if t, ok := tx.tables[name]; ok {
		return t, nil
	}
	base, err := c.storage().Table(ctx, name)
	if err != nil {
		return nil, err
	}
	t := &txnTable{base: base.(*lanceTable), tx: tx}
	tx.tables[name] = t
	return t, nil
}

// ddl prepares a schema change of table name. Schema changes are not
// transactional: inside an explicit block (ORMs run their migrations in
// one) the change takes effect at once and is not undone by ROLLBACK,
// while the block's buffered writes to other tables stay buffered; a
// change to a table the block has written to is refused (0A000), since
// its buffered rows would no longer fit. Otherwise what the implicit
// transaction buffered is committed first.
func (c sessionCatalog) ddl(ctx context.Context, name string) error {
	tx := c.s.tx
	if tx == nil {
		return nil
	}
	if tx.explicit {
		if t, ok := tx.tables[name]; ok {
			if t.dirty() {
				return sqlstate.New(sqlstate.FeatureNotSupported, "cannot change table %q: this transaction block has uncommitted writes to it", name).
					WithHint("Schema changes are not transactional in lancegate; commit the writes first.")
			}
			delete(tx.tables, name)
		}
		return nil
	}
	if err := c.s.commit(ctx, tx); err != nil {
		return err
	}
	c.s.tx = newTxn(false)
	return nil
}

// CreateTable implements planner.Catalog.
func (c sessionCatalog) CreateTable(ctx context.Context, def planner.TableDef) (bool, error) {
	if err := c.ddl(ctx, def.Name); err != nil {
		return false, err
	}
	return c.storage().CreateTable(ctx, def)
}

// SearchSetting implements planner.SearchSettings: the vector search
// knobs, with pgvector's spellings as aliases.
func (c sessionCatalog) SearchSetting(name string) (string, bool) {
	alias := map[string]string{"lancegate.nprobes": "ivfflat.probes", "lancegate.ef": "hnsw.ef_search"}[name]
	if _, ok := c.s.settings.lookup(name); !ok {
		return "", false
	}
	return c.s.settings.knob(name, alias), true
}

// DropTable implements planner.Catalog.
func (c sessionCatalog) DropTable(ctx context.Context, name string, ifExists bool) (bool, error) {
	if err := c.ddl(ctx, name); err != nil {
		return false, err
	}
	return c.storage().DropTable(ctx, name, ifExists)
}

// alter runs ADD/DROP COLUMN for txnTable (see sessionCatalog.ddl for
// schema changes inside a transaction block).
func (t *txnTable) alter(ctx context.Context, run func(*lanceTable) error) error {
	if t.tx.explicit && t.dirty() {
		return sqlstate.New(sqlstate.FeatureNotSupported, "cannot alter table %q: this transaction block has uncommitted writes to it", t.base.name).
			WithHint("Schema changes are not transactional in lancegate; commit the writes first.")
	}
	if err := t.commit(ctx); err != nil {
		return err
	}
	t.discard()
	if err := run(t.base); err != nil {
		return err
	}
	delete(t.tx.tables, t.base.name)
	return nil
}
