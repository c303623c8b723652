"""Creating, copying, editing and (de)activating an organisation's own programmes."""

from __future__ import annotations

import pytest

from tests.programmes.conftest import EN, form_data, make_programme, start_trajectory
from yim.audit.models import AuditEvent
from yim.programmes.models import ProgrammeModel
from yim.trajectories.models import Phase

pytestmark = pytest.mark.django_db


def errors(response, field: str = "__all__") -> str:  # type: ignore[no-untyped-def]
    return " ".join(str(m) for m in response.context["form"].errors.get(field, []))


def programme_events(programme: ProgrammeModel) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type="programmemodel", object_id=str(programme.pk)
        ).order_by("id")
    )


# --- create ---------------------------------------------------------------------------------


def test_the_admin_creates_a_programme_with_the_required_phases_added(world, client_for):
    response = client_for("admin").post("/programmes/new/", form_data(), **EN)
    assert response.status_code == 302 and response["Location"] == "/programmes/"
    programme = ProgrammeModel.objects.get(organisation=world.org, code="wijk")
    assert programme.phases == [
        "referral",
        "network_exploration",
        "candidates",
        "consent",
        "closure",
    ]
    assert programme.evaluation_interval_months == 3
    assert programme.instruments == ["satisfaction", "stakeholder_feedback"]
    assert programme.prevention_level == "universal" and programme.is_active
    assert programme.version == 1


def test_creating_a_programme_is_audited_without_a_youth(world, client_for):
    client_for("admin").post("/programmes/new/", form_data())
    programme = ProgrammeModel.objects.get(organisation=world.org, code="wijk")
    [event] = programme_events(programme)
    assert event.action == "create"
    assert event.youth_id is None
    assert event.organisation_id == world.org.pk
    assert event.actor_id == world.admin.pk
    assert "wijk" in event.detail and "Wijkaanpak" in event.detail


def test_a_duplicate_code_in_the_organisation_is_refused_on_the_code_field(
    world, client_for, own_programme
):
    response = client_for("admin").post("/programmes/new/", form_data(code="eigen"), **EN)
    assert response.status_code == 200
    assert "Your organisation already has a programme with the code eigen." in errors(
        response, "code"
    )
    assert response.context["form"]["name"].value() == "Wijkaanpak"  # what was typed stays
    assert ProgrammeModel.objects.filter(organisation=world.org, code="eigen").count() == 1


def test_another_organisation_may_use_the_same_code(world, client_for, foreign_programme):
    response = client_for("admin").post("/programmes/new/", form_data(code="vreemd"))
    assert response.status_code == 302
    assert ProgrammeModel.objects.filter(code="vreemd").count() == 2


