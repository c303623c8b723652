"""The evidence file: disclosure control (a property over synthetic summaries), canonical
signed JSON refused on any changed byte, the published schema, the signing key, the command."""

from __future__ import annotations

import itertools
import json
import math
import os
import stat
from pathlib import Path

import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import override_settings
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.research.evidence.conftest import AS_OF, cohort, registry  # noqa: F401 (fixtures)
from yim.cli import main
from yim.research.evidence.definitions import Scope
from yim.research.evidence.estimators import share
from yim.research.evidence.file import (
    OUTCOMES,
    PROPORTION,
    build_evidence,
    canonical,
    fingerprint,
    make_evidence_file,
    outcomes_from_summary,
    public_key_bytes,
    sign,
    signing_key,
)
from yim.research.evidence.summary import EvidenceError
from yim.research.evidence.verification import PoolingError, read_evidence_bytes

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "evidence-file.schema.json").read_text())
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


# --- synthetic summaries ------------------------------------------------------------------------


def put(tree: dict, path: tuple[str, ...], value: object) -> None:
    for part in path[:-1]:
        tree = tree.setdefault(part, {})
    tree[path[-1]] = value


def synthetic_summary(cells: dict[str, tuple[int, int]], summary_threshold: int) -> dict:
    """A summary shaped as summarise() makes it, each share from (yes, no) cells, with the
    summary's own small-cell rule applied (estimators.share)."""
    summary: dict = {"as_of": "2026-06-01", "n_trajectories": 40}
    for outcome in OUTCOMES:
        if outcome.kind == PROPORTION:
            yes, no = cells[outcome.key]
            put(summary, outcome.path, share(yes, yes + no, summary_threshold).as_dict())
        else:
            base = outcome.path[:-2]
            for i, group in enumerate(outcome.groups):
                yes, no = cells[f"{outcome.key}:{i}"]
                put(summary, (*base, group), share(yes, yes + no, summary_threshold).as_dict())
    return summary


def cell_keys() -> list[str]:
    keys = []
    for outcome in OUTCOMES:
        if outcome.kind == PROPORTION:
            keys.append(outcome.key)
        else:
            keys += [f"{outcome.key}:0", f"{outcome.key}:1"]
    return keys


small_counts = st.integers(min_value=0, max_value=14)
cell_pairs = st.tuples(small_counts, small_counts)


def solve_proportion(entry: dict) -> tuple[int, int]:
    """The (events, non-events) an attacker solves back from estimate and n."""
    p = 1 / (1 + math.exp(-entry["estimate"]))
    events = round(p * entry["n"])
    assert entry["variance"] == pytest.approx(1 / events + 1 / (entry["n"] - events))
    return events, entry["n"] - events


def solve_risk_ratio(entry: dict) -> tuple[int, int, int, int]:
    """Every (placed, ambulatory) of both groups consistent with estimate, variance, group n."""
    n1, n0 = entry["group_n"]
    found = [
        (a, n1 - a, c, n0 - c)
        for a, c in itertools.product(range(1, n1 + 1), range(1, n0 + 1))
        if math.isclose(math.log(a / n1) - math.log(c / n0), entry["estimate"], abs_tol=1e-9)
        and math.isclose(1 / a - 1 / n1 + 1 / c - 1 / n0, entry["variance"], abs_tol=1e-9)
    ]
    assert len(found) == 1
    return found[0]


@settings(max_examples=200, deadline=None)
@given(
    cells=st.fixed_dictionaries({key: cell_pairs for key in cell_keys()}),
    threshold=st.integers(min_value=1, max_value=8),
    summary_threshold=st.integers(min_value=1, max_value=8),
)
def test_no_estimate_in_a_file_rests_on_a_cell_below_the_threshold(
    cells, threshold, summary_threshold
):
    summary = synthetic_summary(cells, summary_threshold)
    outcomes = outcomes_from_summary(summary, threshold)
    for outcome in OUTCOMES:
        entry = outcomes[outcome.key]
        if outcome.kind == PROPORTION:
            truth: tuple[int, ...] = cells[outcome.key]
        else:
            (amb1, placed1), (amb0, placed0) = cells[f"{outcome.key}:0"], cells[f"{outcome.key}:1"]
            truth = (placed1, amb1, placed0, amb0)
        if entry["withheld"]:
            # Withheld whole: nothing to solve a count back from.
            assert entry["estimate"] is entry["variance"] is entry["n"] is entry["group_n"] is None
            continue
        solved = solve_proportion(entry) if outcome.kind == PROPORTION else solve_risk_ratio(entry)
        assert solved == truth  # the estimate is of the true cells …
        assert min(solved) >= threshold  # … and none of them is below the threshold
    # And nothing is withheld that could be shown: every outcome whose cells all reach both
    # thresholds is estimated.
    for outcome in OUTCOMES:
        if outcome.kind == PROPORTION:
            lowest = min(cells[outcome.key])
        else:
            lowest = min(*cells[f"{outcome.key}:0"], *cells[f"{outcome.key}:1"])
        if lowest >= max(threshold, summary_threshold):
            assert not outcomes[outcome.key]["withheld"], outcome.key


