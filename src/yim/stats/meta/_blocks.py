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

The score of level l needs Σ_n w_n w_nᵀ with w_n = a_n − c_n E_p, where E_p depends on the
node's parent p only. Grouped by parent that is

    Σ_p [ Σ_{n∈p} (a_n − c_n μ_p)(a_n − c_n μ_p)ᵀ + C2_p (μ_p − E_p)(μ_p − E_p)ᵀ ],
    C2_p = Σ_{n∈p} c_n²,  μ_p = Σ_{n∈p} c_n a_n / C2_p,

and the first (within-parent) sum depends on the σ² of level l and the levels inside it only.
The engine keeps each level's bottom-up quantities with the σ² they were computed for, so an
evaluation that changes only outer components (an optimiser step with an inner component
held fixed, a finite-difference step in an outer one) never touches the k rows again.
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


class _Level:
    """Bottom-up quantities of one level, nodes along the last axis, for the σ² of this level
    and of the levels inside it (``key``); arrays are allocated once and rewritten in place.

    ``big_a`` (q × N) is Σ children a before the node's own update; ``c2``, ``mu``, ``scatter``
    and ``csum`` group the level's nodes by parent (see the module docstring)."""

    def __init__(self, q: int, n: int, n_parents: int, *, single: bool) -> None:
        self.key: bytes | None = None
        self.single = single  # every node has exactly one child: no sums needed
        self._big_a: FloatArray | None = None if single else np.empty((q, n))
        self._big_c: FloatArray | None = None if single else np.empty(n)
        self.big_a: FloatArray = np.empty((q, 0))
        self.big_c: FloatArray = np.empty(0)
        self.den = np.empty(n)
        self.f = np.empty(n)
        self.rho = np.empty(n)
        self.a_post = np.empty((q, n))
        self.c_post = np.empty(n)
        self.tmp_q = np.empty((q, n))
        self.logdet = 0.0
        self.corr = np.zeros((q, q))
        self.c2 = np.empty(n_parents)
        self.mu = np.empty((q, n_parents))
        self.scatter = np.zeros((q, q))
        self.csum = 0.0


