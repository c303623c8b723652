"""Pooling: evidence files of organisations and the teams of one organisation, checked against
metafor; and every kind of bad input refused with nothing pooled."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import translation

from tests.conftest import make_user
from tests.research.evidence.conftest import AS_OF, Registry
from yim.accounts.models import Organisation, Role, Team
from yim.cli import main
from yim.programmes.models import ProgrammeModel
from yim.research.evidence.estimators import share
from yim.research.evidence.file import build_evidence, canonical, public_key_bytes, sign
from yim.research.evidence.pooling import Unit, pool_files, pool_outcome, pool_teams
from yim.research.evidence.verification import PoolingError, read_evidence_bytes
from yim.trajectories.models import Youth


@pytest.fixture(autouse=True)
def in_english():
    """The messages are asserted in English (the default language is Dutch)."""
    with translation.override("en"):
        yield


FIXTURES = Path(__file__).parent / "fixtures"
UNITS = list(csv.DictReader((FIXTURES / "pooling_units.csv").read_text().splitlines()))
COUNTS = [(row["unit"], int(row["events"]), int(row["n"])) for row in UNITS]

# metafor 3.8.1 on R 4.2 (tests/research/fixtures/make_pooling_reference.R):
#   es  <- escalc(measure = "PLO", xi = events, ni = n)       # from pooling_units.csv
#   fit <- rma(yi, vi, data = es, method = "REML", test = "z"); confint(fit); predict(fit)
REF_ESTIMATE = 0.365700162779
REF_SE = 0.490695597921
REF_CI = (-0.596045536519, 1.32744586208)
REF_P = 0.456109185073
REF_TAU2 = 0.667366030212
REF_TAU2_CI = (0.0, 10.1996508779)
REF_I2 = 55.858180786
REF_Q, REF_Q_P = 8.96565589834, 0.0619636762723
REF_PI = (-1.50208299206, 2.23348331762)
REF_BACK = (0.590419579017, 0.35524893293, 0.790417836582)  # transf.ilogit(b, ci.lb, ci.ub)
# rma(yi, vi, data = es[1:3, ], method = "REML", test = "z"): three units
REF3_ESTIMATE, REF3_CI = 0.314299312454, (-1.36975667614, 1.99835530105)

# Tolerances: metafor stops its REML iterations when tau² changes by less than 1e-5, the
# engine at 1e-10; tau² and what rests on it (SE, CI, PI, I²) agree to about 1e-6.
CLOSE = {"rel": 1e-5, "abs": 1e-6}


def assert_matches_metafor(pooled: dict) -> None:
    assert pooled["k"] == 5
    assert pooled["estimate"] == pytest.approx(REF_ESTIMATE, **CLOSE)
    assert pooled["se"] == pytest.approx(REF_SE, **CLOSE)
    assert pooled["ci"] == pytest.approx(REF_CI, **CLOSE)
    assert pooled["p"] == pytest.approx(REF_P, **CLOSE)
    assert pooled["tau2"] == pytest.approx(REF_TAU2, **CLOSE)
    assert pooled["tau2_ci"] == pytest.approx(REF_TAU2_CI, rel=1e-4)
    assert pooled["i2"] == pytest.approx(REF_I2, **CLOSE)
    assert pooled["q"] == pytest.approx(REF_Q, **CLOSE)
    assert pooled["q_p"] == pytest.approx(REF_Q_P, **CLOSE)
    assert pooled["prediction_interval"] == pytest.approx(REF_PI, **CLOSE)
    back = pooled["back_transformed"]
    assert [back["estimate"], *back["ci"]] == pytest.approx(REF_BACK, **CLOSE)


def logit_unit(label: str, events: int, n: int) -> Unit:
    return Unit(label, math.log(events / (n - events)), 1 / events + 1 / (n - events), n)


def test_the_pooled_proportion_is_metafors():
    outcome = pool_outcome("x", "X", "proportion", [logit_unit(*c) for c in COUNTS])
    assert_matches_metafor(outcome.pooled)


def test_below_the_minimum_of_units_heterogeneity_is_not_shown_but_the_pool_is():
    outcome = pool_outcome("x", "X", "proportion", [logit_unit(*c) for c in COUNTS[:3]])
    pooled = outcome.pooled
    assert pooled["estimate"] == pytest.approx(REF3_ESTIMATE, **CLOSE)
    assert pooled["ci"] == pytest.approx(REF3_CI, **CLOSE)
    assert not pooled["heterogeneity_shown"]
    assert pooled["tau2"] is pooled["i2"] is pooled["prediction_interval"] is None
    assert "from 5 units on" in outcome.note
    shown = pool_outcome("x", "X", "proportion", [logit_unit(*c) for c in COUNTS[:3]], 3)
    assert shown.pooled["heterogeneity_shown"] and shown.pooled["tau2"] is not None


def test_a_withheld_unit_is_named_and_left_out_and_one_unit_is_not_pooled():
    units = [logit_unit(*COUNTS[0]), Unit("Small", None, None, None)]
    outcome = pool_outcome("x", "X", "proportion", units)
    assert outcome.withheld == ["Small"]
    assert outcome.result is None and "fewer than two units" in outcome.error


# --- evidence files of organisations -------------------------------------------------------------


def organisation_file(
    name: str, events: int, n: int, *, seed: int, covers: list[str] | None = None
) -> bytes:
    """A signed file whose only estimate is JIM found (ITT), ``events`` of ``n``."""
    key = Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
    summary = {
        "as_of": "2026-06-01",
        "n_trajectories": n,
        "jim_found": {"share_of_all": share(events, n, 1).as_dict()},
    }
    evidence = build_evidence(
        summary,
        organisations=covers or [name],
        public_key=key.public_key(),
        threshold=2,
        scope_label=name,
    )
    evidence["organisation"]["name"] = name
    return sign(evidence, key)


@pytest.fixture
def region(tmp_path: Path) -> list[Path]:
    paths = []
    for seed, (unit, events, n) in enumerate(COUNTS, start=1):
        path = tmp_path / f"org{seed}.json"
        path.write_bytes(
            organisation_file(unit.replace("Team", "Organisation"), events, n, seed=seed)
        )
        paths.append(path)
    return paths


def run(capsys, *args):  # type: ignore[no-untyped-def]
    status = main(["evidence", *args])
    out, err = capsys.readouterr()
    return status, out, err


def jim_found(report: dict) -> dict:
    (outcome,) = [o for o in report["outcomes"] if o["key"] == "jim_found_itt"]
    return outcome


def test_files_of_five_organisations_pool_to_metafors_numbers(region, capsys):
    status, out, err = run(capsys, "pool", *map(str, region), "--format", "json")
    assert status == 0, err
    report = json.loads(out)
    assert report["units_are"] == "organisations"
    assert [u["label"] for u in report["units"]] == [f"Organisation {i}" for i in range(1, 6)]
    assert_matches_metafor(jim_found(report)["pooled"])
    # The other outcomes are withheld in every file: named, and not pooled.
    ambulatory = next(o for o in report["outcomes"] if o["key"] == "ambulatory_itt")
    assert ambulatory["pooled"] is None and len(ambulatory["withheld_units"]) == 5


def test_without_a_list_of_keys_the_output_says_the_keys_were_not_checked(region, capsys):
    _status, out, _err = run(capsys, "pool", *map(str, region))
    report = json.loads(out)
    assert report["keys_checked_against_list"] is False
    assert any("not checked against a list" in note for note in report["notes"])


def trusted_list(tmp_path: Path, region: list[Path], skip: int | None = None) -> Path:
    lines = ["# trusted keys of the region"]
    for i, path in enumerate(region):
        if i != skip:
            key = json.loads(path.read_bytes())["evidence"]["organisation"]["public_key"]
            lines.append(f"{key} Organisation {i + 1}")
    listing = tmp_path / "trusted.txt"
    listing.write_text("\n".join(lines) + "\n")
    return listing


def test_with_a_list_of_trusted_keys_every_key_is_checked(region, tmp_path, capsys):
    listing = trusted_list(tmp_path, region)
    status, out, _err = run(capsys, "pool", *map(str, region), "--trusted-keys", str(listing))
    assert status == 0
    report = json.loads(out)
    assert report["keys_checked_against_list"] is True and report["notes"] == []
    assert report["units"][2]["trusted_as"] == "Organisation 3"


def test_the_list_of_trusted_keys_may_give_fingerprints_as_the_page_does(region, tmp_path, capsys):
    """A line may name a key by the fingerprint ``yim evidence file`` printed; one that is no
    file's key trusts nothing, so the file whose fingerprint is missing is refused."""
    prints = [json.loads(p.read_bytes())["evidence"]["organisation"] for p in region]
    listing = tmp_path / "trusted.txt"
    lines = [f"{o['fingerprint']} Organisation {i + 1}" for i, o in enumerate(prints)]
    listing.write_text("\n".join(lines) + "\n")
    status, out, _err = run(capsys, "pool", *map(str, region), "--trusted-keys", str(listing))
    assert status == 0
    assert json.loads(out)["units"][2]["trusted_as"] == "Organisation 3"
    lines[3] = "SHA256:" + ":".join(["0000"] * 8) + " Somebody else"
    listing.write_text("\n".join(lines) + "\n")
    status, out, err = run(capsys, "pool", *map(str, region), "--trusted-keys", str(listing))
    assert status == 2 and out == ""
    assert "org4.json" in err and "not on the list of trusted keys" in err
    listing.write_text("SHA256:12 Short\n")
    status, out, err = run(capsys, "pool", *map(str, region), "--trusted-keys", str(listing))
    assert status == 2 and "Line 1" in err and "not a fingerprint" in err


