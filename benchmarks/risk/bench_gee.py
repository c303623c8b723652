"""Benchmark: the risk trajectories' GEE (yim.stats.gee) against statsmodels ``GEE``.

Usage (from the repository root):

    .venv/bin/python benchmarks/risk/bench_gee.py                  # 100,000 youth x 5 waves
    .venv/bin/python benchmarks/risk/bench_gee.py --subsample 5000 --skip-whole

The simulated long frame of ``bench_lmm.py`` (``--youth`` youth x 5 waves, 10% of the later
waves missing, a time-varying JIM). Measured in one run:

1. one domain, ``--subsample`` youth: statsmodels ``GEE`` (exchangeable, Gaussian,
   ``cov_type="bias_reduced"``: the engine risk.py used before, which it fitted twice) against
   ``yim.stats.gee`` as ``risk._gee`` fits it, on the same rows; the largest differences of
   the estimates, rho and the three kinds of SE; wall clock and CPU time and their ratio;
2. ``yim.stats.gee`` on the whole domain (all ``--youth``), and the time per youth of each;
3. unless ``--skip-whole``: the whole analysis, ``fit_risk_frame`` over ``--domains`` domains
   (``bench_lmm.whole_analysis``), with the time in the mixed models and in the GEE.

Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
from bench_lmm import WAVES, setup_django, simulate, whole_analysis


def _clocked(function: Any, *args: Any) -> tuple[Any, float, float]:
    """The result, wall-clock seconds and CPU seconds of this process."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def statsmodels_gee(data: pd.DataFrame) -> Any:
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    from yim.research.evidence import risk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = smf.gee(
            risk.FORMULA, "unit", data, cov_struct=sm.cov_struct.Exchangeable(),
            family=sm.families.Gaussian(),
        )  # fmt: skip
        return model.fit(cov_type="bias_reduced")


def compare(frame: pd.DataFrame, subsample: int) -> None:
    from yim.research.evidence import risk

    domain = frame["domain"].iloc[0]
    data = risk._domain_data(frame, domain)
    small = data.loc[data["unit"] <= subsample].reset_index(drop=True)
    print(f"1. one domain ({domain}), {subsample:,} youth, {len(small):,} assessments")
    old, old_wall, old_cpu = _clocked(statsmodels_gee, small)
    (new, _notes), new_wall, new_cpu = _clocked(risk._gee, small)
    print(f"   statsmodels GEE : {old_wall:8.2f} s (CPU {old_cpu:.2f} s), "
          f"{len(old.fit_history['params'])} iterations")  # fmt: skip
    print(f"   yim.stats.gee   : {new_wall:8.3f} s (CPU {new_cpu:.3f} s), {new.iterations} "
          f"iterations: {old_wall / new_wall:,.0f}x (CPU {old_cpu / new_cpu:,.0f}x)")  # fmt: skip
    names = list(risk.TERMS)
    params = float(np.max(np.abs(old.params[names].to_numpy() - new.coef)))
    print(f"   largest |difference|: estimates {params:.1e}, "
          f"rho {abs(float(old.cov_struct.dep_params) - new.rho):.1e}")  # fmt: skip
    for label, theirs, ours in (
        ("naive", old.cov_naive, new.cov_naive),
        ("robust", old.cov_robust, new.cov_robust),
        ("bias-reduced", old.cov_robust_bc, new.cov_bias_reduced),
    ):
        relative = np.max(np.abs(np.sqrt(np.diag(ours)) / np.sqrt(np.diag(theirs)) - 1))
        print(f"   largest relative difference of the {label} SEs: {relative:.1e}")
    n_youth = int(data["unit"].nunique())
    (full, _notes), full_wall, full_cpu = _clocked(risk._gee, data)
    per_old, per_new = old_wall / subsample, full_wall / n_youth
    print(f"2. yim.stats.gee, {n_youth:,} youth, {len(data):,} assessments: {full_wall:.2f} s "
          f"(CPU {full_cpu:.2f} s), {full.iterations} iterations, "
          f"converged={full.converged}")  # fmt: skip
    print(f"   per youth: statsmodels {per_old * 1e3:.3f} ms, yim.stats.gee "
          f"{per_new * 1e3:.4f} ms: ratio {per_old / per_new:,.0f}x; statsmodels extrapolated "
          f"to {n_youth:,} youth (linear): {per_old * n_youth:.0f} s per domain")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--youth", type=int, default=100_000)
    parser.add_argument("--domains", type=int, default=8)
    parser.add_argument("--subsample", type=int, default=20_000)
    parser.add_argument("--skip-whole", action="store_true", help="skip part 3")
    args = parser.parse_args()
    setup_django()
    frame = simulate(args.youth, args.domains)
    print(f"simulated {args.youth:,} youth x {len(WAVES)} waves x {args.domains} domains: "
          f"{len(frame):,} rows")  # fmt: skip
    compare(frame, args.subsample)
    if not args.skip_whole:
        whole_analysis(frame, skip_gee=False, part=3)


if __name__ == "__main__":
    main()
