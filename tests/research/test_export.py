"""The research export: tables and codebook, pseudonyms, dates, small cells, as-of, the
command, the page, the audit log and bad input (the canary test: test_export_canary.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.test import override_settings
from django.utils import translation

from tests.conftest import make_user, signed_in
from tests.jobs.conftest import export_through_the_page
from tests.research.evidence.conftest import Registry, at
from yim.audit.models import AuditEvent
from yim.cli import main
from yim.jobs.models import Job
from yim.programmes.models import ProgrammeModel
from yim.research.evidence import definitions as d
from yim.research.export import ExportError, build_export, export_key, pseudonym, write_export
from yim.research.export import writer as export_writer
from yim.trajectories.models import PlacementEpisode

pytestmark = pytest.mark.django_db

KEY = b"a-test-key-of-the-export-" + b"x" * 20
OTHER_KEY = b"another-key-of-the-export-" + b"y" * 20
D = dt.date
AS_OF = D(2026, 6, 1)
URL = "/research/export/"


@pytest.fixture
def registry(world) -> Registry:  # type: ignore[no-untyped-def]
    """Hand-worked trajectories of team A (plus one of another organisation):

    A  born 2010-02-01, referred 2025-01-31 (age 14, 15 by the years alone); JIM accepted
       2025-03-02 (day 30); placed 2025-03-10 (day 38) until 2025-03-20 (day 48); closed
       2025-04-01 (day 60); the 6-month follow-up (due 2025-10-01) answered 2025-10-15
       (day 257).
    B  referred 2026-01-15, "no JIM found" 2026-02-14 (day 30); a placement beginning
       2026-06-05, after AS_OF.
    C  referred 2026-06-10, after AS_OF.
    FOREIGN  another organisation's youth.
    """
    r = Registry(world=world, programme=ProgrammeModel.standard("indicated"))
    a = r.trajectory("A", D(2025, 1, 31), born=D(2010, 2, 1))
    r.jim(a, D(2025, 3, 2))
    decision = r.decision(a, D(2025, 3, 10), kind="foster_care", no_jim_reason="")
    decision.record_consultation(consulted_on=D(2025, 3, 9), advice="Yes.", weighing="Weighed.")
    decision.finalise(by=world.professional, at=at(D(2025, 3, 10), 15))
    r.placed(decision, D(2025, 3, 10), ended=D(2025, 3, 20))
    r.close(a, D(2025, 4, 1), "continuing")
    r.follow_up(a, 6, D(2025, 10, 15), contact=True, placed=False)
    b = r.trajectory("B", D(2026, 1, 15))
    r.no_jim(b, D(2026, 2, 14))
    PlacementEpisode.record_afterwards(
        b, placement_type="residential", started_on=D(2026, 6, 5), note="Known from the GP."
    )
    r.trajectory("C", D(2026, 6, 10))
    r.trajectory("FOREIGN", D(2025, 5, 1), team=world.foreign_team)
    return r


def rows(tables, name):  # type: ignore[no-untyped-def]
    return tables.tables[name].rows


def test_durations_and_ages_come_from_exact_dates_and_dates_are_months(registry):
    a = registry.trajectories["A"]
    tables = build_export(as_of=AS_OF, key=KEY, organisation_id=a.team.organisation_id)
    (row,) = [r for r in rows(tables, "trajectory") if r["referral_month"] == "2025-01"]
    assert row["age_at_referral"] == 14  # born 2010-02-01, referred 2025-01-31
    assert row["closure_days"] == 60
    assert row["jim_found_days"] == 30 and row["search_status"] == "jim_found"
    assert row["search_days"] == 30
    assert row["first_placement_days"] == 38
    (episode,) = [e for e in rows(tables, "placement_episode") if e["started_month"] == "2025-03"]
    assert (episode["started_days"], episode["ended_days"]) == (38, 48)
    (follow_up,) = [f for f in rows(tables, "follow_up") if f["months"] == 6]
    assert follow_up["done_days"] == 257 and follow_up["done_month"] == "2025-10"
    (youth,) = [y for y in rows(tables, "youth") if y["birth_month"] == "2010-02"]
    assert youth["age_at_first_referral"] == 14


def test_time_to_jim_is_the_evidence_definition_itself(registry):
    a = registry.trajectories["A"]
    tables = build_export(as_of=AS_OF, key=KEY, organisation_id=a.team.organisation_id)
    scope = d.Scope(as_of=AS_OF, organisation_id=a.team.organisation_id)
    expected = {pseudonym(KEY, "trajectory", s.trajectory_id): s.days for s in d.searches(scope)}
    assert {r["trajectory_id"]: r["search_days"] for r in rows(tables, "trajectory")} == expected


def test_what_is_recorded_after_as_of_is_not_in_the_export(registry):
    a = registry.trajectories["A"]
    tables = build_export(as_of=AS_OF, key=KEY, organisation_id=a.team.organisation_id)
    assert len(rows(tables, "trajectory")) == 2  # A and B; C was referred after AS_OF
    assert [e["placement_type"] for e in rows(tables, "placement_episode")] == ["foster_care"]
    b = pseudonym(KEY, "trajectory", registry.trajectories["B"].pk)
    (row_b,) = [r for r in rows(tables, "trajectory") if r["trajectory_id"] == b]
    assert row_b["search_status"] == "no_jim" and row_b["no_jim_days"] == 30
    earlier = build_export(as_of=D(2025, 10, 1), key=KEY, organisation_id=a.team.organisation_id)
    (unanswered,) = [f for f in rows(earlier, "follow_up") if f["months"] == 6]
    assert unanswered["outcome"] is None and unanswered["jim_contact_continues"] is None


def test_the_export_covers_one_organisation_and_never_another(registry, world):
    tables = build_export(as_of=AS_OF, key=KEY, organisation_id=world.org.pk)
    foreign = pseudonym(KEY, "trajectory", registry.trajectories["FOREIGN"].pk)
    assert foreign not in {r["trajectory_id"] for r in rows(tables, "trajectory")}
    everything = build_export(as_of=AS_OF, key=KEY)
    assert foreign in {r["trajectory_id"] for r in rows(everything, "trajectory")}


def test_pseudonyms_join_the_tables_repeat_under_one_key_and_differ_under_another(registry):
    a = registry.trajectories["A"]
    first = build_export(as_of=AS_OF, key=KEY)
    again = build_export(as_of=AS_OF, key=KEY)
    other = build_export(as_of=AS_OF, key=OTHER_KEY)
    youth_ids = {y["youth_id"] for y in rows(first, "youth")}
    assert {t["youth_id"] for t in rows(first, "trajectory")} == youth_ids
    assert {f["trajectory_id"] for f in rows(first, "follow_up")} <= {
        t["trajectory_id"] for t in rows(first, "trajectory")
    }
    assert pseudonym(KEY, "youth", a.youth_id) in youth_ids
    assert rows(first, "trajectory") == rows(again, "trajectory")
    assert youth_ids.isdisjoint({y["youth_id"] for y in rows(other, "youth")})
    # The youth and the trajectory with the same number get different pseudonyms.
    assert pseudonym(KEY, "youth", 7) != pseudonym(KEY, "trajectory", 7)


def test_small_cells_of_the_aggregate_table_are_withheld_and_the_rest_too(registry, world):
    tables = build_export(as_of=AS_OF, key=KEY, organisation_id=world.org.pk, threshold=2)
    by_month = {r["referral_month"]: r for r in rows(tables, "aggregate_referrals")}
    assert by_month["2025-01"] == {
        "referral_month": "2025-01", "cohort": "jim", "trajectories": None, "closed": None,
        "placed": None,
    }  # fmt: skip
    shown = build_export(as_of=AS_OF, key=KEY, organisation_id=world.org.pk, threshold=1)
    by_month = {r["referral_month"]: r for r in rows(shown, "aggregate_referrals")}
    assert (by_month["2025-01"]["trajectories"], by_month["2025-01"]["placed"]) == (1, 1)
    assert by_month["2026-01"]["placed"] == 0  # a true 0 is shown as 0


def undocumented_columns(folder: Path, fmt: str) -> set[tuple[str, str]]:
    """(table, column) pairs written in ``folder`` without an entry in its codebook.csv."""
    with (folder / "codebook.csv").open(encoding="utf-8") as handle:
        documented = {(e["table"], e["variable"]) for e in csv.DictReader(handle)}
    written = set()
    for path in folder.glob(f"*.{fmt}"):
        if path.stem == "codebook":
            continue
        if fmt == "csv":
            with path.open(encoding="utf-8") as handle:
                header = next(csv.reader(handle))
        else:
            header = pq.read_schema(path).names
        written |= {(path.stem, column) for column in header}
    return written - documented


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_every_column_of_every_table_has_a_codebook_entry(registry, tmp_path, fmt):
    everything = ("notes", "referral_reason", "open_answer", "revision_history")
    tables = build_export(as_of=AS_OF, key=KEY, include=everything)
    folder = write_export(tables, tmp_path / "out", fmt)
    assert len([p for p in folder.glob(f"*.{fmt}") if p.stem != "codebook"]) == 9
    assert undocumented_columns(folder, fmt) == set()
    with (folder / "codebook.csv").open(encoding="utf-8") as handle:
        book = list(csv.DictReader(handle))
    assert all(e["meaning"] and e["type"] and e["allowed_values"] for e in book)
    assert {e["variable"] for e in book} >= {"notes", "open_answer", "revision_history"}
    markdown = (folder / "codebook.md").read_text(encoding="utf-8")
    assert all(f"| {e['variable']} | {e['type']} |" in markdown for e in book)


def test_the_codebook_check_catches_an_undocumented_column(registry, tmp_path):
    folder = write_export(build_export(as_of=AS_OF, key=KEY), tmp_path / "out", "csv")
    lines = (folder / "youth.csv").read_text(encoding="utf-8").splitlines()
    lines[0] += ",undocumented"
    (folder / "youth.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert undocumented_columns(folder, "csv") == {("youth", "undocumented")}


# --- bad input: a clear message, nothing half-written -------------------------------------


@pytest.fixture
def english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def test_an_unknown_free_text_column_is_refused_with_the_choices(registry, english):
    with pytest.raises(
        ExportError, match=r"Unknown free-text column: names\. Choose from: referral_reason"
    ):
        build_export(as_of=AS_OF, key=KEY, include=("names",))


def test_a_day_in_the_future_is_refused(registry, english):
    with pytest.raises(ExportError, match="lies in the future"):
        build_export(as_of=D(2026, 6, 18), key=KEY)


def test_a_directory_that_is_not_empty_is_refused_and_left_alone(registry, tmp_path, english):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("keep me")
    tables = build_export(as_of=AS_OF, key=KEY)
    with pytest.raises(ExportError, match="not an empty directory"):
        write_export(tables, tmp_path / "out", "csv")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["mine.txt"]


def test_a_directory_that_cannot_be_written_is_refused(registry, tmp_path, english):
    (tmp_path / "a-file").write_text("")
    tables = build_export(as_of=AS_OF, key=KEY)
    with pytest.raises(ExportError, match="does not exist"):
        write_export(tables, tmp_path / "a-file" / "out", "csv")
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(ExportError, match="Cannot write"):
            write_export(tables, locked / "out", "csv")


def test_a_failure_halfway_leaves_nothing_behind(registry, tmp_path, monkeypatch, english):
    tables = build_export(as_of=AS_OF, key=KEY)
    written = []

    def fail_on_the_third(path, table):  # type: ignore[no-untyped-def]
        written.append(path)
        if len(written) == 3:
            raise OSError(28, "No space left on device")
        path.write_text("x")

    monkeypatch.setattr(export_writer, "_write_parquet", fail_on_the_third)
    with pytest.raises(ExportError, match="nothing was written"):
        write_export(tables, tmp_path / "out", "parquet")
    assert len(written) == 3
    assert list(tmp_path.iterdir()) == []


def test_the_key_file_is_made_once_private_and_a_short_key_is_refused(tmp_path, english):
    path = tmp_path / "keys" / "export.key"
    key = export_key(path)
    assert len(key) >= 32 and export_key(path) == key
    assert path.stat().st_mode & 0o777 == 0o600
    path.write_text("short")
    with pytest.raises(ExportError, match="too short"):
        export_key(path)


# --- the command --------------------------------------------------------------------------


def run(capsys, *args):  # type: ignore[no-untyped-def]
    status = main(["evidence", "export", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_command_writes_the_tables_and_records_the_export(registry, tmp_path, capsys):
    with override_settings(EXPORT_KEY_FILE=tmp_path / "export.key"):
        status, out, err = run(
            capsys, "--out", str(tmp_path / "out"), "--format", "parquet", "--as-of",
            AS_OF.isoformat(), "--organisation", "Jeugdzorg Test", "--include-free-text", "notes",
        )  # fmt: skip
    assert status == 0, err
    assert "trajectory 2" in out
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"youth.parquet", "trajectory.parquet", "codebook.csv", "export.json"} <= names
    key = (tmp_path / "export.key").read_bytes().strip()
    assert all(key not in p.read_bytes() for p in (tmp_path / "out").iterdir())
    event = AuditEvent.objects.get(action="export")
    assert event.actor_name == "yim evidence export"
    assert "as of 2026-06-01" in event.detail and "free text: notes" in event.detail
    assert f"organisation {registry.world.org.pk}" in event.detail
    assert event.organisation_id == registry.world.org.pk


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--include-free-text", "youth_name"], "Unknown free-text column: youth_name"),
        (["--as-of", "2026-07-01"], "lies in the future"),
        (["--organisation", "Nobody"], "no organisation named"),
    ],
)
def test_the_command_refuses_bad_input_and_writes_nothing(
    registry, tmp_path, capsys, args, message
):
    with override_settings(EXPORT_KEY_FILE=tmp_path / "export.key"):
        status, _out, err = run(capsys, "--out", str(tmp_path / "out"), *args)
    assert status == 2
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_the_command_refuses_a_day_that_is_no_day(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        run(capsys, "--out", str(tmp_path / "out"), "--as-of", "2026-02-30")
    assert exit_.value.code == 2
    assert "is not a day" in capsys.readouterr().err


# --- the page -----------------------------------------------------------------------------


def post(client, **data):  # type: ignore[no-untyped-def]
    return client.post(
        URL, {"as_of": AS_OF.isoformat(), "format": "csv", **data}, HTTP_ACCEPT_LANGUAGE="en"
    )


@pytest.fixture
def key_file(tmp_path):  # type: ignore[no-untyped-def]
    with override_settings(EXPORT_KEY_FILE=tmp_path / "export.key"):
        yield tmp_path / "export.key"


def export(client, capture, **data):  # type: ignore[no-untyped-def]
    """The export through the page: a background job, then the download."""
    return export_through_the_page(
        client, capture, {"as_of": AS_OF.isoformat(), "format": "csv", **data}
    )


def made_exports():  # type: ignore[no-untyped-def]
    """The audit events of exports made (downloads are recorded apart)."""
    return AuditEvent.objects.filter(action="export").exclude(detail__startswith="downloaded")


def test_a_researcher_downloads_the_export_of_their_organisation(
    registry, client_for, key_file, django_capture_on_commit_callbacks
):
    response = export(
        client_for("researcher"), django_capture_on_commit_callbacks, include=["notes"]
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert {"trajectory.csv", "codebook.csv", "codebook.md", "export.json"} <= set(
        archive.namelist()
    )
    trajectories = list(csv.DictReader(io.StringIO(archive.read("trajectory.csv").decode())))
    assert len(trajectories) == 2  # A and B; FOREIGN is another organisation's
    assert json.loads(archive.read("export.json"))["free_text_included"] == ["notes"]
    event = made_exports().get()
    assert event.actor_id == registry.world.researcher.pk
    assert f"organisation {registry.world.org.pk}" in event.detail
    downloaded = AuditEvent.objects.get(action="export", detail__startswith="downloaded")
    assert downloaded.actor_id == registry.world.researcher.pk


def test_an_export_archive_is_its_owners_alone(
    registry, client_for, key_file, world, django_capture_on_commit_callbacks
):
    export(client_for("researcher"), django_capture_on_commit_callbacks)
    job = Job.objects.get()
    url = f"/research/export/{job.pk}/download/"
    for persona in ("admin", "professional", "team_lead"):
        assert client_for(persona).get(url).status_code == 404
    other = make_user("researcher_2", "researcher", world.org)
    assert signed_in(other).get(url).status_code == 404
    assert signed_in(other).get(f"/jobs/{job.pk}/").status_code == 404


def test_a_researcher_may_narrow_the_export_to_a_team_of_their_organisation(
    registry, client_for, key_file, world, django_capture_on_commit_callbacks
):
    response = export(
        client_for("researcher"), django_capture_on_commit_callbacks, team=str(world.team_b.pk)
    )
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.read("trajectory.csv").decode().count("\n") == 1  # the header only
    refused = post(client_for("researcher"), team=str(world.foreign_team.pk))
    assert refused.status_code == 400
    assert made_exports().count() == 1  # the first one only
    assert Job.objects.count() == 1


@pytest.mark.parametrize(
    "persona", ["professional", "team_lead", "admin", "youth_user", "jim", "parent"]
)
def test_only_researchers_reach_the_export(registry, client_for, key_file, persona):
    client = client_for(persona)
    assert client.get(URL).status_code == 404
    assert post(client).status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()
    assert not Job.objects.exists()


def test_the_page_needs_the_csrf_token(registry, world, key_file):
    client = signed_in(world.researcher)
    client.handler.enforce_csrf_checks = True
    assert post(client).status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()


def test_the_page_shows_the_form_and_says_what_is_wrong(registry, client_for, key_file):
    client = client_for("researcher")
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and b"Research export" in page.content
    future = post(client, as_of="2026-07-01")
    assert future.status_code == 400 and b"Choose a day up to today." in future.content
    unknown = post(client, include=["names"])
    assert unknown.status_code == 400
    assert not AuditEvent.objects.filter(action="export").exists()


def test_the_page_reports_a_key_file_it_cannot_make(registry, client_for, tmp_path):
    (tmp_path / "a-file").write_text("")
    with override_settings(EXPORT_KEY_FILE=Path(tmp_path / "a-file" / "export.key")):
        response = post(client_for("researcher"))
    assert response.status_code == 400
    assert b"YIM_EXPORT_KEY_FILE" in response.content
