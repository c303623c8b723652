"""The phase stepper of a trajectory: where the youth is, the suggested next step, and why a
later phase is blocked; and what is still open before an irreversible step.

Pure domain: it reads a trajectory and asks the models' own rules — the phase move rules
(:meth:`Trajectory.move_refusal`, the same checks :meth:`Trajectory.advance_to` makes), the
placement gate (:meth:`PlacementDecision.gate_error`), the consent status, the evaluation
schedule and the follow-up plan. No rule is decided here, and nothing here knows who is
looking: the trajectory page leaves out the links for a reader who may not write.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from yim.programmes.phases import CLOSED_PHASES, PHASE_ORDER, Phase, phase_index
from yim.trajectories.models import (
    Cohort,
    GoalStatus,
    Meeting,
    MeetingKind,
    PlacementDecision,
    Response,
    Trajectory,
)
from yim.trajectories.models.base import today
from yim.trajectories.rules import amsterdam_day

DONE = "done"
CURRENT = "current"
TO_COME = "to_come"

#: Goal statuses still being worked on: a closure warns about them.
OPEN_GOALS = (GoalStatus.OPEN, GoalStatus.IN_PROGRESS)


@dataclass(frozen=True)
class Step:
    """Something to do next, and the page that does it (URL name, arguments, query, anchor).

    ``key`` names the kind of step (stable, for tests and styling); ``team_lead``: only a
    team lead of the youth's team does it.
    """

    key: str
    text: str
    url_name: str
    args: tuple[int, ...] = ()
    query: str = ""
    anchor: str = ""
    due_on: dt.date | None = None
    overdue: bool = False
    team_lead: bool = False

    @property
    def url(self) -> str:
        url = reverse(self.url_name, args=self.args)
        if self.query:
            url += "?" + self.query
        return url + ("#" + self.anchor if self.anchor else "")


@dataclass(frozen=True)
class PhaseStep:
    """One phase of the trajectory's programme: ``state`` is done, current or to come;
    ``entered_on`` the last day it was entered (None: never, e.g. skipped); ``blocked`` why
    a move to it is refused now (phases to come only; None when it is open)."""

    phase: str
    label: str
    state: str
    entered_on: dt.date | None = None
    blocked: str | None = None

    @property
    def is_current(self) -> bool:
        return self.state == CURRENT


@dataclass(frozen=True)
class Stepper:
    phases: tuple[PhaseStep, ...]
    steps: tuple[Step, ...]

    @property
    def next_step(self) -> Step | None:
        """The suggested next step: the most urgent of ``steps``."""
        return self.steps[0] if self.steps else None

    @property
    def other_steps(self) -> tuple[Step, ...]:
        return self.steps[1:]

    @property
    def current(self) -> PhaseStep | None:
        return next((p for p in self.phases if p.is_current), None)


@dataclass(frozen=True)
class OpenMatter:
    """Something still open in a trajectory, named on the confirmation of an irreversible
    step (finalising a placement decision, closing the trajectory)."""

    key: str
    text: str
    url: str = ""


# --- the stepper -----------------------------------------------------------------------------


def stepper_for(trajectory: Trajectory, as_of: dt.date | None = None) -> Stepper:
    """The phases of the trajectory's programme with their state, and the next steps."""
    as_of = as_of or today()
    return Stepper(phases=_phases(trajectory), steps=tuple(_steps(trajectory, as_of)))


def _phases(trajectory: Trajectory) -> tuple[PhaseStep, ...]:
    entered: dict[str, dt.date] = {}
    for transition in trajectory.phase_history():
        entered[transition.phase] = amsterdam_day(transition.entered_at)
    current = phase_index(trajectory.phase)
    phases = []
    for phase in PHASE_ORDER:
        if not trajectory.programme.uses_phase(phase) and phase != trajectory.phase:
            continue
        index = phase_index(phase)
        if index < current:
            state, blocked = DONE, None
        elif index == current:
            state, blocked = CURRENT, None
        else:
            state, blocked = TO_COME, _blocked(trajectory, phase)
        phases.append(
            PhaseStep(
                phase=phase,
                label=str(Phase(phase).label),
                state=state,
                entered_on=entered.get(phase) if state != TO_COME else None,
                blocked=blocked,
            )
        )
    return tuple(phases)


