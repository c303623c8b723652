"""The boundary data set of make_lmm_reference.R: 80 groups x 1-5 unbalanced waves, a random
intercept and NO random slope (true slope variance 0). Written once:

    .venv/bin/python tests/stats/lmm_reference/make_boundary.py \\
        > tests/stats/lmm_reference/boundary.csv
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd


def simulate(n_groups: int = 80, seed: int = 13) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for unit in range(1, n_groups + 1):
        u0 = rng.normal(0, 0.6)
        waves = int(rng.integers(1, 6))  # one to five observations: some groups have one
        for time in np.sort(rng.uniform(0, 2, waves)):
            x = int(rng.random() < 0.5)
            y = 1.0 + 0.5 * time - 0.3 * x + u0 + rng.normal(0, 0.5)
            rows.append((unit, round(float(time), 6), x, round(float(y), 6)))
    return pd.DataFrame.from_records(rows, columns=["unit", "time", "x", "y"])


if __name__ == "__main__":
    simulate().to_csv(sys.stdout, index=False, lineterminator="\n")
