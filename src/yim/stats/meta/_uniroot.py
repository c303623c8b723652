"""Root finding with the exact rules of R's ``uniroot()`` (Brent's method as in R's zeroin).

Why not :func:`scipy.optimize.brentq`? metafor's iterative fail-safe numbers (Fisher, General)
apply ``uniroot()`` to *step* functions of the number of added studies (R rounds that number
down inside the function), and round the returned root up. On a step function the root is
any point within the tolerance of the jump, so whether metafor reports N or N + 1 depends on
the exact sequence of trial points. Reproducing metafor therefore needs R's algorithm step for
step: the interval extension of ``extendInt`` and the bisection / secant / inverse quadratic
interpolation choices of Forsythe, Malcolm & Moler's ZEROIN (Computer Methods for
Mathematical Computations, 1977, section 7.2), with R's tolerance (default
``.Machine$double.eps^0.25``) and iteration count.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

from yim.stats.meta.errors import MetaAnalysisError

EPS = 2.220446049250313e-16  # DBL_EPSILON
R_TOL = EPS**0.25  # R's default uniroot tolerance
_DBL_MAX = 1.7976931348623157e308

Extend = Literal["no", "upX", "downX"]


def r_uniroot(
    f: Callable[[float], float],
    lower: float,
    upper: float,
    *,
    extend: Extend = "no",
    tol: float = R_TOL,
    maxiter: int = 1000,
) -> float:
    """The root R's ``uniroot(f, c(lower, upper), extendInt=extend, tol=tol)`` returns.

    ``extend="upX"`` (f increasing) moves ``lower`` down while f(lower) > 0 and ``upper`` up
    while f(upper) < 0, in steps that double from 1% of the end point; "downX" likewise
    for a decreasing f. Raises :class:`MetaAnalysisError` when no sign change is found.
    """
    f_lower = f(lower)
    f_upper = f(upper)
    if math.isnan(f_lower) or math.isnan(f_upper):
        raise MetaAnalysisError("root finding: the function is undefined at an end point")
    if extend != "no":
        sig = 1.0 if extend == "upX" else -1.0
        low_t = max(min(f_lower, _DBL_MAX), -_DBL_MAX)
        upp_t = max(min(f_upper, _DBL_MAX), -_DBL_MAX)
        if sig * low_t > 0 or sig * upp_t < 0:
            it = 0
            delta = 0.01 * max(1e-4, abs(lower))
            while sig * f_lower > 0:
                it += 1
                if it > maxiter:
                    raise MetaAnalysisError(f"root finding: no sign change in {maxiter} steps")
                lower -= delta
                f_lower = f(lower)
                delta *= 2
            delta = 0.01 * max(1e-4, abs(upper))
            while sig * f_upper < 0:
                it += 1
                if it > maxiter:
                    raise MetaAnalysisError(f"root finding: no sign change in {maxiter} steps")
                upper += delta
                f_upper = f(upper)
                delta *= 2
    if _sign(f_lower) * _sign(f_upper) > 0:
        raise MetaAnalysisError("root finding: the function has the same sign at both ends")
    return _zeroin(f, lower, upper, f_lower, f_upper, tol, maxiter)


def _sign(x: float) -> float:
    return 0.0 if x == 0 else math.copysign(1.0, x)


def _zeroin(
    f: Callable[[float], float],
    ax: float,
    bx: float,
    fa: float,
    fb: float,
    tol: float,
    maxit: int,
) -> float:
    """Brent's ZEROIN on [ax, bx] with f(ax) = fa, f(bx) = fb of opposite signs.

    b is the best approximation, a the previous one, c the point that brackets the root with
    b. Each step tries inverse interpolation (linear with two distinct points, quadratic with
    three) and falls back to bisection when the interpolated point is not well inside [b, c]
    or does not shrink the step enough; steps are never smaller than the tolerance.
    """
    a, b = ax, bx
    c, fc = a, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    for _ in range(maxit + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):
            # make b the best approximation
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2.0 * EPS * abs(b) + tol / 2.0
        new_step = (c - b) / 2.0
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                # two distinct points: secant (linear inverse interpolation)
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                # three points: inverse quadratic interpolation
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2.0) and p < abs(prev_step * q / 2.0):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b  # not converged: R warns and returns the last approximation
