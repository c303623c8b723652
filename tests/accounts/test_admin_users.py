"""Staff accounts: creation, edits, the last-admin rule, deactivation and the 2FA reset."""

import pyotp
import pytest
from django.test import Client

from tests.conftest import PASSWORD, make_user, signed_in
from yim.accounts.forms import account_fingerprint
from yim.accounts.models import ApiToken, RecoveryCode, Role, User
from yim.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _new(world, **overrides) -> dict[str, str]:
    data = {
        "username": "m.dewit",
        "first_name": "Marit",
        "last_name": "de Wit",
        "email": "M.deWit@Example.org",
        "role": "professional",
        "team": str(world.team_b.pk),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _edit(user: User, **overrides) -> dict[str, str]:
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": str(user.role),
        "team": str(user.team_id or ""),
        "seen": account_fingerprint(user),  # the account as the admin's form showed it
    }
    data.update(overrides)
    return data


# --- creating ---------------------------------------------------------------------------------


def test_creating_a_professional_shows_a_set_password_link_once_and_is_audited(world, client_for):
    response = client_for("admin").post("/users/new/", _new(world))
    assert response.status_code == 200
    user = User.objects.get(username="m.dewit")
    assert (user.role, user.team, user.organisation) == ("professional", world.team_b, world.org)
    assert user.email == "m.dewit@example.org"
    assert not user.has_usable_password()
    assert response.context["link"].startswith("https://yim.example.org/users/set-password/")
    assert response["Cache-Control"].startswith("max-age=0")
    event = AuditEvent.objects.get(action="user.create")
    assert (event.actor_id, event.object_type, event.object_id) == (
        world.admin.pk,
        "user",
        str(user.pk),
    )
    assert event.youth_id is None
    assert event.organisation_id == world.org.pk
    assert "professional" in event.detail and "Team B" in event.detail


def test_the_link_never_comes_from_the_host_header(world, client_for):
    response = client_for("admin").post(
        "/users/new/", _new(world), HTTP_HOST="localhost", HTTP_X_FORWARDED_HOST="evil.example"
    )
    assert response.context["link"].startswith("https://yim.example.org/")


