"""psycopg 3 (with pgvector-python) against lancegate.

psycopg 3 uses the extended protocol for every execute: parameters with
their OIDs (int2/int4/int8 by magnitude, 0 for str), text results unless
binary=True, named prepared statements once a query has run
prepare_threshold times, and pipeline mode (several Bind/Execute groups
before one Sync).

Parts:
  basic            connect, version, DDL, typed parameters, vector search
                   with text vectors, prepared statements past the
                   threshold, binary results, pipeline mode, nested
                   transactions (savepoints), errors and recovery,
                   conn.cancel() and statement_timeout (57014)
  register_vector  pgvector.psycopg.register_vector + numpy, binary vectors
                   (reads pg_type with ::regtype)
  copy             cursor.copy: COPY FROM STDIN and TO STDOUT
  numeric          a numeric(10,2) column with Decimal values
"""

import datetime
import decimal
import threading
import time

import psycopg

from suite import check, conninfo, equal, main, part, raises

TS = datetime.datetime(2024, 1, 2, 3, 4, 5, 250000, tzinfo=datetime.timezone.utc)

# LONG runs for tens of seconds unless cancelled (1.6e9 joined rows).
LONG = ("SELECT count(*) FROM generate_series(1, 40000) AS a(x) "
        "CROSS JOIN generate_series(1, 40000) AS b(y) WHERE x + y > %s")


def connect(**kw):
    return psycopg.connect(**conninfo(), **kw)


def recreate(conn, table, columns):
    with connect(autocommit=True) as ddl:
        ddl.execute(f"DROP TABLE IF EXISTS {table}")
        ddl.execute(f"CREATE TABLE {table} ({columns})")


@part
def basic():
    conn = connect(autocommit=True)
    equal(conn.info.server_version, 150020, "server_version")
    recreate(conn, "p3_items",
             "id bigint, name text, qty integer, price double precision, "
             "created_at timestamptz, active boolean, embedding vector(3)")
    rows = [
        (1, "it's", 3, 1.5, TS, True, "[1,2,3]"),
        (2, "b", 70000, 2.25, TS + datetime.timedelta(days=1), False, "[4,5,6]"),
        (3, "c", 0, 1e-5, TS, None, "[7,8,9]"),
    ]
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO p3_items VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)
        cur.execute("SELECT id, name, qty, price, created_at, active, embedding FROM p3_items WHERE id = %s", (1,))
        equal(cur.fetchone(), (1, "it's", 3, 1.5, TS, True, "[1,2,3]"), "row 1 round trip (text results)")

        # Vector search with the vector as text (parameter OID 0, the
        # server infers vector from the operator).
        cur.execute("SELECT id, embedding <-> %s FROM p3_items ORDER BY embedding <-> %s LIMIT 2",
                    ("[4,5,7]", "[4,5,7]"))
        got = cur.fetchall()
        equal([r[0] for r in got], [2, 3], "nearest ids")
        equal(round(got[0][1], 6), 1.0, "distance of the nearest row")

        # Prepared statements: past prepare_threshold (5) psycopg parses a
        # named statement _pg3_N once and only binds it afterwards.
        for i in range(8):
            cur.execute("SELECT name FROM p3_items WHERE id = %s", (1 + i % 3,))
            equal(cur.fetchone()[0], ["it's", "b", "c"][i % 3], f"prepared execution {i + 1}")
        cur.execute("SELECT count(*) FROM p3_items WHERE qty > %s", (1,), prepare=True)
        equal(cur.fetchone()[0], 2, "explicitly prepared statement")

    # Binary results.
    with conn.cursor(binary=True) as cur:
        cur.execute("SELECT id, name, qty, price, created_at, active FROM p3_items WHERE id = %s", (2,))
        equal(cur.fetchone(), (2, "b", 70000, 2.25, TS + datetime.timedelta(days=1), False),
              "row 2 round trip (binary results)")
        cur.execute("SELECT embedding FROM p3_items WHERE id = %s", (1,))
        equal(bytes(cur.fetchone()[0]), bytes.fromhex("000300003f8000004000000040400000"),
              "binary vector result (pgvector layout)")

    # Pipeline mode: several statements before one Sync.
    with conn.pipeline():
        conn.execute("INSERT INTO p3_items (id, name) VALUES (%s, %s)", (20, "p1"))
        conn.execute("INSERT INTO p3_items (id, name) VALUES (%s, %s)", (21, "p2"))
        cur = conn.execute("SELECT count(*) FROM p3_items WHERE id >= %s", (20,))
    equal(cur.fetchone()[0], 2, "rows inserted in pipeline mode")

    # Transactions: nested transaction() blocks are savepoints.
    conn.autocommit = False
    with conn.transaction():
        conn.execute("INSERT INTO p3_items (id, name) VALUES (30, 'outer')")
        with conn.transaction(force_rollback=True):
            conn.execute("INSERT INTO p3_items (id, name) VALUES (31, 'inner, rolled back')")
        with conn.transaction():
            conn.execute("INSERT INTO p3_items (id, name) VALUES (32, 'inner, kept')")
    try:
        with conn.transaction():
            conn.execute("INSERT INTO p3_items (id, name) VALUES (33, 'rolled back')")
            raise psycopg.Rollback()
    finally:
        conn.autocommit = True
    got = conn.execute("SELECT id FROM p3_items WHERE id >= 30 ORDER BY id").fetchall()
    equal(got, [(30,), (32,)], "rows after nested transactions")

    # Errors carry their SQLSTATE and the connection stays usable.
    raises("42P01", lambda: conn.execute("SELECT * FROM p3_missing"), "missing table")
    raises("22000", lambda: conn.execute("INSERT INTO p3_items (id, embedding) VALUES (%s, %s)", (5, "[1,2]")),
           "wrong vector dimensions")
    raises("42703", lambda: conn.execute("SELECT nope FROM p3_items WHERE id = %s", (1,)), "missing column")
    equal(conn.execute("SELECT count(*) FROM p3_items").fetchone()[0], 7, "row count after errors")
    conn.autocommit = False
    raises("42P01", lambda: conn.execute("SELECT * FROM p3_missing"), "missing table in a transaction")
    raises("25P02", lambda: conn.execute("SELECT 1"), "statement in failed transaction")
    conn.rollback()
    equal(conn.execute("SELECT 1").fetchone()[0], 1, "usable after rollback")
    conn.rollback()
    conn.autocommit = True

    # conn.cancel() sends a CancelRequest: 57014, and the connection goes on.
    # The query runs in a thread; the main thread cancels until it ends (a
    # cancel that arrives before the query starts is ignored, as in PG).
    errs = []

    def run_long():
        try:
            conn.execute(LONG, (3,))
        except psycopg.Error as exc:
            errs.append(exc)

    worker = threading.Thread(target=run_long)
    worker.start()
    deadline = time.monotonic() + 20
    while worker.is_alive() and time.monotonic() < deadline:
        conn.cancel()
        worker.join(0.05)
    worker.join()
    equal([e.sqlstate for e in errs], ["57014"], "conn.cancel() of a running query")
    equal(conn.execute("SELECT 1").fetchone()[0], 1, "usable after cancel")

    # statement_timeout interrupts a running query (57014) well before it ends.
    conn.execute("SET statement_timeout = 200")
    start = time.monotonic()
    raises("57014", lambda: conn.execute(LONG, (3,)), "statement_timeout")
    check(time.monotonic() - start < 10, "statement_timeout fired in time")
    conn.execute("RESET statement_timeout")
    conn.close()


