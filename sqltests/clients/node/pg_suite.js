// node-postgres (pg) with pgvector-node against lancegate.
//
// pg sends a query without parameters as a simple Query, and one with
// parameters as Parse (no OIDs) / Bind (text) / Describe / Execute / Sync;
// a query with a name is parsed once per connection and re-bound after.
//
// Parts:
//   basic          connect, version, DDL, typed parameters, named
//                  statements, vector search with pgvector.toSql,
//                  transactions and savepoints, errors and recovery
//   registerTypes  pgvector.registerTypes (looks the vector OID up in
//                  pg_type) so vectors read back as arrays
//   numeric        a numeric(10,2) column
'use strict';

const pg = require('pg');
const pgvector = require('pgvector/pg');
const { config, equal, check, rejects, main } = require('./suite');

const TS = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 250));

async function connect() {
  const client = new pg.Client(config);
  await client.connect();
  return client;
}

async function recreate(client, table, columns) {
  await client.query(`DROP TABLE IF EXISTS ${table}`);
  await client.query(`CREATE TABLE ${table} (${columns})`);
}

async function basic() {
  const client = await connect();
  try {
    equal((await client.query('SHOW server_version_num')).rows[0].server_version_num, '150020', 'server_version_num');
    await recreate(client, 'np_items',
      'id bigint, name text, qty integer, price double precision, created_at timestamptz, active boolean, embedding vector(3)');
    const ins = 'INSERT INTO np_items VALUES ($1, $2, $3, $4, $5, $6, $7)';
    let res = await client.query(ins, [1, "it's", 3, 1.5, TS, true, pgvector.toSql([1, 2, 3])]);
    equal(res.rowCount, 1, 'INSERT row count');
    await client.query(ins, [2, 'b', 70000, 2.25, TS, false, pgvector.toSql([4, 5, 6])]);
    await client.query(ins, [3, 'c', 0, 1e-5, null, null, '[7,8,9]']);

    res = await client.query('SELECT id, name, qty, price, created_at, active, embedding FROM np_items WHERE id = $1', [1]);
    equal(res.rows, [{ id: '1', name: "it's", qty: 3, price: 1.5, created_at: TS, active: true, embedding: '[1,2,3]' }],
      'row 1 round trip');
    equal(res.fields.map((f) => f.name), ['id', 'name', 'qty', 'price', 'created_at', 'active', 'embedding'], 'field names');
    equal(res.fields.slice(0, 6).map((f) => f.dataTypeID), [20, 25, 23, 701, 1184, 16], 'field type OIDs');

    // (pg's binary: true result mode is not exercised: pg-protocol decodes
    // binary fields as UTF-8 text and corrupts them, node-postgres issue
    // #3495, whatever the server sends.)

    // Named statement: parsed once, bound three times.
    for (const [id, name] of [[1, "it's"], [2, 'b'], [3, 'c']]) {
      res = await client.query({ name: 'np_by_id', text: 'SELECT name FROM np_items WHERE id = $1', values: [id] });
      equal(res.rows[0].name, name, `named statement, id ${id}`);
    }

    res = await client.query('SELECT id, embedding <-> $1 AS d FROM np_items ORDER BY embedding <-> $1 LIMIT 2',
      [pgvector.toSql([4, 5, 7])]);
    equal(res.rows.map((r) => r.id), ['2', '3'], 'nearest ids');
    equal(Math.round(res.rows[0].d * 1e6) / 1e6, 1, 'distance of the nearest row');

    // Transactions and savepoints.
    await client.query('BEGIN');
    await client.query('INSERT INTO np_items (id, name) VALUES ($1, $2)', [10, 'rolled back']);
    await client.query('ROLLBACK');
    await client.query('BEGIN');
    await client.query('INSERT INTO np_items (id, name) VALUES ($1, $2)', [11, 'kept']);
    await client.query('SAVEPOINT sp');
    await client.query('INSERT INTO np_items (id, name) VALUES ($1, $2)', [12, 'undone']);
    await client.query('ROLLBACK TO SAVEPOINT sp');
    await client.query('COMMIT');
    res = await client.query('SELECT id FROM np_items WHERE id >= $1 ORDER BY id', [10]);
    equal(res.rows, [{ id: '11' }], 'rows after rollback, savepoint and commit');

    // Errors carry their SQLSTATE; the connection stays usable.
    const err = await rejects('42P01', () => client.query('SELECT * FROM np_missing'), 'missing table');
    equal(err.position, '15', 'error position');
    await rejects('22000', () => client.query('INSERT INTO np_items (id, embedding) VALUES ($1, $2)', [5, '[1,2]']),
      'wrong vector dimensions');
    await client.query('BEGIN');
    await rejects('42P01', () => client.query('SELECT * FROM np_missing WHERE id = $1', [1]), 'missing table in a block');
    await rejects('25P02', () => client.query('SELECT 1'), 'statement in failed transaction');
    await client.query('ROLLBACK');
    res = await client.query('SELECT count(*) AS n FROM np_items');
    equal(res.rows[0].n, '4', 'row count after errors');
  } finally {
    await client.end();
  }
}

async function registerTypes() {
  const client = await connect();
  try {
    await recreate(client, 'np_vec', 'id bigint, embedding vector(3)');
    await pgvector.registerTypes(client);
    await client.query('INSERT INTO np_vec VALUES ($1, $2), ($3, $4)',
      [1, pgvector.toSql([1, 2, 3]), 2, pgvector.toSql([4, 5, 6])]);
    const res = await client.query('SELECT id, embedding FROM np_vec ORDER BY embedding <-> $1 LIMIT 1',
      [pgvector.toSql([4, 5, 7])]);
    equal(res.rows[0].id, '2', 'nearest id');
    check(Array.isArray(res.rows[0].embedding), 'vector parsed into an array');
    equal(res.rows[0].embedding, [4, 5, 6], 'vector value');
  } finally {
    await client.end();
  }
}

async function numeric() {
  const client = await connect();
  try {
    await recreate(client, 'np_num', 'id bigint, price numeric(10,2)');
    await client.query('INSERT INTO np_num VALUES ($1, $2)', [1, '12.345']);
    equal((await client.query('SELECT price FROM np_num')).rows[0].price, '12.35', 'numeric(10,2) rounds to scale');
  } finally {
    await client.end();
  }
}

main({ basic, registerTypes, numeric });
