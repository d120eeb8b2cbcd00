"""pylance side of lancegate's Lance interoperability tests.

The Go tests in this folder run this script with the Python of the test
virtualenv (LANCEGATE_PYTHON). Data travels between Go and Python as Arrow
IPC files, so both sides compare exact values, types and null positions.
Every command prints one JSON object on stdout.
"""

import argparse
import json
import sys

import lance
import pyarrow as pa
import pyarrow.ipc as ipc


def read_ipc(path):
    with pa.memory_map(path) as src:
        return ipc.open_file(src).read_all()


def write_ipc(table, path):
    with pa.OSFile(path, "wb") as sink:
        with ipc.new_file(sink, table.schema) as w:
            w.write_table(table)


def versions(ds):
    out = []
    for v in ds.versions():
        out.append({"version": v["version"], "timestamp": str(v["timestamp"])})
    return out


def cmd_dump(a):
    ds = lance.dataset(a.uri, version=a.version) if a.version else lance.dataset(a.uri)
    t = ds.to_table()
    write_ipc(t, a.out)
    frags = ds.get_fragments()
    return {
        "lance_version": lance.__version__,
        "version": ds.version,
        "count_rows": ds.count_rows(),
        "rows": t.num_rows,
        "schema": str(ds.schema),
        "data_storage_version": ds.data_storage_version,
        "versions": versions(ds),
        "fragment_ids": [f.fragment_id for f in frags],
        "deleted_rows": [f.count_rows() for f in frags],
    }


def cmd_lancedb(a):
    import lancedb

    db = lancedb.connect(a.root)
    tbl = db.open_table(a.name)
    t = tbl.to_arrow()
    write_ipc(t, a.out)
    return {"rows": t.num_rows, "count_rows": tbl.count_rows(), "version": tbl.version,
            "schema": str(tbl.schema), "tables": list(db.table_names())}


def cmd_write(a):
    t = read_ipc(a.data)
    kw = {"mode": a.mode, "max_rows_per_file": a.max_rows_per_file}
    if a.mode == "create":
        if a.format:
            kw["data_storage_version"] = a.format
        kw["enable_v2_manifest_paths"] = not a.v1_names
    ds = lance.write_dataset(t, a.uri, **kw)
    return {"version": ds.version, "count_rows": ds.count_rows(),
            "data_storage_version": ds.data_storage_version}


def cmd_delete(a):
    ds = lance.dataset(a.uri)
    ds.delete(a.predicate)
    ds = lance.dataset(a.uri)
    return {"version": ds.version, "count_rows": ds.count_rows()}


def cmd_append_loop(a):
    """Appends a.batches batches of a.rows rows with ids from a.first_id on."""
    first = a.first_id
    for i in range(a.batches):
        ids = pa.array(range(first, first + a.rows), pa.int64())
        t = pa.table({"id": ids, "writer": pa.array(["pylance"] * a.rows)})
        lance.write_dataset(t, a.uri, mode="append")
        first += a.rows
    ds = lance.dataset(a.uri)
    return {"version": ds.version}


def cmd_nearest(a):
    ds = lance.dataset(a.uri)
    q = json.loads(a.vector)
    t = ds.to_table(nearest={"column": a.column, "q": q, "k": a.k}, columns=[a.id_column])
    return {"ids": t.column(a.id_column).to_pylist()}


