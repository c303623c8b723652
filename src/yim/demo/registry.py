"""A deterministic synthetic registry for ``yim demo`` and benchmarks.

Everything here is invented and marked ``is_synthetic``; the UI labels it so. The same seed
always gives the same organisations, teams, people and youth.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from yim.accounts.models import Organisation, PortalLink, Role, Team, User
from yim.trajectories.models import Youth

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
    return len(created)
