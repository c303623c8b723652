"""Agreement for transcripts without speaker turns (issue 14, item 4): on characters (every
character a unit, coded or not per code and coder) or on coded segments, with the unit named.

Runs of characters that every coder coded alike are one weighted unit; the tests prove that
this equals the report over single characters, and check Krippendorff's α against the
``krippendorff`` package and Cohen's κ against a computation by hand.
"""

from __future__ import annotations

from itertools import pairwise

import pytest

from yim.qualitative import models as m
from yim.qualitative.agreement import (
    AgreementError,
    CodedSpan,
    Unit,
    agreement_report,
    assign_codes_to_units,
    character_units,
    cohens_kappa,
    krippendorff_alpha,
    percent_agreement,
    segment_units,
)

LENGTH = 20
SPANS = [
    CodedSpan("anna", "X", 0, 10, "d"),
    CodedSpan("anna", "Y", 5, 15, "d"),
    CodedSpan("bram", "X", 2, 10, "d"),
    CodedSpan("bram", "Y", 12, 20, "d"),
]


def weighted_report():
    units, weights = character_units("d", LENGTH, SPANS)
    assigned = assign_codes_to_units(units, SPANS, ["anna", "bram"])
    return agreement_report(
        assigned, units=[u.id for u in units], unit_name="character", weights=weights
    )


def per_character_report():
    units = [Unit(f"d:{i}", i, i + 1, "d") for i in range(LENGTH)]
    assigned = assign_codes_to_units(units, SPANS, ["anna", "bram"])
    return agreement_report(assigned, units=[u.id for u in units], unit_name="character")


def test_the_text_is_cut_at_every_coding_boundary_into_weighted_runs():
    units, weights = character_units("d", LENGTH, SPANS)
    assert [(u.start, u.end) for u in units] == [
        (0, 2),
        (2, 5),
        (5, 10),
        (10, 12),
        (12, 15),
        (15, 20),
    ]
    assert sum(weights.values()) == LENGTH


def test_weighted_runs_give_the_same_report_as_single_characters():
    weighted, single = weighted_report(), per_character_report()
    assert weighted.n_units == single.n_units == LENGTH
    for a, b in zip(weighted.per_code, single.per_code, strict=True):
        assert a.code == b.code
        assert a.n_units == b.n_units
        assert a.n_units_coded == b.n_units_coded
        assert a.percent_agreement == pytest.approx(b.percent_agreement, rel=1e-12)
        assert a.cohens_kappa == pytest.approx(b.cohens_kappa, rel=1e-12)
        assert a.krippendorff_alpha == pytest.approx(b.krippendorff_alpha, rel=1e-12)
    assert weighted.overall_cohens_kappa == pytest.approx(single.overall_cohens_kappa, rel=1e-12)
    assert weighted.overall_krippendorff_alpha == pytest.approx(
        single.overall_krippendorff_alpha, rel=1e-12
    )
    assert weighted.exact_set_agreement == pytest.approx(single.exact_set_agreement, rel=1e-12)


def characters(coder: str, code: str) -> list[int]:
    return [
        int(any(s.coder == coder and s.code == code and s.start <= i < s.end for s in SPANS))
        for i in range(LENGTH)
    ]


def test_alpha_on_characters_agrees_with_the_krippendorff_package():
    krippendorff = pytest.importorskip("krippendorff")
    report = weighted_report()
    for result in report.per_code:
        data = [characters("anna", result.code), characters("bram", result.code)]
        oracle = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        assert result.krippendorff_alpha == pytest.approx(oracle, rel=1e-12)
    pooled = [characters("anna", "X") + characters("anna", "Y")]
    pooled.append(characters("bram", "X") + characters("bram", "Y"))
    oracle = krippendorff.alpha(reliability_data=pooled, level_of_measurement="nominal")
    assert report.overall_krippendorff_alpha == pytest.approx(oracle, rel=1e-12)


def test_kappa_on_characters_by_hand():
    # Code X: anna codes 0–9, bram 2–9: agree on 18 of 20 characters.
    # p(anna yes) = 10/20, p(bram yes) = 8/20: Pe = 0.5·0.4 + 0.5·0.6 = 0.5.
    x = next(c for c in weighted_report().per_code if c.code == "X")
    assert x.percent_agreement == pytest.approx(18 / 20)
    assert x.cohens_kappa == pytest.approx((0.9 - 0.5) / (1 - 0.5))
    assert x.n_units_coded == 10


def test_weights_must_fit_the_units():
    with pytest.raises(AgreementError):
        percent_agreement([[1, 1]], weights=[1, 2])
    with pytest.raises(AgreementError):
        cohens_kappa([1, 0], [1, 1], weights=[1, 0])
    with pytest.raises(AgreementError):
        krippendorff_alpha([[1, 0]], weights=[2])


def test_unit_weights_of_one_change_nothing():
    data = [[1, 0, 1, None], [1, 1, 1, 0]]
    assert krippendorff_alpha(data, weights=[1, 1, 1, 1]) == krippendorff_alpha(data)
    assert cohens_kappa([1, 0, 1], [1, 1, 1], [1, 1, 1]) == cohens_kappa([1, 0, 1], [1, 1, 1])


