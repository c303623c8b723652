"""Care around the search: evaluations, the placement process, closure and follow-up.

Evaluation meetings follow the programme's cadence; at each one the professional measures
risk (:func:`yim.demo.measures.measure_risk`). The placement hazard of each month reads the
latest measured risk score and whether a JIM is active (:mod:`yim.demo.mechanisms`). A
finalised out-of-home placement ends ambulatory care: the trajectory closes with the reason
"placement", and the youth's living situation follows.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from yim.demo import mechanisms as mech
from yim.demo.common import Batches, moment, plus, weighted
from yim.demo.measures import measure_risk
from yim.demo.story import Measurement, Story
from yim.trajectories import models as tm
from yim.trajectories.rules import FOLLOW_UP_MONTHS, add_months, consultation_due

GOALS = [
    "Minstens vier dagen per week naar school",
    "Minder ruzie thuis",
    "Een dagbesteding of baan",
    "Geen cannabis op schooldagen",
    "Thuis blijven wonen in plaats van een plaatsing",
    "Contact met vader herstellen",
    "Afspraken met de jeugdreclassering nakomen",
]
PLACEMENT_TYPES = {
    "residential": [("residential", 70), ("semi_secure", 10), ("foster_care", 20)],
    "semi_secure": [("semi_secure", 60), ("residential", 40)],
    "foster_care": [("foster_care", 75), ("residential", 25)],
    "none": [("foster_care", 50), ("residential", 50)],
}
LIVING_AFTER_PLACEMENT = {
    "foster_care": "foster_family",
    "residential": "residential",
    "semi_secure": "residential",
}
#: Closure reasons (without a placement) by how far the measured risk fell.
CLOSURE_REASONS = {
    "improved": [
        ("goals_achieved", 70), ("partly_achieved", 20), ("moved", 5), ("care_elsewhere", 5),
    ],
    "somewhat": [
        ("goals_achieved", 35), ("partly_achieved", 40), ("care_elsewhere", 15),
        ("youth_withdrew", 10),
    ],
    "not": [("partly_achieved", 30), ("care_elsewhere", 35), ("youth_withdrew", 25), ("moved", 10)],
}  # fmt: skip
#: Recent emergency placements whose JIM consultation is still due (one overdue).
PENDING_EMERGENCIES = {42: 10, 67: 3}


def evaluation_days(s: Story, end: date, today: date) -> list[date]:
    """Evaluations every ``interval`` months from the start; about one in eight is missed."""
    rng = s.rng
    interval = s.programme.evaluation_interval_months
    days: list[date] = []
    due = add_months(s.start, interval)
    while due <= min(end, today):
        if rng.random() < 0.88:
            held = plus(due, rng.randint(-10, 12))
            if s.start < held <= min(end, today) and (not days or held > days[-1]):
                days.append(held)
        due = add_months(due, interval)
    return days


def measure(s: Story, day: date) -> Measurement:
    level = s.risk.at(s.months_in_care(day), s.months_with_jim(day))
    answers, score = measure_risk(s.rng, level, s.risk.offsets)
    return Measurement(day=day, answers=answers, score=score)


def placement_day(s: Story, last: date) -> date | None:
    """Month by month from the start: a placement with the hazard of the latest measured risk
    score, JIM status and team. None when care reaches ``last`` without one."""
    rng = s.rng
    month = 0
    while True:
        day = plus(s.start, 30 * month)
        if day > last:
            return None
        hazard = mech.placement_hazard(s.latest_score(day), s.jim_active_on(day), s.team)
        if rng.random() < hazard:
            placed = plus(day, rng.randint(0, 29))
            return placed if placed <= last else None
        month += 1


def care_plan(s: Story, explore_on: date, today: date, b: Batches) -> None:
    rng = s.rng
    plan_day = plus(explore_on, rng.randint(1, 10))
    if plan_day <= today:
        plan = b.add(
            tm.CarePlan(
                trajectory=s.trajectory, made_on=plan_day, summary="Plan samen met de jongere."
            )
        )
        for goal in rng.sample(GOALS, rng.randint(2, 4)):
            b.add(tm.Goal(plan=plan, description=goal, status=rng.choice(tm.GoalStatus.values)))
    if rng.random() < 0.15 and plus(s.start, 2) <= today:
        b.add(
            tm.SafetyPlan(
                trajectory=s.trajectory,
                made_on=plus(s.start, 2),
                concerns="Geweld thuis na een conflict.",
                measures="Vijf nachten bij oma; dagelijks telefonisch contact.",
                ended_on=plus(s.start, 20) if plus(s.start, 20) <= today else None,
            )
        )


def meeting(s: Story, kind: str, day: date, b: Batches) -> Any:
    """A meeting with its attendees; the JIM takes part once their consent is complete."""
    rng = s.rng
    with_jim = s.jim is not None and s.jim_active_on(day)
    m = b.add(
        tm.Meeting(
            trajectory=s.trajectory, kind=kind, held_on=day,
            decisions="Afspraken doorgenomen; volgende stappen vastgelegd.",
            youth_view="Het gaat beter op school; ik wil meer te zeggen hebben over de weekenden.",
            jim_input="De JIM gaat mee naar het gesprek op school." if with_jim else "",
        )
    )  # fmt: skip
    present = {
        "youth": rng.random() < 0.9,
        "jim": rng.random() < 0.85 if with_jim else None,
        "parent": rng.random() < 0.7,
        "professional": True,
    }
    names = {
        "youth": "",
        "jim": s.jim.person.display_name if with_jim else "",
        "parent": s.parents[0].display_name,
        "professional": "Ambulant hulpverlener",
    }
    attendees = [
        b.add(tm.Attendee(meeting=m, role=role, name=names[role], present=here))
        for role, here in present.items()
        if here is not None
    ]
    s.meetings.append((m, attendees))
    return m


def placement(
    s: Story,
    decided: date,
    today: date,
    leads: dict[int, Any],
    b: Batches,
    *,
    pending: bool = False,
) -> Any:
    """A finalised out-of-home decision through the gate: the JIM consulted first (after an
    emergency within 7 days), or the reason why there is no JIM to consult."""
    rng = s.rng
    emergency = pending or rng.random() < 0.2
    meeting(s, "crisis" if pending else "placement", decided, b)
    kind = weighted(rng, PLACEMENT_TYPES[s.trajectory.requested_placement])
    if s.comparison:
        no_jim_reason = "Vergelijkingsgroep: gebruikelijke zorg, zonder de JIM-aanpak."
    elif s.jim is None:
        no_jim_reason = "Er is (nog) geen JIM gevonden; zie de nominatierondes."
    else:
        no_jim_reason = ""
    lead = leads.get(s.trajectory.team_id)
    confirmed = (
        emergency and not pending and lead is not None and decided < today and rng.random() < 0.8
    )
    decision = b.add(
        tm.PlacementDecision(
            trajectory=s.trajectory,
            placement_type="residential" if pending else kind,
            decided_on=decided,
            options_considered="Ambulante hulp met de JIM; pleegzorg; residentiële zorg.",
            rationale="Acuut gevaar thuis in de nacht; crisisplaatsing."
            if pending
            else "De veiligheid thuis kon niet op tijd worden hersteld.",
            youth_view="Ik wil niet weg, maar ik begrijp waarom.",
            is_emergency=emergency,
            no_jim_reason=no_jim_reason,
            status="finalised",
            consultation_due=consultation_due(decided) if emergency else None,
            finalised_at=moment(decided, 23 if pending else 17),
            confirmed_at=moment(decided + timedelta(days=1), 9) if confirmed else None,
            confirmed_by=lead if confirmed else None,
        )
    )
    if s.jim is None or pending:
        return decision
    if emergency:
        consulted = plus(decided, rng.randint(1, 9))
        if consulted > today or rng.random() < 0.1:
            return decision  # still flagged: the consultation is due (or overdue)
    else:
        consulted = max(s.start, decided - timedelta(days=2))
    b.add(
        tm.JimConsultation(
            decision=decision, jim=s.jim, consulted_on=consulted,
            advice="Houd de weekenden bij mij, wat er ook besloten wordt.",
            weighing="Weekendverblijf bij de JIM hoort bij het plaatsingsplan.",
        )
    )  # fmt: skip
    return decision


def closure_reason(s: Story, closed_on: date) -> str:
    """Why care ended, from how far the measured risk fell (no placement)."""
    assert s.intake is not None
    fall = s.intake.score - s.latest_score(closed_on)
    if fall > 0.6:
        weights = CLOSURE_REASONS["improved"]
    elif fall > 0.2:
        weights = CLOSURE_REASONS["somewhat"]
    else:
        weights = CLOSURE_REASONS["not"]
    return weighted(s.rng, weights)


def close(s: Story, closed_on: date, reason: str, b: Batches) -> None:
    rng = s.rng
    if s.jim is not None:
        relationship = weighted(rng, [("continuing", 75), ("strained", 10), ("ended", 15)])
    else:
        relationship = "ended" if s.accepted_any else "no_jim"
    s.closure = b.add(
        tm.Closure(
            trajectory=s.trajectory, closed_on=closed_on, reason=reason,
            jim_relationship=relationship,
        )
    )  # fmt: skip
    s.transitions.append((tm.Phase.CLOSURE, closed_on))
    s.closure_measurement = measure(s, closed_on)
    s.relationship_months = mech.months_relationship_lasts(rng, relationship)


#: Who answers a follow-up (a JIM only where there was one).
REPORTERS = [("youth", 40), ("parent", 25), ("jim", 20), ("professional", 15)]


def episode(
    s: Story, kind: str, started: date, today: date, b: Batches, decision: Any = None
) -> None:
    """A placement that began: its episode (from the decision, or recorded afterwards) and
    the youth's living situation, back home when it ended."""
    ended = plus(started, s.rng.randint(60, 540))
    b.add(
        tm.PlacementEpisode(
            trajectory=s.trajectory,
            source="decision" if decision is not None else "recorded_afterwards",
            decision=decision,
            carried_out=True,
            placement_type=kind,
            started_on=started,
            ended_on=ended if ended <= today else None,
            note="" if decision is not None else "Gemeld bij de follow-up na afsluiting.",
        )
    )
    home = s.living[0][0]
    s.living.append((LIVING_AFTER_PLACEMENT[kind], started))
    if ended <= today:
        s.living.append((home, ended))


