"""Stateful schemathesis (security proof item 5): sequences of calls that follow the schema's
links — create a record, then read, edit and act on the record just created, with the id and
the ``version`` the create answered (``yim.api.links``) — sent in-process with a professional's
token. Every answer must be one the schema documents, and none a server error.

``YIM_SCHEMATHESIS_STATEFUL_RUNS`` is Hypothesis's ``max_examples`` for the state machine
(sequences of at most :data:`STEPS` calls). The default 10 ran about 160 sequences and 210
calls in 30 s; a nightly run of 150 about 1,100 calls in 2 minutes (``docs/configuration.md``).
Hypothesis is derandomised (the same sequences on every run), keeps no example database and
has no deadline. Each sequence's writes are rolled back at its end, the whole test's with it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import warnings
from collections import Counter
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from tests.security.probe_world import build_probe_world
from yim.accounts.models import ApiToken
from yim.trajectories.models import NetworkPerson, Trajectory, Youth

with warnings.catch_warnings():
    # schemathesis 3.39 still imports jsonschema's deprecated RefResolver (not our code).
    warnings.simplefilter("ignore", DeprecationWarning)
    import schemathesis
    import schemathesis._hypothesis
    import schemathesis.specs.openapi.references
    import schemathesis.specs.openapi.schemas
    import schemathesis.specs.openapi.stateful
    from schemathesis import DataGenerationMethod
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

pytestmark = pytest.mark.django_db

#: Sequences per run: modest in CI, more at night.
RUNS = int(os.environ.get("YIM_SCHEMATHESIS_STATEFUL_RUNS", "10"))
#: Calls per sequence at most: a create and what follows from it.
STEPS = 6

CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)

# django-ninja writes OpenAPI 3.1; schemathesis 3.39 reads it as an experimental feature.
schemathesis.experimental.OPEN_API_3_1.enable()


#: Dates the sequences write: inside the registry's life, before the suite's frozen today.
DATES = st.dates(dt.date(2025, 1, 1), dt.date(2026, 6, 17)).map(dt.date.isoformat)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _scope_ids(world: Any) -> dict[str, list[int]]:
    """Ids the sequences start from, by parameter name: the professional's own records (the
    cross-scope probes' zone A), so that a create finds its parent; any other ``…_id`` draws
    from every record of zone A."""
    zone = build_probe_world(world).zone_ids["A"]
    youth = Youth.objects.filter(team=world.team_a)
    trajectories = Trajectory.objects.filter(youth__in=youth)

    def pks(queryset: Any, field: str = "pk") -> list[int]:
        return sorted(set(queryset.values_list(field, flat=True)))

    return {
        "youth_id": pks(youth),
        "trajectory_id": pks(trajectories),
        "programme_id": pks(trajectories, "programme_id"),
        "person_id": pks(NetworkPerson.objects.filter(youth__in=youth)),
        "": zone,
    }


def _one_source_per_target(raw: dict[str, Any]) -> dict[str, Any]:
    """Each operation linked from one create only: the first in the schema.

    Schemathesis 3.39 names a transition by its target alone, so of two creates that link to
    the same operation (a placement episode, created directly or as a decision's outcome) only
    the last one's link is kept; the other create's answers then fill a bundle no rule takes
    from, and the machine stalls. The API's schema states both links; the machine gets one.
    """
    claimed: set[str] = set()
    for item in raw["paths"].values():
        for operation in item.values():
            for response in operation.get("responses", {}).values():
                links = response.get("links", {})
                for name in [n for n, link in links.items() if link["operationId"] in claimed]:
                    del links[name]
                claimed.update(link["operationId"] for link in links.values())
                if "links" in response and not links:
                    del response["links"]
    return raw


def _state_machine(in_process: Any, world: Any, token: str, seen: Counter[Any]) -> Any:
    raw = Client().get("/api/v1/openapi.json").json()
    schema = schemathesis.from_dict(
        _one_source_per_target(raw),
        app=in_process,
        base_url="/",
        data_generation_methods=[DataGenerationMethod.positive, DataGenerationMethod.negative],
    )
    ids = _scope_ids(world)

    def in_scope(name: str, value: Any) -> Any:
        """An integer ``…_id`` becomes a record in scope; a date one inside :data:`DATES`."""
        if type(value) is int and name.endswith("_id"):
            return st.sampled_from(ids.get(name) or ids[""])
        if isinstance(value, str) and _DATE.match(value):
            return DATES
        return st.just(value)

    def fields_in_scope(values: Any) -> Any:
        if not isinstance(values, dict) or not values:
            return st.just(values)
        return st.fixed_dictionaries({name: in_scope(name, v) for name, v in values.items()})

    @schema.hook
    def before_generate_path_parameters(context: Any, strategy: Any) -> Any:
        """A sequence starts from a record in scope (a link then sets the ids it names)."""
        return strategy.flatmap(fields_in_scope)

    @schema.hook
    def before_generate_body(context: Any, strategy: Any) -> Any:
        """Bodies name records in scope and plausible dates, so that creates can succeed
        and the links be followed; everything else is schemathesis's own data."""
        return strategy.flatmap(fields_in_scope)

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def _add_results_to_targets(self, targets: Any, results: Any) -> None:
            """A result goes to the bundle of the link it can be followed by, or nowhere.

            Schemathesis 3.39 routes results in ``_add_result_to_targets``, which Hypothesis
            renamed (``_add_results_to_targets``, a list of results): without this bridge every
            result lands in ``catch_all``, no link is ever followed and the machine stalls.
            """
            for result in results:
                target = None if result is None else self._get_target_for_result(result)
                if target is not None:
                    super()._add_results_to_targets((target,), [result])

        def setup(self) -> None:
            """Each sequence writes inside a savepoint, rolled back at its end, so that every
            sequence starts from the same records (Hypothesis replays sequences)."""
            seen["sequences"] += 1
            self._sequence = transaction.atomic()
            self._sequence.__enter__()

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self._sequence.__exit__(None, None, None)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {"Authorization": f"Bearer {token}"}}

        def after_call(self, response: Any, case: Any) -> None:
            assert connection.in_atomic_block, "a request ended the test's transaction"
            assert not connection.closed_in_transaction, "a request closed the test's connection"
            seen["calls"] += 1
            if case.source is not None:  # the call followed a link from a create's answer
                seen["linked calls"] += 1
                seen["linked successes"] += response.status_code < 300

        def validate_response(
            self, response: Any, case: Any, additional_checks: tuple[Any, ...] = ()
        ) -> None:
            case.validate_response(response, checks=CHECKS, additional_checks=additional_checks)

    return Workflow


