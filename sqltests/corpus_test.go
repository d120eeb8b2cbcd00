package sqltests

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lancegate/lancegate/executor/pgtype"
	"github.com/lancegate/lancegate/sqltests/pgref"
)

// updateCorpus rewrites the ratchet file of TestCorpus.
var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/corpus/known_failures.txt from the corpus replay")

// knownFailuresPath is the ratchet file.
var knownFailuresPath = filepath.Join("testdata", "corpus", "known_failures.txt")

// corpusFixture builds the README's fixture. pg is what the reference
// PostgreSQL runs (pgvector's vector(3) as real[], a stand-in for
// pgvector, no vector index);
// lancegate lists what lancegate runs, best first, each with what that
// form lacks of the real fixture: the first form lancegate accepts is used
// and what it lacks is logged by the test. A step with no form accepted is
// missing from lancegate's fixture, or fails the test when it is required
// (the tables and rows everything else reads).
var corpusFixture = []struct {
	part      string
	pg        string
	lancegate []fixtureForm
	required  bool
}{
	{
		// The reference has no pgvector; a stand-in lets it run the
		// corpus's vector statements: a domain named vector, and <-> on
		// real[] (the embedding column's type there).
		part: "extension vector",
		pg: `CREATE DOMAIN vector AS real[];
			CREATE FUNCTION l2_distance(real[], real[]) RETURNS double precision IMMUTABLE LANGUAGE sql
				AS 'SELECT sqrt(sum((x - y) ^ 2)) FROM unnest($1, $2) AS t(x, y)';
			CREATE OPERATOR <-> (LEFTARG = real[], RIGHTARG = real[], FUNCTION = l2_distance)`,
		lancegate: []fixtureForm{{sql: `CREATE EXTENSION IF NOT EXISTS vector`}},
	},
	{
		part: "table items",
		pg: `CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL, tags text[],
			price numeric(10,2) DEFAULT 0, created_at timestamptz DEFAULT now(), embedding real[])`,
		lancegate: []fixtureForm{
			{sql: `CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL, tags text[],
				price numeric(10,2) DEFAULT 0, created_at timestamptz DEFAULT now(), embedding vector(3))`},
			{sql: `CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL, tags text,
				price numeric(10,2), created_at timestamptz, embedding vector(3))`,
				lacks: "items: DEFAULT, text[] (tags is text)"},
			{sql: `CREATE TABLE items (id bigint, name text NOT NULL, tags text[],
				price numeric(10,2), created_at timestamptz, embedding vector(3))`,
				lacks: "items: bigserial, PRIMARY KEY, DEFAULT"},
			{sql: `CREATE TABLE items (id bigint, name text NOT NULL, tags text,
				price double precision, created_at timestamptz, embedding vector(3))`,
				lacks: "items: bigserial, PRIMARY KEY, DEFAULT, text[] (tags is text), numeric(10,2) (price is double precision)"},
		},
		required: true,
	},
	{
		part:      "COMMENT ON TABLE",
		pg:        `COMMENT ON TABLE items IS 'demo items'`,
		lancegate: []fixtureForm{{sql: `COMMENT ON TABLE items IS 'demo items'`}},
	},
	{
		part:      "COMMENT ON COLUMN",
		pg:        `COMMENT ON COLUMN items.name IS 'item name'`,
		lancegate: []fixtureForm{{sql: `COMMENT ON COLUMN items.name IS 'item name'`}},
	},
	{
		part:      "btree index items_name_idx",
		pg:        `CREATE INDEX items_name_idx ON items (name)`,
		lancegate: []fixtureForm{{sql: `CREATE INDEX items_name_idx ON items (name)`}},
	},
	{
		part:      "hnsw index items_emb_idx",
		pg:        `SELECT 'no pgvector: no items_emb_idx'`,
		lancegate: []fixtureForm{{sql: `CREATE INDEX items_emb_idx ON items USING hnsw (embedding vector_l2_ops)`}},
	},
	{
		part: "table orders",
		pg:   `CREATE TABLE orders (id int PRIMARY KEY, item_id bigint REFERENCES items (id), qty int CHECK (qty > 0))`,
		lancegate: []fixtureForm{
			{sql: `CREATE TABLE orders (id int PRIMARY KEY, item_id bigint REFERENCES items (id), qty int CHECK (qty > 0))`},
			{sql: `CREATE TABLE orders (id int, item_id bigint, qty int)`, lacks: "orders: PRIMARY KEY, REFERENCES, CHECK"},
		},
		required: true,
	},
	{
		part:      "view v_items",
		pg:        `CREATE VIEW v_items AS SELECT id, name FROM items`,
		lancegate: []fixtureForm{{sql: `CREATE VIEW v_items AS SELECT id, name FROM items`}},
	},
	{
		part: "rows of items",
		pg:   `INSERT INTO items (name, tags, embedding) VALUES ('a', '{x,y}', '{1,2,3}'), ('b', NULL, '{4,5,6}')`,
		lancegate: []fixtureForm{
			{sql: `INSERT INTO items (name, tags, embedding) VALUES ('a', '{x,y}', '[1,2,3]'), ('b', NULL, '[4,5,6]')`,
				ifReal: "table items"},
			// Without the real items (no defaults) the values PostgreSQL's
			// defaults give, explicitly; the ids from the serial column
			// when there is one, else explicit too.
			{sql: `INSERT INTO items (name, tags, price, created_at, embedding) VALUES
				('a', '{x,y}', 0, now(), '[1,2,3]'), ('b', NULL, 0, now(), '[4,5,6]')`},
			{sql: `INSERT INTO items (id, name, tags, price, created_at, embedding) VALUES
				(1, 'a', '{x,y}', 0, now(), '[1,2,3]'), (2, 'b', NULL, 0, now(), '[4,5,6]')`},
		},
		required: true,
	},
}

