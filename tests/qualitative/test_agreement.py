"""Agreement: % agreement, Cohen's κ and Krippendorff's α against published values.

The ``krippendorff`` PyPI package (0.9) is used as an independent test-only oracle where it is
installed; those tests are skipped without it.
"""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yim.qualitative.agreement import (
    AgreementError,
    CodedSpan,
    Unit,
    agreement_report,
    assign_codes_to_units,
    cohens_kappa,
    krippendorff_alpha,
    percent_agreement,
)

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", p. 3: 4 observers x 12
# units with missing values. Published: nominal .743, ordinal .815, interval .849, ratio .797.
_ = None
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
    [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
]


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_alpha_matches_krippendorffs_published_example(level, published):
    # The paper prints three decimals, so the tolerance is half a unit in the third decimal.
    assert krippendorff_alpha(KRIPPENDORFF_2011, level) == pytest.approx(published, abs=5e-4)


def test_nominal_alpha_matches_the_hand_computation_from_the_coincidence_matrix():
    # Worked by hand from the data above. Pairable units: 1-11 (unit 12 has one value), n = 40.
    # Marginals n_1..n_5 = 9, 13, 10, 5, 3. Only units 2 (2,2,3,2), 6 (1,2,3,4) and
    # 8 (1,1,2,1) hold disagreeing pairs; their off-diagonal coincidences are 6/3, 12/3 and 6/3
    # ordered pairs / (m_u - 1), i.e. 2 + 4 + 2 = 8.
    n_c = [9, 13, 10, 5, 3]
    n = sum(n_c)
    off_diagonal = 8.0
    expected_pairs = n**2 - sum(x * x for x in n_c)  # sum over c != k of n_c n_k = 1216
    expected = 1 - (n - 1) * off_diagonal / expected_pairs  # = 1 - 312/1216
    assert expected == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha(KRIPPENDORFF_2011) == pytest.approx(expected, rel=1e-12)


def test_alpha_agrees_with_the_krippendorff_package_on_the_published_example():
    krippendorff = pytest.importorskip("krippendorff")
    np = pytest.importorskip("numpy")
    data = np.array([[math.nan if v is None else v for v in row] for row in KRIPPENDORFF_2011])
    for level in ("nominal", "ordinal", "interval", "ratio"):
        oracle = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
        assert krippendorff_alpha(KRIPPENDORFF_2011, level) == pytest.approx(oracle, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 4).flatmap(
        lambda coders: st.lists(
            st.lists(st.one_of(st.none(), st.integers(1, 4)), min_size=coders, max_size=coders),
            min_size=2,
            max_size=15,
        )
    )
)
def test_alpha_agrees_with_the_krippendorff_package_on_random_data(units):
    krippendorff = pytest.importorskip("krippendorff")
    np = pytest.importorskip("numpy")
    data = [list(col) for col in zip(*units, strict=True)]  # coders x units
    ours = krippendorff_alpha(data, "nominal")
    pairable = [u for u in units if sum(v is not None for v in u) >= 2]
    values = {v for u in pairable for v in u if v is not None}
    if len(values) < 2:
        assert ours is None
        return
    array = np.array([[np.nan if v is None else v for v in row] for row in data], dtype=float)
    oracle = krippendorff.alpha(reliability_data=array, level_of_measurement="nominal")
    assert ours == pytest.approx(oracle, rel=1e-9, abs=1e-12)


def test_cohens_kappa_matches_the_textbook_two_by_two_example():
    # Both yes 20, A-only 5, B-only 10, both no 15 (N = 50): Po = .70, Pe = .5*.6 + .5*.4 = .50.
    a = ["yes"] * 20 + ["yes"] * 5 + ["no"] * 10 + ["no"] * 15
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohens_kappa(a, b) == pytest.approx(0.40, abs=1e-12)
    assert percent_agreement(list(zip(a, b, strict=True))) == pytest.approx(0.70)


def test_cohens_kappa_uses_the_sum_of_products_not_the_qualcoder_product():
    # Same table. QualCoder's Pe = Pyes * Pno = (.5*.6) * (.5*.4) = .06 would give kappa = .68;
    # Cohen's Pe = Pyes + Pno = .30 + .20 = .50 gives .40.
    a = [1] * 25 + [0] * 25
    b = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    po, p1, p2 = 0.7, 0.5, 0.6
    wrong_pe = (p1 * p2) * ((1 - p1) * (1 - p2))
    assert cohens_kappa(a, b) != pytest.approx((po - wrong_pe) / (1 - wrong_pe))
    assert cohens_kappa(a, b) == pytest.approx((po - 0.5) / 0.5)


def test_cohens_kappa_is_undefined_when_both_coders_never_vary():
    assert cohens_kappa([0, 0, 0], [0, 0, 0]) is None


