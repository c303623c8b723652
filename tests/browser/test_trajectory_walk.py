"""A professional walks one whole JIM trajectory in a real browser, in Dutch and in English.

Intake of a new youth, a network map with four people, two candidates of whom one
declines, consent, the positioning meeting, an evaluation, a placement deliberation that
is blocked until the JIM is consulted, closure and a follow-up — on a phone-sized screen,
against a real `yim serve` process with the synthetic demo registry.

The Dutch run checks structure, URLs and states (the Dutch catalogue for these pages is
written after this test); the English run also checks the page text on its msgids.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_sign_in import DEMO_PASSWORD, browser_page, serve_demo
from yim.trajectories.rules import AMSTERDAM

pytestmark = pytest.mark.browser

#: An element within a 390 px phone screen, without a horizontal scroll of its own.
FITS = "e => e.scrollWidth <= e.clientWidth && e.getBoundingClientRect().right <= 390"


@pytest.fixture
def server(yim_cmd, tmp_path):
    """`yim demo` data served by `yim serve` on a free port (two-factor relaxed, as in a demo)."""
    yield from serve_demo(yim_cmd, tmp_path, require_2fa=False)


@pytest.fixture(params=["nl", "en"])
def locale(request) -> str:  # type: ignore[no-untyped-def]
    return str(request.param)


@pytest.fixture
def page(locale):  # type: ignore[no-untyped-def]
    yield from browser_page(
        15_000, locale="nl-NL" if locale == "nl" else "en-GB", accept_downloads=True
    )


def submit(page, scope: str = "form.card") -> None:  # type: ignore[no-untyped-def]
    """Press the form's main button and wait for the next page."""
    with page.expect_navigation():
        page.locator(f"{scope} button[type=submit]").first.click()