// fixtureForm is one way of creating part of the fixture on lancegate.
type fixtureForm struct {
	sql string
	// lacks is what the form lacks of the real fixture; "" for the real
	// thing.
	lacks string
	// ifReal, when set, names a part that must have been created in its
	// real form for this form to be tried.
	ifReal string
}

// corpusRelations are the fixture relations whose OIDs appear literally in
// the corpus, with the OID PostgreSQL gave them when it was recorded.
var corpusRelations = []struct {
	name string
	oid  string
}{{"items", "16714"}, {"orders", "16726"}, {"v_items", "16737"}}

// corpusCancelled names the files whose statements the client cancelled
// with a CancelRequest while they ran.
var corpusCancelled = map[string]bool{"cancel": true}

// corpusValues opts statements into the comparison of row values: those
// whose answers depend neither on objects of the fixture lancegate lacks
// (checked by replaying the corpus on PostgreSQL over the full fixture and
// over one without them), nor on pgvector, the time (created_at), the
// server's build (version()) or the relations' OIDs, which are normalised.
// Left out on purpose: statements with vectors or created_at (libpq:2,
// pgjdbc:3, pgjdbc:19, pgx:1, pgx:6, psycopg3:2), pgvector's type OIDs
// (pgx:3, psycopg2:4), version() (sqlalchemy14:4), and column defaults,
// NOT NULL of the primary key and relhasindex (pgjdbc:11, psql:4, psql:5,
// psql:15, psql:16, sqlalchemy14:11, sqlalchemy14:22).
var corpusValues = map[string]string{
	"auth:1":          "constant",
	"libpq:1":         "count over the fixture",
	"node-pg:1":       "fixture rows",
	"node-pg:2":       "fixture rows",
	"node-pg:3":       "constant",
	"node-pg:4":       "pg_type rows of built-in types",
	"pgjdbc:4":        "pg_type row of int4",
	"pgjdbc:5":        "pg_type row of int4",
	"pgjdbc:7":        "constant",
	"pgjdbc:9":        "getSchemas",
	"pgjdbc:13":       "max_index_keys",
	"pgx:2":           "fixture rows",
	"pgx:8":           "constant",
	"pgx:10":          "constant",
	"pgx:12":          "count over the fixture and the rows pgx inserted (ids from bigserial)",
	"psql:2":          `\dt`,
	"psql:3":          `\d items: the relation's OID`,
	"psql:7":          `\d items: its foreign keys (none)`,
	"psql:9":          `\d items: policies (none)`,
	"psql:10":         `\d items: statistics objects (none)`,
	"psql:11":         `\d items: publications (none)`,
	"psql:12":         `\d items: triggers (none)`,
	"psql:13":         `\d items: parents (none)`,
	"psql:14":         `\d items: partitions (none)`,
	"psql:18":         `\dn`,
	"psycopg2:2":      "fixture rows (none)",
	"psycopg3:4":      "COPY TO of the rows psycopg inserted (ids from bigserial)",
	"psycopg3:6":      "pg_type row of int4",
	"sqlalchemy14:2":  "no hstore",
	"sqlalchemy14:5":  "current_schema()",
	"sqlalchemy14:6":  "transaction isolation level",
	"sqlalchemy14:7":  "standard_conforming_strings",
	"sqlalchemy14:8":  "schemas",
	"sqlalchemy14:9":  "table names",
	"sqlalchemy14:10": "the OID of items",
	"sqlalchemy14:12": "domains (none)",
	"sqlalchemy14:13": "enums (none)",
	"sqlalchemy14:16": "foreign keys of items (none)",
	"sqlalchemy14:18": "unique constraints of items (none)",
	"sqlalchemy14:20": "check constraints of items (none)",
	"sqlalchemy14:21": "the OID of orders",
	"sqlalchemy14:26": "indexes of orders other than its primary key (none)",
	"sqlalchemy14:27": "unique constraints of orders (none)",
	"sqlalchemy14:28": "comment on orders (none)",
	"sqlalchemy14:31": "count over the fixture",
}

