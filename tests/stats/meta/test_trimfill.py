"""Trim-and-fill with the Q0 estimator against metafor 3.8-1's trimfill(estimator = "Q0")
(reference JSON from reference/make_reference_bias_extra.R). L0 and R0 are checked in
test_bias.py."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

from yim.stats.meta import trim_and_fill
from yim.stats.meta.errors import MetaAnalysisError
from yim.stats.meta.trimfill import k0_estimate
from yim.stats.meta.twolevel import RandomEffectsModel

from ._reference import ATOL, REFERENCE, RTOL, dataset


@cache
def reference() -> dict[str, Any]:
    with (REFERENCE / "bias_extra_reference.json").open() as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def data(name: str) -> pd.DataFrame:
    if name == "hackshaw1998":
        with (REFERENCE / "bias_reference.json").open() as fh:
            return pd.DataFrame(json.load(fh)["hackshaw1998"])
    if name == "molloy2014_neg":
        d = dataset("molloy2014")
        return pd.DataFrame({"yi": -d.yi, "vi": d.vi})
    return dataset(name)


def close(actual: Any, expected: Any) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=RTOL, atol=ATOL
    )


Q0 = reference()["trimfill_q0"]


@pytest.mark.parametrize("case", Q0, ids=[c["id"] for c in Q0])
def test_trim_and_fill_q0_matches_metafor_trimfill(case: dict[str, Any]) -> None:
    d = data(case["data"])
    res = RandomEffectsModel(case["method"], case["test_in"]).fit(d.yi, d.vi)
    out = trim_and_fill(res, estimator="Q0", side=case["side_in"])
    assert out.estimator == "Q0" and out.p_k0 is None
    assert out.k0 == case["k0"]
    assert out.side == case["side"]
    close(out.se_k0, case["se_k0"])
    close(out.yi, case["yi"])
    close(out.vi, case["vi"])
    assert out.filled.tolist() == case["fill"]
    coef = out.estimate
    close([coef.estimate, coef.se], [case["beta"], case["se"]])
    close([coef.statistic, coef.pval], [case["zval"], case["pval"]])
    close([coef.ci_lb, coef.ci_ub], [case["ci_lb"], case["ci_ub"]])
    close(out.result.tau2, case["tau2"])


def test_q0_and_l0_find_no_missing_study_in_a_balanced_funnel() -> None:
    # alternating signed ranks (a balanced funnel): both estimates round to 0 missing studies
    signed = np.array([1.0, -2.0, 3.0, -4.0, 5.0, -6.0, 7.0, -8.0])
    for est in ("L0", "Q0"):
        k0, se = k0_estimate(est, signed)
        assert round(k0) <= 0 and se > 0


def test_q0_is_undefined_when_almost_every_effect_lies_on_one_side() -> None:
    signed = np.arange(1.0, 11.0)  # all ranks positive: 2k^2 - 4 S_r + 1/4 < 0
    with pytest.raises(MetaAnalysisError, match="Q0"):
        k0_estimate("Q0", signed)
