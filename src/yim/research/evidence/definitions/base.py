"""The scope every definition takes, the Amsterdam day of a moment, the cohort, one snapshot
for the reads of a summary, and the constants the definitions share (``ends_of_day`` comes
from the rules)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.functions import TruncDate

from yim.trajectories.models import (
    Cohort,
    Trajectory,
)
from yim.trajectories.rules import AMSTERDAM
from yim.trajectories.rules import ends_of_day as ends_of_day  # re-exported

#: Event codes of the search for a JIM (the ``status`` of the survival estimators).
CENSORED, JIM_FOUND, NO_JIM = 0, 1, 2

#: The landmark of the with/without-JIM contrast of placement (days after referral).
LANDMARK_DAYS = 90


@dataclass(frozen=True)
class Scope:
    """Which trajectories, as of which day: everything, one organisation, one team or one
    professional's caseload; optionally one programme model and referrals from a day on."""

    as_of: dt.date
    team_id: int | None = None
    organisation_id: int | None = None
    professional_id: int | None = None
    programme_id: int | None = None
    referred_from: dt.date | None = None


def amsterdam_day(field: str) -> TruncDate:
    """The Europe/Amsterdam calendar day of a date-time column, computed in the database."""
    return TruncDate(field, tzinfo=AMSTERDAM)


def cohort(scope: Scope) -> QuerySet[Trajectory]:
    """The unit of every definition: JIM-cohort trajectories referred by ``as_of``."""
    trajectories = Trajectory.objects.filter(cohort=Cohort.JIM, referred_on__lte=scope.as_of)
    if scope.team_id is not None:
        trajectories = trajectories.filter(team_id=scope.team_id)
    if scope.organisation_id is not None:
        trajectories = trajectories.filter(team__organisation_id=scope.organisation_id)
    if scope.professional_id is not None:
        trajectories = trajectories.filter(professional_id=scope.professional_id)
    if scope.programme_id is not None:
        trajectories = trajectories.filter(programme_id=scope.programme_id)
    if scope.referred_from is not None:
        trajectories = trajectories.filter(referred_on__gte=scope.referred_from)
    return trajectories


@contextmanager
def one_snapshot() -> Iterator[None]:
    """The reads inside see the registry as it was at one moment, on PostgreSQL: a read-only
    transaction at REPEATABLE READ, so a record written while the figures are read (a form
    submitted between the count of the forms and the sum of their scores, a JIM accepted
    between two definitions) is in none of them rather than in some, and every numerator
    stays within its denominator.

    Not on SQLite: its transactions here begin IMMEDIATE, taking the write lock, and would
    hold every writer off for the whole summary; there each read sees its own moment, which
    the definitions allow for. Nor inside a transaction already begun (its level is set).
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:  # the transaction's first statement
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield
