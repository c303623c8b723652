"""A deterministic synthetic registry for ``yim demo`` and benchmarks.

Everything here is invented and marked ``is_synthetic``; the UI labels it so. The same seed
always gives the same organisations, teams, people and youth, and each youth's story is
drawn from its own random source, so ``load(youth_count=N)`` holds the first youth of a
larger registry unchanged.

Events follow processes (:mod:`yim.demo.mechanisms`), never margins: the published
figures of the JIM approach are targets that ``tests/demo`` checks on the default seed.
The parts: :mod:`~yim.demo.people` (organisations, staff, youth, networks),
:mod:`~yim.demo.casework` (the search for a JIM), :mod:`~yim.demo.care` (evaluations,
placements, closure, follow-up), :mod:`~yim.demo.build` (one trajectory in time order) and
:mod:`~yim.demo.monitoring` (portal accounts, waves, assessments, feedback).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from yim.accounts.models import Organisation, PortalLink, Role, Team, User
from yim.core.models import refresh_planner_statistics
from yim.demo import mechanisms as mech
from yim.demo import monitoring, people
from yim.demo.build import build_story
from yim.demo.common import DEMO_TODAY, SPAN_DAYS, Batches, youth_rng
from yim.demo.measures import risk_items
from yim.demo.people import MARKER_ORGANISATION
from yim.demo.story import Story
from yim.monitoring import models as mm
from yim.programmes.models import ProgrammeModel
from yim.trajectories import facts
from yim.trajectories import models as tm

__all__ = [
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "DEMO_TODAY",
    "MARKER_ORGANISATION",
    "DemoLogin",
    "is_loaded",
    "load",
]

DEMO_PASSWORD = "demo-wachtwoord-2026"  # noqa: S105 - published demo password, synthetic data only
#: Every fifth youth (after Sam) is in the comparison cohort (care as usual).
COMPARISON_EVERY = 5
#: Youth built and written per round of inserts (bounds memory for large registries).
CHUNK = 1000


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Any  # a Role member
    description: str


DEMO_LOGINS = [
    DemoLogin("prof.noord", Role.PROFESSIONAL, "professional, team Noord-1"),
    DemoLogin("lead.noord", Role.TEAM_LEAD, "team lead, team Noord-1"),
    DemoLogin("admin.jeugdzorg", Role.ORG_ADMIN, "organisation admin, Jeugdzorg Noord"),
    DemoLogin("onderzoeker", Role.RESEARCHER, "researcher"),
    DemoLogin("jongere.sam", Role.YOUTH, "youth portal (Sam B.)"),
    DemoLogin("jim.tante", Role.JIM, "JIM portal (aunt of Sam B.)"),
    DemoLogin("ouder.sam", Role.PARENT, "parent portal (mother of Sam B.)"),
]
SAMS_ACCOUNTS = [
    ("jongere.sam", Role.YOUTH, "Sam", "B."),
    ("jim.tante", Role.JIM, "Marieke", "B."),
    ("ouder.sam", Role.PARENT, "Petra", "B."),
]


def is_loaded() -> bool:
    return Organisation.objects.filter(name=MARKER_ORGANISATION).exists()


@transaction.atomic
def load(seed: int = 2026, youth_count: int = 500, password: str = DEMO_PASSWORD) -> int:
    """Create the registry unless it is already there; return the number of youth created."""
    if youth_count < 1:
        raise ValueError("the demo registry needs at least one youth")
    if is_loaded():
        return 0
    hashed = make_password(password)  # hash once: Argon2 per account would take seconds
    teams, professionals = people.staff(random.Random(seed), hashed)
    leads = {
        u.team_id: u
        for u in User.objects.filter(role=Role.TEAM_LEAD, team__in=teams)
        if u.team_id is not None
    }
    programmes = _programmes(teams)
    org_noord = teams[0].organisation
    sams = {
        str(role): User.objects.create(
            username=username, password=hashed, role=role, organisation=org_noord,
            first_name=first, last_name=last, email=f"{username}@example.org",
        )
        for username, role, first, last in SAMS_ACCOUNTS
    }  # fmt: skip
    for chunk in range(0, youth_count, CHUNK):
        indices = range(chunk, min(youth_count, chunk + CHUNK))
        _build_chunk(seed, indices, teams, professionals, programmes, leads, sams)
    # The planner's statistics before the facts are computed from the records, and again for
    # the facts written. Without them PostgreSQL plans the facts' queries for empty tables:
    # at 50,000 youth one query of the positioned days ran 35 s, and the load had not ended
    # after 23 minutes; with them it takes 8.5 minutes in all.
    refresh_planner_statistics()
    facts.refresh_all()  # the records went in by bulk_create, past the save() that keeps them
    refresh_planner_statistics()
    return youth_count


def _programmes(teams: list[Team]) -> dict[str, Any]:
    """The standard programmes, and Zuid's own selective programme with the risk instrument."""
    found = {p.code: p for p in ProgrammeModel.objects.filter(organisation=None)}
    selective = found["selective"]
    zuid = teams[-1].organisation
    found["zuid"] = ProgrammeModel.objects.create(
        code="zuid-selectief",
        name="Selectief met risico-inschatting (synthetisch)",
        organisation=zuid,
        prevention_level=selective.prevention_level,
        description="Selectieve preventie met de risicotaxatie bij elke meting.",
        phases=list(selective.phases),
        evaluation_interval_months=selective.evaluation_interval_months,
        instruments=["risk_domains", *[i for i in selective.instruments if i != "risk_domains"]],
    )
    return found


