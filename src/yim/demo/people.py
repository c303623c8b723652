"""People of the demo registry: organisations, teams, staff, youth and their networks."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from yim.accounts.models import Organisation, Role, Team, User
from yim.demo.common import weighted
from yim.trajectories import models as tm
from yim.trajectories.rules import add_months

MARKER_ORGANISATION = "Jeugdzorg Noord (synthetisch)"

ORGANISATIONS = {
    MARKER_ORGANISATION: ["Noord-1", "Noord-2", "Noord-3"],
    "Jeugdhulp Zuid (synthetisch)": ["Zuid-1", "Zuid-2", "Zuid-3"],
}
FIRST_NAMES = [
    "Sam", "Noa", "Daan", "Lotte", "Milan", "Sara", "Levi", "Yara", "Finn", "Zoë",
    "Mo", "Ilse", "Bram", "Aya", "Jesse", "Fenna", "Ravi", "Lina", "Joep", "Nora",
    "Sem", "Emma", "Ayoub", "Lieke", "Thijs", "Mila", "Omar", "Roos", "Luuk", "Hiba",
]  # fmt: skip
INITIALS = "ABCDEFGHIJKLMNOPRSTVWZ"
PEOPLE_NAMES = [
    "Marieke", "Kees", "Ria", "Hassan", "Joke", "Bas", "Fatma", "Henk", "Ans", "Youssef",
    "Wim", "Saskia", "Gerrit", "Naima", "Piet", "Ingrid", "Karim", "Els", "Ruud", "Dewi",
]  # fmt: skip

#: Age in completed years on the referral date: the approach is for youth of 12 to 23.
AGES_AT_REFERRAL = [
    ("12", 6), ("13", 9), ("14", 12), ("15", 14), ("16", 14), ("17", 13),
    ("18", 9), ("19", 7), ("20", 5), ("21", 4), ("22", 4), ("23", 3),
]  # fmt: skip
GENDERS = [("girl", 45), ("boy", 50), ("non_binary", 3), ("", 2)]
SCHOOL_WORK = [("school", 55), ("work", 10), ("school_and_work", 8), ("neither", 25), ("", 2)]
LIVING = [
    ("both_parents", 27),
    ("one_parent", 43),
    ("other_family", 12),
    ("independent", 8),
    ("homeless", 3),
    ("foster_family", 4),
    ("residential", 3),
]
NETWORK_RELATIONS = [
    ("grandparent", 14), ("aunt_uncle", 18), ("sibling", 10), ("cousin", 8),
    ("other_family", 4), ("neighbour", 9), ("family_friend", 9), ("friend", 10),
    ("teacher", 5), ("coach", 6), ("youth_worker", 3), ("religious_leader", 1),
    ("employer", 2), ("other", 1),
]  # fmt: skip
ADULT_BANDS = [("18_24", 12), ("25_39", 25), ("40_64", 45), ("65_plus", 18)]


def staff(rng: random.Random, hashed_password: str) -> tuple[list[Team], dict[int, list[User]]]:
    """Organisations, teams and about twenty professionals; the demo logins among them."""
    teams: list[Team] = []
    professionals: dict[int, list[User]] = {}
    for org_name, team_names in ORGANISATIONS.items():
        org = Organisation.objects.create(name=org_name)
        for team_name in team_names:
            team = Team.objects.create(organisation=org, name=team_name)
            teams.append(team)
            professionals[team.pk] = []
    org_noord, noord1 = teams[0].organisation, teams[0]

    def user(username: str, role: str, team: Team | None, org: Organisation, name: str) -> User:
        first, last = name.split(" ", 1)
        return User.objects.create(
            username=username,
            password=hashed_password,
            role=role,
            team=team,
            organisation=org,
            first_name=first,
            last_name=last,
            email=f"{username}@example.org",
        )

    professionals[noord1.pk].append(
        user("prof.noord", Role.PROFESSIONAL, noord1, org_noord, "Fatima de Vries")
    )
    user("lead.noord", Role.TEAM_LEAD, noord1, org_noord, "Johan Bakker")
    user("admin.jeugdzorg", Role.ORG_ADMIN, None, org_noord, "Anouk Smit")
    user("onderzoeker", Role.RESEARCHER, None, org_noord, "Rik Jansen")
    for i in range(19):
        team = teams[(i + 1) % len(teams)]
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(INITIALS)}."
        professionals[team.pk].append(
            user(f"prof{i + 2:02d}", Role.PROFESSIONAL, team, team.organisation, name)
        )
    # Every other team has a team lead too, who confirms emergency placements.
    for team in teams[1:]:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(INITIALS)}."
        user(f"lead.{team.name.lower()}", Role.TEAM_LEAD, team, team.organisation, name)
    return teams, professionals


def date_of_birth(rng: random.Random, referred_on: date) -> date:
    """A birthday that makes the youth 12–23 (completed years) on the referral date."""
    age = int(weighted(rng, AGES_AT_REFERRAL))
    latest = add_months(referred_on, -12 * age)  # born on or before: at least ``age``
    earliest = add_months(referred_on, -12 * (age + 1)) + timedelta(days=1)
    return earliest + timedelta(days=rng.randint(0, (latest - earliest).days))


def youth(rng: random.Random, team: Team, professional: User, referred_on: date) -> tm.Youth:
    return tm.Youth(
        organisation=team.organisation,
        team=team,
        professional=professional,
        display_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(INITIALS)}.",
        date_of_birth=date_of_birth(rng, referred_on),
        gender=weighted(rng, GENDERS),
        school_work_status=weighted(rng, SCHOOL_WORK),
        living_situation=weighted(rng, LIVING),
        is_synthetic=True,
    )


def network(
    rng: random.Random, b: Any, youth: tm.Youth, size: int
) -> tuple[list[tm.NetworkPerson], list[tm.NetworkPerson]]:
    """Parents (never JIM) and ``size`` other people around the youth. Every parent holds
    parental authority (two parents: joint authority, as in most Dutch families), a
    step-parent does not."""
    at_home = youth.living_situation in ("both_parents", "one_parent")

    def parent(k: int) -> tm.NetworkPerson:
        name = rng.choice(PEOPLE_NAMES)  # the draws in the order they always came
        relation = "parent" if k == 0 else rng.choice(["parent", "step_parent"])
        return b.add(
            tm.NetworkPerson(
                youth=youth,
                display_name=name,
                relation=relation,
                has_parental_authority=relation == "parent",
                age_band=rng.choice(["25_39", "40_64"]),
                lives_with_youth=at_home,
                contact_frequency="daily",
                trust=rng.randint(1, 4),
                conflict=rng.randint(2, 5),
                support_types=["practical"],
            )
        )

    parents = [parent(k) for k in range(rng.choice([1, 1, 2]))]
    others = []
    for _k in range(size):
        relation = weighted(rng, NETWORK_RELATIONS)
        minor = relation in ("sibling", "cousin", "friend") and rng.random() < 0.15
        others.append(
            b.add(
                tm.NetworkPerson(
                    youth=youth,
                    display_name=rng.choice(PEOPLE_NAMES),
                    relation=relation,
                    age_band="16_17" if minor else weighted(rng, ADULT_BANDS),
                    lives_with_youth=relation == "sibling" and rng.random() < 0.3,
                    contact_frequency=rng.choice(["daily", "weekly", "weekly", "monthly"]),
                    trust=rng.randint(1, 5),
                    conflict=rng.randint(1, 3),
                    support_types=sorted(
                        rng.sample(["emotional", "practical", "advice", "companionship"], 2)
                    ),
                )
            )
        )
    # Ties between people: people are inserted in list order, so the earlier one has the
    # lower id (ties are stored as ordered pairs).
    everyone = parents + others
    pairs = {tuple(sorted(rng.sample(range(len(everyone)), 2))) for _ in range(rng.randint(0, 3))}
    for i, j in sorted(pairs):
        b.add(
            tm.NetworkTie(
                youth=youth,
                person_a=everyone[i],
                person_b=everyone[j],
                conflict=rng.random() < 0.3,
            )
        )
    return parents, others