def test_the_phase_checkboxes_come_in_the_canonical_order_with_required_ones_disabled(
    world, client_for
):
    response = client_for("admin").get("/programmes/new/")
    html = response.content.decode()
    positions = [html.index(f'value="{p}"') for p in Phase.values]
    assert positions == sorted(positions)
    for phase in ("referral", "closure"):
        tag = html[html.rindex("<input", 0, html.index(f'value="{phase}"')) :]
        tag = tag[: tag.index(">")]
        assert "disabled" in tag and "checked" in tag, tag
    tag = html[html.rindex("<input", 0, html.index('value="positioning"')) :]
    assert "disabled" not in tag[: tag.index(">")]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"phases": ["candidates", "dancing"]}, "phases", "Unknown phase(s): dancing."),
        (
            {"evaluation_interval_months": "0"},
            "evaluation_interval_months",
            "The evaluation interval must be between 1 and 12 months.",
        ),
        (
            {"evaluation_interval_months": "13"},
            "evaluation_interval_months",
            "The evaluation interval must be between 1 and 12 months.",
        ),
        (
            {"instruments": ["satisfaction", "made_up_list"]},
            "instruments",
            "There is no instrument with the code made_up_list.",
        ),
        ({"code": "not a slug!"}, "code", "slug"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_saved(
    world, client_for, overrides, field, message
):
    response = client_for("admin").post("/programmes/new/", form_data(**overrides), **EN)
    assert response.status_code == 200
    assert message in errors(response, field)
    assert not ProgrammeModel.objects.filter(organisation=world.org).exists()
    assert response.context["form"]["name"].value() == "Wijkaanpak"


def test_the_form_offers_only_instruments_from_the_registry_with_their_titles(world, client_for):
    from yim.monitoring.instruments import registry

    form = client_for("admin").get("/programmes/new/", **EN).context["form"]
    choices = dict(form.fields["instruments"].choices)
    assert set(choices) == set(registry())
    assert choices["satisfaction"] == "Satisfaction with the help"


# --- copy -----------------------------------------------------------------------------------


def test_copy_starts_the_form_from_a_standard_programme(world, client_for):
    standard = ProgrammeModel.standard("selective")
    response = client_for("admin").get(f"/programmes/{standard.pk}/copy/", **EN)
    form = response.context["form"]
    assert form["phases"].value() == standard.phases
    assert form["instruments"].value() == standard.instruments
    assert form["evaluation_interval_months"].value() == standard.evaluation_interval_months
    assert form["code"].value() == "selective-copy"


def test_saving_a_copy_makes_an_own_programme_and_leaves_the_original_alone(world, client_for):
    standard = ProgrammeModel.standard("indicated")
    data = form_data(standard, code="indicated", name="Indicated, our way")
    data.pop("version")
    data["evaluation_interval_months"] = "1"
    response = client_for("admin").post(f"/programmes/{standard.pk}/copy/", data)
    assert response.status_code == 302
    own = ProgrammeModel.objects.get(organisation=world.org, code="indicated")
    assert own.phases == standard.phases and own.instruments == standard.instruments
    assert own.evaluation_interval_months == 1
    standard.refresh_from_db()
    assert standard.evaluation_interval_months == 2 and standard.organisation_id is None
    [event] = programme_events(own)
    assert event.action == "create" and "copy of indicated" in event.detail


# --- edit -----------------------------------------------------------------------------------


def test_the_admin_edits_an_own_programme_and_the_change_is_audited(
    world, client_for, own_programme
):
    data = form_data(own_programme, name="Eigen aanpak 2", instruments=["risk_domains"])
    response = client_for("admin").post(f"/programmes/{own_programme.pk}/", data)
    assert response.status_code == 302
    own_programme.refresh_from_db()
    assert own_programme.name == "Eigen aanpak 2"
    assert own_programme.instruments == ["risk_domains"]
    assert own_programme.version == 2
    [event] = programme_events(own_programme)
    assert event.action == "update" and event.youth_id is None
    assert "eigen" in event.detail and "name Eigen aanpak -> Eigen aanpak 2" in event.detail
    assert "instruments +risk_domains -satisfaction" in event.detail


def test_removing_a_phase_a_trajectory_is_in_is_refused_with_the_number_of_trajectories(
    world, client_for, own_programme
):
    for youth in (world.youth_file, world.other_youth_file):
        start_trajectory(world, own_programme, youth).advance_to(Phase.NETWORK_EXPLORATION)
    data = form_data(own_programme, phases=["candidates", "consent"])
    response = client_for("admin").post(f"/programmes/{own_programme.pk}/", data, **EN)
    assert response.status_code == 200
    assert (
        "2 trajectories using this programme are in the phase(s) Network exploration now"
        in errors(response, "phases")
    )
    own_programme.refresh_from_db()
    assert "network_exploration" in own_programme.phases and own_programme.version == 1
    assert response.context["form"]["phases"].value() == ["candidates", "consent"]  # as typed
    assert not programme_events(own_programme)


def test_removing_a_phase_no_trajectory_is_in_is_allowed_while_the_programme_is_in_use(
    world, client_for, own_programme
):
    start_trajectory(world, own_programme)  # in referral
    data = form_data(own_programme, phases=["network_exploration", "consent"])
    assert client_for("admin").post(f"/programmes/{own_programme.pk}/", data).status_code == 302
    own_programme.refresh_from_db()
    assert own_programme.phases == ["referral", "network_exploration", "consent", "closure"]


def test_changing_the_cadence_of_a_programme_in_use_says_due_dates_move(
    world, client_for, own_programme
):
    start_trajectory(world, own_programme)
    client = client_for("admin")
    page = client.get(f"/programmes/{own_programme.pk}/", **EN)
    help_text = str(page.context["form"].fields["evaluation_interval_months"].help_text)
    assert "moves the due dates of the evaluations of the 1 running trajectory" in help_text
    data = form_data(own_programme, evaluation_interval_months="4")
    response = client.post(f"/programmes/{own_programme.pk}/", data, follow=True, **EN)
    shown = [str(m) for m in response.context["messages"]]
    assert any("due dates of the evaluations of running trajectories" in m for m in shown)
    own_programme.refresh_from_db()
    assert own_programme.evaluation_interval_months == 4


def test_a_stale_save_is_refused_and_the_form_keeps_what_was_typed(
    world, client_for, own_programme
):
    client = client_for("admin")
    opened = client.get(f"/programmes/{own_programme.pk}/").context["form"]
    assert opened["version"].value() == 1
    # Meanwhile another admin saves the programme.
    other = ProgrammeModel.objects.get(pk=own_programme.pk)
    other.description = "Saved first by a colleague."
    other.save()
    data = form_data(own_programme, name="My late edit", version="1")
    response = client.post(f"/programmes/{own_programme.pk}/", data, **EN)
    assert response.status_code == 200
    assert "Someone else changed this record while you were editing it." in errors(response)
    assert response.context["form"]["name"].value() == "My late edit"
    assert response.context["programme"].name == "Eigen aanpak"  # the title shows what is saved
    own_programme.refresh_from_db()
    assert own_programme.name == "Eigen aanpak"
    assert own_programme.description == "Saved first by a colleague."
    assert own_programme.version == 2
    assert not programme_events(own_programme)


def test_an_edit_without_a_version_is_refused_on_the_form(world, client_for, own_programme):
    data = form_data(own_programme, name="No version")
    data.pop("version")
    response = client_for("admin").post(f"/programmes/{own_programme.pk}/", data)
    assert response.status_code == 200 and response.context["form"].errors["version"]
    own_programme.refresh_from_db()
    assert own_programme.name == "Eigen aanpak"


# --- deactivate and reactivate ------------------------------------------------------------


def intake_programmes(client) -> list[ProgrammeModel]:  # type: ignore[no-untyped-def]
    return list(client.get("/trajectories/intake/").context["form"].fields["programme"].queryset)


def test_a_deactivated_programme_is_no_longer_offered_at_intake(world, client_for, own_programme):
    professional = client_for("professional")
    assert own_programme in intake_programmes(professional)
    response = client_for("admin").post(f"/programmes/{own_programme.pk}/deactivate/")
    assert response.status_code == 302
    own_programme.refresh_from_db()
    assert not own_programme.is_active
    offered = intake_programmes(professional)
    assert own_programme not in offered
    assert ProgrammeModel.standard("indicated") in offered


def test_trajectories_keep_a_deactivated_programme(world, client_for, own_programme):
    trajectory = start_trajectory(world, own_programme)
    client_for("admin").post(f"/programmes/{own_programme.pk}/deactivate/")
    trajectory.refresh_from_db()
    assert trajectory.programme_id == own_programme.pk
    assert client_for("professional").get(f"/trajectories/{trajectory.pk}/").status_code == 200


def test_reactivating_offers_the_programme_again_and_both_are_audited(
    world, client_for, own_programme
):
    admin = client_for("admin")
    admin.post(f"/programmes/{own_programme.pk}/deactivate/")
    admin.post(f"/programmes/{own_programme.pk}/reactivate/")
    own_programme.refresh_from_db()
    assert own_programme.is_active and own_programme.version == 3
    assert own_programme in intake_programmes(client_for("professional"))
    events = programme_events(own_programme)
    assert [e.action for e in events] == ["update", "update"]
    assert [e.detail.rsplit(": ", 1)[1] for e in events] == ["deactivated", "reactivated"]


def test_deactivating_twice_writes_one_audit_row(world, client_for, own_programme):
    admin = client_for("admin")
    admin.post(f"/programmes/{own_programme.pk}/deactivate/")
    admin.post(f"/programmes/{own_programme.pk}/deactivate/")
    assert len(programme_events(own_programme)) == 1


def test_an_own_programme_of_another_code_is_unaffected_by_edits(world, client_for):
    first = make_programme(world.org, code="een", name="Een")
    second = make_programme(world.org, code="twee", name="Twee")
    data = form_data(first, code="twee")
    response = client_for("admin").post(f"/programmes/{first.pk}/", data, **EN)
    assert "already has a programme with the code twee" in errors(response, "code")
    second.refresh_from_db()
    first.refresh_from_db()
    assert (first.code, second.code) == ("een", "twee")
