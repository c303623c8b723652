"""Effect sizes and their sampling variances: the useful core of metafor's ``escalc``.

Each function takes vectors (or scalars, which broadcast) and returns an immutable
:class:`EffectSizes` with ``yi`` (the effect sizes), ``vi`` (their sampling variances) and the
measure's name. Formulas and defaults follow metafor 3.8 so that results can be compared with
published R analyses:

* ``ZCOR``  Fisher's z = atanh(r), v = 1/(n - 3)
* ``COR``   raw r, v = (1 - r^2)^2 / (n - 1)                          (vtype="LS")
* ``SMD``   Hedges' g with the exact gamma-function correction,
            v = 1/n1 + 1/n2 + g^2 / (2 (n1 + n2))                      (vtype="LS")
* ``MD``    raw mean difference, v = sd1^2/n1 + sd2^2/n2               (vtype="LS")
* ``RR``, ``OR``, ``RD`` from 2x2 tables, with 1/2 added to every cell of a table that has a
  zero cell (metafor's ``add=1/2, to="only0"``).

Conversions between metrics live in :mod:`yim.stats.meta.conversions`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammaln

from yim.stats._arrays import readonly
from yim.stats.meta._validate import FloatArray, as_vector, common_length, first_row
from yim.stats.meta.errors import EffectSizeError

ContinuityTarget = Literal["only0", "all", "if0all", "none"]

MEASURES = ("ZCOR", "COR", "SMD", "MD", "RR", "OR", "RD")


@dataclass(frozen=True)
class EffectSizes:
    """Effect sizes ``yi`` with sampling variances ``vi`` for one measure (read-only arrays)."""

    yi: FloatArray
    vi: FloatArray
    measure: str

    def __post_init__(self) -> None:
        for field in ("yi", "vi"):
            object.__setattr__(self, field, readonly(getattr(self, field)))
        if self.yi.shape != self.vi.shape:
            raise EffectSizeError(f"yi has {self.yi.shape[0]} values but vi has {self.vi.shape[0]}")

    def __len__(self) -> int:
        return int(self.yi.shape[0])

    @property
    def sei(self) -> FloatArray:
        """Standard errors, sqrt(vi)."""
        return np.sqrt(self.vi)

    def to_frame(self) -> pd.DataFrame:
        """A frame with columns ``yi`` and ``vi`` (and the measure in ``attrs``)."""
        frame = pd.DataFrame({"yi": self.yi, "vi": self.vi})
        frame.attrs["measure"] = self.measure
        return frame


def _check_finite_result(measure: str, yi: FloatArray, vi: FloatArray) -> EffectSizes:
    row = first_row(~np.isfinite(yi) | ~np.isfinite(vi))
    if row is not None:
        raise EffectSizeError(
            f"{measure}: row {row} gives a non-finite effect size or variance "
            f"(yi={float(yi[row - 1])}, vi={float(vi[row - 1])}); check the inputs of that row"
        )
    return EffectSizes(yi=yi, vi=vi, measure=measure)


def _vectors(measure: str, named: dict[str, ArrayLike]) -> dict[str, FloatArray]:
    n = common_length(list(named.items()), error=EffectSizeError)
    return {
        name: as_vector(f"{measure} {name}", values, error=EffectSizeError, length=n)
        for name, values in named.items()
    }


def _require(
    measure: str, name: str, values: FloatArray, bad: NDArray[np.bool_], rule: str
) -> None:
    row = first_row(bad)
    if row is not None:
        raise EffectSizeError(f"{measure} {name}: row {row} is {values[row - 1]:g}; {rule}")


def _check_correlations(measure: str, ri: FloatArray) -> None:
    _require(measure, "ri", ri, np.abs(ri) >= 1, "a correlation must lie strictly between -1 and 1")


# --- correlations ----------------------------------------------------------------------------


def fisher_z(ri: ArrayLike, ni: ArrayLike) -> EffectSizes:
    """Fisher's r-to-z transformed correlations (``ZCOR``): z = atanh(r), v = 1/(n - 3)."""
    v = _vectors("ZCOR", {"ri": ri, "ni": ni})
    _check_correlations("ZCOR", v["ri"])
    _require("ZCOR", "ni", v["ni"], v["ni"] <= 3, "Fisher's z needs n > 3 (variance 1/(n - 3))")
    return _check_finite_result("ZCOR", np.arctanh(v["ri"]), 1.0 / (v["ni"] - 3.0))


def correlation(ri: ArrayLike, ni: ArrayLike) -> EffectSizes:
    """Raw correlations (``COR``) with the large-sample variance (1 - r^2)^2 / (n - 1)."""
    v = _vectors("COR", {"ri": ri, "ni": ni})
    _check_correlations("COR", v["ri"])
    _require("COR", "ni", v["ni"], v["ni"] <= 1, "the variance of r needs n > 1")
    r = v["ri"]
    return _check_finite_result("COR", r.copy(), (1.0 - r**2) ** 2 / (v["ni"] - 1.0))


