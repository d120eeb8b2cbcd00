// Shared harness of the Node.js client suites (pg_suite.js,
// typeorm_suite.js, sequelize_suite.js).
//
// sqltests/clientsuite_test.go starts lancegate and runs
//
//     node <suite>.js PART [PART ...]
//
// with the server's address in PGHOST/PGPORT (user and database
// lancegate, trust authentication) and NODE_PATH pointing at the
// node_modules that `make clients` installs from package-lock.json. A part
// is an async function that asserts its own results; the first failed
// check throws, the harness prints it and the process exits 1, so the Go
// runner fails with this output. Each part creates (and first drops) the
// tables it uses, so parts run alone.
'use strict';

const assert = require('node:assert/strict');

const config = {
  host: process.env.PGHOST || '127.0.0.1',
  port: Number(process.env.PGPORT || 5433),
  user: process.env.PGUSER || 'lancegate',
  database: process.env.PGDATABASE || 'lancegate',
};

function equal(got, want, what) {
  assert.deepStrictEqual(got, want, what);
  console.log(`  ok: ${what} = ${JSON.stringify(want)}`);
}

function check(cond, what) {
  assert.ok(cond, what);
  console.log(`  ok: ${what}`);
}

// rejects awaits promise (or calls fn) and checks that it fails with the
// SQLSTATE code; returns the error. Drivers and ORMs put the code in
// err.code (pg), err.driverError.code (TypeORM) or err.parent.code
// (Sequelize).
async function rejects(code, fn, what) {
  let err;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err, `${what}: succeeded, want SQLSTATE ${code}`);
  const got = err.code && /^[0-9A-Z]{5}$/.test(err.code) ? err.code
    : (err.driverError && err.driverError.code) || (err.parent && err.parent.code) || (err.original && err.original.code);
  assert.equal(got, code, `${what}: got SQLSTATE ${got} (${err.message}), want ${code}`);
  console.log(`  ok: ${what} fails with ${code}`);
  return err;
}

// main runs the parts named on the command line from the table parts.
async function main(parts) {
  const names = process.argv.slice(2);
  const failed = [];
  for (const name of names.length ? names : Object.keys(parts)) {
    const fn = parts[name];
    if (!fn) {
      console.log(`unknown part ${name}; parts: ${Object.keys(parts).join(', ')}`);
      process.exit(2);
    }
    console.log(`--- ${name}`);
    try {
      await fn();
      console.log(`PASS ${name}`);
    } catch (e) {
      console.log(e && e.stack ? e.stack : e);
      if (e && e.code) console.log(`SQLSTATE: ${e.code}`);
      if (e && e.query) console.log(`statement: ${e.query}`);
      if (e && e.sql) console.log(`statement: ${e.sql}`);
      console.log(`FAIL ${name}`);
      failed.push(name);
    }
  }
  process.exit(failed.length ? 1 : 0);
}

module.exports = { config, equal, check, rejects, main };
