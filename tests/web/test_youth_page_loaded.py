"""The youth page reads what it loaded once instead of asking again: the invitation form's
people, the charts' JIM day, the holders of parental authority, the map's relation labels
and the charts' number tables. Each must come out exactly as when it is asked for."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tests.monitoring.conftest import portal  # noqa: F401 - fixture
from tests.monitoring.test_charts_feedback_api import _submit_risk
from tests.trajectories.conftest import indicated, make_case  # noqa: F401 - fixtures
from tests.trajectories.test_case_page_queries import a_file_with_jims, queries_of
from yim.monitoring.charts import NumberTableText, domain_chart_svgs, first_jim_day
from yim.monitoring.waves import wave_slots
from yim.trajectories.models import Candidate, NetworkPerson, Relation
from yim.trajectories.network_drawing import relation_labels
from yim.web.forms import InvitationForm

pytestmark = pytest.mark.django_db


def options(form: InvitationForm, name: str) -> list[tuple[str, str]]:
    return [(str(value), str(label)) for value, label in form.fields[name].choices]


def a_file_with_jims_and_holders(make):  # type: ignore[no-untyped-def]
    """Three JIMs one after another (the last active), two holders of parental authority
    of one name (so the order by id counts) and one without."""
    case = a_file_with_jims(make, 3)
    case.person("Moeder Anna", relation="parent", has_parental_authority=True)
    case.person("Oma Truus", relation="grandparent")
    return case


def test_the_youth_page_offers_the_people_the_invitation_form_would_ask_for(
    make_case,  # noqa: F811
    client_for,
):
    case = a_file_with_jims_and_holders(make_case)
    response = client_for("team_lead").get(f"/youth/{case.youth.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    shown = response.context["invitation_form"]
    asked = InvitationForm(youth=case.youth)
    assert shown.person_field.loaded is not None and shown.holder_field.loaded is not None
    with translation.override("en"):  # the labels as the page showed them
        assert options(shown, "person") == options(asked, "person")
        assert options(shown, "holder") == options(asked, "holder")
        people = [label for _, label in options(shown, "person")]
    assert people == ["---------", "JIM 2 (Aunt or uncle)"]
    holders = [value for value, _ in options(shown, "holder")][1:]
    assert holders == [
        str(p.pk)
        for p in NetworkPerson.objects.filter(
            youth=case.youth, has_parental_authority=True
        ).order_by("display_name", "pk")
    ]
    assert len(holders) == 3


def test_loaded_choices_are_shown_without_a_query_and_checked_against_the_database(
    make_case,  # noqa: F811
):
    case = a_file_with_jims_and_holders(make_case)
    jim = Candidate.objects.get(trajectory=case.trajectory, jim_ended_on__isnull=True).person
    stopped = Candidate.objects.filter(
        trajectory=case.trajectory, jim_ended_on__isnull=False
    ).first()
    assert stopped is not None
    holders = list(case.youth.network.filter(has_parental_authority=True))
    form = InvitationForm(youth=case.youth, jims=[jim], holders=holders)
    with CaptureQueriesContext(connection) as captured:
        rendered = str(form["person"]) + str(form["holder"])
        assert len(form.fields["person"].choices) == 2 and form.fields["holder"].choices
    assert len(captured.captured_queries) == 0
    assert f'value="{jim.pk}"' in rendered
    # What is submitted is looked up in the database, not in what the page listed: a JIM
    # who stopped is refused even when a (wrong) list offered them.
    data = {"role": "jim", "display_name": "X", "submission": "0123456789abcdef" * 2}
    offered = InvitationForm(
        {**data, "person": stopped.person_id}, youth=case.youth, jims=[stopped.person]
    )
    plain = InvitationForm({**data, "person": stopped.person_id}, youth=case.youth)
    assert not offered.is_valid() and not plain.is_valid()
    assert offered.errors == plain.errors
    chosen = InvitationForm({**data, "person": jim.pk}, youth=case.youth, jims=[jim])
    assert chosen.is_valid(), chosen.errors
    assert chosen.network_person == jim


def test_without_loaded_choices_the_form_asks_the_database_as_before(make_case):  # noqa: F811
    case = a_file_with_jims_and_holders(make_case)
    form = InvitationForm(youth=case.youth)
    assert form.person_field.loaded is None
    with CaptureQueriesContext(connection) as captured, translation.override("en"):
        people = options(form, "person")
    assert len(captured.captured_queries) == 1
    assert [label for _, label in people] == ["---------", "JIM 2 (Aunt or uncle)"]
    assert len(form.fields["holder"].choices) == 4  # the empty choice and three holders
    assert bool(form.fields["holder"].choices)


def test_the_first_jims_day_from_loaded_candidates_is_the_day_the_database_gives(
    make_case,  # noqa: F811
):
    case = a_file_with_jims(make_case, 3)
    candidates = list(Candidate.objects.filter(trajectory__youth=case.youth))
    assert first_jim_day(case.youth, candidates) == first_jim_day(case.youth) == case.day(12)
    fresh = make_case()
    assert first_jim_day(fresh.youth, []) is None and first_jim_day(fresh.youth) is None


def test_the_charts_are_the_same_with_the_loaded_candidates_and_one_query_less(portal):  # noqa: F811
    world = portal.world
    intake, evaluation = wave_slots(portal.a.trajectory)
    _submit_risk(portal.a, world.professional, intake)
    _submit_risk(portal.a, world.professional, evaluation, rule_breaking_conduct=1)
    youth = portal.a.youth
    candidates = list(Candidate.objects.filter(trajectory__youth=youth))
    with CaptureQueriesContext(connection) as loaded:
        given = domain_chart_svgs(youth, "en", candidates=candidates)
    with CaptureQueriesContext(connection) as asked:
        plain = domain_chart_svgs(youth, "en")
    assert given == plain and given
    assert len(loaded.captured_queries) == len(asked.captured_queries) - 1


def test_the_youth_page_asks_as_many_queries_with_risk_charts_as_without(
    portal,  # noqa: F811
    client_for,
):
    """The page asks for the risk assessments either way; the JIM's day marked on the
    charts comes from the candidates it loaded."""
    world = portal.world
    path = f"/youth/{portal.a.youth.pk}/"
    client = client_for("team_lead")
    without = queries_of(client, path)
    intake, evaluation = wave_slots(portal.a.trajectory)
    _submit_risk(portal.a, world.professional, intake)
    _submit_risk(portal.a, world.professional, evaluation, rule_breaking_conduct=1)
    assert queries_of(client, path) == without


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_number_tables_read_as_the_template_filters_write_them(language):
    template = Template('{{ day|date:"SHORT_DATE_FORMAT" }}|{{ score|floatformat:"-1" }}')
    text = NumberTableText()
    days = [dt.date(2026, 1, 5), dt.date(2026, 12, 31), dt.date(2025, 2, 28)]
    scores = [0.0, -0.0, 1.0, 3.0, 0.05, 0.25, 1.25, 1.35, 2.45, 1 / 3, 2 / 3, 1.5, 2.95, 12345.5]
    with translation.override(language):
        for day in days:
            for score in scores:
                expected = template.render(Context({"day": day, "score": score}))
                # twice: the second answer comes from the memo
                for _ in range(2):
                    assert f"{text.day(day)}|{text.score(score)}" == expected, (day, score)
    with translation.override("nl"):
        assert text.score(1.5) == "1,5"
    with translation.override("en"):
        assert text.score(1.5) == "1.5"  # one memo, both languages: each its own text


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_maps_relation_labels_are_the_persons_relation_display(language):
    with translation.override(language):
        labels = relation_labels()
        for relation in [*Relation.values, "not-a-relation"]:
            person = NetworkPerson(relation=relation)
            assert str(labels.get(relation, relation)) == str(person.get_relation_display())