def test_a_key_not_on_the_list_is_refused_and_nothing_pooled(region, tmp_path, capsys):
    listing = trusted_list(tmp_path, region, skip=3)
    status, out, err = run(capsys, "pool", *map(str, region), "--trusted-keys", str(listing))
    assert status == 2 and out == ""
    assert "org4.json" in err and "not on the list of trusted keys" in err
    assert "Nothing was pooled" in err


def test_the_html_report_has_a_forest_plot_per_pooled_outcome(region, capsys):
    status, out, _err = run(capsys, "pool", *map(str, region), "--format", "html")
    assert status == 0
    assert out.startswith("<!DOCTYPE html>")
    assert out.count("<svg") == 1  # only JIM found is pooled
    assert "o1-forest-diamond-overall" in out and "o1-forest-pi" in out
    assert "Organisation 5" in out and "not checked against a list" in out
    # Below the minimum of units neither τ² nor the prediction interval resting on it is shown.
    _status, out, _err = run(
        capsys, "pool", *map(str, region), "--format", "html", "--min-units", "6"
    )
    assert "o1-forest-diamond-overall" in out and "o1-forest-pi" not in out
    assert "τ²</th>" not in out and "shown from 6 units on" in out


# --- bad input: nothing pooled -------------------------------------------------------------------


