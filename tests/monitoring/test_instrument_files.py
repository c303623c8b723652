"""Instrument files: the shipped ones load; malformed ones are refused with a message that
names the file, the place and the problem."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from yim.monitoring import instruments
from yim.monitoring.instruments import InstrumentError, load_directories, load_file, parse_text
from yim.monitoring.scoring import score

VALID = textwrap.dedent(
    """
    code: mini
    version: 1
    title: {nl: "Mini", en: "Mini"}
    respondents: [youth]
    use: wave
    scales:
      agree:
        min: 1
        max: 3
        labels:
          1: {nl: "Nee", en: "No"}
          2: {nl: "Soms", en: "Sometimes"}
          3: {nl: "Ja", en: "Yes"}
    items:
      - code: q1
        scale: agree
        text: {nl: "Vraag 1", en: "Question 1"}
      - code: q2
        scale: agree
        reverse: true
        text: {nl: "Vraag 2", en: "Question 2"}
    subscales:
      - code: total
        label: {nl: "Totaal", en: "Total"}
        items: [q1, q2]
        rule: sum
        min_answered: 1
        cutoffs:
          - {at_least: 4, label: {nl: "Hoog", en: "High"}}
    """
)


def test_every_shipped_instrument_loads_and_the_programme_codes_exist():
    shipped = load_directories([instruments.SHIPPED_DIR])
    assert {
        "risk_domains",
        "relationship_quality",
        "resilience_support",
        "stakeholder_feedback",
        "satisfaction",
    } <= set(shipped)
    risk = shipped["risk_domains"]
    assert {s.code for s in risk.subscales} >= {
        "rule_breaking",
        "school_dropout",
        "out_of_home_placement",
        "family",
        "peers",
        "substance_use",
        "mental_health",
        "safety",
    }
    assert risk.respondents == ("professional",)
    assert set(shipped["relationship_quality"].respondents) == {"youth", "jim"}
    assert set(shipped["stakeholder_feedback"].respondents) == {"youth", "jim", "parent"}
    assert shipped["stakeholder_feedback"].use == "meeting"
    assert {s.code for s in shipped["relationship_quality"].subscales} == {
        "relatedness",
        "social_support",
        "autonomy_support",
        "contact_frequency",
    }


def test_a_valid_file_is_scored_with_its_reverse_item():
    mini = parse_text(VALID, "mini.yaml")
    result = score(mini, {"q1": 3, "q2": 1})["total"]
    assert result.value == 6  # 3 + (1 + 3 - 1)
    assert result.band is not None and result.band.label.en == "High"


def _broken(old: str, new: str) -> str:
    assert old in VALID, old
    return VALID.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        (_broken("code: mini", "code: Mini!"), "code", "must start with a lower-case letter"),
        (_broken("version: 1", "version: zero"), "version", "expected a whole number"),
        (_broken('title: {nl: "Mini", en: "Mini"}', 'title: {nl: "Mini"}'), "title", "English"),
        (_broken("respondents: [youth]", "respondents: [teacher]"), "respondents", "teacher"),
        (_broken("use: wave", "use: always"), "use", "unknown use"),
        (_broken("    scale: agree\n    reverse", "    scale: agrees\n    reverse"),
         "item 'q2'", "scale 'agrees' is not defined"),
        (_broken("  - code: q2", "  - code: q1"), "item 'q1'", "used twice"),
        (_broken("items: [q1, q2]", "items: [q1, q9]"), "subscale 'total'",
         "item 'q9' does not exist"),
        (_broken("min_answered: 1", "min_answered: 3"), "subscale 'total'", "more than the number"),
        (_broken("rule: sum", "rule: median"), "subscale 'total'", "unknown rule 'median'"),
        (_broken("at_least: 4", "at_least: 9"), "cut-off 1", "outside the possible scores 2–6"),
        (_broken('      3: {nl: "Ja", en: "Yes"}\n', ""), "scale 'agree'", "point 3 has no label"),
        (_broken("max: 3", "max: 1"), "scale 'agree'", "must be greater than min"),
        (_broken("use: wave", "use: wave\ncolour: red"), "", "unknown key 'colour'"),
        (_broken("    reverse: true", "    reverse: maybe"), "item 'q2': reverse", "true or false"),
        (_broken('Question 2"', '"'), "item 'q2': text", "English wording (en) is empty"),
        ("code: [unclosed", "line 1", "not valid YAML"),
        ("- just\n- a list\n", "", "expected a mapping"),
    ],
)  # fmt: skip
def test_a_malformed_file_is_refused_naming_file_place_and_problem(text, where, problem):
    with pytest.raises(InstrumentError) as caught:
        parse_text(text, "broken.yaml")
    error = caught.value
    assert error.file == "broken.yaml"
    assert str(error).startswith("broken.yaml: ")
    assert where in error.where
    assert problem in error.problem


def test_a_text_item_cannot_be_scored():
    text = VALID.replace(
        "subscales:", '  - code: note\n    kind: text\n    text: {nl: "O", en: "R"}\nsubscales:'
    ).replace("items: [q1, q2]", "items: [q1, note]")
    with pytest.raises(InstrumentError, match="item 'note' is a text item and cannot be scored"):
        parse_text(text, "broken.yaml")


def test_an_organisation_file_with_a_shipped_code_is_refused_naming_both_files(tmp_path: Path):
    (tmp_path / "ours.yaml").write_text(VALID.replace("code: mini", "code: risk_domains"))
    with pytest.raises(InstrumentError) as caught:
        load_directories([instruments.SHIPPED_DIR, tmp_path])
    assert caught.value.file == "ours.yaml"
    assert "risk_domains.yaml" in caught.value.problem


def test_an_organisation_directory_adds_its_instruments(tmp_path: Path, settings):
    (tmp_path / "mini.yaml").write_text(VALID)
    settings.INSTRUMENTS_DIR = tmp_path
    instruments.reset_registry()
    try:
        assert instruments.get("mini").source == "mini.yaml"
        assert "risk_domains" in instruments.registry()
    finally:
        instruments.reset_registry()


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path):
    path = tmp_path / "latin.yaml"
    path.write_bytes(VALID.replace("Vraag 1", "Vr\xe4ag").encode("latin-1"))
    with pytest.raises(InstrumentError, match=r"latin\.yaml: is not UTF-8"):
        load_file(path)


def test_the_scoring_and_loading_modules_do_not_import_django():
    code = (
        "import sys; import yim.monitoring.scoring, yim.monitoring.instruments; "
        "assert not [m for m in sys.modules if m.startswith('django')], 'django imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
