"""The search for a JIM: network exploration, nomination rounds, answers and consent.

A youth's search is simulated from the processes in :mod:`yim.demo.mechanisms` (competing
daily hazards per candidate, early ends, consent refusals) and then written as the
registry would hold it: rounds, candidates, consent records, "no JIM found" and the phase
history. Care itself (meetings, placements, closure) is :mod:`yim.demo.care`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from yim.demo import mechanisms as mech
from yim.demo.common import Batches, moment, plus, weighted
from yim.demo.story import Story
from yim.trajectories import models as tm
from yim.trajectories.rules import required_consent

EARLY_END_REASONS = [("nobody_named", 60), ("youth_declined", 25), ("network_unsafe", 15)]
DECLINE_REASONS = ["Heeft nu geen tijd", "Voelt te zwaar", "Woont te ver weg"]
ALTERNATIVES = (
    "Opnieuw met de jongere naar het netwerkschema gekeken; een tweede ronde met de "
    "suggesties van de ouders; de mentor van school is benaderd."
)
#: Recent trajectories that wait in a phase (visible in the demo's work lists).
WAITING_IN_CONSENT, WAITING_IN_POSITIONING = (3, 8)


@dataclass
class CandidatePlan:
    person: Any
    named_on: date
    asked_on: date | None = None
    response: str = "pending"
    response_on: date | None = None
    ended_on: date | None = None  # consent refused


@dataclass
class RoundPlan:
    started_on: date
    candidates: list[CandidatePlan] = field(default_factory=list)
    closed_on: date | None = None
    outcome: str = "open"


@dataclass
class ConsentPlan:
    day: date
    records: list[tuple[str, str]]  # (party, decision)

    @property
    def refused(self) -> bool:
        return any(decision == "refused" for _party, decision in self.records)


@dataclass
class SearchPlan:
    explore_on: date
    rounds: list[RoundPlan] = field(default_factory=list)
    #: Per accepted candidate: its consent (None while waiting for consent).
    consents: list[tuple[CandidatePlan, ConsentPlan | None]] = field(default_factory=list)
    no_jim: tuple[date, str] | None = None
    jim: CandidatePlan | None = None
    jim_from: date | None = None  # consent complete


def simulate_search(s: Story) -> SearchPlan:
    """The youth's search, as processes: nothing here is fixed in advance."""
    rng = s.rng
    if s.index == 0:
        return _sams_search(s)
    explore_on = plus(s.start, max(1, round(rng.gammavariate(2.0, 3.0))))
    plan = SearchPlan(explore_on=explore_on)
    day = plus(explore_on, max(1, round(rng.gammavariate(2.0, 4.0))))
    if mech.search_ends_early(rng, len(s.others), s.team):
        first = RoundPlan(started_on=day)
        plan.rounds.append(first)
        ended = plus(day, rng.randint(7, 30))
        first.closed_on, first.outcome = ended, "no_jim"
        plan.no_jim = (ended, weighted(rng, EARLY_END_REASONS))
        return plan
    # The youth names the people they trust most first (with some doubt).
    pool = sorted(s.others, key=lambda p: p.trust + 2 * rng.random(), reverse=True)
    while True:
        k = rng.choice([1, 2, 2, 3, 3, 4])
        named, pool = pool[:k], pool[k:]
        round_ = RoundPlan(started_on=day)
        plan.rounds.append(round_)
        asked = day
        accepted: CandidatePlan | None = None
        for person in named:
            candidate = CandidatePlan(person=person, named_on=day)
            round_.candidates.append(candidate)
            if accepted is not None:
                continue  # named, but not needed any more
            asked = plus(asked, rng.randint(1, 4))
            answer = mech.answer_of_candidate(rng, person.trust, s.team)
            candidate.asked_on = asked
            candidate.response = answer.response
            candidate.response_on = plus(asked, answer.days)
            asked = candidate.response_on
            if answer.response == "accepted":
                accepted = candidate
        if accepted is not None:
            assert accepted.response_on is not None
            round_.closed_on, round_.outcome = accepted.response_on, "jim_found"
            consent = _consent(s, accepted.response_on)
            plan.consents.append((accepted, consent))
            if consent is None or not consent.refused:
                plan.jim = accepted
                plan.jim_from = consent.day if consent else None
                return plan
            accepted.ended_on = consent.day
            after = consent.day
            reason = "consent_refused"
        else:
            after = asked
            reason = "all_declined"
        if pool and rng.random() < mech.NEW_ROUND_CHANCE:
            day = plus(after, rng.randint(3, 10))
            if round_.closed_on is None:
                round_.closed_on, round_.outcome = day, "no_jim"
            continue
        ended = plus(after, rng.randint(7, 21))
        if round_.closed_on is None:
            round_.closed_on, round_.outcome = ended, "no_jim"
        plan.no_jim = (ended, reason)
        return plan


