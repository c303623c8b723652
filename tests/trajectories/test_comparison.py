"""Comparison (care-as-usual) trajectories: entered by hand, through the API or from a
CSV/XLSX file (all rows or none, every problem reported), kept out of the team overview and
the JIM figures, and marked "comparison group" where shown."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from tests.trajectories.test_api import bearer
from yim import policy
from yim.programmes.models import ProgrammeModel
from yim.research.evidence import definitions as d
from yim.trajectories import comparison_file
from yim.trajectories.comparison import ComparisonCase, create_comparison
from yim.trajectories.models import PlacementEpisode, Trajectory, Youth

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HEADER = (
    "group,referred_on,date_of_birth,gender,requested_placement,placement_basis,"
    "placement_realised,placement_started_on,placement_ended_on,reference\n"
)


@pytest.fixture
def programme():  # type: ignore[no-untyped-def]
    return ProgrammeModel.standard("indicated")


def csv_file(body: str) -> bytes:
    return (HEADER + body).encode("utf-8")


def test_a_comparison_trajectory_records_its_realised_placement(world, programme):  # type: ignore[no-untyped-def]
    t = create_comparison(
        ComparisonCase(
            referred_on=dt.date(2024, 3, 1), date_of_birth=dt.date(2009, 1, 2),
            requested_placement="residential", placement_basis="requested",
            realised_placement="residential",
            placement_started_on=dt.date(2024, 4, 1), reference="File 17",
        ),
        team=world.team_a, professional=world.professional, programme=programme,
    )  # fmt: skip
    assert t.cohort == "comparison" and t.referred_on == dt.date(2024, 3, 1)
    episode = PlacementEpisode.objects.get(trajectory=t)
    assert (episode.placement_type, episode.started_on, episode.source) == (
        "residential", dt.date(2024, 4, 1), "recorded_afterwards"
    )  # fmt: skip


def test_comparison_trajectories_stay_out_of_the_overview_and_the_jim_figures(world, programme):  # type: ignore[no-untyped-def]
    t = create_comparison(
        ComparisonCase(referred_on=dt.date(2024, 3, 1), date_of_birth=dt.date(2009, 1, 2),
                       realised_placement="foster_care", placement_started_on=dt.date(2024, 3, 5)),
        team=world.team_a, professional=world.professional, programme=programme,
    )  # fmt: skip
    assert not policy.team_overview_queryset(world.team_lead).filter(pk=t.pk).exists()
    assert d.realised_placements(d.Scope(dt.date(2026, 6, 1))) == []
    assert d.searches(d.Scope(dt.date(2026, 6, 1))) == []


def test_the_staff_form_enters_one_and_the_page_marks_it(world, programme, client_for):  # type: ignore[no-untyped-def]
    client = client_for("professional")
    response = client.post(
        "/trajectories/comparison/add/",
        {"reference": "Dossier 4", "date_of_birth": "2010-02-03", "programme": programme.pk,
         "referred_on": "2025-01-10", "referral_source": "other",
         "requested_placement": "residential", "placement_basis": "indicated",
         "realised_placement": "residential", "placement_started_on": "2025-02-01"},
        **EN,
    )  # fmt: skip
    assert response.status_code == 302, response.context["form"].errors
    t = Trajectory.objects.get(cohort="comparison")
    page = client.get(f"/trajectories/{t.pk}/", **EN).content.decode()
    assert "comparison group" in page
    listing = client.get("/trajectories/comparison/", **EN).content.decode()
    assert "Dossier 4" in listing


def test_the_staff_form_refuses_a_realised_placement_without_its_start(
    world, programme, client_for
):  # type: ignore[no-untyped-def]
    response = client_for("professional").post(
        "/trajectories/comparison/add/",
        {"reference": "Dossier 5", "date_of_birth": "2010-02-03", "programme": programme.pk,
         "referred_on": "2025-01-10", "referral_source": "other",
         "requested_placement": "residential", "placement_basis": "indicated",
         "realised_placement": "residential"},
        **EN,
    )  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].errors["placement_started_on"]
    assert not Youth.objects.filter(display_name="Dossier 5").exists()


def test_the_api_enters_a_comparison_trajectory_and_answers_422_per_field(world, programme):  # type: ignore[no-untyped-def]
    headers = bearer(world.professional)

    def post(body: dict) -> object:
        return Client().post("/api/v1/comparison-trajectories", json.dumps(body),
                             content_type="application/json", **headers)  # fmt: skip

    base = {"programme_id": programme.pk, "referred_on": "2025-01-10",
            "date_of_birth": "2010-02-03", "realised_placement": "foster_care"}  # fmt: skip
    bad = post({**base, "placement_ended_on": "2025-01-01"})
    assert bad.status_code == 422 and "started_on" in bad.json()["errors"]
    good = post({**base, "placement_started_on": "2025-02-01"})
    assert good.status_code == 201 and good.json()["cohort"] == "comparison"
    portal = Client().post("/api/v1/comparison-trajectories", json.dumps(base),
                           content_type="application/json", **bearer(world.parent))  # fmt: skip
    assert portal.status_code == 403


def test_a_clean_csv_is_imported_whole(world, programme, client_for):  # type: ignore[no-untyped-def]
    body = ("vergelijkingsgroep,2024-01-05,2008-03-04,meisje,residentieel,gevraagd,residentieel,"
            "2024-02-01,2024-08-01,C1\n"
            "comparison,2024-02-06,2009-05-06,boy,residential,indicated,none,,,C2\n")  # fmt: skip
    upload = SimpleUploadedFile("group.csv", csv_file(body), content_type="text/csv")
    response = client_for("professional").post(
        "/trajectories/comparison/import/", {"file": upload, "programme": programme.pk}, **EN
    )
    assert response.status_code == 302
    assert Trajectory.objects.filter(cohort="comparison").count() == 2
    episode = PlacementEpisode.objects.get()
    assert (episode.started_on, episode.ended_on) == (dt.date(2024, 2, 1), dt.date(2024, 8, 1))


def test_unknown_group_labels_and_mixed_date_formats_are_reported_and_nothing_imported(
    world, programme, client_for
):  # type: ignore[no-untyped-def]
    body = ("comparison,2024-01-05,2008-03-04,girl,residential,requested,none,,,A\n"
            "jim,2024-01-06,2008-03-04,girl,residential,requested,none,,,B\n"
            "comparison,06-01-2024,2008-03-04,girl,residential,requested,none,,,C\n"
            "comparison,2024-01-07,2008-03-04,castle,residential,requested,none,,,D\n")  # fmt: skip
    cases, problems = comparison_file.read(csv_file(body), "group.csv")
    assert cases == []
    found = {(p.row, p.column) for p in problems}
    assert found == {(3, "group"), (4, "referred_on"), (5, "gender")}
    assert any("Mixed date formats" in p.message for p in problems)
    upload = SimpleUploadedFile("group.csv", csv_file(body), content_type="text/csv")
    response = client_for("professional").post(
        "/trajectories/comparison/import/", {"file": upload, "programme": programme.pk}, **EN
    )
    assert response.status_code == 200
    assert "nothing was imported" in response.content.decode()
    assert not Trajectory.objects.filter(cohort="comparison").exists()


def test_a_row_the_model_refuses_rolls_back_the_whole_file(world, programme, client_for):  # type: ignore[no-untyped-def]
    body = (
        "comparison,2024-01-05,2008-03-04,girl,residential,requested,none,,,A\n"
        "comparison,2024-01-06,2030-03-04,girl,residential,requested,foster_care,2024-02-01,,B\n"
    )
    upload = SimpleUploadedFile("group.csv", csv_file(body), content_type="text/csv")
    response = client_for("professional").post(
        "/trajectories/comparison/import/", {"file": upload, "programme": programme.pk}, **EN
    )
    problems = response.context["problems"]
    assert [(p.row, p.column) for p in problems] and all(p.row == 3 for p in problems)
    assert "date_of_birth" in {p.column for p in problems}
    assert not Youth.objects.filter(display_name__in=["A", "B"]).exists()


def test_an_xlsx_with_a_missing_column_and_native_dates(world):  # type: ignore[no-untyped-def]
    book = Workbook()
    sheet = book.active
    sheet.append(["Groep", "Aanmelddatum", "Plaatsing start"])
    sheet.append(["vergelijkingsgroep", dt.date(2024, 1, 5), None])
    buffer = io.BytesIO()
    book.save(buffer)
    cases, problems = comparison_file.read(buffer.getvalue(), "group.xlsx")
    assert cases == [] and [(p.row, p.column) for p in problems] == [(1, "date_of_birth")]
    sheet.cell(row=1, column=4, value="geboortedatum")
    sheet.cell(row=2, column=4, value=dt.date(2008, 3, 4))
    buffer = io.BytesIO()
    book.save(buffer)
    cases, problems = comparison_file.read(buffer.getvalue(), "group.xlsx")
    assert problems == []
    assert cases[0][1].date_of_birth == dt.date(2008, 3, 4)


def test_a_file_that_is_not_a_workbook_gets_a_clear_message(world):  # type: ignore[no-untyped-def]
    cases, problems = comparison_file.read(b"not a zip", "group.xlsx")
    assert cases == [] and "Excel workbook" in problems[0].message


def test_only_staff_who_register_youth_may_enter_comparison_trajectories(world, client_for):  # type: ignore[no-untyped-def]
    for persona in ("researcher", "admin", "youth_user"):
        assert client_for(persona).get("/trajectories/comparison/add/").status_code in (302, 404)


def test_the_team_overview_page_does_not_list_comparison_youth(world, programme, client_for):  # type: ignore[no-untyped-def]
    create_comparison(
        ComparisonCase(referred_on=dt.date(2024, 3, 1), date_of_birth=dt.date(2009, 1, 2),
                       reference="Vergelijking 1"),
        team=world.team_a, professional=world.professional, programme=programme,
    )  # fmt: skip
    page = client_for("team_lead").get("/trajectories/overview/", **EN)
    assert page.status_code == 200
    assert "Vergelijking 1" not in page.content.decode()


def test_the_api_imports_a_clean_file_and_refuses_a_bad_one_whole(world, programme):  # type: ignore[no-untyped-def]
    headers = bearer(world.professional)
    good = "comparison,2024-01-05,2008-03-04,girl,residential,requested,none,,,A\n"
    bad = good + "vergelijking?,2024-01-06,2008-03-04,girl,residential,requested,none,,,B\n"

    def send(content: str) -> object:
        body = {"programme_id": programme.pk, "filename": "g.csv", "content_base64": content}
        return Client().post("/api/v1/comparison-trajectories/import", json.dumps(body),
                             content_type="application/json", **headers)  # fmt: skip

    refused = send(base64.b64encode(csv_file(bad)).decode())
    assert refused.status_code == 422
    assert [(p["row"], p["column"]) for p in refused.json()["problems"]] == [(3, "group")]
    assert send("not base64!").status_code == 422
    assert not Trajectory.objects.filter(cohort="comparison").exists()
    done = send(base64.b64encode(csv_file(good)).decode())
    assert done.status_code == 201 and done.json()["imported"] == 1


def test_the_caseload_list_leaves_comparison_youth_out_and_their_page_marks_them(
    world, programme, client_for
):  # type: ignore[no-untyped-def]
    trajectory = create_comparison(
        ComparisonCase(referred_on=dt.date(2024, 3, 1), date_of_birth=dt.date(2009, 1, 2),
                       reference="Vergelijking 2"),
        team=world.team_a, professional=world.professional, programme=programme,
    )  # fmt: skip
    client = client_for("professional")
    caseload = client.get("/youth/", **EN).content.decode()
    assert "Vergelijking 2" not in caseload
    assert world.youth_file.display_name in caseload  # no trajectory yet: still casework
    found = client.get("/youth/", {"q": "Vergelijking"}, **EN).content.decode()
    assert "Vergelijking 2" not in found
    page = client.get(f"/youth/{trajectory.youth_id}/", **EN)
    assert page.status_code == 200  # reachable from the comparison list
    assert "comparison group" in page.content.decode()
    assert (
        "comparison group"
        not in client.get(f"/youth/{world.youth_file.pk}/", **EN).content.decode()
    )