def test_segments_as_units_are_the_distinct_segments_of_every_coder():
    units = segment_units([*SPANS, CodedSpan("bram", "Y", 0, 10, "d")])
    assert [(u.start, u.end) for u in units] == [(0, 10), (2, 10), (5, 15), (12, 20)]
    assigned = assign_codes_to_units(units, SPANS, ["anna", "bram"])
    report = agreement_report(assigned, units=[u.id for u in units], unit_name="coded segment")
    assert report.unit == "coded segment"
    assert report.n_units == 4


# ---------------------------------------------------------------------------------------------
# The page


@pytest.fixture
def without_turns(world, second_researcher, project):
    m.Membership.objects.create(project=project, user=second_researcher)
    document = m.Document.objects.create(
        project=project, name="Veldnotities", text="abcdefghijklmnopqrst"
    )
    assert not document.turns.exists()
    x = m.Code.objects.create(project=project, name="X")
    y = m.Code.objects.create(project=project, name="Y")
    anna = project.coder_for(world.researcher)
    bram = project.coder_for(second_researcher)
    for coder, code, start, end in [
        (anna, x, 0, 10),
        (anna, y, 5, 15),
        (bram, x, 2, 10),
        (bram, y, 12, 20),
    ]:
        segment = m.Segment.objects.create(document=document, coder=coder, start=start, end=end)
        m.Coding.objects.create(document=document, segment=segment, code=code, coder=coder)
    return document, anna, bram


@pytest.mark.django_db
def test_a_transcript_without_turns_is_compared_on_characters_and_the_page_says_so(
    client_for, project, without_turns
):
    response = client_for("researcher").get(
        f"/qualitative/{project.pk}/agreement/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.context["unit"] == "character"
    report = response.context["report"]
    expected = weighted_report()
    assert report.n_units == 20
    assert [c.cohens_kappa for c in report.per_code] == [
        pytest.approx(c.cohens_kappa, rel=1e-12) for c in expected.per_code
    ]
    assert [c.krippendorff_alpha for c in report.per_code] == [
        pytest.approx(c.krippendorff_alpha, rel=1e-12) for c in expected.per_code
    ]
    assert "Unit: character (20 characters" in response.content.decode()


@pytest.mark.django_db
def test_the_same_transcript_on_segments(client_for, project, without_turns):
    response = client_for("researcher").get(
        f"/qualitative/{project.pk}/agreement/?unit=segment", HTTP_ACCEPT_LANGUAGE="en"
    )
    report = response.context["report"]
    assert report.unit == "coded segment"
    assert report.n_units == 4
    x = report.per_code[0]
    # Both coders' X (0–10, 2–10) overlap the segments 0–10, 2–10 and 5–15 and neither
    # reaches 12–20: they agree on X in all four segments.
    assert x.percent_agreement == 1.0
    assert "Unit: coded segment (4 segments" in response.content.decode()


@pytest.mark.django_db
def test_a_coder_who_did_not_code_a_transcript_is_missing_on_characters(
    client_for, project, without_turns
):
    _document, anna, _bram = without_turns
    other = m.Document.objects.create(project=project, name="Tweede", text="0123456789")
    segment = m.Segment.objects.create(document=other, coder=anna, start=0, end=4)
    m.Coding.objects.create(
        document=other, segment=segment, code=m.Code.objects.get(name="X"), coder=anna
    )
    report = (
        client_for("researcher")
        .get(f"/qualitative/{project.pk}/agreement/?unit=character")
        .context["report"]
    )
    assert report.n_units == 30
    x = report.per_code[0]
    assert x.percent_agreement == pytest.approx(18 / 20)  # the second text: bram missing


@pytest.mark.django_db
def test_transcripts_with_turns_still_default_to_turns(client_for, project, document):
    response = client_for("researcher").get(f"/qualitative/{project.pk}/agreement/")
    assert response.context["unit"] == "turn"


@pytest.mark.parametrize("seed", range(20))
def test_assigning_codes_to_units_equals_checking_every_pair(seed):
    import random

    rnd = random.Random(seed)

    def span(i):
        start = rnd.randrange(0, 50)
        return start, start + rnd.randrange(0, 15)

    if seed % 2:  # disjoint units (characters, turns)
        cuts = sorted({0, 60, *(rnd.randrange(0, 60) for _ in range(8))})
        units = [Unit(f"u{a}", a, b, "d") for a, b in pairwise(cuts)]
    else:  # overlapping units (segments)
        units = [Unit(f"u{i}", *span(i), "d") for i in range(10)]
    spans = [CodedSpan(rnd.choice("ab"), rnd.choice("XYZ"), *span(i), "d") for i in range(15)]
    for min_overlap in (1, 3):
        expected = {
            c: {
                u.id: frozenset(
                    s.code
                    for s in spans
                    if s.coder == c and min(u.end, s.end) - max(u.start, s.start) >= min_overlap
                )
                for u in units
            }
            for c in "ab"
        }
        assert assign_codes_to_units(units, spans, ["a", "b"], min_overlap=min_overlap) == expected
