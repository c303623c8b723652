"""Benchmark: ``yim meta fit`` end to end on 1,000,000 effect sizes in 100,000 studies.

Usage (from the repository root):

    .venv/bin/python benchmarks/meta/bench_cli.py                     # the issue's goal
    .venv/bin/python benchmarks/meta/bench_cli.py --studies 20000     # k = 200,000
    .venv/bin/python benchmarks/meta/bench_cli.py --json out.json --keep /tmp/bench

What it does, all in one run (nothing here asserts a time):

1. Simulates three-level data with a fixed seed (``--per-study`` effect sizes within each of
   ``--studies`` studies; study and effect-size variance components 0.05 and 0.03; sampling
   variances 4/n with n from 20 to 200) and writes it as CSV and Parquet.
2. Baseline: a fresh Python process that only reads the CSV with ``pandas.read_csv`` — the
   floor for any command that reads the file — measured the same way as the command.
3. ``yim meta fit DATA --yi yi --vi vi --study study --es-id es_id --test t`` (three-level
   REML with profile-likelihood CIs and the per-level likelihood-ratio tests, the
   publication-bias tests, and the HTML report), each in a fresh process, for the CSV (HTML
   and JSON output) and for the Parquet file (HTML). Every process reports its own wall time,
   CPU time (user + system) and peak resident memory (``ru_maxrss``).
4. The stages inside one process (import, read, validate, fit without and with the profile
   CIs and LRTs, report), CPU and wall.

Figures are printed as absolute values and as ratios to the baseline of the same run, with
the machine's load average, so runs on busy or slow machines can be read.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]

# run a module as __main__ in a fresh interpreter and report its own resource use
WRAPPER = textwrap.dedent(
    """
    import json, resource, runpy, sys, time
    out, module, *args = sys.argv[1:]
    sys.argv = [module, *args]
    t0 = time.perf_counter()
    status = 0
    try:
        runpy.run_module(module, run_name="__main__")
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    wall = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_SELF)
    with open(out, "w") as fh:
        json.dump({"status": status, "wall": wall, "cpu": ru.ru_utime + ru.ru_stime,
                   "peak_mib": ru.ru_maxrss / 1024}, fh)
    """
)

READ_ONLY = textwrap.dedent(
    """
    import sys
    import pandas as pd
    pd.read_csv(sys.argv[1])
    """
)


def simulate(n_studies: int, per_study: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    k = n_studies * per_study
    study = np.repeat(np.arange(1, n_studies + 1), per_study)
    n = rng.integers(20, 200, size=k)
    vi = 4.0 / n
    yi = (
        0.2
        + rng.normal(scale=np.sqrt(0.05), size=n_studies)[study - 1]
        + rng.normal(scale=np.sqrt(0.03), size=k)
        + rng.normal(scale=np.sqrt(vi))
    )
    return pd.DataFrame(
        {
            "study": [f"S{s}" for s in study],
            "es_id": np.tile(np.arange(1, per_study + 1), n_studies),
            "yi": yi,
            "vi": vi,
        }
    )


def measured(module: str, args: list[str], tmp: Path) -> dict[str, float]:
    report = tmp / "usage.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    subprocess.run(
        [sys.executable, "-c", WRAPPER, str(report), module, *args],
        check=False,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    usage: dict[str, float] = json.loads(report.read_text())
    return usage


def read_only(csv: Path, tmp: Path) -> dict[str, float]:
    script = tmp / "read_only.py"
    script.write_text(READ_ONLY)
    report = tmp / "usage.json"
    wrapper = WRAPPER.replace(
        'runpy.run_module(module, run_name="__main__")',
        "runpy.run_path(module, run_name='__main__')",
    )
    subprocess.run(
        [sys.executable, "-c", wrapper, str(report), str(script), str(csv)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    usage: dict[str, float] = json.loads(report.read_text())
    return usage


def stages(csv: Path) -> list[tuple[str, float, float]]:
    """CPU and wall seconds of each step, in this process (after a warm-up import)."""
    out: list[tuple[str, float, float]] = []
    c0, w0 = time.process_time(), time.perf_counter()

    def lap(name: str) -> None:
        nonlocal c0, w0
        c, w = time.process_time(), time.perf_counter()
        out.append((name, c - c0, w - w0))
        c0, w0 = c, w

    from yim.stats.meta.dataset import load_table, prepare
    from yim.stats.meta.multilevel import MultilevelModel
    from yim.stats.meta.report import fit_from_options, render_html

    lap("import")
    table = load_table(csv, max_bytes=None, max_rows=None)
    lap("read (load_table)")
    prepared = prepare(table, yi="yi", vi="vi", study="study", es_id="es_id")
    lap("validate (prepare)")
    MultilevelModel("REML", test="t", profile_cis=False, lrt=False).fit(
        prepared.yi, prepared.vi, prepared.groups
    )
    lap("fit, no CIs/LRTs")
    fit = fit_from_options(prepared, test="t")
    lap("fit, profile CIs + LRTs")
    page = render_html(fit)
    lap(f"HTML report ({len(page.encode()) / 1024:.0f} KiB)")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--studies", type=int, default=100_000)
    ap.add_argument("--per-study", type=int, default=10)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    ap.add_argument("--keep", type=Path, help="write the data and reports here, and keep them")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or Path(scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        data = simulate(args.studies, args.per_study, args.seed)
        csv, parquet = tmp / "effects.csv", tmp / "effects.parquet"
        data.to_csv(csv, index=False, float_format="%.17g")
        data.to_parquet(parquet)
        k = len(data)
        del data
        mib = {path.suffix: path.stat().st_size / 2**20 for path in (csv, parquet)}
        print(
            f"k = {k:,} effect sizes in {args.studies:,} studies; CSV {mib['.csv']:.1f} MiB, "
            f"Parquet {mib['.parquet']:.1f} MiB"
        )
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
        fit_args = [
            "--yi",
            "yi",
            "--vi",
            "vi",
            "--study",
            "study",
            "--es-id",
            "es_id",
            "--test",
            "t",
        ]
        runs: dict[str, dict[str, float]] = {"baseline: pandas.read_csv only": read_only(csv, tmp)}
        for name, data_file, extra in (
            ("yim meta fit CSV -> HTML", csv, ["--out", str(tmp / "report.html")]),
            ("yim meta fit CSV -> JSON", csv, ["--format", "json", "--out", str(tmp / "fit.json")]),
            ("yim meta fit Parquet -> HTML", parquet, ["--out", str(tmp / "report-pq.html")]),
        ):
            runs[name] = measured(
                "yim.cli", ["meta", "fit", str(data_file), *fit_args, *extra], tmp
            )
        base = runs["baseline: pandas.read_csv only"]
        head = f"{'run':34s} {'wall s':>8s} {'CPU s':>8s} {'peak MiB':>9s}"
        print(f"\n{head}  ratio wall / CPU to baseline")
        for name, r in runs.items():
            status = "" if r.get("status", 0) == 0 else f"  (exit status {r['status']})"
            print(
                f"{name:34s} {r['wall']:8.2f} {r['cpu']:8.2f} {r['peak_mib']:9.0f}  "
                f"{r['wall'] / base['wall']:5.1f}× / {r['cpu'] / base['cpu']:5.1f}×{status}"
            )
        report = tmp / "report.html"
        if report.exists():
            print(f"\nHTML report: {report.stat().st_size / 1024:.0f} KiB")
        print("\nstages in one process (CPU s / wall s):")
        steps = stages(csv)
        for name, cpu, wall in steps:
            print(f"  {name:32s} {cpu:7.2f} {wall:7.2f}")
        print(f"machine: load average {os.getloadavg()[0]:.1f} at the end")
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "k": k,
                        "studies": args.studies,
                        "runs": runs,
                        "stages": [{"step": n, "cpu": c, "wall": w} for n, c, w in steps],
                        "cpus": os.cpu_count(),
                    },
                    indent=2,
                )
            )


if __name__ == "__main__":
    main()
