package gateway

import (
	"context"
	"log/slog"
	"os"
	"runtime"
	"strings"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/lancegate/lancegate/executor/sqlstate"
	"github.com/lancegate/lancegate/gateway/pgcatalog"
	"github.com/lancegate/lancegate/gateway/pgwire"
	"github.com/lancegate/lancegate/planner"
	"github.com/lancegate/lancegate/storage/catalog"
	"github.com/lancegate/lancegate/storage/events"
	"github.com/lancegate/lancegate/storage/index/lanceindex"
	"github.com/lancegate/lancegate/storage/lance"
	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/roles"
)

// Options configures an Engine.
type Options struct {
	// Version is lancegate's version, reported in server_version and
	// version().
	Version string
	// Database is the one database's name ("lancegate").
	Database string
	// Mem allocates query memory; nil means memory.DefaultAllocator.
	Mem memory.Allocator
	// Logger receives session events; nil means slog.Default().
	Logger *slog.Logger
	// Locations opens the storage of tables created WITH (location =
	// '…') in other containers or accounts (objstore.Opener); nil refuses
	// such tables.
	Locations catalog.Locator
	// Events receives an event for every version the engine commits
	// (storage/events); nil publishes none. Publish must not block.
	Events Publisher
	// StorageURI is the storage root as configured, for the table URIs
	// events carry.
	StorageURI string
	// Node names this query node in events (default: the host name).
	Node string
	// PageCacheBytes bounds the decoded data pages kept for vector
	// searches' row reads; 0 means DefaultPageCacheBytes, negative none.
	PageCacheBytes int64
	// IndexCacheEntries bounds the vector index segments kept loaded; 0
	// means 16.
	IndexCacheEntries int
	// Cluster runs plan fragments on plan executors (executor/remote);
	// nil runs every statement in this process.
	Cluster planner.Cluster
	// Roles is the role database (storage/roles): sessions run as the
	// startup user's role and table privileges are enforced (roles.go,
	// roles_check.go). Nil: every user is a superuser and role statements
	// are refused.
	Roles *roles.Store
}

// DefaultPageCacheBytes is the default bound of the page cache: enough
// for the vectors of a few million 128-d rows.
const DefaultPageCacheBytes = 1 << 30

// Publisher takes the events of commits; events.Bus and
// events.KafkaPublisher implement it.
type Publisher interface {
	Publish(events.Event)
}

// Engine serves SQL over the tables of one storage root. It implements
// pgwire.Engine.
type Engine struct {
	cat    *catalog.Catalog
	tables *storageCatalog
	opts   Options
	conns  roleConns
}

var _ pgwire.Engine = (*Engine)(nil)

// NewEngine returns an engine over the tables in store.
func NewEngine(store objstore.Store, opts Options) *Engine {
	if opts.Version == "" {
		opts.Version = "0.0.0"
	}
	if opts.Database == "" {
		opts.Database = "lancegate"
	}
	if opts.Mem == nil {
		opts.Mem = memory.DefaultAllocator
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Node == "" {
		opts.Node, _ = os.Hostname()
	}
	cat := catalog.New(store, opts.Locations)
	tables := &storageCatalog{cat: cat, pub: opts.Events, rootURI: opts.StorageURI, node: opts.Node, logger: opts.Logger, indexes: lanceindex.NewSegmentCache(opts.IndexCacheEntries), pg: pgcatalog.New()}
	switch {
	case opts.PageCacheBytes == 0:
		tables.pages = lance.NewPageCache(DefaultPageCacheBytes)
	case opts.PageCacheBytes > 0:
		tables.pages = lance.NewPageCache(opts.PageCacheBytes)
	}
	if ml, ok := opts.Cluster.(MemberLister); ok {
		tables.members = ml.Members
	}
	return &Engine{cat: cat, tables: tables, opts: opts}
}

// versionString is version()'s text.
func (e *Engine) versionString() string {
	arch := runtime.GOARCH
	if arch == "amd64" {
		arch = "x86_64"
	}
	return "PostgreSQL " + pgVersion + " (lancegate " + e.opts.Version + ") on " + arch + "-pc-linux-gnu, compiled by " + runtime.Version() + ", 64-bit"
}

// NewSession implements pgwire.Engine.
func (e *Engine) NewSession(ctx context.Context, s pgwire.Startup) (pgwire.Session, error) {
	if s.Database != e.opts.Database && s.Database != "postgres" {
		return nil, sqlstate.New(sqlstate.InvalidCatalogName, "database %q does not exist", s.Database)
	}
	sess := newSession(e, s)
	for k, v := range s.Params {
		switch strings.ToLower(k) {
		case "user", "database", "replication":
			continue
		case "options":
			if err := sess.applyOptions(v); err != nil {
				return nil, err
			}
			continue
		}
		if strings.HasPrefix(k, "_pq_.") {
			continue
		}
		if _, _, err := sess.settings.set(k, v); err != nil {
			return nil, err
		}
	}
	sess.settings.values["session_authorization"] = s.User
	if err := sess.startRole(ctx); err != nil {
		return nil, err
	}
	return sess, nil
}
