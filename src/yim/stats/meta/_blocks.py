"""Nested random-intercept structure and its closed-form marginal likelihood pieces.

With nested random intercepts (levels ordered outer → inner) the marginal covariance of the
effect sizes is

    V = diag(v) + Σ_l σ²_l Z_l Z_lᵀ,

block-diagonal over the outermost clusters. Inside a block, every node n of level l adds the
rank-one term σ²_l 1_n 1_nᵀ on top of the block-diagonal covariance of its children, so the
Sherman–Morrison formula applies node by node, bottom-up:

    V_n = A_n + s 1 1ᵀ,   A_n = blockdiag(V_children)
    uᵀ V_n⁻¹ w = uᵀ A_n⁻¹ w − f (uᵀ A_n⁻¹ 1)(1ᵀ A_n⁻¹ w),  f = s / (1 + s·1ᵀA_n⁻¹1)
    log|V_n| = Σ log|V_child| + log(1 + s·1ᵀA_n⁻¹1)

For the columns M = [X, y] only the vectors a_n = Mᵀ V_n⁻¹ 1 and scalars c_n = 1ᵀ V_n⁻¹ 1
have to be carried up the tree, and MᵀV⁻¹M = MᵀD⁻¹M − Σ_nodes f_n A_n A_nᵀ. A second,
top-down pass gives the pieces of the score (1_nᵀ[V⁻¹]_{nn}1_n and 1_nᵀ[V⁻¹M]_n for each node),
again in O(k·q) time and memory. No k × k matrix is ever formed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from yim.stats.meta.errors import ConvergenceError, MetaAnalysisError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


class MultilevelInputError(MetaAnalysisError):
    """The data or the random-effects specification cannot define a nested model."""


class MultilevelConvergenceError(ConvergenceError):
    """The variance-component optimiser stopped before converging; carries the last score."""

    def __init__(self, message: str, iterations: int, gradient: Sequence[float]) -> None:
        grad = tuple(float(g) for g in gradient)
        super().__init__(
            f"{message} (after {iterations} iterations; last gradient "
            f"[{', '.join(f'{g:.3g}' for g in grad)}])",
            iterations=iterations,
            last_step=max((abs(g) for g in grad), default=0.0),
        )
        self.gradient = grad


def _segment_starts(ids: IntArray) -> IntArray:
    """Start index of each run in a non-decreasing id array (ids run 0..n-1 without gaps)."""
    change = np.flatnonzero(np.diff(ids)) + 1
    return np.concatenate(([0], change)).astype(np.intp)


@dataclass(frozen=True)
class NestedTree:
    """Rows sorted so that every node of every level is a contiguous run.

    ``order`` maps sorted position → original row. ``node_of_row[l]`` is the node id of each
    sorted row at level l (0 = outermost); ``parent[l]`` maps level-l nodes to level-(l-1)
    nodes (``parent[0]`` is unused and empty).
    """

    order: IntArray
    node_of_row: tuple[IntArray, ...]
    parent: tuple[IntArray, ...]
    n_nodes: tuple[int, ...]
    row_starts: IntArray  # starts of innermost nodes among sorted rows
    child_starts: tuple[IntArray, ...]  # child_starts[l]: starts of level-l nodes' children runs

    @property
    def n_levels(self) -> int:
        return len(self.n_nodes)

    @property
    def k(self) -> int:
        return int(self.order.size)

    @classmethod
    def from_codes(cls, codes: Sequence[IntArray]) -> NestedTree:
        """Build from integer codes per level, outer → inner; a level's node is the path
        (code_0, …, code_l), as metafor's ``~ 1 | outer/inner``."""
        if not codes:
            raise MultilevelInputError("at least one random-effects level is needed")
        k = codes[0].size
        order = np.lexsort(tuple(c for c in reversed(codes))).astype(np.intp)
        sorted_codes = [np.asarray(c)[order] for c in codes]
        changed = np.zeros(max(k - 1, 0), dtype=bool)
        node_of_row: list[IntArray] = []
        for c in sorted_codes:
            changed = changed | (np.diff(c) != 0)
            node_of_row.append(np.concatenate(([0], np.cumsum(changed))).astype(np.intp))
        n_nodes = tuple(int(ids[-1]) + 1 if k else 0 for ids in node_of_row)
        parent: list[IntArray] = [np.empty(0, dtype=np.intp)]
        child_starts: list[IntArray] = []
        for lev in range(1, len(codes)):
            starts = _segment_starts(node_of_row[lev])
            parent.append(node_of_row[lev - 1][starts])
        for lev in range(len(codes) - 1):
            child_starts.append(_segment_starts(parent[lev + 1]))
        child_starts.append(np.empty(0, dtype=np.intp))
        return cls(
            order=order,
            node_of_row=tuple(node_of_row),
            parent=tuple(parent),
            n_nodes=n_nodes,
            row_starts=_segment_starts(node_of_row[-1]),
            child_starts=tuple(child_starts),
        )

    def top_block_of_row(self) -> IntArray:
        """Outermost node id of each sorted row."""
        return self.node_of_row[0]


