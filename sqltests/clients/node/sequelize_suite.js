// Sequelize 6 (postgres dialect on node-postgres) against lancegate.
//
// On each new connection Sequelize sends `SET client_min_messages TO
// warning; SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE` as one simple
// Query, and looks up the OIDs of hstore, geometry, geography, citext and
// the range types in pg_type. The model has a bigint primary key set by
// the application (no serial) and a vector(3) column declared with a
// custom type string.
//
// Parts:
//   basic      authenticate, server version, table by raw query, Model
//              bulkCreate / create / findAll / findByPk / update, a vector
//              search by literal ORDER BY, a managed transaction rolled
//              back by an error, the error's SQLSTATE
//   sync       Model.sync() and sync({ alter: true }) (information_schema,
//              pg_catalog), then insert and find
'use strict';

const { Sequelize, DataTypes, QueryTypes } = require('sequelize');
const { config, equal, check, rejects, main } = require('./suite');

const TS = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 250));

function connect() {
  return new Sequelize(config.database, config.user, null, {
    host: config.host,
    port: config.port,
    dialect: 'postgres',
    logging: false,
    pool: { max: 2 },
  });
}

function define(sequelize, tableName) {
  return sequelize.define('Item', {
    id: { type: DataTypes.BIGINT, primaryKey: true },
    name: { type: DataTypes.TEXT, allowNull: false },
    qty: DataTypes.INTEGER,
    price: DataTypes.DOUBLE,
    createdAt: { type: DataTypes.DATE, field: 'created_at' },
    active: DataTypes.BOOLEAN,
    embedding: { type: 'vector(3)' },
  }, { tableName, timestamps: false });
}

async function basic() {
  const sequelize = connect();
  try {
    await sequelize.authenticate();
    const version = await sequelize.databaseVersion();
    check(version.startsWith('15.20 '), `databaseVersion() ${version} is 15.20`);
    await sequelize.query('DROP TABLE IF EXISTS sq_items');
    await sequelize.query('CREATE TABLE sq_items (id bigint NOT NULL, name text NOT NULL, qty integer, ' +
      'price double precision, created_at timestamptz, active boolean, embedding vector(3))');
    const Item = define(sequelize, 'sq_items');
    await Item.bulkCreate([
      { id: 1, name: "it's", qty: 3, price: 1.5, createdAt: TS, active: true, embedding: '[1,2,3]' },
      { id: 2, name: 'b', qty: 70000, price: 2.25, createdAt: TS, active: false, embedding: '[4,5,6]' },
    ]);
    await Item.create({ id: 3, name: 'c', embedding: '[7,8,9]' });
    const one = await Item.findByPk(1);
    equal({ ...one.get({ plain: true }) },
      { id: '1', name: "it's", qty: 3, price: 1.5, createdAt: TS, active: true, embedding: '[1,2,3]' }, 'findByPk');
    equal((await Item.findAll({ order: [['id', 'ASC']] })).map((r) => r.name), ["it's", 'b', 'c'], 'findAll ordered');
    equal(await Item.count(), 3, 'count');
    await Item.update({ name: 'renamed' }, { where: { id: 1 } });
    equal((await Item.findByPk(1)).name, 'renamed', 'update');

    const near = await sequelize.query('SELECT id FROM sq_items ORDER BY embedding <-> $1 LIMIT 2',
      { bind: ['[4,5,7]'], type: QueryTypes.SELECT });
    equal(near.map((r) => r.id), ['2', '3'], 'nearest ids');
    const nearOrm = await Item.findAll({
      attributes: ['id'],
      order: sequelize.literal("embedding <-> '[4,5,7]'"),
      limit: 1,
    });
    equal(nearOrm.map((r) => r.id), ['2'], 'nearest id (Model.findAll)');

    await rejects('22000', () => sequelize.transaction(async (transaction) => {
      await Item.create({ id: 10, name: 'rolled back' }, { transaction });
      await Item.create({ id: 11, name: 'x', embedding: '[1,2]' }, { transaction });
    }), 'wrong vector dimensions in a transaction');
    equal(await Item.count({ where: { id: 10 } }), 0, 'rolled back insert');
    await rejects('42P01', () => sequelize.query('SELECT * FROM sq_missing'), 'missing table');
    equal(await Item.count(), 3, 'usable after errors');
  } finally {
    await sequelize.close();
  }
}

async function sync() {
  const sequelize = connect();
  try {
    await sequelize.query('DROP TABLE IF EXISTS sq_sync');
    const Item = sequelize.define('Synced', {
      id: { type: DataTypes.BIGINT, primaryKey: true },
      name: DataTypes.TEXT,
      embedding: { type: 'vector(3)' },
    }, { tableName: 'sq_sync', timestamps: false });
    await Item.sync();
    await Item.create({ id: 1, name: 'a', embedding: '[1,2,3]' });
    check((await Item.findByPk(1)).name === 'a', 'row in the synced table');
    await Item.sync({ alter: true });
    equal(await Item.count(), 1, 'rows kept by sync({ alter: true })');
  } finally {
    await sequelize.close();
  }
}

main({ basic, sync });