// corpusRowsMayDiffer lists, one by one, the statements whose row counts
// (and so command tags) legitimately differ, and why: they describe
// objects of the fixture lancegate lacks (found by replaying the corpus on
// PostgreSQL over the full fixture and over one without those objects), or
// pgvector's objects, which lancegate has built in and the reference
// lacks.
var corpusRowsMayDiffer = map[string]string{
	"pgjdbc:10":       "getTables lists view v_items",
	"pgjdbc:12":       "getPrimaryKeys: primary key items_pkey",
	"pgjdbc:14":       "getImportedKeys: foreign key orders_item_id_fkey",
	"pgjdbc:15":       "getIndexInfo: indexes items_pkey, items_name_idx",
	"pgjdbc:16":       "pg_type: row type of v_items; pgvector's types",
	"pgjdbc:17":       "pg_type: row type of v_items and its array; pgvector's types",
	"pgjdbc:18":       "getFunctions in public: pgvector's functions",
	"psql:1":          `\d lists sequence items_id_seq and view v_items`,
	"psql:6":          `\d items: indexes items_pkey, items_name_idx`,
	"psql:8":          `\d items: referenced by orders_item_id_fkey`,
	"psql:17":         `\l lists the reference's own databases`,
	"psql:19":         `\df: pgvector's functions`,
	"psql:20":         `\dx: extension vector`,
	"psql:21":         `\di: indexes items_pkey, items_name_idx, orders_pkey`,
	"psql:22":         `\dT: pgvector's types`,
	"psql:23":         `\d v_items: the view`,
	"psql:24":         `\d v_items: the view`,
	"psql:25":         `\d v_items: the view's columns`,
	"psql:26":         `\du lists the reference's superuser postgres`,
	"psql:27":         `\dv: view v_items`,
	"psql:28":         `\ds: sequence items_id_seq`,
	"psql:29":         `\dp lists sequence items_id_seq and view v_items`,
	"psycopg2:4":      "pg_type: pgvector's types",
	"sqlalchemy14:14": "primary key columns of items",
	"sqlalchemy14:15": "primary key constraint of items",
	"sqlalchemy14:17": "indexes of items",
	"sqlalchemy14:19": "comment on table items",
	"sqlalchemy14:23": "primary key columns of orders",
	"sqlalchemy14:24": "primary key constraint of orders",
	"sqlalchemy14:25": "foreign key of orders",
	"sqlalchemy14:29": "check constraint of orders",
	"sqlalchemy14:30": "view v_items",
	"sqlalchemy14:12": "domains: the reference's stand-in domain vector (over real[]) beside information_schema's five",
}

