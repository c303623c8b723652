"""Forest and funnel plots: valid, deterministic SVG with the expected elements; PNG output."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from lxml import etree

from yim.stats.meta import plots
from yim.stats.meta.conversions import z_to_r
from yim.stats.meta.dataset import load_table, prepare
from yim.stats.meta.errors import MetaAnalysisError
from yim.stats.meta.multilevel import MultilevelModel
from yim.stats.meta.twolevel import RandomEffectsModel

from ._reference import REFERENCE

SVG_NS = "{http://www.w3.org/2000/svg}"


def _molloy() -> tuple[pd.DataFrame, RandomEffectsModel]:
    frame = load_table(REFERENCE / "molloy2014.csv")
    return frame, RandomEffectsModel("REML", "z")


def _ids(svg: str) -> list[str]:
    root = etree.fromstring(svg.encode())
    return [el.get("id") for el in root.iter() if el.get("id")]


def test_forest_plot_has_one_row_per_study_and_one_pooled_diamond() -> None:
    frame, model = _molloy()
    prepared = prepare(frame, r="ri", n="ni", study="authors")
    result = model.fit(prepared.yi, prepared.vi)
    svg = plots.figure_to_svg(plots.forest_plot(result, labels=prepared.labels, transform=z_to_r))
    ids = _ids(svg)
    assert sum(i.startswith("forest-study-") for i in ids) == prepared.k
    assert sum(i.startswith("forest-ci-") for i in ids) == prepared.k
    assert ids.count("forest-diamond-overall") == 1
    assert ids.count("forest-pi") == 1
    assert not any(i.startswith("forest-diamond-subgroup") for i in ids)


def test_forest_plot_draws_a_diamond_per_subgroup_with_two_or_more_studies() -> None:
    frame, model = _molloy()
    prepared = prepare(frame, r="ri", n="ni", study="authors")
    result = model.fit(prepared.yi, prepared.vi)
    groups = list(frame["design"])
    svg = plots.figure_to_svg(plots.forest_plot(result, labels=prepared.labels, subgroups=groups))
    ids = _ids(svg)
    expected = sum(1 for g in set(groups) if groups.count(g) >= 2)
    assert expected >= 2
    assert sum(i.startswith("forest-diamond-subgroup-") for i in ids) == expected
    assert ids.count("forest-diamond-overall") == 1


def test_forest_plot_of_a_meta_regression_has_no_pooled_diamond() -> None:
    frame, model = _molloy()
    prepared = prepare(frame, r="ri", n="ni", study="authors", mods="meanage")
    result = model.fit(prepared.yi, prepared.vi, prepared.X, prepared.coef_names)
    ids = _ids(plots.figure_to_svg(plots.forest_plot(result, labels=prepared.labels)))
    assert "forest-diamond-overall" not in ids
    assert sum(i.startswith("forest-study-") for i in ids) == prepared.k


def test_equal_effects_forest_plot_has_no_prediction_interval() -> None:
    frame, _ = _molloy()
    prepared = prepare(frame, r="ri", n="ni", study="authors")
    result = RandomEffectsModel("EE").fit(prepared.yi, prepared.vi)
    ids = _ids(plots.figure_to_svg(plots.forest_plot(result, labels=prepared.labels)))
    assert "forest-diamond-overall" in ids
    assert "forest-pi" not in ids


def test_multilevel_weights_are_the_diagonal_of_the_inverse_marginal_covariance() -> None:
    frame = load_table(REFERENCE / "konstantopoulos2011.csv")
    prepared = prepare(frame, yi="yi", vi="vi", random="district/school")
    result = MultilevelModel("REML").fit(prepared.yi, prepared.vi, prepared.groups)
    weights, how = plots.study_weights(result)
    # build V = diag(v) + s1 * [same district] + s2 * [same district and school] by hand
    district = frame["district"].to_numpy()
    school = frame["school"].to_numpy()
    s1, s2 = result.sigma2
    same_d = (district[:, None] == district[None, :]).astype(float)
    same_s = same_d * (school[:, None] == school[None, :])
    V = np.diag(prepared.vi) + s1 * same_d + s2 * same_s
    w = np.diag(np.linalg.inv(V))
    np.testing.assert_allclose(weights, 100 * w / w.sum(), rtol=1e-8)
    assert "inverse marginal covariance" in how
    svg = plots.figure_to_svg(plots.forest_plot(result, labels=prepared.labels))
    assert sum(i.startswith("forest-study-") for i in _ids(svg)) == 56


def test_two_level_weights_are_inverse_total_variances() -> None:
    frame, model = _molloy()
    prepared = prepare(frame, r="ri", n="ni", study="authors")
    result = model.fit(prepared.yi, prepared.vi)
    weights, _ = plots.study_weights(result)
    w = 1 / (np.asarray(prepared.vi) + result.tau2)
    np.testing.assert_allclose(weights, 100 * w / w.sum())


def test_funnel_plot_has_all_points_and_one_band_per_contour() -> None:
    frame, model = _molloy()
    prepared = prepare(frame, r="ri", n="ni", study="authors")
    result = model.fit(prepared.yi, prepared.vi)
    svg = plots.figure_to_svg(plots.funnel_plot(result, contours=(0.90, 0.95, 0.99)))
    root = etree.fromstring(svg.encode())
    points = root.find(f".//{SVG_NS}g[@id='funnel-points']")
    assert points is not None
    assert len(points.findall(f".//{SVG_NS}use")) == prepared.k
    ids = _ids(svg)
    assert {"funnel-contour-0.9", "funnel-contour-0.95", "funnel-contour-0.99"} <= set(ids)


def test_funnel_plot_inverts_the_standard_error_axis() -> None:
    frame, model = _molloy()
    prepared = prepare(frame, r="ri", n="ni", study="authors")
    fig = plots.funnel_plot(model.fit(prepared.yi, prepared.vi))
    bottom, top = fig.axes[0].get_ylim()
    assert top == 0.0
    assert bottom > float(np.sqrt(np.max(prepared.vi)))


def test_funnel_plot_refuses_contours_outside_zero_and_one() -> None:
    frame, model = _molloy()
    prepared = prepare(frame, r="ri", n="ni", study="authors")
    with pytest.raises(MetaAnalysisError, match="contours"):
        plots.funnel_plot(model.fit(prepared.yi, prepared.vi), contours=(0.9, 95))


def test_svg_output_is_deterministic_and_png_has_the_signature() -> None:
    frame, model = _molloy()
    prepared = prepare(frame, r="ri", n="ni", study="authors")
    result = model.fit(prepared.yi, prepared.vi)
    first = plots.figure_to_svg(plots.forest_plot(result, labels=prepared.labels))
    second = plots.figure_to_svg(plots.forest_plot(result, labels=prepared.labels))
    assert first == second
    assert "<dc:date>" not in first
    png = plots.figure_to_png(plots.funnel_plot(result), dpi=72)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_hostile_and_dollar_labels_are_drawn_as_plain_text() -> None:
    frame, model = _molloy()
    prepared = prepare(frame, r="ri", n="ni", study="authors")
    result = model.fit(prepared.yi, prepared.vi)
    labels = ["<script>alert(1)</script>", "Cost $5 and $x^2$", *prepared.labels[2:]]
    svg = plots.figure_to_svg(plots.forest_plot(result, labels=labels))
    etree.fromstring(svg.encode())  # still well-formed XML
    assert "<script" not in svg


def test_id_prefix_renames_every_id_and_every_reference() -> None:
    frame, model = _molloy()
    prepared = prepare(frame, r="ri", n="ni", study="authors")
    result = model.fit(prepared.yi, prepared.vi)
    svg = plots.figure_to_svg(plots.funnel_plot(result), id_prefix="f1-", standalone=False)
    assert svg.startswith("<svg")
    ids = set(_ids(svg))
    assert ids and all(i.startswith("f1-") for i in ids)
    refs = set(re.findall(r'href="#([^"]+)"', svg)) | set(re.findall(r"url\(#([^)]+)\)", svg))
    assert refs and refs <= ids


def test_forest_plot_checks_label_counts() -> None:
    frame, model = _molloy()
    prepared = prepare(frame, r="ri", n="ni", study="authors")
    result = model.fit(prepared.yi, prepared.vi)
    with pytest.raises(MetaAnalysisError, match="labels"):
        plots.forest_plot(result, labels=prepared.labels[:3])
