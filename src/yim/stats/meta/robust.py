"""Cluster-robust (sandwich) inference for fitted meta-analytic models.

Two estimators, each reproducing one R implementation:

* **CR1** — metafor 3.8 ``robust(fit, cluster)``: V_R = J/(J−p) · B (Σ_j u_j u_jᵀ) B with
  B = (XᵀWX)⁻¹, u_j = Σ_{i∈j} (WX)_iᵀ e_i (W = the model's V⁻¹), t-tests with df = J − p and
  the omnibus test F = QM/m on (m, J − p).
* **CR2** — clubSandwich ``vcovCR(type="CR2")`` with the model's working weights
  (W_j = V_j⁻¹, target Θ_j = V_j): adjustment A_j = Uᵀ G_j^{-1/2} U, U = chol(V_j),
  G_j = U (V_j − X_j B X_jᵀ) Uᵀ; ``coef_test`` Satterthwaite df and ``Wald_test(test="HTZ")``.

Everything is cluster by cluster: the dense matrices are n_j × n_j for one cluster at a time,
and the Satterthwaite/HTZ sums over pairs of clusters are done in closed form with p × p
cross-products (no J × J arrays).

A model hands its pieces over as :class:`RobustInputs` (``MultilevelResult.robust_inputs``, or
:func:`inputs_from_diagonal` for a two-level model whose marginal covariance is diagonal).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import linalg, stats

from yim.stats.meta.errors import MetaAnalysisError
from yim.stats.meta.results import Coefficient, ModeratorTest, coefficient_table

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

__all__ = [
    "RobustError",
    "RobustInputs",
    "RobustResult",
    "WaldTest",
    "cluster_robust",
    "inputs_from_diagonal",
]


class RobustError(MetaAnalysisError):
    """Cluster-robust inference is not possible with these clusters or constraints."""


@dataclass(frozen=True, eq=False)
class RobustInputs:
    """Everything a sandwich estimator needs from a fitted model.

    ``cov_block(rows)`` returns the model's marginal covariance V for those (original) rows;
    it is only called for CR2. ``weighted_X`` holds the rows of V⁻¹X when the model can give
    them cheaply; otherwise CR1 computes them from ``cov_block`` (valid when the model's
    blocks lie within clusters).
    """

    X: FloatArray
    residuals: FloatArray
    beta: FloatArray
    bread: FloatArray  # (XᵀV⁻¹X)⁻¹, the model-based vcov
    names: tuple[str, ...]
    cluster: IntArray  # codes 0..J−1
    cluster_labels: tuple[Any, ...]
    cov_block: Callable[[IntArray], FloatArray]
    weighted_X: FloatArray | None = None
    blocks_nested_in_clusters: bool = True
    intercept_index: int | None = 0

    @property
    def n_clusters(self) -> int:
        return len(self.cluster_labels)

    def cluster_rows(self) -> list[IntArray]:
        order = np.argsort(self.cluster, kind="stable")
        bounds = np.searchsorted(self.cluster[order], np.arange(self.n_clusters + 1))
        return [order[bounds[j] : bounds[j + 1]] for j in range(self.n_clusters)]


def inputs_from_diagonal(
    X: ArrayLike,
    yi: ArrayLike,
    beta: ArrayLike,
    total_variance: ArrayLike,
    cluster: ArrayLike,
    names: Sequence[str],
    *,
    intercept_index: int | None = 0,
) -> RobustInputs:
    """RobustInputs for a model with diagonal marginal covariance V = diag(vi + τ²)."""
    x = np.asarray(X, dtype=np.float64)
    x = x[:, None] if x.ndim == 1 else x
    y = np.asarray(yi, dtype=np.float64)
    b = np.asarray(beta, dtype=np.float64)
    tv = np.asarray(total_variance, dtype=np.float64)
    w = 1.0 / tv
    codes, uniques = pd.factorize(pd.Series(np.asarray(cluster, dtype=object)), sort=True)

    def cov_block(rows: IntArray) -> FloatArray:
        return np.diag(tv[rows])

    return RobustInputs(
        X=x,
        residuals=y - x @ b,
        beta=b,
        bread=np.asarray(np.linalg.inv(x.T @ (x * w[:, None])), dtype=np.float64),
        names=tuple(names),
        cluster=np.asarray(codes, dtype=np.intp),
        cluster_labels=tuple(uniques.tolist()),
        cov_block=cov_block,
        weighted_X=x * w[:, None],
        intercept_index=intercept_index,
    )


@dataclass(frozen=True)
class WaldTest:
    """Cluster-robust Wald test of C β = 0 (HTZ: Hotelling T² with Satterthwaite-type df,
    Tipton & Pustejovsky 2015; ``delta`` rescales the F statistic; df_denom can be < 1)."""

    constraints: tuple[tuple[float, ...], ...]
    test: str
    Fstat: float
    delta: float
    df_num: int
    df_denom: float
    pval: float
    Q: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, eq=False)
class _CR2Pieces:
    g_blocks: list[FloatArray]  # per cluster: B E_j L_j (p × n_j)
    h: FloatArray  # (J, p, p): B E_j X_j chol(B)ᵀ-lower


@dataclass(frozen=True, eq=False)
class RobustResult:
    coefficients: tuple[Coefficient, ...]
    vcov: FloatArray
    vcov_type: str
    df_method: str
    n_clusters: int
    moderator_test: ModeratorTest | None
    level: float
    _inputs: RobustInputs
    _cr2: _CR2Pieces | None

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([c.to_dict() for c in self.coefficients]).set_index("name")

    def summary(self) -> str:
        lines = [
            f"Cluster-robust inference ({self.vcov_type}, {self.n_clusters} clusters, "
            f"df: {self.df_method})"
        ]
        if self.moderator_test is not None:
            mt = self.moderator_test
            lines.append(f"QM: F({mt.df1:g}, {mt.df2:.4g}) = {mt.statistic:.4f}, p = {mt.pval:.4g}")
        lines.append(self.to_frame().to_string(float_format=lambda v: f"{v:.4f}"))
        return "\n".join(lines)

    def wald_test(self, constraints: ArrayLike | Sequence[int]) -> WaldTest:
        """HTZ Wald test (CR2 only). ``constraints``: coefficient indices (0-based, tested
        = 0) or a q × p contrast matrix C."""
        if self._cr2 is None:
            raise RobustError("HTZ Wald tests need the CR2 estimator (vcov_type='CR2')")
        c_mat = _constraint_matrix(constraints, len(self._inputs.names))
        return _wald_htz(c_mat, self._inputs.beta, self.vcov, self._cr2)


def _constraint_matrix(constraints: ArrayLike | Sequence[int], p: int) -> FloatArray:
    arr = np.asarray(constraints)
    if arr.ndim <= 1 and arr.dtype.kind in "iu":
        idx = np.atleast_1d(arr).astype(int)
        if idx.size == 0 or idx.min() < 0 or idx.max() >= p:
            raise RobustError(f"constraint indices {idx.tolist()} out of range 0..{p - 1}")
        c = np.zeros((idx.size, p))
        c[np.arange(idx.size), idx] = 1.0
        return c
    c = np.atleast_2d(np.asarray(constraints, dtype=np.float64))
    if c.shape[1] != p:
        raise RobustError(f"constraint matrix has {c.shape[1]} columns for {p} coefficients")
    return c


def _matrix_power(x: FloatArray, power: float) -> FloatArray:
    """Symmetric matrix power with eigenvalues ≤ 1e-12 set to 0 (clubSandwich's rule)."""
    vals, vecs = np.linalg.eigh(0.5 * (x + x.T))
    vp = np.zeros_like(vals)
    keep = vals > 1e-12
    vp[keep] = vals[keep] ** power
    out: FloatArray = (vecs * vp) @ vecs.T
    return out


def _pair_sums(gg: FloatArray, hh: FloatArray, r: FloatArray) -> FloatArray:
    """S[i,j,k,l] = Σ_{c,c'} P_ij[c,c'] P_kl[c,c'] where
    P_ij[c,c'] = −h_ic·h_jc' + δ_cc' g_ij,c   (clubSandwich's P_array, all terms),
    using Σ_{cc'} (h_ic·h_jc')(h_kc·h_lc') = tr(R_ki R_jl), R_ab = Σ_c h_ac h_bcᵀ."""
    term1 = np.einsum("kipr,jlrp->ijkl", r, r)
    term2 = np.einsum("cij,ckl->ijkl", hh, gg)
    term3 = np.einsum("cij,ckl->ijkl", gg, hh)
    term4 = np.einsum("cij,ckl->ijkl", gg, gg)
    out: FloatArray = term1 - term2 - term3 + term4
    return out


def _rotated(
    c_mat: FloatArray, pieces: _CR2Pieces
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """gg[c,i,j] = (C G_c)_i·(C G_c)_j, hh[c,i,j] = (C H_c)_i·(C H_c)_j, R and Ω."""
    q = c_mat.shape[0]
    gg = np.stack([(c_mat @ g) @ (c_mat @ g).T for g in pieces.g_blocks]).reshape(-1, q, q)
    ch = np.einsum("ap,cpr->car", c_mat, pieces.h)
    hh = np.einsum("cir,cjr->cij", ch, ch)
    r = np.einsum("car,cbs->abrs", ch, ch)
    omega = np.sum(gg - hh, axis=0)
    return gg, hh, r, omega


def _satterthwaite_df(pieces: _CR2Pieces, p: int) -> FloatArray:
    out = np.empty(p)
    for i in range(p):
        c = np.zeros((1, p))
        c[0, i] = 1.0
        gg, hh, r, omega = _rotated(c, pieces)
        var = 2.0 * _pair_sums(gg, hh, r)[0, 0, 0, 0]
        out[i] = 2.0 * omega[0, 0] ** 2 / var
    return out


def _wald_htz(
    c_mat: FloatArray, beta: FloatArray, vcov: FloatArray, pieces: _CR2Pieces
) -> WaldTest:
    q = c_mat.shape[0]
    cb = c_mat @ beta
    cvc = c_mat @ vcov @ c_mat.T
    stat_q = float(cb @ np.linalg.solve(cvc, cb))
    _, _, _, omega = _rotated(c_mat, pieces)
    om_ns = _matrix_power(omega, -0.5)
    gg, hh, r, _ = _rotated(om_ns @ c_mat, pieces)
    s = _pair_sums(gg, hh, r)
    var_mat = np.empty((q, q))
    for a in range(q):
        for b in range(q):
            var_mat[a, b] = s[a, b, b, a] + s[a, a, b, b]
    nu = q * (q + 1) / float(np.sum(var_mat))
    delta = max((nu - q + 1) / nu, 0.0)
    df = nu - q + 1
    fstat = delta * stat_q / q
    pval = float(stats.f.sf(fstat, q, df)) if df > 0 else float("nan")
    return WaldTest(
        constraints=tuple(tuple(float(v) for v in row) for row in c_mat),
        test="HTZ",
        Fstat=fstat,
        delta=delta,
        df_num=q,
        df_denom=df,
        pval=pval,
        Q=stat_q,
    )


def _cr1(inp: RobustInputs, rows: list[IntArray]) -> FloatArray:
    p = inp.X.shape[1]
    if inp.weighted_X is not None:
        wx = inp.weighted_X
    else:
        if not inp.blocks_nested_in_clusters:
            raise RobustError("CR1 without V⁻¹X rows needs the model's blocks within clusters")
        wx = np.empty_like(inp.X)
        for rj in rows:
            wx[rj] = np.linalg.solve(inp.cov_block(rj), inp.X[rj])
    u = np.zeros((inp.n_clusters, p))
    np.add.at(u, inp.cluster, wx * inp.residuals[:, None])
    meat = u.T @ u
    j = inp.n_clusters
    out: FloatArray = (j / (j - p)) * (inp.bread @ meat @ inp.bread)
    return out


def _cr2(inp: RobustInputs, rows: list[IntArray]) -> tuple[FloatArray, _CR2Pieces]:
    if not inp.blocks_nested_in_clusters:
        raise RobustError("CR2: the random effects are not nested within the clustering variable")
    bread = inp.bread
    p = bread.shape[0]
    bread_ct = np.linalg.cholesky(bread)  # lower: B = L Lᵀ (clubSandwich's t(chol(M_U)))
    comps = np.empty((inp.n_clusters, p))
    g_blocks: list[FloatArray] = []
    h = np.empty((inp.n_clusters, p, p))
    for j, rj in enumerate(rows):
        v = inp.cov_block(rj)
        xj = inp.X[rj]
        upper = linalg.cholesky(v, lower=False)  # V = UᵀU
        g = upper @ (v - xj @ bread @ xj.T) @ upper.T
        adj = upper.T @ _matrix_power(g, -0.5) @ upper
        xw = linalg.cho_solve((upper, False), xj).T  # X_jᵀ W_j  (p × n_j)
        e_mat = xw @ adj  # E_j = X_jᵀ W_j A_j
        comps[j] = e_mat @ inp.residuals[rj]
        me = bread @ e_mat
        g_blocks.append(me @ upper.T)
        h[j] = me @ xj @ bread_ct
    vcov: FloatArray = bread @ (comps.T @ comps) @ bread
    return vcov, _CR2Pieces(g_blocks, h)


def cluster_robust(
    inputs: RobustInputs,
    *,
    vcov_type: Literal["CR1", "CR2"] = "CR1",
    level: float = 0.95,
) -> RobustResult:
    """Cluster-robust coefficient tests and the omnibus moderator test."""
    inp = inputs
    p = inp.X.shape[1]
    j = inp.n_clusters
    if j < 2:
        raise RobustError("cluster-robust inference needs at least two clusters")
    rows = inp.cluster_rows()
    beta = inp.beta
    btt = [i for i in range(p) if i != inp.intercept_index] if p > 1 else list(range(p))
    if inp.intercept_index is None:
        btt = list(range(p))
    pieces: _CR2Pieces | None = None
    if vcov_type == "CR1":
        if j - p <= 0:
            raise RobustError(f"number of clusters ({j}) must exceed the coefficients ({p})")
        vcov = _cr1(inp, rows)
        df = np.full(p, float(j - p))
        df_method = "clusters - p"
    elif vcov_type == "CR2":
        vcov, pieces = _cr2(inp, rows)
        df = _satterthwaite_df(pieces, p)
        df_method = "Satterthwaite"
    else:
        raise RobustError(f"vcov_type must be 'CR1' or 'CR2', not {vcov_type!r}")
    se = np.sqrt(np.diag(vcov))
    tval = beta / se
    pval = 2.0 * stats.t.sf(np.abs(tval), df)
    crit = stats.t.ppf(0.5 + level / 2.0, df)
    coefs = coefficient_table(inp.names, beta, se, tval, pval, crit, df)
    mod_test: ModeratorTest | None = None
    if btt and not (inp.intercept_index is not None and p == 1):
        if vcov_type == "CR1":
            bb = beta[btt]
            qm = float(bb @ np.linalg.solve(vcov[np.ix_(btt, btt)], bb)) / len(btt)
            mod_test = ModeratorTest(
                qm, float(len(btt)), float(j - p), float(stats.f.sf(qm, len(btt), j - p)), "F"
            )
        else:
            assert pieces is not None
            c_mat = _constraint_matrix(np.array(btt, dtype=int), p)
            w = _wald_htz(c_mat, beta, vcov, pieces)
            mod_test = ModeratorTest(w.Fstat, float(w.df_num), w.df_denom, w.pval, "F (HTZ)")
    return RobustResult(
        coefficients=coefs,
        vcov=vcov,
        vcov_type=vcov_type,
        df_method=df_method,
        n_clusters=j,
        moderator_test=mod_test,
        level=level,
        _inputs=inp,
        _cr2=pieces,
    )
