"""Benchmark: the risk trajectories' mixed model (yim.stats.lmm) at registry scale.

Usage (from the repository root):

    .venv/bin/python benchmarks/risk/bench_lmm.py                   # 100,000 youth x 5 waves
    .venv/bin/python benchmarks/risk/bench_lmm.py --youth 20000 --subsample 1000 --skip-gee

Simulated long frame as ``risk_frame`` builds it (``unit, wave, domain, time, jim, score``):
``--youth`` youth x 5 waves (intake, 3, 6, 12 and 18 months, jittered; 10% of the later
waves missing) x ``--domains`` risk domains, each ``score ~ time * jim`` with its own random
intercept and slope per youth and a time-varying JIM. Measured in one run:

1. one domain, ``--subsample`` youth: statsmodels ``MixedLM`` (the engine risk.py used
   before: ``smf.mixedlm(...).fit(reml=True)``, its first optimiser chain only, so a lower
   bound of the old path) against ``yim.stats.lmm`` on the same rows; the largest difference
   of the fixed effects; then ``yim.stats.lmm`` on the whole domain, and the speed ratio per
   youth;
2. the whole analysis, ``fit_risk_frame`` over every domain (mixed model, GEE with two
   covariances, observed means, curves), with the time spent in the mixed model and in the GEE,
   wall clock and CPU time of this process.

``bench_gee.py`` compares the GEE (yim.stats.gee) with statsmodels' ``GEE``.

Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

WAVES = (("intake:0", 0.0), ("evaluation:1", 0.25), ("evaluation:2", 0.5),
         ("evaluation:3", 1.0), ("closure:0", 1.5))  # fmt: skip
DOMAINS = ("rule_breaking", "school", "placement", "family", "peers", "substances",
           "mental_health", "leisure")  # fmt: skip


def simulate(n_youth: int, n_domains: int, seed: int = 2026) -> pd.DataFrame:
    """The long frame, vectorised (one row per assessment and domain)."""
    rng = np.random.default_rng(seed)
    n_waves = len(WAVES)
    unit = np.repeat(np.arange(1, n_youth + 1), n_waves)
    index = np.tile(np.arange(n_waves), n_youth)
    planned = np.array([t for _w, t in WAVES])[index]
    jitter = np.where(
        index == 0, rng.uniform(0, 0.03, unit.size), rng.uniform(-0.04, 0.04, unit.size)
    )
    time_ = planned + jitter
    jim_at = np.where(rng.random(n_youth) < 0.6, rng.uniform(0.05, 0.6, n_youth), np.inf)
    jim = (time_ >= jim_at[unit - 1]).astype(int)
    kept = (index == 0) | (rng.random(unit.size) >= 0.1)
    unit, index, time_, jim = unit[kept], index[kept], time_[kept], jim[kept]
    wave = np.array([w for w, _t in WAVES])[index]
    frames = []
    for d in range(n_domains):
        slope_diff = -0.6 + 0.1 * d
        u0 = rng.normal(0, 0.5, n_youth)[unit - 1]
        u1 = rng.normal(0, 0.3, n_youth)[unit - 1]
        mean = 1.8 - 0.2 * time_ - 0.1 * jim + slope_diff * time_ * jim + u0 + u1 * time_
        score = mean + rng.normal(0, 0.35, unit.size)
        frames.append(
            pd.DataFrame(
                {"unit": unit, "wave": wave, "domain": DOMAINS[d % len(DOMAINS)] + (
                    f"_{d // len(DOMAINS)}" if d >= len(DOMAINS) else ""),
                 "time": time_.round(6), "jim": jim, "score": score.round(6)}
            )
        )  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def _timed(function: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def setup_django() -> None:
    """Django for the messages' gettext and the app registry only: no database is opened."""
    data_dir = tempfile.mkdtemp(prefix="yim-bench-risk-")
    for key, value in {
        "YIM_DATA_DIR": data_dir,
        "YIM_DATABASE_URL": f"sqlite:///{data_dir}/unused.sqlite3",
        "YIM_SECRET_KEY": "benchmark-only-secret-" + "r" * 40,
        "DJANGO_SETTINGS_MODULE": "yim.settings",
    }.items():
        os.environ.setdefault(key, value)
    import django

    django.setup()
    print(f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"numpy {np.__version__}")  # fmt: skip


