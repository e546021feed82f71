"""Mail over a real SMTP server (aiosmtpd): invites by e-mail, member mails, the opt-out."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage

from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from guestlist.members.expiry import flag_expiring
from guestlist.members.models import Member
from guestlist.notifications import mail
from guestlist.notifications.models import Delivery, Event, Recipient
from guestlist.plex.models import MediaServer
from tests.invites.test_redeem_email import make_invite, redeem
from tests.members_model.conftest import MakeMember, make_member, quick_password_hashing
from tests.notifications.conftest import MailBox, add_destination, send_due, use_smtp


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_an_owner_sends_an_invite_by_mail_in_the_friends_language(
    api: Client, server: MediaServer, smtp: MailBox
) -> None:
    use_smtp(api, smtp)
    invite = make_invite(api)
    response = api.post(
        f"/api/invites/{invite['id']}/send",
        data={"email": "friend@example.com", "message": "Komm vorbei!", "language": "de"},
        content_type="application/json",
    )
    assert response.status_code == 202, response.content
    assert smtp.messages == [], "queued, not sent by the request"
    send_due()

    message = smtp.only()
    assert message["To"] == "friend@example.com"
    assert message["From"] == "guestlist@example.com"
    assert message["Subject"] == "Du bist zu Guestlist Test eingeladen"
    text, html = parts(message)
    assert invite["url"] in text and f'href="{invite["url"]}"' in html
    assert "Komm vorbei!" in text and "Einladung annehmen" in html
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in text
    assert Recipient.objects.get(email="friend@example.com").language == "de"


def test_the_link_in_an_invite_mail_works(api: Client, client: Client, server: MediaServer, smtp: MailBox) -> None:
    use_smtp(api, smtp)
    invite = make_invite(api)
    api.post(f"/api/invites/{invite['id']}/send", data={"email": "guest@example.com"}, content_type="application/json")
    send_due()
    text, _html = parts(smtp.only())
    link = next(line for line in text.splitlines() if "/invite/" in line).strip()
    page = client.get(link.removeprefix("http://127.0.0.1:8484"))
    assert page.status_code == 200
    assert invite["code"] in page.content.decode()


def test_it_refuses_to_send_an_invite_without_an_smtp_server(api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    response = api.post(
        f"/api/invites/{invite['id']}/send", data={"email": "friend@example.com"}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["error"] == "smtp_not_configured"


def test_it_refuses_a_bad_address_with_a_clear_error(api: Client, server: MediaServer, smtp: MailBox) -> None:
    use_smtp(api, smtp)
    invite = make_invite(api)
    response = api.post(
        f"/api/invites/{invite['id']}/send", data={"email": "not an address"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid"


def test_a_member_with_create_invites_sends_their_invite_from_the_member_api(
    api: Client, server: MediaServer, smtp: MailBox, make_member: MakeMember
) -> None:
    use_smtp(api, smtp)
    alice = make_member("alice", perms=["create_invites"])
    created = alice.post("/api/me/invites", {})
    assert created.status_code == 201, created.content
    sent = alice.post(
        f"/api/me/invites/{created.json()['id']}/send", {"email": "pal@example.com", "message": "Join me"}
    )
    assert sent.status_code == 202, sent.content
    someone_elses = make_invite(api)
    refused = alice.post(f"/api/me/invites/{someone_elses['id']}/send", {"email": "pal@example.com"})
    assert refused.status_code == 404
    smtp.messages.clear()
    Delivery.objects.exclude(recipient="pal@example.com").delete()
    send_due()
    assert smtp.only()["To"] == "pal@example.com"


def test_a_new_member_gets_a_welcome_mail_in_the_language_they_redeemed_in(
    api: Client, client: Client, server: MediaServer, smtp: MailBox
) -> None:
    use_smtp(api, smtp)
    invite = make_invite(api, user_expires_in_days=30)
    response = client.post(
        "/api/invites/redeem",
        data={"code": invite["code"], "email": "guest@example.com"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 201
    send_due()
    message = smtp.only()
    assert message["Subject"] == "Willkommen bei Guestlist Test"
    text, html = parts(message)
    assert "Guestlist Test" in text and "https://app.plex.tv/" in html


def test_the_expiry_reminder_goes_once_per_member_and_expiry_date(
    api: Client, client: Client, server: MediaServer, smtp: MailBox
) -> None:
    use_smtp(api, smtp)
    invite = make_invite(api, user_expires_in_days=3)
    assert redeem(client, invite["code"]).status_code == 201
    send_due()
    smtp.messages.clear()
    member = Member.objects.get()

    assert flag_expiring() == 1
    # As if a second instance, or the job after a restart, came to the same member again.
    Member.objects.filter(pk=member.pk).update(expiry_warned_at=None)
    assert flag_expiring() == 1
    send_due()
    assert Event.objects.filter(type="member.expiring_soon").count() == 1
    message = smtp.only()
    assert message["Subject"] == "Your access to Guestlist Test ends soon"

    # A new expiry date is a new reminder.
    Member.objects.filter(pk=member.pk).update(expiry_warned_at=None, expires_at=timezone.now() + timedelta(days=5))
    flag_expiring()
    assert Event.objects.filter(type="member.expiring_soon").count() == 2


def test_one_click_opt_out_stops_reminders(api: Client, client: Client, server: MediaServer, smtp: MailBox) -> None:
    use_smtp(api, smtp)
    invite = make_invite(api, user_expires_in_days=3)
    assert redeem(client, invite["code"]).status_code == 201
    send_due()
    welcome = smtp.only()
    unsubscribe = welcome["List-Unsubscribe"].strip("<>").removeprefix("http://127.0.0.1:8484")

    page = client.get(unsubscribe)
    assert page.status_code == 200
    assert not mail.opted_out("guest@example.com"), "nothing changes on GET"
    # What a mail client's unsubscribe button sends (RFC 8058), without any page or cookie.
    one_click = Client(enforce_csrf_checks=True).post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    assert mail.opted_out("guest@example.com")

    flag_expiring()
    assert Event.objects.filter(type="member.expiring_soon").count() == 1, "the owner still hears of it"
    assert not Delivery.objects.filter(mail_kind="expiry_reminder").exists()
    assert client.get("/mail/opt-out/forged-token").status_code == 404


def test_an_ended_membership_mail_links_to_a_reinvite_request_when_allowed(
    api: Client, client: Client, server: MediaServer, smtp: MailBox, receiver: object
) -> None:
    from guestlist.members.expiry import expire_due

    use_smtp(api, smtp, allow_reinvite_requests=True)
    invite = make_invite(api, user_expires_in_days=1)
    assert redeem(client, invite["code"]).status_code == 201
    send_due()
    smtp.messages.clear()
    Member.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    expire_due()
    assert Member.objects.get().status == "expired"
    assert Event.objects.filter(type="member.expired").count() == 1
    send_due()
    message = smtp.only()
    text, _html = parts(message)
    link = next(line for line in text.splitlines() if "/mail/reinvite/" in line).split(" ")[-1]
    path = link.removeprefix("http://127.0.0.1:8484")
    assert client.get(path).status_code == 200
    assert not Event.objects.filter(type="member.reinvite_requested").exists()
    assert client.post(path).status_code == 200
    assert client.post(path).status_code == 200
    assert Event.objects.filter(type="member.reinvite_requested").count() == 1


def test_an_email_destination_tells_the_owner(api: Client, server: MediaServer, smtp: MailBox) -> None:
    use_smtp(api, smtp)
    add_destination(api, kind="email", email="owner@example.com", events=["invite.created"], language="de")
    make_invite(api)
    send_due()
    message = smtp.only()
    assert message["To"] == "owner@example.com"
    assert message["Subject"] == "Guestlist: Neue Einladung"


def test_the_smtp_password_is_encrypted_and_never_answered(api: Client, owner: User, smtp: MailBox) -> None:
    from guestlist.notifications.models import MailServer

    use_smtp(api, smtp, username="mailer", password="hunter2-very-secret")
    stored = MailServer.load()
    assert "hunter2" not in stored.password_encrypted
    answer = api.get("/api/notifications/smtp")
    assert "hunter2" not in answer.content.decode()
    assert answer.json()["has_password"] is True


def test_a_test_mail_arrives(api: Client, owner: User, smtp: MailBox) -> None:
    use_smtp(api, smtp)
    response = api.post(
        "/api/notifications/smtp/test", data={"email": "me@example.com"}, content_type="application/json"
    )
    assert response.status_code == 202
    send_due()
    assert smtp.only()["Subject"] == "Guestlist: test mail"


__all__ = ["make_member", "quick_password_hashing"]


def test_the_mail_links_are_rate_limited(client: Client, db: None, frozen_minute: None) -> None:
    link = f"/mail/opt-out/{mail.opt_out_token('guest@example.com')}"
    answers = [client.get(link).status_code for _ in range(21)]
    assert answers[:20] == [200] * 20
    assert answers[20] == 429


def test_the_welcome_mail_brings_them_back_to_their_steps(
    api: Client, client: Client, server: MediaServer, smtp: MailBox
) -> None:
    use_smtp(api, smtp)
    invite = make_invite(api)
    response = client.post(
        "/api/invites/redeem",
        data={"code": invite["code"], "email": "guest@example.com"},
        content_type="application/json",
    )
    assert response.status_code == 201
    send_due()
    text, html = parts(smtp.only())
    link = re.search(r"(http://\S+/start/[^\s\"<]+)", text)
    assert link is not None, text
    assert link.group(1) in html
    path = link.group(1).split("://", 1)[1].split("/", 1)[1]
    page = client.get(f"/{path}")
    assert page.status_code == 200
    assert "Open Plex on your TV, phone or computer" in page.content.decode()
