"""The moderator formula interface against R's model.matrix (columns stored with each fit)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from yim.stats.meta.design import design_matrix
from yim.stats.meta.errors import DesignError

from ._reference import REFERENCE, as_list, twolevel_reference

BCG = pd.read_csv(REFERENCE / "bcg.csv")


def _r_design(mods: str) -> dict[str, Any]:
    return next(f for f in twolevel_reference()["fits"] if f["data"] == "bcg" and f["mods"] == mods)


@pytest.mark.parametrize("mods", ["ablat", "factor(alloc)", "ablat + year", "factor(alloc) - 1"])
def test_design_matrix_equals_r_model_matrix_on_bcg(mods: str) -> None:
    ref = _r_design(mods)
    X, names = design_matrix(BCG, mods)
    assert names == as_list(ref["coef_names"])
    np.testing.assert_array_equal(X, np.array([as_list(r) for r in ref["X"]]))


def test_no_mods_gives_the_intercept_only_design() -> None:
    X, names = design_matrix(BCG, None)
    assert names == ["intrcpt"]
    np.testing.assert_array_equal(X, np.ones((len(BCG), 1)))


@pytest.mark.parametrize("mods", ["0 + factor(alloc)", "factor(alloc) - 1", "-1 + factor(alloc)"])
def test_every_way_to_drop_the_intercept_gives_one_column_per_level(mods: str) -> None:
    _, names = design_matrix(BCG, mods)
    assert names == [f"factor(alloc){lv}" for lv in ("alternate", "random", "systematic")]


def test_intercept_false_drops_the_intercept_too() -> None:
    _, names = design_matrix(BCG, "ablat", intercept=False)
    assert names == ["ablat"]


def test_text_columns_are_factors_named_like_r_without_factor_call() -> None:
    X, names = design_matrix(BCG, "alloc + C(alloc):ablat")
    assert names[:3] == ["intrcpt", "allocrandom", "allocsystematic"]
    np.testing.assert_array_equal(X[:, 1], (BCG["alloc"] == "random").to_numpy(dtype=float))


def test_interaction_codes_a_factor_with_contrasts_when_its_main_effect_is_present() -> None:
    X, names = design_matrix(BCG, "factor(alloc)*ablat")
    assert names == [
        "intrcpt",
        "factor(alloc)random",
        "factor(alloc)systematic",
        "ablat",
        "factor(alloc)random:ablat",
        "factor(alloc)systematic:ablat",
    ]
    np.testing.assert_array_equal(X[:, 4], X[:, 1] * BCG["ablat"].to_numpy())


def test_numeric_interaction_is_the_product_of_columns() -> None:
    X, names = design_matrix(BCG, "ablat:year")
    assert names == ["intrcpt", "ablat:year"]
    np.testing.assert_array_equal(X[:, 1], (BCG["ablat"] * BCG["year"]).to_numpy(dtype=float))


def test_categorical_columns_keep_their_own_level_order() -> None:
    df = pd.DataFrame({"dom": pd.Categorical(["b", "a", "c", "a"], categories=["c", "b", "a"])})
    _, names = design_matrix(df, "dom")
    assert names == ["intrcpt", "domb", "doma"]


def test_numeric_factor_levels_sort_numerically() -> None:
    df = pd.DataFrame({"wave": [10, 2, 1, 2]})
    _, names = design_matrix(df, "factor(wave)")
    assert names == ["intrcpt", "factor(wave)2", "factor(wave)10"]


def test_boolean_columns_are_factors_with_r_style_labels() -> None:
    df = pd.DataFrame({"risk": [True, False, True]})
    _, names = design_matrix(df, "risk")
    assert names == ["intrcpt", "riskTRUE"]


@pytest.mark.parametrize(
    ("frame", "mods", "message"),
    [
        (BCG, "ablat + latitude", r"no column 'latitude'"),
        (BCG.assign(one="x"), "one", r"'one' has only one level \(x\)"),
        (
            BCG.assign(ablat=BCG["ablat"].where(BCG.index != 4)),
            "ablat",
            r"missing a value in row 5",
        ),
        (BCG, "log(ablat)", r"cannot read moderator term 'log\(ablat\)'"),
        (BCG, "ablat - year", r"removing the term 'year'"),
        (BCG, "factor(alloc", r"unbalanced"),
        (BCG.assign(lat2=BCG["ablat"] * 2), "ablat + lat2", r"column 'lat2' is a linear"),
        (BCG, "0", r"no columns"),
    ],
)
def test_design_errors_name_the_column_term_or_row(
    frame: pd.DataFrame, mods: str, message: str
) -> None:
    with pytest.raises(DesignError, match=message):
        design_matrix(frame, mods)
