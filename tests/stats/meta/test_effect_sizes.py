"""Effect sizes against metafor's escalc (reference/escalc_reference.json) and input checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import gamma

from yim.stats.meta.effect_sizes import (
    EffectSizes,
    correlation,
    escalc,
    fisher_z,
    hedges_correction,
    log_odds_ratio,
    log_risk_ratio,
    mean_difference,
    risk_difference,
    standardized_mean_difference,
)
from yim.stats.meta.errors import EffectSizeError

from ._reference import REFERENCE, close, escalc_reference

MOLLOY = pd.read_csv(REFERENCE / "molloy2014.csv")
BCG = pd.read_csv(REFERENCE / "bcg.csv")
NORMAND = pd.read_csv(REFERENCE / "normand1999.csv")


def _check(es: EffectSizes, measure: str) -> None:
    ref = escalc_reference()[measure]
    assert es.measure == measure
    close(es.yi, ref["yi"])
    close(es.vi, ref["vi"])


def test_fisher_z_matches_escalc_zcor_on_molloy2014() -> None:
    _check(fisher_z(MOLLOY["ri"], MOLLOY["ni"]), "ZCOR")


def test_raw_correlation_matches_escalc_cor_on_molloy2014() -> None:
    _check(correlation(MOLLOY["ri"], MOLLOY["ni"]), "COR")


def test_hedges_g_matches_escalc_smd_on_normand1999() -> None:
    d = NORMAND
    es = standardized_mean_difference(d.m1i, d.sd1i, d.n1i, d.m2i, d.sd2i, d.n2i)
    _check(es, "SMD")


def test_mean_difference_matches_escalc_md_on_normand1999() -> None:
    d = NORMAND
    _check(mean_difference(d.m1i, d.sd1i, d.n1i, d.m2i, d.sd2i, d.n2i), "MD")


@pytest.mark.parametrize(
    ("measure", "function"),
    [("RR", log_risk_ratio), ("OR", log_odds_ratio), ("RD", risk_difference)],
)
def test_two_by_two_measures_match_escalc_on_bcg(measure: str, function: object) -> None:
    assert callable(function)
    _check(function(BCG.tpos, BCG.tneg, BCG.cpos, BCG.cneg), measure)


@pytest.mark.parametrize("measure", ["RR", "OR", "RD"])
def test_continuity_correction_goes_only_to_tables_with_a_zero_cell(measure: str) -> None:
    ref = escalc_reference()["zero_cells"]
    es = escalc(measure, ai=ref["ai"], bi=ref["bi"], ci=ref["ci"], di=ref["di"])
    close(es.yi, ref[measure]["yi"])
    close(es.vi, ref[measure]["vi"])
    # row 3 has no zero cell: its value must equal the uncorrected formula
    plain = escalc(measure, ai=[12], bi=[30], ci=[10], di=[32], to="none")
    close(es.yi[2], plain.yi[0])


def test_hedges_correction_is_the_exact_gamma_ratio() -> None:
    m = np.array([2.0, 5.0, 18.0, 60.0])
    exact = gamma(m / 2) / (np.sqrt(m / 2) * gamma((m - 1) / 2))
    np.testing.assert_allclose(hedges_correction(m), exact, rtol=1e-13)
    # and it differs from the common approximation 1 - 3/(4m - 1) at small m
    assert abs(hedges_correction(np.array([2.0]))[0] - (1 - 3 / 7)) > 1e-3


def test_escalc_reads_named_columns_from_a_frame() -> None:
    es = escalc("ZCOR", MOLLOY, ri="ri", ni="ni")
    _check(es, "ZCOR")
    frame = es.to_frame()
    assert list(frame.columns) == ["yi", "vi"]
    assert frame.attrs["measure"] == "ZCOR"


def test_effect_sizes_are_read_only() -> None:
    es = fisher_z([0.3, 0.1], [50, 60])
    with pytest.raises(ValueError, match="read-only"):
        es.yi[0] = 1.0
    np.testing.assert_allclose(es.sei, np.sqrt(es.vi))
    assert len(es) == 2


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: fisher_z([0.2, 0.3, 0.1], [50, 3, 40]), r"ZCOR ni: row 2 is 3; .*n > 3"),
        (lambda: fisher_z([0.2, 1.0], [50, 40]), r"ZCOR ri: row 2 is 1; .*between -1 and 1"),
        (lambda: correlation([-1.2], [50]), r"COR ri: row 1 is -1.2"),
        (lambda: fisher_z([0.2, np.nan], [50, 40]), r"ZCOR ri: row 2 is nan; .*finite"),
        (lambda: fisher_z([0.2, 0.1], [50, np.inf]), r"ZCOR ni: row 2 is inf"),
        (
            lambda: log_odds_ratio([1, 2], [3, -1], [4, 5], [6, 7]),
            r"OR bi: row 2 is -1; .*negative",
        ),
        (lambda: log_risk_ratio([0], [0], [1], [2], to="none"), r"RR ai: row 1 .*no participants"),
        (lambda: risk_difference([1], [2], [3], [4], to="sometimes"), r"to='sometimes'"),
        (lambda: fisher_z([0.1, 0.2], [20, 30, 40]), r"differ in length"),
        (
            lambda: standardized_mean_difference([1], [-1], [10], [2], [1], [10]),
            r"SMD sd1i: row 1 is -1; .*negative",
        ),
        (lambda: escalc("XYZ", ri=[0.1], ni=[10]), r"measure='XYZ' is not supported"),
        (lambda: escalc("ZCOR", ri=[0.1]), r"missing: ni"),
        (lambda: escalc("ZCOR", MOLLOY, ri="r", ni="ni"), r"column 'r' is not in the data"),
    ],
)
def test_bad_input_is_rejected_naming_the_row_and_argument(call: object, message: str) -> None:
    assert callable(call)
    with pytest.raises(EffectSizeError, match=message):
        call()


def test_log_rr_without_correction_on_a_zero_cell_is_an_error_naming_the_row() -> None:
    with pytest.raises(EffectSizeError, match="RR: row 2 gives a non-finite"):
        log_risk_ratio([3, 0], [10, 12], [4, 5], [9, 8], to="none")
