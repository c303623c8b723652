"""Bad input through the pages: a clear message on the field, and nothing already saved lost.

Messages are checked on their English msgids (the Dutch catalogue is the lead's).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.trajectories.conftest import at
from tests.trajectories.web_fixtures import close, records  # noqa: F401
from yim.programmes.models import ProgrammeModel
from yim.trajectories.models import Candidate, Meeting, Phase, Trajectory, Youth

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def errors(response, field: str = "__all__") -> str:  # type: ignore[no-untyped-def]
    form = response.context["form"]
    return " ".join(str(m) for m in form.errors.get(field, []))


def intake_data(**overrides: object) -> dict[str, object]:
    today = timezone.localdate()
    return {
        "display_name": "Jesse P.",
        "date_of_birth": "2010-03-01",
        "programme": ProgrammeModel.standard("indicated").pk,
        "referred_on": today.isoformat(),
        "referral_source": "school",
        "referral_reason": "Dropout and conflicts at home.",
        "requested_placement": "none",
        "placement_basis": "",
        **overrides,
    }


def test_a_date_of_birth_in_the_future_is_refused_on_the_field_and_nothing_is_saved(
    world, client_for
):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client_for("professional").post(
        "/trajectories/intake/", intake_data(date_of_birth=tomorrow.isoformat()), **EN
    )
    assert response.status_code == 200
    assert "This date lies in the future." in errors(response, "date_of_birth")
    assert not Youth.objects.filter(display_name="Jesse P.").exists()
    assert 'value="Jesse P."' in response.content.decode()  # what was typed stays


def test_a_referral_before_the_birth_is_refused_and_the_youth_is_not_half_saved(world, client_for):
    response = client_for("professional").post(
        "/trajectories/intake/", intake_data(referred_on="2009-01-01"), **EN
    )
    assert "before the youth's date of birth" in errors(response, "referred_on")
    assert not Youth.objects.filter(display_name="Jesse P.").exists()
    assert not Trajectory.objects.filter(youth__display_name="Jesse P.").exists()


def test_a_meeting_dated_in_the_future_keeps_the_stored_meeting(records, client_for):  # noqa: F811
    meeting = records.meeting
    response = client_for("professional").post(
        f"/trajectories/meetings/{meeting.pk}/",
        {
            "action": "meeting",
            "version": meeting.version,
            "kind": "positioning",
            "held_on": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
            "decisions": "A new decision",
        },
        **EN,
    )
    assert "This date lies in the future." in errors(response, "held_on")
    stored = Meeting.objects.get(pk=meeting.pk)
    assert stored.held_on == meeting.held_on and stored.decisions == ""
    assert "A new decision" in response.content.decode()


def test_a_parent_cannot_be_named_as_candidate(make_case, client_for):
    case = make_case()
    case.explore()
    mother = case.person("Moeder", relation="parent")
    response = client_for("professional").post(
        f"/trajectories/{case.trajectory.pk}/candidates/add/",
        {"person": mother.pk, "named_on": timezone.localdate().isoformat()},
        **EN,
    )
    assert "can never be the JIM" in errors(response, "person")
    assert not Candidate.objects.filter(person=mother).exists()


def test_naming_the_same_person_twice_in_a_round_says_so_in_dutch(make_case, client_for):
    """Before, Django's generic message came out half English: "…Round en Persoon bestaat al."."""
    case = make_case()
    case.explore()
    aunt = case.person("Tante", relation="aunt_uncle")
    client = client_for("professional")
    path = f"/trajectories/{case.trajectory.pk}/candidates/add/"
    data = {"person": aunt.pk, "named_on": timezone.localdate().isoformat()}
    assert client.post(path, data).status_code == 302
    response = client.post(path, data)
    assert "Deze persoon is in deze ronde al kandidaat." in response.content.decode()
    assert "Round" not in errors(response) + errors(response, "person")
    assert Candidate.objects.filter(person=aunt).count() == 1


