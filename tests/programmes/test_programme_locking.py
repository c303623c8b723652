"""The programme model's optimistic lock and its guard for phases in use, without the pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.programmes.conftest import make_programme, start_trajectory
from yim.core.errors import StaleEdit
from yim.programmes.models import ProgrammeModel
from yim.trajectories.models import Phase


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def test_every_save_raises_the_version_and_a_stale_instance_is_refused(world):
    programme = make_programme(world.org)
    first, second = (ProgrammeModel.objects.get(pk=programme.pk) for _ in range(2))
    first.name = "First"
    first.save()
    assert first.version == 2
    second.name = "Second"
    with pytest.raises(StaleEdit):
        second.save()
    assert second.version == 1
    programme.refresh_from_db()
    assert (programme.name, programme.version) == ("First", 2)


def test_a_closed_trajectory_in_follow_up_keeps_the_follow_up_phase(world):
    programme = make_programme(world.org, phases=["referral", "closure", "follow_up"])
    trajectory = start_trajectory(world, programme)
    # Put the trajectory in follow-up directly: the guard reads the phase, not the history.
    type(trajectory).objects.filter(pk=trajectory.pk).update(phase=Phase.FOLLOW_UP)
    programme.phases = ["referral", "closure"]
    with pytest.raises(ValidationError) as refused:
        programme.save()
    assert "1 trajectory using this programme is in the phase Follow-up now" in " ".join(
        refused.value.message_dict["phases"]
    )
