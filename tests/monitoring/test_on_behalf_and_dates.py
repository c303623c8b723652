"""Every assessment has its own date (default: the day it is submitted), and a professional
enters a questionnaire answered on paper, by telephone or in person for a youth, JIM or
parent, with the mode recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tests.monitoring.conftest import build_file
from yim.audit.models import AuditEvent
from yim.monitoring import instruments
from yim.monitoring.models import Assessment, Wave

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
SATISFIED = {"overall": 4, "say": 3}


@pytest.fixture
def file(world):  # type: ignore[no-untyped-def]
    return build_file(world.youth_file, world.professional)


def start(file, user, **extra):  # type: ignore[no-untyped-def]
    return Assessment.start(
        youth=file.youth,
        trajectory=file.trajectory,
        instrument=instruments.get("satisfaction"),
        respondent=user,
        wave=Wave.current(file.trajectory),
        **extra,
    )


def test_an_assessment_is_dated_on_its_submission_day_unless_given(file, world):  # type: ignore[no-untyped-def]
    assessment, _ = start(file, world.youth_user)
    assessment.save_answers(SATISFIED, by=world.youth_user)
    assessment.submit(by=world.youth_user)
    assert assessment.assessed_on == dt.date(2026, 6, 17)
    assert assessment.mode == "self"


def test_a_professional_enters_the_youths_paper_answers_beside_a_parents(file, world):  # type: ignore[no-untyped-def]
    prof = world.professional
    youth_form, created = start(
        file, prof, on_behalf_of="youth", entry_mode="paper", assessed_on=dt.date(2026, 6, 2)
    )
    parent_form, created_too = start(file, prof, on_behalf_of="parent", entry_mode="telephone")
    assert created and created_too and youth_form.pk != parent_form.pk
    assert (youth_form.respondent, youth_form.respondent_role, youth_form.mode) == (
        prof, "youth", "paper"
    )  # fmt: skip
    youth_form.save_answers(SATISFIED, by=prof)
    youth_form.submit(by=prof)
    # The date it was answered on paper, not the day it was typed in.
    assert youth_form.assessed_on == dt.date(2026, 6, 2)
    again, created = start(file, prof, on_behalf_of="youth", entry_mode="paper")
    assert (again, created) == (youth_form, False)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"on_behalf_of": "youth"}, "mode"),
        ({"on_behalf_of": "youth", "entry_mode": "self"}, "mode"),
        ({"on_behalf_of": "neighbour", "entry_mode": "paper"}, "on_behalf_of"),
        ({"on_behalf_of": "youth", "entry_mode": "paper", "assessed_on": dt.date(2026, 7, 1)},
         "assessed_on"),
    ],
)  # fmt: skip
def test_an_entry_on_behalf_is_refused_per_field_and_nothing_is_saved(file, world, extra, field):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as refused:
        start(file, world.professional, **extra)
    assert field in refused.value.message_dict
    assert not Assessment.objects.exists()


def test_a_portal_user_cannot_enter_answers_for_someone_else(file, world):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as refused:
        start(file, world.parent, on_behalf_of="youth", entry_mode="paper")
    assert "on_behalf_of" in refused.value.message_dict


def test_a_questionnaire_not_meant_for_the_respondent_is_refused(file, world):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as refused:
        Assessment.start(
            youth=file.youth, trajectory=file.trajectory,
            instrument=instruments.get("resilience_support"), respondent=world.professional,
            wave=Wave.current(file.trajectory), on_behalf_of="parent", entry_mode="paper",
        )  # fmt: skip
    assert "not meant for this respondent" in " ".join(refused.value.message_dict["instrument"])


def test_the_staff_form_enters_a_telephone_questionnaire_and_audits_it(file, world, client_for):  # type: ignore[no-untyped-def]
    client = client_for("professional")
    page = client.get(f"/monitoring/youth/{file.youth.pk}/", **EN)
    form = page.context["start_form"]
    assert {"on_behalf_of", "mode", "assessed_on"} <= set(form.fields)
    assert "satisfaction" in dict(form.fields["instrument"].choices)
    wave_key = form.fields["wave"].choices[0][0]
    response = client.post(
        f"/monitoring/youth/{file.youth.pk}/start/",
        {"instrument": "satisfaction", "wave": wave_key, "on_behalf_of": "jim",
         "mode": "telephone", "assessed_on": "2026-06-10"},
        **EN,
    )  # fmt: skip
    assessment = Assessment.objects.get()
    assert response.status_code == 302
    assert (assessment.respondent_role, assessment.mode, assessment.assessed_on) == (
        "jim", "telephone", dt.date(2026, 6, 10)
    )  # fmt: skip
    assert AuditEvent.objects.filter(
        youth_id=file.youth.pk, detail__contains="on behalf of jim (telephone)"
    ).exists()


def test_the_staff_form_without_a_mode_for_someone_else_saves_nothing(file, world, client_for):  # type: ignore[no-untyped-def]
    client = client_for("professional")
    form = client.get(f"/monitoring/youth/{file.youth.pk}/", **EN).context["start_form"]
    response = client.post(
        f"/monitoring/youth/{file.youth.pk}/start/",
        {"instrument": "satisfaction", "wave": form.fields["wave"].choices[0][0],
         "on_behalf_of": "parent", "mode": ""},
        **EN, follow=True,
    )  # fmt: skip
    assert "on paper, by telephone or in person" in response.content.decode()
    assert not Assessment.objects.exists()
