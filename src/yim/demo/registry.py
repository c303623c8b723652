"""A deterministic synthetic registry for ``yim demo`` and benchmarks.

Everything here is invented and marked ``is_synthetic``; the UI labels it so. The same seed
always gives the same organisations, teams, people and youth.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from yim.accounts.models import Organisation, PortalLink, Role, Team, User
from yim.programmes.models import ProgrammeModel
from yim.trajectories import models as tm
from yim.trajectories.rules import AMSTERDAM, add_months, consultation_due, required_consent

Youth = tm.Youth

DEMO_PASSWORD = "demo-wachtwoord-2026"  # noqa: S105 - published demo password, synthetic data only
MARKER_ORGANISATION = "Jeugdzorg Noord (synthetisch)"

ORGANISATIONS = {
    MARKER_ORGANISATION: ["Noord-1", "Noord-2", "Noord-3"],
    "Jeugdhulp Zuid (synthetisch)": ["Zuid-1", "Zuid-2", "Zuid-3"],
}
FIRST_NAMES = [
    "Sam",
    "Noa",
    "Daan",
    "Lotte",
    "Milan",
    "Sara",
    "Levi",
    "Yara",
    "Finn",
    "Zoë",
    "Mo",
    "Ilse",
    "Bram",
    "Aya",
    "Jesse",
    "Fenna",
    "Ravi",
    "Lina",
    "Joep",
    "Nora",
    "Sem",
    "Emma",
    "Ayoub",
    "Lieke",
    "Thijs",
    "Mila",
    "Omar",
    "Roos",
    "Luuk",
    "Hiba",
]
INITIALS = "ABCDEFGHIJKLMNOPRSTVWZ"


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


def is_loaded() -> bool:
    return Organisation.objects.filter(name=MARKER_ORGANISATION).exists()


@transaction.atomic
def load(seed: int = 2026, youth_count: int = 500, password: str = DEMO_PASSWORD) -> int:
    """Create the registry unless it is already there; return the number of youth created."""
    if is_loaded():
        return 0
    rng = random.Random(seed)
    hashed = make_password(password)  # hash once: Argon2 per account would take seconds
    today = date(2026, 11, 1)
    teams: list[Team] = []
    professionals: dict[int, list[User]] = {}
    for org_name, team_names in ORGANISATIONS.items():
        org = Organisation.objects.create(name=org_name)
        for team_name in team_names:
            team = Team.objects.create(organisation=org, name=team_name)
            teams.append(team)
            professionals[team.pk] = []
    org_noord = teams[0].organisation
    noord1 = teams[0]

    def user(
        username: str, role: str, team: Team | None, org: Organisation | None, first: str, last: str
    ) -> User:
        return User.objects.create(
            username=username,
            password=hashed,
            role=role,
            team=team,
            organisation=org,
            first_name=first,
            last_name=last,
            email=f"{username}@example.org",
        )

    professionals[noord1.pk].append(
        user("prof.noord", Role.PROFESSIONAL, noord1, org_noord, "Fatima", "de Vries")
    )
    user("lead.noord", Role.TEAM_LEAD, noord1, org_noord, "Johan", "Bakker")
    user("admin.jeugdzorg", Role.ORG_ADMIN, None, org_noord, "Anouk", "Smit")
    user("onderzoeker", Role.RESEARCHER, None, org_noord, "Rik", "Jansen")
    # About twenty professionals in all, spread over the six teams.
    for i in range(19):
        team = teams[(i + 1) % len(teams)]
        first = rng.choice(FIRST_NAMES)
        professionals[team.pk].append(
            user(
                f"prof{i + 2:02d}",
                Role.PROFESSIONAL,
                team,
                team.organisation,
                first,
                f"{rng.choice(INITIALS)}.",
            )
        )
    youth: list[Youth] = []
    for i in range(youth_count):
        team = teams[i % len(teams)]
        age_days = rng.randint(12 * 365 + 3, 23 * 365 - 3)
        youth.append(
            Youth(
                organisation=team.organisation,
                team=team,
                professional=rng.choice(professionals[team.pk]),
                display_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(INITIALS)}.",
                date_of_birth=today - timedelta(days=age_days),
                gender=_weighted(rng, GENDERS),
                school_work_status=_weighted(rng, SCHOOL_WORK),
                living_situation=_weighted(rng, LIVING),
                is_synthetic=True,
            )
        )
    youth[0].display_name = "Sam B."
    youth[0].professional = professionals[noord1.pk][0]
    youth[0].date_of_birth = date(2011, 3, 14)
    created = Youth.objects.bulk_create(youth)
    sam = created[0]
    for username, role, first, last in [
        ("jongere.sam", Role.YOUTH, "Sam", "B."),
        ("jim.tante", Role.JIM, "Marieke", "B."),
        ("ouder.sam", Role.PARENT, "Petra", "B."),
    ]:
        portal_user = user(username, role, None, org_noord, first, last)
        PortalLink.objects.create(user=portal_user, youth=sam, relation=role)
    _Casework(random.Random(seed + 1), today).build(created)
    return len(created)


# --- casework: trajectories, networks, nominations, meetings, placements, follow-up --------
#
# The margins follow the published file study (van Dam et al., BJSW 2017): about 83% of the
# youth on the JIM approach find a JIM, on average about 33 days after the start, and about
# 90% of those stay ambulatory. One youth in five belongs to a residential comparison group
# (care as usual, no JIM approach). Everything is created with bulk_create for speed; the
# data obey the domain rules by construction (tests/demo checks them).

FOUND_SHARE = 0.83
MEAN_DAYS_TO_JIM = 33.0
AMBULATORY_SHARE_WITH_JIM = 0.90
PLACEMENT_SHARE_WITHOUT_JIM = 0.45
COMPARISON_EVERY = 5  # every fifth youth (after Sam) is in the comparison group
SPAN_DAYS = 3 * 365

GENDERS = [("girl", 45), ("boy", 50), ("non_binary", 3), ("", 2)]
SCHOOL_WORK = [("school", 55), ("work", 10), ("school_and_work", 8), ("neither", 25), ("", 2)]
LIVING = [
    ("both_parents", 25),
    ("one_parent", 40),
    ("other_family", 10),
    ("foster_family", 8),
    ("residential", 7),
    ("independent", 7),
    ("homeless", 3),
]
NETWORK_RELATIONS = [
    ("grandparent", 14),
    ("aunt_uncle", 18),
    ("sibling", 10),
    ("cousin", 8),
    ("other_family", 4),
    ("neighbour", 9),
    ("family_friend", 9),
    ("friend", 10),
    ("teacher", 5),
    ("coach", 6),
    ("youth_worker", 3),
    ("religious_leader", 1),
    ("employer", 2),
    ("other", 1),
]
ADULT_BANDS = [("18_24", 12), ("25_39", 25), ("40_64", 45), ("65_plus", 18)]
PEOPLE_NAMES = [
    "Marieke", "Kees", "Ria", "Hassan", "Joke", "Bas", "Fatma", "Henk", "Ans", "Youssef",
    "Wim", "Saskia", "Gerrit", "Naima", "Piet", "Ingrid", "Karim", "Els", "Ruud", "Dewi",
]  # fmt: skip
GOALS = [
    "Go to school at least four days a week",
    "Fewer conflicts at home",
    "A daytime activity or job",
    "Stop using cannabis on school days",
    "Stay with the family instead of being placed",
    "Repair contact with father",
    "Keep to the agreements with the probation officer",
]
NO_JIM_REASONS = ["nobody_named", "all_declined", "youth_declined", "network_unsafe"]
CLOSURE_REASONS = [
    ("goals_achieved", 50),
    ("partly_achieved", 25),
    ("care_elsewhere", 10),
    ("youth_withdrew", 10),
    ("moved", 5),
]
DECLINE_REASONS = ["No time at the moment", "Feels too heavy", "Lives too far away"]


def _weighted(rng: random.Random, options: list[tuple[str, int]]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _moment(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=AMSTERDAM)


@dataclass
class _Batches:
    """Objects to insert, per model, in dependency order."""

    rows: dict[type, list[Any]] = field(default_factory=dict)

    def add(self, obj: Any) -> Any:
        self.rows.setdefault(type(obj), []).append(obj)
        return obj

    def flush(self, *models: type[Any]) -> None:
        for model in models:
            objs = self.rows.pop(model, [])
            if objs:
                model.objects.bulk_create(objs, batch_size=500)


class _Casework:
    """Builds one trajectory (with everything around it) per youth, deterministically."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self.b = _Batches()
        self.programmes = {p.code: p for p in ProgrammeModel.objects.filter(organisation=None)}

    def days(self, start: date, n: float) -> date:
        return start + timedelta(days=int(n))

    def build(self, youth: list[Any]) -> None:
        leads = {u.team_id: u for u in User.objects.filter(role=Role.TEAM_LEAD)}
        for index, y in enumerate(youth):
            comparison = index > 0 and index % COMPARISON_EVERY == 0
            self.plan(index, y, comparison)
        # Stage 1: trajectories and network people.
        self.b.flush(tm.Trajectory, tm.NetworkPerson)
        self.b.flush(tm.PhaseTransition, tm.NominationRound, tm.CarePlan, tm.NoJimOutcome)
        self.b.flush(tm.NetworkTie, tm.Candidate, tm.Goal, tm.SafetyPlan)
        self.b.flush(tm.ConsentRecord, tm.Meeting, tm.PlacementDecision)
        self.b.flush(tm.Attendee, tm.JimConsultation, tm.Closure, tm.FollowUp)
        # A team lead confirms most emergencies; a few stay waiting (visible in the demo).
        for decision in tm.PlacementDecision.objects.filter(is_emergency=True).select_related(
            "trajectory"
        ):
            if self.rng.random() < 0.8 and decision.trajectory.team_id in leads:
                tm.PlacementDecision.objects.filter(pk=decision.pk).update(
                    confirmed_at=_moment(decision.decided_on, 16),
                    confirmed_by=leads[decision.trajectory.team_id],
                )

    # --- one youth ------------------------------------------------------------------------

    def plan(self, index: int, youth: Any, comparison: bool) -> None:
        rng = self.rng
        start = self.today - timedelta(days=rng.randint(3, SPAN_DAYS))
        if index % 50 in (3, 8):  # recent trajectories that wait in consent / positioning
            start = self.today - timedelta(days=rng.randint(70, 110))
        if index == 0:  # Sam B.: an open trajectory in collaboration, with the aunt as JIM
            start = self.today - timedelta(days=150)
        start = max(start, youth.date_of_birth + timedelta(days=9 * 365))
        programme = self.programmes[
            "indicated" if comparison or rng.random() < 0.8 else "selective"
        ]
        requested = rng.choice(["residential", "residential", "semi_secure", "foster_care"])
        t = self.b.add(
            tm.Trajectory(
                youth=youth,
                programme=programme,
                team=youth.team,
                professional=youth.professional,
                cohort=tm.Cohort.COMPARISON if comparison else tm.Cohort.JIM,
                referred_on=start - timedelta(days=rng.randint(0, 14)),
                referral_source=rng.choice(tm.ReferralSource.values),
                referral_reason="Threatened out-of-home placement; problems at home and school.",
                requested_placement=requested,
                placement_basis=rng.choice(["requested", "indicated"]),
                phase=tm.Phase.REFERRAL,
                started_at=_moment(start, 9),
                phase_entered_at=_moment(start, 9),
            )
        )
        self.transitions: list[tuple[str, date]] = [(tm.Phase.REFERRAL, start)]
        if comparison:
            self.plan_comparison(t, youth, start, requested)
        else:
            self.plan_jim_approach(index, t, youth, start, programme)
        self.finish_phases(t)

    def move(self, phase: str, day: date) -> bool:
        """Record a phase move if it is not in the future; False when it lies ahead."""
        if day > self.today:
            return False
        self.transitions.append((phase, day))
        return True

    def finish_phases(self, t: Any) -> None:
        for n, (phase, day) in enumerate(self.transitions):
            at = _moment(day, 9 if n == 0 else 11)
            self.b.add(tm.PhaseTransition(trajectory=t, phase=phase, entered_at=at))
            t.phase, t.phase_entered_at = phase, at
            if phase == tm.Phase.CLOSURE:
                t.closed_at = at

    def network(self, youth: Any, size: int) -> tuple[list[Any], list[Any]]:
        """Parents (never JIM) and the other people around the youth."""
        rng = self.rng
        parents = [
            self.b.add(
                tm.NetworkPerson(
                    youth=youth,
                    display_name=rng.choice(PEOPLE_NAMES),
                    relation="parent" if k == 0 else rng.choice(["parent", "step_parent"]),
                    has_parental_authority=k == 0,
                    age_band=rng.choice(["25_39", "40_64"]),
                    lives_with_youth=youth.living_situation in ("both_parents", "one_parent"),
                    contact_frequency="daily",
                    trust=rng.randint(1, 4),
                    conflict=rng.randint(2, 5),
                    support_types=["practical"],
                )
            )
            for k in range(rng.choice([1, 1, 2]))
        ]
        others = []
        for _k in range(size):
            relation = _weighted(rng, NETWORK_RELATIONS)
            minor = relation in ("sibling", "cousin", "friend") and rng.random() < 0.15
            others.append(
                self.b.add(
                    tm.NetworkPerson(
                        youth=youth,
                        display_name=rng.choice(PEOPLE_NAMES),
                        relation=relation,
                        age_band="16_17" if minor else _weighted(rng, ADULT_BANDS),
                        lives_with_youth=relation == "sibling" and rng.random() < 0.3,
                        contact_frequency=rng.choice(["daily", "weekly", "weekly", "monthly"]),
                        trust=rng.randint(2, 5),
                        conflict=rng.randint(1, 3),
                        support_types=sorted(
                            rng.sample(["emotional", "practical", "advice", "companionship"], 2)
                        ),
                    )
                )
            )
        # Ties between people: people are inserted in list order, so the earlier one has
        # the lower id (ties are stored as ordered pairs).
        everyone = parents + others
        pairs = {
            tuple(sorted(rng.sample(range(len(everyone)), 2))) for _ in range(rng.randint(0, 3))
        }
        for i, j in sorted(pairs):
            self.b.add(
                tm.NetworkTie(
                    youth=youth,
                    person_a=everyone[i],
                    person_b=everyone[j],
                    conflict=rng.random() < 0.3,
                )
            )
        return parents, others

    def plan_jim_approach(
        self, index: int, t: Any, youth: Any, start: date, programme: Any
    ) -> None:
        rng = self.rng
        parents, others = self.network(youth, rng.randint(3, 8))
        found = index == 0 or rng.random() < FOUND_SHARE
        # Days to the JIM: 1 + a gamma (shape 2, mean 35); after censoring of the youth still
        # searching, the observed mean is close to the published 33 days.
        to_jim = max(3, min(160, round(1 + rng.gammavariate(2.0, 17.5))))
        if index == 0:
            to_jim = 28
        explore_on = self.days(start, max(1, to_jim * 0.15))
        candidates_on = self.days(start, max(2, to_jim * 0.35))
        if not self.move(tm.Phase.NETWORK_EXPLORATION, explore_on):
            return
        plan_day = self.days(explore_on, rng.randint(1, 10))
        if plan_day <= self.today:
            plan = self.b.add(
                tm.CarePlan(trajectory=t, made_on=plan_day, summary="Plan with the youth.")
            )
            for goal in rng.sample(GOALS, rng.randint(2, 4)):
                self.b.add(
                    tm.Goal(plan=plan, description=goal, status=rng.choice(tm.GoalStatus.values))
                )
        if rng.random() < 0.15 and self.days(start, 2) <= self.today:
            self.b.add(
                tm.SafetyPlan(
                    trajectory=t,
                    made_on=self.days(start, 2),
                    concerns="Violence at home after a conflict.",
                    measures="Five nights at the grandmother's; daily contact by phone.",
                    ended_on=self.days(start, 20) if self.days(start, 20) <= self.today else None,
                )
            )
        if not self.move(tm.Phase.CANDIDATES, candidates_on):
            return
        round_ = self.b.add(tm.NominationRound(trajectory=t, number=1, started_on=candidates_on))
        pool = list(others)
        rng.shuffle(pool)
        decliners = pool[: rng.randint(0, 2)] if found else pool[: rng.randint(0, 3)]
        chosen = next((p for p in pool[len(decliners) :]), None)
        if index == 0 and others:
            others[0].display_name, others[0].relation, others[0].age_band = (
                "Marieke",
                "aunt_uncle",
                "40_64",
            )
            others[0].lives_with_youth = False
            chosen = others[0]
            decliners = [p for p in decliners if p is not chosen]
        jim_day = self.days(start, to_jim)
        for k, person in enumerate(decliners):
            asked = self.days(candidates_on, 1 + k)
            answer = (
                min(jim_day - timedelta(days=1), self.days(asked, 3))
                if found
                else self.days(asked, 4)
            )
            if answer > self.today or answer < asked:
                continue
            no_answer = rng.random() < 0.25
            self.b.add(
                tm.Candidate(
                    round=round_, trajectory=t, person=person, named_on=candidates_on,
                    asked_on=asked, response="no_answer" if no_answer else "declined",
                    response_on=answer,
                    decline_reason="" if no_answer else rng.choice(DECLINE_REASONS),
                )
            )  # fmt: skip
        if not found or chosen is None:
            self.plan_no_jim(t, round_, start, candidates_on, parents)
            return
        if jim_day > self.today:
            return  # still searching: censored in time-to-mentor
        asked = max(candidates_on, jim_day - timedelta(days=rng.randint(0, 5)))
        jim = self.b.add(
            tm.Candidate(
                round=round_, trajectory=t, person=chosen, named_on=candidates_on,
                asked_on=asked, response="accepted", response_on=jim_day,
            )
        )  # fmt: skip
        if chosen.is_minor:
            jim.minor_confirmed_on = jim_day
            jim.minor_confirmation = "Older and steady; the youth trusts them; coached closely."
        round_.closed_on, round_.outcome = jim_day, "jim_found"
        consent_day = self.days(jim_day, rng.randint(1, 6))
        if not self.move(tm.Phase.CONSENT, self.days(jim_day, 1)) or consent_day > self.today:
            return
        if index % 50 == 3:
            return  # waiting for consent (e.g. the parents hesitate)
        self.consents(t, jim, youth, consent_day, parents)
        positioning = self.days(consent_day, rng.randint(3, 12))
        uses_positioning = programme.uses_phase(tm.Phase.POSITIONING)
        if uses_positioning:
            if not self.move(tm.Phase.POSITIONING, self.days(consent_day, 1)):
                return
            if index % 50 == 8:
                return  # the kick-off meeting is still being planned
            if positioning <= self.today:
                self.meeting(t, "positioning", positioning, jim, parents)
        if not self.move(tm.Phase.COLLABORATION, positioning):
            return
        end = self.collaboration(t, start, positioning, jim, parents, with_jim=True)
        if index % 100 in (42, 67) and end >= self.today:
            # A recent emergency placement whose JIM consultation is still due (one overdue).
            decided = self.today - timedelta(days=10 if index % 100 == 42 else 3)
            if decided > positioning:
                self.emergency_without_consultation(t, decided, jim, parents)
        self.maybe_close(t, end, jim=jim)

    def consents(self, t: Any, jim: Any, youth: Any, day: date, parents: list[Any]) -> None:
        need = required_consent(youth.date_of_birth, day)
        if need.youth:
            self.b.add(
                tm.ConsentRecord(
                    trajectory=t, candidate=jim, party="youth", decision="yes",
                    given_at=_moment(day, 15),
                )
            )  # fmt: skip
        if need.parents:
            reluctant = self.rng.random() < 0.15
            self.b.add(
                tm.ConsentRecord(
                    trajectory=t, candidate=jim, party="parent",
                    parent_name=parents[0].display_name,
                    decision="reluctant_yes" if reluctant else "yes", given_at=_moment(day, 16),
                    note="A grudging yes." if reluctant else "",
                )
            )  # fmt: skip

    def plan_no_jim(
        self, t: Any, round_: Any, start: date, candidates_on: date, parents: list[Any]
    ) -> None:
        rng = self.rng
        day = max(self.days(candidates_on, 14), self.days(start, rng.randint(45, 90)))
        if day > self.today:
            return  # still searching
        self.b.add(
            tm.NoJimOutcome(
                trajectory=t, recorded_on=day,
                reason=rng.choice(NO_JIM_REASONS),
                alternatives_tried="Asked the youth again with the network map; a second round "
                "with the parents' suggestions; the school's mentor was approached.",
            )
        )  # fmt: skip
        round_.closed_on, round_.outcome = day, "no_jim"
        if not self.move(tm.Phase.COLLABORATION, self.days(day, 1)):
            return
        end = self.collaboration(t, start, self.days(day, 1), None, parents, with_jim=False)
        self.maybe_close(t, end, jim=None)

    def collaboration(
        self, t: Any, start: date, since: date, jim: Any, parents: list[Any], with_jim: bool
    ) -> date:
        """Evaluations every two months (some missed), an occasional crisis, and placements."""
        rng = self.rng
        end = min(self.today, self.days(start, rng.randint(240, 480)))
        due = add_months(start, 2)
        while due <= end:
            if due >= since and rng.random() < 0.88:
                held = min(end, self.days(due, rng.randint(-10, 12)))
                if held > since:
                    self.meeting(t, "evaluation", held, jim, parents)
            due = add_months(due, 2)
        if rng.random() < 0.2 and self.days(since, 30) <= end:
            self.meeting(t, rng.choice(["crisis", "school"]), self.days(since, 30), jim, parents)
        place = rng.random() < (
            1 - AMBULATORY_SHARE_WITH_JIM if with_jim else PLACEMENT_SHARE_WITHOUT_JIM
        )
        decided = self.days(since, rng.randint(20, 120))
        if place and decided <= end:
            self.placement(t, decided, jim, parents)
        return end

    def placement(self, t: Any, decided: date, jim: Any, parents: list[Any]) -> None:
        rng = self.rng
        emergency = rng.random() < 0.2
        self.meeting(t, "placement", decided, jim, parents)
        decision = self.b.add(
            tm.PlacementDecision(
                trajectory=t,
                placement_type=rng.choice(["residential", "foster_care", "semi_secure"]),
                decided_on=decided,
                options_considered="Ambulatory care with the JIM; foster care; residential care.",
                rationale="Safety at home could not be restored in time.",
                youth_view="I do not want to go, but I understand why.",
                is_emergency=emergency,
                no_jim_reason="" if jim else "No JIM was found; see the nomination rounds.",
                status="finalised",
                consultation_due=consultation_due(decided) if emergency else None,
                finalised_at=_moment(decided, 17),
            )
        )
        if jim is None:
            return
        consulted = self.days(decided, rng.randint(1, 9)) if emergency else self.days(decided, -2)
        if emergency and (consulted > self.today or rng.random() < 0.1):
            return  # still flagged: the consultation is due (or overdue)
        self.b.add(
            tm.JimConsultation(
                decision=decision, jim=jim, consulted_on=consulted,
                advice="Keep the weekends at my place, whatever is decided.",
                weighing="Weekend stays with the JIM are part of the placement plan.",
            )
        )  # fmt: skip

    def emergency_without_consultation(
        self, t: Any, decided: date, jim: Any, parents: list[Any]
    ) -> None:
        self.meeting(t, "crisis", decided, jim, parents)
        self.b.add(
            tm.PlacementDecision(
                trajectory=t,
                placement_type="residential",
                decided_on=decided,
                rationale="Acute danger at home at night; crisis placement.",
                youth_view="I want my JIM to know where I am.",
                is_emergency=True,
                status="finalised",
                consultation_due=consultation_due(decided),
                finalised_at=_moment(decided, 23),
            )
        )

    def meeting(self, t: Any, kind: str, day: date, jim: Any, parents: list[Any]) -> None:
        rng = self.rng
        m = self.b.add(
            tm.Meeting(
                trajectory=t, kind=kind, held_on=day,
                decisions="Agreements reviewed; next steps set.",
                youth_view="It goes better at school; I want more say about weekends.",
                jim_input="The JIM will join the school meeting." if jim else "",
            )
        )  # fmt: skip
        self.b.add(tm.Attendee(meeting=m, role="youth", name="", present=rng.random() < 0.9))
        if jim is not None:
            self.b.add(
                tm.Attendee(
                    meeting=m, role="jim", name=jim.person.display_name, present=rng.random() < 0.85
                )
            )
        self.b.add(
            tm.Attendee(
                meeting=m, role="parent", name=parents[0].display_name, present=rng.random() < 0.7
            )
        )
        self.b.add(
            tm.Attendee(meeting=m, role="professional", name="Ambulant hulpverlener", present=True)
        )

    def maybe_close(self, t: Any, end: date, jim: Any) -> None:
        rng = self.rng
        if end >= self.today or rng.random() < 0.05:
            return  # still in care
        if not self.move(tm.Phase.CLOSURE, end):
            return
        relationship = (
            "no_jim"
            if jim is None
            else _weighted(rng, [("continuing", 75), ("strained", 10), ("ended", 15)])
        )
        self.b.add(
            tm.Closure(
                trajectory=t, closed_on=end,
                reason=_weighted(rng, CLOSURE_REASONS),
                jim_relationship=relationship,
            )
        )  # fmt: skip
        followed = False
        for months in (6, 12, 24):
            due = add_months(end, months)
            follow = tm.FollowUp(trajectory=t, months=months, due_on=due)
            done = self.days(due, rng.randint(0, 20))
            if done <= self.today and rng.random() < 0.9:
                continues = jim is not None and relationship != "ended" and rng.random() < 0.8
                placed = rng.random() < 0.06
                follow.done_on = done
                follow.jim_contact_continues = continues
                follow.contact_frequency = rng.choice(["weekly", "monthly"]) if continues else ""
                follow.placement_after_all = placed
                follow.placement_type = "foster_care" if placed else ""
                followed = True
            self.b.add(follow)
        if followed and t.programme.uses_phase(tm.Phase.FOLLOW_UP):
            first_done = min(
                f.done_on for f in self.b.rows[tm.FollowUp][-3:] if f.done_on is not None
            )
            self.move(tm.Phase.FOLLOW_UP, first_done)

    def plan_comparison(self, t: Any, youth: Any, start: date, requested: str) -> None:
        """Care as usual: placed in residential care without the JIM approach."""
        rng = self.rng
        parents, _others = self.network(youth, rng.randint(2, 6))
        decided = self.days(start, rng.randint(7, 40))
        if decided > self.today:
            return
        self.placement(t, decided, None, parents)
        last = self.b.rows[tm.PlacementDecision][-1]
        last.placement_type = rng.choice(["residential", "semi_secure"])
        last.no_jim_reason = "Comparison group: care as usual, without the JIM approach."
        end = self.days(start, rng.randint(180, 420))
        if end < self.today and self.move(tm.Phase.CLOSURE, end):
            self.b.add(
                tm.Closure(
                    trajectory=t, closed_on=end, reason="care_elsewhere", jim_relationship="no_jim"
                )
            )
            for months in (6, 12, 24):
                self.b.add(tm.FollowUp(trajectory=t, months=months, due_on=add_months(end, months)))