def _consent(s: Story, accepted_on: date) -> ConsentPlan | None:
    """Consent by the age rule on the day; refusals by the youth or a parent happen."""
    rng = s.rng
    if s.index % 50 == WAITING_IN_CONSENT:
        return None  # e.g. the parents hesitate: the trajectory waits in consent
    day = plus(accepted_on, rng.randint(1, 6))
    need = required_consent(s.youth.date_of_birth, day)
    records = []
    if need.youth:
        records.append(("youth", "refused" if rng.random() < mech.YOUTH_REFUSES else "yes"))
    if need.parents:
        draw = rng.random()
        decision = (
            "refused"
            if draw < mech.PARENT_REFUSES
            else "reluctant_yes"
            if draw < mech.PARENT_REFUSES + mech.PARENT_RELUCTANT
            else "yes"
        )
        records.append(("parent", decision))
    return ConsentPlan(day=day, records=records)


def _sams_search(s: Story) -> SearchPlan:
    """Sam B.: the aunt, asked twelve days in, accepts after 28 days; consent complete."""
    aunt = s.others[0]
    aunt.display_name, aunt.relation, aunt.age_band = "Marieke", "aunt_uncle", "40_64"
    aunt.lives_with_youth, aunt.trust = False, 5
    plan = SearchPlan(explore_on=plus(s.start, 3))
    round_ = RoundPlan(started_on=plus(s.start, 10))
    aunt_plan = CandidatePlan(
        person=aunt,
        named_on=round_.started_on,
        asked_on=plus(s.start, 12),
        response="accepted",
        response_on=plus(s.start, 28),
    )
    round_.candidates.append(aunt_plan)
    round_.closed_on, round_.outcome = aunt_plan.response_on, "jim_found"
    plan.rounds.append(round_)
    consent = ConsentPlan(day=plus(s.start, 30), records=[("youth", "yes"), ("parent", "yes")])
    plan.consents.append((aunt_plan, consent))
    plan.jim, plan.jim_from = aunt_plan, consent.day
    return plan


def cut_at(plan: SearchPlan, last: date) -> SearchPlan:
    """The search as far as it got by ``last`` (a placement or the demo's today stops it)."""

    def seen(day: date | None) -> date | None:
        return day if day is not None and day <= last else None

    kept_of: dict[int, CandidatePlan] = {}
    rounds = []
    for round_ in plan.rounds:
        if round_.started_on > last:
            break
        kept = RoundPlan(started_on=round_.started_on)
        if seen(round_.closed_on):
            kept.closed_on, kept.outcome = round_.closed_on, round_.outcome
        for c in round_.candidates:
            answered = seen(c.response_on) is not None
            copy = CandidatePlan(
                person=c.person,
                named_on=c.named_on,
                asked_on=seen(c.asked_on),
                response=c.response if answered else "pending",
                response_on=seen(c.response_on),
                ended_on=seen(c.ended_on),
            )
            kept.candidates.append(copy)
            kept_of[id(c)] = copy
        rounds.append(kept)

    def accepted(c: CandidatePlan | None) -> CandidatePlan | None:
        copy = kept_of.get(id(c)) if c is not None else None
        return copy if copy is not None and copy.response == "accepted" else None

    consents: list[tuple[CandidatePlan, ConsentPlan | None]] = []
    for c, consent in plan.consents:
        kept_candidate = accepted(c)
        if kept_candidate is not None:
            given = consent if consent is not None and consent.day <= last else None
            consents.append((kept_candidate, given))
    jim = accepted(plan.jim)
    jim_from = seen(plan.jim_from) if jim is not None else None
    no_jim = plan.no_jim if plan.no_jim is not None and plan.no_jim[0] <= last else None
    return SearchPlan(plan.explore_on, rounds, consents, no_jim, jim, jim_from)