def refused(capsys, paths) -> str:  # type: ignore[no-untyped-def]
    status, out, err = run(capsys, "pool", *map(str, paths))
    assert status == 2 and out == "", err
    assert "Nothing was pooled" in err or "at least two" in err
    return err


def test_one_changed_byte_in_one_file_refuses_the_whole_set(region, capsys):
    data = bytearray(region[2].read_bytes())
    outcome = data.index(b'"jim_found_itt"')
    at = data.index(b'"estimate":', outcome) + len(b'"estimate":') + 2  # a digit
    data[at] = ord("7") if data[at] != ord("7") else ord("3")
    region[2].write_bytes(bytes(data))
    err = refused(capsys, region)
    assert "org3.json" in err and "changed after it was signed" in err


def test_a_reformatted_file_is_refused_though_its_content_is_the_same(region, capsys):
    document = json.loads(region[0].read_bytes())
    region[0].write_text(json.dumps(document, indent=2))
    assert "changed after it was signed" in refused(capsys, region)


def test_an_unknown_schema_version_is_refused_even_when_properly_signed(region, capsys):
    key = Ed25519PrivateKey.from_private_bytes(bytes([1]) * 32)
    evidence = json.loads(region[0].read_bytes())["evidence"]
    evidence["schema_version"] = 2
    region[0].write_bytes(sign(evidence, key))
    err = refused(capsys, region)
    assert "schema version 2 is unknown" in err and "reads version 1" in err


