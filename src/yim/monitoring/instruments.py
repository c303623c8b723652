"""Instrument files: loading and validating the YAML definitions.

Instruments are data, not code. The package ships its own (``instruments/*.yaml`` beside this
module, worded by the yim project — no licensed instrument is copied); an organisation adds
its own files in the directory ``YIM_INSTRUMENTS_DIR``. Every file is validated when it is
loaded, and a problem stops the load with :class:`InstrumentError`, whose message names the
file, the place in it (item, scale, subscale) and the problem, e.g.::

    my_scale.yaml: item 'q3': scale 'agree5' is not defined under 'scales'

File format (see the shipped files for complete examples)::

    code: relationship_quality          # lower case, digits, underscores
    version: 1                          # raise it when wording or scoring changes
    title: {nl: ..., en: ...}
    description: {nl: ..., en: ...}     # optional
    respondents: [youth, jim]           # youth, jim, parent, professional
    use: wave                           # wave (measurement moments) or meeting (after a meeting)
    page_size: 5                        # items per questionnaire page (optional)
    scales:
      agree5:
        min: 1
        max: 5
        labels: {1: {nl: ..., en: ...}, 2: ..., 5: ...}   # every point labelled
    items:
      - code: q1
        scale: agree5                   # or kind: text for a free-text answer
        text: {nl: ..., en: ...}
        reverse: false                  # optional
        required: true                  # optional; needed before submitting
        text_for: {jim: {nl: ..., en: ...}}   # optional wording per respondent
    subscales:
      - code: relatedness
        label: {nl: ..., en: ...}
        items: [q1, q2]
        rule: mean                      # mean or sum
        min_answered: 2                 # fewer answered items: the score is missing
        cutoffs:                        # optional, ascending
          - {at_least: 4, label: {nl: ..., en: ...}}
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from yim.monitoring.scoring import (
    ITEM_KINDS,
    LANGUAGES,
    RESPONDENTS,
    RULES,
    SCALE_ITEM,
    TEXT_ITEM,
    USES,
    Cutoff,
    Instrument,
    Item,
    ResponseScale,
    Subscale,
    Text,
    score_range,
)

SHIPPED_DIR = Path(__file__).resolve().parent / "instruments"
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
MAX_FILE_BYTES = 256 * 1024
MAX_ITEMS = 200
MAX_SCALE_POINTS = 11

TOP_KEYS = {
    "code",
    "version",
    "title",
    "description",
    "respondents",
    "use",
    "page_size",
    "scales",
    "items",
    "subscales",
}
ITEM_KEYS = {"code", "kind", "scale", "text", "reverse", "required", "text_for"}
SCALE_KEYS = {"min", "max", "labels"}
SUBSCALE_KEYS = {"code", "label", "items", "rule", "min_answered", "cutoffs"}
CUTOFF_KEYS = {"at_least", "label"}


class InstrumentError(ValueError):
    """An instrument file that cannot be used. ``str()`` names file, place and problem."""

    def __init__(self, file: str, where: str, problem: str) -> None:
        self.file = file
        self.where = where
        self.problem = problem
        super().__init__(f"{file}: {where}: {problem}" if where else f"{file}: {problem}")


class _Reader:
    """Validation helpers that remember which file they are reading."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, where: str, problem: str) -> InstrumentError:
        return InstrumentError(self.file, where, problem)

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a mapping (key: value), got {_kind(value)}")
        return value

    def coded_entries(self, raw: list[Any], kind: str) -> Iterator[tuple[dict[str, Any], str, str]]:
        """Each mapping of a list of coded entries, with its code and where it stands.

        A missing code or a code used twice fails with the place of the entry.
        """
        seen: set[str] = set()
        for index, spec in enumerate(raw, start=1):
            spec = self.mapping(spec, f"{kind} {index}")
            if "code" not in spec:
                raise self.fail(f"{kind} {index}", "the key 'code' is missing")
            code = self.code(spec["code"], f"{kind} {index}")
            where = f"{kind} {code!r}"
            if code in seen:
                raise self.fail(where, f"this {kind} code is used twice")
            seen.add(code)
            yield spec, code, where

    def keys(self, data: dict[str, Any], allowed: set[str], required: set[str], where: str) -> None:
        unknown = sorted(str(k) for k in data if k not in allowed)
        if unknown:
            raise self.fail(
                where, f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})"
            )
        missing = sorted(required - set(data))
        if missing:
            raise self.fail(where, f"the key {missing[0]!r} is missing")

    def code(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not CODE_RE.match(value):
            raise self.fail(
                where,
                f"code {value!r} must start with a lower-case letter and contain only "
                "lower-case letters, digits and underscores (at most 50)",
            )
        return value

    def integer(self, value: Any, where: str, *, minimum: int | None = None) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(where, f"expected a whole number, got {_kind(value)}")
        if minimum is not None and value < minimum:
            raise self.fail(where, f"must be at least {minimum}, got {value}")
        return value

    def number(self, value: Any, where: str) -> float:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise self.fail(where, f"expected a number, got {_kind(value)}")
        return float(value)

    def boolean(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"expected true or false, got {_kind(value)}")
        return value

    def text(self, value: Any, where: str) -> Text:
        if not isinstance(value, dict):
            raise self.fail(where, "wording needs a Dutch and an English version: {nl: …, en: …}")
        missing = [lang for lang in LANGUAGES if lang not in value]
        if missing:
            raise self.fail(where, f"the {_language(missing[0])} wording ({missing[0]}) is missing")
        unknown = sorted(str(k) for k in value if k not in LANGUAGES)
        if unknown:
            raise self.fail(where, f"unknown language {unknown[0]!r} (use nl and en)")
        for lang in LANGUAGES:
            if not isinstance(value[lang], str) or not value[lang].strip():
                raise self.fail(where, f"the {_language(lang)} wording ({lang}) is empty")
        return Text(nl=value["nl"].strip(), en=value["en"].strip())


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: f"the text {str(value)[:40]!r}",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


def _language(code: str) -> str:
    return {"nl": "Dutch", "en": "English"}.get(code, code)


def parse_instrument(data: Any, file: str) -> Instrument:
    """Build an :class:`Instrument` from loaded YAML, or raise :class:`InstrumentError`."""
    r = _Reader(file)
    top = r.mapping(data, "")
    r.keys(top, TOP_KEYS, {"code", "version", "title", "respondents", "use", "items"}, "")
    code = r.code(top["code"], "code")
    version = r.integer(top["version"], "version", minimum=1)
    title = r.text(top["title"], "title")
    description = r.text(top["description"], "description") if "description" in top else None
    respondents = top["respondents"]
    if not isinstance(respondents, list) or not respondents:
        raise r.fail("respondents", "give a non-empty list, e.g. [youth, jim]")
    for who in respondents:
        if who not in RESPONDENTS:
            raise r.fail(
                "respondents", f"unknown respondent {who!r} (use {', '.join(RESPONDENTS)})"
            )
    if len(set(respondents)) != len(respondents):
        raise r.fail("respondents", "a respondent is listed twice")
    use = top["use"]
    if use not in USES:
        raise r.fail("use", f"unknown use {use!r} (use {' or '.join(USES)})")
    page_size = r.integer(top.get("page_size", 5), "page_size", minimum=1)

    scales = _parse_scales(r, top.get("scales", {}))
    items = _parse_items(r, top["items"], scales, tuple(respondents))
    by_code = {item.code: item for item in items}
    instrument = Instrument(
        code=code,
        version=version,
        title=title,
        description=description or Text("", ""),
        respondents=tuple(respondents),
        use=use,
        items=items,
        page_size=page_size,
        source=file,
    )
    subscales = _parse_subscales(r, top.get("subscales", []), by_code, instrument)
    return dataclasses.replace(instrument, subscales=subscales)


def _parse_scales(r: _Reader, raw: Any) -> dict[str, ResponseScale]:
    scales: dict[str, ResponseScale] = {}
    for name, spec in r.mapping(raw, "scales").items():
        where = f"scale {name!r}"
        r.code(name, where)
        spec = r.mapping(spec, where)
        r.keys(spec, SCALE_KEYS, SCALE_KEYS, where)
        low = r.integer(spec["min"], f"{where}: min")
        high = r.integer(spec["max"], f"{where}: max")
        if high <= low:
            raise r.fail(where, f"max ({high}) must be greater than min ({low})")
        if high - low + 1 > MAX_SCALE_POINTS:
            raise r.fail(where, f"at most {MAX_SCALE_POINTS} points, got {high - low + 1}")
        labels_raw = r.mapping(spec["labels"], f"{where}: labels")
        labels = []
        for point, wording in labels_raw.items():
            value = r.integer(point, f"{where}: label {point!r}")
            if not low <= value <= high:
                raise r.fail(where, f"label {value} lies outside {low}–{high}")
            labels.append((value, r.text(wording, f"{where}: label {value}")))
        missing = [p for p in range(low, high + 1) if p not in dict(labels)]
        if missing:
            raise r.fail(where, f"point {missing[0]} has no label (label every point)")
        scales[name] = ResponseScale(name, low, high, tuple(sorted(labels)))
    return scales


def _parse_items(
    r: _Reader, raw: Any, scales: dict[str, ResponseScale], respondents: tuple[str, ...]
) -> tuple[Item, ...]:
    if not isinstance(raw, list) or not raw:
        raise r.fail("items", "give a non-empty list of items")
    if len(raw) > MAX_ITEMS:
        raise r.fail("items", f"at most {MAX_ITEMS} items, got {len(raw)}")
    items: list[Item] = []
    for spec, code, where in r.coded_entries(raw, "item"):
        r.keys(spec, ITEM_KEYS, {"code", "text"}, where)
        kind = spec.get("kind", SCALE_ITEM)
        if kind not in ITEM_KINDS:
            raise r.fail(where, f"unknown kind {kind!r} (use {' or '.join(ITEM_KINDS)})")
        scale = None
        if kind == SCALE_ITEM:
            if "scale" not in spec:
                raise r.fail(where, "a scale item needs 'scale' (or kind: text)")
            if spec["scale"] not in scales:
                raise r.fail(where, f"scale {spec['scale']!r} is not defined under 'scales'")
            scale = scales[spec["scale"]]
        elif "scale" in spec:
            raise r.fail(where, "a text item has no scale")
        reverse = r.boolean(spec.get("reverse", False), f"{where}: reverse")
        if reverse and kind != SCALE_ITEM:
            raise r.fail(where, "only a scale item can be reverse-scored")
        text_for: list[tuple[str, Text]] = []
        for who, wording in r.mapping(spec.get("text_for", {}), f"{where}: text_for").items():
            if who not in respondents:
                raise r.fail(where, f"text_for {who!r}: not one of this instrument's respondents")
            text_for.append((who, r.text(wording, f"{where}: text_for {who}")))
        items.append(
            Item(
                code=code,
                kind=kind,
                text=r.text(spec["text"], f"{where}: text"),
                scale=scale,
                reverse=reverse,
                required=r.boolean(spec.get("required", False), f"{where}: required"),
                respondent_text=tuple(text_for),
            )
        )
    return tuple(items)


def _parse_subscales(
    r: _Reader, raw: Any, items: dict[str, Item], instrument: Instrument
) -> tuple[Subscale, ...]:
    if not isinstance(raw, list):
        raise r.fail("subscales", "give a list of subscales")
    subscales: list[Subscale] = []
    for spec, code, where in r.coded_entries(raw, "subscale"):
        r.keys(spec, SUBSCALE_KEYS, {"code", "label", "items"}, where)
        members = spec["items"]
        if not isinstance(members, list) or not members:
            raise r.fail(where, "give a non-empty list of item codes")
        for member in members:
            if member not in items:
                raise r.fail(where, f"item {member!r} does not exist")
            if not items[member].is_scored:
                raise r.fail(where, f"item {member!r} is a text item and cannot be scored")
        if len(set(members)) != len(members):
            raise r.fail(where, "an item is listed twice")
        rule = spec.get("rule", "mean")
        if rule not in RULES:
            raise r.fail(where, f"unknown rule {rule!r} (use {' or '.join(RULES)})")
        min_answered = r.integer(
            spec.get("min_answered", len(members)), f"{where}: min_answered", minimum=1
        )
        if min_answered > len(members):
            raise r.fail(
                where,
                f"min_answered ({min_answered}) is more than the number of items ({len(members)})",
            )
        subscale = Subscale(
            code=code,
            label=r.text(spec["label"], f"{where}: label"),
            items=tuple(members),
            rule=rule,
            min_answered=min_answered,
        )
        cutoffs = _parse_cutoffs(r, spec.get("cutoffs", []), where, instrument, subscale)
        subscales.append(dataclasses.replace(subscale, cutoffs=cutoffs))
    return tuple(subscales)


def _parse_cutoffs(
    r: _Reader, raw: Any, where: str, instrument: Instrument, subscale: Subscale
) -> tuple[Cutoff, ...]:
    if not isinstance(raw, list):
        raise r.fail(where, "cutoffs must be a list")
    low, high = score_range(instrument, subscale)
    cutoffs: list[Cutoff] = []
    for index, spec in enumerate(raw, start=1):
        place = f"{where}: cut-off {index}"
        spec = r.mapping(spec, place)
        r.keys(spec, CUTOFF_KEYS, CUTOFF_KEYS, place)
        at_least = r.number(spec["at_least"], place)
        if not low <= at_least <= high:
            raise r.fail(place, f"{at_least:g} lies outside the possible scores {low:g}–{high:g}")
        if cutoffs and at_least <= cutoffs[-1].at_least:
            raise r.fail(place, "cut-offs must be in ascending order")
        cutoffs.append(Cutoff(at_least, r.text(spec["label"], f"{place}: label")))
    return tuple(cutoffs)


def load_file(path: Path) -> Instrument:
    """Read and validate one instrument file."""
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InstrumentError(name, "", f"cannot be read ({exc.strerror})") from None
    if size > MAX_FILE_BYTES:
        raise InstrumentError(name, "", f"is larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InstrumentError(name, "", "is not UTF-8 text") from None
    return parse_text(text, name)


def parse_text(text: str, file: str) -> Instrument:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "is not valid YAML"
        raise InstrumentError(file, where, f"not valid YAML ({problem})") from None
    return parse_instrument(data, file)


def load_directories(directories: Iterable[Path]) -> dict[str, Instrument]:
    """Every ``*.yaml`` file in the directories (missing directories are skipped).

    Two files defining the same code are refused, naming both: an organisation adds
    instruments under codes of its own and cannot silently replace a shipped one.
    """
    found: dict[str, Instrument] = {}
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.yaml")):
            instrument = load_file(path)
            if instrument.code in found:
                raise InstrumentError(
                    path.name,
                    "code",
                    f"{instrument.code!r} is already defined in {found[instrument.code].source}",
                )
            found[instrument.code] = instrument
    return found


_registry: dict[str, Instrument] | None = None


def registry() -> dict[str, Instrument]:
    """The shipped instruments and the organisation's (``settings.INSTRUMENTS_DIR``), cached."""
    global _registry
    if _registry is None:
        from django.conf import settings

        _registry = load_directories([SHIPPED_DIR, Path(settings.INSTRUMENTS_DIR)])
    return _registry


def reset_registry() -> None:
    """Forget the cache (tests that change ``INSTRUMENTS_DIR``)."""
    global _registry
    _registry = None


def get(code: str) -> Instrument:
    try:
        return registry()[code]
    except KeyError:
        raise KeyError(f"unknown instrument {code!r}") from None


def available(codes: Iterable[str]) -> list[Instrument]:
    """The instruments of a programme's list, in its order; unknown codes are left out."""
    known = registry()
    return [known[c] for c in codes if c in known]


__all__ = [
    "SHIPPED_DIR",
    "TEXT_ITEM",
    "InstrumentError",
    "available",
    "get",
    "load_directories",
    "load_file",
    "parse_instrument",
    "parse_text",
    "registry",
    "reset_registry",
]
