"""One youth's trajectory from start to follow-up, in the order things happen.

1. the network around the youth; 2. the search for a JIM, simulated whole
(:func:`yim.demo.casework.simulate_search`); 3. risk measured at intake and at every
evaluation; 4. the monthly placement process, which reads those measurements and the JIM's
status; 5. the search as far as it got before a placement, the end of care or the demo's
today; 6. collaboration, meetings, the placement decision; 7. closure (reason "placement"
after a realised placement) and the follow-ups.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from yim.demo import care, casework, people
from yim.demo.common import Batches, moment, plus
from yim.demo.story import Story
from yim.trajectories import models as tm

REFERRAL_REASON = "Dreigende uithuisplaatsing; problemen thuis en op school."


def build_story(s: Story, today: date, leads: dict[int, Any], b: Batches) -> None:
    rng = s.rng
    youth = s.youth
    requested = rng.choice(["residential", "residential", "semi_secure", "foster_care"])
    s.trajectory = b.add(
        tm.Trajectory(
            youth=youth,
            programme=s.programme,
            team=youth.team,
            professional=youth.professional,
            cohort=tm.Cohort.COMPARISON if s.comparison else tm.Cohort.JIM,
            referred_on=s.referred_on,
            referral_source=rng.choice(tm.ReferralSource.values),
            referral_reason=REFERRAL_REASON,
            requested_placement=requested,
            placement_basis=rng.choice(["requested", "indicated"]),
            phase=tm.Phase.REFERRAL,
            started_at=moment(s.start, 9),
            phase_entered_at=moment(s.start, 9),
        )
    )
    s.transitions = [(tm.Phase.REFERRAL, s.start)]
    s.living = [(youth.living_situation, s.referred_on)]
    size = rng.randint(2, 6) if s.comparison else rng.randint(2, 9)
    s.parents, s.others = people.network(rng, b, youth, size)
    search = None if s.comparison else casework.simulate_search(s)
    end = plus(s.start, rng.randint(240, 480))
    collaboration = casework.start_of_collaboration(s, search) if search else None
    # Risk at intake and at each evaluation; the JIM counts from complete consent.
    s.jim_from = search.jim_from if search else None
    s.intake = care.measure(s, s.start)
    evaluations = care.evaluation_days(s, end, today)
    measured = [care.measure(s, day) for day in evaluations]
    s.evaluations = [(None, m) for m in measured]
    waiting = s.index % 50 in (casework.WAITING_IN_CONSENT, casework.WAITING_IN_POSITIONING)
    placed = None if s.index == 0 or waiting else care.placement_day(s, min(end, today))
    last = min(today, placed or today, end)
    s.search_until = last
    if search is not None:
        search = casework.cut_at(search, last)
        casework.write_search(s, search, b)
    if collaboration is not None and (search is None or search.jim_from or search.no_jim):
        _collaboration(s, search, collaboration, last, b)
    if search is not None and search.explore_on <= last:  # the map comes before the plan
        care.care_plan(s, search.explore_on, last, b)
    # Meetings up to the end of care; the evaluations carry the risk measurements.
    s.evaluations = []
    for day, m in zip(evaluations, measured, strict=True):
        if day <= last:
            s.evaluations.append((care.meeting(s, "evaluation", day, b), m))
    if rng.random() < 0.2 and plus(s.start, 45) <= last:
        care.meeting(s, rng.choice(["crisis", "school"]), plus(s.start, 45), b)
    placed_type = None
    if placed is not None:
        decision = care.placement(s, placed, today, leads, b)
        placed_type = decision.placement_type
        closed_on = plus(placed, rng.randint(5, 30))
        _close(s, closed_on, "placement", today, b)
        if s.closure is not None:  # the placement began: ambulatory care ends
            care.episode(s, placed_type, s.closure.closed_on, today, b, decision=decision)
    elif end < today and rng.random() < 0.95:
        _close(s, end, care.closure_reason(s, end), today, b)
    elif s.index % 100 in care.PENDING_EMERGENCIES and s.jim_from is not None:
        decided = today - timedelta(days=care.PENDING_EMERGENCIES[s.index % 100])
        if s.transitions[-1][1] < decided and s.transitions[-1][0] == tm.Phase.COLLABORATION:
            care.placement(s, decided, today, leads, b, pending=True)
    if s.closure is not None:
        care.follow_ups(s, placed_type, today, b)
    finish_phases(s, today, b)
    for situation, since in s.living:
        b.add(tm.LivingSituationRecord(youth=youth, situation=situation, since=since))
    youth.living_situation = s.living[-1][0]  # the current one, from the history


def _collaboration(
    s: Story, search: casework.SearchPlan | None, day: date, last: date, b: Batches
) -> None:
    """Positioning (where the programme has it) and collaboration, as far as care got."""
    moves = s.transitions
    positions = s.programme.uses_phase(tm.Phase.POSITIONING)
    if search is not None and s.jim is not None and s.jim_from is not None and positions:
        positioning = plus(s.jim_from, 1)
        if positioning > last:
            return
        moves.append((tm.Phase.POSITIONING, positioning))
        if s.index % 50 == casework.WAITING_IN_POSITIONING or day > last:
            return
        care.meeting(s, "positioning", day, b)
    day = casework.first_day_after(moves, day) if day <= moves[-1][1] else day
    if day <= last:
        moves.append((tm.Phase.COLLABORATION, day))


def _close(s: Story, closed_on: date, reason: str, today: date, b: Batches) -> None:
    day = casework.first_day_after(s.transitions, closed_on)
    if day <= today:
        care.close(s, day, reason, b)


def finish_phases(s: Story, today: date, b: Batches) -> None:
    """The phase history (forward in time, none in the future) and the current phase."""
    t = s.trajectory
    previous: date | None = None
    for n, (phase, day) in enumerate(s.transitions):
        if day > today:
            break
        day = max(day, previous) if previous else day
        previous = day
        at = moment(day, 9 if n == 0 else 11, min(n, 59))
        b.add(tm.PhaseTransition(trajectory=t, phase=phase, entered_at=at))
        t.phase, t.phase_entered_at = phase, at
        if phase == tm.Phase.CLOSURE:
            t.closed_at = at