def test_a_proportion_is_on_the_logit_scale_and_a_risk_ratio_on_the_log_scale():
    cells = dict.fromkeys(cell_keys(), (6, 9))
    cells["placement_rr_landmark_90:0"] = (12, 6)  # with a JIM: 6 of 18 placed
    cells["placement_rr_landmark_90:1"] = (5, 10)  # without: 10 of 15 placed
    outcomes = outcomes_from_summary(synthetic_summary(cells, 5), 5)
    itt = outcomes["jim_found_itt"]
    assert itt["estimate"] == pytest.approx(math.log(6 / 9))
    assert itt["variance"] == pytest.approx(1 / 6 + 1 / 9)
    assert itt["n"] == 15 and itt["scale"] == "logit"
    rr = outcomes["placement_rr_landmark_90"]
    assert rr["estimate"] == pytest.approx(math.log((6 / 18) / (10 / 15)))
    assert rr["variance"] == pytest.approx(1 / 6 - 1 / 18 + 1 / 10 - 1 / 15)
    assert rr["group_n"] == [18, 15] and rr["n"] == 33 and rr["scale"] == "log"


def test_a_true_zero_cell_is_withheld_too_it_has_no_logit():
    cells = dict.fromkeys(cell_keys(), (6, 9))
    cells["jim_found_itt"] = (0, 20)
    outcomes = outcomes_from_summary(synthetic_summary(cells, 5), 5)
    assert outcomes["jim_found_itt"]["withheld"]
    assert outcomes["jim_found_itt"]["reason"] == "small_cell"


# --- signatures ----------------------------------------------------------------------------------


def synthetic_file(name: str = "Jeugdzorg Noord", key: Ed25519PrivateKey = KEY) -> bytes:
    cells = dict.fromkeys(cell_keys(), (6, 9))
    evidence = build_evidence(
        synthetic_summary(cells, 5),
        organisations=[name],
        public_key=key.public_key(),
        threshold=5,
        scope_label=name,
    )
    return sign(evidence, key)


def test_a_file_is_canonical_json_and_verifies_with_its_own_key():
    data = synthetic_file()
    document = json.loads(data)
    assert data == canonical(document) + b"\n"
    verified = read_evidence_bytes(data, "noord.json")
    assert verified.organisation == "Jeugdzorg Noord"
    assert verified.fingerprint == fingerprint(public_key_bytes(KEY.public_key()))
    assert document["evidence"]["organisation"]["fingerprint"] == verified.fingerprint


def test_the_file_follows_its_published_schema():
    jsonschema.validate(json.loads(synthetic_file()), SCHEMA)


def test_the_schema_refuses_a_file_of_another_version():
    document = json.loads(synthetic_file())
    document["evidence"]["schema_version"] = 2
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_one_changed_byte_anywhere_is_refused(data):
    original = synthetic_file()
    position = data.draw(st.integers(min_value=0, max_value=len(original) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda b: b != original[position]))
    changed = original[:position] + bytes([value]) + original[position + 1 :]
    with pytest.raises(PoolingError):
        read_evidence_bytes(changed, "changed.json")


def test_every_single_changed_byte_of_a_file_is_refused():
    original = synthetic_file()
    for position in range(len(original)):
        changed = bytearray(original)
        changed[position] ^= 0x01
        with pytest.raises(PoolingError):
            read_evidence_bytes(bytes(changed), "changed.json")


def test_an_estimate_changed_and_re_canonicalised_is_refused_by_the_signature():
    document = json.loads(synthetic_file())
    document["evidence"]["outcomes"]["jim_found_itt"]["estimate"] = 0.5
    with translation.override("en"), pytest.raises(PoolingError, match="changed after it was"):
        read_evidence_bytes(canonical(document) + b"\n", "changed.json")


def test_a_file_signed_by_another_key_than_it_names_is_refused():
    other = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    document = json.loads(synthetic_file())
    evidence = document["evidence"]
    document["signature"] = json.loads(sign(evidence, other))["signature"]
    with pytest.raises(PoolingError):
        read_evidence_bytes(canonical(document) + b"\n", "forged.json")


