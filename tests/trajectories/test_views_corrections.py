# ruff: noqa: F811 (the ``records`` fixture is imported, and requested by name)
"""Correcting mistakes: a person or a tie on the network map, and a goal of the care plan.

Removals are corrections of the record: confirmed on a page first, refused where the record
is evidence (a former nomination candidate, a goal that was worked on, a closed trajectory),
guarded by the version the page showed, and written to the audit log.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.trajectories.web_fixtures import Records, close, records  # noqa: F401
from yim.audit.models import AuditEvent
from yim.core.errors import DomainError
from yim.trajectories.models import Goal, GoalStatus, NetworkPerson, NetworkTie

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

OUTSIDERS = ["other_team_professional", "foreign_professional", "admin", "researcher"]
PORTAL = ["youth_user", "jim", "parent"]


def _person_url(records: Records, person: NetworkPerson, tail: str = "remove/") -> str:
    return f"/trajectories/youth/{records.youth.pk}/network/{person.pk}/{tail}"


def _tie(records: Records) -> NetworkTie:
    return NetworkTie.objects.get(youth=records.youth)


def _tie_url(records: Records, tail: str = "") -> str:
    return f"/trajectories/youth/{records.youth.pk}/network/ties/{_tie(records).pk}/{tail}"


def _goal(records: Records) -> Goal:
    return Goal.objects.get(plan=records.plan)


def _errors(response) -> str:  # type: ignore[no-untyped-def]
    """The refusal on a confirmation page: the model's (after a POST) or the one shown up front."""
    if response.context.get("refusal"):
        return str(response.context["refusal"])
    return " ".join(str(e) for e in response.context["form"].non_field_errors())


# --- a person added by mistake ----------------------------------------------------------


def test_a_person_added_by_mistake_is_removed_with_their_ties_after_confirmation(
    records, client_for
):
    client = client_for("professional")
    neighbour = records.neighbour
    page = client.get(_person_url(records, neighbour), **EN)
    assert page.status_code == 200
    assert "The person and their 1 tie with other people are removed." in page.content.decode()
    assert b"Remove</button>" in page.content
    assert NetworkPerson.objects.filter(pk=neighbour.pk).exists()  # a GET removes nothing

    response = client.post(_person_url(records, neighbour), {"version": neighbour.version})
    assert response.status_code == 302
    assert response["Location"] == f"/trajectories/youth/{records.youth.pk}/network/"
    assert not NetworkPerson.objects.filter(pk=neighbour.pk).exists()
    assert not NetworkTie.objects.filter(youth=records.youth).exists()
    assert NetworkPerson.objects.filter(pk=records.aunt.pk).exists()
    event = AuditEvent.objects.get(action="delete", object_type="networkperson")
    assert event.object_id == str(neighbour.pk)
    assert event.youth_id == records.youth.pk
    assert event.actor_id == records.case.world.professional.pk
    assert "1 ties removed" in event.detail


def test_a_former_nomination_candidate_cannot_be_removed(records, client_for):
    client = client_for("professional")
    aunt = records.aunt  # named, asked and accepted as the JIM
    page = client.get(_person_url(records, aunt), **EN)
    assert page.status_code == 200
    assert "the nomination history must stay" in _errors(page)
    assert b"Remove</button>" not in page.content  # no remove button to press
    response = client.post(_person_url(records, aunt), {"version": aunt.version}, **EN)
    assert response.status_code == 200
    assert "the nomination history must stay" in _errors(response)
    assert NetworkPerson.objects.filter(pk=aunt.pk).exists()
    assert NetworkTie.objects.filter(youth=records.youth).count() == 1
    assert not AuditEvent.objects.filter(action="delete").exists()


def test_a_candidate_who_refused_also_stays_on_the_map(make_case):
    case = make_case()
    case.explore()
    person = case.person("Oom Henk")
    round_ = case.trajectory.start_round(on=case.day(10))
    round_.add_candidate(person, named_on=case.day(10))
    with pytest.raises(DomainError) as refused:
        person.remove()
    assert "the nomination history must stay" in " ".join(refused.value.messages)
    assert NetworkPerson.objects.filter(pk=person.pk).exists()


