"""Builders for the programme pages: an own programme, form data and a trajectory using it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yim.programmes.models import ProgrammeModel
from yim.trajectories.models import Trajectory

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def make_programme(organisation, code: str = "eigen", **fields: object) -> ProgrammeModel:
    values: dict[str, object] = {
        "name": "Eigen aanpak",
        "prevention_level": "selective",
        "phases": ["referral", "network_exploration", "candidates", "consent", "closure"],
        "evaluation_interval_months": 2,
        "instruments": ["satisfaction"],
        **fields,
    }
    return ProgrammeModel.objects.create(organisation=organisation, code=code, **values)


def form_data(programme: ProgrammeModel | None = None, **overrides: object) -> dict[str, object]:
    """What the browser posts: the required phases are disabled, so they are never sent."""
    data: dict[str, object] = {
        "code": "wijk",
        "name": "Wijkaanpak",
        "prevention_level": "universal",
        "description": "Light-touch variant for the neighbourhood teams.",
        "phases": ["network_exploration", "candidates", "consent"],
        "evaluation_interval_months": "3",
        "instruments": ["satisfaction", "stakeholder_feedback"],
    }
    if programme is not None:
        data.update(
            code=programme.code,
            name=programme.name,
            prevention_level=programme.prevention_level,
            description=programme.description,
            phases=[p for p in programme.phases if p not in ("referral", "closure")],
            evaluation_interval_months=str(programme.evaluation_interval_months),
            instruments=list(programme.instruments),
            version=str(programme.version),
        )
    data.update(overrides)
    return data


def start_trajectory(world, programme: ProgrammeModel, youth=None) -> Trajectory:  # type: ignore[no-untyped-def]
    youth = youth or world.youth_file
    return Trajectory.start(
        youth=youth,
        programme=programme,
        professional=world.professional if youth.team_id == world.team_a.pk else youth.professional,
        referred_on=timezone.localdate() - dt.timedelta(days=30),
        referral_source="school",
        referral_reason="Test referral.",
        at=timezone.now() - dt.timedelta(days=30),
    )


@pytest.fixture
def own_programme(world) -> ProgrammeModel:  # type: ignore[no-untyped-def]
    return make_programme(world.org)


@pytest.fixture
def foreign_programme(world) -> ProgrammeModel:  # type: ignore[no-untyped-def]
    return make_programme(world.other_org, code="vreemd", name="Andere aanpak")
