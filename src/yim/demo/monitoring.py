"""Monitoring data of the demo: portal accounts, waves, submitted assessments and feedback.

* Every trajectory's professional fills in the risk instrument at intake (always), at most
  evaluations, at closure and at some follow-ups — the measurements the casework already
  used for the placement process.
* Youth, JIMs and parents with a portal account answer the programme's questionnaires:
  relationship quality at evaluations while a JIM is active, resilience at intake and
  closure, satisfaction at closure, and short feedback after meetings they attended.
  Not everyone has an account and not everyone answers (non-response is realistic).

Portal accounts made here cannot sign in (no usable password); the demo logins are the
ones in :data:`yim.demo.registry.DEMO_LOGINS`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from yim.accounts.models import PortalLink, Role, User
from yim.demo.common import Batches, moment, plus, youth_rng
from yim.demo.measures import RISK_INSTRUMENT, answers_for, instrument, measure_risk, scores_of
from yim.demo.story import Story
from yim.monitoring import models as mm
from yim.monitoring.waves import WaveKind

UNUSABLE_PASSWORD = "!demo-portal-account"  # noqa: S105 - marks an account that cannot sign in
#: Share of youth, parents and JIMs with a portal account.
PORTAL_UPTAKE = {"youth": 0.85, "parent": 0.55, "jim": 0.75}
#: Chance that someone with an account answers a questionnaire when asked.
RESPONSE = {"youth": 0.6, "parent": 0.4, "jim": 0.55, "professional": 0.9}
#: How favourably each respondent type tends to answer feedback (0 worst – 1 best).
FEEDBACK_FAVOUR = {"youth": 0.62, "jim": 0.74, "parent": 0.55}


@dataclass
class Accounts:
    youth: Any = None
    parent: Any = None
    jim: Any = None

    def of(self, role: str) -> Any:
        return getattr(self, role)


def portal_accounts(s: Story, rng: random.Random, b: Batches, sams: dict[str, Any]) -> Accounts:
    """Portal accounts with their links; Sam B.'s are the demo logins."""
    if s.index == 0:
        return Accounts(youth=sams["youth"], parent=sams["parent"], jim=sams["jim"])
    accounts = Accounts()
    youth = s.youth
    people = {"youth": s.youth.display_name, "parent": s.parents[0].display_name}
    if s.jim is not None and s.jim_from is not None:
        people["jim"] = s.jim.person.display_name
    for role, name in people.items():
        if rng.random() >= PORTAL_UPTAKE[role]:
            continue
        first, _space, last = name.partition(" ")
        user = b.add(
            User(
                username=f"demo.{role}.{s.index}",
                password=UNUSABLE_PASSWORD,
                role=Role(role),
                organisation=youth.organisation,
                first_name=first,
                last_name=last or "(synthetisch)",
            )
        )
        person = s.jim.person if role == "jim" else None
        b.add(PortalLink(user=user, youth=youth, relation=role, person=person))
        setattr(accounts, role, user)
    return accounts


class _Writer:
    """Waves and submitted assessments of one trajectory."""

    def __init__(self, s: Story, rng: random.Random, b: Batches, today: date) -> None:
        self.s, self.rng, self.b, self.today = s, rng, b, today
        self.waves: dict[tuple[str, int], Any] = {}
        self.codes = set(s.programme.instruments)

    def wave(self, kind: str, number: int, on: date, meeting: Any = None) -> Any:
        key = (kind, number)
        if key not in self.waves:
            self.waves[key] = self.b.add(
                mm.Wave(
                    trajectory=self.s.trajectory, kind=kind, number=number, on=on, meeting=meeting
                )
            )
        return self.waves[key]

    def answers(self, role: str) -> bool:
        """Whether this respondent fills in what they are asked (non-response happens)."""
        return self.rng.random() < RESPONSE[role]

    def risk(self, wave: Any, day: date, answers: dict[str, int]) -> None:
        professional = self.s.trajectory.professional
        self.submit(RISK_INSTRUMENT, "professional", professional, day, dict(answers), wave=wave)

    def submit(
        self,
        code: str,
        role: str,
        respondent: Any,
        day: date,
        answers: dict[str, Any],
        *,
        wave: Any = None,
        meeting: Any = None,
    ) -> None:
        """A submitted assessment with its answers, scores and history (when the programme
        uses the instrument and the respondent has an account)."""
        if code not in self.codes or respondent is None:
            return
        day = min(day, self.today)
        rng = self.rng
        started = moment(day, 13 + rng.randint(0, 6), rng.randint(0, 44))
        submitted = started + timedelta(minutes=rng.randint(3, 15))
        assessment = self.b.add(
            mm.Assessment(
                youth=self.s.youth,
                trajectory=self.s.trajectory,
                wave=wave,
                meeting=meeting,
                instrument=code,
                instrument_version=instrument(code).version,
                respondent_role=role,
                respondent=respondent,
                status=mm.Status.SUBMITTED,
                started_at=started,
                submitted_at=submitted,
                assessed_on=day,
                scores=scores_of(code, answers),
                version=3,  # started, answers saved, submitted
            )
        )
        for item, value in answers.items():
            number, text = (value, "") if isinstance(value, int) else (None, value)
            self.b.add_plain(
                mm.Answer, assessment_id=assessment, item=item, value=number, text=text
            )
        self.b.add(
            mm.AssessmentRevision(
                assessment=assessment, at=submitted, by=respondent, action="submitted"
            )
        )


