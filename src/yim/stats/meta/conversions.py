"""Conversions between effect-size metrics, and the back-transformation of Fisher's z.

Formulas (Borenstein et al., *Introduction to Meta-Analysis*, ch. 7; Rosenthal 1994):

* t -> r:        r = t / sqrt(t^2 + df)
* F(1, df) -> r: r = sign * sqrt(F / (F + df))       (F has no sign: give the direction)
* chi2(1) -> r:  r = sign * sqrt(chi2 / n)           (phi coefficient of a 2x2 table)
* d -> r:        r = d / sqrt(d^2 + a), a = (n1 + n2)^2 / (n1 n2)  (a = 4 for equal groups)
                 v_r = a^2 v_d / (d^2 + a)^3
* r -> d:        d = 2 r / sqrt(1 - r^2),  v_d = 4 v_r / (1 - r^2)^3
* log OR -> d:   d = log(OR) sqrt(3) / pi,  v_d = v_logOR 3 / pi^2     (logistic approximation)
* d -> log OR:   log(OR) = d pi / sqrt(3),  v_logOR = v_d pi^2 / 3
* z -> r:        r = tanh(z) (metafor's ``transf.ztor``); r -> z: atanh(r)
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from yim.stats.meta._validate import FloatArray, as_vector, common_length, first_row
from yim.stats.meta.errors import EffectSizeError

_LOGIT_SCALE = math.sqrt(3.0) / math.pi


def _vec(name: str, values: ArrayLike, length: int) -> FloatArray:
    return as_vector(name, values, error=EffectSizeError, length=length)


def _length(**named: ArrayLike | None) -> int:
    return common_length([(k, v) for k, v in named.items() if v is not None], error=EffectSizeError)


def _sign(sign: ArrayLike, n: int) -> FloatArray:
    s = _vec("sign", sign, n)
    row = first_row((s != 1) & (s != -1))
    if row is not None:
        raise EffectSizeError(f"sign: row {row} is {s[row - 1]:g}; use +1 or -1")
    return s


def _positive(name: str, values: FloatArray, *, strict: bool = True) -> None:
    bad = values <= 0 if strict else values < 0
    row = first_row(bad)
    if row is not None:
        word = "positive" if strict else "non-negative"
        raise EffectSizeError(f"{name}: row {row} is {values[row - 1]:g}; it must be {word}")


def t_to_r(t: ArrayLike, df: ArrayLike) -> FloatArray:
    """Correlation from a t statistic with ``df`` degrees of freedom (sign of t kept)."""
    n = _length(t=t, df=df)
    tv, dfv = _vec("t", t, n), _vec("df", df, n)
    _positive("df", dfv)
    return tv / np.sqrt(tv**2 + dfv)


def f_to_r(f: ArrayLike, df_error: ArrayLike, sign: ArrayLike = 1.0) -> FloatArray:
    """Correlation from F(1, df_error); F carries no direction, so ``sign`` (+1/-1) gives it."""
    n = _length(f=f, df_error=df_error, sign=sign)
    fv, dfv = _vec("f", f, n), _vec("df_error", df_error, n)
    _positive("f", fv, strict=False)
    _positive("df_error", dfv)
    return _sign(sign, n) * np.sqrt(fv / (fv + dfv))


def chi2_to_r(chi2: ArrayLike, n: ArrayLike, sign: ArrayLike = 1.0) -> FloatArray:
    """Phi correlation from a 1-df chi-square statistic on ``n`` observations."""
    k = _length(chi2=chi2, n=n, sign=sign)
    cv, nv = _vec("chi2", chi2, k), _vec("n", n, k)
    _positive("chi2", cv, strict=False)
    _positive("n", nv)
    r = _sign(sign, k) * np.sqrt(cv / nv)
    row = first_row(np.abs(r) > 1)
    if row is not None:
        raise EffectSizeError(f"chi2: row {row} exceeds n, which gives |r| > 1")
    return r


def _d_to_r_constant(n1: ArrayLike | None, n2: ArrayLike | None, k: int) -> FloatArray:
    if n1 is None and n2 is None:
        return np.full(k, 4.0)
    if n1 is None or n2 is None:
        raise EffectSizeError("give both n1 and n2, or neither (equal groups, a = 4)")
    n1v, n2v = _vec("n1", n1, k), _vec("n2", n2, k)
    _positive("n1", n1v)
    _positive("n2", n2v)
    return np.asarray((n1v + n2v) ** 2 / (n1v * n2v), dtype=np.float64)


def d_to_r(d: ArrayLike, n1: ArrayLike | None = None, n2: ArrayLike | None = None) -> FloatArray:
    """Point-biserial r from a standardized mean difference d (group sizes optional)."""
    k = _length(d=d, n1=n1, n2=n2)
    dv = _vec("d", d, k)
    a = _d_to_r_constant(n1, n2, k)
    return dv / np.sqrt(dv**2 + a)


def d_to_r_variance(
    d: ArrayLike, vd: ArrayLike, n1: ArrayLike | None = None, n2: ArrayLike | None = None
) -> FloatArray:
    """Sampling variance of r converted from d: a^2 v_d / (d^2 + a)^3."""
    k = _length(d=d, vd=vd, n1=n1, n2=n2)
    dv, vdv = _vec("d", d, k), _vec("vd", vd, k)
    _positive("vd", vdv, strict=False)
    a = _d_to_r_constant(n1, n2, k)
    return a**2 * vdv / (dv**2 + a) ** 3


def _check_r(r: FloatArray) -> None:
    row = first_row(np.abs(r) >= 1)
    if row is not None:
        raise EffectSizeError(
            f"r: row {row} is {r[row - 1]:g}; a correlation must lie strictly between -1 and 1"
        )


def r_to_d(r: ArrayLike) -> FloatArray:
    """Standardized mean difference from a correlation: d = 2r / sqrt(1 - r^2)."""
    rv = _vec("r", r, _length(r=r))
    _check_r(rv)
    return 2.0 * rv / np.sqrt(1.0 - rv**2)


def r_to_d_variance(r: ArrayLike, vr: ArrayLike) -> FloatArray:
    """Sampling variance of d converted from r: 4 v_r / (1 - r^2)^3."""
    k = _length(r=r, vr=vr)
    rv, vrv = _vec("r", r, k), _vec("vr", vr, k)
    _check_r(rv)
    _positive("vr", vrv, strict=False)
    return 4.0 * vrv / (1.0 - rv**2) ** 3


def log_odds_ratio_to_d(log_or: ArrayLike) -> FloatArray:
    """d from a log odds ratio (logistic-distribution approximation): log(OR) sqrt(3)/pi."""
    return _vec("log_or", log_or, _length(log_or=log_or)) * _LOGIT_SCALE


def log_odds_ratio_to_d_variance(v_log_or: ArrayLike) -> FloatArray:
    """Variance of d from the variance of a log odds ratio: v 3/pi^2."""
    v = _vec("v_log_or", v_log_or, _length(v_log_or=v_log_or))
    _positive("v_log_or", v, strict=False)
    return v * _LOGIT_SCALE**2


def d_to_log_odds_ratio(d: ArrayLike) -> FloatArray:
    """Log odds ratio from d: d pi / sqrt(3)."""
    return _vec("d", d, _length(d=d)) / _LOGIT_SCALE


def d_to_log_odds_ratio_variance(vd: ArrayLike) -> FloatArray:
    """Variance of the log odds ratio from the variance of d: v_d pi^2 / 3."""
    v = _vec("vd", vd, _length(vd=vd))
    _positive("vd", v, strict=False)
    return v / _LOGIT_SCALE**2


def z_to_r(z: ArrayLike) -> FloatArray:
    """Back-transform Fisher's z (an estimate or a CI bound) to r: tanh(z)."""
    return np.tanh(np.asarray(z, dtype=np.float64))


def r_to_z(r: ArrayLike) -> FloatArray:
    """Fisher's r-to-z transformation: atanh(r)."""
    rv = _vec("r", r, _length(r=r))
    _check_r(rv)
    return np.arctanh(rv)
