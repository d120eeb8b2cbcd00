"""Writes the Lance 2.1/2.2 fixtures the structural decoder is tested against.

Run with the pylance venv (pylance 14.0.2, pyarrow 26):

    /tmp/lgvenv/bin/python gen_fixtures.py

from this directory. Every fixture NAME_VER.lance (VER is 21 or 22) is a
standalone Lance data file written by pylance's LanceFileWriter; next to it
NAME_VER.arrow is an Arrow IPC file holding what pylance itself reads back
from that file, which the Go tests compare against value by value. Both
versions hold the same data, so the generator checks that pylance reads
each back identically and keeps one NAME.arrow per fixture. Seeds are
fixed, so reruns write the same data (pylance's bytes may differ between
pylance versions).
"""

import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
from lance.file import LanceFileReader, LanceFileWriter

HERE = os.path.dirname(os.path.abspath(__file__))
VERSIONS = {"21": "2.1", "22": "2.2"}


def meta(field_type, **kv):
    """A field type plus lance-encoding:* metadata (returned as a tuple)."""
    return field_type, {f"lance-encoding:{k.replace('_', '-')}": v for k, v in kv.items()}


_VOCAB = None


def words(rng, n, lo, hi):
    """n strings of lo..hi characters built from a fixed vocabulary."""
    global _VOCAB
    if _VOCAB is None:
        vr = np.random.default_rng(7)
        letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
        _VOCAB = ["".join(vr.choice(letters, vr.integers(2, 9))) for _ in range(300)]
    out = []
    for _ in range(n):
        target = int(rng.integers(lo, hi))
        parts, size = [], 0
        while size < target:
            w = _VOCAB[int(rng.integers(0, len(_VOCAB)))]
            parts.append(w)
            size += len(w) + 1
        out.append(" ".join(parts)[:target])
    return out


def nulls_every(values, k, typ=None):
    vals = [None if i % k == 0 else v for i, v in enumerate(values)]
    return pa.array(vals, typ) if typ is not None else pa.array(vals)


