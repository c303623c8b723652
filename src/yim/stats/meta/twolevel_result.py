"""Immutable results of two-level (equal-effects / random-effects) meta-analyses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from yim.stats._arrays import readonly
from yim.stats.meta._tau2_ci import profile_likelihood_ci, q_profile_ci
from yim.stats.meta._validate import FloatArray
from yim.stats.meta.errors import MetaAnalysisError
from yim.stats.meta.heterogeneity import Heterogeneity
from yim.stats.meta.results import Coefficient, MethodChoices, ModeratorTest, VarianceComponent

Transform = Callable[[FloatArray], FloatArray]

CI_TYPES = {"QP": "Q-profile", "PL": "profile likelihood"}


@dataclass(frozen=True)
class Prediction:
    """Predicted (pooled or fitted) effects with confidence and prediction intervals.

    After a ``transform`` (e.g. Fisher z to r) the standard errors are NaN, as in metafor:
    a transformed SE is not meaningful, and the interval bounds are transformed instead.
    """

    pred: FloatArray
    se: FloatArray
    ci_lb: FloatArray
    ci_ub: FloatArray
    pi_lb: FloatArray
    pi_ub: FloatArray
    level: float
    transformed: bool

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "pred": self.pred,
                "se": self.se,
                "ci_lb": self.ci_lb,
                "ci_ub": self.ci_ub,
                "pi_lb": self.pi_lb,
                "pi_ub": self.pi_ub,
            }
        )


@dataclass(frozen=True)
class TwoLevelResult:
    """A fitted two-level meta-analysis or meta-regression.

    The report fields are ``coefficients``, ``variance_components`` (tau^2 with its CI; empty
    for equal-effects fits), ``heterogeneity`` (``.to_dict()`` gives QE, QE_df, QE_pval, I2,
    H2), ``moderator_test`` (None for intercept-only models) and ``method``.
    """

    coefficients: tuple[Coefficient, ...]
    variance_components: tuple[VarianceComponent, ...]
    heterogeneity: Heterogeneity
    moderator_test: ModeratorTest | None
    method: MethodChoices
    k: int
    p: int
    tau2: float
    se_tau2: float
    beta: FloatArray
    vcov: FloatArray
    s2w: float  # Knapp-Hartung scale factor applied to vcov (1 without it)
    df: float | None  # reference t df (k - p), None for z tests
    level: float
    ll_ml: float
    ll_reml: float
    pseudo_r2: float | None  # percent; None for intercept-only models or fixed tau^2
    iterations: int
    yi: FloatArray
    vi: FloatArray
    X: FloatArray
    names: tuple[str, ...]
    intercept: bool
    estimator: str

    # --- derived numbers ---------------------------------------------------------------
    @property
    def equal_effects(self) -> bool:
        return self.estimator == "EE"

    @property
    def intercept_only(self) -> bool:
        return self.intercept and self.p == 1

    def _crit(self, level: float) -> float:
        if self.df is None:
            return float(stats.norm.isf((1 - level) / 2))
        return float(stats.t.isf((1 - level) / 2, self.df))

    def tau2_ci(self, ci_type: str = "QP", level: float | None = None) -> VarianceComponent:
        """tau^2 with a Q-profile ("QP", metafor's default) or profile-likelihood ("PL") CI."""
        if self.equal_effects:
            raise MetaAnalysisError("an equal-effects model has no tau^2 to give a CI for")
        if ci_type not in CI_TYPES:
            raise MetaAnalysisError(f"ci_type={ci_type!r}; use 'QP' or 'PL'")
        lvl = self.level if level is None else level
        if ci_type == "QP":
            lb, ub = q_profile_ci(self.yi, self.vi, self.X, self.tau2, lvl)
        else:
            lb, ub = profile_likelihood_ci(
                self.yi, self.vi, self.X, self.tau2, lvl, reml=self.estimator == "REML"
            )
        return VarianceComponent("tau2", self.tau2, lb, ub, CI_TYPES[ci_type])

    def predict(
        self,
        newmods: ArrayLike | None = None,
        *,
        intercept: bool = True,
        transform: Transform | None = None,
        level: float | None = None,
    ) -> Prediction:
        """Pooled estimate (intercept-only), fitted values (no ``newmods``) or predictions.

        ``newmods`` holds moderator values without the intercept column (one row per
        prediction); ``intercept=False`` predicts with the intercept set to 0. The CI uses
        the model's test distribution; the prediction interval adds tau^2 to the variance
        (metafor's default ``pi.type``) and is NaN for equal-effects fits, as in metafor.
        ``transform`` (e.g. ``conversions.z_to_r``) is applied to the estimate and to every
        bound.
        """
        lvl = self.level if level is None else level
        if not 0 < lvl < 1:
            raise MetaAnalysisError(f"level={lvl!r}; use a fraction such as 0.95")
        if newmods is None:
            Xn = self.X[:1] if self.intercept_only else self.X
        else:
            mods = np.asarray(newmods, dtype=np.float64)
            n_mods = self.p - 1 if self.intercept else self.p
            if mods.ndim == 0:
                mods = mods.reshape(1, 1)
            elif mods.ndim == 1:
                mods = mods.reshape(-1, 1) if n_mods == 1 else mods.reshape(1, -1)
            if mods.shape[1] != n_mods:
                raise MetaAnalysisError(
                    f"newmods has {mods.shape[1]} columns but the model has {n_mods} "
                    f"moderator columns ({', '.join(self.names[1 if self.intercept else 0 :])})"
                )
            if self.intercept:
                col = np.full((mods.shape[0], 1), 1.0 if intercept else 0.0)
                mods = np.hstack([col, mods])
            Xn = mods
        pred = Xn @ self.beta
        vpred = np.einsum("ij,jk,ik->i", Xn, self.vcov, Xn)
        se = np.sqrt(np.maximum(vpred, 0.0))
        crit = self._crit(lvl)
        ci_lb, ci_ub = pred - crit * se, pred + crit * se
        if self.equal_effects:
            # no between-study variance: metafor reports no prediction interval (NA)
            pi_lb = pi_ub = np.full_like(pred, np.nan)
        else:
            spread = np.sqrt(vpred + self.tau2)
            pi_lb, pi_ub = pred - crit * spread, pred + crit * spread
        if transform is not None:
            pred, ci_lb, ci_ub, pi_lb, pi_ub = (
                np.asarray(transform(np.asarray(a)), dtype=np.float64)
                for a in (pred, ci_lb, ci_ub, pi_lb, pi_ub)
            )
            se = np.full_like(pred, np.nan)
            ci_lb, ci_ub = np.minimum(ci_lb, ci_ub), np.maximum(ci_lb, ci_ub)
            pi_lb, pi_ub = np.minimum(pi_lb, pi_ub), np.maximum(pi_lb, pi_ub)
        return Prediction(
            pred=readonly(pred),
            se=readonly(se),
            ci_lb=readonly(ci_lb),
            ci_ub=readonly(ci_ub),
            pi_lb=readonly(pi_lb),
            pi_ub=readonly(pi_ub),
            level=lvl,
            transformed=transform is not None,
        )

    # --- presentation ------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """Coefficient table, one row per coefficient, indexed by name."""
        frame = pd.DataFrame([c.to_dict() for c in self.coefficients]).set_index("name")
        frame.index.name = None
        return frame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (plain floats, lists and dicts)."""
        return {
            "k": self.k,
            "p": self.p,
            "coefficients": [c.to_dict() for c in self.coefficients],
            "variance_components": [vc.to_dict() for vc in self.variance_components],
            "heterogeneity": self.heterogeneity.to_dict(),
            "moderator_test": None
            if self.moderator_test is None
            else self.moderator_test.to_dict(),
            "method": self.method.to_dict(),
            "pseudo_r2": self.pseudo_r2,
            "s2w": self.s2w,
            "ll_ml": self.ll_ml,
            "ll_reml": self.ll_reml,
        }

    def summary(self) -> str:
        """Plain-text summary in the spirit of metafor's print.rma."""
        model = "Equal-effects" if self.equal_effects else "Random-effects"
        kind = "model" if self.intercept_only else "meta-regression"
        lines = [f"{model} {kind} (k = {self.k}, p = {self.p})", ""]
        lines += [f"  {line}" for line in self.method.lines()]
        lines.append("")
        h = self.heterogeneity
        for vc in self.variance_components:
            ci = ""
            if vc.ci_lb is not None and vc.ci_ub is not None:
                ci = f"  [{vc.ci_lb:.4f}, {vc.ci_ub:.4f}] ({vc.ci_method})"
            lines.append(f"tau^2 = {vc.value:.4f} (SE = {self.se_tau2:.4f}){ci}")
            lines.append(f"tau   = {np.sqrt(vc.value):.4f}")
        lines.append(f"I^2 = {h.I2:.2f}%   H^2 = {h.H2:.2f}")
        if self.pseudo_r2 is not None:
            lines.append(f"R^2 (amount of heterogeneity accounted for) = {self.pseudo_r2:.2f}%")
        label = "Q" if self.intercept_only else "QE"
        lines.append(
            f"Test for (residual) heterogeneity: {label}({h.QE_df}) = {h.QE:.4f}, "
            f"p = {_p(h.QE_pval)}"
        )
        mt = self.moderator_test
        if mt is not None:
            if mt.test == "F":
                lines.append(
                    f"Test of moderators: F({mt.df1:g}, {mt.df2:g}) = "
                    f"{mt.statistic:.4f}, p = {_p(mt.pval)}"
                )
            else:
                lines.append(
                    f"Test of moderators: QM({mt.df1:g}) = {mt.statistic:.4f}, p = {_p(mt.pval)}"
                )
        if self.s2w != 1.0:
            lines.append(f"Knapp-Hartung scale factor s^2 = {self.s2w:.4f}")
        lines.append("")
        stat = "zval" if self.df is None else "tval"
        header = (
            f"{'':>24} {'estimate':>10} {'se':>9} {stat:>9} {'df':>5} {'pval':>9} "
            f"{'ci.lb':>9} {'ci.ub':>9}"
        )
        lines.append(header)
        for c in self.coefficients:
            df = "" if c.df is None else f"{c.df:g}"
            lines.append(
                f"{c.name:>24} {c.estimate:>10.4f} {c.se:>9.4f} {c.statistic:>9.4f} {df:>5} "
                f"{_p(c.pval):>9} {c.ci_lb:>9.4f} {c.ci_ub:>9.4f}"
            )
        return "\n".join(lines)


def _p(p: float) -> str:
    return "<.0001" if p < 1e-4 else f"{p:.4f}"