# --- two-group means -------------------------------------------------------------------------


def hedges_correction(m: ArrayLike) -> FloatArray:
    """Exact small-sample correction c(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2)).

    ``m`` are the degrees of freedom (n1 + n2 - 2). Computed on the log scale so large m do not
    overflow; c(m) -> 1 as m grows, and the approximation 1 - 3/(4m - 1) is not used.
    """
    m_arr = np.asarray(m, dtype=np.float64)
    return np.asarray(
        np.exp(gammaln(m_arr / 2.0) - 0.5 * np.log(m_arr / 2.0) - gammaln((m_arr - 1.0) / 2.0)),
        dtype=np.float64,
    )


def _two_group_inputs(
    measure: str,
    m1i: ArrayLike,
    sd1i: ArrayLike,
    n1i: ArrayLike,
    m2i: ArrayLike,
    sd2i: ArrayLike,
    n2i: ArrayLike,
) -> dict[str, FloatArray]:
    v = _vectors(
        measure, {"m1i": m1i, "sd1i": sd1i, "n1i": n1i, "m2i": m2i, "sd2i": sd2i, "n2i": n2i}
    )
    for sd in ("sd1i", "sd2i"):
        _require(measure, sd, v[sd], v[sd] < 0, "a standard deviation cannot be negative")
    for n in ("n1i", "n2i"):
        _require(measure, n, v[n], v[n] <= 0, "a group size must be positive")
    return v


def standardized_mean_difference(
    m1i: ArrayLike,
    sd1i: ArrayLike,
    n1i: ArrayLike,
    m2i: ArrayLike,
    sd2i: ArrayLike,
    n2i: ArrayLike,
) -> EffectSizes:
    """Hedges' g (``SMD``): bias-corrected standardized mean difference, group 1 minus group 2.

    g = c(m) (m1 - m2) / s_pooled with m = n1 + n2 - 2 and the exact correction c(m);
    v = 1/n1 + 1/n2 + g^2 / (2 (n1 + n2)), metafor's default large-sample variance.
    """
    v = _two_group_inputs("SMD", m1i, sd1i, n1i, m2i, sd2i, n2i)
    n1, n2 = v["n1i"], v["n2i"]
    m = n1 + n2 - 2.0
    _require("SMD", "n1i", n1, m <= 1, "Hedges' correction needs n1 + n2 > 3")
    sdp = np.sqrt(((n1 - 1.0) * v["sd1i"] ** 2 + (n2 - 1.0) * v["sd2i"] ** 2) / m)
    _require("SMD", "sd1i", v["sd1i"], sdp <= 0, "the pooled standard deviation is zero")
    g = hedges_correction(m) * (v["m1i"] - v["m2i"]) / sdp
    vi = 1.0 / n1 + 1.0 / n2 + g**2 / (2.0 * (n1 + n2))
    return _check_finite_result("SMD", g, vi)


def mean_difference(
    m1i: ArrayLike,
    sd1i: ArrayLike,
    n1i: ArrayLike,
    m2i: ArrayLike,
    sd2i: ArrayLike,
    n2i: ArrayLike,
) -> EffectSizes:
    """Raw mean difference (``MD``), group 1 minus group 2, v = sd1^2/n1 + sd2^2/n2."""
    v = _two_group_inputs("MD", m1i, sd1i, n1i, m2i, sd2i, n2i)
    yi = v["m1i"] - v["m2i"]
    vi = v["sd1i"] ** 2 / v["n1i"] + v["sd2i"] ** 2 / v["n2i"]
    return _check_finite_result("MD", yi, vi)


# --- 2x2 tables ------------------------------------------------------------------------------


