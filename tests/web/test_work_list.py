"""The Start page's work list ("What next"): what is due across the caseload, with links;
tasks disappear when they are done; comparison trajectories are no casework."""

from __future__ import annotations

import pytest

from tests.trajectories.conftest import indicated, make_case  # noqa: F401 - fixtures
from yim.trajectories.models import Cohort, Trajectory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _items(client) -> list[str]:  # type: ignore[no-untyped-def]
    work = client.get("/home/", **EN).context["work"]
    return [f"{i.what} | {i.youth}" for i in work.items]


def test_a_candidates_answer_is_a_task_until_a_jim_is_found(make_case, client_for):  # noqa: F811
    case = make_case()
    case.explore()
    round_ = case.trajectory.start_round(on=case.day(10))
    jayden = round_.add_candidate(case.person("Jayden"), named_on=case.day(10))
    aunt = round_.add_candidate(case.person("Tante Ria"), named_on=case.day(10))
    professional = client_for("professional")
    assert "Record the response of Jayden | Lina T." in _items(professional)
    aunt.record_response("accepted", case.day(20), asked_on=case.day(15))
    items = _items(professional)
    assert not any("Jayden" in i for i in items)  # the round closed with a JIM found
    assert "Record consent for Tante Ria | Lina T." in items
    case.consent(aunt, 25)
    assert not any("consent" in i.lower() for i in _items(professional))
    # The trajectory page's task list agrees.
    page = professional.get(f"/trajectories/{case.trajectory.pk}/", **EN)
    assert "Record the response of Jayden" not in page.content.decode()
    assert jayden.response == "pending"


def test_an_overdue_evaluation_is_listed_first_and_marked(make_case, client_for):  # noqa: F811
    case = make_case(started_days_ago=200)
    jim = case.jim(30)
    case.consent(jim, 32)
    work = client_for("professional").get("/home/", **EN).context["work"]
    first = work.items[0]
    assert (first.what, first.overdue) == ("Evaluation", True)
    assert first.url == f"/trajectories/{case.trajectory.pk}/"


def test_comparison_trajectories_are_no_casework(make_case, client_for):  # noqa: F811
    case = make_case(started_days_ago=200)
    Trajectory.objects.filter(pk=case.trajectory.pk).update(cohort=Cohort.COMPARISON)
    assert _items(client_for("professional")) == []


def test_an_empty_work_list_says_everything_is_up_to_date(world, client_for):
    page = client_for("professional").get("/home/", **EN)
    assert page.context["work"].items == []
    assert "Nothing is due" in page.content.decode()


@pytest.mark.parametrize("persona", ["admin", "researcher", "youth_user", "jim", "parent"])
def test_only_professionals_and_team_leads_have_a_work_list(world, client_for, persona):
    assert client_for(persona).get("/home/").context["work"] is None


def test_the_team_lead_sees_the_teams_figure(make_case, client_for):  # noqa: F811
    case = make_case(started_days_ago=200)
    work = client_for("team_lead").get("/home/", **EN).context["work"]
    assert work.figures == {"open": 1, "with_jim": 0, "overdue": 1}
    other = client_for("other_team_professional").get("/home/", **EN).context["work"]
    assert other.figures["open"] == 0
    assert case.trajectory.youth.display_name not in str(other.items)
