// TypeORM (postgres driver on node-postgres) against lancegate.
//
// The model is an EntitySchema (plain JavaScript, no decorators): a
// bigint primary column set by the application, text, integer, double,
// timestamptz, boolean and vector(3) columns; the generated part uses a
// SERIAL primary key.
//
// Parts:
//   basic        DataSource.initialize (version, current schema), table
//                created by a raw query, Repository save (TypeORM wraps
//                it in START TRANSACTION … COMMIT) / find / findOneBy,
//                QueryBuilder vector search, a manager transaction rolled
//                back by an error, the error's SQLSTATE
//   synchronize  DataSource with synchronize: true (reads
//                information_schema and pg_catalog, runs CREATE TABLE in
//                a transaction), then insert and find
//   generated    an entity with a generated (SERIAL) primary key,
//                synchronized, saved (ids read back), and synchronized
//                again with nothing to change
'use strict';

require('reflect-metadata');
const { DataSource, EntitySchema } = require('typeorm');
const { config, equal, check, rejects, main } = require('./suite');

const TS = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 250));

function schema(tableName, primaryKey) {
  return new EntitySchema({
    name: `Item_${tableName}`,
    tableName,
    columns: {
      id: { type: 'bigint', primary: true, primaryKeyConstraintName: primaryKey },
      name: { type: 'text' },
      qty: { type: 'integer', nullable: true },
      price: { type: 'double precision', nullable: true },
      createdAt: { name: 'created_at', type: 'timestamptz', nullable: true },
      active: { type: 'boolean', nullable: true },
      embedding: { type: 'vector', length: 3, nullable: true },
    },
  });
}

function dataSource(entities, extra) {
  return new DataSource({
    type: 'postgres',
    ...config,
    username: config.user,
    entities,
    synchronize: false,
    logging: false,
    ...extra,
  });
}

async function basic() {
  const Item = schema('to_items');
  const ds = dataSource([Item]);
  await ds.initialize();
  try {
    equal(ds.driver.version, '15.20', 'driver.version (SHOW server_version)');
    await ds.query('DROP TABLE IF EXISTS to_items');
    await ds.query('CREATE TABLE to_items (id bigint NOT NULL, name text NOT NULL, qty integer, ' +
      'price double precision, created_at timestamptz, active boolean, embedding vector(3))');
    const repo = ds.getRepository(Item);
    await repo.save([
      { id: '1', name: "it's", qty: 3, price: 1.5, createdAt: TS, active: true, embedding: [1, 2, 3] },
      { id: '2', name: 'b', qty: 70000, price: 2.25, createdAt: TS, active: false, embedding: [4, 5, 6] },
    ]);
    await repo.insert({ id: '3', name: 'c', embedding: [7, 8, 9] });
    const one = await repo.findOneBy({ id: '1' });
    equal({ ...one, embedding: Array.from(one.embedding) },
      { id: '1', name: "it's", qty: 3, price: 1.5, createdAt: TS, active: true, embedding: [1, 2, 3] }, 'findOneBy');
    equal((await repo.find({ order: { id: 'ASC' } })).map((r) => r.name), ["it's", 'b', 'c'], 'find ordered');
    equal(await repo.count(), 3, 'count');

    const near = await repo.createQueryBuilder('i')
      .select(['i.id', 'i.name'])
      .orderBy('i.embedding <-> :q')
      .setParameters({ q: '[4,5,7]' })
      .limit(2)
      .getMany();
    equal(near.map((r) => r.id), ['2', '3'], 'nearest ids (QueryBuilder)');

    // save() of an existing entity is an UPDATE.
    one.name = 'renamed';
    await repo.save(one);
    equal((await repo.findOneBy({ id: '1' })).name, 'renamed', 'save updates');

    // A transaction rolled back by an error leaves nothing behind.
    await rejects('22000', () => ds.transaction(async (m) => {
      await m.insert(Item, { id: '10', name: 'rolled back' });
      await m.query('INSERT INTO to_items (id, name, embedding) VALUES ($1, $2, $3)', [11, 'x', '[1,2]']);
    }), 'wrong vector dimensions in a transaction');
    equal(await repo.countBy({ id: '10' }), 0, 'rolled back insert');
    await rejects('42P01', () => ds.query('SELECT * FROM to_missing'), 'missing table');
    equal(await repo.count(), 3, 'usable after errors');
  } finally {
    await ds.destroy();
  }
}

async function synchronize() {
  const pre = dataSource([]);
  await pre.initialize();
  await pre.query('DROP TABLE IF EXISTS to_sync');
  await pre.destroy();
  const Item = schema('to_sync');
  const ds = dataSource([Item], { synchronize: true });
  await ds.initialize();
  try {
    const repo = ds.getRepository(Item);
    await repo.save({ id: '1', name: 'a', embedding: [1, 2, 3] });
    const got = await repo.findOneBy({ id: '1' });
    check(got && got.name === 'a', 'row in the synchronized table');
    // A second synchronize must find nothing to change.
    const sql = await ds.driver.createSchemaBuilder().log();
    equal(sql.upQueries.map((q) => q.query), [], 'no pending schema changes');
  } finally {
    await ds.destroy();
  }
}

async function generated() {
  const pre = dataSource([]);
  await pre.initialize();
  await pre.query('DROP TABLE IF EXISTS to_gen');
  await pre.destroy();
  const Item = new EntitySchema({
    name: 'ItemGen',
    tableName: 'to_gen',
    columns: {
      id: { type: 'int', primary: true, generated: true },
      name: { type: 'text' },
      embedding: { type: 'vector', length: 3, nullable: true },
    },
  });
  const ds = dataSource([Item], { synchronize: true });
  await ds.initialize();
  try {
    const repo = ds.getRepository(Item);
    const a = await repo.save({ name: 'a', embedding: [1, 0, 0] });
    const b = await repo.save({ name: 'b', embedding: [0, 1, 0] });
    equal([a.id, b.id], [1, 2], 'generated ids read back');
    const got = await repo.findOneBy({ id: 2 });
    check(got && got.name === 'b', 'row found by its generated id');
    const sql = await ds.driver.createSchemaBuilder().log();
    equal(sql.upQueries.map((q) => q.query), [], 'no pending schema changes');
  } finally {
    await ds.destroy();
  }
}

main({ basic, synchronize, generated });