@pytest.mark.parametrize("role", ["researcher", "org_admin"])
def test_researchers_and_admins_are_created_without_a_team(world, client_for, role):
    response = client_for("admin").post("/users/new/", _new(world, role=role, team=""))
    assert response.status_code == 200
    assert User.objects.get(username="m.dewit").team is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"role": "team_lead", "team": ""}, "team"),
        ({"role": "researcher"}, "team"),
        ({"role": "youth", "team": ""}, "role"),
        ({"username": "PROF"}, "username"),
        ({"email": ""}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"first_name": ""}, "first_name"),
    ],
)
def test_a_wrong_field_is_named_and_nothing_is_created(world, client_for, overrides, field):
    response = client_for("admin").post("/users/new/", _new(world, **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "link" not in response.context
    assert not User.objects.filter(username__in=["m.dewit", "PROF"]).exists()
    assert not AuditEvent.objects.filter(action="user.create").exists()


def test_a_team_of_another_organisation_cannot_be_chosen(world, client_for):
    response = client_for("admin").post("/users/new/", _new(world, team=str(world.foreign_team.pk)))
    assert "team" in response.context["form"].errors
    assert not User.objects.filter(username="m.dewit").exists()


def test_the_role_menu_offers_staff_roles_only(world, client_for):
    form = client_for("admin").get("/users/new/").context["form"]
    assert [value for value, _label in form.fields["role"].choices if value] == [
        "professional",
        "team_lead",
        "researcher",
        "org_admin",
    ]
    assert set(form.fields["team"].queryset) == {world.team_a, world.team_b}


# --- editing ----------------------------------------------------------------------------------


def test_an_admin_changes_role_and_team_and_the_change_is_audited(world, client_for):
    target = world.professional
    response = client_for("admin").post(
        f"/users/{target.pk}/", _edit(target, role="team_lead", team=str(world.team_b.pk))
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.role, target.team) == ("team_lead", world.team_b)
    event = AuditEvent.objects.get(action="user.update")
    assert "role professional -> team_lead" in event.detail
    assert "team Team A -> Team B" in event.detail


def test_saving_without_changes_writes_no_audit_row(world, client_for):
    target = world.professional
    assert client_for("admin").post(f"/users/{target.pk}/", _edit(target)).status_code == 302
    assert not AuditEvent.objects.filter(action="user.update").exists()


def test_a_bad_edit_keeps_the_typed_values_and_saves_nothing(world, client_for):
    target = world.professional
    response = client_for("admin").post(
        f"/users/{target.pk}/", _edit(target, first_name="Nieuw", role="researcher")
    )
    assert response.status_code == 200
    assert "team" in response.context["form"].errors
    assert response.context["form"]["first_name"].value() == "Nieuw"
    target.refresh_from_db()
    assert (target.first_name, target.role) == ("Prof", "professional")


def test_portal_accounts_cannot_be_edited_here(world, client_for):
    target = world.youth_user
    client = client_for("admin")
    assert client.get(f"/users/{target.pk}/").context["can_edit"] is False
    response = client.post(f"/users/{target.pk}/", _edit(target, role="professional"))
    assert response.status_code == 404
    target.refresh_from_db()
    assert target.role == "youth"


def test_an_admin_cannot_demote_themselves(world, client_for):
    make_user("admin2", Role.ORG_ADMIN, world.org)
    admin = world.admin
    response = client_for("admin").post(
        f"/users/{admin.pk}/", _edit(admin, role="researcher"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "yourself" in str(response.context["form"].errors["role"])
    admin.refresh_from_db()
    assert admin.role == Role.ORG_ADMIN


def test_the_last_active_admin_cannot_be_demoted(world, client_for):
    admin = world.admin
    response = client_for("admin").post(
        f"/users/{admin.pk}/", _edit(admin, role="researcher"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "last active admin" in str(response.context["form"].errors["role"])
    admin.refresh_from_db()
    assert admin.role == Role.ORG_ADMIN


def test_another_admin_may_be_demoted_while_one_remains(world, client_for):
    other = make_user("admin2", Role.ORG_ADMIN, world.org)
    response = client_for("admin").post(f"/users/{other.pk}/", _edit(other, role="researcher"))
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.role == Role.RESEARCHER


def test_a_deactivated_admin_does_not_count_as_the_remaining_admin(world):
    from yim import policy

    other = make_user("admin2", Role.ORG_ADMIN, world.org)
    User.objects.filter(pk=other.pk).update(is_active=False)
    refusal = policy.account_change_refusal(
        other, world.admin, stays_active=False, stays_admin=True
    )
    assert refusal == policy.REFUSED_LAST_ADMIN


# --- deactivating -----------------------------------------------------------------------------


def test_a_deactivated_user_cannot_sign_in_and_their_tokens_are_refused(world, client_for):
    target = world.professional
    _token, raw = ApiToken.issue(target, "export")
    api = Client()
    assert api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    session = client_for("professional")
    assert session.get("/youth/").status_code == 200

    response = client_for("admin").post(f"/users/{target.pk}/deactivate/")
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.is_active is False

    login = Client().post("/accounts/login/", {"username": "prof", "password": PASSWORD})
    assert login.status_code == 200 and "_auth_user_id" not in login.wsgi_request.session
    assert api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert session.get("/youth/").status_code == 302  # the running session ended too
    assert not ApiToken.objects.filter(user=target, revoked_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="user.deactivate")
    assert event.object_id == str(target.pk) and "1 API tokens revoked" in event.detail


def test_a_reactivated_user_signs_in_again_but_old_tokens_stay_revoked(world, client_for):
    target = world.professional
    _token, raw = ApiToken.issue(target, "export")
    admin = client_for("admin")
    admin.post(f"/users/{target.pk}/deactivate/")
    assert admin.post(f"/users/{target.pk}/reactivate/").status_code == 302
    target.refresh_from_db()
    assert target.is_active
    login = Client().post("/accounts/login/", {"username": "prof", "password": PASSWORD})
    assert login.status_code == 302
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert AuditEvent.objects.filter(action="user.reactivate", object_id=str(target.pk)).exists()


def test_an_admin_cannot_deactivate_themselves(world, client_for):
    make_user("admin2", Role.ORG_ADMIN, world.org)
    response = client_for("admin").post(
        f"/users/{world.admin.pk}/deactivate/", follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "You cannot deactivate yourself" in response.content.decode()
    world.admin.refresh_from_db()
    assert world.admin.is_active
    assert not AuditEvent.objects.filter(action="user.deactivate").exists()


def test_the_last_active_admin_cannot_be_deactivated(world, client_for):
    response = client_for("admin").post(
        f"/users/{world.admin.pk}/deactivate/", follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "last active admin" in response.content.decode()
    world.admin.refresh_from_db()
    assert world.admin.is_active


def test_another_admin_can_be_deactivated(world, client_for):
    other = make_user("admin2", Role.ORG_ADMIN, world.org)
    client_for("admin").post(f"/users/{other.pk}/deactivate/")
    other.refresh_from_db()
    assert other.is_active is False


def test_a_portal_account_can_be_switched_off(world, client_for):
    client_for("admin").post(f"/users/{world.jim.pk}/deactivate/")
    world.jim.refresh_from_db()
    assert world.jim.is_active is False
    response = client_for("jim").get(f"/youth/{world.youth_file.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- resetting two-factor sign-in ---------------------------------------------------------------


def _with_two_factor(user: User) -> str:
    secret = pyotp.random_base32()
    from django.utils import timezone

    User.objects.filter(pk=user.pk).update(totp_secret=secret, totp_confirmed_at=timezone.now())
    user.refresh_from_db()  # sessions made from this object must carry the new session hash
    RecoveryCode.issue(user)
    return secret


def test_reset_two_factor_forces_set_up_at_the_next_sign_in(world, client_for, settings):
    settings.REQUIRE_2FA = True
    target = world.professional
    _with_two_factor(target)
    before = Client()
    before.post("/accounts/login/", {"username": "prof", "password": PASSWORD})
    assert before.get("/youth/")["Location"] == "/accounts/2fa/"

    reason = "Telefoon kwijt, identiteit gecontroleerd aan de balie"
    response = client_for("admin").post(f"/users/{target.pk}/reset-2fa/", {"reason": reason})
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.totp_secret, target.totp_confirmed_at) == ("", None)
    assert not RecoveryCode.objects.filter(user=target).exists()
    after = Client()
    after.post("/accounts/login/", {"username": "prof", "password": PASSWORD})
    assert after.get("/youth/")["Location"] == "/accounts/2fa/setup/"
    event = AuditEvent.objects.get(action="user.reset_2fa")
    assert event.object_id == str(target.pk) and reason in event.detail
    assert event.youth_id is None and event.organisation_id == world.org.pk


def test_reset_two_factor_ends_the_sessions_the_account_already_has(world, client_for, settings):
    settings.REQUIRE_2FA = True
    target = world.professional
    _with_two_factor(target)
    phone_thief = client_for("professional")  # a session that passed the second factor
    assert phone_thief.get("/youth/").status_code == 200
    client_for("admin").post(
        f"/users/{target.pk}/reset-2fa/", {"reason": "Telefoon gestolen, gemeld bij de balie"}
    )
    response = phone_thief.get("/youth/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_setting_two_factor_up_keeps_the_session_that_did_it(world, settings):
    settings.REQUIRE_2FA = True
    client = Client()
    client.post("/accounts/login/", {"username": "prof", "password": PASSWORD})
    client.get("/accounts/2fa/setup/")
    secret = client.session["yim_2fa_setup_secret"]
    response = client.post("/accounts/2fa/setup/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    assert client.get("/youth/").status_code == 200


@pytest.mark.parametrize("reason", ["", "lost it"])
def test_reset_two_factor_requires_a_reason(world, client_for, reason):
    target = world.professional
    _with_two_factor(target)
    response = client_for("admin").post(f"/users/{target.pk}/reset-2fa/", {"reason": reason})
    assert response.status_code == 400
    assert "reason" in response.context["reset_form"].errors
    target.refresh_from_db()
    assert target.totp_confirmed_at is not None
    assert RecoveryCode.objects.filter(user=target).count() == 10
    assert not AuditEvent.objects.filter(action="user.reset_2fa").exists()


def test_an_admin_cannot_reset_their_own_two_factor(world, client_for):
    _with_two_factor(world.admin)
    response = client_for("admin").post(
        f"/users/{world.admin.pk}/reset-2fa/", {"reason": "I lost my own phone today"}
    )
    assert response.status_code == 404
    world.admin.refresh_from_db()
    assert world.admin.totp_confirmed_at is not None


def test_the_admin_finds_account_changes_in_the_audit_search(world, client_for):
    client = client_for("admin")
    client.post("/users/new/", _new(world))
    client.post(f"/users/{world.professional.pk}/deactivate/")
    events = client.get("/audit/", {"actor": "admin"}).context["page"].object_list
    actions = {e.action for e in events}
    assert {"user.create", "user.deactivate"} <= actions
    lead_events = client_for("team_lead").get("/audit/").context["page"].object_list
    assert not {e.action for e in lead_events} & {"user.create", "user.deactivate"}


def test_a_second_admin_saving_over_a_change_made_meanwhile_is_refused(world, client_for):
    second_admin = make_user("admin2", Role.ORG_ADMIN, world.org)
    target = world.professional
    seen_by_both = _edit(target)
    first = client_for("admin").post(f"/users/{target.pk}/", {**seen_by_both, "last_name": "Ali"})
    assert first.status_code == 302
    second = signed_in(second_admin).post(
        f"/users/{target.pk}/",
        {**seen_by_both, "email": "nieuw@example.org"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert second.status_code == 200
    assert "Someone else changed this record" in str(second.context["form"].non_field_errors())
    target.refresh_from_db()
    assert (target.last_name, target.email) == ("Ali", seen_by_both["email"])
    assert AuditEvent.objects.filter(action="user.update").count() == 1
