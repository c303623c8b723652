"""One youth of 14, two parents who share parental authority, walked through the whole
trajectory in a real browser on a phone — and what the youth, the JIM, the mother and the
father see in their portals along the way (issue 12, "Done when").

A professional takes in Noor (14, residential care requested), puts her mother and father
on the network map with parental authority, invites Noor and both parents to the portal from
the youth page (each accepts the invitation link in their own browser), and walks on:
nomination and the aunt's acceptance, the JIM's invitation, consent (Noor through the
professional, each parent in their own portal: "youth ✓, mother ✓, father — open" until the
father decides), the positioning meeting, the care plan, a placement decision on which the JIM
gives her advice from her portal, finalising (a confirmation page), closure and a follow-up.

Every portal page is opened in its own browser context of a 390×844 phone and must not be
wider than the screen. Elements are found by id, form names and roles, as in the other
browser tests.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_sign_in import DEMO_PASSWORD, browser_page, serve_demo
from tests.browser.test_trajectory_walk import follow, move_to, no_form_errors, submit
from yim.trajectories.rules import AMSTERDAM

pytestmark = pytest.mark.browser

#: A portal account's own password (chosen on the invitation page).
PORTAL_PASSWORD = "Noor-haar-portaal-2026!"


@pytest.fixture
def server(yim_cmd, tmp_path):
    """`yim demo` data served by `yim serve` on a free port (two-factor relaxed, as in a demo)."""
    yield from serve_demo(yim_cmd, tmp_path, require_2fa=False)


@pytest.fixture
def page():
    yield from browser_page(15_000)


def fits_the_phone(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide on a 390 px phone"


def sign_in(page, server: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r"/home/$"))


def new_phone(page):  # type: ignore[no-untyped-def]
    """A fresh phone-sized context of the same browser (its own cookies: its own person)."""
    context = page.context.browser.new_context(
        locale="nl-NL", viewport={"width": 390, "height": 844}
    )
    context.set_default_timeout(15_000)
    other = context.new_page()
    errors: list[str] = []
    other.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    other.console_errors = errors
    return other


def invite(page, role: str, name: str, who: str | None = None) -> str:  # type: ignore[no-untyped-def]
    """On the youth page: an invitation link for a portal account (shown once)."""
    form = "form[action$='/invite/']"
    page.select_option(f"{form} [name=role]", role)
    page.fill(f"{form} [name=display_name]", name)
    if who is not None:
        field = "holder" if role == "parent" else "person"
        option = page.locator(f"{form} [name={field}] option", has_text=who)
        page.select_option(f"{form} [name={field}]", option.get_attribute("value"))
    with page.expect_navigation():
        page.get_by_role("button", name="Uitnodigingslink aanmaken").click()
    no_form_errors(page)
    link = page.locator("input.link-output").input_value()
    assert "/invitation/" in link
    return str(link)


def accept(page, server: str, link: str, username: str):  # type: ignore[no-untyped-def]
    """The invited person, on their own phone: chooses a user name and password, signs in."""
    phone = new_phone(page)
    phone.goto(link)
    fits_the_phone(phone)
    phone.fill("[name=username]", username)
    phone.fill("[name=password1]", PORTAL_PASSWORD)
    phone.fill("[name=password2]", PORTAL_PASSWORD)
    with phone.expect_navigation():
        phone.locator("main form button[type=submit]").click()
    no_form_errors(phone)
    assert phone.url.endswith("/accounts/login/"), phone.url
    sign_in(phone, server, username, PORTAL_PASSWORD)
    return phone


def checklist(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The consent checklist: who (as shown) → their decision ('open' while still open)."""
    rows = page.locator("#consent-checklist li")
    expect(rows.first).to_be_visible()
    found = {}
    for row in rows.all():
        who = row.inner_text().split(":")[0].strip()
        found[who] = str(row.get_attribute("data-decision"))
    return found