def _blocked(trajectory: Trajectory, phase: str) -> str | None:
    """Why the move to ``phase`` is refused now — the model's own refusal. Closure is not a
    move but a record (reason, JIM relationship): it is never blocked."""
    if phase == Phase.CLOSURE and not trajectory.is_closed:
        return None
    refusal = trajectory.move_refusal(phase)
    return " ".join(str(m) for m in refusal.messages) if refusal is not None else None


def _steps(trajectory: Trajectory, as_of: dt.date) -> list[Step]:
    steps: list[Step] = _placement_steps(trajectory, as_of)
    if trajectory.is_closed:
        steps += _follow_up_steps(trajectory, as_of)
    elif trajectory.cohort != Cohort.COMPARISON:  # care as usual: no JIM work to suggest
        steps += _phase_work(trajectory, as_of)
    # Overdue first; otherwise in the order of the work (the list above is in that order).
    return sorted(steps, key=lambda s: not s.overdue)


def _placement_steps(trajectory: Trajectory, as_of: dt.date) -> list[Step]:
    steps = []
    # .all(): the decisions the trajectory page prefetched, if it did (oldest first here).
    decisions = sorted(trajectory.placement_decisions.all(), key=lambda d: (d.decided_on, d.pk))
    for decision in decisions:
        args = (decision.pk,)
        if decision.consultation_pending:  # an emergency placement in force, JIM not consulted
            steps.append(
                Step(
                    "consult_jim",
                    _("Consult the JIM about the emergency placement"),
                    "trajectories:placement",
                    args,
                    anchor="consultations",
                    due_on=decision.consultation_due,
                    overdue=decision.is_consultation_overdue(as_of),
                )
            )
        if decision.is_finalised and decision.needs_confirmation:
            steps.append(
                Step(
                    "confirm_emergency",
                    _("A team lead confirms the emergency placement"),
                    "trajectories:placement",
                    args,
                    anchor="confirm",
                    team_lead=True,
                )
            )
        if not decision.is_finalised and not trajectory.is_closed:
            if decision.gate_error() is not None:
                steps.append(
                    Step(
                        "consult_jim",
                        _("Consult the JIM before the placement decision is finalised"),
                        "trajectories:placement",
                        args,
                        anchor="consultations",
                    )
                )
            else:
                steps.append(
                    Step(
                        "finalise",
                        _("Finalise the placement decision"),
                        "trajectories:placement",
                        args,
                        query="confirm=finalise",
                    )
                )
    return steps


def _follow_up_steps(trajectory: Trajectory, as_of: dt.date) -> list[Step]:
    follow_up = trajectory.follow_ups.open().order_by("due_on").first()
    if follow_up is None:
        return []
    return [
        Step(
            "follow_up",
            _("Follow-up after %(months)s months") % {"months": follow_up.months},
            "trajectories:follow_up",
            (follow_up.pk,),
            due_on=follow_up.due_on,
            overdue=follow_up.is_overdue(as_of),
        )
    ]


def _move(trajectory: Trajectory, phase: str) -> Step:
    return Step(
        "move",
        _("Move to the phase '%(phase)s'") % {"phase": Phase(phase).label},
        "trajectories:detail",
        (trajectory.pk,),
        anchor="phase",
    )


def _next_phase(trajectory: Trajectory) -> str | None:
    """The next phase of the programme after the current one, if a move to it is open."""
    for phase in PHASE_ORDER[phase_index(trajectory.phase) + 1 :]:
        if phase in CLOSED_PHASES:
            return None
        if trajectory.programme.uses_phase(phase):
            return phase if trajectory.move_refusal(phase) is None else None
    return None


