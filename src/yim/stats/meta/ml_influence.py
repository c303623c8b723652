"""Case-deletion diagnostics for multilevel fits, per effect size or per cluster (study):
Cook's distance, DFBETAS and hat values, as metafor's ``cooks.distance.rma.mv()``,
``dfbetas.rma.mv()`` and ``hatvalues.rma.mv()``.

For every unit j (one effect size, or all effect sizes of one cluster) the model is refitted
without it — by default re-estimating the variance components from the full fit's values
(metafor's ``reestimate=TRUE``, which starts at the full estimates too) — and

* Cook's distance  D_j = (b − b₍₋ⱼ₎)ᵀ V(b)⁻¹ (b − b₍₋ⱼ₎), V(b) from the full fit;
* DFBETAS_j = (b − b₍₋ⱼ₎) / sqrt(diag[(Xᵀ V₍₋ⱼ₎⁻¹ X)⁻¹]), where V₍₋ⱼ₎ is the marginal covariance
  of *all* k effect sizes with the variance components of the deletion fit (metafor's rule);
* hat value: diag of H = X (XᵀV⁻¹X)⁻¹ XᵀV⁻¹ of the full fit (values within 10 eps of 1 are 1,
  as metafor); per cluster the sum over its effect sizes, i.e. the trace of the cluster's
  block of H (metafor has no per-cluster hat value; this is the usual cluster leverage).

Everything stays block-structured: each refit builds the nested-tree engine of the remaining
rows (O(k)), starts the variance-component optimiser at the full estimates (warm start, so a
refit typically takes two or three Newton steps), and never forms a k × k matrix. Fixed
variance components of the fit stay fixed. A refit that fails (e.g. too few rows left) gives
NaN in that row, where metafor gives NA.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import linalg

from yim.stats.meta._blocks import FloatArray, IntArray, NestedEngine, NestedTree
from yim.stats.meta._mlfit import NestedLikelihood, maximise
from yim.stats.meta._validate import cluster_codes
from yim.stats.meta.errors import ConvergenceError, MetaAnalysisError
from yim.stats.meta.multilevel_result import MultilevelResult

__all__ = ["MultilevelInfluence", "multilevel_influence"]


@dataclass(frozen=True)
class MultilevelInfluence:
    """Deletion diagnostics of a multilevel fit; one row per effect size or per cluster.

    ``index`` holds the row numbers (1-based) or labels, or the sorted cluster labels;
    ``n_rows`` the number of effect sizes each unit holds; ``dfbetas`` is units × coefficients;
    ``sigma2_deleted`` units × variance components (reporting order) of the deletion fits.
    """

    unit: str  # "effect size" or "cluster"
    index: tuple[object, ...]
    n_rows: IntArray
    cooks_distance: FloatArray
    dfbetas: FloatArray
    hat: FloatArray
    sigma2_deleted: FloatArray
    coef_names: tuple[str, ...]
    component_names: tuple[str, ...]
    reestimate: bool

    def to_frame(self) -> pd.DataFrame:
        """metafor's column names: cook.d, dfbs.<coefficient>, hat, then k (rows per unit) and
        sigma2.del.<i> per variance component."""
        data: dict[str, ArrayLike] = {"cook.d": self.cooks_distance}
        for j, name in enumerate(self.coef_names):
            data[f"dfbs.{name}"] = self.dfbetas[:, j]
        data["hat"] = self.hat
        data["k"] = self.n_rows
        for i in range(len(self.component_names)):
            data[f"sigma2.del.{i + 1}"] = self.sigma2_deleted[:, i]
        name = "row" if self.unit == "effect size" else "cluster"
        return pd.DataFrame(data, index=pd.Index(list(self.index), name=name))

    def most_influential(self, n: int = 5) -> pd.DataFrame:
        """The ``n`` units with the largest Cook's distance (NaN last)."""
        return self.to_frame().sort_values("cook.d", ascending=False, na_position="last").head(n)

    def summary(self) -> str:
        """Plain-text overview: what was deleted and the most influential units."""
        units = "effect sizes" if self.unit == "effect size" else "clusters"
        failed = int(np.isnan(self.cooks_distance).sum())
        how = (
            "variance components re-estimated in every refit"
            if self.reestimate
            else "variance components held at the full-fit values"
        )
        lines = [
            f"Multilevel deletion diagnostics: {len(self.index)} {units} left out in turn",
            f"  {how}",
        ]
        if failed:
            lines.append(f"  {failed} refit(s) failed (NaN)")
        lines.append("Largest Cook's distances:")
        top = self.most_influential()
        lines.append(top.to_string(float_format=lambda v: f"{v:.4f}"))
        return "\n".join(lines)


