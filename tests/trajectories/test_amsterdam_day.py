"""Days are Amsterdam calendar days, in Python and in the database alike.

00:30 in Amsterdam is still the previous day in UTC (23:30, or 22:30 in summer time). An event
recorded then belongs to the Amsterdam day: the trajectory starts that day, and a query that
groups or filters by day — run by SQLite or PostgreSQL — counts it on that day too.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models.functions import TruncDate
from django.utils import timezone

from yim.trajectories.models import PhaseTransition, Trajectory, Youth
from yim.trajectories.rules import AMSTERDAM

pytestmark = pytest.mark.django_db

MOMENTS = [
    # winter time, the night a leap day begins
    dt.datetime(2028, 2, 29, 0, 30, tzinfo=AMSTERDAM),
    # the night of the switch to summer time (last Sunday of March)
    dt.datetime(2027, 3, 28, 0, 30, tzinfo=AMSTERDAM),
    # summer time: two hours ahead of UTC
    dt.datetime(2026, 7, 1, 0, 30, tzinfo=AMSTERDAM),
    # the night of the switch back (last Sunday of October)
    dt.datetime(2026, 10, 25, 0, 30, tzinfo=AMSTERDAM),
]


@pytest.mark.parametrize("moment", MOMENTS, ids=lambda m: m.date().isoformat())
def test_an_event_at_half_past_midnight_lands_on_that_amsterdam_day(
    world, indicated, frozen_clock, moment
):
    frozen_clock.move_to(moment)
    day = moment.date()
    assert timezone.now().astimezone(dt.UTC).date() == day - dt.timedelta(days=1)
    assert timezone.localdate() == day

    youth = Youth.objects.create(
        organisation=world.org,
        team=world.team_a,
        professional=world.professional,
        display_name="Nachtelijke J.",
        date_of_birth=dt.date(2011, 1, 1),
    )
    trajectory = Trajectory.start(
        youth=youth,
        programme=indicated,
        professional=world.professional,
        referred_on=day,
        referral_source="school",
        referral_reason="nachtelijke aanmelding",
    )

    assert trajectory.started_on == day
    assert Trajectory.objects.filter(pk=trajectory.pk, started_at__date=day).exists()
    assert not Trajectory.objects.filter(
        pk=trajectory.pk, started_at__date=day - dt.timedelta(days=1)
    ).exists()
    by_day = (
        PhaseTransition.objects.filter(trajectory=trajectory)
        .annotate(day=TruncDate("entered_at"))
        .values_list("day", flat=True)
    )
    assert list(by_day) == [day]
