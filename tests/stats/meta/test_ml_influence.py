"""Deletion diagnostics of multilevel fits against metafor 3.8-1's cooks.distance.rma.mv(),
dfbetas.rma.mv() and hatvalues.rma.mv() (reference JSON from
reference/make_reference_ml_influence.R)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

from yim.stats.meta import RandomEffectsModel, multilevel_influence
from yim.stats.meta.errors import MetaAnalysisError
from yim.stats.meta.multilevel import MultilevelModel, MultilevelResult

from ._reference import ATOL, REFERENCE, RTOL, as_list


@cache
def reference() -> dict[str, Any]:
    with (REFERENCE / "ml_influence_reference.json").open() as fh:
        data: dict[str, Any] = json.load(fh)
    return data


KON = pd.read_csv(REFERENCE / "konstantopoulos2011.csv")
ASS = pd.read_csv(REFERENCE / "assink2016.csv")


def kon_fit(year: bool = False) -> MultilevelResult:
    x = np.column_stack([np.ones(len(KON)), KON.year]) if year else None
    names = ["intrcpt", "year"] if year else None
    groups = {"district": KON.district, "school": KON.school}
    return MultilevelModel("REML").fit(KON.yi, KON.vi, groups, x, names)


def ass_fit() -> MultilevelResult:
    groups = {"id": ASS.id, "study": ASS.study}
    return MultilevelModel("REML", test="t").fit(ASS.yi, ASS.vi, groups, nesting="declared")


CASES = {
    "kon": (kon_fit, None),
    "kon_district": (kon_fit, KON.district),
    "kon_year": (lambda: kon_fit(year=True), None),
    "kon_year_district": (lambda: kon_fit(year=True), KON.district),
    "ass": (ass_fit, None),
    "ass_study": (ass_fit, ASS.study),
}


def close(actual: Any, expected: Any, rtol: float = RTOL) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=ATOL
    )


def max_rel(a: Any, b: Any) -> float:
    """Largest relative difference, relative to at least 1/1000 of the largest |b| (a
    DFBETAS value that happens to lie near 0 has no meaningful relative error)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-3 * np.max(np.abs(b)))))


def close_scaled(actual: Any, expected: Any, rtol: float) -> None:
    """rtol relative to each value, with an absolute floor of rtol × the largest |value|."""
    expected = np.asarray(expected, dtype=float)
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), expected, rtol=rtol, atol=rtol * np.max(np.abs(expected))
    )


@cache
def diagnostics(name: str, reestimate: bool = True) -> Any:
    fitter, cluster = CASES[name]
    return multilevel_influence(fitter(), cluster=cluster, reestimate=reestimate)


# Tolerance (as for Cook's distance in test_diagnostics.py): deletion statistics are
# differences b − b(−j) in the 3rd–4th significant digit of b, so they magnify optimiser
# error; metafor's own values from two tight optimisers (BFGS reltol 1e-15, nlm gradtol
# 1e-12) differ by up to ~5e-4 (relative). We require agreement with the BFGS values at 1e-4
# and that our values lie closer to BFGS than metafor's two optimisers lie to each other.
# DFBETAS can lie near 0 (a deletion that hardly moves a coefficient), where a relative error
# means nothing: for them the 1e-4 is taken relative to the largest |DFBETAS| (close_scaled).
DELETION_RTOL = 1e-4


@pytest.mark.parametrize("name", list(CASES))
def test_cooks_distance_matches_metafor_cooks_distance_rma_mv(name: str) -> None:
    ref = reference()[name]
    out = diagnostics(name)
    close(out.cooks_distance, ref["bfgs"]["cook"], rtol=DELETION_RTOL)
    assert max_rel(out.cooks_distance, ref["bfgs"]["cook"]) < max_rel(
        ref["nlm"]["cook"], ref["bfgs"]["cook"]
    )


@pytest.mark.parametrize("name", list(CASES))
def test_dfbetas_match_metafor_dfbetas_rma_mv(name: str) -> None:
    ref = reference()[name]
    out = diagnostics(name)
    expected = np.column_stack(ref["bfgs"]["dfbetas"])
    spread = np.column_stack(ref["nlm"]["dfbetas"])
    close_scaled(out.dfbetas, expected, rtol=DELETION_RTOL)
    assert max_rel(out.dfbetas, expected) < max_rel(spread, expected)
    assert list(out.coef_names) == as_list(ref["coef_names"])