// vectorLiteralRe matches statements with a vector literal, '[1,2,3]',
// which the reference's stand-in for pgvector (real[]) cannot read: they
// are checked on lancegate only for acceptance.
var vectorLiteralRe = regexp.MustCompile(`'\s*\[`)

// TestCorpus replays the client corpus (testdata/corpus, pg-compat.md
// §8.2) against lancegate and against a real PostgreSQL 15 started by the
// test (package pgref), each over the same fixture, and compares what they
// answer: acceptance (or the same SQLSTATE where PostgreSQL errors too),
// ParameterDescription, RowDescription (names, type OIDs, modifiers; for
// Parse entries both Describe(S)'s and the portal's), command tags, row
// counts (except where corpusRowsMayDiffer says why not), and the values
// of the statements opted in by corpusValues, with the fixture relations'
// OIDs written as $oid(items).
//
// The reference server has no pgvector: its embedding column is real[],
// which stands for vector(3) in comparisons, vector is a domain over
// real[] and <-> an operator on real[]. Statements with vector literals
// (vectorLiteralRe) are checked on lancegate only for acceptance.
//
// The ratchet: testdata/corpus/known_failures.txt lists the statements
// that do not answer as PostgreSQL does yet. A failure not listed is a
// regression; a listed statement that now passes fails the test too, so
// the list only shrinks (the lines to delete are printed).
// `go test ./sqltests -run TestCorpus -update-corpus` rewrites the list.
//
// Each file runs on a fresh lancegate server and a fresh database cloned
// from the reference fixture, over one connection per server, statements
// in file order.
//
// Without PostgreSQL 15 binaries the test skips, unless
// LANCEGATE_REQUIRE_PGREF=1 (set by `make test`); see package pgref.
func TestCorpus(t *testing.T) {
	files := loadCorpus(t)
	ref := pgref.Start(t)
	ctx := context.Background()

	// The reference gets lancegate's user and database names, so that
	// owners and current_database() compare equal.
	admin := connectCorpus(t, ref.DSN("postgres"))
	for _, step := range []string{
		"CREATE ROLE lancegate SUPERUSER LOGIN",
		"CREATE DATABASE fixture OWNER lancegate",
	} {
		if err := admin.Exec(ctx, step).Close(); err != nil {
			t.Fatalf("reference: %s: %v", step, err)
		}
	}
	fx := connectCorpus(t, ref.UserDSN("lancegate", "fixture"))
	for _, step := range corpusFixture {
		if err := fx.Exec(ctx, step.pg).Close(); err != nil {
			t.Fatalf("reference fixture: %s: %v", step.pg, err)
		}
	}
	fx.Close(ctx)

	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	failures := map[string]string{} // id → first difference
	complete := map[string]bool{}   // files replayed to the end
	var missing []string
	var summary []string
	for _, name := range names {
		entries := files[name]
		t.Run(name, func(t *testing.T) {
			refDSN := ref.UserDSN("lancegate", "lancegate")
			for _, step := range []string{
				"DROP DATABASE IF EXISTS lancegate WITH (FORCE)",
				"CREATE DATABASE lancegate TEMPLATE fixture OWNER lancegate",
			} {
				if err := admin.Exec(ctx, step).Close(); err != nil {
					t.Fatalf("reference: %s: %v", step, err)
				}
			}
			pg := connectCorpus(t, refDSN)
			srv := startServer(t)
			lg := connectCorpus(t, srv.dsn())
			miss := createLancegateFixture(t, lg)
			if missing == nil {
				missing = miss
			}
			pgOIDs, lgOIDs := relationOIDs(ctx, pg), relationOIDs(ctx, lg)
			lgSide := replaySide{name: "lancegate", vectors: true, vectorOID: pgtype.OIDVector}
			pgSide := replaySide{name: "postgres", vectorOID: typeOID(ctx, t, pg, "vector")}

			pass := 0
			for _, e := range entries {
				cancel := corpusCancelled[e.File]
				lr := replay(ctx, lg, lgSide, e, lgOIDs.Replace(e.SQL), cancel)
				pr := replay(ctx, pg, pgSide, e, pgOIDs.Replace(e.SQL), cancel)
				lgOIDs.Normalize(lr)
				pgOIDs.Normalize(pr)
				if d := compareCorpus(e, lr, pr); d != "" {
					failures[e.ID()] = d
					t.Logf("%s: %s", e.ID(), d)
				} else {
					pass++
				}
				lg = reconnectIfClosed(t, lg, srv.dsn())
				pg = reconnectIfClosed(t, pg, refDSN)
			}
			complete[name] = true
			summary = append(summary, fmt.Sprintf("%-13s %3d statements, %3d pass, %3d fail", name, len(entries), pass, len(entries)-pass))
		})
	}
	t.Logf("fixture parts lancegate lacks: %s", strings.Join(missing, "; "))
	t.Logf("per file:\n%s", strings.Join(summary, "\n"))
	t.Logf("failure causes:\n%s", corpusCauses(failures))

	all := map[string]bool{}
	for _, entries := range files {
		for _, e := range entries {
			all[e.ID()] = true
		}
	}
	for _, m := range []map[string]string{corpusValues, corpusRowsMayDiffer} {
		for _, id := range sortedIDs(m) {
			if !all[id] {
				t.Errorf("corpusValues or corpusRowsMayDiffer names %s, which is not in the corpus", id)
			}
		}
	}
	if len(complete) != len(files) {
		t.Fatalf("only %d of %d corpus files were replayed to the end; known_failures.txt is neither checked nor rewritten", len(complete), len(files))
	}
	if *updateCorpus {
		writeKnownFailures(t, failures)
		return
	}
	checkRatchet(t, all, failures)
}

