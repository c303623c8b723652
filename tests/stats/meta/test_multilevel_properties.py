"""Property tests for the block-wise multilevel likelihood."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from yim.stats.meta.multilevel import MultilevelModel

from .test_multilevel import close


def simulate(seed: int, n_studies: int, max_es: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, max_es + 1, size=n_studies)
    sizes[0] = max_es  # at least one study with several effect sizes: σ² identifiable
    study = np.repeat(np.arange(n_studies), sizes)
    es = np.concatenate([np.arange(s) for s in sizes])
    k = study.size
    vi = rng.uniform(0.01, 0.1, size=k)
    mod = rng.normal(size=k)
    yi = (
        0.2
        + 0.1 * mod
        + rng.normal(scale=0.3, size=n_studies)[study]
        + rng.normal(scale=0.2, size=k)
        + rng.normal(scale=np.sqrt(vi))
    )
    return {"study": study, "es": es, "vi": vi, "yi": yi, "mod": mod}


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n_studies=st.integers(4, 15), max_es=st.integers(2, 5))
def test_fit_does_not_depend_on_row_order(seed: int, n_studies: int, max_es: int) -> None:
    d = simulate(seed, n_studies, max_es)
    x = np.column_stack([np.ones(d["yi"].size), d["mod"]])
    model = MultilevelModel(profile_cis=False, lrt=False)
    a = model.fit(d["yi"], d["vi"], {"study": d["study"], "es": d["es"]}, x)
    perm = np.random.default_rng(seed + 1).permutation(d["yi"].size)
    b = model.fit(
        d["yi"][perm], d["vi"][perm], {"study": d["study"][perm], "es": d["es"][perm]}, x[perm]
    )
    close(b.beta, a.beta, rtol=1e-7, atol=1e-10)
    close(b.sigma2, a.sigma2, rtol=1e-6, atol=1e-9)
    close(b.log_likelihood, a.log_likelihood, rtol=1e-10)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n_studies=st.integers(3, 12), max_es=st.integers(2, 4))
def test_both_sigma2_fixed_at_zero_is_the_weighted_least_squares_fit(
    seed: int, n_studies: int, max_es: int
) -> None:
    d = simulate(seed, n_studies, max_es)
    x = np.column_stack([np.ones(d["yi"].size), d["mod"]])
    res = MultilevelModel(profile_cis=False, lrt=False).fit(
        d["yi"], d["vi"], {"study": d["study"], "es": d["es"]}, x, sigma2=[0.0, 0.0]
    )
    w = 1 / d["vi"]
    vb = np.linalg.inv(x.T @ (x * w[:, None]))
    close(res.beta, vb @ (x.T @ (w * d["yi"])), rtol=1e-9, atol=1e-12)
    close(res.vcov, vb, rtol=1e-9)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n_studies=st.integers(5, 15), max_es=st.integers(2, 5))
def test_inner_sigma2_fixed_at_zero_is_the_two_level_model_of_the_outer_groups(
    seed: int, n_studies: int, max_es: int
) -> None:
    d = simulate(seed, n_studies, max_es)
    k = d["yi"].size
    x = np.ones((k, 1))
    res = MultilevelModel(profile_cis=False, lrt=False).fit(
        d["yi"], d["vi"], {"study": d["study"], "es": d["es"]}, sigma2=[None, 0.0]
    )
    same = d["study"][:, None] == d["study"][None, :]

    # dense REML for V = diag(v) + τ² · [same study], maximised by a bounded scalar search
    def neg_reml(tau2: float) -> float:
        v = np.diag(d["vi"]) + tau2 * same
        vinv = np.linalg.inv(v)
        h = x.T @ vinv @ x
        b = np.linalg.solve(h, x.T @ vinv @ d["yi"])
        r = d["yi"] - x @ b
        return 0.5 * (np.linalg.slogdet(v)[1] + np.linalg.slogdet(h)[1] + r @ vinv @ r)

    opt = optimize.minimize_scalar(
        neg_reml, bounds=(0.0, 10.0), method="bounded", options={"xatol": 1e-12}
    )
    assert res.sigma2[1] == 0.0
    close(res.sigma2[0], opt.x, rtol=1e-4, atol=1e-7)  # bounded Brent's own tolerance
    v = np.diag(d["vi"]) + res.sigma2[0] * same
    vinv = np.linalg.inv(v)
    b = np.linalg.solve(x.T @ vinv @ x, x.T @ vinv @ d["yi"])
    close(res.beta, b, rtol=1e-9, atol=1e-12)
