"""A stale edit through any edit page: the form again with the same clear message, nothing
overwritten.

Each case opens the page, lets someone else save the record in the meantime, then posts
what the page showed (with the version it showed). The meeting, the phase, the living
situation, the placement episode, the tie and removing a person have their own tests in
``test_views_bad_input``, ``test_living_and_follow_up``, ``test_placement_episodes`` and
``test_views_corrections``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.trajectories.web_fixtures import Records, close, records  # noqa: F401
from yim.core.models import VersionedModel
from yim.trajectories.models import NetworkTie

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
STALE = "Someone else changed this record while you were editing it."


@dataclass
class Page:
    """An edit page: its URL and record (from the records), the form it shows (``form``, or
    ``forms[action]`` on a page with several), and what the user types on top of it."""

    url: Callable[[Records, Any], str]
    record: Callable[[Records], VersionedModel]
    action: str = ""
    typed: dict[str, str] = field(default_factory=dict)


def _goal(r: Records) -> VersionedModel:
    return r.plan.goals.get()


def _follow_up(r: Records) -> VersionedModel:
    return close(r.case)


PAGES = {
    "referral": Page(
        lambda r, t: f"/trajectories/{t.pk}/referral/",
        lambda r: r.trajectory,
        typed={"referral_reason": "Typed after someone else's change"},
    ),
    "care plan": Page(
        lambda r, p: f"/trajectories/{r.trajectory.pk}/care-plan/",
        lambda r: r.plan,
        typed={"summary": "Typed after someone else's change"},
    ),
    "goal": Page(
        lambda r, g: f"/trajectories/goals/{g.pk}/",
        _goal,
        typed={"description": "Typed after someone else's change"},
    ),
    "goal removal": Page(lambda r, g: f"/trajectories/goals/{g.pk}/remove/", _goal),
    "safety plan": Page(
        lambda r, s: f"/trajectories/safety-plans/{s.pk}/",
        lambda r: r.safety,
        typed={"measures": "Typed after someone else's change"},
    ),
    "placement draft": Page(
        lambda r, d: f"/trajectories/placements/{d.pk}/",
        lambda r: r.decision,
        action="edit",
        typed={"rationale": "Typed after someone else's change"},
    ),
    "ending a JIM": Page(
        lambda r, c: f"/trajectories/candidates/{c.pk}/",
        lambda r: r.trajectory.active_jim,
        action="end",
        typed={"reason": "jim_stopped"},
    ),
    "closure": Page(
        lambda r, t: f"/trajectories/{t.pk}/close/",
        lambda r: r.trajectory,
        typed={"reason": "goals_achieved", "jim_relationship": "continuing"},
    ),
    "follow-up": Page(
        lambda r, f: f"/trajectories/follow-ups/{f.pk}/",
        _follow_up,
        typed={
            "outcome": "answered",
            "reported_by": "youth",
            "jim_contact_continues": "yes",
            "contact_frequency": "monthly",
            "placement_after_all": "no",
            "note": "Typed after a change",
        },
    ),
    "person": Page(
        lambda r, p: f"/trajectories/youth/{r.youth.pk}/network/{p.pk}/",
        lambda r: r.aunt,
        typed={"note": "Typed after someone else's change"},
    ),
    "tie removal": Page(
        lambda r, t: f"/trajectories/youth/{r.youth.pk}/network/ties/{t.pk}/remove/",
        lambda r: NetworkTie.objects.get(youth=r.youth),
    ),
}


def shown(response: Any, action: str) -> dict[str, Any]:
    """What the page's form holds, as the browser would post it back."""
    form = response.context["forms"][action] if action else response.context["form"]
    data: dict[str, Any] = {"action": action} if action else {}
    for bound in form:
        value = bound.value()
        if value is None or value is False:
            continue
        if isinstance(value, dt.date):
            value = value.isoformat()
        data[bound.html_name] = "on" if value is True else value
    return data


def someone_else_saves(record: VersionedModel) -> int:
    fresh = type(record)._default_manager.get(pk=record.pk)
    fresh.save()
    return fresh.version


@pytest.mark.parametrize("name", PAGES)
def test_a_stale_edit_shows_the_form_again_with_the_message_and_writes_nothing(
    name,
    records,  # noqa: F811
    client_for,
):
    page = PAGES[name]
    record = page.record(records)
    url = page.url(records, record)
    client = client_for("professional")
    opened = client.get(url, **EN)
    assert opened.status_code == 200
    data = {**shown(opened, page.action), **page.typed}
    stored_version = someone_else_saves(record)

    response = client.post(url, data, **EN)

    assert response.status_code == 200, f"{name}: {response.status_code}"
    form = response.context["forms"][page.action] if page.action else response.context["form"]
    assert STALE in " ".join(form.non_field_errors()), f"{name}: {form.errors}"
    assert type(record)._default_manager.get(pk=record.pk).version == stored_version
    for typed in page.typed.values():
        if " " in typed:  # free text the user typed is still on the form
            assert typed.replace("'", "&#x27;") in response.content.decode()