def _phase_work(trajectory: Trajectory, as_of: dt.date) -> list[Step]:
    """The work of an open trajectory, in the order of the approach."""
    pk = trajectory.pk
    phase = trajectory.phase
    steps: list[Step] = []
    move_on = _next_phase(trajectory)
    if phase == Phase.REFERRAL:
        if move_on:
            steps.append(_move(trajectory, move_on))
        return steps
    jim: Any = trajectory.active_jim
    # Searching for a JIM until one accepts, or until "no JIM found" is recorded (a new
    # round after that is a new search).
    searching = jim is None and (
        trajectory.open_round() is not None or not trajectory.no_jim_outcomes.exists()
    )
    consented = jim is not None and jim.consent_status().complete
    if searching:
        steps += _search(trajectory)
    elif jim is not None and not consented:
        if move_on == Phase.CONSENT:
            steps.append(_move(trajectory, move_on))
        steps.append(
            Step(
                "record_consent",
                _("Record consent for %(name)s") % {"name": jim.person.display_name},
                "trajectories:consent_add",
                (jim.pk,),
            )
        )
    elif consented and _before(phase, Phase.COLLABORATION) and not _positioned(trajectory):
        if move_on == Phase.POSITIONING:
            steps.append(_move(trajectory, move_on))
        steps.append(
            Step(
                "positioning_meeting",
                _("Hold the first care meeting with the JIM (positioning)"),
                "trajectories:meeting_add",
                (pk,),
                query="kind=positioning",
            )
        )
    elif move_on is not None:
        steps.append(_move(trajectory, move_on))
    if phase == Phase.COLLABORATION:
        steps += _collaboration(trajectory, as_of)
    else:
        steps += [s for s in _evaluations(trajectory, as_of) if s.overdue]
    return steps


def _before(phase: str, later: str) -> bool:
    return phase_index(phase) < phase_index(later)


def _positioned(trajectory: Trajectory) -> bool:
    """The JIM's first care meeting (positioning) has been held."""
    return (
        Meeting.objects.held().filter(trajectory=trajectory, kind=MeetingKind.POSITIONING).exists()
    )


def _search(trajectory: Trajectory) -> list[Step]:
    """Looking for a JIM: map the network, a round, the candidates' answers."""
    pk = trajectory.pk
    round_ = trajectory.open_round()
    if round_ is None:
        if not trajectory.youth.network.exists():
            return [
                Step(
                    "map_network",
                    _("Map the network with the youth"),
                    "trajectories:network",
                    (trajectory.youth_id,),
                )
            ]
        return [
            Step("start_round", _("Start a nomination round"), "trajectories:round_start", (pk,))
        ]
    pending = list(
        round_.candidates.filter(response=Response.PENDING)
        .select_related("person")
        .order_by("named_on", "pk")
    )
    steps = [
        Step(
            "record_answer",
            _("Record the response of %(name)s") % {"name": c.person.display_name},
            "trajectories:candidate",
            (c.pk,),
        )
        for c in pending
    ]
    if not pending:
        steps.append(
            Step("name_candidate", _("Name a candidate"), "trajectories:candidate_add", (pk,))
        )
    # Candidates are being named: the move into that phase, where the programme has it.
    if (
        trajectory.phase != Phase.CANDIDATES
        and trajectory.programme.uses_phase(Phase.CANDIDATES)
        and trajectory.move_refusal(Phase.CANDIDATES) is None
    ):
        steps.append(_move(trajectory, Phase.CANDIDATES))
    return steps


def _collaboration(trajectory: Trajectory, as_of: dt.date) -> list[Step]:
    pk = trajectory.pk
    plan = getattr(trajectory, "care_plan", None)
    if plan is None:
        return [
            Step("care_plan", _("Make the care plan"), "trajectories:care_plan", (pk,)),
            *_evaluations(trajectory, as_of),
        ]
    steps = _evaluations(trajectory, as_of)
    goals = list(plan.goals.values_list("status", flat=True))
    if goals and not any(status in OPEN_GOALS for status in goals):
        steps.append(Step("close", _("Close the trajectory"), "trajectories:close", (pk,)))
    return steps


def _evaluations(trajectory: Trajectory, as_of: dt.date) -> list[Step]:
    """The next evaluation of the programme's cadence: record the one on the agenda, or
    plan it."""
    due = next(
        (e for e in trajectory.evaluations_due(as_of) if e.status in ("overdue", "upcoming")),
        None,
    )
    if due is None:
        return []
    planned = (
        Meeting.objects.planned().filter(trajectory=trajectory, kind=MeetingKind.EVALUATION).first()
    )
    if planned is not None:
        return [
            Step(
                "evaluation",
                _("Record the evaluation planned for %(date)s")
                % {"date": date_format(planned.planned_for or due.due_on, "DATE_FORMAT")},
                "trajectories:meeting",
                (planned.pk,),
                due_on=due.due_on,
                overdue=due.is_overdue,
            )
        ]
    return [
        Step(
            "evaluation",
            _("Plan an evaluation"),
            "trajectories:meeting_add",
            (trajectory.pk,),
            query="kind=evaluation",
            due_on=due.due_on,
            overdue=due.is_overdue,
        )
    ]