@part
def register_vector():
    import numpy as np
    from pgvector.psycopg import register_vector as register

    conn = connect(autocommit=True)
    recreate(conn, "p3_vec", "id bigint, embedding vector(3)")
    register(conn)
    conn.execute("INSERT INTO p3_vec VALUES (%s, %s), (%s, %s)",
                 (1, np.array([1, 2, 3]), 2, np.array([4, 5, 6])))
    for binary in (False, True):
        with conn.cursor(binary=binary) as cur:
            cur.execute("SELECT id, embedding FROM p3_vec ORDER BY embedding <-> %s LIMIT 1", (np.array([4, 5, 7]),))
            rid, emb = cur.fetchone()
            equal(rid, 2, f"nearest id (binary={binary})")
            check(isinstance(emb, np.ndarray) and emb.tolist() == [4, 5, 6],
                  f"vector read as numpy array (binary={binary})")
    conn.close()


@part
def copy():
    conn = connect(autocommit=True)
    recreate(conn, "p3_copy", "id bigint, name text, embedding vector(3)")
    with conn.cursor() as cur:
        with cur.copy("COPY p3_copy (id, name, embedding) FROM STDIN") as cp:
            cp.write_row((1, "a", "[1,2,3]"))
            cp.write_row((2, None, "[4,5,6]"))
        equal(cur.execute("SELECT count(*) FROM p3_copy").fetchone()[0], 2, "rows copied in")
        with cur.copy("COPY (SELECT id, name FROM p3_copy ORDER BY id) TO STDOUT") as cp:
            got = list(cp.rows())
        equal(got, [("1", "a"), ("2", None)], "rows copied out")
    conn.close()


@part
def numeric():
    conn = connect(autocommit=True)
    recreate(conn, "p3_num", "id bigint, price numeric(10,2)")
    conn.execute("INSERT INTO p3_num VALUES (%s, %s)", (1, decimal.Decimal("12.345")))
    equal(conn.execute("SELECT price FROM p3_num").fetchone()[0], decimal.Decimal("12.35"),
          "numeric(10,2) rounds to scale")
    conn.close()


if __name__ == "__main__":
    main()
