"""Shared harness of the Python client suites.

Each suite script (psycopg2_suite.py, psycopg3_suite.py, sqlalchemy_suite.py)
defines its parts as functions registered with @part, and is run as

    python <suite>.py PART [PART ...]

by sqltests/clientsuite_test.go, which starts lancegate and passes its
address in the libpq environment variables (PGHOST, PGPORT, PGUSER,
PGDATABASE). A part asserts its own results with the helpers below; the
first failed check raises, the script prints what was checked and exits 1,
so the Go runner fails with this output. Parts are independent: each
creates the tables it needs (names prefixed by the part) and drops them
first, so a part can run alone.
"""

import os
import sys
import traceback

PARTS = {}


def part(fn):
    """Registers fn as a runnable part under its function name."""
    PARTS[fn.__name__] = fn
    return fn


class CheckFailed(Exception):
    """A mismatch between what lancegate answered and what PostgreSQL would."""


def conninfo():
    """Connection keywords for the server under test (trust authentication)."""
    return dict(
        host=os.environ.get("PGHOST", "127.0.0.1"),
        port=int(os.environ.get("PGPORT", "5433")),
        user=os.environ.get("PGUSER", "lancegate"),
        dbname=os.environ.get("PGDATABASE", "lancegate"),
        sslmode="disable",
    )


def url(driver):
    """An SQLAlchemy URL for the server under test with the given driver."""
    c = conninfo()
    return f"postgresql+{driver}://{c['user']}@{c['host']}:{c['port']}/{c['dbname']}"


def check(cond, what):
    """Fails the part unless cond holds."""
    if not cond:
        raise CheckFailed(what)
    print(f"  ok: {what}")


def equal(got, want, what):
    """Fails the part unless got == want."""
    if got != want:
        raise CheckFailed(f"{what}: got {got!r}, want {want!r}")
    print(f"  ok: {what} = {want!r}")


def sqlstate_of(exc):
    """The SQLSTATE of a driver error (psycopg2, psycopg 3, SQLAlchemy-wrapped)."""
    orig = getattr(exc, "orig", None) or exc
    return getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None)


def raises(code, fn, what):
    """Fails the part unless fn() raises a driver error with SQLSTATE code."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - any driver error is inspected
        got = sqlstate_of(exc)
        if got != code:
            raise CheckFailed(f"{what}: got SQLSTATE {got!r} ({exc}), want {code}") from exc
        print(f"  ok: {what} raises {code}")
        return exc
    raise CheckFailed(f"{what}: succeeded, want SQLSTATE {code}")


def main():
    """Runs the parts named on the command line; exit status 1 on any failure."""
    names = sys.argv[1:] or sorted(PARTS)
    failed = []
    for name in names:
        fn = PARTS.get(name)
        if fn is None:
            print(f"unknown part {name!r}; parts: {', '.join(sorted(PARTS))}")
            sys.exit(2)
        print(f"--- {name}")
        try:
            fn()
        except Exception:  # noqa: BLE001 - report every failure of a part
            traceback.print_exc(file=sys.stdout)
            failed.append(name)
            print(f"FAIL {name}")
        else:
            print(f"PASS {name}")
    sys.stdout.flush()
    sys.exit(1 if failed else 0)