def follow(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        page.locator(selector).first.click()


def move_to(page, phase: str) -> None:  # type: ignore[no-untyped-def]
    page.select_option("#phase select[name=phase]", phase)
    submit(page, "#phase form")
    assert page.locator("#phase [data-phase]").get_attribute("data-phase") == phase


def no_form_errors(page) -> None:  # type: ignore[no-untyped-def]
    problems = page.locator(".form-errors, .field-error .error").all_inner_texts()
    assert not problems, problems


def test_a_professional_walks_a_whole_trajectory(server, page, locale):
    english = locale == "en"
    # The server's day is the Amsterdam calendar day (the machine may run on UTC); a birth
    # date 17 years and about two months back, counted in days so 29 February cannot trip it.
    today = dt.datetime.now(AMSTERDAM).date()
    born = today - dt.timedelta(days=17 * 365 + 60)

    # Sign in; the English run switches the interface language like a user would.
    page.goto(server + "/accounts/login/")
    page.fill("input[name=username]", "prof.noord")
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/home/$"))
    wanted = "en" if english else "nl"
    if page.locator("html").get_attribute("lang") != wanted:
        with page.expect_navigation():
            page.locator(f".language-form button[value={wanted}]").click()
    assert page.locator("html").get_attribute("lang") == wanted

    # Intake: from the team overview in the main navigation.
    follow(page, "nav a[href='/trajectories/overview/']")
    expect(page.locator("table.data.overview tbody tr")).not_to_have_count(0)  # demo caseload
    follow(page, "main a[href='/trajectories/intake/']")
    page.fill("[name=display_name]", "Robin Walk")
    page.fill("[name=date_of_birth]", born.isoformat())
    page.select_option("[name=school_work_status]", "school")
    page.select_option("[name=programme]", index=1)
    page.fill("[name=referred_on]", today.isoformat())
    page.select_option("[name=referral_source]", "neighbourhood_team")
    page.fill("[name=referral_reason]", "Residential care requested after a crisis at home.")
    page.select_option("[name=requested_placement]", "residential")
    page.select_option("[name=placement_basis]", "requested")
    submit(page)
    no_form_errors(page)
    assert re.search(r"/trajectories/\d+/$", page.url)
    trajectory_url = page.url
    assert page.locator("#phase [data-phase]").get_attribute("data-phase") == "referral"
    # The phase stepper: where the youth is and the suggested next step, within the phone.
    stepper = page.locator("#stepper")
    expect(stepper.locator("li[aria-current=step]")).to_have_attribute("data-phase", "referral")
    expect(page.locator("#next-step [data-step]")).to_have_attribute("data-step", "move")
    assert stepper.evaluate(FITS), "the stepper is wider than the phone"
    youth_href = page.locator(".breadcrumbs a").first.get_attribute("href")
    assert youth_href and re.fullmatch(r"/youth/\d+/", youth_href)

    # Network exploration: four people on the map, before the care plan.
    move_to(page, "network_exploration")
    follow(page, "#network a[href$='/network/']")
    if english:
        notice = page.get_by_text("The network map is built before the care plan").first
        expect(notice).to_be_visible()
    people = [
        ("Tante Ria", "aunt_uncle", "daily", "5"),
        ("Coach Bram", "coach", "weekly", "4"),
        ("Moeder", "parent", "daily", "3"),
        ("Buurvrouw Els", "neighbour", "monthly", "3"),
    ]
    follow(page, "#people a[href$='/network/add/']")
    for index, (name, relation, contact, trust) in enumerate(people):
        page.fill("[name=display_name]", name)
        page.select_option("[name=relation]", relation)
        page.select_option("[name=age_band]", "40_64")
        page.select_option("[name=contact_frequency]", contact)
        page.select_option("[name=trust]", trust)
        last = index == len(people) - 1
        with page.expect_navigation():
            page.locator(
                "form.card button[name=another]" if not last else "form.card button.primary"
            ).click()
        no_form_errors(page)
    assert re.search(r"/network/$", page.url)
    expect(page.locator("svg.network-map g.person")).to_have_count(4)
    assert page.locator("svg.network-map").get_attribute("viewBox").startswith("0 0 800")
    for suffix, kind in (("map.svg", "image/svg+xml"), ("map.png", "image/png")):
        href = page.locator(f"figure a[href$='{suffix}']").get_attribute("href")
        download = page.request.get(server + href)
        assert download.ok and download.headers["content-type"].startswith(kind)

    # Candidates: the youth names two people; the coach declines, the aunt accepts.
    page.goto(trajectory_url)
    move_to(page, "candidates")
    follow(page, "#nomination a[href$='/rounds/start/']")
    submit(page)
    for name in ("Coach Bram", "Tante Ria"):
        follow(page, "#nomination a[href$='/candidates/add/']")
        option = page.locator("[name=person] option", has_text=name)
        page.select_option("[name=person]", option.get_attribute("value"))
        submit(page)
        no_form_errors(page)
    follow(page, "#nomination a:text('Coach Bram')")
    page.select_option("#response [name=response]", "declined")
    page.fill("#response [name=asked_on]", today.isoformat())
    page.fill("#response [name=decline_reason]", "Too busy with his own family.")
    submit(page, "#response")
    follow(page, "#nomination a:text('Tante Ria')")
    page.select_option("#response [name=response]", "accepted")
    page.fill("#response [name=asked_on]", today.isoformat())
    submit(page, "#response")
    no_form_errors(page)
    expect(page.locator("#nomination .jim")).to_have_count(1)

    # Consent: the youth is 17, so the youth consents alone.
    move_to(page, "consent")
    follow(page, "#consent a[href$='/consent/']")
    page.select_option("[name=party]", "youth")
    page.select_option("[name=decision]", "yes")
    submit(page)
    no_form_errors(page)

    # Positioning meeting, with the youth's view and the JIM's input kept apart.
    move_to(page, "positioning")
    follow(page, "#meetings a[href$='/meetings/add/']")
    page.select_option("[name=kind]", "positioning")
    page.fill("[name=youth_view]", "I want Ria there when school calls.")
    page.fill("[name=jim_input]", "Ria offers Wednesday afternoons.")
    page.fill("[name=decisions]", "Ria is the JIM; weekly contact.")
    submit(page)
    no_form_errors(page)
    page.select_option("[name=attendee-role]", "jim")
    page.fill("[name=attendee-name]", "Tante Ria")
    submit(page, "#attendees form")
    expect(page.locator("#attendees li")).to_have_count(1)

    # Collaboration and an evaluation.
    page.goto(trajectory_url)
    move_to(page, "collaboration")
    follow(page, "#meetings a[href$='/meetings/add/']")
    page.select_option("[name=kind]", "evaluation")
    page.fill("[name=youth_view]", "It goes better at school.")
    submit(page)
    no_form_errors(page)

    # Placement deliberation: blocked until the JIM is consulted.
    page.goto(trajectory_url)
    follow(page, "#placement a[href$='/placements/add/']")
    page.select_option("[name=placement_type]", "residential")
    page.fill("[name=rationale]", "Escalation at home.")
    page.fill("[name=youth_view]", "I do not want to leave home.")
    submit(page)
    no_form_errors(page)
    decision_url = page.url
    submit(page, "#finalise")
    expect(page.locator("#finalise .form-errors")).to_be_visible()
    assert page.locator("[data-status]").get_attribute("data-status") == "draft"
    if english:
        assert (
            "cannot be finalised before the JIM has been consulted"
            in page.locator("#finalise .form-errors").inner_text()
        )
    page.fill("[name=consultation-advice]", "Weekends with me first, then decide.")
    page.fill("[name=consultation-weighing]", "Adopted: weekend stays before any placement.")
    submit(page, "#consultations form")
    no_form_errors(page)
    assert page.url == decision_url
    submit(page, "#finalise")  # asks first: what finalising does, what is still open
    expect(page.locator("#consequences")).to_be_visible()
    submit(page, "#confirm-finalise")
    no_form_errors(page)
    assert page.locator("[data-status]").get_attribute("data-status") == "finalised"

    # Closure and the first follow-up.
    page.goto(trajectory_url)
    follow(page, "#closure a[href$='/close/']")
    page.select_option("[name=reason]", "goals_achieved")
    page.select_option("[name=jim_relationship]", "continuing")
    expect(page.locator("#planned-follow-ups li")).to_have_count(3)  # named before closing
    assert page.locator("#still-open").evaluate(FITS), "the warnings are wider than the phone"
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

    # The youth page: the timeline, the current JIM and the map.
    page.goto(server + youth_href)
    assert "Tante Ria" in page.locator("#current-jim").inner_text()
    kinds = set(page.locator("#timeline li").evaluate_all("els => els.map(e => e.dataset.kind)"))
    assert {
        "phase",
        "nomination",
        "consent",
        "meeting",
        "decision",
        "closure",
        "follow_up",
    } <= kinds
    expect(page.locator("#network svg.network-map g.person.jim")).to_have_count(1)
    if english:
        expect(page.locator("h2", has_text="Timeline")).to_be_visible()
        expect(page.get_by_text("Placement decision: Residential care (Finalised)")).to_be_visible()
