"""A questionnaire in the portal: start, leave halfway, resume, submit — and bad input."""

from __future__ import annotations

import pytest

from tests.conftest import signed_in
from yim.monitoring.models import Assessment

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PAGE1 = {"item_close": 4, "item_understood": 5, "item_distant": 2, "item_can_turn_to": 4}
PAGE2 = {
    "item_practical_help": 3,
    "item_stands_up": 4,
    "item_own_choices": 5,
    "item_listens_to_ideas": 4,
}
PAGE3 = {"item_decides_for_me": 1, "item_contact": 4}


def _start(client, portal):  # type: ignore[no-untyped-def]
    response = client.post(
        f"/portal/{portal.a.youth.pk}/questionnaires/start/", {"instrument": "relationship_quality"}
    )
    assert response.status_code == 302
    assessment = Assessment.objects.get(respondent__username="youth")
    return assessment, response


def _post(client, assessment, page, data, action="next", **extra):  # type: ignore[no-untyped-def]
    assessment.refresh_from_db()
    body = {"version": assessment.version, "action": action, "page": page, **data}
    return client.post(f"/monitoring/questionnaires/{assessment.pk}/fill/", body, **extra)


def test_a_youth_stops_halfway_resumes_where_they_left_and_submits(portal):
    client = signed_in(portal.world.youth_user)
    home = client.get(f"/portal/{portal.a.youth.pk}/", **EN)
    # The indicated programme offers these youth-filled questionnaires (programmes 0003).
    assert [q["instrument"].code for q in home.context["questionnaires"]] == [
        "relationship_quality",
        "resilience_support",
        "satisfaction",
    ]
    assessment, started = _start(client, portal)
    assert started["Location"].endswith(f"/questionnaires/{assessment.pk}/")
    assert client.get(started["Location"])["Location"].endswith("/fill/?page=1")

    assert _post(client, assessment, 1, PAGE1)["Location"].endswith("/fill/?page=2")
    stopped = _post(client, assessment, 2, {"item_practical_help": 3}, action="stop")
    assert stopped["Location"] == f"/portal/{portal.a.youth.pk}/"

    # Later, on another device: resume lands on page 2 with the saved answer filled in.
    again = signed_in(portal.world.youth_user)
    resume = again.get(f"/monitoring/questionnaires/{assessment.pk}/")
    assert resume["Location"].endswith("/fill/?page=2")
    page2 = again.get(resume["Location"])
    assert page2.context["form"].initial["item_practical_help"] == 3
    _post(again, assessment, 2, PAGE2)
    done = _post(again, assessment, 3, PAGE3, action="submit")
    assert done["Location"].endswith(f"/questionnaires/{assessment.pk}/done/")
    assessment.refresh_from_db()
    assert assessment.is_submitted
    assert assessment.scores["relatedness"] == pytest.approx(
        (4 + 5 + 4) / 3, abs=1e-4
    )  # 'distant' reversed
    assert assessment.scores["contact_frequency"] == 4


def test_submitting_twice_gives_a_clear_message_and_changes_nothing(portal):
    client = signed_in(portal.world.youth_user)
    assessment, _ = _start(client, portal)
    for page, data in ((1, PAGE1), (2, PAGE2)):
        _post(client, assessment, page, data)
    stale_version = Assessment.objects.get(pk=assessment.pk).version
    _post(client, assessment, 3, PAGE3, action="submit")
    second = client.post(
        f"/monitoring/questionnaires/{assessment.pk}/fill/",
        {"version": stale_version, "action": "submit", "page": 3, "item_contact": 1},
        follow=True,
        **EN,
    )
    assert second.status_code == 200
    assert "already been submitted" in second.content.decode()
    assessment.refresh_from_db()
    assert assessment.answers_dict()["item_contact".removeprefix("item_")] == 4
    # Starting it again from the portal also ends on the "done" page.
    restarted = client.post(
        f"/portal/{portal.a.youth.pk}/questionnaires/start/",
        {"instrument": "relationship_quality"},
    )
    assert restarted["Location"].endswith("/done/")


def test_an_answer_out_of_range_is_refused_on_the_field_and_saved_answers_stay(portal):
    client = signed_in(portal.world.youth_user)
    assessment, _ = _start(client, portal)
    _post(client, assessment, 1, PAGE1)
    response = _post(client, assessment, 2, {**PAGE2, "item_stands_up": 9}, **EN)
    assert response.status_code == 400
    assert "Choose an answer from 1 to 5." in str(response.context["form"].errors["item_stands_up"])
    assessment.refresh_from_db()
    assert assessment.answers_dict() == {k.removeprefix("item_"): v for k, v in PAGE1.items()}


def test_submitting_with_a_required_question_open_sends_the_youth_back_to_it(portal):
    client = signed_in(portal.world.youth_user)
    assessment, _ = _start(client, portal)
    _post(client, assessment, 1, {k: v for k, v in PAGE1.items() if k != "item_close"})
    _post(client, assessment, 2, PAGE2)
    response = _post(client, assessment, 3, PAGE3, action="submit")
    assert response["Location"].endswith("/fill/?page=1#item_close")
    assessment.refresh_from_db()
    assert assessment.status == "draft"
    assert assessment.answers_dict()["contact"] == 4


def test_a_jim_gives_feedback_on_a_meeting_and_the_professional_reads_it(portal):
    world = portal.world
    jim = signed_in(world.jim)
    response = jim.post(
        f"/portal/{portal.a.youth.pk}/questionnaires/start/",
        {"instrument": "stakeholder_feedback", "meeting": portal.a.evaluation.pk},
    )
    assessment = Assessment.objects.get(respondent=world.jim)
    assert assessment.meeting == portal.a.evaluation
    jim.get(response["Location"])
    _post(
        jim,
        assessment,
        1,
        {
            "item_heard": 2,
            "item_useful": 4,
            "item_what_helped": "The plan",
            "item_what_should_change": "Less talk",
        },
        action="submit",
    )
    prof = signed_in(world.professional)
    page = prof.get(f"/monitoring/youth/{portal.a.youth.pk}/", **EN)
    assert page.status_code == 200
    assert "Less talk" in page.content.decode()
    jim_row = next(s for s in page.context["feedback_summary"] if s.role == "jim")
    assert (jim_row.count, jim_row.means["heard"]) == (1, 2.0)
    # Another team's professional does not reach this page.
    assert (
        signed_in(world.other_team_professional)
        .get(f"/monitoring/youth/{portal.a.youth.pk}/")
        .status_code
        == 404
    )
    # Feedback on a meeting of another youth is not found.
    other = jim.post(
        f"/portal/{portal.a.youth.pk}/questionnaires/start/",
        {"instrument": "stakeholder_feedback", "meeting": portal.b.evaluation.pk},
    )
    assert other.status_code == 404