def test_removing_a_person_someone_else_just_changed_is_refused(records, client_for):
    client = client_for("professional")
    neighbour = records.neighbour
    seen = neighbour.version
    neighbour.note = "changed in another tab"
    neighbour.save()
    response = client.post(_person_url(records, neighbour), {"version": seen}, **EN)
    assert response.status_code == 200
    assert "Someone else changed this record" in _errors(response)
    assert NetworkPerson.objects.filter(pk=neighbour.pk).exists()


def test_the_person_page_offers_the_removal(records, client_for):
    page = client_for("professional").get(_person_url(records, records.neighbour, ""), **EN)
    assert _person_url(records, records.neighbour) in page.content.decode()


# --- ties -------------------------------------------------------------------------------


def test_a_tie_is_changed_with_its_version(records, client_for):
    client = client_for("professional")
    tie = _tie(records)
    form = {
        "version": tie.version,
        "person_a": records.aunt.pk,
        "person_b": records.neighbour.pk,
        "conflict": "on",
        "note": "They argue about the fence",
    }
    response = client.post(_tie_url(records), form)
    assert response.status_code == 302
    tie.refresh_from_db()
    assert tie.conflict and tie.note == "They argue about the fence" and tie.version == 2
    assert AuditEvent.objects.filter(
        action="update", object_type="networktie", object_id=str(tie.pk)
    ).exists()

    stale = client.post(_tie_url(records), {**form, "note": "an older edit"}, **EN)
    assert stale.status_code == 200
    assert "Someone else changed this record" in _errors(stale)
    tie.refresh_from_db()
    assert tie.note == "They argue about the fence"


def test_a_tie_cannot_be_changed_into_a_tie_of_a_person_with_themselves(records, client_for):
    tie = _tie(records)
    response = client_for("professional").post(
        _tie_url(records),
        {"version": tie.version, "person_a": records.aunt.pk, "person_b": records.aunt.pk},
        **EN,
    )
    assert response.status_code == 200
    assert "A tie connects two different people." in " ".join(
        response.context["form"].errors["person_b"]
    )
    tie.refresh_from_db()
    assert tie.person_b_id == max(records.aunt.pk, records.neighbour.pk)


def test_a_tie_is_removed_after_confirmation_and_both_people_stay(records, client_for):
    client = client_for("professional")
    tie = _tie(records)
    page = client.get(_tie_url(records, "remove/"), **EN)
    assert page.status_code == 200
    assert "only the tie between them is removed" in page.content.decode()
    response = client.post(_tie_url(records, "remove/"), {"version": tie.version})
    assert response.status_code == 302
    assert not NetworkTie.objects.filter(pk=tie.pk).exists()
    assert NetworkPerson.objects.filter(youth=records.youth).count() == 2
    event = AuditEvent.objects.get(action="delete", object_type="networktie")
    assert event.object_id == str(tie.pk) and event.youth_id == records.youth.pk


# --- goals ------------------------------------------------------------------------------


def test_an_open_goal_added_by_mistake_is_removed(records, client_for):
    client = client_for("professional")
    goal = _goal(records)
    url = f"/trajectories/goals/{goal.pk}/remove/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"version": goal.version})
    assert response.status_code == 302
    assert response["Location"] == f"/trajectories/{records.trajectory.pk}/#care-plan"
    assert not Goal.objects.filter(pk=goal.pk).exists()
    event = AuditEvent.objects.get(action="delete", object_type="goal")
    assert event.object_id == str(goal.pk) and event.youth_id == records.youth.pk


@pytest.mark.parametrize(
    "status", [GoalStatus.IN_PROGRESS, GoalStatus.ACHIEVED, GoalStatus.PARTLY_ACHIEVED]
)
def test_a_goal_that_was_worked_on_is_not_removed(records, client_for, status):
    goal = _goal(records)
    goal.status = status
    goal.save()
    url = f"/trajectories/goals/{goal.pk}/remove/"
    client = client_for("professional")
    assert "set its status to Dropped instead" in _errors(client.get(url, **EN))
    response = client.post(url, {"version": goal.version}, **EN)
    assert response.status_code == 200
    assert "Only an open goal can be removed." in _errors(response)
    assert Goal.objects.filter(pk=goal.pk).exists()