class NestedEngine:
    """Closed-form REML/ML pieces for one data set (sorted rows, fixed X and y).

    The columns M = [X, y] are held transposed (q × k, one contiguous row per column), so
    every per-level sum is a contiguous ``reduceat``; a level whose nodes each hold a single
    child (say, effect sizes with their own id inside studies) needs no sum at all. Results
    handed out (Gram matrices, traces, rows of V⁻¹M) are fresh arrays.
    """

    def __init__(self, tree: NestedTree, m_sorted: FloatArray, v_sorted: FloatArray) -> None:
        self.tree = tree
        self.m = m_sorted
        self.v = v_sorted
        self.inv_v = 1.0 / v_sorted
        self._mt: FloatArray = np.ascontiguousarray(m_sorted.T)
        self._a_leaf: FloatArray = self._mt * self.inv_v
        self.gram_d: FloatArray = self._mt @ self._a_leaf.T
        self.logdet_d = float(np.sum(np.log(v_sorted)))
        n_lev = tree.n_levels
        self._q = self._mt.shape[0]
        # starts of each level's children runs (rows for the innermost level), and whether
        # every node of the level has exactly one child
        self._starts: list[IntArray] = [
            tree.child_starts[lev] if lev < n_lev - 1 else tree.row_starts for lev in range(n_lev)
        ]
        n_children = [*tree.n_nodes[1:], tree.k]
        self._single: list[bool] = [tree.n_nodes[lev] == n_children[lev] for lev in range(n_lev)]
        self._levels: list[_Level] | None = None

    def _level_states(self) -> list[_Level]:
        if self._levels is None:
            nodes = self.tree.n_nodes
            self._levels = [
                _Level(self._q, nodes[lev], nodes[lev - 1] if lev else 0, single=self._single[lev])
                for lev in range(self.tree.n_levels)
            ]
        return self._levels

    def _compute_level(
        self, lev: int, st: _Level, child_a: FloatArray, child_c: FloatArray, s: float
    ) -> None:
        if st._big_a is None or st._big_c is None:
            st.big_a, st.big_c = child_a, child_c
        else:
            st.big_a = np.add.reduceat(child_a, self._starts[lev], axis=1, out=st._big_a)
            st.big_c = np.add.reduceat(child_c, self._starts[lev], out=st._big_c)
        den = np.multiply(st.big_c, s, out=st.den)
        den += 1.0  # 1 + s·c
        np.divide(s, den, out=st.f)
        np.divide(1.0, den, out=st.rho)
        st.logdet = float(np.sum(np.log(den, out=den)))
        st.corr = np.multiply(st.big_a, st.f, out=st.tmp_q) @ st.big_a.T
        a = np.multiply(st.big_a, st.rho, out=st.a_post)
        c = np.multiply(st.big_c, st.rho, out=st.c_post)
        if lev == 0:
            return
        # group the nodes by parent: C2, μ and the within-parent scatter of the score
        st.csum = float(np.sum(c))
        c_sq = np.multiply(c, c, out=st.den)
        ca = np.multiply(a, c, out=st.tmp_q)
        if self._single[lev - 1]:
            np.copyto(st.c2, c_sq)
            np.copyto(st.mu, ca)
        else:
            np.add.reduceat(c_sq, self._starts[lev - 1], out=st.c2)
            np.add.reduceat(ca, self._starts[lev - 1], axis=1, out=st.mu)
        st.mu /= st.c2
        if self._single[lev - 1]:
            np.copyto(st.tmp_q, st.mu)
        else:
            np.take(st.mu, self.tree.parent[lev], axis=1, out=st.tmp_q, mode="clip")
        dc = np.multiply(st.tmp_q, c, out=st.tmp_q)
        np.subtract(a, dc, out=dc)
        st.scatter = dc @ dc.T

    def _up(self, sigma2: FloatArray) -> tuple[float, FloatArray, list[_Level]]:
        sig = np.asarray(sigma2, dtype=np.float64)
        levels = self._level_states()
        child_a = self._a_leaf
        child_c = self.inv_v
        logdet = self.logdet_d
        correction = np.zeros_like(self.gram_d)
        for lev in range(self.tree.n_levels - 1, -1, -1):
            st = levels[lev]
            key = sig[lev:].tobytes()
            if st.key != key:
                st.key = None  # in case the computation fails half-way
                self._compute_level(lev, st, child_a, child_c, float(sig[lev]))
                st.key = key
            logdet += st.logdet
            correction += st.corr
            child_a, child_c = st.a_post, st.c_post
        return logdet, self.gram_d - correction, levels

    def _down(self, levels: list[_Level]) -> tuple[list[FloatArray], list[FloatArray]]:
        """For each level l ≥ 1, per node p of level l − 1: G_p (so that [V⁻¹]_nn = V_n⁻¹ −
        G_p V_n⁻¹11ᵀV_n⁻¹ for the children n of p) and E_p (q-vectors, q × N_{l−1}). Entry 0
        is unused: the outermost nodes have no parent (g = 0, E = 0)."""
        tree = self.tree
        g_node: FloatArray = np.zeros(tree.n_nodes[0])
        e_node: FloatArray = np.zeros((self._q, tree.n_nodes[0]))
        big_g: list[FloatArray] = [g_node]
        big_e: list[FloatArray] = [e_node]
        for lev in range(1, tree.n_levels):
            par = levels[lev - 1]
            g_p = par.f + g_node * par.rho**2
            e_p = par.f * par.big_a + par.rho * e_node
            big_g.append(g_p)
            big_e.append(e_p)
            if lev < tree.n_levels - 1:  # the nodes of this level hand them on
                if self._single[lev - 1]:
                    g_node, e_node = g_p, e_p
                else:
                    g_node = np.take(g_p, tree.parent[lev])
                    e_node = np.take(e_p, tree.parent[lev], axis=1)
        return big_g, big_e

    def evaluate(self, sigma2: FloatArray, *, with_score: bool = True) -> Evaluation:
        logdet, gram, levels = self._up(sigma2)
        if not with_score:
            return Evaluation(logdet, gram, None, None)
        big_g, big_e = self._down(levels)
        n_lev = self.tree.n_levels
        traces = np.empty(n_lev)
        grams = np.empty((n_lev, self._q, self._q))
        top = levels[0]
        traces[0] = float(np.sum(top.c_post))
        grams[0] = top.a_post @ top.a_post.T
        for lev in range(1, n_lev):
            st = levels[lev]
            traces[lev] = st.csum - float(np.sum(big_g[lev] * st.c2))
            d = st.mu - big_e[lev]
            grams[lev] = st.scatter + (d * st.c2) @ d.T
        return Evaluation(logdet, gram, traces, grams)

    def vinv_rows(self, sigma2: FloatArray) -> FloatArray:
        """Rows of V⁻¹M (sorted order, k × q): needed by cluster-robust estimators."""
        _, _, levels = self._up(sigma2)
        _, big_e = self._down(levels)
        tree = self.tree
        inner = tree.n_levels - 1
        st = levels[inner]
        if inner == 0:
            e_inner: FloatArray = np.zeros_like(st.big_a)
        elif self._single[inner - 1]:
            e_inner = big_e[inner]
        else:
            e_inner = np.take(big_e[inner], tree.parent[inner], axis=1)
        e_node = st.f * st.big_a + st.rho * e_inner
        if not self._single[inner]:
            e_node = np.take(e_node, tree.node_of_row[inner], axis=1)
        out: FloatArray = ((self._mt - e_node) * self.inv_v).T
        return out

    def dense_block(self, sigma2: FloatArray, rows_sorted: IntArray) -> FloatArray:
        """Marginal covariance V for a set of sorted rows (one cluster), as a dense matrix."""
        out = np.diag(self.v[rows_sorted])
        for lev in range(self.tree.n_levels):
            ids = self.tree.node_of_row[lev][rows_sorted]
            out = out + float(sigma2[lev]) * (ids[:, None] == ids[None, :])
        return out
