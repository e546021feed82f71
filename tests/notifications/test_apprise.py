"""Apprise, driven through its json:// scheme to a local receiver: short, translated, linked."""

from __future__ import annotations

from django.test import Client

from guestlist.notifications.models import Delivery, Destination
from guestlist.plex.models import MediaServer
from tests.lifecycle.conftest import new_invite, redeem_email
from tests.notifications.conftest import Receiver, add_destination, send_due


def test_an_apprise_destination_gets_a_short_translated_message_with_a_link(
    api: Client, server: MediaServer, receiver: Receiver
) -> None:
    add_destination(
        api, kind="apprise", url=f"json://127.0.0.1:{receiver.port}/apprise", events=["member.joined"], language="de"
    )
    redeem_email(new_invite())
    assert "1 sent" in send_due()
    [request] = receiver.requests
    assert request.path == "/apprise"
    message = request.json()
    assert message["title"] == "Guestlist: Neues Mitglied"
    assert "guest" in message["message"] and "hat jetzt Zugang zu Guestlist Test" in message["message"]
    assert "/users/" in message["message"]
    assert Delivery.objects.get().status == "succeeded"


def test_the_apprise_url_is_encrypted_and_never_shown_again(api: Client, owner: object, receiver: Receiver) -> None:
    url = f"json://user:s3cret-password@127.0.0.1:{receiver.port}/apprise"
    created = add_destination(api, kind="apprise", url=url)
    assert "s3cret" not in str(created)
    assert created["service"] == "json"
    assert "s3cret" not in Destination.objects.get().secret_encrypted
    assert "s3cret" not in api.get("/api/notifications/destinations").content.decode()


def test_a_test_message_reaches_apprise_and_the_log_shows_it(api: Client, owner: object, receiver: Receiver) -> None:
    created = add_destination(api, kind="apprise", url=f"json://127.0.0.1:{receiver.port}/apprise")
    queued = api.post(f"/api/notifications/destinations/{created['id']}/test")
    assert queued.status_code == 202
    assert queued.json()["status"] == "pending"
    send_due()
    assert receiver.requests[0].json()["title"] == "Guestlist: Test message"
    log = api.get("/api/notifications/deliveries", {"event": "test"}).json()
    assert log["items"][0]["status"] == "succeeded"
    assert log["items"][0]["attempt_log"][0]["ok"] is True


def test_a_failing_apprise_service_is_retried(api: Client, owner: object, receiver: Receiver) -> None:
    created = add_destination(api, kind="apprise", url=f"json://127.0.0.1:{receiver.port}/apprise")
    receiver.failures = [500]
    api.post(f"/api/notifications/destinations/{created['id']}/test")
    send_due()
    delivery = Delivery.objects.get()
    assert delivery.status == "pending"
    assert delivery.last_error == "Apprise could not deliver the message."
