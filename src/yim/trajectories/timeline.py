"""What the youth page and the trajectory page show besides forms: the timeline of
everything that happened, and the open tasks of a trajectory.

Both read the models and their derived answers (consent status, evaluation schedule,
pending consultations); no rule is decided here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, prefetch_related_objects
from django.urls import reverse
from django.utils.translation import gettext as _

from yim.core.models import prefetched
from yim.trajectories.models import (
    Candidate,
    Meeting,
    MeetingKind,
    Phase,
    Response,
    Trajectory,
    Youth,
)
from yim.trajectories.models.base import today
from yim.trajectories.rules import amsterdam_day


@dataclass(frozen=True)
class TimelineEvent:
    day: dt.date
    kind: str  # phase, nomination, consent, meeting, decision, closure, follow_up
    text: str
    url: str = ""


@dataclass(frozen=True)
class Task:
    text: str
    due_on: dt.date | None = None
    overdue: bool = False
    url: str = ""


def _detail(trajectory_id: int, anchor: str) -> str:
    return reverse("trajectories:detail", args=[trajectory_id]) + "#" + anchor


#: What the timeline and the open tasks read of a youth's trajectories: one query per kind
#: of record for all the trajectories at once (none per trajectory, meeting or decision).
#: The candidates come with their person and round, the held meetings as ``held_meetings``.
CASE_RECORDS: tuple[str | Prefetch, ...] = (
    "closure",
    "transitions",
    "nomination_rounds",
    Prefetch("candidates", queryset=Candidate.objects.select_related("person", "round")),
    "candidates__consents",
    "no_jim_outcomes",
    Prefetch("meetings", queryset=Meeting.objects.held(), to_attr="held_meetings"),
    "placement_decisions__consultations",
    "follow_ups",
)


def load_case_records(trajectories: list[Trajectory]) -> None:
    """Load :data:`CASE_RECORDS` onto ``trajectories`` (what a page prefetched already is
    not asked again), and the held evaluations the evaluation schedule reads
    (``evaluation_meetings``, see :meth:`Trajectory.evaluations_due`) from the held
    meetings."""
    prefetch_related_objects(trajectories, *CASE_RECORDS)
    for trajectory in trajectories:
        if not hasattr(trajectory, "evaluation_meetings"):
            held = trajectory.held_meetings  # type: ignore[attr-defined]
            trajectory.evaluation_meetings = [  # type: ignore[attr-defined]
                m for m in held if m.kind == MeetingKind.EVALUATION
            ]


def _youth_trajectories(youth: Youth) -> list[Trajectory]:
    """The youth's trajectories, newest first (as the page prefetched them, or asked once)."""
    loaded = prefetched(youth, "trajectories")
    if loaded is not None:
        trajectories = loaded
    else:
        trajectories = list(Trajectory.objects.filter(youth=youth).select_related("closure"))
    # The trajectories' own order (newest first, then by id), whatever the page asked.
    trajectories.sort(key=lambda t: t.pk)
    trajectories.sort(key=lambda t: t.started_at, reverse=True)
    return trajectories


