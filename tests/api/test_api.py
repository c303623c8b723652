import pytest
from django.test import Client

from tests.conftest import ALL_PERSONAS, STAFF_PERSONAS
from yim.accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def token_for(world):
    def make(persona: str) -> str:
        _token, raw = ApiToken.issue(world.persona(persona), "test")
        return raw

    return make


def test_tokens_are_stored_only_as_a_digest(world):
    token, raw = ApiToken.issue(world.professional, "script")
    assert raw.startswith("yim_")
    assert raw not in token.token_hash
    assert token.hint == raw[-4:]


def test_a_token_identifies_its_user(world, token_for):
    response = Client().get("/api/v1/me", **bearer(token_for("professional")))
    assert response.status_code == 200
    assert response.json()["username"] == "prof"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer yim_",
        "Bearer not-a-token",
        "Basic dXNlcjpwdw==",
        "Bearer " + "y" * 500,
        "",
    ],
)
def test_missing_or_malformed_tokens_get_a_json_401(world, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = Client().get("/api/v1/youth", **extra)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_revoked_token_stops_working_at_once(world, token_for, client_for):
    raw = token_for("professional")
    assert Client().get("/api/v1/me", **bearer(raw)).status_code == 200
    token = ApiToken.objects.get()
    client_for("professional").post(f"/me/tokens/{token.pk}/revoke/")
    assert Client().get("/api/v1/me", **bearer(raw)).status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(world, token_for, client_for):
    token_for("professional")
    token = ApiToken.objects.get()
    response = client_for("team_lead").post(f"/me/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_deactivated_users_token_stops_working(world, token_for):
    raw = token_for("professional")
    world.professional.is_active = False
    world.professional.save()
    assert Client().get("/api/v1/me", **bearer(raw)).status_code == 401


@pytest.mark.parametrize("persona", STAFF_PERSONAS)
def test_youth_list_is_scoped_like_the_web_pages(world, token_for, persona):
    response = Client().get("/api/v1/youth", **bearer(token_for(persona)))
    assert response.status_code == 200
    ids = {item["id"] for item in response.json()["items"]}
    expected = {world.youth_file.pk} if persona in ("professional", "team_lead") else set()
    if persona == "other_team_professional":
        expected = {world.other_youth_file.pk}
    if persona == "foreign_professional":
        expected = {world.foreign_youth_file.pk}
    assert ids == expected


@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_one_youth_by_id_follows_the_policy(world, token_for, persona):
    response = Client().get(f"/api/v1/youth/{world.youth_file.pk}", **bearer(token_for(persona)))
    if persona in ("professional", "team_lead"):
        assert response.status_code == 200
        assert response.json()["display_name"] == "Sam B."
    elif persona in ("youth_user", "jim", "parent"):
        assert response.status_code == 403  # the API is for staff accounts
    else:
        assert response.status_code == 404
        assert response.json() == {"detail": "Niet gevonden.", "code": "not_found"}


def test_api_lists_are_paginated_with_limit_and_offset(world, token_for):
    from yim.trajectories.models import Youth

    Youth.objects.bulk_create(
        Youth(
            organisation=world.org,
            team=world.team_a,
            professional=world.professional,
            display_name=f"Jongere {i:03d}",
            date_of_birth=world.youth_file.date_of_birth,
        )
        for i in range(30)
    )
    response = Client().get("/api/v1/youth?limit=10&offset=10", **bearer(token_for("professional")))
    body = response.json()
    assert body["count"] == 31
    assert len(body["items"]) == 10


def test_invalid_query_parameters_get_a_422_with_details(world, token_for):
    response = Client().get("/api/v1/youth?limit=abc", **bearer(token_for("professional")))
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"]


def test_api_reads_are_audited(world, token_for):
    from yim.audit.models import AuditEvent

    Client().get(f"/api/v1/youth/{world.youth_file.pk}", **bearer(token_for("professional")))
    assert AuditEvent.objects.filter(
        action="view", youth_id=world.youth_file.pk, detail="api"
    ).exists()


def test_the_openapi_schema_is_served_at_a_stable_url():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/youth" in schema["paths"]
    assert "/api/v1/youth/{youth_id}" in schema["paths"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/youth?offset=9223372036854775808",
        "/api/v1/youth?offset=1000000001",
        "/api/v1/youth?offset=-1",
    ],
)
def test_an_offset_out_of_range_gets_a_422_not_a_server_error(world, token_for, path):
    response = Client().get(path, **bearer(token_for("professional")))
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_every_paginated_router_refuses_an_offset_beyond_the_database_integer_range(
    world, token_for
):
    huge = "offset=9223372036854775808"
    for path in [
        f"/api/v1/youth/{world.youth_file.pk}/assessments?{huge}",
        f"/api/v1/qualitative/projects?{huge}",
    ]:
        persona = "researcher" if "qualitative" in path else "professional"
        response = Client().get(path, **bearer(token_for(persona)))
        assert response.status_code == 422, path
        assert response.json()["code"] == "invalid"


def test_an_unexpected_api_failure_answers_json_and_logs_the_traceback(
    world, token_for, monkeypatch, caplog
):
    from yim.accounts import api as accounts_api

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(accounts_api, "caller", broken)
    response = Client(raise_request_exception=False).get(
        "/api/v1/me", **bearer(token_for("professional")), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {
        "detail": "An unexpected error occurred. Try again later; if it keeps happening, "
        "tell your admin.",
        "code": "server_error",
    }
    assert "disk on fire" not in response.content.decode()
    assert any(r.exc_info and "disk on fire" in str(r.exc_info[1]) for r in caplog.records)
