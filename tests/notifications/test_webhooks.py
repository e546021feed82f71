"""Webhooks: signed per the Standard Webhooks specification, queued, retried, never sent twice."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import Client
from django.utils import timezone

from guestlist.notifications.models import Delivery, Event
from guestlist.plex.models import MediaServer
from tests.invites.test_redeem_email import make_invite, redeem
from tests.notifications.conftest import Receiver, add_destination, send_due


def test_it_signs_a_redemption_webhook_that_the_receiver_verifies(
    api: Client, client: Client, server: MediaServer, receiver: Receiver
) -> None:
    hook = add_destination(api, kind="webhook", url=receiver.url(), events=["invite.redeemed", "member.joined"])
    assert hook["secret"].startswith("whsec_")
    receiver.secret = hook["secret"]
    invite = make_invite(api)

    assert redeem(client, invite["code"]).status_code == 201
    assert receiver.requests == [], "the redemption only queues"
    assert "2 sent" in send_due()

    assert [request.json()["type"] for request in receiver.requests] == ["invite.redeemed", "member.joined"]
    assert all(request.verified for request in receiver.requests)
    redeemed = receiver.requests[0].json()
    assert redeemed["data"]["invite"]["id"] == invite["id"]
    assert redeemed["data"]["member"]["email"] == "guest@example.com"
    assert redeemed["id"] == receiver.requests[0].headers["webhook-id"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}


def test_it_answers_a_webhook_secret_only_on_creation(api: Client, server: MediaServer, receiver: Receiver) -> None:
    hook = add_destination(api, kind="webhook", url=receiver.url())
    shown = api.get(f"/api/notifications/destinations/{hook['id']}").json()
    listed = api.get("/api/notifications/destinations").json()
    assert "secret" not in shown
    assert hook["secret"] not in str(listed)
    assert shown["has_secret"] is True
    rotated = api.patch(
        f"/api/notifications/destinations/{hook['id']}", data={"rotate_secret": True}, content_type="application/json"
    ).json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != hook["secret"]


def test_it_retries_a_failing_webhook_with_backoff_and_never_sends_a_success_twice(
    api: Client, server: MediaServer, receiver: Receiver
) -> None:
    hook = add_destination(api, kind="webhook", url=receiver.url(), events=["invite.created"])
    receiver.secret = hook["secret"]
    receiver.failures = [500, 503]
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        make_invite(api)
        send_due()
        delivery = Delivery.objects.get()
        assert delivery.status == "pending"
        assert delivery.next_attempt_at == start + timedelta(seconds=30)
        assert delivery.last_status_code == 500

        send_due()
        assert len(receiver.requests) == 1, "not due again before its backoff"

        clock.shift(timedelta(seconds=31))
        send_due()
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == timezone.now() + timedelta(seconds=60)

        clock.shift(timedelta(seconds=61))
        send_due()
        clock.shift(timedelta(hours=2))
        send_due()

    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert len(receiver.requests) == 3
    assert len({request.headers["webhook-id"] for request in receiver.requests}) == 1, "one message id across retries"
    log = api.get("/api/notifications/deliveries", {"destination": hook["id"]}).json()
    assert log["total"] == 1
    assert [attempt["status_code"] for attempt in log["items"][0]["attempt_log"]] == [200, 503, 500]


def test_it_gives_up_after_a_day_and_the_owner_can_send_again(
    api: Client, server: MediaServer, receiver: Receiver
) -> None:
    hook = add_destination(api, kind="webhook", url=receiver.url(), events=["invite.created"])
    receiver.secret = hook["secret"]
    receiver.failures = [500] * 100
    with time_machine.travel(timezone.now(), tick=False) as clock:
        make_invite(api)
        for _ in range(40):
            send_due()
            clock.shift(timedelta(hours=1, seconds=1))
    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    tries = len(receiver.requests)
    assert 20 <= tries <= 32

    failed = api.get("/api/notifications/deliveries", {"status": "failed"}).json()
    assert [item["id"] for item in failed["items"]] == [delivery.pk]

    receiver.failures = []
    again = api.post(f"/api/notifications/deliveries/{delivery.pk}/retry")
    assert again.status_code == 202
    send_due()
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert len(receiver.requests) == tries + 1


def test_two_workers_never_claim_the_same_delivery(api: Client, server: MediaServer, receiver: Receiver) -> None:
    from guestlist.notifications import delivery as queue

    add_destination(api, kind="webhook", url=receiver.url(), events=["invite.created"])
    make_invite(api)
    pending = Delivery.objects.get()
    assert queue.claim(pending.pk) is not None
    assert queue.claim(pending.pk) is None


def test_a_dead_destination_does_not_hold_up_the_others(api: Client, server: MediaServer, receiver: Receiver) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    add_destination(api, kind="webhook", url=f"http://127.0.0.1:{dead_port}/gone", events=["invite.created"])
    live = add_destination(api, kind="webhook", url=receiver.url(), events=["invite.created"])
    receiver.secret = live["secret"]
    for _ in range(3):
        make_invite(api)
    summary = send_due()
    assert "3 sent" in summary
    assert len(receiver.requests) == 3
    dead = Delivery.objects.exclude(destination_id=live["id"])
    assert dead.filter(attempts=1).count() == 1, "after one failure its other messages wait for their turn"
    assert dead.filter(status="pending").count() == 3


def test_a_token_is_never_in_a_payload(api: Client, client: Client, server: MediaServer, receiver: Receiver) -> None:
    from tests.conftest import OWNER_PLEX_TOKEN

    hook = add_destination(api, kind="webhook", url=receiver.url())
    receiver.secret = hook["secret"]
    invite = make_invite(api)
    assert redeem(client, invite["code"]).status_code == 201
    send_due()
    assert receiver.requests
    for event in Event.objects.all():
        text = str(event.payload)
        assert OWNER_PLEX_TOKEN not in text
        assert "token" not in text.lower()
    for request in receiver.requests:
        assert b"token" not in request.body.lower()
