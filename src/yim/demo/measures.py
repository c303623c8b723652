"""Answers to the shipped instruments, generated from a youth's state and scored as submitted.

The risk instrument (``risk_domains``) measures the latent risk level with noise; the other
questionnaires (relationship quality, resilience, satisfaction, meeting feedback) answer
around a *favour* between 0 (worst) and 1 (best). Scores come from the instrument's own
scoring rules (:func:`yim.monitoring.scoring.score`), exactly as a submission scores them.
"""

from __future__ import annotations

import random
from functools import cache

from yim.demo import mechanisms as mech
from yim.monitoring import instruments
from yim.monitoring.scoring import Instrument, score

RISK_INSTRUMENT = "risk_domains"
#: Optional items are answered this often.
OPTIONAL_ANSWERED = 0.85


@cache
def instrument(code: str) -> Instrument:
    return instruments.get(code)


def scores_of(code: str, answers: dict[str, int | str]) -> dict[str, float | None]:
    """Subscale scores as :class:`~yim.monitoring.models.Assessment` stores them."""
    return {
        name: (None if s.value is None else round(s.value, 4))
        for name, s in score(instrument(code), answers).items()
    }


def risk_score(answers: dict[str, int]) -> float:
    """The measured risk: the mean of the risk instrument's subscale scores (0–3)."""
    values = [v for v in scores_of(RISK_INSTRUMENT, dict(answers)).values() if v is not None]
    return sum(values) / len(values)


def risk_items() -> list[str]:
    return [i.code for i in instrument(RISK_INSTRUMENT).items if i.is_scored]


def measure_risk(
    rng: random.Random, level: float, offsets: tuple[float, ...]
) -> tuple[dict[str, int], float]:
    """The professional's ratings of every required item and most optional ones."""
    definition = instrument(RISK_INSTRUMENT)
    answers: dict[str, int] = {}
    scored = [i for i in definition.items if i.is_scored]
    for item, offset in zip(scored, offsets, strict=False):
        if item.required or rng.random() < OPTIONAL_ANSWERED:
            answers[item.code] = mech.measure_risk(rng, level, offset)
    return answers, risk_score(answers)


FEEDBACK_TEXTS = {
    "what_helped": [
        "Dat mijn JIM erbij was.",
        "We hebben duidelijke afspraken gemaakt.",
        "Ik kon het zelf zeggen.",
    ],
    "what_should_change": ["Kortere besprekingen.", "Minder over mij praten, meer met mij."],
}


def answers_for(rng: random.Random, code: str, favour: float) -> dict[str, int | str]:
    """Answers of a respondent to a questionnaire, around ``favour`` (0 worst – 1 best);
    reverse-scored items are answered the other way round. Free text now and then."""
    answers: dict[str, int | str] = {}
    for item in instrument(code).items:
        if not item.is_scored:
            texts = FEEDBACK_TEXTS.get(item.code)
            if texts and rng.random() < 0.2:
                answers[item.code] = rng.choice(texts)
            continue
        if not item.required and rng.random() >= OPTIONAL_ANSWERED:
            continue
        assert item.scale is not None
        lean = 1.0 - favour if item.reverse else favour
        answers[item.code] = mech.answer_on_scale(rng, item.scale.minimum, item.scale.maximum, lean)
    return answers