def timeline_for(youth: Youth) -> list[TimelineEvent]:
    """Everything that happened in the youth's trajectories, newest first.

    Read from :data:`CASE_RECORDS` of all the youth's trajectories (a fixed number of
    queries); the records of each kind are taken in their model's order across the
    trajectories, so that events of one day and kind keep the order of one query per kind.
    """
    trajectories = _youth_trajectories(youth)
    load_case_records(trajectories)
    events: list[TimelineEvent] = []

    def add(day: dt.date, kind: str, text: str, url: str) -> None:
        events.append(TimelineEvent(day, kind, text, url))

    def every(relation: str) -> list[Any]:
        return [record for t in trajectories for record in getattr(t, relation).all()]

    transitions = sorted(every("transitions"), key=lambda t: (t.entered_at, t.pk))
    for t in transitions:
        text = _("Phase: %(phase)s") % {"phase": t.get_phase_display()}
        if t.note:
            text += f" — {t.note}"
        add(amsterdam_day(t.entered_at), "phase", text, _detail(t.trajectory_id, "phase"))
    # By trajectory (newest first), then by number: the rounds' model order.
    rounds = [
        r for t in trajectories for r in sorted(t.nomination_rounds.all(), key=lambda r: r.number)
    ]
    for r in rounds:
        url = _detail(r.trajectory_id, "nomination")
        add(r.started_on, "nomination", _("Nomination round %(n)s started") % {"n": r.number}, url)
        if r.closed_on:
            add(
                r.closed_on,
                "nomination",
                _("Nomination round %(n)s closed: %(outcome)s")
                % {"n": r.number, "outcome": r.get_outcome_display()},
                url,
            )
    number = {r.pk: r.number for r in rounds}
    candidates = sorted(every("candidates"), key=lambda c: (number[c.round_id], c.named_on, c.pk))
    for c in candidates:
        url = _detail(c.trajectory_id, "nomination")
        name = c.person.display_name
        add(c.named_on, "nomination", _("%(name)s named as candidate") % {"name": name}, url)
        if c.response_on and c.response != Response.PENDING:
            text = _("%(name)s: %(response)s") % {
                "name": name,
                "response": c.get_response_display(),
            }
            if c.decline_reason:
                text += f" ({c.decline_reason})"
            add(c.response_on, "nomination", text, url)
        if c.jim_ended_on:
            add(
                c.jim_ended_on,
                "nomination",
                _("%(name)s stopped as JIM: %(reason)s")
                % {"name": name, "reason": c.get_jim_end_reason_display()},
                url,
            )
    consents = sorted(
        (cr for c in candidates for cr in c.consents.all()), key=lambda cr: (cr.given_at, cr.pk)
    )
    for cr in consents:
        add(
            amsterdam_day(cr.given_at),
            "consent",
            _("Consent for %(name)s by %(party)s: %(decision)s")
            % {
                "name": cr.candidate.person.display_name,
                "party": cr.get_party_display(),
                "decision": cr.get_decision_display(),
            },
            _detail(cr.trajectory_id, "consent"),
        )
    for o in sorted(every("no_jim_outcomes"), key=lambda o: (o.recorded_on, o.pk)):
        add(
            o.recorded_on,
            "nomination",
            _("No JIM found: %(reason)s") % {"reason": o.get_reason_display()},
            _detail(o.trajectory_id, "nomination"),
        )
    held = [m for t in trajectories for m in t.held_meetings]  # type: ignore[attr-defined]
    for m in sorted(held, key=lambda m: (m.held_day, m.pk), reverse=True):
        add(
            m.held_day,
            "meeting",
            _("Meeting: %(kind)s") % {"kind": m.get_kind_display()},
            reverse("trajectories:meeting", args=[m.pk]),
        )
    decisions = sorted(
        every("placement_decisions"), key=lambda d: (d.decided_on, d.pk), reverse=True
    )
    for d in decisions:
        url = reverse("trajectories:placement", args=[d.pk])
        text = _("Placement decision: %(type)s (%(status)s)") % {
            "type": d.get_placement_type_display(),
            "status": d.get_status_display(),
        }
        if d.is_emergency:
            text += " — " + _("emergency")
        add(d.decided_on, "decision", text, url)
    consultations = sorted(
        (jc for d in decisions for jc in d.consultations.all()),
        key=lambda jc: (jc.consulted_on, jc.pk),
    )
    for jc in consultations:
        add(
            jc.consulted_on,
            "decision",
            _("JIM consulted on a placement decision"),
            reverse("trajectories:placement", args=[jc.decision_id]),
        )
    for trajectory in trajectories:
        closure = getattr(trajectory, "closure", None)
        if closure is None:
            continue
        add(
            closure.closed_on,
            "closure",
            _("Closed: %(reason)s") % {"reason": closure.get_reason_display()},
            _detail(trajectory.pk, "closure"),
        )
    # By trajectory (newest first), then by months: the follow-ups' model order.
    for trajectory in trajectories:
        for f in sorted(trajectory.follow_ups.all(), key=lambda f: (f.months, f.pk)):
            if f.done_on is None:
                continue
            add(
                f.done_on,
                "follow_up",
                _("Follow-up after %(months)s months recorded") % {"months": f.months},
                _detail(f.trajectory_id, "closure"),
            )
    order = {"phase": 0, "nomination": 1, "consent": 2, "meeting": 3, "decision": 4}
    events.sort(key=lambda e: (e.day, order.get(e.kind, 5)), reverse=True)
    return events


def open_tasks(trajectory: Trajectory, as_of: dt.date | None = None) -> list[Task]:
    """What is still to be done in a trajectory, overdue first."""
    as_of = as_of or today()
    pk = trajectory.pk
    tasks: list[Task] = []
    if not trajectory.is_closed:
        for item in trajectory.evaluations_due(as_of):
            if item.status in ("overdue", "upcoming"):
                tasks.append(
                    Task(
                        _("Evaluation"),
                        item.due_on,
                        item.is_overdue,
                        reverse("trajectories:meeting_add", args=[pk]) + "?kind=evaluation",
                    )
                )
        # A round closes when a JIM is found: the answers of its other candidates are no task.
        candidates = trajectory.prefetched("candidates")
        pending: Any
        if candidates is not None:  # the page's candidates, with their person and round
            pending = [
                c
                for c in candidates
                if c.response == Response.PENDING and c.round.closed_on is None
            ]
        else:
            pending = trajectory.candidates.filter(
                response=Response.PENDING, round__closed_on__isnull=True
            ).select_related("person")
        for c in pending:
            tasks.append(
                Task(
                    _("Record the response of %(name)s") % {"name": c.person.display_name},
                    url=reverse("trajectories:candidate", args=[c.pk]),
                )
            )
        jim: Any = trajectory.active_jim
        if jim is not None and not jim.consent_status().complete:
            tasks.append(
                Task(
                    _("Record consent for %(name)s") % {"name": jim.person.display_name},
                    url=reverse("trajectories:consent_add", args=[jim.pk]),
                )
            )
        if trajectory.phase == Phase.COLLABORATION and not hasattr(trajectory, "care_plan"):
            tasks.append(
                Task(_("Make the care plan"), url=reverse("trajectories:care_plan", args=[pk]))
            )
    for d in trajectory.placement_decisions.all():
        url = reverse("trajectories:placement", args=[d.pk])
        if not d.is_finalised and not trajectory.is_closed:
            tasks.append(Task(_("Placement decision still in draft"), d.decided_on, url=url))
        if d.consultation_pending:
            tasks.append(
                Task(
                    _("Consult the JIM about the emergency placement"),
                    d.consultation_due,
                    d.is_consultation_overdue(as_of),
                    url,
                )
            )
        if d.needs_confirmation:
            tasks.append(Task(_("A team lead confirms the emergency placement"), url=url))
    follow_ups = trajectory.prefetched("follow_ups")
    if follow_ups is None:
        follow_ups = list(trajectory.follow_ups.open())
    for f in (f for f in follow_ups if not f.is_done):
        tasks.append(
            Task(
                _("Follow-up after %(months)s months") % {"months": f.months},
                f.due_on,
                f.is_overdue(as_of),
                reverse("trajectories:follow_up", args=[f.pk]),
            )
        )
    tasks.sort(key=lambda t: (not t.overdue, t.due_on or dt.date.max))
    return tasks
