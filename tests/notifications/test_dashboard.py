"""Settings → Notifications, "Send by e-mail" on the invite page and /me/, and "Needs attention"."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from guestlist.notifications.models import Delivery, Destination, MailServer
from guestlist.plex.models import MediaServer
from tests.dashboard.conftest import admin_client, make_invite
from tests.members_model.conftest import MakeMember, make_member, quick_password_hashing
from tests.notifications.conftest import MailBox, Receiver, send_due


def set_up_smtp(client: Client, box: MailBox) -> None:
    response = client.post(
        "/settings/notifications/smtp",
        {
            "host": "127.0.0.1",
            "port": box.port,
            "security": "none",
            "username": "",
            "password": "smtp-password-123",
            "from_address": "guestlist@example.com",
            "send_welcome": "on",
            "send_reminders": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def test_an_owner_adds_apprise_a_webhook_and_smtp_and_gets_a_test_on_each(
    admin_client: Client, receiver: Receiver, smtp: MailBox
) -> None:
    set_up_smtp(admin_client, smtp)
    page = admin_client.get("/settings/notifications").content.decode()
    assert "smtp-password-123" not in page
    assert MailServer.load().send_ended is False

    apprise_url = f"json://127.0.0.1:{receiver.port}/discord-like"
    assert (
        admin_client.post(
            "/settings/notifications",
            {"kind": "apprise", "name": "Chat", "url": apprise_url, "language": "en", "events": ["member.joined"]},
        ).status_code
        == 302
    )
    added = admin_client.post(
        "/settings/notifications",
        {"kind": "webhook", "name": "Hook", "url": receiver.url(), "language": "en", "events": ["member.joined"]},
    )
    assert added.status_code == 302, "Post/Redirect/Get"
    html = admin_client.get(added["Location"]).content.decode()
    assert "whsec_" in html, "the secret is shown once, on the page after adding"
    receiver.secret = "whsec_" + html.split('value="whsec_', 1)[1].split('"', 1)[0]
    assert "whsec_" not in admin_client.get(added["Location"]).content.decode()  # a reload
    assert "whsec_" not in admin_client.get("/settings/notifications").content.decode()
    assert Destination.objects.filter(name="Hook").count() == 1
    assert (
        admin_client.post(
            "/settings/notifications",
            {
                "kind": "email",
                "name": "Me",
                "email": "owner@example.com",
                "language": "de",
                "events": ["member.joined"],
            },
        ).status_code
        == 302
    )
    assert apprise_url not in admin_client.get("/settings/notifications").content.decode()

    for destination in Destination.objects.all():
        assert admin_client.post(f"/settings/notifications/{destination.pk}/test").status_code == 302
    assert admin_client.post("/settings/notifications/smtp/test", {"email": "me@example.com"}).status_code == 302
    send_due()

    assert {request.path for request in receiver.requests} == {"/discord-like", "/hook"}
    assert all(request.verified for request in receiver.requests if request.path == "/hook")
    assert sorted(message["To"] for message in smtp.messages) == ["me@example.com", "owner@example.com"]
    log = admin_client.get("/settings/notifications").content.decode()
    assert log.count("Sent") >= 4


def test_an_owner_chooses_the_events_of_a_destination_and_turns_it_off(
    admin_client: Client, receiver: Receiver
) -> None:
    admin_client.post(
        "/settings/notifications",
        {"kind": "webhook", "name": "Hook", "url": receiver.url(), "language": "en", "events": ["member.joined"]},
    )
    destination = Destination.objects.get()
    edit = admin_client.post(
        f"/settings/notifications/{destination.pk}",
        {"name": "Renamed", "url": "", "language": "de", "events": ["invite.created", "member.expired"]},
    )
    assert edit.status_code == 302
    destination.refresh_from_db()
    assert (destination.name, destination.events, destination.url) == (
        "Renamed",
        ["invite.created", "member.expired"],
        receiver.url(),
    )
    admin_client.post(f"/settings/notifications/{destination.pk}/disable")
    destination.refresh_from_db()
    assert destination.enabled is False


def test_a_failed_delivery_needs_attention_and_can_be_sent_again(
    admin_client: Client, receiver: Receiver, server: MediaServer
) -> None:
    admin_client.post(
        "/settings/notifications",
        {"kind": "webhook", "name": "Hook", "url": receiver.url(), "language": "en", "events": ["invite.created"]},
    )
    receiver.secret = ""
    from guestlist.core.audit import Actor
    from guestlist.invites.services import create_invite

    create_invite({}, actor=Actor.system())
    Delivery.objects.update(
        status="failed", finished_at=timezone.now() - timedelta(hours=1), last_error="The webhook answered HTTP 500."
    )
    overview = admin_client.get("/").content.decode()
    assert "could not be delivered" in overview and "Hook: Invite created — The webhook answered HTTP 500." in overview

    delivery = Delivery.objects.get()
    assert admin_client.post(f"/settings/notifications/deliveries/{delivery.pk}/retry").status_code == 302
    send_due()
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"


def test_the_owner_sends_an_invite_from_its_page(
    admin_client: Client, owner: User, server: MediaServer, smtp: MailBox
) -> None:
    invite = make_invite(owner)
    page = admin_client.get(f"/invites/{invite.pk}").content.decode()
    assert "Set up the SMTP server first." in page
    set_up_smtp(admin_client, smtp)
    assert 'name="email"' in admin_client.get(f"/invites/{invite.pk}").content.decode()
    sent = admin_client.post(
        f"/invites/{invite.pk}/send", {"email": "friend@example.com", "message": "Hi!", "language": "en"}, follow=True
    )
    assert "The invite is on its way to friend@example.com." in sent.content.decode()
    send_due()
    assert smtp.only()["Subject"] == "You're invited to Guestlist Test"


def test_a_member_sends_their_invite_from_their_page(
    admin_client: Client, smtp: MailBox, make_member: MakeMember
) -> None:
    set_up_smtp(admin_client, smtp)
    alice = make_member("alice", perms=["create_invites"])
    alice.form("/me/invites/new", {"mode": "basic"})
    from guestlist.invites.models import Invite

    invite = Invite.objects.get(created_by=alice.user)
    assert "Send by e-mail" in alice.get("/me/").content.decode()
    response = alice.form(f"/me/invites/{invite.pk}/send", {"email": "pal@example.com", "language": "de"})
    assert response.status_code == 302
    Delivery.objects.exclude(recipient="pal@example.com").delete()
    send_due()
    assert smtp.only()["Subject"] == "Du bist zu Guestlist Test eingeladen"


__all__ = ["admin_client", "make_member", "quick_password_hashing"]


def test_a_refused_notification_form_starts_with_an_error_summary(admin_client: Client) -> None:
    for url, data in (
        ("/settings/notifications/smtp", {"host": "127.0.0.1", "port": "0", "security": "none"}),
        ("/settings/notifications/smtp/test", {"email": "not an address"}),
        ("/settings/notifications", {"kind": "webhook", "name": "", "language": "en"}),
    ):
        page = admin_client.post(url, data).content.decode()
        summary = page.split("data-error-summary", 1)[1].split("</div>", 1)[0]
        assert 'href="#id_' in summary, url
