"""psycopg2 (with pgvector-python) against lancegate.

psycopg2 speaks the simple protocol only: parameters are interpolated into
the statement text on the client (quotes doubled, backslashes kept since
standard_conforming_strings is on), and every statement outside autocommit
runs between BEGIN and COMMIT/ROLLBACK.

Parts:
  basic             connect, version, DDL, typed inserts, vector search,
                    transactions and savepoints, errors and recovery
  register_vector   pgvector.psycopg2.register_vector + numpy (reads pg_type)
  named_cursor      server-side cursor: DECLARE … CURSOR / FETCH / CLOSE
  copy              cursor.copy_expert COPY FROM STDIN / TO STDOUT
  numeric           a numeric(10,2) column with Decimal values
  ddl_in_transaction  CREATE TABLE inside psycopg2's implicit BEGIN
"""

import datetime
import decimal

import psycopg2
import psycopg2.extensions

from suite import check, conninfo, equal, main, part, raises

TS = datetime.datetime(2024, 1, 2, 3, 4, 5, 250000, tzinfo=datetime.timezone.utc)


def connect(autocommit=False):
    conn = psycopg2.connect(**conninfo())
    conn.autocommit = autocommit
    return conn


def recreate(conn, table, columns):
    """Drops and creates table in autocommit (DDL is refused inside BEGIN)."""
    prev = conn.autocommit
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {table}")
        cur.execute(f"CREATE TABLE {table} ({columns})")
    conn.autocommit = prev


@part
def basic():
    conn = connect()
    equal(conn.server_version, 150020, "server_version")
    equal(conn.get_parameter_status("standard_conforming_strings"), "on", "standard_conforming_strings")
    recreate(conn, "p2_items",
             "id bigint, name text, qty integer, price double precision, "
             "created_at timestamptz, active boolean, embedding vector(3)")
    cur = conn.cursor()
    rows = [
        (1, "it's a \\ test", 3, 1.5, TS, True, "[1,2,3]"),
        (2, "b", 70000, 2.25, TS + datetime.timedelta(days=1), False, "[4,5,6]"),
        (3, "c", -1, 1e-5, TS, None, "[7,8,9]"),
    ]
    cur.executemany("INSERT INTO p2_items VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)
    conn.commit()
    cur.execute("SELECT id, name, qty, price, created_at, active, embedding FROM p2_items WHERE id = %s", (1,))
    equal(cur.fetchone(), (1, "it's a \\ test", 3, 1.5, TS, True, "[1,2,3]"), "row 1 round trip")
    cur.execute("SELECT count(*) FROM p2_items WHERE name = %s", ("it's a \\ test",))
    equal(cur.fetchone()[0], 1, "interpolated quote and backslash match")
    cur.execute("SELECT id, embedding <-> %s AS d FROM p2_items ORDER BY embedding <-> %s LIMIT 2",
                ("[4,5,7]", "[4,5,7]"))
    got = cur.fetchall()
    equal([r[0] for r in got], [2, 3], "nearest ids")
    equal(round(got[0][1], 6), 1.0, "distance of the nearest row")
    conn.commit()

    # Transactions: rollback discards, commit keeps, savepoints undo part.
    cur.execute("INSERT INTO p2_items (id, name) VALUES (%s, %s)", (10, "rolled back"))
    conn.rollback()
    cur.execute("INSERT INTO p2_items (id, name) VALUES (%s, %s)", (11, "kept"))
    cur.execute("SAVEPOINT sp")
    cur.execute("INSERT INTO p2_items (id, name) VALUES (%s, %s)", (12, "undone"))
    cur.execute("ROLLBACK TO SAVEPOINT sp")
    cur.execute("RELEASE SAVEPOINT sp")
    conn.commit()
    cur.execute("SELECT id FROM p2_items WHERE id >= 10 ORDER BY id")
    equal(cur.fetchall(), [(11,)], "rows after rollback, savepoint and commit")
    conn.commit()

    # Errors carry their SQLSTATE; the transaction is aborted (25P02)
    # until rolled back, then the connection works again.
    raises("42P01", lambda: cur.execute("SELECT * FROM p2_missing"), "missing table")
    raises("25P02", lambda: cur.execute("SELECT 1"), "statement in failed transaction")
    conn.rollback()
    raises("22000", lambda: cur.execute("INSERT INTO p2_items (id, embedding) VALUES (%s, %s)", (5, "[1,2]")),
           "wrong vector dimensions")
    conn.rollback()
    cur.execute("SELECT count(*) FROM p2_items")
    equal(cur.fetchone()[0], 4, "row count after errors")
    conn.commit()
    check(conn.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_IDLE, "connection idle and usable")
    conn.close()


@part
def register_vector():
    import numpy as np
    from pgvector.psycopg2 import register_vector as register

    conn = connect(autocommit=True)
    recreate(conn, "p2_vec", "id bigint, embedding vector(3)")
    register(conn)
    cur = conn.cursor()
    cur.execute("INSERT INTO p2_vec VALUES (%s, %s), (%s, %s)",
                (1, np.array([1, 2, 3]), 2, np.array([4, 5, 6])))
    cur.execute("SELECT id, embedding FROM p2_vec ORDER BY embedding <-> %s LIMIT 1", (np.array([4, 5, 7]),))
    rid, emb = cur.fetchone()
    equal(rid, 2, "nearest id")
    check(isinstance(emb, np.ndarray) and emb.tolist() == [4, 5, 6], "vector read as numpy array")
    conn.close()


@part
def named_cursor():
    conn = connect()
    recreate(conn, "p2_cur", "id bigint")
    cur = conn.cursor()
    cur.execute("INSERT INTO p2_cur SELECT n FROM generate_series(1, 10) AS g(n)")
    conn.commit()
    named = conn.cursor(name="p2_named")
    named.itersize = 3
    named.execute("SELECT id FROM p2_cur ORDER BY id")
    equal([r[0] for r in named], list(range(1, 11)), "rows fetched through DECLARE/FETCH")
    named.close()
    conn.commit()
    conn.close()


@part
def copy():
    import io

    conn = connect()
    recreate(conn, "p2_copy", "id bigint, name text, embedding vector(3)")
    cur = conn.cursor()
    cur.copy_expert("COPY p2_copy FROM STDIN", io.StringIO("1\ta\t[1,2,3]\n2\t\\N\t[4,5,6]\n"))
    conn.commit()
    out = io.StringIO()
    cur.copy_expert("COPY (SELECT id, name, embedding FROM p2_copy ORDER BY id) TO STDOUT", out)
    equal(out.getvalue(), "1\ta\t[1,2,3]\n2\t\\N\t[4,5,6]\n", "COPY TO STDOUT text")
    conn.commit()
    conn.close()


@part
def numeric():
    conn = connect()
    recreate(conn, "p2_num", "id bigint, price numeric(10,2)")
    cur = conn.cursor()
    cur.execute("INSERT INTO p2_num VALUES (%s, %s)", (1, decimal.Decimal("12.345")))
    cur.execute("SELECT price FROM p2_num")
    equal(cur.fetchone()[0], decimal.Decimal("12.35"), "numeric(10,2) rounds to scale")
    conn.commit()
    conn.close()


@part
def ddl_in_transaction():
    conn = connect()
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS p2_txddl")
    cur.execute("CREATE TABLE p2_txddl (id bigint)")
    cur.execute("INSERT INTO p2_txddl VALUES (1)")
    conn.commit()
    cur.execute("SELECT count(*) FROM p2_txddl")
    equal(cur.fetchone()[0], 1, "table created in a transaction block")
    conn.commit()
    conn.close()


if __name__ == "__main__":
    main()
