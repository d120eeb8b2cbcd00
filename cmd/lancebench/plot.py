"""Draws recall@k (x) against QPS (y, log scale) per engine from a
cmd/lancebench results file:

    python plot.py results.json out.png

Needs matplotlib; when it is missing, it is pip-installed into this
python's environment first (the .venv of `make venv`).
"""

import json
import subprocess
import sys


def need_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("plot.py: installing matplotlib into", sys.prefix, file=sys.stderr, flush=True)
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet",
                               "--disable-pip-version-check", "matplotlib"])
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot.py results.json out.png")
    res = json.load(open(sys.argv[1]))
    plt = need_matplotlib()
    fig, ax = plt.subplots(figsize=(8, 5.5))
    points = res.get("summary") or res["points"]
    engines = []
    for p in points:
        if p["engine"] not in engines:
            engines.append(p["engine"])
    markers = "os^dvx"
    for ei, e in enumerate(engines):
        pts = [p for p in points if p["engine"] == e]
        # One line per refine factor, along nprobes.
        for rf in sorted({p["refine"] for p in pts}):
            line = sorted((p for p in pts if p["refine"] == rf), key=lambda p: p["nprobes"])
            ax.plot([p["recall"] for p in line], [p["qps"] for p in line],
                    marker=markers[ei % len(markers)], color=f"C{ei}",
                    alpha=0.4 + 0.6 * (rf / max(1, max(q["refine"] for q in pts))),
                    label=f"{e} refine {rf}")
            for p in line:
                ax.annotate(str(p["nprobes"]), (p["recall"], p["qps"]), fontsize=7,
                            textcoords="offset points", xytext=(3, 3))
    d = res["data"]
    pr = d["params"]
    ax.set_yscale("log")
    ax.set_xlabel(f"recall@{res['k']}")
    ax.set_ylabel("QPS (log)")
    ax.set_title(f"{pr['N']}×{pr['Dim']} {d['metric']}, RC {d['relative_contrast']:.2f}, "
                 f"IVF{res['partitions']}/PQ{res['sub_vectors']}, {res['clients']} clients "
                 f"(labels: nprobes)", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=120)


if __name__ == "__main__":
    main()
