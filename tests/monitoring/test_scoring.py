"""Scoring rules, checked for every instrument shape hypothesis can think of."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from yim.monitoring.scoring import (
    AnswerError,
    Cutoff,
    Instrument,
    Item,
    ResponseScale,
    Subscale,
    Text,
    check_answer,
    missing_required,
    score,
    score_range,
)

T = Text("x", "x")


@st.composite
def scales(draw):
    low = draw(st.integers(-3, 3))
    high = draw(st.integers(low + 1, low + 10))
    return ResponseScale("s", low, high, tuple((p, T) for p in range(low, high + 1)))


@st.composite
def instruments(draw):
    scale = draw(scales())
    n = draw(st.integers(1, 8))
    reverse = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    items = tuple(
        Item(code=f"q{i}", kind="scale", text=T, scale=scale, reverse=reverse[i]) for i in range(n)
    )
    min_answered = draw(st.integers(1, n))
    rule = draw(st.sampled_from(["mean", "sum"]))
    subscale = Subscale("total", T, tuple(i.code for i in items), rule, min_answered)
    return Instrument("test", 1, T, T, ("youth",), "wave", items, (subscale,))


@st.composite
def filled(draw, answered=None):
    instrument = draw(instruments())
    scale = instrument.items[0].scale
    values = {
        item.code: draw(st.integers(scale.minimum, scale.maximum)) for item in instrument.items
    }
    return instrument, values


@given(filled())
def test_a_reverse_item_counts_as_minimum_plus_maximum_minus_the_answer(case):
    instrument, answers = case
    subscale = instrument.subscales[0]
    scale = instrument.items[0].scale
    expected = [
        (scale.minimum + scale.maximum - answers[i.code]) if i.reverse else answers[i.code]
        for i in instrument.items
    ]
    result = score(instrument, answers)["total"]
    if subscale.rule == "sum":
        assert result.value == pytest.approx(sum(expected))
    else:
        assert result.value == pytest.approx(sum(expected) / len(expected))
    assert result.answered == len(instrument.items)


@given(filled())
def test_turning_every_answer_around_mirrors_the_score_within_its_range(case):
    instrument, answers = case
    scale = instrument.items[0].scale
    mirrored = {k: scale.minimum + scale.maximum - v for k, v in answers.items()}
    subscale = instrument.subscales[0]
    low, high = score_range(instrument, subscale)
    a = score(instrument, answers)["total"].value
    b = score(instrument, mirrored)["total"].value
    assert a + b == pytest.approx(low + high)
    assert low - 1e-9 <= a <= high + 1e-9


@given(filled(), st.data())
def test_a_subscale_is_missing_below_its_minimum_of_answered_items(case, data):
    instrument, answers = case
    subscale = instrument.subscales[0]
    keep = data.draw(st.sets(st.sampled_from(sorted(answers)), max_size=len(answers)))
    partial = {k: (v if k in keep else None) for k, v in answers.items()}
    result = score(instrument, partial)["total"]
    assert result.answered == len(keep)
    if len(keep) < subscale.min_answered:
        assert result.value is None and result.is_missing
    else:
        assert result.value is not None


@given(filled(), st.data())
def test_a_sum_with_missing_items_is_the_mean_of_the_answered_ones_times_the_items(case, data):
    instrument, answers = case
    subscale = instrument.subscales[0]
    assume(subscale.rule == "sum")
    keep = data.draw(st.sets(st.sampled_from(sorted(answers)), min_size=subscale.min_answered))
    partial = {k: answers[k] for k in keep}
    scored = [instrument.item(k).scored_value(answers[k]) for k in keep]
    result = score(instrument, partial)["total"].value
    assert result == pytest.approx(sum(scored) / len(scored) * len(instrument.items))
    if len(keep) == len(instrument.items):
        assert result == pytest.approx(sum(scored))
        assert float(result).is_integer()


@given(filled())
def test_subscale_sums_add_up_to_the_sum_over_all_items(case):
    """Split the items over two sum subscales: their sums add up to the whole."""
    instrument, answers = case
    assume(len(instrument.items) >= 2)
    codes = [i.code for i in instrument.items]
    half = len(codes) // 2
    parts = (
        Subscale("a", T, tuple(codes[:half]), "sum", 1),
        Subscale("b", T, tuple(codes[half:]), "sum", 1),
        Subscale("all", T, tuple(codes), "sum", 1),
    )
    split = Instrument("t", 1, T, T, ("youth",), "wave", instrument.items, parts)
    result = score(split, answers)
    assert result["a"].value + result["b"].value == pytest.approx(result["all"].value)


@given(scales(), st.integers(-50, 50))
def test_an_answer_outside_the_scale_is_refused_and_one_inside_is_kept(scale, value):
    item = Item("q", "scale", T, scale)
    if scale.minimum <= value <= scale.maximum:
        assert check_answer(item, value) == value
    else:
        with pytest.raises(AnswerError, match="outside the scale"):
            check_answer(item, value)


def test_true_and_text_are_not_numbers_on_a_scale():
    item = Item("q", "scale", T, ResponseScale("s", 0, 3, tuple((p, T) for p in range(4))))
    for bad in (True, "2", 2.0):
        with pytest.raises(AnswerError):
            check_answer(item, bad)


def test_scoring_refuses_an_answer_out_of_range_or_to_an_unknown_item():
    scale = ResponseScale("s", 1, 5, tuple((p, T) for p in range(1, 6)))
    inst = Instrument(
        "t", 1, T, T, ("youth",), "wave", (Item("q", "scale", T, scale),),
        (Subscale("s", T, ("q",)),),
    )  # fmt: skip
    with pytest.raises(AnswerError, match="outside"):
        score(inst, {"q": 6})
    with pytest.raises(AnswerError, match="no such item"):
        score(inst, {"nope": 1})


def test_cut_off_bands_take_the_highest_reached():
    sub = Subscale(
        "s", T, ("q",), cutoffs=(Cutoff(1, Text("v", "elevated")), Cutoff(2, Text("h", "high")))
    )
    assert sub.band(0.5) is None
    assert sub.band(1.0).label.en == "elevated"
    assert sub.band(2.5).label.en == "high"
    assert sub.band(None) is None


def test_blank_text_does_not_count_as_an_answer_to_a_required_item():
    inst = Instrument(
        "t", 1, T, T, ("youth",), "wave",
        (Item("a", "text", T, required=True), Item("b", "text", T)),
    )  # fmt: skip
    assert missing_required(inst, {"a": "  "}) == ["a"]
    assert missing_required(inst, {"a": "yes"}) == []
    assert not math.isnan(len(inst.pages()))
