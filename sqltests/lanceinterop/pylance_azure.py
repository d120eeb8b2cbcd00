"""pylance side of lancegate's Azure (Azurite) interoperability tests.

Like pylance_tool.py, but every command opens its dataset through Lance's
object store with the storage options given as JSON in --storage-options,
the dict a user passes as storage_options= to lance.dataset,
lance.write_dataset and lancedb.connect. azure_test.go runs it with the
Python of the test virtualenv (LANCEGATE_PYTHON). Data travels as Arrow IPC
files; every command prints one JSON object on stdout.
"""

import argparse
import json
import sys

import lance

from pylance_tool import read_ipc, write_ipc


def history(ds, opts):
    """Every version: number, visible rows and commit time (µs since epoch)."""
    out = []
    for v in ds.versions():
        old = lance.dataset(ds.uri, version=v["version"], storage_options=opts)
        ts = v["timestamp"]
        out.append({"version": v["version"], "count_rows": old.count_rows(),
                    "timestamp_us": round(ts.timestamp() * 1_000_000)})
    return out


def cmd_dump(a, opts):
    kw = {"storage_options": opts}
    if a.version:
        kw["version"] = a.version
    ds = lance.dataset(a.uri, **kw)
    t = ds.to_table()
    write_ipc(t, a.out)
    return {
        "lance_version": lance.__version__,
        "version": ds.version,
        "count_rows": ds.count_rows(),
        "rows": t.num_rows,
        "schema": str(ds.schema),
        "fields": [[f.name, str(f.type), f.nullable] for f in ds.schema],
        "data_storage_version": ds.data_storage_version,
        "history": history(ds, opts),
        "fragment_ids": [f.fragment_id for f in ds.get_fragments()],
    }


def cmd_lancedb(a, opts):
    import lancedb

    db = lancedb.connect(a.root, storage_options=opts)
    tbl = db.open_table(a.name)
    t = tbl.to_arrow()
    write_ipc(t, a.out)
    return {"rows": t.num_rows, "count_rows": tbl.count_rows(), "version": tbl.version,
            "tables": list(db.list_tables().tables)}


def cmd_write(a, opts):
    t = read_ipc(a.data)
    kw = {"mode": a.mode, "max_rows_per_file": a.max_rows_per_file, "storage_options": opts}
    ds = lance.write_dataset(t, a.uri, **kw)
    return {"version": ds.version, "count_rows": ds.count_rows(),
            "data_storage_version": ds.data_storage_version}


def cmd_delete(a, opts):
    ds = lance.dataset(a.uri, storage_options=opts)
    ds.delete(a.predicate)
    ds = lance.dataset(a.uri, storage_options=opts)
    return {"version": ds.version, "count_rows": ds.count_rows()}


def cmd_bench_scan(a, opts):
    """Times cold full scans of every column: each repeat opens the dataset
    anew (a fresh session, no cached metadata or pages)."""
    import time

    times, rows = [], 0
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        ds = lance.dataset(a.uri, storage_options=opts)
        rows = 0
        for batch in ds.to_batches():
            rows += batch.num_rows
        times.append(time.perf_counter() - t0)
    return {"seconds": times, "rows": rows}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--storage-options", default="{}", help="JSON object of storage options")
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("uri")
    d.add_argument("out")
    d.add_argument("--version", type=int)
    l = sub.add_parser("lancedb")
    l.add_argument("root")
    l.add_argument("name")
    l.add_argument("out")
    w = sub.add_parser("write")
    w.add_argument("uri")
    w.add_argument("data")
    w.add_argument("--mode", default="create")
    w.add_argument("--max-rows-per-file", type=int, default=1048576)
    x = sub.add_parser("delete")
    x.add_argument("uri")
    x.add_argument("predicate")
    bs = sub.add_parser("bench-scan")
    bs.add_argument("uri")
    bs.add_argument("--repeat", type=int, default=1)
    a = p.parse_args()
    opts = json.loads(a.storage_options)
    out = globals()["cmd_" + a.cmd.replace("-", "_")](a, opts)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