def test_a_youth_of_14_with_two_parents_who_share_authority_walks_to_follow_up(server, page):
    today = dt.datetime.now(AMSTERDAM).date()
    born = today - dt.timedelta(days=14 * 365 + 120)  # 14 years and about four months

    # --- The professional: intake --------------------------------------------------------
    sign_in(page, server, "prof.noord", DEMO_PASSWORD)
    follow(page, "nav a[href='/trajectories/overview/']")
    follow(page, "main a[href='/trajectories/intake/']")
    page.fill("[name=display_name]", "Noor Tweeouders")
    page.fill("[name=date_of_birth]", born.isoformat())
    page.select_option("[name=school_work_status]", "school")
    page.select_option("[name=programme]", index=1)
    page.fill("[name=referred_on]", today.isoformat())
    page.select_option("[name=referral_source]", "neighbourhood_team")
    page.fill("[name=referral_reason]", "Residentiële zorg gevraagd na een crisis thuis.")
    page.select_option("[name=requested_placement]", "residential")
    page.select_option("[name=placement_basis]", "requested")
    submit(page)
    no_form_errors(page)
    assert re.search(r"/trajectories/\d+/$", page.url)
    trajectory_url = page.url
    fits_the_phone(page)
    youth_href = page.locator(".breadcrumbs a").first.get_attribute("href")
    assert youth_href and re.fullmatch(r"/youth/\d+/", youth_href)
    youth_id = int(youth_href.strip("/").split("/")[-1])
    portal = f"{server}/portal/{youth_id}/"

    # --- Network: mother and father with parental authority, and the aunt ----------------
    move_to(page, "network_exploration")
    follow(page, "#network a[href$='/network/']")
    follow(page, "#people a[href$='/network/add/']")
    people = [
        ("Moeder Anja", "parent", True, "daily"),
        ("Vader Karim", "parent", True, "weekly"),
        ("Tante Ria", "aunt_uncle", False, "weekly"),
    ]
    for index, (name, relation, authority, contact) in enumerate(people):
        page.fill("[name=display_name]", name)
        page.select_option("[name=relation]", relation)
        page.set_checked("[name=has_parental_authority]", authority)
        page.select_option("[name=age_band]", "40_64")
        page.select_option("[name=contact_frequency]", contact)
        page.select_option("[name=trust]", "4")
        last = index == len(people) - 1
        with page.expect_navigation():
            page.locator(
                "form.card button[name=another]" if not last else "form.card button.primary"
            ).click()
        no_form_errors(page)
    expect(page.locator("svg.network-map g.person")).to_have_count(3)
    fits_the_phone(page)

    # --- Portal accounts the way the product makes them: invitations on the youth page ----
    page.goto(server + youth_href)
    links = {
        "noor": invite(page, "youth", "Noor Tweeouders"),
    }
    page.goto(server + youth_href)
    links["anja"] = invite(page, "parent", "Anja", "Moeder Anja")
    page.goto(server + youth_href)
    links["karim"] = invite(page, "parent", "Karim", "Vader Karim")
    youth = accept(page, server, links["noor"], "noor.walk")
    mother = accept(page, server, links["anja"], "anja.walk")
    father = accept(page, server, links["karim"], "karim.walk")
    for phone in (youth, mother, father):
        phone.goto(portal)
        fits_the_phone(phone)
    # The parents are asked nothing yet: there is no JIM to consent to.
    mother.goto(portal + "consent/")
    expect(mother.locator("main .empty").first).to_be_visible()

    # --- Nomination: Noor names her aunt, who accepts ------------------------------------
    page.goto(trajectory_url)
    move_to(page, "candidates")
    follow(page, "#nomination a[href$='/rounds/start/']")
    submit(page)
    follow(page, "#nomination a[href$='/candidates/add/']")
    option = page.locator("[name=person] option", has_text="Tante Ria")
    page.select_option("[name=person]", option.get_attribute("value"))
    submit(page)
    no_form_errors(page)
    follow(page, "#nomination a:text('Tante Ria')")
    page.select_option("#response [name=response]", "accepted")
    page.fill("#response [name=asked_on]", today.isoformat())
    submit(page, "#response")
    no_form_errors(page)
    expect(page.locator("#nomination .jim")).to_have_count(1)

    # The JIM's portal account, tied to her candidacy.
    page.goto(server + youth_href)
    links["ria"] = invite(page, "jim", "Ria", "Tante Ria")
    jim = accept(page, server, links["ria"], "ria.walk")
    jim.goto(portal)
    fits_the_phone(jim)

    # --- Consent: 14, so the youth and every holder of parental authority ---------------
    page.goto(trajectory_url)
    move_to(page, "consent")
    follow(page, "#consent a[href$='/consent/']")
    consent_url = page.url
    assert checklist(page) == {
        "De jongere": "open",
        "Moeder Anja": "open",
        "Vader Karim": "open",
    }, checklist(page)
    page.select_option("[name=party]", "youth")
    page.select_option("[name=decision]", "yes")
    submit(page)
    no_form_errors(page)

    # The mother decides in her portal; her decision is her consent record.
    mother.goto(portal)
    follow(mother, "a[href$='/consent/']")
    fits_the_phone(mother)
    mother.check("[name=decision][value=yes]")
    submit(mother, "main form")
    no_form_errors(mother)
    expect(mother.locator("#mine li:not(.empty)")).to_have_count(1)  # her own decision
    expected_open = {"De jongere": "yes", "Moeder Anja": "yes", "Vader Karim": "open"}
    # Both parents see where consent stands for every holder, until the father decides.
    assert checklist(mother) == expected_open
    expect(mother.locator("#consent-checklist li", has_text="Vader Karim")).to_contain_text("—")
    fits_the_phone(mother)
    father.goto(portal + "consent/")
    assert checklist(father) == expected_open
    fits_the_phone(father)
    page.goto(consent_url)
    assert checklist(page) == expected_open
    # Consent is not complete: the JIM is not asked for advice and sees nothing yet.
    jim.goto(portal)
    expect(jim.locator("#advice-asked")).to_have_count(0)

    father.check("[name=decision][value=yes]")
    submit(father, "main form")
    no_form_errors(father)
    everyone = {"De jongere": "yes", "Moeder Anja": "yes", "Vader Karim": "yes"}
    assert checklist(father) == everyone
    page.goto(consent_url)
    assert checklist(page) == everyone

    # Noor shares her care plan (with the placements and the safety plan) with her JIM.
    youth.goto(portal + "sharing/")
    fits_the_phone(youth)
    youth.check("[name=plan]")
    submit(youth, "main form")
    no_form_errors(youth)

    # --- Positioning meeting and the care plan ------------------------------------------
    page.goto(trajectory_url)
    move_to(page, "positioning")
    follow(page, "#meetings a[href$='/meetings/add/']")
    page.select_option("[name=kind]", "positioning")
    page.fill("[name=youth_view]", "Ik wil dat Ria erbij is als school belt.")
    page.fill("[name=jim_input]", "Ria kan op woensdagmiddag.")
    page.fill("[name=decisions]", "Ria is de JIM; wekelijks contact.")
    submit(page)
    no_form_errors(page)
    page.goto(trajectory_url)
    move_to(page, "collaboration")
    follow(page, "#care-plan a[href$='/care-plan/']")
    page.fill("[name=made_on]", today.isoformat())
    page.fill("[name=summary]", "Rust thuis en op school; Ria als vast aanspreekpunt.")
    submit(page)
    no_form_errors(page)
    page.goto(trajectory_url)
    follow(page, "#care-plan a[href$='/goals/add/']")
    page.fill("[name=description]", "Noor gaat weer elke dag naar school.")
    submit(page)
    no_form_errors(page)
    fits_the_phone(page)

    # --- Placement decision: the JIM advises from her portal ----------------------------
    page.goto(trajectory_url)
    follow(page, "#placement a[href$='/placements/add/']")
    page.select_option("[name=placement_type]", "residential")
    page.fill("[name=rationale]", "Escalatie thuis; residentiële plaatsing nodig.")
    page.fill("[name=youth_view]", "Ik wil niet weg van huis.")
    submit(page)
    no_form_errors(page)
    decision_url = page.url
    decision_id = int(decision_url.rstrip("/").split("/")[-1])

    jim.goto(portal)
    advice = jim.locator(f"#advice-asked a[href$='/placements/{decision_id}/advice/']")
    expect(advice).to_be_visible()
    fits_the_phone(jim)
    with jim.expect_navigation():
        advice.click()
    fits_the_phone(jim)
    jim.fill("[name=advice]", "Eerst weekenden bij mij, dan beslissen.")
    submit(jim, "main form")
    no_form_errors(jim)
    # Before it is final, the parents are not told of a placement and the draft is not shown.
    mother.goto(portal)
    expect(mother.locator("#placed")).to_have_count(0)
    mother.goto(portal + "file/plan/")
    expect(mother.locator("main")).not_to_contain_text("Escalatie thuis")

    page.goto(decision_url)
    assert page.locator("[name=consultation-advice]").input_value().startswith("Eerst weekenden")
    page.fill("[name=consultation-weighing]", "Overgenomen: eerst weekenden bij Ria.")
    submit(page, "#consultations form")
    no_form_errors(page)
    submit(page, "#finalise")  # asks first: what finalising does, what is still open
    expect(page.locator("#consequences")).to_be_visible()
    fits_the_phone(page)
    submit(page, "#confirm-finalise")
    no_form_errors(page)
    assert page.locator("[data-status]").get_attribute("data-status") == "finalised"

    # After it is final: Noor and her JIM see the decision, each parent is told.
    youth.goto(portal)
    expect(youth.locator("#placement-summary")).to_be_visible()
    fits_the_phone(youth)
    youth.goto(portal + "file/plan/")
    expect(youth.locator("#placements")).to_contain_text("Escalatie thuis")
    fits_the_phone(youth)
    jim.goto(portal + "file/plan/")
    expect(jim.locator("#placements")).to_contain_text("Escalatie thuis")
    fits_the_phone(jim)
    jim.goto(portal)
    expect(jim.locator("#advice-asked")).to_have_count(0)  # consulted: no longer asked
    for parent in (mother, father):
        parent.goto(portal)
        expect(parent.locator("#placed")).to_be_visible()  # told: their child is placed
        fits_the_phone(parent)
        parent.goto(portal + "file/plan/")  # 14: the parents see the care plan's part
        expect(parent.locator("#placements")).to_contain_text("Escalatie thuis")
        fits_the_phone(parent)

    # --- Closure (the close page names what follows) and a follow-up --------------------
    page.goto(trajectory_url)
    follow(page, "#closure a[href$='/close/']")
    page.select_option("[name=reason]", "goals_achieved")
    page.select_option("[name=jim_relationship]", "continuing")
    expect(page.locator("#planned-follow-ups li")).to_have_count(3)
    fits_the_phone(page)
    submit(page)
    no_form_errors(page)
    expect(page.locator("#closure table.data tbody tr")).to_have_count(3)
    follow(page, "#closure a[href*='/follow-ups/']")
    page.select_option("[name=jim_contact_continues]", "yes")
    page.select_option("[name=contact_frequency]", "weekly")
    page.select_option("[name=placement_after_all]", "no")
    submit(page)
    no_form_errors(page)
    assert page.locator("#phase [data-phase]").get_attribute("data-phase") == "follow_up"

    # After closure the portals still hold, on a phone.
    for phone in (youth, jim, mother, father):
        phone.goto(portal)
        fits_the_phone(phone)
        assert not phone.console_errors, phone.console_errors