def _story(
    seed: int,
    index: int,
    teams: list[Team],
    professionals: dict[int, list[User]],
    programmes: dict[str, Any],
) -> Story:
    rng = youth_rng(seed, index, "casework")
    team = teams[index % len(teams)]
    comparison = index > 0 and index % COMPARISON_EVERY == 0
    start = DEMO_TODAY - timedelta(days=rng.randint(3, SPAN_DAYS))
    if index % 50 in (3, 8):  # recent trajectories that wait in consent / positioning
        start = DEMO_TODAY - timedelta(days=rng.randint(70, 110))
    if index % 100 in (42, 67):  # in collaboration now (an emergency may come)
        start = DEMO_TODAY - timedelta(days=rng.randint(150, 260))
    referred_on = start - timedelta(days=rng.randint(0, 14))
    professional = rng.choice(professionals[team.pk])
    youth = people.youth(rng, team, professional, referred_on)
    if index == 0:  # Sam B.: an open trajectory in collaboration, with the aunt as JIM
        start = DEMO_TODAY - timedelta(days=150)
        referred_on = start - timedelta(days=5)
        youth.display_name, youth.professional = "Sam B.", professionals[team.pk][0]
        youth.date_of_birth = date(2011, 3, 14)
    zuid = team.organisation_id == programmes["zuid"].organisation_id
    if comparison or not (zuid and rng.random() < 0.35):
        programme = programmes["indicated"]
    else:
        programme = programmes["zuid"]
    effect = mech.TEAM_EFFECTS.get(team.name, mech.TeamEffect())
    return Story(
        index=index,
        rng=rng,
        youth=youth,
        team=effect,
        referred_on=referred_on,
        start=start,
        comparison=comparison,
        programme=programme,
        # The comparison cohort starts from a slightly higher risk (selection into care
        # as usual), which a balance table should show.
        risk=mech.risk_path(rng, len(risk_items()), effect, shift=0.1 if comparison else 0.0),
    )


#: Models of the casework and of the monitoring, in the order their rows can be inserted.
CASEWORK_ORDER: list[tuple[type, ...]] = [
    (tm.Youth,),
    (tm.Trajectory, tm.NetworkPerson, tm.LivingSituationRecord),
    (tm.PhaseTransition, tm.NominationRound, tm.CarePlan, tm.NoJimOutcome),
    (tm.NetworkTie, tm.Candidate, tm.Goal, tm.SafetyPlan),
    (tm.ConsentRecord, tm.Meeting, tm.PlacementDecision),
    (tm.Attendee, tm.JimConsultation, tm.Closure, tm.PlacementEpisode),
    (tm.FollowUp,),
]
MONITORING_ORDER: list[tuple[type, ...]] = [
    (mm.Wave,),
    (mm.Assessment,),
    (mm.AssessmentRevision,),
]


def _build_chunk(
    seed: int,
    indices: range,
    teams: list[Team],
    professionals: dict[int, list[User]],
    programmes: dict[str, Any],
    leads: dict[int, User],
    sams: dict[str, User],
) -> None:
    b = Batches()
    stories = [_story(seed, i, teams, professionals, programmes) for i in indices]
    for s in stories:
        b.add(s.youth)
        build_story(s, DEMO_TODAY, leads, b)
    for models in CASEWORK_ORDER:
        b.flush(*models)
    accounts = [
        monitoring.portal_accounts(s, youth_rng(seed, s.index, "portal"), b, sams) for s in stories
    ]
    b.flush(User)
    b.flush(PortalLink)
    for s, account in zip(stories, accounts, strict=True):
        monitoring.write_monitoring(s, seed, DEMO_TODAY, b, account)
    for models in MONITORING_ORDER:
        b.flush(*models)
    b.flush_plain(mm.Answer)
    assert not b.pending(), b.pending()
    if indices.start == 0:
        _tie_sams_portal(stories[0], sams)


def _tie_sams_portal(sam: Story, sams: dict[str, User]) -> None:
    """Sam's portal links; the JIM's account belongs to the aunt, Sam's JIM (access follows
    her status); the parent's to the parent with parental authority (her consent and the
    placement notice follow that)."""
    youth = sam.youth
    holder = next((p for p in sam.parents if p.has_parental_authority), None)
    persons = {
        str(Role.JIM): sam.jim.person if sam.jim is not None else None,
        str(Role.PARENT): holder,
    }
    for role, account in sams.items():
        PortalLink.objects.create(
            user=account, youth=youth, relation=role, person=persons.get(str(role))
        )
