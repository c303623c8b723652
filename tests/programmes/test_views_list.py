"""The programme list: standard and own programmes, usage counts, in a flat number of queries."""

from __future__ import annotations

import pytest

from tests.programmes.conftest import EN, make_programme, start_trajectory
from yim.programmes.models import ProgrammeModel

pytestmark = pytest.mark.django_db


def test_the_list_shows_the_standard_programmes_read_only_and_an_empty_state(world, client_for):
    response = client_for("admin").get("/programmes/", **EN)
    standard = [row["programme"].code for row in response.context["standard_rows"]]
    assert sorted(standard) == ["indicated", "selective", "universal"]
    assert response.context["own_rows"] == []
    html = response.content.decode()
    assert "Your organisation has no programmes of its own yet." in html
    assert "standard" in html
    for code in standard:
        pk = ProgrammeModel.standard(code).pk
        assert f'href="/programmes/{pk}/copy/"' in html
        assert f'href="/programmes/{pk}/"' not in html


def test_the_list_names_phases_cadence_instruments_and_status(world, client_for):
    make_programme(
        world.org,
        phases=["referral", "candidates", "closure"],
        evaluation_interval_months=4,
        instruments=["satisfaction", "risk_domains"],
        is_active=False,
    )
    response = client_for("admin").get("/programmes/", **EN)
    [row] = response.context["own_rows"]
    assert [str(p) for p in row["phases"]] == ["Referral", "Candidates", "Closure"]
    assert row["instruments"][0] == "Satisfaction with the help"
    html = response.content.decode()
    assert "every 4 months" in html and "deactivated" in html
    assert "Satisfaction with the help" in html
    assert "Your organisation has no programmes of its own yet." not in html


def test_the_instrument_titles_follow_the_language_of_the_page(world, client_for, own_programme):
    response = client_for("admin").get("/programmes/", HTTP_ACCEPT_LANGUAGE="nl")
    [row] = response.context["own_rows"]
    assert row["instruments"] == ["Tevredenheid over de hulp"]


def test_the_usage_counts_only_this_organisations_trajectories(world, client_for, own_programme):
    indicated = ProgrammeModel.standard("indicated")
    start_trajectory(world, own_programme, world.youth_file)
    start_trajectory(world, indicated, world.other_youth_file)
    start_trajectory(world, indicated, world.foreign_youth_file)  # another organisation
    response = client_for("admin").get("/programmes/")
    [own] = [r["programme"] for r in response.context["own_rows"]]
    assert (own.n_trajectories, own.n_running) == (1, 1)
    by_code = {r["programme"].code: r["programme"] for r in response.context["standard_rows"]}
    assert by_code["indicated"].n_trajectories == 1
    assert by_code["selective"].n_trajectories == 0


def _list_queries(client, django_assert_max_num_queries, limit: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with django_assert_max_num_queries(limit) as captured:
        response = client.get("/programmes/")
    assert response.status_code == 200
    return len(captured.captured_queries), len(response.context["own_rows"])


def test_the_number_of_queries_does_not_grow_with_the_programmes(
    world, client_for, django_assert_max_num_queries
):
    client = client_for("admin")
    programmes = [make_programme(world.org, code=f"p{i:02}") for i in range(10)]
    start_trajectory(world, programmes[0])
    few, shown_few = _list_queries(client, django_assert_max_num_queries, 15)
    for i in range(10, 40):
        make_programme(world.org, code=f"p{i:02}")
    many, shown_many = _list_queries(client, django_assert_max_num_queries, 15)
    assert (shown_few, shown_many) == (10, 40)
    assert many == few
