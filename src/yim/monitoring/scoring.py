"""Instrument definitions and their scoring, as plain data: no Django, no database.

An :class:`Instrument` is what an instrument file (YAML, see :mod:`yim.monitoring.instruments`)
describes: items on response scales, some reverse-scored, grouped into subscales that are
scored by a rule (mean or sum) once enough of their items are answered, with optional
cut-offs. Everything here is a frozen dataclass or a pure function, so the scoring rules can
be tested exhaustively with property-based tests and reused outside the web application.

Scoring rules, stated once:

* a reverse-scored item counts as ``minimum + maximum - answer`` on its scale;
* a subscale is scored only when at least ``min_answered`` of its items are answered;
  otherwise its score is ``None`` (missing), never zero;
* ``mean``: the mean of the answered items (after reversal);
* ``sum``: the sum of the items; when some items are missing (but at least ``min_answered``
  are answered) the missing items are replaced by the respondent's mean on the answered ones
  (person-mean imputation), i.e. ``mean × number of items``. With every item answered this is
  the plain sum.
* a cut-off band is the one with the highest ``at_least`` that the score reaches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

LANGUAGES: tuple[str, ...] = ("nl", "en")
RESPONDENTS: tuple[str, ...] = ("youth", "jim", "parent", "professional")
USES: tuple[str, ...] = ("wave", "meeting")
RULES: tuple[str, ...] = ("mean", "sum")
SCALE_ITEM, TEXT_ITEM = "scale", "text"
ITEM_KINDS: tuple[str, ...] = (SCALE_ITEM, TEXT_ITEM)
#: Free-text answers longer than this are refused (a questionnaire is not a document store).
TEXT_ANSWER_MAX = 2000

Answer = int | str | None


@dataclass(frozen=True)
class Text:
    """A wording in every supported language (Dutch first, English second)."""

    nl: str
    en: str

    def get(self, language: str | None) -> str:
        return self.en if (language or "").startswith("en") else self.nl


@dataclass(frozen=True)
class ResponseScale:
    """Whole-number answers from ``minimum`` to ``maximum``, every point labelled."""

    code: str
    minimum: int
    maximum: int
    labels: tuple[tuple[int, Text], ...]

    @property
    def points(self) -> range:
        return range(self.minimum, self.maximum + 1)

    def contains(self, value: object) -> bool:
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and self.minimum <= value <= self.maximum
        )

    def reverse(self, value: int) -> int:
        return self.minimum + self.maximum - value

    def label(self, value: int) -> Text | None:
        return dict(self.labels).get(value)


@dataclass(frozen=True)
class Item:
    code: str
    kind: str
    text: Text
    scale: ResponseScale | None = None
    reverse: bool = False
    required: bool = False
    #: Wording for a particular respondent (e.g. the JIM's version of a youth's question).
    respondent_text: tuple[tuple[str, Text], ...] = ()

    @property
    def is_scored(self) -> bool:
        return self.kind == SCALE_ITEM

    def text_for(self, respondent: str) -> Text:
        return dict(self.respondent_text).get(respondent, self.text)

    def scored_value(self, value: int) -> int:
        """The value as it counts in a subscale (reverse-scored items turned around)."""
        assert self.scale is not None
        return self.scale.reverse(value) if self.reverse else value


@dataclass(frozen=True)
class Cutoff:
    at_least: float
    label: Text


@dataclass(frozen=True)
class Subscale:
    code: str
    label: Text
    items: tuple[str, ...]
    rule: str = "mean"
    min_answered: int = 1
    cutoffs: tuple[Cutoff, ...] = ()  # ascending by ``at_least``

    def band(self, score: float | None) -> Cutoff | None:
        if score is None:
            return None
        reached = [c for c in self.cutoffs if score >= c.at_least - 1e-9]
        return reached[-1] if reached else None


@dataclass(frozen=True)
class Instrument:
    code: str
    version: int
    title: Text
    description: Text
    respondents: tuple[str, ...]
    use: str
    items: tuple[Item, ...]
    subscales: tuple[Subscale, ...] = ()
    page_size: int = 5
    source: str = ""
    _by_code: dict[str, Item] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", {item.code: item for item in self.items})

    def item(self, code: str) -> Item:
        try:
            return self._by_code[code]
        except KeyError:
            raise KeyError(f"instrument {self.code!r} has no item {code!r}") from None

    def has_item(self, code: str) -> bool:
        return code in self._by_code

    def subscale(self, code: str) -> Subscale:
        for subscale in self.subscales:
            if subscale.code == code:
                return subscale
        raise KeyError(f"instrument {self.code!r} has no subscale {code!r}")

    def pages(self) -> list[tuple[Item, ...]]:
        """The items in pages of ``page_size``: a questionnaire is saved page by page."""
        size = max(self.page_size, 1)
        return [self.items[i : i + size] for i in range(0, len(self.items), size)] or [()]

    def is_for(self, respondent: str) -> bool:
        return respondent in self.respondents


class AnswerError(ValueError):
    """An answer that does not fit its item (out of range, wrong type, too long)."""

    def __init__(self, item: str, problem: str) -> None:
        super().__init__(f"item {item!r}: {problem}")
        self.item = item
        self.problem = problem


def check_answer(item: Item, value: Answer) -> Answer:
    """Return the answer if it fits the item, else raise :class:`AnswerError`.

    ``None`` (not answered) always fits; whether an item must be answered is checked at
    submission (:func:`missing_required`), so a draft can be saved halfway.
    """
    if value is None:
        return None
    if item.kind == TEXT_ITEM:
        if not isinstance(value, str):
            raise AnswerError(item.code, "a text answer must be text")
        if len(value) > TEXT_ANSWER_MAX:
            raise AnswerError(item.code, f"a text answer is at most {TEXT_ANSWER_MAX} characters")
        return value
    assert item.scale is not None
    if not item.scale.contains(value):
        raise AnswerError(
            item.code,
            f"{value!r} is outside the scale {item.scale.minimum}–{item.scale.maximum}",
        )
    return value


def missing_required(instrument: Instrument, answers: Mapping[str, Answer]) -> list[str]:
    """Codes of required items without an answer (blank text counts as no answer)."""
    missing = []
    for item in instrument.items:
        value = answers.get(item.code)
        if item.required and (value is None or (isinstance(value, str) and not value.strip())):
            missing.append(item.code)
    return missing


@dataclass(frozen=True)
class SubscaleScore:
    code: str
    value: float | None
    answered: int
    total: int
    band: Cutoff | None

    @property
    def is_missing(self) -> bool:
        return self.value is None


def score_subscale(
    instrument: Instrument, subscale: Subscale, answers: Mapping[str, Answer]
) -> SubscaleScore:
    values: list[int] = []
    for code in subscale.items:
        item = instrument.item(code)
        answer = answers.get(code)
        if answer is None:
            continue
        check_answer(item, answer)
        assert isinstance(answer, int)
        values.append(item.scored_value(answer))
    total = len(subscale.items)
    if len(values) < subscale.min_answered or not values:
        return SubscaleScore(subscale.code, None, len(values), total, None)
    result: float
    if subscale.rule == "mean":
        result = sum(values) / len(values)
    elif len(values) == total:
        result = float(sum(values))  # exact: no imputation needed
    else:
        result = sum(values) * total / len(values)  # person-mean imputation
    return SubscaleScore(subscale.code, result, len(values), total, subscale.band(result))


def score(instrument: Instrument, answers: Mapping[str, Answer]) -> dict[str, SubscaleScore]:
    """Every subscale's score, in the order of the instrument file."""
    unknown = sorted(code for code in answers if not instrument.has_item(code))
    if unknown:
        raise AnswerError(unknown[0], f"instrument {instrument.code!r} has no such item")
    return {s.code: score_subscale(instrument, s, answers) for s in instrument.subscales}


def score_range(instrument: Instrument, subscale: Subscale) -> tuple[float, float]:
    """The lowest and highest score the subscale can take (for charts and cut-off checks)."""
    scales = [instrument.item(code).scale for code in subscale.items]
    low = sum(s.minimum for s in scales if s is not None)
    high = sum(s.maximum for s in scales if s is not None)
    if subscale.rule == "mean":
        n = len(subscale.items)
        return low / n, high / n
    return float(low), float(high)
