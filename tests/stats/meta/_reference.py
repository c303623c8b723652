"""Loading of the metafor reference values written by reference/make_reference_twolevel.R."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from yim.stats.meta.effect_sizes import escalc

REFERENCE = Path(__file__).parent / "reference"

# Tolerances for comparisons with metafor: 1e-6 relative (the project's rule). The absolute
# floor 1e-10 only matters for values that are exactly 0 in R (tau^2 on the boundary, a zero
# correlation, p-values that underflow): there the two programs agree only to round-off, and
# 1e-10 is far below any digit a report prints.
RTOL = 1e-6
ATOL = 1e-10


@cache
def twolevel_reference() -> dict[str, Any]:
    with (REFERENCE / "twolevel_reference.json").open() as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@cache
def escalc_reference() -> dict[str, Any]:
    with (REFERENCE / "escalc_reference.json").open() as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def as_list(value: Any) -> list[Any]:
    """jsonlite writes length-1 vectors as scalars (auto_unbox); undo that."""
    return value if isinstance(value, list) else [value]


def dataset(name: str) -> pd.DataFrame:
    """A reference data set with yi/vi computed as the R script computed them."""
    if name == "molloy2014":
        df = pd.read_csv(REFERENCE / "molloy2014.csv")
        es = escalc("ZCOR", df, ri="ri", ni="ni")
    elif name == "bcg":
        df = pd.read_csv(REFERENCE / "bcg.csv")
        es = escalc("RR", df, ai="tpos", bi="tneg", ci="cpos", di="cneg")
    elif name == "homogeneous":
        return pd.read_csv(REFERENCE / "homogeneous.csv")
    else:
        raise KeyError(name)
    return df.assign(yi=es.yi, vi=es.vi)


def fit_id(fit: dict[str, Any]) -> str:
    mods = fit["mods"] if fit["mods"] is not None else "1"
    return f"{fit['data']}[{mods}]-{fit['method']}-{fit['test']}"


def close(actual: Any, expected: Any) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float),
        np.asarray(as_list(expected) if not np.isscalar(expected) else expected, dtype=float),
        rtol=RTOL,
        atol=ATOL,
    )