def fixture_types(rng):
    n = 700
    ints = {
        "i8": (np.int8, -100, 100),
        "u8": (np.uint8, 0, 255),
        "i16": (np.int16, -30000, 30000),
        "u16": (np.uint16, 0, 60000),
        "i32": (np.int32, -(2**31), 2**31 - 1),
        "u32": (np.uint32, 0, 2**32 - 1),
        "i64": (np.int64, -(2**62), 2**62),
        "u64": (np.uint64, 0, 2**63),
    }
    cols = {}
    for name, (dt, lo, hi) in ints.items():
        v = rng.integers(lo, hi, n, dtype=np.int64 if dt != np.uint64 else np.uint64).astype(dt)
        cols[name] = pa.array(v)
        cols[name + "_n"] = nulls_every(v.tolist(), 7, pa.from_numpy_dtype(dt))
    f = rng.standard_normal(n)
    cols["f16"] = pa.array(f.astype(np.float16))
    cols["f32"] = pa.array(f.astype(np.float32))
    cols["f64"] = pa.array(f)
    cols["f64_n"] = nulls_every(f.tolist(), 5, pa.float64())
    cols["f32_n"] = nulls_every(f.astype(np.float32).tolist(), 3, pa.float32())
    cols["bool"] = pa.array(rng.random(n) < 0.3)
    cols["bool_n"] = nulls_every((rng.random(n) < 0.5).tolist(), 4, pa.bool_())
    cols["date32"] = pa.array(rng.integers(0, 30000, n).astype(np.int32), pa.date32())
    cols["date32_n"] = nulls_every(rng.integers(0, 30000, n).tolist(), 6, pa.date32())
    ts = rng.integers(0, 2**50, n)
    cols["ts"] = pa.array(ts, pa.timestamp("us"))
    cols["tstz_n"] = nulls_every(ts.tolist(), 3, pa.timestamp("us", tz="UTC"))
    cols["ts_ms_tz"] = pa.array(ts // 1000, pa.timestamp("ms", tz="Europe/Paris"))
    cols["dec"] = pa.array([None if i % 4 == 0 else (i * 7919) % 10**9 - 5 * 10**8 for i in range(n)], pa.decimal128(20, 3))
    cols["fsb"] = pa.array([bytes(rng.integers(0, 256, 16).astype(np.uint8)) for _ in range(n)], pa.binary(16))
    cols["fsb_n"] = pa.array([None if i % 9 == 0 else bytes(rng.integers(0, 256, 5).astype(np.uint8)) for i in range(n)], pa.binary(5))
    s = words(rng, n, 0, 30)
    cols["utf8"] = pa.array(s)
    cols["utf8_n"] = nulls_every(s, 3, pa.string())
    cols["large_utf8"] = pa.array(s, pa.large_string())
    cols["large_utf8_n"] = nulls_every(s, 4, pa.large_string())
    b = [bytes(rng.integers(0, 256, rng.integers(0, 24)).astype(np.uint8)) for _ in range(n)]
    cols["binary"] = pa.array(b, pa.binary())
    cols["binary_n"] = nulls_every(b, 5, pa.binary())
    cols["large_binary_n"] = nulls_every(b, 6, pa.large_binary())
    return pa.table(cols)


def fixture_encodings(rng):
    n = 1500
    cols = {
        # Runs trigger RLE; a small range triggers bitpacking.
        # 1500 rows.
        "runs_i32": pa.array(np.repeat(np.arange(30, dtype=np.int32), 50)),
        "runs_u8": pa.array(np.repeat(np.arange(30, dtype=np.uint8), 50)),
        "runs_i64_n": nulls_every(np.repeat(np.arange(15, dtype=np.int64), 100).tolist(), 11, pa.int64()),
        "runs_f64": pa.array(np.repeat(rng.random(30), 50)),
        "small_u16": pa.array(rng.integers(0, 9, n).astype(np.uint16)),
        "small_i64": pa.array(rng.integers(-3, 1000, n).astype(np.int64)),
        "seq_i64": pa.array(np.arange(n, dtype=np.int64) * 3 + 1000),
        # Low cardinality: dictionary.
        "low_str": pa.array([["alpha", "beta", "gamma", "delta", "eps"][i] for i in rng.integers(0, 5, n)]),
        "low_str_n": nulls_every([["x", "yy", "zzz"][i] for i in rng.integers(0, 3, n)], 7, pa.string()),
        "low_i32_n": nulls_every(rng.choice([5, 50, 500, 5000], n).tolist(), 5, pa.int32()),
        "low_lbin": pa.array([b"q" * int(i) for i in rng.integers(0, 4, n)], pa.large_binary()),
        "mid_str": pa.array([f"value-{i}" for i in rng.integers(0, 600, n)]),
        # Longer text: FSST; long values: full-zip.
        "text": pa.array(words(rng, n, 20, 80)),
        "text_n": nulls_every(words(rng, n, 20, 80), 9, pa.string()),
        "long_text": pa.array((words(rng, 40, 300, 700) * n)[:n]),
        "long_text_n": nulls_every((words(rng, 30, 260, 400) * n)[:n], 3, pa.large_string()),
        "random_bin": pa.array([bytes(rng.integers(0, 256, rng.integers(0, 40)).astype(np.uint8)) for _ in range(n)]),
        # Constant and null pages.
        "all_null_i64": pa.nulls(n, pa.int64()),
        "all_null_str": pa.nulls(n, pa.string()),
        "all_null_bool": pa.nulls(n, pa.bool_()),
        "const_i64": pa.array(np.full(n, 42, dtype=np.int64)),
        "const_f32": pa.array(np.full(n, 1.5, dtype=np.float32)),
        "const_str": pa.array(["constant value"] * n),
        "const_lstr": pa.array(["wide"] * n, pa.large_string()),
        "const_bool": pa.array([True] * n),
        "const_dec": pa.array([12345] * n, pa.decimal128(10, 2)),
        "one_valid_i32": pa.array([9 if i == 17 else None for i in range(n)], pa.int32()),
        "one_valid_str": pa.array(["only" if i == 3 else None for i in range(n)], pa.string()),
        "sparse_i64": pa.array([i if i % 50 == 0 else None for i in range(n)], pa.int64()),
    }
    return pa.table(cols)


def fixture_vectors(rng):
    n = 60
    f = rng.random(n * 128, dtype=np.float32)
    cols = {
        "vec128": pa.FixedSizeListArray.from_arrays(pa.array(f), 128),
        "vec128_n": pa.FixedSizeListArray.from_arrays(pa.array(f), 128, mask=pa.array([i % 10 == 3 for i in range(n)])),
        "vec128_items_n": pa.FixedSizeListArray.from_arrays(
            pa.array([None if i % 97 == 0 else float(x) for i, x in enumerate(f)], pa.float32()), 128),
        "vec8": pa.FixedSizeListArray.from_arrays(pa.array(rng.random(n * 8, dtype=np.float32)), 8),
        "vec8_n": pa.FixedSizeListArray.from_arrays(pa.array(rng.random(n * 8, dtype=np.float32)), 8,
                                                    mask=pa.array([i % 7 == 0 for i in range(n)])),
        "vec4_items_n": pa.FixedSizeListArray.from_arrays(
            pa.array([None if i % 13 == 0 else float(i) for i in range(n * 4)], pa.float32()), 4),
        "fsl_i64": pa.FixedSizeListArray.from_arrays(pa.array(np.arange(n * 2, dtype=np.int64)), 2),
        "fsl_u8": pa.FixedSizeListArray.from_arrays(pa.array(rng.integers(0, 256, n * 32).astype(np.uint8)), 32),
        "fsl_f64_n": pa.FixedSizeListArray.from_arrays(pa.array(rng.random(n * 64)), 64,
                                                       mask=pa.array([i % 5 == 0 for i in range(n)])),
    }
    return pa.table(cols)


def fixture_compressed(rng):
    """Opt-in general compression, byte stream split and forced layouts."""
    n = 1800
    f = np.cumsum(rng.standard_normal(n)).astype(np.float64)
    text = words(rng, n, 10, 40)
    fields = [
        ("zstd_i64", pa.int64(), {"compression": "zstd"}, pa.array(rng.integers(0, 2**40, n) & 0xFF00FF)),
        ("lz4_i32", pa.int32(), {"compression": "lz4"}, pa.array(rng.integers(0, 2**20, n).astype(np.int32))),
        ("zstd_f64_bss", pa.float64(), {"compression": "zstd", "bss": "on"}, pa.array(f)),
        ("lz4_f32_bss", pa.float32(), {"compression": "lz4", "bss": "on"}, pa.array(f.astype(np.float32))),
        ("zstd_f64_bss_n", pa.float64(), {"compression": "zstd", "bss": "on"}, nulls_every(f.tolist(), 6, pa.float64())),
        ("zstd_str", pa.string(), {"compression": "zstd"}, pa.array(text)),
        ("lz4_str_n", pa.string(), {"compression": "lz4"}, nulls_every(text, 5, pa.string())),
        ("zstd_bool", pa.bool_(), {"compression": "zstd"}, pa.array(rng.random(n) < 0.1)),
        ("fullzip_str", pa.string(), {"structural-encoding": "fullzip"}, pa.array(text)),
        ("fullzip_str_n", pa.string(), {"structural-encoding": "fullzip"}, nulls_every(text, 4, pa.string())),
        ("fullzip_i64", pa.int64(), {"structural-encoding": "fullzip"}, pa.array(rng.integers(0, 2**40, n) & 0xFFFF)),
        ("fullzip_i32_n", pa.int32(), {"structural-encoding": "fullzip"}, nulls_every(list(range(n)), 3, pa.int32())),
        ("fullzip_lbin", pa.large_binary(), {"structural-encoding": "fullzip"},
         pa.array([bytes([i % 256]) * (i % 17) for i in range(n)], pa.large_binary())),
        ("miniblock_str_long", pa.string(), {"structural-encoding": "miniblock"}, pa.array((words(rng, 20, 200, 300) * n)[:n])),
        ("rle_aggressive_i16", pa.int16(), {"rle-threshold": "0.9"}, pa.array(np.repeat(rng.integers(0, 100, n // 3).astype(np.int16), 3))),
        ("no_dict_str", pa.string(), {"dict-divisor": "100000"}, pa.array([f"v{i % 10}" for i in range(n)])),
    ]
    schema = pa.schema([pa.field(name, typ, metadata={f"lance-encoding:{k}": v for k, v in md.items()})
                        for name, typ, md, _ in fields])
    return pa.table([arr for *_, arr in fields], schema=schema)


def fixture_big_values(rng):
    """Values of 40 KiB and more: general compression per value in full-zip (2.2)."""
    n = 24
    base = (b"lancegate " * 5000)
    vals = [base[: 40000 + 97 * i] + bytes([i]) * 300 for i in range(n)]
    return pa.table({
        "blobish": pa.array(vals, pa.binary()),
        "blobish_n": nulls_every(vals, 5, pa.large_binary()),
        "text_big": pa.array([v.decode("latin1") for v in vals]),
    })


def fixture_multipage(rng):
    n = 12000
    return pa.table({
        "id": pa.array(np.arange(n, dtype=np.int64)),
        "val_n": nulls_every(rng.integers(0, 1000, n).tolist(), 13, pa.int32()),
        "name": pa.array([f"name-{i % 3000}" for i in range(n)]),
        "flag": pa.array(rng.random(n) < 0.5),
    })


def fixture_default(rng):
    """The shape of a default pylance dataset (see the lead's dump)."""
    n = 3000
    cats = [f"category-{i}" for i in range(650)]
    return pa.table({
        "id": pa.array(np.arange(n, dtype=np.int64)),
        "score": nulls_every(rng.standard_normal(n).tolist(), 8, pa.float64()),
        "label": pa.array([None if i % 10 == 0 else cats[j] for i, j in enumerate(rng.integers(0, 650, n))]),
        "kind": pa.array([["a", "b", "c", "d", "e"][j] for j in rng.integers(0, 5, n)]),
        "flag": nulls_every((rng.random(n) < 0.5).tolist(), 9, pa.bool_()),
        "count": nulls_every(rng.integers(0, 10**6, n).tolist(), 4, pa.int32()),
    })


def fixture_nested(rng):
    """Lists of flat types (decoded) and struct children (not decoded)."""
    n = 500
    long = words(rng, 12, 300, 500)
    return pa.table({
        "list_i32": pa.array([None if i % 7 == 0 else list(range(i % 5)) for i in range(n)], pa.list_(pa.int32())),
        "list_i64_items_n": pa.array([[1, None, i] if i % 2 else [] for i in range(n)], pa.list_(pa.int64())),
        "list_str": pa.array([None if i % 6 == 0 else [f"s{j}" for j in range(i % 4)] for i in range(n)], pa.list_(pa.string())),
        "list_words": pa.array([words(rng, i % 3, 5, 40) for i in range(n)], pa.list_(pa.string())),
        "list_long_str": pa.array([None if i % 5 == 0 else [long[(i + j) % 12] for j in range(i % 3)] for i in range(n)],
                                  pa.list_(pa.string())),
        "large_list_f64": pa.array([None if i % 9 == 0 else [float(i)] * (i % 3) for i in range(n)], pa.large_list(pa.float64())),
        "list_vec": pa.array([None if i % 4 == 0 else [[float(i)] * 64] * (i % 2) for i in range(n)],
                             pa.list_(pa.list_(pa.float32(), 64))),
        "list_bool": pa.array([[True, False, None][: i % 4] for i in range(n)], pa.list_(pa.bool_())),
        "list_all_null": pa.nulls(n, pa.list_(pa.int32())),
        "list_null_items": pa.array([None if i % 3 == 0 else [None] * (i % 4) for i in range(n)], pa.list_(pa.string())),
        "list_const": pa.array([[5, 5]] * n, pa.list_(pa.int64())),
        "list_const_n": pa.array([None if i % 10 == 0 else [9] for i in range(n)], pa.list_(pa.int16())),
        "st": pa.StructArray.from_arrays([pa.array(np.arange(n, dtype=np.int32))], names=["a"],
                                         mask=pa.array([i % 6 == 0 for i in range(n)])),
    })


def fixture_biglists(rng):
    """Lists long enough for Lance to bitpack their levels out of line."""
    n = 3000
    return pa.table({
        "list_i32": pa.array([None if i % 7 == 0 else list(range(i % 5)) for i in range(n)], pa.list_(pa.int32())),
        "list_str_n": pa.array([None if i % 11 == 0 else [None if j == 1 else f"w{(i * j) % 300}" for j in range(i % 4)]
                                for i in range(n)], pa.list_(pa.string())),
    })


FIXTURES = {
    "types": (fixture_types, {}),
    "encodings": (fixture_encodings, {}),
    "vectors": (fixture_vectors, {}),
    "compressed": (fixture_compressed, {}),
    "bigvalues": (fixture_big_values, {}),
    "multipage": (fixture_multipage, {"max_page_bytes": 8 * 1024}),
    "default": (fixture_default, {}),
    "nested": (fixture_nested, {}),
    "biglists": (fixture_biglists, {}),
}


def write(name, table, ver, opts):
    path = os.path.join(HERE, f"{name}_{ver}.lance")
    with LanceFileWriter(path, table.schema, version=VERSIONS[ver], **opts) as w:
        w.write_batch(table)
    back = LanceFileReader(path).read_all(batch_size=1 << 20).to_table()
    if not back.equals(table):
        sys.exit(f"{path}: pylance reads back different data")
    opts = ipc.IpcWriteOptions(compression="zstd")
    with ipc.new_file(os.path.join(HERE, f"{name}.arrow"), back.schema, options=opts) as w:
        w.write_table(back)


def main():
    for name, (fn, opts) in FIXTURES.items():
        for ver in VERSIONS:
            seed = sum(map(ord, name))
            write(name, fn(np.random.default_rng(seed)), ver, opts)
            print("wrote", name, ver)


if __name__ == "__main__":
    main()
