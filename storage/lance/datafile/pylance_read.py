"""Reads Lance data files written by lancegate back with pylance.

Used by TestPylanceReadsWriter (interop_test.go), with the interpreter named
by LANCEGATE_PYTHON (pylance 14, pyarrow):

    python pylance_read.py MANIFEST.json

MANIFEST.json is a list of {"name", "lance", "expected", "out", "version"}
objects. For each, the script opens "lance" with LanceFileReader, checks the
format version in its footer, reads every row and compares them, column by
column and value by value, with the Arrow IPC file "expected" that the Go
test wrote; it also reads a few row ranges and scattered rows and compares
those. What pylance read is written to "out" (Arrow IPC) so that the Go
test can compare it too. It prints one JSON object per file and exits 1 if
any file differs or fails to read.
"""

import json
import sys
import traceback

import pyarrow as pa
import pyarrow.ipc as ipc
from lance.file import LanceFileReader


def first_difference(got, want):
    """Describes the first row where two arrays differ."""
    n = min(len(got), len(want))
    for i in range(n):
        if not got.slice(i, 1).equals(want.slice(i, 1)):
            return f"row {i}: got {got.slice(i, 1).to_pylist()} want {want.slice(i, 1).to_pylist()}"
    return f"lengths {len(got)} and {len(want)}"


def compare(what, got, want):
    """Returns a list of differences between two tables."""
    errors = []
    if got.num_rows != want.num_rows:
        errors.append(f"{what}: {got.num_rows} rows, want {want.num_rows}")
        return errors
    if got.column_names != want.column_names:
        errors.append(f"{what}: columns {got.column_names}, want {want.column_names}")
        return errors
    for name in want.column_names:
        g = got.column(name).combine_chunks()
        w = want.column(name).combine_chunks()
        if g.type != w.type:
            errors.append(f"{what}: column {name} is {g.type}, want {w.type}")
            continue
        if not g.equals(w):
            errors.append(f"{what}: column {name} differs at {first_difference(g, w)}")
    return errors


def check(entry):
    want = ipc.open_file(entry["expected"]).read_all()
    reader = LanceFileReader(entry["lance"])
    meta = reader.metadata()
    version = f"{meta.major_version}.{meta.minor_version}"
    errors = []
    if version != entry["version"]:
        errors.append(f"file version {version}, want {entry['version']}")
    got = reader.read_all(batch_size=1000).to_table()
    errors += compare("read_all", got, want)
    n = want.num_rows
    # Row ranges that start and end mid-page and mid-chunk.
    for start, count in [(0, 1), (n // 3, n // 2), (max(0, n - 5), 5), (1, n - 1)]:
        if count <= 0 or start + count > n:
            continue
        part = reader.read_range(start, count, batch_size=333).to_table()
        errors += compare(f"read_range({start}, {count})", part, want.slice(start, count))
    idx = sorted({0, n - 1, n // 2, *range(7, n, max(1, n // 37))})
    taken = reader.take_rows(idx).to_table()
    errors += compare("take_rows", taken, want.take(pa.array(idx)))
    with ipc.new_file(entry["out"], got.schema) as w:
        w.write_table(got)
    return errors


def main():
    with open(sys.argv[1]) as f:
        manifest = json.load(f)
    failed = False
    for entry in manifest:
        try:
            errors = check(entry)
        except Exception:
            errors = [traceback.format_exc()]
        failed = failed or bool(errors)
        print(json.dumps({"name": entry["name"], "errors": errors}))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
