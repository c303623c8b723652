"""/evidence/pool/: a researcher uploads signed evidence files and pools them in the background
(the page of ``yim evidence pool``). Every file is verified in the request; a set that cannot
be pooled is refused with each problem naming its file, and nothing is kept or started; the
kept files (mode 0600) are removed after the run; the result is its owner's."""

from __future__ import annotations

import json
import stat

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from tests.conftest import make_user, signed_in
from tests.jobs.conftest import run_waiting_tasks
from tests.research.test_pooling import (
    COUNTS,
    REF3_CI,
    REF3_ESTIMATE,
    assert_matches_metafor,
    organisation_file,
)
from yim.accounts.models import Role
from yim.jobs.models import Job, JobStatus
from yim.research.evidence.file import sign
from yim.research.meta_jobs import uploads_dir
from yim.research.pooling_views import MAX_FILES

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Kept files go to a folder of this test; the messages are checked in English."""
    settings.DATA_DIR = tmp_path / "data"
    with translation.override("en"):
        yield


def region(k: int = 3) -> list[tuple[str, bytes]]:
    """``k`` organisations' files, as the evidence-file writer signs them."""
    return [
        (
            f"org{seed}.json",
            organisation_file(unit.replace("Team", "Organisation"), e, n, seed=seed),
        )
        for seed, (unit, e, n) in enumerate(COUNTS[:k], start=1)
    ]


def kept() -> list:
    folder = uploads_dir()
    return sorted(folder.glob("pool-*"))


def post(client, capture, files, **extra):  # type: ignore[no-untyped-def]
    uploads = [
        SimpleUploadedFile(name, data, content_type="application/json") for name, data in files
    ]
    data = {"evidence_files": uploads, "min_units": "5", **extra}
    with capture(execute=True):
        return client.post(reverse("evidence:pool"), data, HTTP_ACCEPT_LANGUAGE="en")


def refused(client, capture, files) -> str:  # type: ignore[no-untyped-def]
    page = post(client, capture, files)
    assert page.status_code == 200
    assert not Job.objects.exists() and kept() == []
    return page.content.decode()


# --- the happy path -------------------------------------------------------------------------


def test_three_files_are_pooled_in_the_background_as_the_command_pools_them(
    world, client_for, django_capture_on_commit_callbacks
):
    client = client_for("researcher")
    response = post(client, django_capture_on_commit_callbacks, region(3))
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("jobs:job", args=[job.pk])
    files = kept()
    assert len(files) == 3
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert sorted(f.read_bytes() for f in files) == sorted(data for _name, data in region(3))
    assert run_waiting_tasks() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert kept() == []  # removed after the run
    # metafor: rma(yi, vi, data = es[1:3, ], method = "REML", test = "z") (test_pooling.py)
    outcome = next(o for o in job.result["report"]["outcomes"] if o["key"] == "jim_found_itt")
    assert outcome["pooled"]["estimate"] == pytest.approx(REF3_ESTIMATE, rel=1e-5)
    assert outcome["pooled"]["ci"] == pytest.approx(REF3_CI, rel=1e-5)
    assert outcome["pooled"]["heterogeneity_shown"] is False  # 3 < 5 organisations

    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Organisation 3" in page and "org3.json" in page
    assert reverse("evidence:pool_report", args=[job.pk]) in page
    assert f"/jobs/{job.pk}/again/" not in page  # the files are gone: nothing to repeat
    report = client.get(reverse("evidence:pool_report", args=[job.pk]))
    assert report["Content-Security-Policy"].endswith("sandbox")
    html = report.content.decode()
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 1
    download = client.get(reverse("evidence:pool_json", args=[job.pk]))
    assert "attachment" in download["Content-Disposition"]
    assert json.loads(download.content) == job.result["report"]


def test_five_files_give_metafors_heterogeneity(
    world, client_for, django_capture_on_commit_callbacks
):
    client = client_for("researcher")
    post(client, django_capture_on_commit_callbacks, region(5))
    run_waiting_tasks()
    job = Job.objects.get()
    outcome = next(o for o in job.result["report"]["outcomes"] if o["key"] == "jim_found_itt")
    assert_matches_metafor(outcome["pooled"])
    assert "o1-forest-pi" in job.result["html"]


