"""Recording events and fanning them out to destinations, inside the caller's transaction.

Nothing is sent here: each destination that wants the event gets a ``Delivery`` row, and the
job runner's ``deliveries`` job sends it (``notifications.delivery``). A redemption therefore
writes a few rows more, and never waits for a network.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from guestlist.notifications.models import Delivery, Destination, Event

logger = logging.getLogger(__name__)

EVENT_TYPES: tuple[str, ...] = (
    "invite.created",
    "invite.redeemed",
    "invite.redemption_failed",
    "member.joined",
    "member.expiring_soon",
    "member.expired",
    "member.removed",
    "member.removed_in_plex",
    "member.access_changed",
    "member.access_differs",
    "member.reinvite_requested",
    "member.inactive_warning",
    "member.removed_inactive",
    "member.suspended",
    "member.restored",
    "trial.ended",
    "trial.extension_requested",
    "member.discord_left",
    "invite_request.created",
    "invite_request.approved",
    "invite_request.declined",
    "plex.unreachable",
    "plex.reachable",
    "plex.token_rejected",
    "admin.sign_in_locked",
)
TEST_EVENT = "test"
RETRY_FOR = timedelta(days=1)

# Never in a payload, whatever a caller passes: the payload goes to outside parties.
_FORBIDDEN_KEYS = frozenset({"token", "user_token", "user_token_encrypted", "plex_token", "password", "secret"})


def _clean(value: Any) -> Any:
    import json

    # Dates become ISO strings exactly as the API writes them.
    plain = json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    return _strip(plain)


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _strip(item) for key, item in value.items() if key not in _FORBIDDEN_KEYS}
    if isinstance(value, list):
        return [_strip(item) for item in value]
    return value


def emit(event_type: str, data: dict[str, Any], *, key: str | None = None) -> Event | None:
    """Record an event and queue it for every enabled destination subscribed to it.

    With ``key``, an event already recorded under that key is not recorded again (None).
    """
    if event_type not in EVENT_TYPES and event_type != TEST_EVENT:
        raise ValueError(f"Unknown event type {event_type}")
    now = timezone.now()
    event = Event(type=event_type, key=key)
    event.payload = {"type": event_type, "id": event.uid, "timestamp": now.isoformat(), "data": _clean(data)}
    try:
        with transaction.atomic():
            event.save()
    except IntegrityError:
        if key is None:
            raise
        return None
    destinations = [
        destination
        for destination in Destination.objects.filter(enabled=True)
        if event_type in (destination.events or [])
    ]
    Delivery.objects.bulk_create(
        [
            Delivery(event=event, destination=destination, next_attempt_at=now, give_up_at=now + RETRY_FOR)
            for destination in destinations
        ]
    )
    return event


def emit_test(destination: Destination) -> Delivery:
    """A test message to one destination, through the same queue as everything else."""
    now = timezone.now()
    with transaction.atomic():
        event = Event(type=TEST_EVENT)
        event.payload = {
            "type": TEST_EVENT,
            "id": event.uid,
            "timestamp": now.isoformat(),
            "data": {"message": "A test message from Guestlist.", "destination": destination.name},
        }
        event.save()
        return Delivery.objects.create(
            event=event, destination=destination, next_attempt_at=now, give_up_at=now + RETRY_FOR
        )