def _tables(
    measure: str,
    ai: ArrayLike,
    bi: ArrayLike,
    ci: ArrayLike,
    di: ArrayLike,
    add: float,
    to: ContinuityTarget,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Validated cell counts after the continuity correction.

    ai/bi: events/non-events in group 1 (treatment), ci/di: events/non-events in group 2.
    """
    if to not in ("only0", "all", "if0all", "none"):
        raise EffectSizeError(f"{measure}: to={to!r}; use 'only0', 'all', 'if0all' or 'none'")
    if not np.isfinite(add) or add < 0:
        raise EffectSizeError(f"{measure}: add={add!r}; the continuity correction must be >= 0")
    v = _vectors(measure, {"ai": ai, "bi": bi, "ci": ci, "di": di})
    for name, cells in v.items():
        _require(measure, name, cells, cells < 0, "counts cannot be negative")
    a, b, c, d = v["ai"], v["bi"], v["ci"], v["di"]
    has_zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    if to == "all" or (to == "if0all" and bool(has_zero.any())):
        target = np.ones_like(a, dtype=bool)
    elif to == "only0":
        target = has_zero
    else:
        target = np.zeros_like(a, dtype=bool)
    shift = np.where(target, add, 0.0)
    a, b, c, d = a + shift, b + shift, c + shift, d + shift
    _require(measure, "ai", v["ai"], a + b <= 0, "group 1 has no participants (ai + bi = 0)")
    _require(measure, "ci", v["ci"], c + d <= 0, "group 2 has no participants (ci + di = 0)")
    return a, b, c, d


def log_risk_ratio(
    ai: ArrayLike,
    bi: ArrayLike,
    ci: ArrayLike,
    di: ArrayLike,
    *,
    add: float = 0.5,
    to: ContinuityTarget = "only0",
) -> EffectSizes:
    """Log risk ratio (``RR``), v = 1/a - 1/n1 + 1/c - 1/n2."""
    a, b, c, d = _tables("RR", ai, bi, ci, di, add, to)
    n1, n2 = a + b, c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        yi = np.log(a / n1) - np.log(c / n2)
        vi = 1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n2
    return _check_finite_result("RR", yi, vi)


def log_odds_ratio(
    ai: ArrayLike,
    bi: ArrayLike,
    ci: ArrayLike,
    di: ArrayLike,
    *,
    add: float = 0.5,
    to: ContinuityTarget = "only0",
) -> EffectSizes:
    """Log odds ratio (``OR``), v = 1/a + 1/b + 1/c + 1/d."""
    a, b, c, d = _tables("OR", ai, bi, ci, di, add, to)
    with np.errstate(divide="ignore", invalid="ignore"):
        yi = np.log(a / b) - np.log(c / d)
        vi = 1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d
    return _check_finite_result("OR", yi, vi)


def risk_difference(
    ai: ArrayLike,
    bi: ArrayLike,
    ci: ArrayLike,
    di: ArrayLike,
    *,
    add: float = 0.5,
    to: ContinuityTarget = "only0",
) -> EffectSizes:
    """Risk difference (``RD``), v = p1 (1 - p1)/n1 + p2 (1 - p2)/n2."""
    a, b, c, d = _tables("RD", ai, bi, ci, di, add, to)
    n1, n2 = a + b, c + d
    p1, p2 = a / n1, c / n2
    return _check_finite_result("RD", p1 - p2, p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)


# --- dispatcher ------------------------------------------------------------------------------

_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "ZCOR": ("ri", "ni"),
    "COR": ("ri", "ni"),
    "SMD": ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
    "MD": ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
    "RR": ("ai", "bi", "ci", "di"),
    "OR": ("ai", "bi", "ci", "di"),
    "RD": ("ai", "bi", "ci", "di"),
}

_FUNCTIONS: dict[str, Callable[..., EffectSizes]] = {
    "ZCOR": fisher_z,
    "COR": correlation,
    "SMD": standardized_mean_difference,
    "MD": mean_difference,
    "RR": log_risk_ratio,
    "OR": log_odds_ratio,
    "RD": risk_difference,
}


def escalc(
    measure: str,
    data: pd.DataFrame | None = None,
    *,
    add: float = 0.5,
    to: ContinuityTarget = "only0",
    **arguments: Any,
) -> EffectSizes:
    """Compute effect sizes by measure name, like metafor's ``escalc``.

    With ``data``, each argument may name a column (``escalc("ZCOR", df, ri="r", ni="n")``);
    otherwise pass arrays. ``add``/``to`` only apply to the 2x2-table measures.
    """
    key = measure.upper()
    if key not in _FUNCTIONS:
        raise EffectSizeError(f"measure={measure!r} is not supported; use one of {MEASURES}")
    needed = _ARGUMENTS[key]
    missing = [name for name in needed if name not in arguments]
    unknown = [name for name in arguments if name not in needed]
    if missing or unknown:
        raise EffectSizeError(
            f"{key} needs arguments {', '.join(needed)}"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; not used by {key}: {', '.join(unknown)}" if unknown else "")
        )
    values: dict[str, Any] = {}
    for name in needed:
        value = arguments[name]
        if data is not None and isinstance(value, str):
            if value not in data.columns:
                raise EffectSizeError(f"{key} {name}: column {value!r} is not in the data")
            value = data[value].to_numpy(dtype=np.float64, na_value=np.nan)
        values[name] = value
    if key in ("RR", "OR", "RD"):
        return _FUNCTIONS[key](**values, add=add, to=to)
    return _FUNCTIONS[key](**values)