def test_the_evidence_and_research_pages_link_the_pooling_page_for_a_researcher(world, client_for):
    client = client_for("researcher")
    link = reverse("evidence:pool")
    assert link in client.get(reverse("evidence:summary")).content.decode()
    assert link in client.get(reverse("research:home")).content.decode()
    page = client.get(link, HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200 and 'type="file"' in html and " multiple" in html
    assert link not in client_for("professional").get(reverse("evidence:summary")).content.decode()


# --- bad input: refused, each problem naming its file, nothing kept --------------------------


def test_one_changed_byte_refuses_the_set_and_nothing_is_pooled(
    world, client_for, django_capture_on_commit_callbacks
):
    files = region(3)
    name, data = files[1]
    changed = bytearray(data)
    outcome = changed.index(b'"jim_found_itt"')
    at = changed.index(b'"estimate":', outcome) + len(b'"estimate":') + 2  # a digit
    changed[at] = ord("7") if changed[at] != ord("7") else ord("3")
    files[1] = (name, bytes(changed))
    html = refused(client_for("researcher"), django_capture_on_commit_callbacks, files)
    assert "org2.json: the signature does not match the content" in html
    assert "Nothing was pooled" in html


def test_bad_json_and_an_unknown_schema_version_are_each_named(
    world, client_for, django_capture_on_commit_callbacks
):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    files = region(3)
    evidence = json.loads(files[0][1])["evidence"]
    evidence["schema_version"] = 2
    files[0] = ("org1.json", sign(evidence, Ed25519PrivateKey.from_private_bytes(bytes([1]) * 32)))
    files.append(("notes.json", b"{not json"))
    html = refused(client_for("researcher"), django_capture_on_commit_callbacks, files)
    assert "org1.json: schema version 2 is unknown to this yim" in html
    assert "notes.json: this is not an evidence file of yim (not JSON in UTF-8)" in html


def test_overlapping_organisations_are_refused(
    world, client_for, django_capture_on_commit_callbacks
):
    files = region(2)
    files.append(
        (
            "consortium.json",
            organisation_file("Consortium", 5, 10, seed=99, covers=["organisation 2"]),
        )
    )
    html = refused(client_for("researcher"), django_capture_on_commit_callbacks, files)
    assert "consortium.json: it covers the organisation" in html and "org2.json covers too" in html


def test_a_file_too_large_and_too_many_files_are_refused_with_the_limit(
    world, client_for, django_capture_on_commit_callbacks
):
    client = client_for("researcher")
    files = [*region(2), ("huge.json", b" " * 1_000_001)]
    html = refused(client, django_capture_on_commit_callbacks, files)
    assert "huge.json: the file is 1.0 MB; an evidence file is at most 1 MB" in html
    many = [(f"f{i}.json", b"{}") for i in range(MAX_FILES + 1)]
    html = refused(client, django_capture_on_commit_callbacks, many)
    assert f"{MAX_FILES + 1} files were uploaded; at most {MAX_FILES}" in html


def test_a_single_file_is_refused(world, client_for, django_capture_on_commit_callbacks):
    html = refused(client_for("researcher"), django_capture_on_commit_callbacks, region(1))
    assert "Pooling needs at least two evidence files." in html


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["professional", "team_lead", "admin", "jim", "youth_user"])
def test_without_the_research_evidence_scope_the_page_is_404_and_nothing_is_kept(
    world, client_for, django_capture_on_commit_callbacks, persona
):
    client = client_for(persona)
    assert client.get(reverse("evidence:pool")).status_code == 404
    assert post(client, django_capture_on_commit_callbacks, region(2)).status_code == 404
    assert not Job.objects.exists() and kept() == []


