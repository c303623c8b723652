"""Generated cross-scope probes: every page and every API operation, every persona, ids from
every zone (hypothesis).

For each endpoint of the URL map and each operation of the OpenAPI schema, hypothesis draws a
persona (the six staff roles with a session or an API token, the three portal users), a method
(GET or POST for pages) and values for every path parameter, a few id-like query and form
fields (pages) or the query parameters and JSON body (API): ids of the three zones of
:mod:`tests.security.probe_world`, the fixture's own ids, nonexistent, zero, negative and
huge numbers, and random integers. Every answer must:

* never be a server error;
* never show a marker of a zone outside the persona's scope (body or ``Location``);
* when a path parameter holds an id of a forbidden zone: be refused (403, 404, 405), never a
  page, a success or a redirect to the object;
* for the API, when a body id names a record of a forbidden zone: never succeed.

How many examples: ``YIM_PROBE_PROFILE=ci`` (the default, 500 per endpoint) or ``nightly``
(10,000 per endpoint); see ``docs/security.md``. Every probe runs in a savepoint that is
rolled back, so writes of one example never reach the next; the session cookies are put back
too (a probe of sign-out must not sign the next one out).
"""

from __future__ import annotations

import json
import os
import string
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import signed_in
from tests.security.endpoints import ApiOperation, WebEndpoint, api_operations, web_endpoints
from tests.security.probe_world import (
    AFTER_ZONES,
    FORBIDDEN,
    MARKERS,
    ProbeWorld,
    build_probe_world,
    zone_of,
)
from yim.api.root import REFUSED_AT

pytestmark = pytest.mark.django_db

PROFILES = {"smoke": 20, "ci": 500, "nightly": 10_000}
PROFILE = os.environ.get("YIM_PROBE_PROFILE", "ci")
if PROFILE not in PROFILES:
    raise pytest.UsageError(f"YIM_PROBE_PROFILE must be one of {sorted(PROFILES)}, not {PROFILE!r}")
