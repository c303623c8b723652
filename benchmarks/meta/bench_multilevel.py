"""Benchmark: three-level REML fits with yim vs. metafor rma.mv on identical simulated data.

Usage (from the repository root):

    .venv/bin/python benchmarks/meta/bench_multilevel.py            # all sizes, R up to k=2,000
    .venv/bin/python benchmarks/meta/bench_multilevel.py --r-max-k 20000 --r-sparse

Sizes: k = 2,000 in 200 studies, 20,000 in 2,000 and 200,000 in 20,000 (10 effect sizes per
study), deterministic seeds. yim: best wall time of --repeats fits (intercept + one moderator,
no profile CIs / LRTs, i.e. the same work as one ``rma.mv`` call), and peak traced memory of a
separate fit (tracemalloc; numpy reports its buffers to it). metafor: ``system.time`` around
``rma.mv`` inside Rscript on the CSV written here; the script reports the speed ratio and the
largest relative difference in β, SE and σ². Not a test: nothing here asserts timings.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from yim.stats.meta.multilevel import MultilevelModel

SIZES = [(200, 10, 11), (2_000, 10, 12), (20_000, 10, 13)]  # (studies, es per study, seed)

R_SCRIPT = r"""
suppressMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
sparse <- args[2] == "TRUE"
tm <- system.time(fit <- rma.mv(yi, vi, mods = ~ x, random = ~ 1 | study/es, data = d,
                                method = "REML", sparse = sparse))
cat(sprintf("%.17g", c(tm[["elapsed"]], fit$beta, fit$se, fit$sigma2)), sep = "\n")
"""


def simulate(n_studies: int, per_study: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    k = n_studies * per_study
    study = np.repeat(np.arange(1, n_studies + 1), per_study)
    es = np.tile(np.arange(1, per_study + 1), n_studies)
    n = rng.integers(20, 200, size=k)
    vi = 4.0 / n  # roughly the variance of a standardised mean difference
    x = rng.normal(size=k)
    yi = (
        0.2
        + 0.1 * x
        + rng.normal(scale=np.sqrt(0.05), size=n_studies)[study - 1]
        + rng.normal(scale=np.sqrt(0.03), size=k)
        + rng.normal(scale=np.sqrt(vi))
    )
    return pd.DataFrame({"study": study, "es": es, "yi": yi, "vi": vi, "x": x})


def fit_yim(d: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.column_stack([np.ones(len(d)), d["x"].to_numpy()])
    res = MultilevelModel("REML", profile_cis=False, lrt=False).fit(
        d["yi"].to_numpy(), d["vi"].to_numpy(), {"study": d["study"], "es": d["es"]}, x
    )
    return res.beta, np.sqrt(np.diag(res.vcov)), res.sigma2


def run_r(d: pd.DataFrame, sparse: bool) -> dict[str, object] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "data.csv"
        script = Path(tmp) / "fit.R"
        d.to_csv(csv, index=False, float_format="%.17g")
        script.write_text(R_SCRIPT)
        out = subprocess.run(
            ["Rscript", str(script), str(csv), "TRUE" if sparse else "FALSE"],
            capture_output=True,
            text=True,
            check=True,
        )
    vals = [float(v) for v in out.stdout.split()]
    return {
        "seconds": vals[0],
        "beta": np.array(vals[1:3]),
        "se": np.array(vals[3:5]),
        "sigma2": np.array(vals[5:7]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--r-max-k", type=int, default=2_000, help="run metafor up to this k")
    ap.add_argument("--r-sparse", action="store_true", help="rma.mv(..., sparse=TRUE)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()

    rows = []
    for n_studies, per, seed in SIZES:
        d = simulate(n_studies, per, seed)
        k = len(d)
        fit_yim(d)  # warm-up (imports, first-call overheads)
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            beta, se, sigma2 = fit_yim(d)
            times.append(time.perf_counter() - t0)
        tracemalloc.start()
        fit_yim(d)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        row: dict[str, object] = {
            "k": k,
            "studies": n_studies,
            "yim_seconds": min(times),
            "yim_peak_mib": peak / 2**20,
            "peak_bytes_per_es": peak / k,
        }
        if k <= args.r_max_k:
            r = run_r(d, args.r_sparse)
            if r is not None:
                diffs = [
                    np.max(np.abs(a - b) / np.abs(b))
                    for a, b in ((beta, r["beta"]), (se, r["se"]), (sigma2, r["sigma2"]))
                ]
                row.update(
                    metafor_seconds=r["seconds"],
                    speedup=float(r["seconds"]) / min(times),  # type: ignore[arg-type]
                    max_rel_diff=float(max(diffs)),
                )
        rows.append(row)
        print(
            "  ".join(
                f"{key}={val:.4g}" if isinstance(val, float) else f"{key}={val}"
                for key, val in row.items()
            ),
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