def follow_ups(s: Story, placed_type: str | None, today: date, b: Batches) -> None:
    """The follow-ups at 6, 12 and 24 months, about the youth's last JIM (asked only when there
    was one): the JIM relationship, and placements after closure from the placement model at a
    lower base. About one in eight cannot be reached."""
    rng = s.rng
    closure = s.closure
    assert closure is not None and s.closure_measurement is not None
    placed_before = placed_type is not None
    placed_month: int | None = 0 if placed_before else None
    if placed_type is None:
        score = s.closure_measurement.score
        for month in range(1, max(FOLLOW_UP_MONTHS) + 1):
            continues = s.jim is not None and s.relationship_months > month
            hazard = mech.placement_hazard(score, continues, s.team, after_closure=True)
            if rng.random() < hazard:
                placed_month = month
                placed_type = weighted(rng, [("foster_care", 50), ("residential", 50)])
                break
    jim = s.jims[-1] if s.jims else None
    reporters = REPORTERS if jim is not None else [r for r in REPORTERS if r[0] != "jim"]
    first_done: date | None = None
    for months in FOLLOW_UP_MONTHS:
        due = add_months(closure.closed_on, months)
        follow = b.add(tm.FollowUp(trajectory=s.trajectory, months=months, due_on=due, jim=jim))
        s.follow_ups.append(follow)
        done = plus(due, rng.randint(0, 20))
        if done > today:
            continue
        follow.done_on = done
        first_done = first_done or done
        if rng.random() < 0.12:
            follow.outcome = "not_reached"  # tried: nobody answered; the answers stay empty
            continue
        follow.reported_by = weighted(rng, reporters)
        placed = placed_month is not None and placed_month <= months
        follow.placement_after_all = placed
        follow.placement_type = placed_type if placed else ""
        if placed and not placed_before and placed_month is not None and placed_type:
            # First heard of at this follow-up: the placement is recorded afterwards.
            began = max(plus(closure.closed_on, 1), plus(due, -30 * (months - placed_month) - 15))
            episode(s, placed_type, min(began, done), today, b)
            placed_before = True
        if jim is not None:
            continues = s.jim is not None and s.relationship_months > months
            follow.jim_contact_continues = continues
            follow.contact_frequency = rng.choice(["weekly", "monthly"]) if continues else ""
    if first_done is not None and s.programme.uses_phase(tm.Phase.FOLLOW_UP):
        s.transitions.append((tm.Phase.FOLLOW_UP, first_done))