for _name, _examples in PROFILES.items():
    settings.register_profile(
        f"probe-{_name}",
        max_examples=_examples,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
PROBE_SETTINGS = settings.get_profile(f"probe-{PROFILE}")

PERSONAS = list(FORBIDDEN)
REFUSED = {403, 404, 405}
#: Form and query fields that carry ids somewhere in the project (and some that might).
ID_FIELDS = [
    "youth",
    "youth_id",
    "trajectory",
    "person",
    "person_id",
    "candidate",
    "candidate_id",
    "meeting",
    "document",
    "code",
    "coder",
    "segment",
    "project",
    "participant",
    "target",
    "parent",
    "team",
    "user",
    "pk",
    "id",
]
HUGE = [2**31, 2**31 - 1, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**30]

#: Requests made per endpoint in this run (for the figures in docs/security.md).
REQUESTS: dict[str, int] = {}


def id_values(probe: ProbeWorld) -> st.SearchStrategy[int]:
    pool = [i for ids in probe.zone_ids.values() for i in ids] + probe.fixture_ids
    edge = [0, -1, -(2**63), AFTER_ZONES - 1, AFTER_ZONES + 12345, *HUGE]
    return st.one_of(
        st.sampled_from(pool),
        st.sampled_from(edge),
        st.integers(min_value=-1000, max_value=2**40),
    )


def text_values(ids: st.SearchStrategy[int]) -> st.SearchStrategy[str]:
    junk = st.text(string.ascii_letters + string.digits + "-_.%", min_size=1, max_size=40)
    return st.one_of(ids.map(str), junk)


def forbidden_zones(persona: str, values: list[Any]) -> set[str]:
    zones = set()
    for value in values:
        if isinstance(value, int) or (isinstance(value, str) and value.lstrip("-").isdigit()):
            zone = zone_of(int(value))
            if zone in FORBIDDEN[persona]:
                zones.add(zone)
    return zones


def body_of(response: HttpResponse) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    else:
        content = response.content
    return content.decode("utf-8", errors="replace") + " " + response.get("Location", "")


def check(
    persona: str,
    what: str,
    response: HttpResponse,
    path_values: list[Any],
    other_values: list[Any],
) -> None:
    status = response.status_code
    assert status < 500, f"{persona}: {what} answered {status}"
    text = body_of(response)
    for zone in FORBIDDEN[persona]:
        assert MARKERS[zone] not in text, f"LEAK: {persona} saw zone {zone} data at {what}"
    location = response.get("Location", "")
    for value in path_values + other_values:
        if forbidden_zones(persona, [value]) and status in (301, 302, 303, 307, 308):
            assert f"/{value}/" not in location, f"{persona}: {what} redirected to {location}"
    if forbidden_zones(persona, path_values):
        refused = status in REFUSED or (status == 422 and shape_refusal(response))
        assert refused, f"{persona}: {what} answered {status}, not a refusal"


def shape_refusal(response: HttpResponse) -> bool:
    """An API 422 for the request's shape, given before any lookup (the API says so in its
    ``Yim-Refused-At: request`` header) — as opposed to a record's refusal, which only a
    record found in scope can give. Both bodies have the one 422 shape of docs/api.md."""
    return response.get(REFUSED_AT) == "request"


def rolled_back(client: Client, send: Any) -> HttpResponse:
    """Send one probe inside a savepoint that is rolled back; keep the client's cookies."""
    cookies = SimpleCookie()
    cookies.load(client.cookies.output(header="", sep=";"))
    try:
        with transaction.atomic():
            response = send()
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies
    return response


@pytest.fixture(scope="module", autouse=True)
def report_counts():  # type: ignore[no-untyped-def]
    """With ``YIM_PROBE_REPORT=<file>``, write the number of probes per endpoint there
    (``<file>.gw0``, ``<file>.gw1`` … under pytest-xdist)."""
    yield
    target = os.environ.get("YIM_PROBE_REPORT")
    if target and os.environ.get("PYTEST_XDIST_WORKER"):  # one file per worker
        target += "." + os.environ["PYTEST_XDIST_WORKER"]
    if target:
        with open(target, "w", encoding="utf-8") as out:
            json.dump({"profile": PROFILE, "requests": REQUESTS}, out, indent=1, sort_keys=True)


@pytest.fixture
def probe(world) -> ProbeWorld:  # type: ignore[no-untyped-def]
    return build_probe_world(world)


@pytest.fixture
def web_clients(probe: ProbeWorld) -> dict[str, Client]:
    return {p: signed_in(probe.world.persona(p)) for p in PERSONAS}


@pytest.fixture
def api_clients(probe: ProbeWorld) -> dict[str, Client]:
    return {p: Client(HTTP_AUTHORIZATION=f"Bearer {probe.tokens[p]}") for p in PERSONAS}


WEB = web_endpoints()
API = api_operations()


@pytest.mark.parametrize("endpoint", WEB, ids=str)
def test_no_page_shows_anyone_data_outside_their_scope(
    endpoint: WebEndpoint, probe: ProbeWorld, web_clients: dict[str, Client]
) -> None:
    ids = id_values(probe)
    params = endpoint.params
    path_strategy = st.fixed_dictionaries(
        {name: (ids.map(str) if conv == "int" else text_values(ids)) for name, conv in params}
    )
    fields = st.dictionaries(st.sampled_from(ID_FIELDS), ids.map(str), max_size=3)

    @PROBE_SETTINGS
    @given(
        persona=st.sampled_from(PERSONAS),
        method=st.sampled_from(["GET", "POST"]),
        path=path_strategy,
        data=fields,
    )
    def probe_page(persona: str, method: str, path: dict[str, str], data: dict[str, str]) -> None:
        client = web_clients[persona]
        url = endpoint.url(path)
        send = client.get if method == "GET" else client.post
        response = rolled_back(client, lambda: send(url, data))
        REQUESTS[str(endpoint)] = REQUESTS.get(str(endpoint), 0) + 1
        ids_in_path = [path[name] for name, conv in params if conv == "int"]
        others = [*data.values(), *(path[name] for name, conv in params if conv != "int")]
        check(persona, f"{method} {url} {data}", response, ids_in_path, others)

    probe_page()


def _body_strategy(operation: ApiOperation, ids: st.SearchStrategy[int]) -> Any:
    """A JSON body close to a valid one (the schema's examples), with ids in the id fields."""
    fields: dict[str, Any] = {}
    for name, prop in operation.body or ():
        if name.endswith("_id"):
            fields[name] = st.one_of(ids, st.none())
        elif prop.get("examples") and prop["examples"][0] is not None:
            fields[name] = st.just(prop["examples"][0])
        elif prop.get("enum"):
            fields[name] = st.sampled_from(prop["enum"])
        elif prop.get("format") == "date":
            fields[name] = st.just("2026-06-01")
        elif prop.get("type") == "string":
            fields[name] = st.just("Probe text")
        elif prop.get("type") == "integer":
            fields[name] = ids
        elif prop.get("type") == "boolean":
            fields[name] = st.booleans()
    return st.fixed_dictionaries(fields)


@pytest.mark.parametrize("operation", API, ids=str)
def test_no_api_operation_shows_anyone_data_outside_their_scope(
    operation: ApiOperation, probe: ProbeWorld, api_clients: dict[str, Client]
) -> None:
    ids = id_values(probe)
    path_strategy = st.fixed_dictionaries({name: ids.map(str) for name in operation.path_params})
    declared = st.fixed_dictionaries(
        {},
        optional={
            name: (ids.map(str) if kind == "integer" else text_values(ids))
            for name, kind in operation.query_params
        },
    )
    # Fields the operation does not declare (ignored, or they must be) keep the example
    # space open for operations without parameters, as for the pages.
    undeclared = st.dictionaries(st.sampled_from(ID_FIELDS), ids.map(str), max_size=2)
    query_strategy = st.builds(lambda extra, known: {**extra, **known}, undeclared, declared)
    body_strategy = _body_strategy(operation, ids) if operation.body is not None else st.none()

    @PROBE_SETTINGS
    @given(
        persona=st.sampled_from(PERSONAS),
        path=path_strategy,
        query=query_strategy,
        body=body_strategy,
    )
    def probe_operation(
        persona: str, path: dict[str, str], query: dict[str, str], body: dict[str, Any] | None
    ) -> None:
        client = api_clients[persona]
        url = operation.url(path)
        if operation.method == "GET":
            response = rolled_back(client, lambda: client.get(url, query))
        else:
            payload = json.dumps(body or {})
            response = rolled_back(
                client,
                lambda: client.generic(
                    operation.method, url, payload, content_type="application/json"
                ),
            )
        REQUESTS[str(operation)] = REQUESTS.get(str(operation), 0) + 1
        body_ids = [v for k, v in (body or {}).items() if k.endswith("_id") and v is not None]
        what = f"{operation.method} {url} {query} {body}"
        check(persona, what, response, list(path.values()), list(query.values()))
        if forbidden_zones(persona, body_ids):
            assert response.status_code >= 400, f"{persona}: {what} accepted a foreign id"

    probe_operation()
