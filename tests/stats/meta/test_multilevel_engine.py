"""The block-wise multilevel engine against dense linear algebra, and the profile searches
against a plain bracketing search: the fast paths must give the same numbers."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy import optimize, stats

from yim.stats.meta._blocks import NestedEngine, NestedTree
from yim.stats.meta._mlfit import NestedLikelihood, maximise
from yim.stats.meta.multilevel import MultilevelModel


def _tree_data(seed: int) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Three nested levels of uneven sizes, with single-child nodes and single-row leaves."""
    rng = np.random.default_rng(seed)
    region, centre, study = [], [], []
    for r in range(4):
        for c in range(int(rng.integers(1, 4))):
            for s in range(int(rng.integers(1, 4))):
                n = int(rng.integers(1, 5))
                region += [r] * n
                centre += [c] * n
                study += [s] * n
    k = len(region)
    codes = [np.asarray(a, dtype=np.intp) for a in (region, centre, study)]
    m = np.column_stack([np.ones(k), rng.normal(size=k), rng.normal(size=k)])
    v = rng.uniform(0.01, 0.1, size=k)
    return codes, m, v


def _dense(codes: list[np.ndarray], m: np.ndarray, v: np.ndarray, sigma2: np.ndarray) -> dict:
    k = v.size
    zs = []
    for lev in range(len(codes)):
        path = np.column_stack(codes[: lev + 1])
        _, node = np.unique(path, axis=0, return_inverse=True)
        zs.append((node.ravel()[:, None] == np.arange(node.max() + 1)[None, :]).astype(float))
    V = np.diag(v) + sum(s * z @ z.T for s, z in zip(sigma2, zs, strict=True))
    vinv = np.linalg.inv(V)
    assert k == m.shape[0]
    return {
        "logdet": np.linalg.slogdet(V)[1],
        "gram": m.T @ vinv @ m,
        "traces": np.array([np.trace(vinv @ z @ z.T) for z in zs]),
        "grams": np.array([(z.T @ vinv @ m).T @ (z.T @ vinv @ m) for z in zs]),
        "vinv_m": vinv @ m,
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_engine_equals_dense_algebra_whatever_the_order_of_evaluations(seed: int) -> None:
    codes, m, v = _tree_data(seed)
    tree = NestedTree.from_codes(codes)
    engine = NestedEngine(tree, m[tree.order], v[tree.order])
    # outer only, inner only, back again, a zero: every reuse of a level's quantities
    for sigma2 in (
        [0.2, 0.1, 0.05],
        [0.3, 0.1, 0.05],
        [0.3, 0.1, 0.07],
        [0.2, 0.1, 0.05],
        [0.0, 0.1, 0.05],
        [0.2, 0.0, 0.0],
    ):
        s = np.asarray(sigma2)
        ev = engine.evaluate(s)
        ref = _dense([c[tree.order] for c in codes], m[tree.order], v[tree.order], s)
        assert ev.logdet_v == pytest.approx(ref["logdet"], rel=1e-12)
        np.testing.assert_allclose(ev.gram, ref["gram"], rtol=1e-11)
        np.testing.assert_allclose(ev.trace_terms, ref["traces"], rtol=1e-11)
        np.testing.assert_allclose(ev.score_grams, ref["grams"], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(engine.vinv_rows(s), ref["vinv_m"], rtol=1e-10, atol=1e-12)


def _three_level(seed: int, n_studies: int = 150, per: int = 6) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    study = np.repeat(np.arange(n_studies), per)
    es = np.tile(np.arange(per), n_studies)
    vi = rng.uniform(0.01, 0.08, size=study.size)
    yi = (
        0.2
        + rng.normal(scale=0.25, size=n_studies)[study]
        + rng.normal(scale=0.15, size=study.size)
        + rng.normal(scale=np.sqrt(vi))
    )
    return {"yi": yi, "vi": vi, "study": study, "es": es}


@pytest.mark.parametrize("seed", [5, 6])
def test_profile_cis_and_lrts_equal_a_plain_search_of_the_profile(seed: int) -> None:
    d = _three_level(seed)
    groups = {"study": d["study"], "es": d["es"]}
    res = MultilevelModel("REML").fit(d["yi"], d["vi"], groups)
    # the reference: brentq on the profile, each value a full refit from the estimate
    tree = NestedTree.from_codes([d["study"].astype(np.intp), d["es"].astype(np.intp)])
    m = np.column_stack([np.ones(d["yi"].size) / np.sqrt(d["yi"].size), d["yi"]])[tree.order]
    lik = NestedLikelihood(NestedEngine(tree, m, d["vi"][tree.order]), 1, reml=True)
    scale = 0.05
    best = maximise(lik, np.full(2, scale), np.full(2, np.nan), scale=scale)
    cut = best.loglik - stats.chi2.ppf(0.95, 1) / 2.0

    def profile(comp: int, value: float) -> float:
        fixed = np.full(2, np.nan)
        fixed[comp] = value
        return maximise(lik, best.sigma2, fixed, scale=scale).loglik

    for comp, vc in enumerate(res.variance_components):
        est = float(best.sigma2[comp])
        gap = functools.partial(lambda c, x: profile(c, x) - cut, comp)
        lower = optimize.brentq(gap, 0.0, est, xtol=1e-14)
        upper = optimize.brentq(gap, est, 100 * est, xtol=1e-14)
        assert vc.ci_lb == pytest.approx(lower, rel=1e-8)
        assert vc.ci_ub == pytest.approx(upper, rel=1e-8)
        lrt = 2.0 * (best.loglik - profile(comp, 0.0))
        assert res.lrt[comp].statistic == pytest.approx(lrt, rel=1e-9)


def test_a_refit_from_given_starting_values_finds_the_same_estimates() -> None:
    d = _three_level(7)
    groups = {"study": d["study"], "es": d["es"]}
    model = MultilevelModel("REML", profile_cis=False, lrt=False)
    default = model.fit(d["yi"], d["vi"], groups)
    started = model.fit(d["yi"], d["vi"], groups, start=[0.5, 0.001])
    np.testing.assert_allclose(started.sigma2, default.sigma2, rtol=1e-9)
    assert started.log_likelihood == pytest.approx(default.log_likelihood, rel=1e-13)
