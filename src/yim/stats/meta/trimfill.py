"""Duval & Tweedie's trim-and-fill (metafor's ``trimfill()``), with the L0, R0 and Q0
estimators of the number of missing studies.

The funnel is made symmetric around an iteratively re-estimated centre: the k0 most extreme
effect sizes on the side opposite to the missing studies are trimmed, the model is refitted
on the rest, and k0 is re-estimated from the signed ranks of the centred effects until it no
longer changes; the trimmed effects are then mirrored about the last centre and the model is
refitted on the observed plus the filled effects. Reference: Duval, S., & Tweedie, R. (2000).
A nonparametric "trim and fill" method of accounting for publication bias in meta-analysis.
Journal of the American Statistical Association, 95(449), 89-98 (L0 and R0 in section 3;
Q0 in Duval & Tweedie 2000, Biometrics 56, 455-463).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from yim.stats._arrays import readonly
from yim.stats.meta._validate import FloatArray
from yim.stats.meta.errors import MetaAnalysisError
from yim.stats.meta.multilevel_result import MultilevelResult
from yim.stats.meta.results import Coefficient
from yim.stats.meta.twolevel import RandomEffectsModel
from yim.stats.meta.twolevel_result import TwoLevelResult

__all__ = ["K0_ESTIMATORS", "TrimAndFillResult", "k0_estimate", "trim_and_fill"]

K0_ESTIMATORS = ("L0", "R0", "Q0")


@dataclass(frozen=True)
class TrimAndFillResult:
    """Duval & Tweedie's trim-and-fill: the estimated number of missing studies and the model
    refitted on the observed plus the filled (mirrored) effect sizes.

    ``yi``/``vi`` hold the observed effect sizes (original order) followed by the filled ones;
    ``filled`` marks the latter. ``result`` is the refitted model (the original fit when
    k0 = 0, as metafor). ``se_k0`` is metafor's standard error of k0; ``p_k0`` the R0 test of
    k0 = 0 (None for L0 and Q0).
    """

    k0: int
    side: str
    estimator: str
    se_k0: float
    p_k0: float | None
    yi: FloatArray
    vi: FloatArray
    filled: np.ndarray[Any, np.dtype[np.bool_]]
    result: TwoLevelResult
    original: TwoLevelResult = field(repr=False)
    side_chosen: bool = True  # True when the side was chosen from the data (metafor's rule)
    iterations: int = 0

    @property
    def estimate(self) -> Coefficient:
        """The adjusted pooled estimate (intercept of the refitted model)."""
        return self.result.coefficients[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "k0": self.k0,
            "side": self.side,
            "side_chosen": self.side_chosen,
            "estimator": self.estimator,
            "se_k0": self.se_k0,
            "p_k0": self.p_k0,
            "k_observed": self.original.k,
            "yi": self.yi.tolist(),
            "vi": self.vi.tolist(),
            "filled": self.filled.tolist(),
            "estimate": self.estimate.to_dict(),
            "original_estimate": self.original.coefficients[0].to_dict(),
            "tau2": self.result.tau2,
            "heterogeneity": self.result.heterogeneity.to_dict(),
            "method": self.result.method.to_dict(),
        }


def trim_and_fill(
    result: TwoLevelResult,
    *,
    estimator: Literal["L0", "R0", "Q0"] = "L0",
    side: Literal["left", "right"] | None = None,
    test: str = "z",
    max_iter: int = 100,
) -> TrimAndFillResult:
    """metafor's ``trimfill()`` for an intercept-only two-level fit.

    side: where studies are missing. None (default) chooses as metafor: fit the model with
        sqrt(vi) as a moderator (same estimator) and impute on the left when its slope is
        ≥ 0 (small studies show larger effects), on the right when it is negative.
    estimator: "L0" (default), "R0" or "Q0" for the number of missing studies k0 (see
        :func:`k0_estimate`).
    test: test of the refitted model. metafor refits the filled data with its default z-test
        whatever the original fit used, so "z" reproduces metafor; pass
        ``result.method.test`` to keep the original test (e.g. "knha").
    """
    if isinstance(result, MultilevelResult):
        raise MetaAnalysisError(
            "trim-and-fill is defined for two-level models only (metafor has no trimfill for "
            "rma.mv): it assumes independent effect sizes. Use egger_test() on the multilevel "
            "fit (multilevel Egger test), or trim-and-fill on study-level aggregates"
        )
    if not isinstance(result, TwoLevelResult):
        raise MetaAnalysisError(f"expected a TwoLevelResult, got {type(result).__name__}")
    if not result.intercept_only:
        raise MetaAnalysisError(
            "trim-and-fill applies to models without moderators (as metafor's trimfill)"
        )
    if estimator not in K0_ESTIMATORS:
        raise MetaAnalysisError(f"estimator={estimator!r}; use 'L0', 'R0' or 'Q0'")
    if side not in (None, "left", "right"):
        raise MetaAnalysisError(f"side={side!r}; use 'left', 'right' or None (choose from data)")
    k = result.k
    if k < 3:
        raise MetaAnalysisError(f"trim-and-fill needs at least 3 effect sizes (k={k})")
    yi, vi = result.yi, result.vi
    base = RandomEffectsModel(result.estimator, "z", tau2_ci=None)

    chosen = side is None
    if side is None:
        if np.ptp(vi) == 0:
            raise MetaAnalysisError(
                "trim-and-fill cannot choose the side: all sampling variances are equal, so "
                "the funnel has no slope; pass side='left' or side='right'"
            )
        slope = base.fit(yi, vi, np.column_stack([np.ones(k), np.sqrt(vi)])).beta[1]
        side = "right" if slope < 0 else "left"

    sign = -1.0 if side == "right" else 1.0
    order = np.argsort(sign * yi, kind="stable")
    y = sign * yi[order]
    v = vi[order]
    k0, k0_prev, iterations = 0, -1, 0
    se_k0 = float("nan")
    beta = float("nan")
    centred = y
    while k0 != k0_prev:
        k0_prev = k0
        iterations += 1
        if iterations > max_iter:
            raise MetaAnalysisError(f"trim-and-fill did not converge in {max_iter} iterations")
        if k - k0 < 2:
            raise MetaAnalysisError(
                f"trim-and-fill would trim {k0} of {k} effect sizes, leaving fewer than 2"
            )
        beta = float(base.fit(y[: k - k0], v[: k - k0]).beta[0])
        centred = y - beta
        # signed ranks of |y - beta|, ties ranked in order of appearance (R ties="first")
        ranks = np.empty(k)
        ranks[np.argsort(np.abs(centred), kind="stable")] = np.arange(1, k + 1)
        signed = np.sign(centred) * ranks
        k0_raw, se_k0 = k0_estimate(estimator, signed)
        k0 = max(0, int(np.round(k0_raw)))  # numpy rounds half to even, as R's round()
        se_k0 = max(0.0, se_k0)

    p_k0 = None
    if estimator == "R0":
        m = np.arange(-1, k0)
        # metafor: 1 - sum(choose(m + 1, m + 1) * 0.5^(m + 2)) = 0.5^(k0 + 1)
        p_k0 = float(1.0 - np.sum(0.5 ** (m + 2)))

    if k0 > 0:
        # mirror the k0 most extreme effects about the last beta (on the original scale)
        fill = sign * (2.0 * beta - y[k - k0 :])
        yi_all = np.concatenate([yi, fill])
        vi_all = np.concatenate([vi, v[k - k0 :]])
        filled = np.concatenate([np.zeros(k, bool), np.ones(k0, bool)])
        # metafor refits with the estimator only (a fixed tau^2 is not carried over)
        refit = RandomEffectsModel(result.estimator, test, level=result.level).fit(yi_all, vi_all)
    else:
        yi_all, vi_all, filled = yi, vi, np.zeros(k, bool)
        refit = result
    filled.setflags(write=False)
    return TrimAndFillResult(
        k0=k0,
        side=side,
        estimator=estimator,
        se_k0=se_k0,
        p_k0=p_k0,
        yi=readonly(yi_all),
        vi=readonly(vi_all),
        filled=filled,
        result=refit,
        original=result,
        side_chosen=chosen,
        iterations=iterations,
    )


def _var_sr(k: int, k0: float) -> float:
    """Variance of the Wilcoxon statistic S_r given k0 missing studies (Duval & Tweedie 2000,
    as metafor): shared by the L0 and Q0 standard errors."""
    return (
        k * (k + 1) * (2 * k + 1)
        + 10 * k0**3
        + 27 * k0**2
        + 17 * k0
        - 18 * k * k0**2
        - 18 * k * k0
        + 6 * k**2 * k0
    ) / 24.0


def k0_estimate(estimator: str, signed: FloatArray) -> tuple[float, float]:
    """Unrounded k0 and its standard error from the signed ranks of the centred effects.

    With k effects, S_r the sum of the positive signed ranks and γ* the length of the
    rightmost run of positive ranks (k − largest negative rank − 1):

    * R0 = γ* − 1,  se = sqrt(2 max(0, R0) + 2)
    * L0 = (4 S_r − k(k+1)) / (2k − 1),  se = 4 sqrt(Var S_r) / (2k − 1)
    * Q0 = k − ½ − sqrt(2k² − 4 S_r + ¼),  se = 2 sqrt(Var S_r) / sqrt((k − ½)² − Q0 (2k − Q0 − 1))

    A negative variance (possible far from the null) gives se 0, as for L0 before.
    """
    k = signed.shape[0]
    if estimator == "R0":
        neg = -signed[signed < 0]
        k0_raw = float(k - (neg.max() if neg.size else 0.0) - 1)
        return k0_raw, float(np.sqrt(2.0 * max(0.0, k0_raw) + 2.0))
    sr = float(np.sum(signed[signed > 0]))
    if estimator == "L0":
        k0_raw = (4.0 * sr - k * (k + 1)) / (2.0 * k - 1)
        var_sr = _var_sr(k, k0_raw)
        return k0_raw, float(4.0 * np.sqrt(var_sr) / (2 * k - 1)) if var_sr > 0 else 0.0
    disc = 2.0 * k**2 - 4.0 * sr + 0.25
    if disc < 0:
        # only when nearly every centred effect lies on the filled side with the largest
        # ranks; metafor's trimfill() stops with an R error ("missing value") there
        raise MetaAnalysisError(
            f"trim-and-fill (Q0) is undefined for these data: 2k^2 - 4 S_r + 1/4 = {disc:g} < 0 "
            "(almost all effects lie on one side of the centre); use estimator='L0' or 'R0'"
        )
    k0_raw = k - 0.5 - float(np.sqrt(disc))
    var_sr = _var_sr(k, k0_raw)
    den = (k - 0.5) ** 2 - k0_raw * (2 * k - k0_raw - 1)
    se = float(2.0 * np.sqrt(var_sr) / np.sqrt(den)) if var_sr > 0 and den > 0 else 0.0
    return k0_raw, se