def test_sequences_that_follow_the_links_get_only_documented_answers(
    in_process, world, professional_token
):
    seen: Counter[Any] = Counter()
    workflow = _state_machine(in_process, world, professional_token, seen)
    run_state_machine_as_test(
        workflow,
        settings=settings(
            max_examples=RUNS,
            stateful_step_count=STEPS,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    print("stateful schemathesis:", dict(seen))  # the figures of the run (pytest -s)
    assert seen["linked calls"], "no sequence followed a link: nothing stateful was tested"
    assert seen["linked successes"], "no linked call succeeded: the links lead nowhere"


# --- the links themselves ------------------------------------------------------------------------


def _links() -> dict[tuple[str, str], dict[str, Any]]:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    return {
        (method.upper(), path.removeprefix("/api/v1")): response["links"]
        for path, item in paths.items()
        for method, operation in item.items()
        for response in operation["responses"].values()
        if "links" in response
    }


def test_a_create_links_to_the_operations_on_the_record_it_created():
    meeting = _links()[("POST", "/trajectories/{trajectory_id}/meetings")]
    held = meeting["yim_trajectories_api_meetings_record_held"]
    assert held["operationId"] == "yim_trajectories_api_meetings_record_held"
    assert held["parameters"] == {"meeting_id": "$response.body#/id"}
    assert held["requestBody"] == {"version": "$response.body#/version"}
    decision = _links()[("POST", "/trajectories/{trajectory_id}/placement-decisions")]
    assert decision["yim_trajectories_api_placement_finalise_decision"]["parameters"] == {
        "decision_id": "$response.body#/id"
    }


def test_a_create_that_answers_another_collections_record_links_to_that_record():
    """The outcome of a placement decision is a placement episode."""
    outcome = _links()[("POST", "/placement-decisions/{decision_id}/outcome")]
    assert set(outcome) == {"yim_trajectories_api_episodes_change_episode"}


def test_a_create_on_a_record_does_not_link_back_to_that_record():
    """A consultation answers the decision whose id is already in its path."""
    assert ("POST", "/placement-decisions/{decision_id}/consultations") not in _links()


def test_a_create_without_an_id_links_to_the_records_it_names():
    comparison = _links()[("POST", "/comparison-trajectories")]
    assert comparison["yim_trajectories_api_trajectories_get_trajectory"]["parameters"] == {
        "trajectory_id": "$response.body#/trajectory_id"
    }
    assert comparison["yim_trajectories_api_trajectories_get_youth"]["parameters"] == {
        "youth_id": "$response.body#/youth_id"
    }
    assert not any("add" in name or "start" in name for name in comparison)


def test_every_link_names_an_operation_of_the_schema_and_its_parameter():
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    operations = {
        operation["operationId"]: operation
        for item in paths.values()
        for operation in item.values()
    }
    links = [link for by_name in _links().values() for link in by_name.values()]
    assert len(links) >= 20
    for link in links:
        target = operations[link["operationId"]]
        names = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
        assert set(link["parameters"]) == names, link


# --- what the stateful runs found ----------------------------------------------------------------


def test_clearing_the_start_of_a_placement_episode_answers_422_not_a_server_error(world):
    """Found by the stateful run (create an episode, then PATCH it with ``started_on: null``):
    the API stored an empty text in the date, and the date rule compared it with today — a
    500. Clearing a date stores no date, and the model refuses a placement without its start."""
    import datetime as dt

    from django.utils import timezone

    from yim.programmes.models import ProgrammeModel

    start = timezone.localdate() - dt.timedelta(days=100)
    trajectory = Trajectory.start(
        youth=world.youth_file,
        programme=ProgrammeModel.standard("indicated"),
        professional=world.professional,
        referred_on=start,
        referral_source="neighbourhood_team",
        referral_reason="Referral",
        by=world.professional,
    )
    raw = ApiToken.issue(world.professional, "test")[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")
    created = client.post(
        f"/api/v1/trajectories/{trajectory.pk}/placement-episodes",
        {"placement_type": "foster_care", "started_on": str(start), "note": "Known"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    episode = created.json()
    response = client.patch(
        f"/api/v1/placement-episodes/{episode['id']}",
        {"version": episode["version"], "started_on": None},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"started_on": ["Give the day the placement began."]}
    kept = client.get(f"/api/v1/trajectories/{trajectory.pk}/placement-episodes").json()
    assert [e["started_on"] for e in kept] == [str(start)]