def test_cohens_kappa_rejects_unequal_lengths_and_missing_values():
    with pytest.raises(AgreementError, match="different number of units"):
        cohens_kappa([1, 2], [1])
    with pytest.raises(AgreementError, match="unit 1 has a missing value"):
        cohens_kappa([1, None], [1, 2])


def test_ordinal_alpha_rejects_non_numeric_values():
    with pytest.raises(AgreementError, match="numeric"):
        krippendorff_alpha([["a", "b"], ["a", "a"]], "ordinal")


def test_report_counts_uncoded_units_as_agreement_on_absence():
    units = [f"t{i}" for i in range(10)]
    coder1 = {u: set() for u in units} | {"t1": {"steun"}, "t2": {"steun", "vertrouwen"}}
    coder2 = {u: set() for u in units} | {"t1": {"steun"}, "t3": {"vertrouwen"}}
    report = agreement_report({"anna": coder1, "bram": coder2}, units=units)
    steun = next(c for c in report.per_code if c.code == "steun")
    # steun: 9 of 10 units agree; p1(yes) = .2, p2(yes) = .1 -> Pe = .02 + .72 = .74.
    assert steun.percent_agreement == pytest.approx(0.9)
    assert steun.cohens_kappa == pytest.approx((0.9 - 0.74) / (1 - 0.74))
    assert steun.n_units_coded == 2
    assert steun.unit == "speaker turn"
    vertrouwen = next(c for c in report.per_code if c.code == "vertrouwen")
    assert vertrouwen.percent_agreement == pytest.approx(0.8)
    # Pooled over 20 unit x code decisions: 17 agree.
    assert report.overall_percent_agreement == pytest.approx(17 / 20)
    # Identical code sets on 8 of 10 turns (t2 and t3 differ).
    assert report.exact_set_agreement == pytest.approx(0.8)
    assert "Cohen's kappa" in report.coefficients[1]
    assert "steun" in report.summary()
    frame = report.to_frame()
    assert list(frame["code"]) == ["steun", "vertrouwen", "(pooled)"]
    assert frame.loc[2, "percent_agreement"] == pytest.approx(17 / 20)


def test_report_alpha_per_code_matches_the_krippendorff_package():
    krippendorff = pytest.importorskip("krippendorff")
    np = pytest.importorskip("numpy")
    units = [f"t{i}" for i in range(6)]
    codings = {
        "a": {"t0": {"x"}, "t1": {"x"}, "t2": set(), "t3": set(), "t4": {"x"}, "t5": set()},
        "b": {"t0": {"x"}, "t1": set(), "t2": set(), "t3": None, "t4": {"x"}, "t5": set()},
        "c": {"t0": {"x"}, "t1": {"x"}, "t2": {"x"}, "t3": set(), "t4": {"x"}},
    }
    report = agreement_report(codings, units=units)
    data = np.array(
        [
            [1, 1, 0, 0, 1, 0],
            [1, 0, 0, np.nan, 1, 0],
            [1, 1, 1, 0, 1, np.nan],
        ]
    )
    oracle = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert report.per_code[0].krippendorff_alpha == pytest.approx(oracle, rel=1e-9)
    assert report.per_code[0].cohens_kappa is None  # three coders: no Cohen's kappa


def test_report_rejects_a_single_coder_and_unknown_units():
    with pytest.raises(AgreementError, match="at least two coders"):
        agreement_report({"a": {"t0": set()}}, units=["t0"])
    with pytest.raises(AgreementError, match="unknown units"):
        agreement_report({"a": {"t9": set()}, "b": {}}, units=["t0"])


def test_spans_are_assigned_to_every_turn_they_overlap_in_the_same_document():
    units = [Unit("d1:0", 0, 10, "d1"), Unit("d1:1", 10, 20, "d1"), Unit("d2:0", 0, 10, "d2")]
    spans = [
        CodedSpan("anna", "steun", 5, 12, "d1"),
        CodedSpan("bram", "steun", 10, 11, "d1"),
    ]
    assigned = assign_codes_to_units(units, spans, ["anna", "bram"])
    assert assigned["anna"] == {
        "d1:0": frozenset({"steun"}),
        "d1:1": frozenset({"steun"}),
        "d2:0": frozenset(),
    }
    assert assigned["bram"]["d1:0"] == frozenset()
    stricter = assign_codes_to_units(units, spans, ["anna", "bram"], min_overlap=3)
    assert stricter["anna"]["d1:0"] == frozenset({"steun"})
    assert stricter["bram"]["d1:1"] == frozenset()
    with pytest.raises(AgreementError, match="unknown coder"):
        assign_codes_to_units(units, [CodedSpan("x", "c", 0, 1, "d1")], ["anna"])