def write_monitoring(s: Story, seed: int, today: date, b: Batches, accounts: Accounts) -> None:
    w = _Writer(s, youth_rng(seed, s.index, "monitoring"), b, today)
    assert s.intake is not None
    # Risk by the professional: at intake (always), evaluations, closure and follow-ups.
    intake = w.wave(WaveKind.INTAKE, 0, s.start)
    w.risk(intake, s.start, s.intake.answers)
    for number, (meeting, measured) in enumerate(s.evaluations, start=1):
        if w.answers("professional"):
            wave = w.wave(WaveKind.EVALUATION, number, meeting.held_on, meeting)
            w.risk(wave, meeting.held_on, measured.answers)
    closure, at_closure = s.closure, s.closure_measurement
    if closure is not None and at_closure is not None and w.answers("professional"):
        w.risk(
            w.wave(WaveKind.CLOSURE, 0, closure.closed_on), closure.closed_on, at_closure.answers
        )
    for follow in s.follow_ups:
        if follow.done_on is not None and w.rng.random() < 0.6:
            day = follow.done_on
            level = s.risk.at(s.months_in_care(day), s.months_with_jim(day))
            answers, _score = measure_risk(w.rng, level, s.risk.offsets)
            w.risk(w.wave(mm.WaveKind.FOLLOW_UP, follow.months, follow.due_on), day, answers)
    if s.comparison:
        return  # care as usual: no portals of the JIM approach
    _questionnaires(s, w, accounts, intake)
    _meeting_feedback(s, w, accounts)


def _better(score: float) -> float:
    """How favourably someone answers at a measured risk score (0–3): lower risk, higher."""
    return max(0.05, min(0.95, 0.9 - score / 3.0))


def _questionnaires(s: Story, w: _Writer, accounts: Accounts, intake: Any) -> None:
    """Youth and JIM questionnaires in the waves: resilience, relationship, satisfaction."""
    assert s.intake is not None
    if accounts.youth is not None and w.answers("youth"):
        answers = answers_for(w.rng, "resilience_support", _better(s.intake.score))
        w.submit("resilience_support", "youth", accounts.youth, s.start, answers, wave=intake)
    for number, (meeting, _measured) in enumerate(s.evaluations, start=1):
        day = meeting.held_on
        if not s.jim_active_on(day):
            continue
        # The relationship grows closer the longer it lasts.
        favour = min(0.95, 0.55 + 0.04 * s.months_with_jim(day) + w.rng.gauss(0, 0.08))
        for role in ("youth", "jim"):
            if s.index == 0 and role == "youth":
                continue  # Sam fills this in herself in the demo (and in the browser test)
            account = accounts.of(role)
            if account is not None and w.answers(role):
                wave = w.wave(WaveKind.EVALUATION, number, day, meeting)
                answers = answers_for(w.rng, "relationship_quality", favour)
                w.submit("relationship_quality", role, account, plus(day, 1), answers, wave=wave)
    closure, at_closure = s.closure, s.closure_measurement
    if closure is None or at_closure is None:
        return
    wave = w.wave(WaveKind.CLOSURE, 0, closure.closed_on)
    for role in ("youth", "jim", "parent"):
        account = accounts.of(role)
        if role == "jim" and not s.jim_active_on(closure.closed_on):
            continue
        if account is None or not w.answers(role):
            continue
        favour = min(0.95, _better(at_closure.score) + (0.1 if s.jim else 0.0))
        answers = answers_for(w.rng, "satisfaction", favour)
        w.submit("satisfaction", role, account, closure.closed_on, answers, wave=wave)
        if role == "youth":
            answers = answers_for(w.rng, "resilience_support", _better(at_closure.score))
            w.submit("resilience_support", role, account, closure.closed_on, answers, wave=wave)


def _meeting_feedback(s: Story, w: _Writer, accounts: Accounts) -> None:
    """Short feedback after meetings from those who were there and have an account."""
    for meeting, attendees in s.meetings:
        jim_there = any(a.role == "jim" and a.present for a in attendees)
        for attendee in attendees:
            role = attendee.role
            if role not in FEEDBACK_FAVOUR or not attendee.present:
                continue
            account = accounts.of(role)
            if account is None or not w.answers(role):
                continue
            day = plus(meeting.held_on, w.rng.randint(0, 3))
            if day > w.today:
                continue
            favour = FEEDBACK_FAVOUR[role] + 0.08 * s.team.search + (0.08 if jim_there else 0.0)
            answers = answers_for(w.rng, "stakeholder_feedback", max(0.05, min(0.95, favour)))
            w.submit("stakeholder_feedback", role, account, day, answers, meeting=meeting)