def multilevel_influence(
    result: MultilevelResult,
    *,
    cluster: ArrayLike | None = None,
    labels: Sequence[str] | None = None,
    reestimate: bool = True,
) -> MultilevelInfluence:
    """Cook's distance, DFBETAS and hat values of a multilevel fit (see the module docstring).

    cluster: one label per effect size (e.g. the study id): leave out whole clusters, index
        by the sorted labels (metafor's order). None: leave out one effect size at a time.
    labels: names of the effect sizes (per-effect diagnostics only); default row numbers.
    reestimate: re-estimate the variance components in every refit (metafor's default);
        False holds them at the full-fit values (metafor's ``reestimate=FALSE``).
    """
    if not isinstance(result, MultilevelResult):
        raise MetaAnalysisError(
            f"multilevel_influence() needs a multilevel fit, got {type(result).__name__}; "
            "for two-level fits use influence()"
        )
    k = result.k
    if cluster is None:
        codes = np.arange(k, dtype=np.intp)
        if labels is None:
            index: tuple[object, ...] = tuple(range(1, k + 1))
        elif len(labels) != k:
            raise MetaAnalysisError(f"labels has {len(labels)} entries for {k} effect sizes")
        else:
            index = tuple(labels)
        unit = "effect size"
    else:
        if labels is not None:
            raise MetaAnalysisError("labels= names effect sizes; with cluster= leave it out")
        codes, clusters = cluster_codes(cluster, k)
        index = tuple(clusters)
        unit = "cluster"
    refitter = _Refitter(result)
    n_units = len(index)
    order = refitter.order
    codes_sorted = codes[order]
    p = result.p
    n_comp = len(result.variance_components)
    cook = np.full(n_units, np.nan)
    dfbs = np.full((n_units, p), np.nan)
    sig_del = np.full((n_units, n_comp), np.nan)
    beta = result.beta
    vcov_inv = np.linalg.inv(result.vcov)
    for j in range(n_units):
        fit = refitter.without(codes_sorted != j, reestimate=reestimate)
        if fit is None:
            continue
        b_del, sigma2_tree = fit
        dfb = beta - b_del
        cook[j] = float(dfb @ vcov_inv @ dfb)
        dfbs[j] = dfb / np.sqrt(np.diag(refitter.vcov_all_rows(sigma2_tree)))
        sig_del[j] = sigma2_tree[refitter.report_to_tree]
    hat_rows = refitter.hat_values()
    hat: FloatArray = (
        np.bincount(codes, weights=hat_rows, minlength=n_units).astype(np.float64)
        if unit == "cluster"
        else hat_rows
    )
    n_rows = np.bincount(codes, minlength=n_units).astype(np.intp)
    for arr in (cook, dfbs, hat, sig_del, n_rows):
        arr.setflags(write=False)
    return MultilevelInfluence(
        unit=unit,
        index=index,
        n_rows=n_rows,
        cooks_distance=cook,
        dfbetas=dfbs,
        hat=hat,
        sigma2_deleted=sig_del,
        coef_names=result.coef_names,
        component_names=tuple(vc.name for vc in result.variance_components),
        reestimate=reestimate,
    )