# --- what is still open, before an irreversible step ----------------------------------------


def open_matters(
    trajectory: Trajectory,
    as_of: dt.date | None = None,
    *,
    decision: PlacementDecision | None = None,
) -> tuple[OpenMatter, ...]:
    """What is still open in ``trajectory``: emergency placements awaiting their JIM
    consultation or a team lead's confirmation, draft decisions (other than ``decision``,
    the one being finalised), open goals, an open nomination round, candidates without an
    answer, incomplete consent of the JIM and overdue evaluations."""
    as_of = as_of or today()
    matters: list[OpenMatter] = []
    for other in trajectory.placement_decisions.order_by("decided_on", "pk"):
        url = reverse("trajectories:placement", args=[other.pk])
        what = {
            "type": other.get_placement_type_display(),
            "date": date_format(other.decided_on, "DATE_FORMAT"),
        }
        if other.consultation_pending and other.consultation_due is not None:
            text = _(
                "The emergency placement (%(type)s) of %(date)s is in force and its JIM "
                "consultation is due on %(due)s."
            ) % {**what, "due": date_format(other.consultation_due, "DATE_FORMAT")}
            if other.is_consultation_overdue(as_of):
                text += " " + _("The consultation is overdue.")
            matters.append(OpenMatter("consultation_due", text, url))
        if other.is_finalised and other.needs_confirmation:
            matters.append(
                OpenMatter(
                    "emergency_unconfirmed",
                    _(
                        "The emergency placement (%(type)s) of %(date)s is in force and not "
                        "yet confirmed by a team lead."
                    )
                    % what,
                    url,
                )
            )
        if not other.is_finalised and (decision is None or other.pk != decision.pk):
            matters.append(
                OpenMatter(
                    "draft_decision",
                    _("The placement decision (%(type)s) of %(date)s is still a draft.") % what,
                    url,
                )
            )
    if trajectory.is_closed:
        return tuple(matters)
    detail = reverse("trajectories:detail", args=[trajectory.pk])
    plan = getattr(trajectory, "care_plan", None)
    if plan is not None:
        open_goals = [g.description for g in plan.goals.filter(status__in=OPEN_GOALS)]
        if open_goals:
            matters.append(
                OpenMatter(
                    "open_goals",
                    _("Goals still open: %(goals)s.") % {"goals": "; ".join(open_goals)},
                    detail + "#care-plan",
                )
            )
    round_ = trajectory.open_round()
    if round_ is not None:
        matters.append(
            OpenMatter(
                "open_round",
                _("%(round)s of the nomination is still open.") % {"round": round_},
                detail + "#nomination",
            )
        )
        waiting = [
            c.person.display_name
            for c in round_.candidates.filter(response=Response.PENDING).select_related("person")
        ]
        if waiting:
            matters.append(
                OpenMatter(
                    "no_answer",
                    _("Candidates without an answer: %(names)s.") % {"names": ", ".join(waiting)},
                    detail + "#nomination",
                )
            )
    jim: Any = trajectory.active_jim
    if jim is not None and not jim.consent_status().complete:
        matters.append(
            OpenMatter(
                "consent",
                _("Consent for the JIM %(name)s is not complete.")
                % {"name": jim.person.display_name},
                reverse("trajectories:consent_add", args=[jim.pk]),
            )
        )
    for evaluation in trajectory.evaluations_due(as_of):
        if evaluation.is_overdue:
            matters.append(
                OpenMatter(
                    "evaluation_overdue",
                    _("The evaluation due on %(date)s has not been held.")
                    % {"date": date_format(evaluation.due_on, "DATE_FORMAT")},
                    detail + "#meetings",
                )
            )
    return tuple(matters)


def follow_up_plan(closed_on: dt.date) -> list[tuple[int, dt.date]]:
    """The follow-ups a closure on ``closed_on`` plans (the model's plan, for the page)."""
    return Trajectory.follow_up_plan(closed_on)
