"""Mail where people expect it: invitations, set-password links and reminders go out by
e-mail in the recipient's language, plain text, with a link and never youth data; a failed
send is shown to the sender, can be tried again, and loses nothing."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail

from tests.trajectories.conftest import indicated, make_case  # noqa: F401 - fixtures
from yim.accounts.models import Invitation, User

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


class Refusing:
    """An e-mail backend whose server refuses every message."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        pass

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        raise smtplib.SMTPRecipientsRefused({"x": (550, b"no such mailbox")})


def _invite(client, world, **extra):  # type: ignore[no-untyped-def]
    data = {"role": "parent", "display_name": "Petra B.", "email": "petra@example.org", **extra}
    return client.post(f"/youth/{world.youth_file.pk}/invite/", data, **EN)


def test_an_invitation_with_an_address_is_mailed_with_the_link_and_no_youth_data(world, client_for):
    page = _invite(client_for("professional"), world)
    assert page.status_code == 200
    assert "The link was also e-mailed to petra@example.org." in page.content.decode()
    (message,) = mail.outbox
    assert message.to == ["petra@example.org"]
    assert page.context["link"] in message.body
    assert world.youth_file.display_name not in message.body + message.subject
    assert message.alternatives == []  # plain text only


def test_the_mail_is_in_the_senders_interface_language(world, client_for):
    client = client_for("professional")
    client.post(f"/youth/{world.youth_file.pk}/invite/",
                {"role": "parent", "display_name": "Petra B.", "email": "p@example.org"},
                HTTP_ACCEPT_LANGUAGE="nl")  # fmt: skip
    assert mail.outbox[0].subject == "Je uitnodiging voor yim"


def test_a_failed_send_is_shown_and_can_be_tried_again_nothing_lost(world, client_for, settings):
    settings.EMAIL_BACKEND = "tests.web.test_mail.Refusing"
    client = client_for("professional")
    page = _invite(client, world)
    html = page.content.decode()
    assert "could not be sent" in html and "no such mailbox" in html
    link = page.context["link"]
    assert Invitation.objects.get().is_open  # the invitation stands; the link still works
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    again = client.post(f"/youth/{world.youth_file.pk}/invite/resend/", {"link": link}, **EN)
    assert again.status_code == 200
    assert "The link was also e-mailed" in again.content.decode()
    assert link in mail.outbox[0].body
    assert Invitation.objects.count() == 1


def test_a_resend_needs_this_youths_open_invitation(world, client_for):
    client = client_for("professional")
    url = f"/youth/{world.youth_file.pk}/invite/resend/"
    assert (
        client.post(url, {"link": "https://yim.example.org/accounts/invitation/x/"}).status_code
        == 404
    )
    link = _invite(client, world).context["link"]
    other = client_for("other_team_professional")
    assert other.post(url, {"link": link}).status_code == 404


def test_a_new_staff_account_gets_its_set_password_link_by_mail_in_its_language(world, client_for):
    client_for("admin").post(
        "/users/new/",
        {
            "username": "m.dewit",
            "first_name": "Marit",
            "last_name": "de Wit",
            "email": "marit@example.org",
            "role": "researcher",
        },
    )
    user = User.objects.get(username="m.dewit")
    (message,) = mail.outbox
    assert message.to == ["marit@example.org"] and "/users/set-password/" in message.body
    assert user.language == ""  # the default language: Dutch
    assert message.subject == "Kies je wachtwoord voor yim"


def test_reminders_say_how_many_tasks_are_due_and_name_no_youth(make_case, world, capsys):  # noqa: F811
    from yim.cli import main

    case = make_case(started_days_ago=200)  # an evaluation is overdue
    assert main(["reminders"]) == 0
    assert "Reminders sent: 1; failed: 0." in capsys.readouterr().out
    (message,) = mail.outbox
    assert message.to == [world.professional.email]
    assert message.body.count("https://yim.example.org/home/") == 1
    assert case.youth.display_name not in message.body + message.subject
