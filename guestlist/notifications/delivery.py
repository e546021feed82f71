"""The delivery queue, run by the job runner's ``deliveries`` job (never by the web process).

At least once: a delivery is claimed with a conditional UPDATE (a lease naming this process,
like ``PlexOperation.locked_until``), sent outside any transaction, then marked succeeded,
or retried with exponential backoff until a day after it was queued, then failed (the
overview's "Needs attention" shows it). A succeeded delivery is never sent again unless an
admin asks ("send again").

A slow or dead destination never holds up the others: messages are sent in parallel, one
thread per destination (its messages in order), with a short timeout per message; once a
destination fails in a run, the rest of its messages wait for their next attempt; a run
stops starting new sends after ``RUN_BUDGET_SECONDS``.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.lib import crypto, liveness, shutdown
from guestlist.notifications import messages, senders
from guestlist.notifications.models import Delivery, DeliveryAttempt, Destination, MailServer

logger = logging.getLogger(__name__)

Status = Delivery.Status
LOCK_SECONDS = 120
RUN_BUDGET_SECONDS = 45.0
BATCH = 50
PARALLEL_DESTINATIONS = 4
FIRST_RETRY_SECONDS = 30
LONGEST_WAIT = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … at most an hour between tries."""
    return min(timedelta(seconds=FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0)), LONGEST_WAIT)


def _unlocked(now: datetime) -> Q:
    free = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    held = Delivery.objects.filter(status=Status.PENDING, locked_until__gte=now).exclude(locked_by="")
    gone = [holder for holder in set(held.values_list("locked_by", flat=True)) if liveness.is_gone(holder)]
    if gone:
        free |= Q(locked_by__in=gone)
    return free