def cmd_ivfpq(a):
    """Writes a.rows clustered float32 vectors of a.dim dimensions (seeded)
    in fragments of a.rows_per_file rows, builds an IVF_PQ index on "vec"
    with a.metric, and answers a.queries queries near data rows with
    nprobes=a.nprobes and no refine. Returns the queries, pylance's hits
    (row addresses and _distance) and the exact top-k row addresses."""
    import numpy as np

    rng = np.random.default_rng(a.seed)
    centers = rng.normal(0, 4, (40, a.dim)).astype(np.float32)
    x = centers[rng.integers(0, 40, a.rows)] + rng.normal(0, 1, (a.rows, a.dim))
    x = x.astype(np.float32)
    vec = pa.FixedSizeListArray.from_arrays(pa.array(x.ravel()), a.dim)
    t = pa.table({"id": pa.array(np.arange(a.rows, dtype=np.int64)), "vec": vec})
    ds = lance.write_dataset(t, a.uri, max_rows_per_file=a.rows_per_file)
    ds.create_index("vec", index_type="IVF_PQ", num_partitions=a.partitions,
                    num_sub_vectors=a.sub_vectors, metric=a.metric)
    ds = lance.dataset(a.uri)
    # Row addresses of the rows in write order: fragment i holds rows
    # [i*rows_per_file, (i+1)*rows_per_file).
    idx = np.arange(a.rows, dtype=np.uint64)
    addr = ((idx // a.rows_per_file) << np.uint64(32)) | (idx % a.rows_per_file)
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    queries, hits, exact = [], [], []
    for r in rng.integers(0, a.rows, a.queries):
        q = (x[r] + rng.normal(0, 0.5, a.dim)).astype(np.float32)
        res = ds.to_table(nearest={"column": "vec", "q": q, "k": a.k, "nprobes": a.nprobes,
                                   "refine_factor": None},
                          columns=["id", "_distance"], with_row_address=True)
        hits.append({"rowaddr": res.column("_rowaddr").to_pylist(),
                     "distance": res.column("_distance").to_pylist()})
        if a.metric == "l2":
            d = ((x - q) ** 2).sum(axis=1)
        elif a.metric == "cosine":
            d = 1 - xn @ (q / np.linalg.norm(q))
        else:
            d = 1 - x @ q
        exact.append([int(v) for v in addr[np.argsort(d, kind="stable")[: a.k]]])
        queries.append([float(v) for v in q])
    return {"queries": queries, "hits": hits, "exact": exact,
            "indices": [{"name": i["name"], "type": i["type"], "uuid": i["uuid"],
                         "fragment_ids": sorted(i["fragment_ids"])} for i in ds.list_indices()]}


def cmd_ivfpq_query(a):
    """Opens a dataset with an IVF_PQ index written by lancegate: lists its
    indices, reads index_stats(a.name), explains one query's plan and
    answers the queries in the JSON file a.queries with nprobes=a.nprobes
    and no refine. Returns the listing, the stats, the plan and the hits'
    row addresses and distances."""
    ds = lance.dataset(a.uri)
    with open(a.queries) as f:
        queries = json.load(f)
    indices = [{"name": i["name"], "type": i["type"], "uuid": i["uuid"],
                "fields": list(i["fields"]), "version": i["version"],
                "fragment_ids": sorted(i["fragment_ids"])} for i in ds.list_indices()]
    stats = ds.stats.index_stats(a.name)
    nearest = lambda q: {"column": a.column, "q": q, "k": a.k, "nprobes": a.nprobes, "refine_factor": None}
    plan = ds.scanner(nearest=nearest(queries[0]), columns=["id"]).explain_plan(True)
    hits = []
    for q in queries:
        res = ds.to_table(nearest=nearest(q), columns=["id", "_distance"], with_row_address=True)
        hits.append({"rowaddr": res.column("_rowaddr").to_pylist(),
                     "distance": res.column("_distance").to_pylist()})
    return {"indices": indices, "stats": json.loads(json.dumps(stats, default=str)),
            "plan": plan, "hits": hits}


def cmd_transactions(a):
    ds = lance.dataset(a.uri)
    out = []
    for v in range(1, ds.version + 1):
        txn = ds.read_transaction(v) if hasattr(ds, "read_transaction") else None
        out.append(type(txn.operation).__name__ if txn is not None else None)
    return {"operations": out}


def cmd_bench_scan(a):
    """Times full scans of every column, a.repeat times (seconds each)."""
    import time

    ds = lance.dataset(a.uri)
    times = []
    rows = 0
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        rows = 0
        for batch in ds.to_batches():
            rows += batch.num_rows
        times.append(time.perf_counter() - t0)
    return {"seconds": times, "rows": rows, "lance_version": lance.__version__}


def cmd_bench_write(a):
    """Times writing an IPC table as a new dataset, a.repeat times."""
    import shutil
    import time

    t = read_ipc(a.data)
    times = []
    for i in range(a.repeat):
        uri = f"{a.uri}-{i}"
        t0 = time.perf_counter()
        lance.write_dataset(t, uri, data_storage_version=a.format)
        times.append(time.perf_counter() - t0)
        shutil.rmtree(uri, ignore_errors=True)
    return {"seconds": times, "rows": t.num_rows}


def main():
    p = argparse.ArgumentParser()
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
    w.add_argument("--format")
    w.add_argument("--v1-names", action="store_true")
    w.add_argument("--max-rows-per-file", type=int, default=1048576)
    x = sub.add_parser("delete")
    x.add_argument("uri")
    x.add_argument("predicate")
    al = sub.add_parser("append-loop")
    al.add_argument("uri")
    al.add_argument("--batches", type=int, default=4)
    al.add_argument("--rows", type=int, default=10)
    al.add_argument("--first-id", type=int, default=0)
    n = sub.add_parser("nearest")
    n.add_argument("uri")
    n.add_argument("column")
    n.add_argument("vector")
    n.add_argument("--k", type=int, default=5)
    n.add_argument("--id-column", default="id")
    iv = sub.add_parser("ivfpq")
    iv.add_argument("uri")
    iv.add_argument("--metric", default="l2")
    iv.add_argument("--rows", type=int, default=20000)
    iv.add_argument("--rows-per-file", type=int, default=10000)
    iv.add_argument("--dim", type=int, default=32)
    iv.add_argument("--partitions", type=int, default=16)
    iv.add_argument("--sub-vectors", type=int, default=4)
    iv.add_argument("--queries", type=int, default=20)
    iv.add_argument("--k", type=int, default=10)
    iv.add_argument("--nprobes", type=int, default=4)
    iv.add_argument("--seed", type=int, default=1)
    ivq = sub.add_parser("ivfpq-query")
    ivq.add_argument("uri")
    ivq.add_argument("queries")
    ivq.add_argument("--name", default="vec_idx")
    ivq.add_argument("--column", default="vec")
    ivq.add_argument("--k", type=int, default=10)
    ivq.add_argument("--nprobes", type=int, default=4)
    t = sub.add_parser("transactions")
    t.add_argument("uri")
    bs = sub.add_parser("bench-scan")
    bs.add_argument("uri")
    bs.add_argument("--repeat", type=int, default=3)
    bw = sub.add_parser("bench-write")
    bw.add_argument("data")
    bw.add_argument("uri")
    bw.add_argument("--repeat", type=int, default=1)
    bw.add_argument("--format", default="2.0")
    a = p.parse_args()
    out = globals()["cmd_" + a.cmd.replace("-", "_")](a)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