# --- the signing key -----------------------------------------------------------------------------


@pytest.fixture
def english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def test_the_signing_key_is_made_once_private_and_then_kept(tmp_path):
    path = tmp_path / "keys" / "evidence.key"
    first = signing_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = signing_key(path)
    assert public_key_bytes(first.public_key()) == public_key_bytes(again.public_key())


def test_a_key_file_that_is_no_ed25519_key_is_refused_and_left_alone(tmp_path, english):
    path = tmp_path / "evidence.key"
    path.write_text("not a key\n")
    with pytest.raises(EvidenceError, match="not an unencrypted Ed25519 private key"):
        signing_key(path)
    assert path.read_text() == "not a key\n"


def test_the_key_file_comes_from_the_setting(tmp_path):
    path = tmp_path / "configured.key"
    with override_settings(EVIDENCE_SIGNING_KEY_FILE=path):
        signing_key()
    assert path.exists()


# --- from the registry and through the command --------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("cohort")
def test_a_registry_file_withholds_what_rests_on_small_cells(world):
    data = make_evidence_file(Scope(as_of=AS_OF, team_id=world.team_a.pk), threshold=5, key=KEY)
    evidence = read_evidence_bytes(data, "a.json").evidence
    assert evidence["as_of"] == "2026-06-01"
    assert evidence["organisation"]["covers"] == ["Jeugdzorg Test"]
    # Six JIMs found of ten (four without): a cell of four, withheld whole.
    assert evidence["outcomes"]["jim_found_itt"]["withheld"]
    assert evidence["outcomes"]["jim_found_itt"]["n"] is None
    assert all(o["withheld"] for o in evidence["outcomes"].values())
    loose = read_evidence_bytes(
        make_evidence_file(Scope(as_of=AS_OF, team_id=world.team_a.pk), threshold=1, key=KEY),
        "b.json",
    ).evidence
    itt = loose["outcomes"]["jim_found_itt"]
    assert itt["estimate"] == pytest.approx(math.log(6 / 4)) and itt["n"] == 10


def run(capsys, *args):  # type: ignore[no-untyped-def]
    status = main(["evidence", *args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.django_db
@pytest.mark.usefixtures("cohort")
def test_the_command_writes_a_signed_file_and_shows_the_fingerprint(tmp_path, capsys):
    out_file = tmp_path / "noord.json"
    with override_settings(EVIDENCE_SIGNING_KEY_FILE=tmp_path / "evidence.key"):
        status, out, err = run(
            capsys, "file", "--out", str(out_file), "--organisation", "jeugdzorg test",
            "--as-of", AS_OF.isoformat(), "--threshold", "1",
        )  # fmt: skip
        key = signing_key()
    assert status == 0, err
    verified = read_evidence_bytes(out_file.read_bytes(), out_file.name)
    assert verified.organisation == "Jeugdzorg Test"
    assert verified.fingerprint == fingerprint(public_key_bytes(key.public_key()))
    assert verified.fingerprint in out


@pytest.mark.django_db
@pytest.mark.usefixtures("cohort")
def test_the_command_refuses_several_organisations_without_a_choice_and_writes_nothing(
    tmp_path, capsys
):
    out_file = tmp_path / "all.json"
    with override_settings(EVIDENCE_SIGNING_KEY_FILE=tmp_path / "evidence.key"):
        status, out, err = run(capsys, "file", "--out", str(out_file))
    assert status == 2 and out == ""
    assert "several organisations" in err and "--organisation" in err
    assert not out_file.exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("cohort")
def test_the_command_refuses_an_unknown_organisation_and_a_key_it_cannot_make(tmp_path, capsys):
    out_file = tmp_path / "x.json"
    with override_settings(EVIDENCE_SIGNING_KEY_FILE=tmp_path / "evidence.key"):
        status, _out, err = run(capsys, "file", "--out", str(out_file), "--organisation", "Nope")
    assert status == 2 and "no organisation named 'Nope'" in err
    (tmp_path / "a-file").write_text("")
    with override_settings(EVIDENCE_SIGNING_KEY_FILE=tmp_path / "a-file" / "evidence.key"):
        status, _out, err = run(
            capsys, "file", "--out", str(out_file), "--organisation", "Jeugdzorg Test"
        )
    assert status == 2 and "YIM_EVIDENCE_SIGNING_KEY_FILE" in err
    assert not out_file.exists()