def compare_engines(frame: pd.DataFrame, subsample: int) -> None:
    import statsmodels.formula.api as smf

    from yim.research.evidence import risk

    domain = frame["domain"].iloc[0]
    data = risk._domain_data(frame, domain)
    small = data.loc[data["unit"] <= subsample].reset_index(drop=True)
    print(f"1. one domain ({domain}): statsmodels MixedLM vs yim.stats.lmm")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = smf.mixedlm(risk.FORMULA, small, groups=small["unit"], re_formula="~time")
        old, old_seconds = _timed(model.fit, reml=True)
    (new, _notes), new_seconds = _timed(risk._mixed, small)
    difference = max(abs(float(old.fe_params[t]) - new.params[t]) for t in risk.TERMS)
    print(f"   {subsample:,} youth, {len(small):,} assessments")
    print(f"   statsmodels MixedLM : {old_seconds:8.2f} s")
    print(f"   yim.stats.lmm       : {new_seconds:8.3f} s   ({old_seconds / new_seconds:,.0f}x)")
    print(f"   largest |difference| of the fixed effects: {difference:.1e}")
    n_youth = int(data["unit"].nunique())
    (full, _notes), full_seconds = _timed(risk._mixed, data)
    per_old, per_new = old_seconds / subsample, full_seconds / n_youth
    print(
        f"   yim.stats.lmm, {n_youth:,} youth, {len(data):,} assessments: {full_seconds:.2f} s "
        f"({full.evaluations} evaluations, converged={full.converged})"
    )
    print(f"   per youth: statsmodels {per_old * 1e3:.2f} ms, yim.stats.lmm "
          f"{per_new * 1e3:.4f} ms: ratio {per_old / per_new:,.0f}x")  # fmt: skip
    print(f"   statsmodels extrapolated to {n_youth:,} youth (linear): "
          f"{per_old * n_youth / 60:.1f} min per domain")  # fmt: skip


def whole_analysis(frame: pd.DataFrame, skip_gee: bool, part: int = 2) -> None:
    """``fit_risk_frame`` over every domain, wall clock and CPU time of this process, each
    split into the mixed models, the GEE and the rest."""
    from django.utils import translation

    from yim.research.evidence import risk

    spent = {"mixed": 0.0, "gee": 0.0, "mixed_cpu": 0.0, "gee_cpu": 0.0}
    original_mixed, original_gee = risk._mixed, risk._gee

    def clocked(key: str, function: Any, data: pd.DataFrame) -> Any:
        cpu = time.process_time()
        result, seconds = _timed(function, data)
        spent[key] += seconds
        spent[f"{key}_cpu"] += time.process_time() - cpu
        return result

    def mixed(data: pd.DataFrame) -> Any:
        return clocked("mixed", original_mixed, data)

    def gee(data: pd.DataFrame) -> Any:
        if skip_gee:
            raise ValueError("GEE skipped in this benchmark run")
        return clocked("gee", original_gee, data)

    risk._mixed, risk._gee = mixed, gee  # type: ignore[assignment]
    try:
        with translation.override("en"):
            cpu = time.process_time()
            result, seconds = _timed(risk.fit_risk_frame, frame)
            cpu = time.process_time() - cpu
    finally:
        risk._mixed, risk._gee = original_mixed, original_gee  # type: ignore[assignment]
    print(f"{part}. fit_risk_frame, {len(result.domains)} domains, {result.n_youth:,} youth, "
          f"{len(frame):,} domain scores" + (" (GEE skipped)" if skip_gee else ""))  # fmt: skip
    rest = seconds - spent["mixed"] - spent["gee"]
    rest_cpu = cpu - spent["mixed_cpu"] - spent["gee_cpu"]
    print(f"   wall: total {seconds:7.1f} s   mixed models {spent['mixed']:6.1f} s   "
          f"GEE {spent['gee']:6.1f} s   rest {rest:5.1f} s")  # fmt: skip
    print(f"   CPU:  total {cpu:7.1f} s   mixed models {spent['mixed_cpu']:6.1f} s   "
          f"GEE {spent['gee_cpu']:6.1f} s   rest {rest_cpu:5.1f} s")  # fmt: skip
    for fit in result.domains:
        diff = fit.slope_difference
        mixed_text = f"{diff.estimate:+.4f} (SE {diff.se:.4f})" if diff else "-"
        gee_text = f"{fit.gee.estimate:+.4f}" if fit.gee else "-"
        print(f"   {fit.domain:14} converged={fit.converged!s:5} slope difference "
              f"{mixed_text}   GEE {gee_text}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--youth", type=int, default=100_000)
    parser.add_argument("--domains", type=int, default=8)
    parser.add_argument("--subsample", type=int, default=2_000)
    parser.add_argument("--skip-gee", action="store_true", help="the mixed models alone")
    parser.add_argument("--skip-whole", action="store_true", help="skip part 2")
    args = parser.parse_args()
    setup_django()
    frame, seconds = _timed(simulate, args.youth, args.domains)
    print(f"simulated {args.youth:,} youth x {len(WAVES)} waves x {args.domains} domains: "
          f"{len(frame):,} rows in {seconds:.1f} s")  # fmt: skip
    compare_engines(frame, args.subsample)
    if not args.skip_whole:
        whole_analysis(frame, args.skip_gee)


if __name__ == "__main__":
    main()