def test_consent_by_the_wrong_party_for_the_age_is_refused_on_the_party(make_case, client_for):
    case = make_case(age_years=17)
    case.explore()
    jim = case.jim(30)
    response = client_for("professional").post(
        f"/trajectories/candidates/{jim.pk}/consent/",
        {
            "party": "parent",
            "parent_name": "Petra",
            "decision": "yes",
            "given_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
        **EN,
    )
    assert "consent is given by the youth alone" in errors(response, "party")
    assert not jim.consents.exists()


def test_a_second_active_jim_is_refused_on_the_response(make_case, client_for):
    case = make_case()
    case.explore()
    round_ = case.trajectory.start_round(on=case.day(10))
    first = round_.add_candidate(case.person("Tante Ria"), named_on=case.day(10))
    second = round_.add_candidate(case.person("Oom Jan"), named_on=case.day(10))
    first.record_response("accepted", case.day(20), asked_on=case.day(15))
    response = client_for("professional").post(
        f"/trajectories/candidates/{second.pk}/",
        {
            "action": "response",
            "version": second.version,
            "response": "accepted",
            "asked_on": case.day(15).isoformat(),
            "response_on": case.day(21).isoformat(),
        },
        **EN,
    )
    form = response.context["forms"]["response"]
    assert "Tante Ria is already this youth's JIM" in " ".join(form.errors["response"])
    second.refresh_from_db()
    assert second.response == "pending"


def test_editing_a_closed_trajectory_is_refused_with_a_message(records, client_for):  # noqa: F811
    close(records.case)
    trajectory = Trajectory.objects.get(pk=records.trajectory.pk)
    response = client_for("professional").post(
        f"/trajectories/{trajectory.pk}/referral/",
        {
            "version": trajectory.version,
            "referred_on": trajectory.referred_on.isoformat(),
            "referral_source": "school",
            "referral_reason": "Changed after closure",
            "requested_placement": "residential",
            "placement_basis": "indicated",
        },
        **EN,
    )
    assert "This trajectory is closed and can no longer be changed." in errors(response)
    assert Trajectory.objects.get(pk=trajectory.pk).referral_reason != "Changed after closure"
    response = client_for("professional").post(
        f"/trajectories/meetings/{records.meeting.pk}/",
        {
            "action": "meeting",
            "version": records.meeting.version,
            "kind": "positioning",
            "held_on": records.meeting.held_on.isoformat(),
            "decisions": "After closure",
        },
        **EN,
    )
    assert "closed" in errors(response)


def test_the_second_of_two_concurrent_edits_is_refused_and_keeps_its_text(records, client_for):  # noqa: F811
    meeting = records.meeting
    first, second = client_for("professional"), client_for("team_lead")
    rendered = [c.get(f"/trajectories/meetings/{meeting.pk}/") for c in (first, second)]
    versions = [r.context["form"]["version"].value() for r in rendered]
    assert versions == [1, 1]

    def save(client, text: str):  # type: ignore[no-untyped-def]
        return client.post(
            f"/trajectories/meetings/{meeting.pk}/",
            {
                "action": "meeting",
                "version": 1,
                "kind": "positioning",
                "held_on": meeting.held_on.isoformat(),
                "decisions": text,
            },
            **EN,
        )

    assert save(first, "First professional's decisions").status_code == 302
    refused = save(second, "Second professional's decisions")
    assert refused.status_code == 200
    assert "Someone else changed this record" in errors(refused)
    assert "Second professional&#x27;s decisions" in refused.content.decode()
    assert Meeting.objects.get(pk=meeting.pk).decisions == "First professional's decisions"


def test_a_stale_phase_move_is_refused(records, client_for):  # noqa: F811
    trajectory = records.trajectory
    stale = trajectory.version
    trajectory.advance_to(Phase.CANDIDATES, at=at(trajectory.started_on + dt.timedelta(days=90)))
    response = client_for("professional").post(
        f"/trajectories/{trajectory.pk}/phase/",
        {"phase": "network_exploration", "version": stale},
        **EN,
    )
    assert "Someone else changed this record" in errors(response)
    assert Trajectory.objects.get(pk=trajectory.pk).phase == Phase.CANDIDATES


def test_the_placement_gate_shows_its_message_and_keeps_the_draft(records, client_for):  # noqa: F811
    decision = records.decision
    response = client_for("professional").post(
        f"/trajectories/placements/{decision.pk}/",
        {"action": "finalise", "version": decision.version},
        **EN,
    )
    form = response.context["forms"]["finalise"]
    assert "before the JIM has been consulted" in " ".join(form.non_field_errors())
    decision.refresh_from_db()
    assert decision.status == "draft"


def test_a_four_megabyte_note_is_refused_on_its_field_and_the_meeting_is_kept(records, client_for):  # noqa: F811
    """Security finding 9: free text took 4 MB. Now the field says how long it may be."""
    meeting = records.meeting
    huge = "x" * (4 * 1024 * 1024)
    response = client_for("professional").post(
        f"/trajectories/meetings/{meeting.pk}/",
        {
            "action": "meeting",
            "version": meeting.version,
            "kind": "positioning",
            "held_on": meeting.held_on.isoformat(),
            "decisions": huge,
        },
        **EN,
    )
    assert "This text is too long: at most 20000 characters" in errors(response, "decisions")
    stored = Meeting.objects.get(pk=meeting.pk)
    assert stored.decisions == "" and stored.version == meeting.version
