"""LanceDB OSS side of cmd/lancebench (performance.md §3.5).

Run by the Go harness as `python lancedb_bench.py config.json` with the
.venv python (make venv: lancedb and pylance at the pinned versions). The
config (written by the harness) names the .fvecs files of the data set,
the LanceDB folder and table, the index parameters and the sweep:

  base, queries        .fvecs files (TEXMEX layout)
  db, table            lancedb.connect(db).create_table / open_table(table)
  create               write the table from the base vectors (ids 0..N-1);
                       false: open an existing table (lancegate's, with the
                       index lancegate wrote)
  index                build IVF_PQ (metric, partitions, sub_vectors)
  metric               l2, cosine or dot
  nprobes, refine      the sweep (refine 0: no refine step)
  clients              query threads
  warmup               warm-up queries before the sweep
  k                    LIMIT
  out                  result file (JSON)

The result holds the versions, the write and build times, and for each
sweep point the wall time, every query's latency (ms) and returned ids;
the harness computes recall with the same ground truth and tie rule as for
lancegate. Progress goes to stderr.
"""

import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import lance
import lancedb
from lancedb.index import HnswSq, IvfPq
import numpy as np
import pyarrow as pa


def log(msg):
    print(time.strftime("%H:%M:%S"), "lancedb_bench:", msg, file=sys.stderr, flush=True)


def read_fvecs(path):
    raw = np.fromfile(path, dtype=np.int32)
    if raw.size == 0:
        return np.zeros((0, 0), dtype=np.float32)
    dim = int(raw[0])
    rows = raw.reshape(-1, dim + 1)
    if not (rows[:, 0] == dim).all():
        raise ValueError(f"{path}: rows of different dimensions")
    return rows[:, 1:].copy().view(np.float32)


def make_table(base):
    n, dim = base.shape
    values = pa.array(base.reshape(-1), type=pa.float32())
    vec = pa.FixedSizeListArray.from_arrays(values, dim)
    ids = pa.array(np.arange(n, dtype=np.int64))
    schema = pa.schema([
        pa.field("id", pa.int64(), nullable=False),
        pa.field("embedding", pa.list_(pa.float32(), dim)),
    ])
    return pa.Table.from_arrays([ids, vec], schema=schema)


def run_queries(tbl, cfg, queries, qidx, nprobes, refine, threads):
    """Runs the queries qidx on a pool of `threads` threads, each taking the
    next query when it is free. Returns (wall seconds, latencies ms, ids)."""
    k, metric = cfg["k"], cfg["metric"]
    lat = [0.0] * len(qidx)
    ids = [None] * len(qidx)
    lock = threading.Lock()
    nxt = [0]

    def one(i):
        q = tbl.search(queries[qidx[i]], vector_column_name="embedding").distance_type(metric)
        if cfg["index_used"]:
            q = q.nprobes(nprobes)
            if cfg.get("index_type") == "ivf_hnsw_sq":
                q = q.ef(refine)  # the sweep's second value is ef
            elif refine > 0:
                q = q.refine_factor(refine)
        # _distance is selected to keep lance's deprecation warning (one per
        # query) quiet; it is returned anyway.
        q = q.limit(k).select(["id", "_distance"])
        t0 = time.perf_counter()
        res = q.to_arrow()
        lat[i] = (time.perf_counter() - t0) * 1000
        ids[i] = res.column("id").to_pylist()

    def worker():
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= len(qidx):
                return
            one(i)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as ex:
        futs = [ex.submit(worker) for _ in range(threads)]
        for f in futs:
            f.result()
    return time.perf_counter() - t0, lat, ids


def main():
    cfg = json.load(open(sys.argv[1]))
    out = {"versions": {"lancedb": lancedb.__version__, "pylance": lance.__version__,
                        "pyarrow": pa.__version__, "python": sys.version.split()[0]},
           "write_s": 0.0, "build_s": 0.0, "points": []}
    queries = read_fvecs(cfg["queries"])
    db = lancedb.connect(cfg["db"])
    if cfg["create"]:
        base = read_fvecs(cfg["base"])
        data = make_table(base)
        del base
        t0 = time.perf_counter()
        tbl = db.create_table(cfg["table"], data=data, mode="overwrite")
        out["write_s"] = time.perf_counter() - t0
        log(f"wrote {data.num_rows} rows to {cfg['db']}/{cfg['table']}.lance in {out['write_s']:.1f}s")
        del data
    else:
        tbl = db.open_table(cfg["table"])
        log(f"opened {cfg['db']}/{cfg['table']}.lance: {tbl.count_rows()} rows, indexes {[i.name for i in tbl.list_indices()]}")
    cfg["index_used"] = bool(cfg["index"]) or (not cfg["create"] and len(tbl.list_indices()) > 0)
    if cfg["index"]:
        t0 = time.perf_counter()
        # The same k-means settings as lancegate's ivfpq defaults (50
        # iterations, 256 training vectors per centroid, 8-bit codes).
        if cfg.get("index_type") == "ivf_hnsw_sq":
            tbl.create_index("embedding", config=HnswSq(
                distance_type=cfg["metric"], num_partitions=cfg["partitions"],
                m=cfg["m"], ef_construction=cfg["ef_construction"], max_iterations=50, sample_rate=256))
            what = f"IVF{cfg['partitions']}/HNSW(m={cfg['m']}, ef_construction={cfg['ef_construction']})/SQ8"
        else:
            tbl.create_index("embedding", config=IvfPq(
                distance_type=cfg["metric"], num_partitions=cfg["partitions"],
                num_sub_vectors=cfg["sub_vectors"], num_bits=8, max_iterations=50,
                sample_rate=256))
            what = f"IVF{cfg['partitions']}/PQ{cfg['sub_vectors']}"
        out["build_s"] = time.perf_counter() - t0
        log(f"{what} ({cfg['metric']}) built in {out['build_s']:.1f}s")

    nq = queries.shape[0]
    threads = cfg["clients"]
    if cfg["warmup"] > 0:
        wq = [i % nq for i in range(cfg["warmup"])]
        wall, _, _ = run_queries(tbl, cfg, queries, wq, cfg["nprobes"][0], cfg["refine"][0], threads)
        log(f"warm-up of {len(wq)} queries in {wall:.1f}s")
    qidx = list(range(nq))
    for nprobes in cfg["nprobes"]:
        for refine in cfg["refine"]:
            wall, lat, ids = run_queries(tbl, cfg, queries, qidx, nprobes, refine, threads)
            log(f"nprobes {nprobes} refine {refine}: {nq / wall:.0f} QPS, p50 {np.percentile(lat, 50):.2f} ms")
            out["points"].append({"nprobes": nprobes, "refine": refine, "wall_s": wall, "lat_ms": lat, "ids": ids})
    with open(cfg["out"], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