def test_two_files_of_one_organisation_are_refused(region, tmp_path, capsys):
    copy = tmp_path / "again.json"
    copy.write_bytes(region[0].read_bytes())
    err = refused(capsys, [*region, copy])
    assert "same key as org1.json" in err


def test_overlapping_organisations_are_refused(region, tmp_path, capsys):
    other = tmp_path / "consortium.json"
    other.write_bytes(
        organisation_file("Consortium", 5, 10, seed=99, covers=["Elsewhere", "organisation 2"])
    )
    err = refused(capsys, [*region, other])
    assert "covers the organisation 'organisation 2'" in err and "org2.json" in err


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"not json at all", "not JSON"),
        (b'{"evidence": {}}\n', "no 'evidence' and 'signature' parts"),
        (canonical({"evidence": {"format": "x"}, "signature": {}}) + b"\n", "no format"),
        ('{"evidence": \u00e9}'.encode("latin-1"), "not JSON"),
    ],
)
def test_a_malformed_file_is_refused_with_what_is_wrong(region, tmp_path, capsys, content, problem):
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    err = refused(capsys, [*region, bad])
    assert "bad.json" in err and problem in err and "not an evidence file of yim" in err


def test_a_file_without_its_estimate_variance_is_refused(region):
    key = Ed25519PrivateKey.from_private_bytes(bytes([1]) * 32)
    evidence = json.loads(region[0].read_bytes())["evidence"]
    evidence["outcomes"]["jim_found_itt"]["variance"] = 0
    with translation.override("en"), pytest.raises(PoolingError, match="positive variance"):
        read_evidence_bytes(sign(evidence, key), "zero.json")


def test_a_missing_file_and_a_single_file_are_refused(region, tmp_path, capsys):
    err = refused(capsys, [region[0], tmp_path / "absent.json"])
    assert "absent.json" in err and "cannot be read" in err
    assert "at least two" in refused(capsys, [region[0]])


def test_a_bad_list_of_trusted_keys_is_refused(region, tmp_path, capsys):
    listing = tmp_path / "trusted.txt"
    listing.write_text("not-a-key Somebody\n")
    status, out, err = run(capsys, "pool", *map(str, region), "--trusted-keys", str(listing))
    assert status == 2 and out == "" and "Line 1" in err


def test_pooling_in_python_refuses_what_the_command_refuses(region):
    files = [read_evidence_bytes(p.read_bytes(), p.name) for p in region]
    with translation.override("en"), pytest.raises(PoolingError, match="same key"):
        pool_files([*files, files[0]])
    assert pool_files(files).outcomes[0].pooled["k"] == 5


# --- teams of one organisation, from the registry ------------------------------------------------


