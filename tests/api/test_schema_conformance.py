"""The API's schema tells the truth (security proof item 5): schemathesis generates requests —
valid ones and, on purpose, invalid ones — for every operation of ``/api/v1/openapi.json`` and
sends them in-process to the Django app with a professional's token. Every answer must be one
the schema documents, with the documented content type and body, and none a server error.

``YIM_SCHEMATHESIS_EXAMPLES`` sets the examples per operation and kind of data (default 10,
a nightly run 500; see ``docs/security.md``). Hypothesis is derandomised (the same cases on
every run), keeps no example database and has no deadline. Writes stay inside the test's
transaction (rolled back), and the clock is the suite's frozen one.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.security.probe_world import build_probe_world

with warnings.catch_warnings():
    # schemathesis 3.39 still imports jsonschema's deprecated RefResolver (not our code).
    warnings.simplefilter("ignore", DeprecationWarning)
    import schemathesis
    import schemathesis._hypothesis
    import schemathesis.specs.openapi.schemas
    from schemathesis import DataGenerationMethod
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

#: Examples per operation and kind of data (valid, invalid): modest in CI, more at night.
EXAMPLES = int(os.environ.get("YIM_SCHEMATHESIS_EXAMPLES", "10"))

CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)

# django-ninja writes OpenAPI 3.1; schemathesis 3.39 reads it as an experimental feature.
schemathesis.experimental.OPEN_API_3_1.enable()


#: Ids of records in the professional's scope (any table), filled by :func:`api_schema`.
_IN_SCOPE_IDS: list[int] = []


@pytest.fixture
def api_schema(in_process: Any, world: Any) -> Any:
    """The served schema (the app ``in_process``: ``tests/api/conftest.py``), over a world in
    which every kind of record exists in the professional's team (the cross-scope probes'
    zone A), so that requests reach records and not only 404s."""
    zone = build_probe_world(world).zone_ids["A"]
    _IN_SCOPE_IDS[:] = [world.youth_file.pk, *zone]
    return schemathesis.from_wsgi(
        "/api/v1/openapi.json",
        in_process,
        data_generation_methods=[DataGenerationMethod.positive, DataGenerationMethod.negative],
    )


# The filters are passed as None: their default makes schemathesis 3.39 warn of their deprecation.
schema = schemathesis.from_pytest_fixture(
    "api_schema", method=None, endpoint=None, tag=None, operation_id=None
)


@schema.hook
def before_generate_path_parameters(context: Any, strategy: Any) -> Any:
    """Half of the examples put ids of records in the professional's scope into the integer
    path parameters (the other half: whatever schemathesis draws, mostly 404s)."""

    def in_scope(parameters: dict[str, Any] | None) -> Any:
        if not parameters:
            return st.just(parameters)
        return st.fixed_dictionaries(
            {
                name: st.sampled_from(_IN_SCOPE_IDS) if type(value) is int else st.just(value)
                for name, value in parameters.items()
            }
        )

    return st.one_of(strategy, strategy.flatmap(in_scope))


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_every_answer_of_the_api_is_one_its_schema_documents(case, professional_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {professional_token}"}, checks=CHECKS)
    assert connection.in_atomic_block, "a request ended the test's transaction: writes leak"


# --- one 422 dialect ----------------------------------------------------------------------------


def test_a_request_the_api_cannot_read_answers_422_with_messages_per_field(
    world, professional_token
):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {professional_token}", HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(
        f"/api/v1/youth/{world.youth_file.pk}/network",
        {"display_name": 3, "trust": "high"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "The request is not valid.",
        "code": "invalid",
        "errors": {
            "display_name": ["Enter a text."],
            "relation": ["This field is required."],
            "age_band": ["This field is required."],
            "trust": ["Enter a whole number."],
        },
    }
    assert response["Yim-Refused-At"] == "request"  # read before any record was looked up
    page = client.get("/api/v1/youth?limit=0")
    assert page.json()["errors"] == {"limit": ["Ensure this value is greater than or equal to 1."]}
    assert page["Yim-Refused-At"] == "request"


def test_a_records_own_refusal_has_the_same_shape_but_no_request_mark(world, professional_token):
    """The cross-scope probes tell the two apart by the header: only a record found in scope
    can refuse its own fields."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {professional_token}", HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(
        f"/api/v1/youth/{world.youth_file.pk}/network",
        {"display_name": "", "relation": "aunt_uncle", "age_band": "18_39", "trust": 3},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid" and response.json()["errors"]
    assert "Yim-Refused-At" not in response


def test_a_body_that_is_not_json_answers_422_invalid(world, professional_token):
    response = Client(HTTP_AUTHORIZATION=f"Bearer {professional_token}").post(
        f"/api/v1/youth/{world.youth_file.pk}/network", "{", content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == ["__all__"]
    assert response["Yim-Refused-At"] == "request"


def test_the_schema_states_the_models_choices_and_text_limits():
    components = Client().get("/api/v1/openapi.json").json()["components"]["schemas"]
    person = components["PersonIn"]["properties"]
    assert "grandparent" in person["relation"]["enum"]
    assert person["display_name"]["maxLength"] == 120
    assert components["MeetingIn"]["properties"]["notes"]["maxLength"] == 20_000


def test_every_operation_documents_the_answers_of_the_convention():
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            answers = set(operation["responses"])
            assert "401" in answers, (method, path)
            assert ("403" in answers) == (path != "/api/v1/me"), (method, path)
            if "{" in path:
                assert "404" in answers, (method, path)
            if "requestBody" in operation:
                assert {"413", "422"} <= answers, (method, path)
            assert "x-yim-any-user" not in operation


def test_a_null_character_in_a_text_answers_422_on_its_field_and_nothing_is_saved(
    world, professional_token
):
    """Found by schemathesis on PostgreSQL, which cannot store a NUL character: a 500 before."""
    from yim.trajectories.models import NetworkPerson

    client = Client(HTTP_AUTHORIZATION=f"Bearer {professional_token}", HTTP_ACCEPT_LANGUAGE="en")
    before = NetworkPerson.objects.count()
    response = client.post(
        f"/api/v1/youth/{world.youth_file.pk}/network",
        {"display_name": "\u0000", "relation": "coach", "age_band": "12_15"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"]["display_name"] == ["Null characters are not allowed."]
    assert NetworkPerson.objects.count() == before
