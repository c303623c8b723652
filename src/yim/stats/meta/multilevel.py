"""Multilevel (three-level and deeper nested) random-effects meta-analysis.

The counterpart of metafor's ``rma.mv(yi, vi, mods, random = ~ 1 | outer/inner)``: nested
random intercepts (e.g. effect sizes within studies, schools within districts), REML or ML,
z- or t-tests (df = k − p or containment), omnibus moderator test, QE, one likelihood-ratio test
per variance component, the share of variance per level (Assink–Wibbelink and P-matrix forms),
profile-likelihood CIs for every σ², and cluster-robust inference via :mod:`robust`.

Everything is computed block-wise (see :mod:`._blocks`): time and memory grow linearly with
the number of effect sizes.

Variance components are reported in metafor's order: for ``random="district/school"`` that is
(district, district/school); for a list of columns it is the list's order.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import linalg, stats

from yim.stats._arrays import readonly
from yim.stats.meta._blocks import (
    FloatArray,
    IntArray,
    MultilevelConvergenceError,
    MultilevelInputError,
    NestedEngine,
    NestedTree,
)
from yim.stats.meta._mlfit import NestedLikelihood, maximise
from yim.stats.meta._profile import (
    ComponentProfile,
    likelihood_hessian,
    lrt_for_component,
    profile_ci,
    typical_variance_aw,
    typical_variance_pmatrix,
)
from yim.stats.meta.multilevel_result import (
    FitState,
    MultilevelHeterogeneity,
    MultilevelResult,
    VarianceComponentLRT,
)
from yim.stats.meta.results import (
    MethodChoices,
    ModeratorTest,
    VarianceComponent,
    coefficient_table,
)

__all__ = [
    "MultilevelConvergenceError",
    "MultilevelHeterogeneity",
    "MultilevelInputError",
    "MultilevelModel",
    "MultilevelResult",
    "VarianceComponentLRT",
    "fit_frame",
    "parse_random",
]

Method = Literal["REML", "ML"]
Test = Literal["z", "t"]
Dfs = Literal["residual", "contain"]
Nesting = Literal["path", "declared"]


def _codes(labels: ArrayLike, name: str) -> IntArray:
    """Integer codes 0..G-1 of the group labels, in sorted label order."""
    arr = np.asarray(labels)
    if arr.dtype.kind not in "iub":  # integers need neither a missing-value check nor objects
        if arr.dtype.kind not in "fc":
            arr = arr.astype(object)
        missing = np.flatnonzero(pd.isna(arr))
        if missing.size:
            raise MultilevelInputError(
                f"random-effects level {name!r}: missing group label in row {missing[0] + 1}"
            )
    codes, _ = pd.factorize(arr.ravel(), sort=True)
    return np.asarray(codes, dtype=np.intp)


def _tree_order(codes: list[IntArray], names: list[str], nesting: Nesting) -> list[int]:
    """Order of the levels from outer to inner; checks that declared levels are nested."""
    if nesting == "path":
        return list(range(len(codes)))
    counts = [int(c.max()) + 1 for c in codes]
    order = sorted(range(len(codes)), key=lambda i: counts[i])
    for outer, inner in itertools.pairwise(order):
        if counts[outer] == counts[inner]:
            raise MultilevelInputError(
                f"random-effects levels {names[outer]!r} and {names[inner]!r} have the same "
                f"number of groups ({counts[inner]}): they cannot both be estimated"
            )
        parents = pd.DataFrame({"i": codes[inner], "o": codes[outer]}).groupby("i")["o"]
        bad = np.flatnonzero(parents.nunique().to_numpy() > 1)
        if bad.size:
            raise MultilevelInputError(
                f"random-effects level {names[inner]!r} is not nested in {names[outer]!r}: "
                f"a group of {names[inner]!r} occurs in several groups of {names[outer]!r} "
                "(crossed random effects are not supported; use unique ids or 'outer/inner')"
            )
    return order


def _contain_df(tree: NestedTree, x_sorted: FloatArray, k: int, p: int) -> FloatArray:
    """metafor's ``dfs="contain"``: for each coefficient the number of groups of the coarsest
    level within whose groups the predictor is constant, minus p (k − p if none; at least 1)."""
    ddf = np.full(p, float(k))
    for lev in range(tree.n_levels):
        ids = tree.node_of_row[lev]
        starts = np.concatenate(([0], np.flatnonzero(np.diff(ids)) + 1))
        for j in range(p):
            col = x_sorted[:, j]
            const = np.all(np.maximum.reduceat(col, starts) == np.minimum.reduceat(col, starts))
            if const:
                ddf[j] = min(ddf[j], float(tree.n_nodes[lev]))
    ddf -= p
    ddf[ddf < 1] = 1.0
    return ddf


def _intercept_index(x: FloatArray) -> int | None:
    for j in range(x.shape[1]):
        if np.all(x[:, j] == 1.0):
            return j
    return None


class MultilevelModel:
    """Nested random-intercepts meta-analytic model (metafor's ``rma.mv``).

    Parameters
    ----------
    method: "REML" (default) or "ML".
    test: "z" (normal) or "t" (t-distribution; no variance rescaling — metafor 3.8 has no
        Knapp–Hartung for ``rma.mv``).
    dfs: df for t-tests, "residual" (k − p) or "contain" (containment, metafor's
        ``dfs="contain"``).
    level: confidence level for CIs.
    profile_cis: compute profile-likelihood CIs for every σ² (a few dozen refits).
    lrt: compute a likelihood-ratio test per variance component.
    """

    def __init__(
        self,
        method: Method = "REML",
        *,
        test: Test = "z",
        dfs: Dfs = "residual",
        level: float = 0.95,
        profile_cis: bool = True,
        lrt: bool = True,
        max_iter: int = 200,
    ) -> None:
        if method not in ("REML", "ML"):
            raise ValueError(f"method must be 'REML' or 'ML', not {method!r}")
        if test not in ("z", "t"):
            raise ValueError(f"test must be 'z' or 't', not {test!r} (rma.mv has no 'knha')")
        if dfs not in ("residual", "contain"):
            raise ValueError(f"dfs must be 'residual' or 'contain', not {dfs!r}")
        if not 0.0 < level < 1.0:
            raise ValueError(f"level must lie strictly between 0 and 1, not {level!r}")
        self.method: Method = method
        self.test: Test = test
        self.dfs: Dfs = dfs
        self.level = level
        self.profile_cis = profile_cis
        self.lrt = lrt
        self.max_iter = max_iter

    def fit(
        self,
        yi: ArrayLike,
        vi: ArrayLike,
        groups: Mapping[str, ArrayLike] | Sequence[ArrayLike],
        X: ArrayLike | None = None,
        coef_names: Sequence[str] | None = None,
        *,
        nesting: Nesting = "path",
        sigma2: Sequence[float | None] | None = None,
        start: Sequence[float] | None = None,
    ) -> MultilevelResult:
        """Fit the model.

        groups: the grouping labels per random-effects level, in reporting order. With
            ``nesting="path"`` they are outer → inner and a level's groups are the combination
            with all outer levels (``~ 1 | a/b``); with ``nesting="declared"`` each column is a
            grouping of its own (``list(~ 1 | id, ~ 1 | study)``) and must be nested.
        X: model matrix (k × p); default the intercept only.
        sigma2: optional fixed values per level (None = estimate), as metafor's ``sigma2=``.
        start: optional starting values of the σ² per level (default metafor's: the variance
            of the weighted least-squares residuals split equally over the levels). A refit of
            a model close to one already fitted converges in fewer steps from its σ².
        """
        y = np.asarray(yi, dtype=np.float64).ravel()
        v = np.asarray(vi, dtype=np.float64).ravel()
        k = y.size
        if v.size != k:
            raise MultilevelInputError(f"yi has {k} values but vi has {v.size}")
        for label, arr in (("yi", y), ("vi", v)):
            bad = np.flatnonzero(~np.isfinite(arr))
            if bad.size:
                raise MultilevelInputError(
                    f"{label}: missing or infinite value in row {bad[0] + 1}"
                )
        nonpos = np.flatnonzero(v <= 0)
        if nonpos.size:
            raise MultilevelInputError(
                f"vi must be positive; row {nonpos[0] + 1} has {v[nonpos[0]]}"
            )
        if isinstance(groups, Mapping):
            names = [str(n) for n in groups]
            raw = list(groups.values())
        else:
            raw = list(groups)
            names = [f"level{i + 1}" for i in range(len(raw))]
        if not raw:
            raise MultilevelInputError("give at least one random-effects grouping")
        codes = [_codes(g, n) for g, n in zip(raw, names, strict=True)]
        for n, c in zip(names, codes, strict=True):
            if c.size != k:
                raise MultilevelInputError(f"grouping {n!r} has {c.size} labels for {k} rows")
        if nesting == "path":
            names = ["/".join(names[: i + 1]) for i in range(len(names))]
        order = _tree_order(codes, names, nesting)
        tree = NestedTree.from_codes([codes[i] for i in order])
        for lev in range(1, len(order)):
            if tree.n_nodes[lev] == tree.n_nodes[lev - 1]:
                outer, inner = names[order[lev - 1]], names[order[lev]]
                raise MultilevelInputError(
                    f"every group of {outer!r} holds a single group of {inner!r}: the two "
                    "variance components cannot be told apart (drop one level)"
                )

        x = np.ones((k, 1)) if X is None else np.asarray(X, dtype=np.float64)
        if x.ndim == 1:
            x = x[:, None]
        if x.shape[0] != k:
            raise MultilevelInputError(f"X has {x.shape[0]} rows for {k} effect sizes")
        p = x.shape[1]
        if coef_names is None:
            coef_names = ["intrcpt"] if X is None else [f"x{j + 1}" for j in range(p)]
        if len(coef_names) != p:
            raise MultilevelInputError(f"{len(coef_names)} coefficient names for {p} columns")
        if np.linalg.matrix_rank(x) < p:
            raise MultilevelInputError("the model matrix X is rank deficient")
        if k <= p:
            raise MultilevelInputError(f"{k} effect sizes cannot estimate {p} coefficients")

        # fit on an orthonormal basis of X (X = Q R): the GLS fit and the REML likelihood
        # are invariant to X → XR⁻¹, and raw moderators such as calendar years otherwise
        # make XᵀV⁻¹X ill-conditioned enough to blur the likelihood at the 1e-10 level
        q_basis, r_factor = np.linalg.qr(x)
        m_sorted = np.column_stack((q_basis, y))[tree.order]
        engine = NestedEngine(tree, m_sorted, v[tree.order])
        lik = NestedLikelihood(engine, p, reml=self.method == "REML")

        n_lev = len(order)
        fixed_rep: list[float | None] = [None] * n_lev if sigma2 is None else list(sigma2)
        if len(fixed_rep) != n_lev:
            raise MultilevelInputError(f"sigma2 has {len(fixed_rep)} values for {n_lev} levels")
        fixed = np.array([np.nan if (fv := fixed_rep[i]) is None else float(fv) for i in order])
        # start as metafor: the variance of the WLS residuals, split equally over the levels
        w = 1.0 / v
        b_fe = np.linalg.solve(x.T @ (x * w[:, None]), x.T @ (w * y))
        total = max(0.001, float(np.var(y - x @ b_fe, ddof=1)) if k > 1 else 0.001)
        scale = total / n_lev
        if start is None:
            init = np.full(n_lev, scale)
        else:
            if len(start) != n_lev:
                raise MultilevelInputError(f"start has {len(start)} values for {n_lev} levels")
            init = np.array([max(float(start[i]), 0.0) for i in order])
        best = maximise(lik, init, fixed, scale=scale, max_iter=self.max_iter)

        # ---- fixed effects -------------------------------------------------------------
        r_inv = linalg.solve_triangular(r_factor, np.eye(p))
        beta = r_inv @ best.beta
        vb = r_inv @ best.vb @ r_inv.T
        x_sorted = x[tree.order]
        se = np.sqrt(np.diag(vb))
        stat = beta / se
        if self.test == "t":
            if self.dfs == "contain":
                ddf = _contain_df(tree, x_sorted, k, p)
            else:
                ddf = np.full(p, float(k - p))
            pval = 2.0 * stats.t.sf(np.abs(stat), ddf)
            crit = stats.t.ppf(0.5 + self.level / 2.0, ddf)
        else:
            ddf = np.full(p, np.nan)
            pval = 2.0 * stats.norm.sf(np.abs(stat))
            crit = np.full(p, stats.norm.ppf(0.5 + self.level / 2.0))
        coefs = coefficient_table(
            [str(name) for name in coef_names],
            beta,
            se,
            stat,
            pval,
            crit,
            None if self.test == "z" else ddf,
        )
        icpt = _intercept_index(x)
        btt = [j for j in range(p) if j != icpt] if (icpt is not None and p > 1) else []
        if icpt is None:
            btt = list(range(p))
        mod_test = None
        if btt:
            bb = beta[btt]
            qm = float(bb @ np.linalg.solve(vb[np.ix_(btt, btt)], bb))
            m = len(btt)
            if self.test == "t":
                df2 = float(np.min(ddf[btt]))
                mod_test = ModeratorTest(
                    qm / m, float(m), df2, float(stats.f.sf(qm / m, m, df2)), "F"
                )
            else:
                mod_test = ModeratorTest(qm, float(m), None, float(stats.chi2.sf(qm, m)), "chisq")

        # ---- variance components, reported in the caller's order ----------------------------
        rep_of_tree = {t: r for r, t in enumerate(order)}
        sig_rep = np.array([best.sigma2[order.index(r)] for r in range(n_lev)])
        ci_bounds: list[tuple[float | None, float | None]] = [(None, None)] * n_lev
        lrts = []
        # the curvature at the maximum gives the profile searches their first steps
        hessian = likelihood_hessian(lik, best, scale) if (self.profile_cis or self.lrt) else None
        for t_idx in range(n_lev):
            r = rep_of_tree[t_idx]
            if not np.isnan(fixed[t_idx]):
                continue
            prof = ComponentProfile(lik, best, t_idx, scale, hessian)
            if self.profile_cis:
                ci_bounds[r] = profile_ci(lik, best, t_idx, self.level, scale, prof)
            if self.lrt:
                lrts.append((r, lrt_for_component(lik, best, t_idx, names[r], scale, prof)))
        lrts.sort(key=lambda item: item[0])
        components = tuple(
            VarianceComponent(
                name=names[r],
                value=float(sig_rep[r]),
                ci_lb=ci_bounds[r][0],
                ci_ub=ci_bounds[r][1],
                ci_method="profile likelihood" if ci_bounds[r][0] is not None else None,
            )
            for r in range(n_lev)
        )

        # ---- heterogeneity ----------------------------------------------------------------
        xtwx = x.T @ (x * w[:, None])
        b_w = np.linalg.solve(xtwx, x.T @ (w * y))
        qe = float(np.sum(w * (y - x @ b_w) ** 2))
        s2_aw = typical_variance_aw(v)
        s2_p = typical_variance_pmatrix(x, v)
        tot = float(sig_rep.sum())
        het = MultilevelHeterogeneity(
            QE=qe,
            QE_df=k - p,
            QE_pval=float(stats.chi2.sf(qe, k - p)),
            levels=tuple(names),
            i2_pmatrix=tuple(float(100 * s / (tot + s2_p)) for s in sig_rep),
            i2_pmatrix_total=float(100 * tot / (tot + s2_p)),
            typical_v_pmatrix=s2_p,
            i2_aw=tuple(float(100 * s / (tot + s2_aw)) for s in sig_rep),
            i2_aw_sampling=float(100 * s2_aw / (tot + s2_aw)),
            typical_v_aw=s2_aw,
        )

        n_est = int(np.isnan(fixed).sum())
        parms = p + n_est
        ll = best.loglik
        n_eff = k - p if self.method == "REML" else k
        aicc_n = max(n_eff, parms + 2)
        method = MethodChoices(
            model=f"ML-{n_lev + 1}L" if n_lev > 1 else "ML-2L",
            estimator=self.method,
            test=self.test,
            df_method=("contain" if self.dfs == "contain" else "residual (k - p)")
            if self.test == "t"
            else None,
            ci_type="wald",
            i2_formula="P-matrix (metafor) and Assink-Wibbelink (Cheung 2014)",
            extra=(
                ("random", " + ".join(f"~ 1 | {n}" for n in names)),
                ("sigma2 CI", "profile likelihood" if self.profile_cis else "none"),
                ("LRT per level", "chi2(1) p and halved p" if self.lrt else "none"),
            ),
        )
        state = FitState(
            engine=engine,
            sigma2_tree=best.sigma2.copy(),
            tree_order=tuple(order),
            x=readonly(x),
            basis_r=readonly(r_factor),
            yi=readonly(y),
            vi=readonly(v),
            intercept_index=icpt,
            sigma2_fixed=readonly(fixed),
        )
        return MultilevelResult(
            coefficients=coefs,
            variance_components=components,
            heterogeneity=het,
            moderator_test=mod_test,
            lrt=tuple(item[1] for item in lrts),
            method=method,
            log_likelihood=ll,
            aic=-2 * ll + 2 * parms,
            bic=-2 * ll + parms * float(np.log(n_eff)),
            aicc=-2 * ll + 2 * parms * aicc_n / (aicc_n - parms - 1),
            k=k,
            p=p,
            n_groups=tuple(int(tree.n_nodes[order.index(r)]) for r in range(n_lev)),
            vcov=readonly(vb),
            level=self.level,
            iterations=best.iterations,
            ddf=readonly(ddf),
            _state=state,
        )


def parse_random(random: str | Sequence[str]) -> tuple[list[str], Nesting]:
    """``"study/es_id"`` (or ``"~ 1 | study/es_id"``) → (["study", "es_id"], "path");
    a list of column names → (list, "declared")."""
    if isinstance(random, str):
        text = random.split("|", 1)[1] if "|" in random else random
        cols = [c.strip() for c in text.split("/")]
        if any(not c for c in cols):
            raise MultilevelInputError(f"cannot read random-effects term {random!r}")
        return cols, "path"
    cols = [c.split("|", 1)[1].strip() if "|" in c else c.strip() for c in random]
    if not cols:
        raise MultilevelInputError("random: give at least one grouping column")
    return cols, "declared"


def fit_frame(
    data: pd.DataFrame,
    *,
    yi: str = "yi",
    vi: str = "vi",
    random: str | Sequence[str] = "study/es_id",
    mods: str | None = None,
    intercept: bool = True,
    **options: Any,
) -> MultilevelResult:
    """Fit a multilevel model on a data frame; ``mods`` is an R-like right-hand side
    (``"factor(deltype)"``, ``"year + pubstatus"``), ``options`` go to :class:`MultilevelModel`."""
    cols, nesting = parse_random(random)
    for c in [yi, vi, *cols]:
        if c not in data.columns:
            raise MultilevelInputError(
                f"no column {c!r} in the data (columns: {list(data.columns)})"
            )
    sigma2 = options.pop("sigma2", None)
    model = MultilevelModel(**options)
    if mods is None and intercept:
        x, names = None, None
    else:
        from yim.stats.meta.design import design_matrix

        xm, names_list = design_matrix(data, mods, intercept=intercept)
        x, names = xm, names_list
    return model.fit(
        data[yi].to_numpy(dtype=np.float64),
        data[vi].to_numpy(dtype=np.float64),
        {c: data[c].to_numpy() for c in cols},
        x,
        names,
        nesting=nesting,
        sigma2=sigma2,
    )