def write_search(s: Story, plan: SearchPlan, b: Batches) -> list[Any]:
    """Rounds, candidates, consent and 'no JIM found' as the registry holds them; the phase
    moves go into ``s.transitions``. Returns the accepted candidates (objects), first first."""
    rng, t = s.rng, s.trajectory
    moves = s.transitions
    if plan.explore_on > _last(s):
        return []
    moves.append((tm.Phase.NETWORK_EXPLORATION, plan.explore_on))
    accepted: list[Any] = []
    consent_of = {id(c): consent for c, consent in plan.consents}
    for number, round_plan in enumerate(plan.rounds, start=1):
        if moves[-1][0] != tm.Phase.CANDIDATES:
            moves.append((tm.Phase.CANDIDATES, round_plan.started_on))
        round_ = b.add(
            tm.NominationRound(
                trajectory=t,
                number=number,
                started_on=round_plan.started_on,
                closed_on=round_plan.closed_on,
                outcome=round_plan.outcome,
            )
        )
        for c in round_plan.candidates:
            candidate = b.add(
                tm.Candidate(
                    round=round_, trajectory=t, person=c.person, named_on=c.named_on,
                    asked_on=c.asked_on, response=c.response, response_on=c.response_on,
                    decline_reason=rng.choice(DECLINE_REASONS) if c.response == "declined" else "",
                )
            )  # fmt: skip
            if c.response != "accepted":
                continue
            assert c.response_on is not None
            accepted.append(candidate)
            if c.person.is_minor:
                candidate.minor_confirmed_on = c.response_on
                candidate.minor_confirmation = (
                    "Ouder en stabiel; de jongere vertrouwt hem of haar; wordt nauw begeleid."
                )
            if c.ended_on is not None:
                candidate.jim_ended_on, candidate.jim_end_reason = c.ended_on, "consent_refused"
            if c is plan.jim:
                s.jim = candidate
            moves.append((tm.Phase.CONSENT, plus(c.response_on, 1)))
            consent = consent_of.get(id(c))
            if consent is not None:
                _write_consent(s, candidate, consent, b)
    if plan.no_jim is not None:
        day, reason = plan.no_jim
        b.add(
            tm.NoJimOutcome(
                trajectory=t, recorded_on=day, reason=reason, alternatives_tried=ALTERNATIVES
            )
        )
    s.jim_from = plan.jim_from if s.jim is not None else None
    s.accepted_any = bool(accepted)
    s.jims = accepted
    return accepted


def _write_consent(s: Story, candidate: Any, consent: ConsentPlan, b: Batches) -> None:
    """The plan's records; the parents' decision is recorded for every holder of parental
    authority (with joint authority both parents decide, alike)."""
    holders = [p for p in s.parents if p.has_parental_authority]
    for hour, (party, decision) in enumerate(consent.records, start=15):
        for holder in holders if party == "parent" else [None]:
            b.add(
                tm.ConsentRecord(
                    trajectory=s.trajectory, candidate=candidate, party=party,
                    decision=decision, holder=holder,
                    parent_name=holder.display_name if holder is not None else "",
                    given_at=moment(consent.day, hour),
                    note={"reluctant_yes": "Een aarzelend ja.", "refused": "Wil deze persoon "
                          "er niet bij hebben."}.get(decision, ""),
                )
            )  # fmt: skip


def _last(s: Story) -> date:
    return s.search_until or s.start


def start_of_collaboration(s: Story, plan: SearchPlan) -> date | None:
    """The day collaboration begins: after positioning with a JIM, or after 'no JIM found'.
    None while the trajectory still waits (searching, consent, positioning)."""
    rng = s.rng
    if plan.jim is not None and plan.jim_from is not None:
        if s.programme.uses_phase(tm.Phase.POSITIONING):
            if s.index % 50 == WAITING_IN_POSITIONING:
                return None
            return plus(plan.jim_from, rng.randint(3, 12))
        return plus(plan.jim_from, rng.randint(1, 5))
    if plan.no_jim is not None and plan.jim is None:
        return plus(plan.no_jim[0], 1)
    return None


def first_day_after(moves: list[tuple[str, date]], day: date) -> date:
    """``day``, or the day after the last phase move when that is later (moves run forward)."""
    return max(day, moves[-1][1] + timedelta(days=1)) if moves else day