@pytest.mark.parametrize("name", list(CASES))
def test_deletion_statistics_without_reestimation_match_metafor(name: str) -> None:
    # variance components held at the full fit: no optimiser in the refits, only the
    # full-fit sigma^2 (which agree with metafor's to ~1e-7), so a tighter tolerance holds
    ref = reference()[name]["fixed"]
    out = diagnostics(name, reestimate=False)
    close(out.cooks_distance, ref["cook"], rtol=1e-5)
    close_scaled(out.dfbetas, np.column_stack(ref["dfbetas"]), rtol=1e-5)
    assert not out.reestimate


@pytest.mark.parametrize("name", list(CASES))
def test_hat_values_match_metafor_hatvalues_rma_mv(name: str) -> None:
    out = diagnostics(name)
    close(out.hat, reference()[name]["hat"], rtol=1e-6)


@pytest.mark.parametrize("name", list(CASES))
def test_units_are_in_metafor_order(name: str) -> None:
    out = diagnostics(name)
    ids = [str(i) for i in reference()[name]["bfgs"]["ids"]]
    if CASES[name][1] is None:
        assert list(out.index) == list(range(1, len(out.index) + 1))
        assert len(ids) == len(out.index)
    else:
        assert [str(i) for i in out.index] == ids
        assert out.n_rows.sum() == len(CASES[name][1])


def test_hat_values_add_up_to_the_number_of_coefficients() -> None:
    for name in ("kon_year", "kon_year_district", "ass_study"):
        out = diagnostics(name)
        assert np.isclose(out.hat.sum(), len(out.coef_names), rtol=1e-10)


def test_clusters_of_one_effect_size_give_the_per_effect_diagnostics() -> None:
    fit = kon_fit()
    per_row = diagnostics("kon")
    singletons = multilevel_influence(fit, cluster=np.arange(fit.k) + 1)
    close(singletons.cooks_distance, per_row.cooks_distance, rtol=1e-8)
    close(singletons.dfbetas, per_row.dfbetas, rtol=1e-8)
    close(singletons.hat, per_row.hat, rtol=1e-12)


def test_fixed_variance_components_stay_fixed_in_the_refits() -> None:
    groups = {"district": KON.district, "school": KON.school}
    fit = MultilevelModel("REML", profile_cis=False, lrt=False).fit(
        KON.yi, KON.vi, groups, sigma2=[0.05, None]
    )
    out = multilevel_influence(fit, cluster=KON.district)
    assert np.all(out.sigma2_deleted[:, 0] == 0.05)
    assert np.ptp(out.sigma2_deleted[:, 1]) > 0


def test_frame_summary_and_immutability() -> None:
    out = diagnostics("ass_study")
    frame = out.to_frame()
    expected = ["cook.d", "dfbs.intrcpt", "hat", "k", "sigma2.del.1", "sigma2.del.2"]
    assert list(frame.columns) == expected
    assert frame.index.name == "cluster"
    top = out.most_influential(3)
    assert top["cook.d"].iloc[0] == np.nanmax(out.cooks_distance)
    text = out.summary()
    assert "clusters left out in turn" in text and "re-estimated" in text
    with pytest.raises(ValueError):
        out.cooks_distance[0] = 1.0


def test_labels_name_the_effect_sizes() -> None:
    fit = kon_fit()
    labels = [f"school {i}" for i in range(fit.k)]
    out = multilevel_influence(fit, labels=labels, reestimate=False)
    assert out.to_frame().index[3] == "school 3"


def test_bad_inputs_are_refused_with_a_reason() -> None:
    fit = kon_fit()
    with pytest.raises(MetaAnalysisError, match="labels for 56"):
        multilevel_influence(fit, cluster=[1, 2, 3])
    bad = KON.district.astype(object).copy()
    bad.iloc[4] = None
    with pytest.raises(MetaAnalysisError, match="row 5"):
        multilevel_influence(fit, cluster=bad)
    with pytest.raises(MetaAnalysisError, match="with cluster= leave it out"):
        multilevel_influence(fit, cluster=KON.district, labels=["a"] * fit.k)
    with pytest.raises(MetaAnalysisError, match="2 entries for 56"):
        multilevel_influence(fit, labels=["a", "b"])
    two_level = RandomEffectsModel().fit([0.1, 0.3, 0.2], [0.01, 0.02, 0.03])
    with pytest.raises(MetaAnalysisError, match="influence\\(\\)"):
        multilevel_influence(two_level)  # type: ignore[arg-type]