def test_another_users_pooling_is_404_and_a_researcher_without_organisation_has_no_page(
    world, client_for, django_capture_on_commit_callbacks
):
    post(client_for("researcher"), django_capture_on_commit_callbacks, region(2))
    run_waiting_tasks()
    job = Job.objects.get()
    other = signed_in(make_user("researcher2", Role.RESEARCHER, world.org))
    for url in (
        reverse("jobs:job", args=[job.pk]),
        reverse("evidence:pool_report", args=[job.pk]),
        reverse("evidence:pool_json", args=[job.pk]),
    ):
        assert other.get(url).status_code == 404
    world.researcher.organisation = None
    world.researcher.save()
    owner = signed_in(world.researcher)
    assert owner.get(reverse("evidence:pool")).status_code == 404
    assert owner.get(reverse("evidence:pool_json", args=[job.pk])).status_code == 404


def test_a_file_gone_before_the_worker_ran_fails_with_what_to_do(
    world, client_for, django_capture_on_commit_callbacks
):
    client = client_for("researcher")
    post(client, django_capture_on_commit_callbacks, region(2))
    kept()[0].unlink()
    run_waiting_tasks()
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED
    assert "is no longer kept: upload the files again" in job.error
    assert kept() == []  # the other file is removed too


# --- a list of trusted keys --------------------------------------------------------------------


def listed(files: list[tuple[str, bytes]], *, fingerprints: bool = False) -> str:
    """The trusted keys of ``files`` as ``--trusted-keys`` reads them (or their fingerprints)."""
    lines = ["# the region's keys"]
    for name, data in files:
        organisation = json.loads(data)["evidence"]["organisation"]
        key = organisation["fingerprint"] if fingerprints else organisation["public_key"]
        lines.append(f"{key} {name.removesuffix('.json').upper()}")
    return "\n".join(lines)


@pytest.mark.parametrize("fingerprints", [False, True])
def test_with_a_list_of_trusted_keys_every_key_is_checked_and_named(
    world, client_for, django_capture_on_commit_callbacks, fingerprints
):
    files = region(3)
    client = client_for("researcher")
    post(
        client,
        django_capture_on_commit_callbacks,
        files,
        trusted_keys=listed(files, fingerprints=fingerprints),
    )
    assert run_waiting_tasks() == 1
    job = Job.objects.get()
    assert job.status == JobStatus.SUCCEEDED, job.error
    report = job.result["report"]
    assert report["keys_checked_against_list"] is True and report["notes"] == []
    assert [u["trusted_as"] for u in report["units"]] == ["ORG1", "ORG2", "ORG3"]
    page = client.get(reverse("jobs:job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Trusted as" in page.content.decode() and "ORG2" in page.content.decode()


@pytest.mark.parametrize("fingerprints", [False, True])
def test_a_file_signed_by_a_key_not_on_the_list_is_refused_naming_the_file(
    world, client_for, django_capture_on_commit_callbacks, fingerprints
):
    files = region(3)
    trusted = listed([files[0], files[2]], fingerprints=fingerprints)
    page = post(
        client_for("researcher"), django_capture_on_commit_callbacks, files, trusted_keys=trusted
    )
    assert page.status_code == 200
    assert not Job.objects.exists() and kept() == []
    html = page.content.decode()
    assert "org2.json: its key (SHA256:" in html and "is not on the list of trusted keys" in html
    assert "Nothing was pooled" in html


def test_a_line_that_is_no_key_nor_fingerprint_is_refused_with_its_line(
    world, client_for, django_capture_on_commit_callbacks
):
    client = client_for("researcher")
    html = refused_with(client, django_capture_on_commit_callbacks, "# keys\nnot-a-key Noord")
    assert "Line 2 of the trusted keys is not a public key" in html
    html = refused_with(client, django_capture_on_commit_callbacks, "SHA256:12ab Noord")
    assert "Line 1 of the trusted keys is not a fingerprint" in html


def refused_with(client, capture, trusted: str) -> str:  # type: ignore[no-untyped-def]
    page = post(client, capture, region(2), trusted_keys=trusted)
    assert page.status_code == 200 and not Job.objects.exists() and kept() == []
    return page.content.decode()
