"""The portals on a phone: Sam's placement and safety plan as the youth, the JIM and the
mother see them, and the JIM's advice from her portal (issue 12, item 2).

Uses the real server and browser fixtures of ``test_sign_in`` (``yim demo`` data, system
Chromium, a 390×844 viewport). An emergency foster placement and a safety plan are added to
Sam's open trajectory through the models (as a professional's pages would record them); Sam
shares the care plan with the JIM, and the mother's account is tied to the holder of parental
authority on Sam's file. Elements are found by id and form names, not by wording, so the test
does not depend on the Dutch catalogue being up to date.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser.test_sign_in import DEMO_PASSWORD, page, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

SEED = """
import django
django.setup()
from datetime import timedelta
from yim.accounts.models import PortalLink, User
from yim.monitoring.models import JimSharingScope
from yim.trajectories.models import PlacementDecision, SafetyPlan, Trajectory
from yim.trajectories.models.base import today

sam = User.objects.get(username="jongere.sam")
youth = PortalLink.objects.get(user=sam).youth
trajectory = Trajectory.objects.get(youth=youth, closed_at__isnull=True)
decision = PlacementDecision.objects.create(
    trajectory=trajectory, placement_type="foster_care", decided_on=today() - timedelta(days=1),
    rationale="Onveilig thuis; tijdelijk naar een pleeggezin.", youth_view="Liever bij tante.",
    is_emergency=True,
)
professional = youth.professional
decision.finalise(by=professional)
SafetyPlan.objects.create(
    trajectory=trajectory, made_on=today() - timedelta(days=2),
    concerns="Ruzie en geweld thuis.", measures="Sam slaapt bij tante; dagelijks contact.",
)
JimSharingScope.decide(youth, {"plan": True}, by=sam)
holder = youth.network.filter(has_parental_authority=True).first()
PortalLink.objects.filter(user__username="ouder.sam", youth=youth).update(person=holder)
print(youth.pk, decision.pk)
"""


def _seed(yim_cmd) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [sys.executable, "-c", SEED], env=yim_cmd.env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    youth_id, decision_id = result.stdout.split()[-2:]
    return int(youth_id), int(decision_id)


def _sign_in(page, server, username: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page.goto(server + "/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/home/$"))


def _fits_the_phone(page) -> bool:  # type: ignore[no-untyped-def]  # noqa: F811
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def _as(page, server, username: str):  # type: ignore[no-untyped-def]  # noqa: F811
    """A fresh phone-sized browser context of the same browser, signed in as ``username``."""
    other = page.context.browser.new_context(
        locale="nl-NL", viewport={"width": 390, "height": 844}
    ).new_page()
    _sign_in(other, server, username)
    return other


def test_youth_jim_and_mother_see_the_placement_and_the_jim_advises_on_a_phone(
    server,  # noqa: F811
    page,  # noqa: F811
    yim_cmd,
):
    youth_id, decision_id = _seed(yim_cmd)
    portal = f"{server}/portal/{youth_id}/"

    # Sam: the summary on the home page, the decision and the safety plan with the care plan.
    _sign_in(page, server, "jongere.sam")
    page.goto(portal)
    expect(page.locator("#placement-summary")).to_be_visible()
    assert _fits_the_phone(page)
    page.goto(portal + "file/plan/")
    expect(page.locator("#placements")).to_contain_text("Onveilig thuis")
    expect(page.locator("#safety-plan")).to_contain_text("Sam slaapt bij tante")
    assert _fits_the_phone(page)

    # The JIM: Sam shared the care plan; her advice is asked after the emergency placement.
    jim = _as(page, server, "jim.tante")
    jim.goto(portal + "file/plan/")
    expect(jim.locator("#placements")).to_contain_text("Onveilig thuis")
    assert _fits_the_phone(jim)
    jim.goto(portal)
    advice = jim.locator(f"#advice-asked a[href$='/placements/{decision_id}/advice/']")
    expect(advice).to_be_visible()
    assert _fits_the_phone(jim)
    advice.click()
    jim.wait_for_url(re.compile(rf"/placements/{decision_id}/advice/$"))
    assert _fits_the_phone(jim)
    jim.fill("[name=advice]", "Sam kan bij mij blijven tot het thuis veilig is.")
    jim.locator("main form button[type=submit]").click()
    jim.wait_for_url(re.compile(rf"/portal/{youth_id}/$"))
    expect(
        jim.locator("#advice-asked a[href$='/advice/']")
    ).to_be_visible()  # asked until consulted
    jim.goto(portal + f"placements/{decision_id}/advice/")
    expect(jim.locator("main")).to_contain_text("Sam kan bij mij blijven")

    # The mother (holder of parental authority): told on her home page, on a phone.
    mother = _as(page, server, "ouder.sam")
    mother.goto(portal)
    expect(mother.locator("#placed")).to_be_visible()
    assert _fits_the_phone(mother)