@dataclass(frozen=True)
class Evaluation:
    """Marginal-likelihood pieces at one value of the variance components."""

    logdet_v: float
    gram: FloatArray  # Mᵀ V⁻¹ M, M = [X, y]
    trace_terms: FloatArray | None  # per level: tr(V⁻¹ Z_l Z_lᵀ)
    score_grams: FloatArray | None  # per level: W_lᵀ W_l with W_l rows 1_nᵀ[V⁻¹M]_n


@dataclass
class _UpPass:
    big_a: list[FloatArray]  # per level, pre-update Σ children a (N_l × q)
    f: list[FloatArray]
    rho: list[FloatArray]
    a_post: list[FloatArray]
    c_post: list[FloatArray]


class NestedEngine:
    """Closed-form REML/ML pieces for one data set (sorted rows, fixed X and y)."""

    def __init__(self, tree: NestedTree, m_sorted: FloatArray, v_sorted: FloatArray) -> None:
        self.tree = tree
        self.m = m_sorted
        self.v = v_sorted
        self.inv_v = 1.0 / v_sorted
        self.a_leaf = m_sorted * self.inv_v[:, None]
        self.gram_d = m_sorted.T @ self.a_leaf
        self.logdet_d = float(np.sum(np.log(v_sorted)))

    def _up(self, sigma2: FloatArray) -> tuple[float, FloatArray, _UpPass]:
        tree = self.tree
        n_lev = tree.n_levels
        up = _UpPass([], [], [], [], [])
        child_a = self.a_leaf
        child_c = self.inv_v
        starts = tree.row_starts
        logdet = self.logdet_d
        correction = np.zeros_like(self.gram_d)
        for lev in range(n_lev - 1, -1, -1):
            big_a = np.add.reduceat(child_a, starts, axis=0)
            big_c = np.add.reduceat(child_c, starts)
            s = float(sigma2[lev])
            den = 1.0 + s * big_c
            f = s / den
            rho = 1.0 / den
            logdet += float(np.sum(np.log(den)))
            correction += (big_a * f[:, None]).T @ big_a
            a_post = big_a * rho[:, None]
            c_post = big_c * rho
            up.big_a.append(big_a)
            up.f.append(f)
            up.rho.append(rho)
            up.a_post.append(a_post)
            up.c_post.append(c_post)
            child_a, child_c = a_post, c_post
            if lev > 0:
                starts = tree.child_starts[lev - 1]
        # stored inner → outer; flip to outer → inner
        for lst in (up.big_a, up.f, up.rho, up.a_post, up.c_post):
            lst.reverse()
        return logdet, self.gram_d - correction, up

    def _down(self, up: _UpPass) -> tuple[list[FloatArray], list[FloatArray]]:
        """Per level: g_n (so that [V⁻¹]_nn = V_n⁻¹ − g_n V_n⁻¹11ᵀV_n⁻¹) and E_n vectors."""
        tree = self.tree
        q = self.m.shape[1]
        g = [np.zeros(tree.n_nodes[0])]
        e = [np.zeros((tree.n_nodes[0], q))]
        for lev in range(1, tree.n_levels):
            par = tree.parent[lev]
            f_p = up.f[lev - 1][par]
            rho_p = up.rho[lev - 1][par]
            g.append(f_p + g[lev - 1][par] * rho_p**2)
            e.append(f_p[:, None] * up.big_a[lev - 1][par] + rho_p[:, None] * e[lev - 1][par])
        return g, e

    def evaluate(self, sigma2: FloatArray, *, with_score: bool = True) -> Evaluation:
        logdet, gram, up = self._up(sigma2)
        if not with_score:
            return Evaluation(logdet, gram, None, None)
        g, e = self._down(up)
        n_lev = self.tree.n_levels
        q = self.m.shape[1]
        traces = np.empty(n_lev)
        grams = np.empty((n_lev, q, q))
        for lev in range(n_lev):
            c = up.c_post[lev]
            w = up.a_post[lev] - c[:, None] * e[lev]
            traces[lev] = float(np.sum(c - g[lev] * c**2))
            grams[lev] = w.T @ w
        return Evaluation(logdet, gram, traces, grams)

    def vinv_rows(self, sigma2: FloatArray) -> FloatArray:
        """Rows of V⁻¹M (sorted order): needed by cluster-robust estimators."""
        _, _, up = self._up(sigma2)
        g, e = self._down(up)
        del g
        inner = self.tree.n_levels - 1
        node = self.tree.node_of_row[inner]
        e_leaf = (
            up.f[inner][node][:, None] * up.big_a[inner][node]
            + up.rho[inner][node][:, None] * e[inner][node]
        )
        out: FloatArray = (self.m - e_leaf) * self.inv_v[:, None]
        return out

    def dense_block(self, sigma2: FloatArray, rows_sorted: IntArray) -> FloatArray:
        """Marginal covariance V for a set of sorted rows (one cluster), as a dense matrix."""
        out = np.diag(self.v[rows_sorted])
        for lev in range(self.tree.n_levels):
            ids = self.tree.node_of_row[lev][rows_sorted]
            out = out + float(sigma2[lev]) * (ids[:, None] == ids[None, :])
        return out
