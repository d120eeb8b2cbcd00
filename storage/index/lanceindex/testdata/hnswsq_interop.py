# Interop helper for hnswsq_test.go, run with pylance 14.
#
#   build <uri> <metric> <n> <dim> <partitions> <seed> <queries.json> <out.json>
#       writes a clustered dataset, has pylance create an IVF_HNSW_SQ index,
#       and answers the queries with it (k 10, nprobes = partitions, ef 64)
#   check <uri> <queries.json> <nprobes> <out.json>
#       lists the dataset's indexes, reads their stats and answers the
#       queries with the index (nearest, k 10, ef 64) and exactly
#   maintain <uri> <step> <out.json>
#       step "delta": appends 300 rows and adds a delta index
#       (optimize_indices(num_indices_to_merge=0)); "merge": merges the
#       deltas (optimize_indices()); "compact": deletes rows with id < 100
#       and compacts (remapping the index). Then looks up the first
#       appended vector and writes the indexes and the answer.
import json
import sys

import lance
import numpy as np
import pyarrow as pa

K, EF = 10, 64


def answer(ds, queries, nprobes, metric):
    out = {"results": [], "distances": [], "exact": [], "plan": ""}
    tbl = ds.to_table(columns=["vec"], with_row_id=True)
    rowids = tbl.column("_rowid").to_numpy()
    vecs = np.stack(tbl.column("vec").to_numpy(zero_copy_only=False)).astype(np.float64)
    for q in queries:
        nearest = {"column": "vec", "q": np.asarray(q, dtype=np.float32), "k": K, "nprobes": nprobes, "ef": EF}
        r = ds.to_table(columns=["id"], nearest=nearest, with_row_id=True)
        out["results"].append([int(v) for v in r.column("_rowid").to_pylist()])
        out["distances"].append([float(v) for v in r.column("_distance").to_pylist()])
        qq = np.asarray(q, dtype=np.float64)
        if metric == "cosine":
            d = 1 - (vecs @ qq) / (np.linalg.norm(vecs, axis=1) * np.linalg.norm(qq))
        elif metric == "dot":
            d = -(vecs @ qq)
        else:
            d = ((vecs - qq) ** 2).sum(axis=1)
        out["exact"].append([int(rowids[i]) for i in np.argsort(d, kind="stable")[:K]])
    nearest = {"column": "vec", "q": np.asarray(queries[0], dtype=np.float32), "k": K, "nprobes": nprobes, "ef": EF}
    out["plan"] = ds.scanner(columns=["id"], nearest=nearest).explain_plan(True)
    return out


def main():
    mode = sys.argv[1]
    if mode == "build":
        uri, metric, n, dim, parts, seed, qpath, opath = sys.argv[2:]
        n, dim, parts, seed = int(n), int(dim), int(parts), int(seed)
        rng = np.random.default_rng(seed)
        centers = rng.normal(0, 5, (12, dim))
        x = (centers[rng.integers(0, 12, n)] + rng.normal(0, 1, (n, dim))).astype(np.float32)
        tbl = pa.table({"id": pa.array(np.arange(n, dtype=np.int64)),
                        "vec": pa.FixedSizeListArray.from_arrays(pa.array(x.ravel()), dim)})
        ds = lance.write_dataset(tbl, uri, max_rows_per_file=max(1, n // 2))
        ds.create_index("vec", index_type="IVF_HNSW_SQ", num_partitions=parts, metric=metric)
        queries = (x[rng.integers(0, n, 20)] + rng.normal(0, 0.3, (20, dim))).astype(np.float32)
        queries = [[float(v) for v in q] for q in queries]
        with open(qpath, "w") as f:
            json.dump(queries, f)
        out = answer(lance.dataset(uri), queries, parts, metric)
        with open(opath, "w") as f:
            json.dump(out, f)
    elif mode == "check":
        uri, qpath, nprobes, opath = sys.argv[2:]
        ds = lance.dataset(uri)
        with open(qpath) as f:
            queries = json.load(f)
        idx = ds.list_indices()
        stats = ds.stats.index_stats(idx[0]["name"])
        metric = stats["indices"][0].get("metric_type", "l2")
        out = answer(ds, queries, int(nprobes), metric)
        out["indices"] = [{"name": i["name"], "type": i["type"], "uuid": i["uuid"],
                           "fragment_ids": sorted(int(v) for v in i["fragment_ids"])} for i in idx]
        out["stats"] = json.loads(json.dumps(stats, default=str))
        with open(opath, "w") as f:
            json.dump(out, f)
    elif mode == "maintain":
        uri, step, opath = sys.argv[2:]
        ds = lance.dataset(uri)
        dim = ds.schema.field("vec").type.list_size
        rng = np.random.default_rng(3)
        if step == "delta":
            n = ds.count_rows()
            x = rng.normal(0, 5, (300, dim)).astype(np.float32)
            new = pa.table({"id": pa.array(np.arange(n, n + 300, dtype=np.int64)),
                            "vec": pa.FixedSizeListArray.from_arrays(pa.array(x.ravel()), dim)})
            ds = lance.write_dataset(new, uri, mode="append")
            ds.optimize.optimize_indices(num_indices_to_merge=0)
        elif step == "merge":
            ds.optimize.optimize_indices()
        elif step == "compact":
            ds.delete("id < 100")
            ds.optimize.compact_files()
        ds = lance.dataset(uri)
        last = ds.to_table(columns=["id", "vec"], filter="id >= 3000", limit=1)
        q = np.asarray(last.column("vec")[0].values.to_numpy(), dtype=np.float32)
        r = ds.to_table(columns=["id"], nearest={"column": "vec", "q": q, "k": 3})
        out = {"ids": r.column("id").to_pylist(), "distances": r.column("_distance").to_pylist(),
               "want": last.column("id")[0].as_py(),
               "indices": [{"name": i["name"], "type": i["type"], "uuid": i["uuid"],
                            "fragment_ids": sorted(int(v) for v in i["fragment_ids"])}
                           for i in ds.list_indices()]}
        with open(opath, "w") as f:
            json.dump(out, f)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
