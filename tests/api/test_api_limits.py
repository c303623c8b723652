"""The API's edges (security findings 9 and 10): a body over the size limit is a JSON 413, not a
server error; the schema is public on purpose and every other endpoint wants a token."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.test import Client

from yim.accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def token(world) -> str:
    return ApiToken.issue(world.professional, "test")[1]


def test_a_body_over_the_size_limit_gets_a_json_413(world, token):
    too_big = json.dumps({"display_name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    response = Client(raise_request_exception=False).post(
        f"/api/v1/youth/{world.youth_file.pk}/network",
        too_big,
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
        **bearer(token),
    )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "too_large"
    assert "5 MB" in body["detail"]


def test_a_body_just_under_the_limit_is_read_as_usual(world, token):
    response = Client().post(
        f"/api/v1/youth/{world.youth_file.pk}/network",
        json.dumps({"display_name": "y" * 1000}),
        content_type="application/json",
        **bearer(token),
    )
    assert response.status_code in (201, 422)  # read and judged by the endpoint's own rules


# --- the schema is public; nothing else is ---------------------------------------------------


def test_the_openapi_schema_is_public_and_holds_no_data(world, token):
    anonymous = Client().get("/api/v1/openapi.json")
    assert anonymous.status_code == 200
    assert anonymous.json() == Client().get("/api/v1/openapi.json", **bearer(token)).json()
    text = anonymous.content.decode()
    for name in (world.youth_file.display_name, world.professional.email, world.org.name):
        assert name not in text


def test_the_public_schema_is_built_once_per_process_and_language(monkeypatch):
    from yim.api import root

    built: list[str] = []
    real = root.document_answers

    def counted(schema):  # type: ignore[no-untyped-def]
        built.append("built")
        return real(schema)

    monkeypatch.setattr(root, "document_answers", counted)
    monkeypatch.setattr(root.api, "_schemas", {})
    first = Client().get("/api/v1/openapi.json", HTTP_ACCEPT_LANGUAGE="nl")
    again = Client().get("/api/v1/openapi.json", HTTP_ACCEPT_LANGUAGE="nl")
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert built == ["built"]  # asked twice, built once
    english = Client().get("/api/v1/openapi.json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.json() == first.json()  # the schema holds no translated text today
    assert built == ["built", "built"]  # but a language of its own would get its own


def _operations() -> list[tuple[str, str]]:
    schema = Client().get("/api/v1/openapi.json").json()
    return [
        (method, path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_every_operation_in_the_schema_declares_the_bearer_token():
    schema = Client().get("/api/v1/openapi.json").json()
    assert schema["paths"], "the schema lists no paths"
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert operation.get("security") == [{"TokenAuth": []}], f"{method} {path}"


def test_every_endpoint_but_the_schema_refuses_a_request_without_a_token(world):
    operations = _operations()
    assert len(operations) > 20
    client = Client()
    for method, path in operations:
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = getattr(client, method)(url, content_type="application/json")
        assert response.status_code == 401, f"{method.upper()} {url}"
        assert response.json()["code"] == "not_authenticated"