def due_ids(limit: int = BATCH, *, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
        .filter(_unlocked(now))
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def claim(delivery_id: int, *, now: datetime | None = None) -> Delivery | None:
    """Take one due delivery for this process: of several workers, exactly one gets it."""
    now = now or timezone.now()
    due = Delivery.objects.filter(pk=delivery_id, status=Status.PENDING, next_attempt_at__lte=now)
    taken = due.filter(_unlocked(now)).update(
        locked_until=now + timedelta(seconds=LOCK_SECONDS), locked_by=liveness.identity(), attempts=F("attempts") + 1
    )
    if not taken:
        return None
    return Delivery.objects.select_related("event", "destination").get(pk=delivery_id)


def smtp_config() -> senders.SmtpConfig:
    server = MailServer.load()
    password = crypto.decrypt(server.password_encrypted) if server.password_encrypted else ""
    return senders.SmtpConfig(server.host, server.port, server.security, server.username, password, server.from_address)


@dataclass
class Plan:
    """What to send for one claimed delivery, prepared with the database and sent without it."""

    delivery: Delivery
    group: str
    send: Callable[[], senders.Sent]
    duration_ms: int = 0


def plan(delivery: Delivery, smtp: Callable[[], senders.SmtpConfig]) -> Plan:
    destination = delivery.destination
    if destination is None:
        message = delivery.mail
        config = smtp()
        return Plan(
            delivery,
            "smtp",
            lambda: senders.send_mail(
                config, delivery.recipient, message["subject"], message["text"], message.get("html"), message["headers"]
            ),
        )
    event = delivery.event
    payload = event.payload if event is not None else {}
    group = f"destination:{destination.pk}"
    if destination.kind == Destination.Kind.WEBHOOK:
        secret = crypto.decrypt(destination.secret_encrypted)
        msg_id = event.uid if event is not None else f"msg_delivery_{delivery.pk}"
        return Plan(delivery, group, lambda: senders.send_webhook(destination.url, secret, msg_id, payload))
    title, body = messages.describe(payload, destination.language)
    if destination.kind == Destination.Kind.APPRISE:
        url = crypto.decrypt(destination.secret_encrypted)
        return Plan(delivery, group, lambda: senders.send_apprise(url, title, body))
    config = smtp()
    return Plan(delivery, group, lambda: senders.send_mail(config, destination.email, title, body, None))


def _send_group(plans: list[Plan], deadline: float) -> list[tuple[Plan, senders.Sent | None]]:
    results: list[tuple[Plan, senders.Sent | None]] = []
    failed = False
    for item in plans:
        if failed or shutdown.requested() or time.monotonic() > deadline:
            results.append((item, None))  # not tried: waits for its next turn
            continue
        started = time.monotonic()
        try:
            sent = item.send()
        except Exception as error:
            logger.exception("Delivery %s failed unexpectedly", item.delivery.pk)
            sent = senders.Sent(False, None, f"Unexpected error: {type(error).__name__}")
        item.duration_ms = int((time.monotonic() - started) * 1000)
        results.append((item, sent))
        failed = not sent.ok
    return results


def record(delivery: Delivery, sent: senders.Sent | None, *, duration_ms: int = 0, now: datetime | None = None) -> str:
    """Write an attempt's outcome; releases the claim. Returns the delivery's new state."""
    now = now or timezone.now()
    mine = Delivery.objects.filter(pk=delivery.pk, status=Status.PENDING, locked_by=delivery.locked_by)
    if sent is None:
        mine.update(locked_until=None, locked_by="", attempts=F("attempts") - 1)
        return "skipped"
    DeliveryAttempt.objects.create(
        delivery=delivery,
        ok=sent.ok,
        status_code=sent.status_code,
        error=sent.error[:500],
        duration_ms=duration_ms,
    )
    if sent.ok:
        mine.update(
            status=Status.SUCCEEDED,
            finished_at=now,
            locked_until=None,
            locked_by="",
            last_error="",
            last_status_code=sent.status_code,
        )
        return Status.SUCCEEDED
    retry_at = now + backoff(delivery.attempts)
    if retry_at > delivery.give_up_at:
        mine.update(
            status=Status.FAILED,
            finished_at=now,
            locked_until=None,
            locked_by="",
            last_error=sent.error[:500],
            last_status_code=sent.status_code,
        )
        return Status.FAILED
    mine.update(
        next_attempt_at=retry_at,
        locked_until=None,
        locked_by="",
        last_error=sent.error[:500],
        last_status_code=sent.status_code,
    )
    return "retry"


def process_due(*, budget_seconds: float = RUN_BUDGET_SECONDS) -> str:
    """The job: send what is due, in parallel per destination, for at most ``budget_seconds``."""
    deadline = time.monotonic() + budget_seconds
    counts: dict[str, int] = defaultdict(int)
    smtp_cache: list[senders.SmtpConfig] = []

    def smtp() -> senders.SmtpConfig:
        if not smtp_cache:
            smtp_cache.append(smtp_config())
        return smtp_cache[0]

    seen: set[int] = set()
    while time.monotonic() < deadline and not shutdown.requested():
        ids = [delivery_id for delivery_id in due_ids() if delivery_id not in seen]
        if not ids:
            break
        groups: dict[str, list[Plan]] = defaultdict(list)
        for delivery_id in ids:
            seen.add(delivery_id)
            delivery = claim(delivery_id)
            if delivery is None:
                continue
            try:
                item = plan(delivery, smtp)
            except crypto.DecryptionError:
                record(
                    delivery, senders.Sent(False, None, "A stored secret cannot be decrypted (the secret key changed).")
                )
                counts["retry"] += 1
                continue
            groups[item.group].append(item)
        if not groups:
            continue
        # Only the sends run in threads; every database write stays on this thread.
        with ThreadPoolExecutor(max_workers=min(PARALLEL_DESTINATIONS, len(groups))) as pool:
            outcomes = list(pool.map(lambda plans: _send_group(plans, deadline), groups.values()))
        for results in outcomes:
            for item, sent in results:
                counts[record(item.delivery, sent, duration_ms=item.duration_ms)] += 1
    return (
        f"{counts[Status.SUCCEEDED]} sent, {counts['retry']} to retry, {counts[Status.FAILED]} failed, "
        f"{counts['skipped']} postponed"
    )


def send_again(delivery: Delivery, *, actor: Actor) -> Delivery:
    """An admin's "send again": queued afresh, for another day of tries."""
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Status.PENDING,
        next_attempt_at=now,
        give_up_at=now + timedelta(days=1),
        finished_at=None,
        locked_until=None,
        locked_by="",
    )
    audit.record(actor, "notification.send_again", delivery, label=f"delivery {delivery.pk}")
    delivery.refresh_from_db()
    return delivery