class _Refitter:
    """Refits of one multilevel fit on subsets of its rows, on the fit's orthonormal basis.

    The full engine holds the rows sorted by the nested tree, with columns [Q, y] where
    X = Q R. Dropping rows keeps that order, so a subset's tree comes straight from the
    full tree's node ids; the coefficients found on the basis Q are mapped back with R⁻¹.
    """

    def __init__(self, result: MultilevelResult) -> None:
        st = result._state
        self.engine: NestedEngine = st.engine
        self.tree: NestedTree = st.engine.tree
        self.order: IntArray = self.tree.order
        self.p = result.p
        self.reml = result.method.estimator == "REML"
        self.sigma2_full: FloatArray = st.sigma2_tree
        n_lev = self.tree.n_levels
        fixed = st.sigma2_fixed
        self.fixed: FloatArray = np.full(n_lev, np.nan) if fixed is None else np.asarray(fixed)
        self.r_inv: FloatArray = linalg.solve_triangular(st.basis_r, np.eye(self.p))
        # tree_order[t] is the reporting index of tree level t; this maps reporting → tree
        self.report_to_tree: IntArray = np.array(
            [st.tree_order.index(r) for r in range(n_lev)], dtype=np.intp
        )

    def without(
        self, keep_sorted: NDArray[np.bool_], *, reestimate: bool
    ) -> tuple[FloatArray, FloatArray] | None:
        """(b on the X scale, σ² in tree order) of the fit on the kept rows, or None when the
        refit is impossible (too few rows, rank-deficient X, no convergence)."""
        p = self.p
        m = self.engine.m[keep_sorted]
        if m.shape[0] <= p:
            return None
        v = self.engine.v[keep_sorted]
        tree = NestedTree.from_codes([ids[keep_sorted] for ids in self.tree.node_of_row])
        engine = NestedEngine(tree, m[tree.order], v[tree.order])
        try:
            if reestimate and np.isnan(self.fixed).any():
                lik = NestedLikelihood(engine, p, reml=self.reml)
                best = maximise(lik, self.sigma2_full, self.fixed, scale=_scale(m, v, p, tree))
                beta_q, sigma2 = best.beta, best.sigma2
            else:
                sigma2 = self.sigma2_full.copy()
                gram = engine.evaluate(sigma2, with_score=False).gram
                beta_q = linalg.solve(gram[:p, :p], gram[:p, p], assume_a="pos")
        except (np.linalg.LinAlgError, ValueError, ConvergenceError):
            return None
        return self.r_inv @ beta_q, sigma2

    def vcov_all_rows(self, sigma2_tree: FloatArray) -> FloatArray:
        """(Xᵀ V⁻¹ X)⁻¹ over all k rows with the given variance components."""
        gram = self.engine.evaluate(sigma2_tree, with_score=False).gram[: self.p, : self.p]
        vb_q = linalg.inv(gram)
        out: FloatArray = self.r_inv @ vb_q @ self.r_inv.T
        return out

    def hat_values(self) -> FloatArray:
        """diag of X (XᵀV⁻¹X)⁻¹ XᵀV⁻¹ at the full fit, in the original row order."""
        p = self.p
        q = self.engine.m[:, :p]
        vinv_q = self.engine.vinv_rows(self.sigma2_full)[:, :p]
        vb_q = linalg.inv(q.T @ vinv_q)
        h_sorted: FloatArray = np.einsum("ij,jk,ik->i", q, vb_q, vinv_q)
        hat = np.empty_like(h_sorted)
        hat[self.order] = h_sorted
        hat[hat > 1 - 10 * np.finfo(float).eps] = 1.0
        return hat


def _scale(m: FloatArray, v: FloatArray, p: int, tree: NestedTree) -> float:
    """Scale of the variance components for the optimiser's tolerances, as the full fit
    chooses it: the variance of the weighted least-squares residuals split over the levels."""
    x, y = m[:, :p], m[:, p]
    w = 1.0 / v
    b = np.linalg.solve(x.T @ (x * w[:, None]), x.T @ (w * y))
    total = max(0.001, float(np.var(y - x @ b, ddof=1)) if y.size > 1 else 0.001)
    return float(total / tree.n_levels)
