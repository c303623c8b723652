"""The one API convention (yim.api.convention): the same answers from every router."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from yim.accounts.models import ApiToken
from yim.audit.models import AuditEvent
from yim.trajectories.models import NetworkPerson

pytestmark = pytest.mark.django_db

PERSON = {"display_name": "Oma Lies", "relation": "grandparent", "age_band": "65_plus"}


def client(user: Any) -> Client:
    _token, raw = ApiToken.issue(user, "test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", raise_request_exception=False)


def network_url(world: Any) -> str:
    return f"/api/v1/youth/{world.youth_file.pk}/network"


@pytest.mark.parametrize(
    "path", ["/api/v1/youth", "/api/v1/instruments", "/api/v1/qualitative/projects"]
)
def test_a_non_staff_token_is_refused_with_403_forbidden_by_every_router(world, path):
    response = client(world.jim).get(path)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/youth/{other}",
        "/api/v1/youth/{other}/assessments",
        "/api/v1/instruments/no_such_instrument",
    ],
)
def test_out_of_scope_answers_404_not_found_from_every_router(world, path):
    response = client(world.professional).get(path.format(other=world.other_youth_file.pk))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_refused_write_answers_422_per_field_and_leaves_no_audit_event(world):
    response = client(world.professional).post(
        network_url(world), {**PERSON, "relation": "nonsense"}, content_type="application/json"
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and list(body["errors"]) == ["relation"]
    assert not NetworkPerson.objects.filter(display_name="Oma Lies").exists()
    assert not AuditEvent.objects.filter(detail="api network", action="create").exists()


def test_a_write_and_its_audit_event_are_saved_together_or_not_at_all(world, monkeypatch):
    from yim.api import convention

    def failing_audit(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(convention, "record", failing_audit)
    response = client(world.professional).post(
        network_url(world), PERSON, content_type="application/json"
    )
    assert response.status_code == 500
    assert not NetworkPerson.objects.filter(display_name="Oma Lies").exists()

    monkeypatch.undo()
    response = client(world.professional).post(
        network_url(world), PERSON, content_type="application/json"
    )
    assert response.status_code == 201
    person = NetworkPerson.objects.get(display_name="Oma Lies")
    event = AuditEvent.objects.get(detail="api network", action="create")
    assert (event.object_id, event.youth_id) == (str(person.pk), world.youth_file.pk)


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def test_the_schema_documents_422_for_every_write_and_409_for_every_versioned_edit():
    schema = Client().get("/api/v1/openapi.json").json()
    writes = versioned = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in ("post", "put", "patch"):
                continue
            writes += 1
            answers = operation["responses"]
            assert "422" in answers, (method, path)
            content = operation.get("requestBody", {}).get("content", {})
            body = _resolve(schema, content.get("application/json", {}).get("schema", {}))
            if "version" in body.get("properties", {}):
                versioned += 1
                assert "409" in answers, (method, path)
                problem = _resolve(schema, answers["409"]["content"]["application/json"]["schema"])
                assert {"detail", "code"} <= set(problem["properties"])
    assert writes > 20 and versioned >= 7