@pytest.fixture
def teams(world) -> Organisation:  # type: ignore[no-untyped-def]
    """Five teams of 'Jeugdzorg Regio' whose JIM-found counts (of all trajectories referred by
    AS_OF) are those of pooling_units.csv; one trajectory of a sixth team is referred after
    AS_OF, so that team is no unit."""
    org = Organisation.objects.create(name="Jeugdzorg Regio")
    registry = Registry(world=world, programme=ProgrammeModel.standard("indicated"))
    for number, (name, events, n) in enumerate([*COUNTS, ("Team 6", 0, 1)], start=1):
        team = Team.objects.create(organisation=org, name=name)
        professional = make_user(f"regio{number}", Role.PROFESSIONAL, org, team)
        # The registry helper takes a team's professional from a youth of that team.
        Youth.objects.create(
            organisation=org, team=team, professional=professional,
            display_name="Placeholder", date_of_birth=dt.date(2010, 5, 17),
        )  # fmt: skip
        referred = dt.date(2025, 9, 1) if number <= 5 else dt.date(2026, 6, 10)
        for i in range(n):
            trajectory = registry.trajectory(f"{name} {i}", referred, team=team)
            if i < events:
                registry.jim(trajectory, referred + dt.timedelta(days=20 + i))
    return org


@pytest.mark.django_db
def test_the_teams_of_an_organisation_pool_to_metafors_numbers(teams):
    with translation.override("en"):
        report = pool_teams("jeugdzorg regio", AS_OF, threshold=1)
    assert report.kind == "teams"
    assert [u["label"] for u in report.units] == [c[0] for c in COUNTS]
    (outcome,) = [o for o in report.outcomes if o.key == "jim_found_itt"]
    assert [u.label for u in outcome.used] == [c[0] for c in COUNTS]
    assert_matches_metafor(outcome.pooled)


@pytest.mark.django_db
def test_the_teams_command_prints_the_comparison_and_withholds_small_cells(teams, capsys):
    status, out, err = run(
        capsys, "teams", "--organisation", "Jeugdzorg Regio", "--as-of", AS_OF.isoformat(),
        "--threshold", "1", "--format", "json",
    )  # fmt: skip
    assert status == 0, err
    assert_matches_metafor(jim_found(json.loads(out))["pooled"])
    # With the default threshold of 5 only team 5 (5 of 11) rests on no cell below 5: one
    # unit is no pool, and the four others are named as withheld.
    status, out, _err = run(
        capsys, "teams", "--organisation", "Jeugdzorg Regio", "--as-of", AS_OF.isoformat()
    )
    outcome = jim_found(json.loads(out))
    assert status == 0 and outcome["pooled"] is None
    assert outcome["withheld_units"] == [c[0] for c in COUNTS[:4]]
    assert [u["label"] for u in outcome["units"]] == ["Team 5"]


@pytest.mark.django_db
def test_the_teams_page_orders_the_teams_by_estimate_and_draws_a_funnel(teams, capsys):
    status, out, err = run(
        capsys, "teams", "--organisation", "Jeugdzorg Regio", "--as-of", AS_OF.isoformat(),
        "--threshold", "1", "--format", "html",
    )  # fmt: skip
    assert status == 0, err
    assert out.count("<svg") == 2  # JIM found (all trajectories): forest and funnel
    assert "o1-forest-diamond-overall" in out and "f1-funnel-points" in out
    assert "Teams compared" in out


@pytest.mark.django_db
def test_comparing_teams_needs_two_teams_and_a_known_organisation(world, capsys):
    status, out, err = run(capsys, "teams", "--organisation", "Nergens")
    assert status == 2 and out == "" and "no organisation named 'Nergens'" in err
    status, out, err = run(capsys, "teams", "--organisation", "Jeugdzorg Test")
    assert status == 2 and out == "" and "needs at least two" in err


def test_the_public_key_in_a_file_is_the_signers(region):
    key = Ed25519PrivateKey.from_private_bytes(bytes([1]) * 32)
    verified = read_evidence_bytes(region[0].read_bytes(), "org1.json")
    assert verified.public_key == public_key_bytes(key.public_key())
