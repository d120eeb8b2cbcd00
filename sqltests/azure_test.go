package sqltests

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lancegate/lancegate/gateway"
	"github.com/lancegate/lancegate/storage/objstore"
	"github.com/lancegate/lancegate/storage/objstore/azuritetest"
)

// hookTransport carries a store's requests to Azurite through
// http.DefaultTransport, first calling before (when set) on each one: the
// tests below use it to stop Azurite at a chosen request or to hold a
// request back. It causes real faults; it answers nothing itself.
type hookTransport struct {
	before atomic.Pointer[func(*http.Request)]
}

func (h *hookTransport) Do(req *http.Request) (*http.Response, error) {
	if f := h.before.Load(); f != nil {
		(*f)(req)
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (h *hookTransport) set(f func(*http.Request)) { h.before.Store(&f) }

// wantCode runs sql and checks it fails with SQLSTATE code.
func wantCode(t *testing.T, conn *pgx.Conn, code, sql string) *pgconn.PgError {
	t.Helper()
	_, err := conn.Exec(context.Background(), sql)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != code {
		t.Fatalf("%s: %v; want SQLSTATE %s", sql, err, code)
	}
	return pe
}

// hookedStore returns a store in a fresh container of az, its requests
// passing through hook, configured by tune.
func hookedStore(t *testing.T, az *azuritetest.Server, hook *hookTransport, tune func(*objstore.AzureConfig)) objstore.Store {
	t.Helper()
	name := azuritetest.NewContainerName()
	if err := az.CreateContainer(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	cfg := az.Config(name)
	tune(&cfg)
	store, err := objstore.NewAzure(cfg, hook)
	if err != nil {
		t.Fatal(err)
	}
	return store
}

// execAll runs statements that must succeed.
func execAll(t testing.TB, conn *pgx.Conn, sqls ...string) {
	t.Helper()
	for _, sql := range sqls {
		if _, err := conn.Exec(context.Background(), sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
}

func count(t *testing.T, conn *pgx.Conn, sql string) int64 {
	t.Helper()
	var n int64
	if err := conn.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// TestAzureStoppedMidWrite stops Azurite while an INSERT is uploading its
// data file: the statement fails cleanly with an I/O error, the connection
// and the server carry on, and once Azurite is back (same data folder) the
// table is at its previous version with every committed row.
func TestAzureStoppedMidWrite(t *testing.T) {
	az := azuritetest.Own(t, azuritetest.Options{Location: t.TempDir()})
	var hook hookTransport
	store := hookedStore(t, az, &hook, func(c *objstore.AzureConfig) {
		c.Prefix, c.MaxRetries, c.Timeout = "db", 2, 2*time.Second
	})
	conn := startServerOn(t, store).connect(t)
	ctx := context.Background()
	execAll(t, conn,
		`CREATE TABLE docs (id bigint, body text)`,
		`INSERT INTO docs SELECT 1, 'one'`,
		`INSERT INTO docs VALUES (2, 'two'), (3, 'three')`)
	var once sync.Once
	hook.set(func(r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/docs.lance/data/") {
			once.Do(az.Stop)
		}
	})
	pe := wantCode(t, conn, "58030", `INSERT INTO docs VALUES (4, 'four')`)
	if !strings.Contains(pe.Message, "storage unavailable") {
		t.Errorf("message %q; want it to say the storage is unavailable", pe.Message)
	}
	hook.set(func(*http.Request) {})
	// While Azurite is down, reads fail the same way and the session lives.
	wantCode(t, conn, "58030", `SELECT count(*) FROM docs`)
	if err := az.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, conn, `SELECT count(*) FROM docs`); n != 3 {
		t.Errorf("after restart: %d rows; want 3", n)
	}
	if v := count(t, conn, `SELECT max(version) FROM lance_versions('docs')`); v != 3 {
		t.Errorf("after restart: version %d; want 3 (the failed INSERT committed nothing)", v)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO docs VALUES (4, 'four')`); err != nil {
		t.Fatalf("INSERT after restart: %v", err)
	}
	if n := count(t, conn, `SELECT count(*) FROM docs`); n != 4 {
		t.Errorf("after the retried INSERT: %d rows; want 4", n)
	}
}

// TestAzureSlowBackend holds back reads of a table's data files: the
// SELECT fails within the per-request deadline with an I/O error, not a
// hang and not a statement timeout, and the connection carries on.
func TestAzureSlowBackend(t *testing.T) {
	var hook hookTransport
	store := hookedStore(t, azuritetest.Shared(t), &hook, func(c *objstore.AzureConfig) {
		c.Timeout, c.MaxRetries, c.RetryDelay = 300*time.Millisecond, 1, 10*time.Millisecond
	})
	conn := startServerOn(t, store).connect(t)
	execAll(t, conn, `CREATE TABLE t (id bigint)`, `INSERT INTO t VALUES (1), (2)`)
	hook.set(func(r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/t.lance/data/") {
			<-r.Context().Done() // the per-try deadline ends the wait
		}
	})
	start := time.Now()
	pe := wantCode(t, conn, "58030", `SELECT sum(id) FROM t`)
	if !strings.Contains(pe.Message, "timed out") {
		t.Errorf("message %q; want it to say the request timed out", pe.Message)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("failing took %v; want about two 300ms tries", d)
	}
	hook.set(func(*http.Request) {})
	if n := count(t, conn, `SELECT sum(id) FROM t`); n != 3 {
		t.Errorf("sum after the backend recovered = %d; want 3", n)
	}
}

// TestAzureCredentialAndContainerErrors: a store whose key is wrong answers
// every statement with SQLSTATE 42501; a container deleted under a running
// server makes statements fail with an I/O error naming it.
func TestAzureCredentialAndContainerErrors(t *testing.T) {
	az := azuritetest.Shared(t)
	name := azuritetest.NewContainerName()
	ctx := context.Background()
	if err := az.CreateContainer(ctx, name); err != nil {
		t.Fatal(err)
	}
	cfg := az.Config(name)
	cfg.AccountKey = "d3Jvbmcga2V5IGZvciB0aGUgZW11bGF0b3I=" // base64, but not the account's key
	bad, err := objstore.NewAzure(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Check(ctx); !errors.Is(err, objstore.ErrPermission) {
		t.Fatalf("Check with a wrong key = %v; want ErrPermission", err)
	}
	conn := startServerOn(t, bad).connect(t)
	wantCode(t, conn, "42501", `CREATE TABLE t (id bigint)`)
	wantCode(t, conn, "42501", `SELECT * FROM t`)

	missing := az.Config(azuritetest.NewContainerName())
	gone, err := objstore.NewAzure(missing, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := gone.Check(ctx); !errors.Is(err, objstore.ErrNoContainer) {
		t.Fatalf("Check of a missing container = %v; want ErrNoContainer", err)
	}
	conn = startServerOn(t, gone).connect(t)
	pe := wantCode(t, conn, "58030", `CREATE TABLE t (id bigint)`)
	if !strings.Contains(pe.Message, "container does not exist") {
		t.Errorf("message %q; want it to say the container does not exist", pe.Message)
	}
}

// TestTableLocations creates tables in another Azure container (as a
// customer's account in the hybrid model would be) and in a local folder
// next to tables in the root, and checks that SQL treats them alike; bad
// locations and parameters are refused with their SQLSTATEs.
func TestTableLocations(t *testing.T) {
	ctx := context.Background()
	az := azuritetest.Shared(t)
	other := azuritetest.NewContainerName()
	if err := az.CreateContainer(ctx, other); err != nil {
		t.Fatal(err)
	}
	opener := objstore.NewOpener(map[string]string{
		"account_name": objstore.EmulatorAccount, "account_key": objstore.EmulatorKey, "endpoint": az.Endpoint(),
	}, nil)
	srv := startServerWith(t, az.NewStore(t, "db", nil), gateway.Options{Locations: opener})
	conn := srv.connect(t)
	dir := t.TempDir()
	execAll(t, conn,
		`CREATE TABLE home (id bigint, v vector(2))`,
		`CREATE TABLE remote (id bigint, v vector(2)) WITH (location = 'az://`+other+`/customer/remote.lance')`,
		`CREATE TABLE nearby (id bigint) WITH (location = '`+dir+`/nearby.lance')`,
		`INSERT INTO home VALUES (1, '[0,0]'), (2, '[1,1]')`,
		`INSERT INTO remote VALUES (10, '[0,1]'), (20, '[5,5]'), (30, '[1,0]')`,
		`INSERT INTO nearby SELECT id FROM remote WHERE id > 10`,
		`DELETE FROM remote WHERE id = 30`)
	var ids []int64
	rows, err := conn.Query(ctx, `SELECT r.id FROM remote r JOIN home h ON r.id / 10 = h.id ORDER BY r.v <-> '[0,0]'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if rows.Err() != nil || fmt.Sprint(ids) != "[10 20]" {
		t.Errorf("join across locations = %v, %v; want [10 20]", ids, rows.Err())
	}
	if n := count(t, conn, `SELECT sum(id) FROM nearby`); n != 50 {
		t.Errorf("sum(nearby) = %d; want 50", n)
	}
	if v := count(t, conn, `SELECT max(version) FROM lance_versions('remote')`); v != 3 {
		t.Errorf("remote at version %d; want 3", v)
	}
	pe := wantCode(t, conn, "22023", `CREATE TABLE x (id int) WITH (fillfactor = 70)`)
	if pe.Position != 31 || !strings.Contains(pe.Message, `unrecognized parameter "fillfactor"`) {
		t.Errorf("unknown parameter: %q at %d; want unrecognized parameter at 31", pe.Message, pe.Position)
	}
	wantCode(t, conn, "22023", `CREATE TABLE x (id int) WITH (location = 'relative/x.lance')`)
	wantCode(t, conn, "22023", `CREATE TABLE x (id int) WITH (location = 's3://bucket/x.lance')`)
	wantCode(t, conn, "42710", `CREATE TABLE x (id int) WITH (location = 'az://`+other+`/customer/remote.lance')`)
	wantCode(t, conn, "42P07", `CREATE TABLE remote (id int)`)
	wantCode(t, conn, "42P01", `SELECT * FROM x`)
	execAll(t, conn, `DROP TABLE remote`, `DROP TABLE nearby`)
	wantCode(t, conn, "42P01", `SELECT * FROM remote`)
	if _, err := conn.Exec(ctx, `CREATE TABLE remote (id bigint) WITH (location = 'az://`+other+`/customer/remote.lance')`); err != nil {
		t.Fatalf("re-create at the dropped location: %v", err)
	}
}
