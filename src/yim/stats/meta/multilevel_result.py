"""Immutable result of a multilevel (nested random-effects) meta-analysis.

:class:`MultilevelResult` is what :meth:`yim.stats.meta.MultilevelModel.fit` returns; its
parts are :class:`MultilevelHeterogeneity` (QE and the share of variance per level) and one
:class:`VarianceComponentLRT` per estimated variance component.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from yim.stats._arrays import readonly
from yim.stats.meta._blocks import FloatArray, IntArray, MultilevelInputError, NestedEngine
from yim.stats.meta.results import Coefficient, MethodChoices, ModeratorTest, VarianceComponent

if TYPE_CHECKING:
    from yim.stats.meta.robust import RobustInputs, RobustResult


@dataclass(frozen=True)
class VarianceComponentLRT:
    """LRT of H0: σ²_level = 0 (full model vs. the one with that σ² fixed at 0).

    The null sits on the boundary of the parameter space, so the χ²(1) p-value (metafor's
    ``anova``) is conservative; ``pval_half`` is the 50:50 χ²(0)/χ²(1) mixture p-value that the
    Assink & Wibbelink tutorial reports as the one-sided test.
    """

    level: str
    statistic: float
    df: int
    pval: float
    pval_half: float
    loglik_reduced: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MultilevelHeterogeneity:
    """QE test of residual heterogeneity and the share of variance per level (in %).

    ``i2_pmatrix``: σ²_l / (Σσ² + (k−p)/tr(P)) — metafor's multilevel I² (uses X).
    ``i2_aw``: σ²_l / (Σσ² + s²_AW) with the Assink–Wibbelink / Cheung (2014) typical
    within-study variance (ignores X); ``i2_aw_sampling`` is level 1 (sampling variance).
    The two agree for intercept-only models and differ with moderators.
    """

    QE: float
    QE_df: int
    QE_pval: float
    levels: tuple[str, ...]
    i2_pmatrix: tuple[float, ...]
    i2_pmatrix_total: float
    typical_v_pmatrix: float
    i2_aw: tuple[float, ...]
    i2_aw_sampling: float
    typical_v_aw: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FitState:
    """What predict() and robust() need from the fit (not part of the public numbers)."""

    engine: NestedEngine
    sigma2_tree: FloatArray
    tree_order: tuple[int, ...]
    x: FloatArray
    basis_r: FloatArray  # X = Q R; the engine holds [Q, y]
    yi: FloatArray
    vi: FloatArray
    intercept_index: int | None
    # fixed variance components (tree order, NaN = estimated), for refits such as the
    # deletion diagnostics; None when unknown
    sigma2_fixed: FloatArray | None = None


@dataclass(frozen=True, eq=False)
class MultilevelResult:
    coefficients: tuple[Coefficient, ...]
    variance_components: tuple[VarianceComponent, ...]
    heterogeneity: MultilevelHeterogeneity
    moderator_test: ModeratorTest | None
    lrt: tuple[VarianceComponentLRT, ...]
    method: MethodChoices
    log_likelihood: float
    aic: float
    bic: float
    aicc: float
    k: int
    p: int
    n_groups: tuple[int, ...]
    vcov: FloatArray
    level: float
    iterations: int
    ddf: FloatArray
    _state: FitState = field(repr=False)

    # ---- convenience ------------------------------------------------------------------------
    @property
    def beta(self) -> FloatArray:
        return readonly([c.estimate for c in self.coefficients])

    @property
    def sigma2(self) -> FloatArray:
        return readonly([c.value for c in self.variance_components])

    @property
    def coef_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.coefficients)

    @property
    def residuals(self) -> FloatArray:
        st = self._state
        return readonly(st.yi - st.x @ self.beta)

    def to_frame(self) -> pd.DataFrame:
        """Coefficient table (one row per coefficient), metafor's column order."""
        return pd.DataFrame([c.to_dict() for c in self.coefficients]).set_index("name")

    def variance_frame(self) -> pd.DataFrame:
        rows = []
        for i, vc in enumerate(self.variance_components):
            rows.append(
                {
                    "level": vc.name,
                    "sigma2": vc.value,
                    "ci_lb": vc.ci_lb,
                    "ci_ub": vc.ci_ub,
                    "n_groups": self.n_groups[i],
                    "I2_pmatrix": self.heterogeneity.i2_pmatrix[i],
                    "I2_aw": self.heterogeneity.i2_aw[i],
                }
            )
        return pd.DataFrame(rows).set_index("level")

    def summary(self) -> str:
        h = self.heterogeneity
        lines = [f"Multilevel meta-analysis (k = {self.k}, p = {self.p})", *self.method.lines()]
        lines.append(
            f"logLik = {self.log_likelihood:.4f}  AIC = {self.aic:.4f}  BIC = {self.bic:.4f}"
            f"  AICc = {self.aicc:.4f}"
        )
        lines.append("")
        lines.append("Variance components:")
        for i, vc in enumerate(self.variance_components):
            ci = "" if vc.ci_lb is None else f"  [{vc.ci_lb:.4f}, {vc.ci_ub:.4f}]"
            lines.append(
                f"  sigma^2.{i + 1} = {vc.value:.4f}{ci}  ({vc.name}, {self.n_groups[i]} groups)"
                f"  I2 P-matrix {h.i2_pmatrix[i]:.1f}%  AW {h.i2_aw[i]:.1f}%"
            )
        lines.append(f"  sampling variance (AW level 1): {h.i2_aw_sampling:.1f}%")
        for t in self.lrt:
            lines.append(
                f"  LRT sigma^2({t.level}) = 0: chi2(1) = {t.statistic:.4f}, p = {t.pval:.4g}"
                f" (halved {t.pval_half:.4g})"
            )
        lines.append(f"QE({h.QE_df}) = {h.QE:.4f}, p = {h.QE_pval:.4g}")
        if self.moderator_test is not None:
            mt = self.moderator_test
            if mt.test == "F":
                lines.append(
                    f"QM: F({mt.df1:g}, {mt.df2:g}) = {mt.statistic:.4f}, p = {mt.pval:.4g}"
                )
            else:
                lines.append(f"QM({mt.df1:g}) = {mt.statistic:.4f}, p = {mt.pval:.4g}")
        lines.append("")
        lines.append(self.to_frame().to_string(float_format=lambda v: f"{v:.4f}"))
        return "\n".join(lines)

    # ---- prediction ---------------------------------------------------------------------------
    def predict(self, newmods: ArrayLike | None = None) -> pd.DataFrame:
        """Predicted (average) effects with CI and prediction interval (PI adds Σσ²), as
        metafor's ``predict.rma.mv``. ``newmods`` excludes the intercept column (like metafor);
        ``None`` predicts at the intercept for an intercept-only model."""
        st = self._state
        p = self.p
        if newmods is None:
            if p != 1 or st.intercept_index is None:
                raise MultilevelInputError("predict(): give newmods for a model with moderators")
            xn = np.ones((1, 1))
        else:
            arr = np.asarray(newmods, dtype=np.float64)
            n_mods = p - (1 if st.intercept_index is not None else 0)
            arr = arr.reshape(-1, n_mods) if n_mods > 0 else arr.reshape(-1, 0)
            if st.intercept_index is not None:
                xn = np.insert(arr, st.intercept_index, 1.0, axis=1)
            else:
                xn = arr
        pred = xn @ self.beta
        se = np.sqrt(np.einsum("ij,jk,ik->i", xn, self.vcov, xn))
        if self.method.test == "t":
            crit = float(stats.t.ppf(0.5 + self.level / 2, float(np.min(self.ddf))))
        else:
            crit = float(stats.norm.ppf(0.5 + self.level / 2))
        tot = float(np.sum(self.sigma2))
        pi_se = np.sqrt(se**2 + tot)
        return pd.DataFrame(
            {
                "pred": pred,
                "se": se,
                "ci_lb": pred - crit * se,
                "ci_ub": pred + crit * se,
                "pi_lb": pred - crit * pi_se,
                "pi_ub": pred + crit * pi_se,
            }
        )

    # ---- cluster-robust inference ---------------------------------------------------------------
    def robust_inputs(self, cluster: ArrayLike) -> RobustInputs:
        """Pieces for :func:`yim.stats.meta.robust.cluster_robust`: rows of V⁻¹X come from the
        block engine (no dense inverse), V per cluster is built only for CR2."""
        from yim.stats.meta.robust import RobustInputs

        st = self._state
        eng = st.engine
        labels = np.asarray(cluster, dtype=object)
        if labels.size != self.k:
            raise MultilevelInputError(f"cluster has {labels.size} labels for {self.k} rows")
        codes, uniques = pd.factorize(pd.Series(labels), sort=True)
        if (codes < 0).any():
            raise MultilevelInputError(f"cluster: missing label in row {np.argmax(codes < 0) + 1}")
        order = eng.tree.order
        rows_v = eng.vinv_rows(st.sigma2_tree)  # sorted order, columns [X, y]
        weighted_x = np.empty((self.k, self.p))
        weighted_x[order] = rows_v[:, : self.p] @ st.basis_r
        inv_order = np.empty_like(order)
        inv_order[order] = np.arange(order.size)
        # the outermost random-effects blocks must lie within clusters for CR2 (clubSandwich's
        # "random effects are not nested within clustering variable" check)
        top = np.empty(self.k, dtype=np.intp)
        top[order] = eng.tree.top_block_of_row()
        nested = bool(pd.DataFrame({"t": top, "c": codes}).groupby("t")["c"].nunique().max() == 1)
        sigma2 = st.sigma2_tree

        def cov_block(rows: IntArray) -> FloatArray:
            return eng.dense_block(sigma2, inv_order[rows])

        return RobustInputs(
            X=st.x,
            residuals=self.residuals,
            beta=self.beta,
            bread=self.vcov,
            names=self.coef_names,
            cluster=np.asarray(codes, dtype=np.intp),
            cluster_labels=tuple(uniques.tolist()),
            cov_block=cov_block,
            weighted_X=weighted_x,
            blocks_nested_in_clusters=nested,
            intercept_index=st.intercept_index,
        )

    def robust(self, cluster: ArrayLike, vcov_type: Literal["CR1", "CR2"] = "CR1") -> RobustResult:
        """Cluster-robust tests: "CR1" as metafor 3.8's ``robust(fit, cluster)``, "CR2" with
        Satterthwaite df and an HTZ moderator test as clubSandwich."""
        from yim.stats.meta.robust import cluster_robust

        return cluster_robust(self.robust_inputs(cluster), vcov_type=vcov_type, level=self.level)