// connectCorpus opens a low-level connection, closed when t ends.
func connectCorpus(t testing.TB, dsn string) *pgconn.PgConn {
	t.Helper()
	conn, err := pgconn.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// reconnectIfClosed replaces a connection a statement broke, so one
// broken statement does not fail the rest of its file.
func reconnectIfClosed(t testing.TB, conn *pgconn.PgConn, dsn string) *pgconn.PgConn {
	t.Helper()
	if !conn.IsClosed() {
		return conn
	}
	return connectCorpus(t, dsn)
}

// createLancegateFixture runs the fixture's lancegate forms and returns
// what the fixture it built lacks.
func createLancegateFixture(t testing.TB, conn *pgconn.PgConn) []string {
	t.Helper()
	ctx := context.Background()
	var missing []string
	real := map[string]bool{}
	for _, step := range corpusFixture {
		var errs []string
		for _, form := range step.lancegate {
			if form.ifReal != "" && !real[form.ifReal] {
				continue
			}
			err := conn.Exec(ctx, form.sql).Close()
			if err == nil {
				if form.lacks != "" {
					missing = append(missing, form.lacks)
				} else {
					real[step.part] = true
				}
				errs = nil
				break
			}
			errs = append(errs, oneLine(err))
		}
		switch {
		case errs == nil:
		case step.required:
			t.Fatalf("lancegate fixture: no form of %s accepted: %s", step.part, strings.Join(errs, "; "))
		default:
			missing = append(missing, step.part+" ("+errs[0]+")")
		}
	}
	return missing
}

// typeOID returns the OID of type name on the server behind conn.
func typeOID(ctx context.Context, t testing.TB, conn *pgconn.PgConn, name string) uint32 {
	t.Helper()
	res := conn.ExecParams(ctx, "SELECT $1::regtype::oid", [][]byte{[]byte(name)}, nil, nil, nil).Read()
	if res.Err != nil || len(res.Rows) != 1 {
		t.Fatalf("reference: OID of type %s: %v", name, res.Err)
	}
	oid, err := strconv.ParseUint(string(res.Rows[0][0]), 10, 32)
	if err != nil {
		t.Fatalf("reference: OID of type %s: %v", name, err)
	}
	return uint32(oid)
}

// oidMap replaces the corpus's literal relation OIDs with one server's.
type oidMap map[string]string

// relationOIDs asks the server for the fixture relations' OIDs, by
// regclass or else by pg_class; a relation it cannot name keeps the
// corpus's OID.
func relationOIDs(ctx context.Context, conn *pgconn.PgConn) oidMap {
	m := oidMap{}
	for _, rel := range corpusRelations {
		for _, q := range []string{
			fmt.Sprintf("SELECT '%s'::regclass::oid", rel.name),
			fmt.Sprintf("SELECT oid FROM pg_catalog.pg_class WHERE relname = '%s'", rel.name),
		} {
			res := conn.ExecParams(ctx, q, nil, nil, nil, nil).Read()
			if res.Err == nil && len(res.Rows) == 1 && len(res.Rows[0]) == 1 && res.Rows[0][0] != nil {
				if _, err := strconv.ParseUint(string(res.Rows[0][0]), 10, 32); err == nil {
					m[rel.oid] = string(res.Rows[0][0])
					break
				}
			}
		}
	}
	return m
}

// oidRe matches the corpus's relation OIDs as whole numbers.
var oidRe = regexp.MustCompile(`\b(16714|16726|16737)\b`)

// Replace returns sql with the corpus's relation OIDs replaced.
func (m oidMap) Replace(sql string) string {
	return oidRe.ReplaceAllStringFunc(sql, func(s string) string {
		if o, ok := m[s]; ok {
			return o
		}
		return s
	})
}

// Normalize replaces, in r's row values, each value that is one of the
// server's fixture relation OIDs with a symbol, $oid(items), so that
// values naming the same relation compare equal across the servers.
func (m oidMap) Normalize(r replayResult) {
	sym := map[string][]byte{}
	for _, rel := range corpusRelations {
		if o, ok := m[rel.oid]; ok {
			sym[o] = []byte("$oid(" + rel.name + ")")
		}
	}
	for _, set := range r.sets {
		for _, row := range set.rows {
			for i, v := range row {
				if s, ok := sym[string(v)]; ok && v != nil {
					row[i] = s
				}
			}
		}
	}
}

// compareCorpus returns the first difference between lancegate's answer
// lg and PostgreSQL's pg to e, or "" when lancegate answered as
// PostgreSQL did.
func compareCorpus(e corpusEntry, lg, pg replayResult) string {
	id := e.ID()
	if vectorLiteralRe.MatchString(e.SQL) {
		if lg.err != nil {
			return "error " + oneLine(lg.err)
		}
		return ""
	}
	switch {
	case pg.err != nil && lg.err == nil:
		return fmt.Sprintf("accepted; PostgreSQL errors: %s", oneLine(pg.err))
	case pg.err != nil:
		if lg.code() != pg.code() {
			return fmt.Sprintf("error %s; PostgreSQL errors with %s", oneLine(lg.err), pg.code())
		}
		return ""
	case lg.err != nil:
		return "error " + oneLine(lg.err)
	}
	if e.Parse && !sameParams(lg.params, pg.params) {
		return fmt.Sprintf("ParameterDescription %v; want %v", lg.params, pg.params)
	}
	if d := compareFields(lg.described, pg.described); e.Parse && d != "" {
		return "Describe(S): " + d
	}
	if len(lg.sets) != len(pg.sets) {
		return fmt.Sprintf("%d results; want %d", len(lg.sets), len(pg.sets))
	}
	for i := range pg.sets {
		l, p := lg.sets[i], pg.sets[i]
		if d := compareFields(l.fields, p.fields); d != "" {
			return d
		}
		if l.tag != p.tag && corpusRowsMayDiffer[id] == "" {
			return fmt.Sprintf("command tag %q; want %q", l.tag, p.tag)
		}
		if len(l.rows) != len(p.rows) {
			if corpusRowsMayDiffer[id] == "" {
				return fmt.Sprintf("%d rows; want %d", len(l.rows), len(p.rows))
			}
			continue
		}
		if _, ok := corpusValues[id]; ok {
			if !orderByRe.MatchString(e.SQL) {
				sortRows(l.rows)
				sortRows(p.rows)
			}
			for r := range p.rows {
				if !sameRow(l.rows[r], p.rows[r]) {
					return fmt.Sprintf("row %d = %s; want %s", r+1, formatRow(l.rows[r]), formatRow(p.rows[r]))
				}
			}
		}
	}
	return ""
}

// sameType reports whether lancegate's type (oid, mod) is PostgreSQL's:
// the reference's real[] column stands for lancegate's vector(3).
func sameType(lOID uint32, lMod int32, pOID uint32, pMod int32) bool {
	if lOID == pgtype.OIDVector && pOID == pgtype.OIDFloat4Array {
		return true
	}
	return lOID == pOID && lMod == pMod
}

func sameParams(l, p []uint32) bool {
	if len(l) != len(p) {
		return false
	}
	for i := range p {
		if !sameType(l[i], -1, p[i], -1) {
			return false
		}
	}
	return true
}

// compareFields compares RowDescriptions: names, type OIDs, modifiers.
func compareFields(l, p []pgconn.FieldDescription) string {
	if len(l) != len(p) {
		return fmt.Sprintf("%d columns %s; want %d %s", len(l), fieldNames(l), len(p), fieldNames(p))
	}
	for i := range p {
		if l[i].Name != p[i].Name {
			return fmt.Sprintf("column %d named %q; want %q", i+1, l[i].Name, p[i].Name)
		}
		if !sameType(l[i].DataTypeOID, l[i].TypeModifier, p[i].DataTypeOID, p[i].TypeModifier) {
			return fmt.Sprintf("column %q type %d(%d); want %d(%d)", p[i].Name,
				l[i].DataTypeOID, l[i].TypeModifier, p[i].DataTypeOID, p[i].TypeModifier)
		}
	}
	return ""
}

func fieldNames(fs []pgconn.FieldDescription) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return "(" + strings.Join(names, ", ") + ")"
}

// orderByRe tells statements whose row order is defined.
var orderByRe = regexp.MustCompile(`(?i)\border\s+by\b`)

// sortRows orders rows by their text, for comparing statements whose row
// order is not defined.
func sortRows(rows [][][]byte) {
	sort.Slice(rows, func(i, j int) bool { return formatRow(rows[i]) < formatRow(rows[j]) })
}

func sameRow(l, p [][]byte) bool {
	if len(l) != len(p) {
		return false
	}
	for i := range p {
		if (l[i] == nil) != (p[i] == nil) || !bytes.Equal(l[i], p[i]) {
			return false
		}
	}
	return true
}

func formatRow(r [][]byte) string {
	vals := make([]string, len(r))
	for i, v := range r {
		if v == nil {
			vals[i] = "NULL"
		} else {
			vals[i] = strconv.Quote(string(v))
		}
	}
	return "(" + strings.Join(vals, ", ") + ")"
}

// oneLine renders an error on one line, with its SQLSTATE first.
func oneLine(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code + ": " + strings.Join(strings.Fields(pe.Message), " ")
	}
	return "?: " + strings.Join(strings.Fields(err.Error()), " ")
}
