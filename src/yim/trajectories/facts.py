"""The days of each trajectory that the evidence and the work lists read, computed from the
records and kept in :class:`~yim.trajectories.models.TrajectoryFacts` on every write.

* ``jim_found_on``: the response date of the first candidate who accepted;
* ``no_jim_on``: the first day "no JIM found" was recorded;
* ``jim_positioned_on``: the first care meeting with a JIM present, on a day when an accepted
  JIM of the trajectory had complete consent (:func:`~yim.trajectories.positioned.positioned_days`);
* ``next_evaluation_on``: the next evaluation due of an open trajectory
  (:func:`next_evaluations`), by which the team overview orders and finds what is overdue;
* ``consultation_due_on``, ``follow_up_due_on``, ``emergency_to_confirm``: the earliest due
  day of a JIM consultation still owed after an emergency placement and of a follow-up not
  yet done, and whether an emergency placement waits for a team lead (:func:`dues`) — what
  ``Trajectory.objects.with_due_flags()`` asks the records per trajectory, as columns.

The first three are each the first day of its kind, and whether a day counts depends only on
what was recorded for that day or earlier. So the answer as of any day is the stored day when
it lies on or before that day, and nothing otherwise: :func:`compute` with an ``as_of`` gives
exactly that (a test holds the two together), and the evidence reads the stored row instead of
six tables. The next evaluation is today's: it counts every evaluation held, none of which can
lie after today. What is due is stored as its day, overdue once that day has passed.

Kept how: :func:`connect` (from the app's ``ready()``) refreshes a trajectory's row after every
save or delete of a record the days depend on — in the same transaction, with the trajectory's
row locked on PostgreSQL, so two writers of one trajectory refresh one after the other and the
last refresh sees both writes. After migrations :func:`refresh_all` recomputes every row (a
changed definition ships with a migration). ``yim evidence refresh-facts`` does the same by
hand, and ``--check`` reports rows that differ without writing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Exists, Min, OuterRef, QuerySet, Subquery
from django.db.models.signals import post_delete, post_migrate, post_save, pre_save

from yim.programmes.models import ProgrammeModel
from yim.trajectories.models import (
    Attendee,
    AttendeeRole,
    Candidate,
    ConsentRecord,
    FollowUp,
    JimConsultation,
    Meeting,
    NetworkPerson,
    NoJimOutcome,
    PlacementDecision,
    Response,
    Trajectory,
    TrajectoryFacts,
    Youth,
)
from yim.trajectories.models.queries import held_evaluations
from yim.trajectories.positioned import positioned_days
from yim.trajectories.rules import next_evaluation_due

#: Trajectories computed and written per round by :func:`refresh_all` (bounds memory; their
#: ids go into the queries as a list, far below SQLite's limit of 32,766 parameters).
CHUNK = 5000


class Facts(NamedTuple):
    """The days of the search for a JIM (as of a day, or as recorded)."""

    jim_found_on: dt.date | None
    no_jim_on: dt.date | None
    jim_positioned_on: dt.date | None


class Dues(NamedTuple):
    """What is due (and the days it is due) besides the evaluations."""

    consultation_due_on: dt.date | None
    follow_up_due_on: dt.date | None
    emergency_to_confirm: bool


class Row(NamedTuple):
    """A trajectory's stored row: the search's days, the next evaluation and what is due."""

    jim_found_on: dt.date | None
    no_jim_on: dt.date | None
    jim_positioned_on: dt.date | None
    next_evaluation_on: dt.date | None
    consultation_due_on: dt.date | None
    follow_up_due_on: dt.date | None
    emergency_to_confirm: bool


_NO_DAYS = Facts(None, None, None)
_NOTHING_DUE = Dues(None, None, False)


# --- computing ---------------------------------------------------------------------------


def compute(trajectories: QuerySet[Trajectory], as_of: dt.date | None = None) -> dict[int, Facts]:
    """The facts of ``trajectories`` (only those with at least one day), counting only what
    was recorded for ``as_of`` or earlier (None: everything recorded)."""
    days: dict[int, list[dt.date | None]] = {}
    for pk, found_on, no_jim_on in _search_days(trajectories, as_of):
        if found_on is not None or no_jim_on is not None:
            days[pk] = [found_on, no_jim_on, None]
    for pk, positioned_on in positioned_days(trajectories, as_of).items():
        days.setdefault(pk, [None, None, None])[2] = positioned_on
    return {pk: Facts(*values) for pk, values in days.items()}


def rows(trajectories: QuerySet[Trajectory]) -> dict[int, Row]:
    """The rows ``trajectories`` should have as recorded (only those with at least one day)."""
    search = compute(trajectories)
    evaluation = next_evaluations(trajectories)
    due = dues(trajectories)
    return {
        pk: Row(*search.get(pk, _NO_DAYS), evaluation.get(pk), *due.get(pk, _NOTHING_DUE))
        for pk in search.keys() | evaluation.keys() | due.keys()
    }


def dues(trajectories: QuerySet[Trajectory]) -> dict[int, Dues]:
    """What is due of ``trajectories`` (only those with anything due), in one query: the
    earliest due day of a consultation pending (``PlacementDecision.consultation_pending``)
    and of a follow-up not done, and whether an emergency awaits confirmation — overdue on a
    day exactly when ``with_due_flags`` says so on that day (the earliest day before it)."""
    decisions = PlacementDecision.objects.filter(trajectory=OuterRef("pk"))
    open_follow_ups = FollowUp.objects.open().filter(trajectory=OuterRef("pk"))
    found = (
        trajectories.annotate(
            consultation_due=_first(decisions.consultation_pending(), "consultation_due"),
            follow_up_due=_first(open_follow_ups, "due_on"),
            to_confirm=Exists(decisions.awaiting_confirmation()),
        )
        .order_by()
        .values_list("pk", "consultation_due", "follow_up_due", "to_confirm")
    )
    return {
        pk: Dues(consultation, follow_up, bool(to_confirm))
        for pk, consultation, follow_up, to_confirm in found
        if consultation is not None or follow_up is not None or to_confirm
    }


def _first(records: QuerySet[Any], field: str) -> Subquery:
    """The earliest ``field`` of ``records`` (filtered by an outer trajectory), a subquery."""
    rows = records.order_by().values("trajectory").annotate(first=Min(field))
    return Subquery(rows.values("first"))


def next_evaluations(trajectories: QuerySet[Trajectory]) -> dict[int, dt.date]:
    """The next evaluation due of each open one of ``trajectories``, from every evaluation
    held (:func:`~yim.trajectories.rules.next_evaluation_due`); two queries."""
    open_ = trajectories.filter(closed_at__isnull=True).order_by()
    held: dict[int, list[dt.date]] = defaultdict(list)
    evaluations = held_evaluations().filter(trajectory__in=open_.values("pk"))
    for trajectory_id, held_on in evaluations.values_list("trajectory_id", "held_on"):
        held[trajectory_id].append(held_on)
    return {
        pk: next_evaluation_due(start, held.get(pk, []), months)
        for pk, start, months in open_.values_list(
            "pk", "referred_on", "programme__evaluation_interval_months"
        )
    }


def _search_days(trajectories: QuerySet[Trajectory], as_of: dt.date | None) -> Iterable[Any]:
    """Per trajectory its first acceptance and first "no JIM found", in one query (each the
    MIN() of a subquery, which the database answers from the trajectory's index)."""
    accepted = Candidate.objects.filter(trajectory=OuterRef("pk"), response=Response.ACCEPTED)
    no_jim = NoJimOutcome.objects.filter(trajectory=OuterRef("pk"))
    if as_of is not None:
        accepted = accepted.filter(response_on__lte=as_of)
        no_jim = no_jim.filter(recorded_on__lte=as_of)

    return (
        trajectories.annotate(
            found_on=_first(accepted, "response_on"), no_jim_on=_first(no_jim, "recorded_on")
        )
        .order_by()
        .values_list("pk", "found_on", "no_jim_on")
    )


# --- keeping ----------------------------------------------------------------------------


def refresh(trajectory_ids: Collection[int]) -> None:
    """Recompute and store the rows of these trajectories (rows without a day removed).

    On PostgreSQL the trajectories' rows are locked first (in id order), so a second writer
    of the same trajectory waits and then computes from both writes. Many trajectories (a
    programme's new evaluation interval) are done :data:`CHUNK` at a time, in the one
    transaction: their ids go into the queries as a list."""
    ids = sorted(set(trajectory_ids))
    if not ids:
        return
    # Inside the writer's transaction (no savepoint of its own: a failure fails the write).
    with transaction.atomic(savepoint=False):
        for start in range(0, len(ids), CHUNK):
            _rewrite(ids[start : start + CHUNK])


def _rewrite(ids: list[int]) -> None:
    trajectories = Trajectory.objects.filter(pk__in=ids)
    if connection.vendor == "postgresql":
        list(trajectories.select_for_update().order_by("pk").values_list("pk", flat=True))
    found = rows(trajectories)
    TrajectoryFacts.objects.filter(trajectory_id__in=ids).exclude(
        trajectory_id__in=list(found)
    ).delete()
    TrajectoryFacts.objects.bulk_create(
        [TrajectoryFacts(trajectory_id=pk, **row._asdict()) for pk, row in found.items()],
        update_conflicts=True,
        unique_fields=["trajectory"],
        update_fields=list(Row._fields),
    )


def refresh_all(chunk: int = CHUNK) -> int:
    """Recompute every trajectory's facts, ``chunk`` trajectories at a time; return how many
    trajectories were refreshed."""
    ids = list(Trajectory.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        refresh(ids[start : start + chunk])
    return len(ids)


def differences() -> list[tuple[int, Row | None, Row | None]]:
    """Trajectories whose stored row differs from the records: (id, stored, computed)."""
    stored = {
        pk: Row(*days)
        for pk, *days in TrajectoryFacts.objects.values_list("trajectory_id", *Row._fields)
    }
    found: list[tuple[int, Row | None, Row | None]] = []
    ids = list(Trajectory.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        computed = rows(Trajectory.objects.filter(pk__in=chunk))
        found.extend(
            (pk, stored.get(pk), computed.get(pk))
            for pk in chunk
            if stored.get(pk) != computed.get(pk)
        )
    return found


# --- when ---------------------------------------------------------------------------------

#: The records the facts depend on, saved and deleted.
WATCHED = (
    Candidate,
    ConsentRecord,
    Meeting,
    Attendee,
    NoJimOutcome,
    PlacementDecision,
    JimConsultation,
    FollowUp,
)
#: Records whose saves change the facts only through these fields: the trajectory's referral
#: day, closure and programme, the youth's date of birth (it decides whose consent counts),
#: a person's parental authority (whose consent the parents' part needs), the programme's
#: evaluation interval. A save that leaves them as they were (a new phase, a new name)
#: refreshes nothing.
READ_FIELDS: dict[type[Any], tuple[str, ...]] = {
    Trajectory: ("referred_on", "closed_at", "programme_id"),
    Youth: ("date_of_birth",),
    NetworkPerson: ("has_parental_authority",),
    ProgrammeModel: ("evaluation_interval_months",),
}
#: Deleting one of these changes the facts (of ``READ_FIELDS`` only a holder of authority).
DELETED = (*WATCHED, NetworkPerson)


def _trajectory_ids(instance: Any) -> list[int]:
    if isinstance(instance, Trajectory):
        return [instance.pk]
    if isinstance(instance, (Youth, NetworkPerson)):
        youth_id = instance.pk if isinstance(instance, Youth) else instance.youth_id
        return list(Trajectory.objects.filter(youth_id=youth_id).values_list("pk", flat=True))
    if isinstance(instance, ProgrammeModel):  # only open trajectories have an evaluation due
        open_ = Trajectory.objects.filter(programme=instance, closed_at__isnull=True)
        return list(open_.values_list("pk", flat=True))
    if isinstance(instance, Attendee):
        return _through(instance, "meeting", Meeting)
    if isinstance(instance, JimConsultation):
        return _through(instance, "decision", PlacementDecision)
    return [instance.trajectory_id] if instance.trajectory_id is not None else []


def _through(instance: Any, name: str, model: type[Any]) -> list[int]:
    """The trajectory of the record ``instance`` belongs to (its ``name``: a meeting, a
    decision), without a query when that record came along."""
    owner = instance._state.fields_cache.get(name)
    if owner is not None:
        return [owner.trajectory_id]
    owners = model.objects.filter(pk=getattr(instance, f"{name}_id"))
    return list(owners.values_list("trajectory_id", flat=True))


def _new_and_beside_the_point(instance: Any) -> bool:
    """A new record that cannot change any day as it stands: a meeting not held (yet), an
    attendee who is not a JIM present, a youth (no trajectory yet), a candidate who has not
    accepted, a programme (no trajectory yet), a placement decision that is no emergency, a
    person of the network without parental authority. It
    did not exist before, so the days are what they were: no refresh (a meeting saved with
    five attendees refreshes twice, not six times). A new trajectory is refreshed: it has
    its first evaluation due."""
    if isinstance(instance, Meeting):
        return instance.held_on is None
    if isinstance(instance, Attendee):
        return not (instance.role == AttendeeRole.JIM and instance.present)
    if isinstance(instance, Candidate):
        return instance.response != Response.ACCEPTED
    if isinstance(instance, PlacementDecision):
        return not instance.is_emergency
    if isinstance(instance, NetworkPerson):
        return not instance.has_parental_authority
    return isinstance(instance, (Youth, ProgrammeModel))


def _deletes_trajectories(origin: Any) -> bool:
    """Whether a deletion started from trajectories (or youth): their records go with them,
    and so does their row of facts — refreshing it mid-way would write a row for a
    trajectory about to disappear."""
    model = origin.model if isinstance(origin, QuerySet) else type(origin)
    return model in (Trajectory, Youth)


def _read_fields(instance: Any) -> tuple[Any, ...]:
    return tuple(getattr(instance, name) for name in READ_FIELDS[type(instance)])


def _before_save(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Remember the stored values of the fields the facts read (none for a new record)."""
    stored = None
    if instance.pk is not None and not instance._state.adding:
        saved = sender._base_manager.filter(pk=instance.pk)
        stored = saved.values_list(*READ_FIELDS[sender]).first()
    instance._facts_read_before = stored


def _on_save(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if created and _new_and_beside_the_point(instance):
        return
    before = getattr(instance, "_facts_read_before", None)
    if not created and before is not None and before == _read_fields(instance):
        return  # a save of fields the facts do not read
    refresh(_trajectory_ids(instance))


def _on_delete(sender: Any, instance: Any, origin: Any = None, **kwargs: Any) -> None:
    if origin is not None and _deletes_trajectories(origin):
        return
    if isinstance(instance, NetworkPerson) and not instance.has_parental_authority:
        return
    refresh(_trajectory_ids(instance))


def _after_migrate(sender: Any, using: str = DEFAULT_DB_ALIAS, plan: Any = None, **kw: Any) -> None:
    """Recompute every row after migrations moved forward (a changed definition comes with
    a migration) — only once every migration is applied: the models are today's, and a
    database half-way would not have their columns yet."""
    if using != DEFAULT_DB_ALIAS or not plan or any(backwards for _m, backwards in plan):
        return
    executor = MigrationExecutor(connections[using])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return
    refresh_all()


def connect(app_config: Any) -> None:
    """Keep the facts from now on (called from the trajectories app's ``ready()``)."""
    for model in READ_FIELDS:
        pre_save.connect(_before_save, sender=model, dispatch_uid=f"facts-read-{model.__name__}")
    saved: tuple[type[Any], ...] = (*WATCHED, *READ_FIELDS)
    for model in saved:
        post_save.connect(_on_save, sender=model, dispatch_uid=f"facts-save-{model.__name__}")
    for model in DELETED:
        post_delete.connect(_on_delete, sender=model, dispatch_uid=f"facts-del-{model.__name__}")
    post_migrate.connect(_after_migrate, sender=app_config, dispatch_uid="facts-after-migrate")