def test_a_goal_of_a_closed_trajectory_is_not_removed(records, client_for):
    goal = _goal(records)
    close(records.case)
    url = f"/trajectories/goals/{goal.pk}/remove/"
    response = client_for("professional").post(url, {"version": goal.version}, **EN)
    assert response.status_code == 200
    assert "This trajectory is closed and can no longer be changed." in _errors(response)
    assert Goal.objects.filter(pk=goal.pk).exists()
    assert not AuditEvent.objects.filter(action="delete").exists()


def test_the_goal_page_offers_the_removal(records, client_for):
    goal = _goal(records)
    page = client_for("professional").get(f"/trajectories/goals/{goal.pk}/")
    assert f"/trajectories/goals/{goal.pk}/remove/" in page.content.decode()


# --- who may ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", [*OUTSIDERS, *PORTAL])
def test_only_the_youths_own_team_corrects_the_record(records, client_for, persona):
    client = client_for(persona)
    tie = _tie(records)
    goal = _goal(records)
    neighbour = records.neighbour
    for url, data in [
        (_person_url(records, neighbour), {"version": neighbour.version}),
        (_tie_url(records), {"version": tie.version, "note": "x"}),
        (_tie_url(records, "remove/"), {"version": tie.version}),
        (f"/trajectories/goals/{goal.pk}/remove/", {"version": goal.version}),
    ]:
        assert client.get(url).status_code == 404, (persona, url)
        assert client.post(url, data).status_code == 404, (persona, url)
    assert NetworkPerson.objects.filter(pk=neighbour.pk).exists()
    assert NetworkTie.objects.filter(pk=tie.pk).exists()
    assert Goal.objects.filter(pk=goal.pk).exists()
    assert not AuditEvent.objects.filter(action="delete").exists()


def test_the_team_lead_may_correct_too(records, client_for):
    neighbour = records.neighbour
    response = client_for("team_lead").post(
        _person_url(records, neighbour), {"version": neighbour.version}
    )
    assert response.status_code == 302
    assert not NetworkPerson.objects.filter(pk=neighbour.pk).exists()


def test_break_the_glass_reads_but_does_not_remove(records, client_for):
    client = client_for("other_team_professional")
    client.post(
        "/youth/break-glass/",
        {"youth_id": records.youth.pk, "reason": "Crisis call at night, file needed"},
    )
    assert client.get(f"/trajectories/youth/{records.youth.pk}/network/").status_code == 200
    neighbour = records.neighbour
    response = client.post(_person_url(records, neighbour), {"version": neighbour.version})
    assert response.status_code == 404
    assert NetworkPerson.objects.filter(pk=neighbour.pk).exists()


def test_a_person_of_another_youth_is_not_found_through_this_youth(records, client_for, world):
    other = NetworkPerson.objects.create(
        youth=world.youth_file, display_name="Elders", relation="neighbour", age_band="40_64"
    )
    response = client_for("professional").post(
        _person_url(records, other), {"version": other.version}
    )
    assert response.status_code == 404
    assert NetworkPerson.objects.filter(pk=other.pk).exists()


# --- the candidate page's forms -----------------------------------------------------------


class _FormsAndLabels(HTMLParser):
    """Every element id on a page, and per label the form it stands in."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.form_of_id: dict[str, int] = {}
        self.labels: list[tuple[str, int | None]] = []  # (for, form number)
        self._form: int | None = None
        self._forms = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self._forms += 1
            self._form = self._forms
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
            self.form_of_id[str(attributes["id"])] = self._form or 0
        if tag == "label" and attributes.get("for"):
            self.labels.append((str(attributes["for"]), self._form))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def test_every_label_on_the_candidate_page_points_at_the_field_of_its_own_form(
    make_case, client_for
):
    """An active JIM: the page offers stopping and correcting the answer, two forms with a
    field ``reason`` (and a ``version`` each)."""
    case = make_case(age_years=15)
    case.explore()
    jim = case.jim(30)
    page = client_for("professional").get(f"/trajectories/candidates/{jim.pk}/", **EN)
    html = page.content.decode()
    assert html.count('name="reason"') == 2  # the case the test is about
    parsed = _FormsAndLabels()
    parsed.feed(html)
    assert [i for i in parsed.ids if parsed.ids.count(i) > 1] == []
    for target, form in parsed.labels:
        assert parsed.form_of_id[target] == form, target
