"""Plex changes Guestlist owes, tried at once and retried with backoff until done.

Every row is written in the same transaction as the decision behind it (a claimed invite
use, a removal), then run straight away by the request that made it. If the request dies,
or Plex is down, the job runner picks the row up once its lock lapses, or at once when
the lock names a process of this machine that no longer exists (``lib.liveness``).
Handlers are idempotent on Plex's side ("already sharing" counts as done; removing
someone who is already gone counts as done), so a retry after a crash never doubles
anything. Rows are the only record of owed work: nothing is lost on restart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.lib import crypto, liveness, shutdown
from guestlist.members.models import Member
from guestlist.plex import content_options, services
from guestlist.plex.errors import PlexError, PlexNotFound, PlexUnavailable
from guestlist.plex.records import ShareSettings
from guestlist.plexwork import effects
from guestlist.plexwork.effects import cancel_open as cancel_open
from guestlist.plexwork.models import PlexOperation
from guestlist.plexwork.queue import LOCK_SECONDS as LOCK_SECONDS
from guestlist.plexwork.queue import enqueue as enqueue

logger = logging.getLogger(__name__)

Kind = PlexOperation.Kind
State = PlexOperation.State

BACKOFF_SECONDS = (20, 60, 120, 300, 600, 1200, 1800, 3600)
MAX_ATTEMPTS = {Kind.ACCEPT: 12}
DEFAULT_MAX_ATTEMPTS = 36  # about a day and a half of retrying
JOB_ACTOR = Actor.job("plex_operations")


@dataclass(frozen=True)
class Outcome:
    state: str  # "done", "retry" or "failed"
    error: str = ""
    exc: PlexError | None = None

    @property
    def done(self) -> bool:
        return self.state == State.DONE


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BACKOFF_SECONDS[min(max(attempts - 1, 0), len(BACKOFF_SECONDS) - 1)])


def _unlocked(now: datetime, ops: Any = None) -> Q:
    """Operations nobody is working on: never locked, lock lapsed, or locked by a dead process."""
    free = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    held = (ops if ops is not None else PlexOperation.objects.filter(state=State.QUEUED)).filter(locked_until__gte=now)
    holders = set(held.exclude(locked_by="").values_list("locked_by", flat=True).distinct())
    gone = [holder for holder in holders if liveness.is_gone(holder)]
    if gone:
        free |= Q(locked_by__in=gone)
    return free


def claim(op_id: int, *, now: datetime | None = None) -> PlexOperation | None:
    """Take a due operation for this worker; a conditional UPDATE makes it exclusive."""
    now = now or timezone.now()
    due = PlexOperation.objects.filter(pk=op_id, state=State.QUEUED, next_attempt_at__lte=now)
    taken = due.filter(_unlocked(now, due)).update(
        locked_until=now + timedelta(seconds=LOCK_SECONDS), locked_by=liveness.identity(), attempts=F("attempts") + 1
    )
    if not taken:
        return None
    return PlexOperation.objects.select_related("server", "member", "redemption").get(pk=op_id)


def due_ids(limit: int = 50, *, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        PlexOperation.objects.filter(state=State.QUEUED, next_attempt_at__lte=now)
        .filter(_unlocked(now))
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def process_due(limit: int = 50) -> str:
    """The job: run every operation that is due and not held by a live process."""
    counts = {State.DONE: 0, "retry": 0, State.FAILED: 0}
    for op_id in due_ids(limit):
        if shutdown.requested():
            break
        op = claim(op_id)
        if op is None:
            continue
        try:
            outcome = run(op)
        except Exception as exc:
            # A bug or a broken row must not block the queue behind it: note it and move on.
            logger.exception("Plex %s %s failed unexpectedly", op.kind, op.pk)
            outcome = _retry(op, f"Unexpected error: {type(exc).__name__}: {exc}", None)
        counts[outcome.state] = counts.get(outcome.state, 0) + 1
    return f"{counts[State.DONE]} done, {counts['retry']} to retry, {counts[State.FAILED]} failed"


def settings_from(payload: dict[str, Any]) -> ShareSettings:
    filters = content_options.stored(payload.get("content_limits")).filters()
    return ShareSettings(
        library_keys=tuple(int(key) for key in payload.get("library_keys", ())),
        allow_sync=bool(payload.get("allow_sync")),
        allow_channels=bool(payload.get("allow_channels")),
        allow_camera_upload=bool(payload.get("allow_camera_upload")),
        filter_movies=filters["movies"],
        filter_television=filters["television"],
        filter_music=filters["music"],
    )


def run(op: PlexOperation) -> Outcome:
    """Run a claimed operation once and record what happened. Never raises PlexError."""
    handler = HANDLERS[op.kind]
    try:
        result = handler(op)
    except PlexNotFound as exc:
        if op.kind == Kind.REMOVE:
            # Gone already (removed by hand in Plex): exactly what we wanted.
            return _finish(op, {"already_gone": True})
        return _fail_or_retry(op, exc)
    except PlexError as exc:
        return _fail_or_retry(op, exc)
    if result is None:
        return _retry(op, "Not visible on Plex yet.", None)
    return _finish(op, result)


def _finish(op: PlexOperation, result: dict[str, Any]) -> Outcome:
    with transaction.atomic():
        updated = PlexOperation.objects.filter(pk=op.pk, state=State.QUEUED).update(
            state=State.DONE, finished_at=timezone.now(), locked_until=None, locked_by="", last_error=""
        )
        if updated:
            effects.on_done(op, result)
        else:
            # Cancelled while Plex was doing it (the member was removed meanwhile).
            effects.on_done_after_cancel(op, result)
    return Outcome(State.DONE)


def _fail_or_retry(op: PlexOperation, exc: PlexError) -> Outcome:
    retryable = exc.transient or op.kind == Kind.REMOVE
    if retryable:
        return _retry(op, str(exc), exc)
    return _fail(op, str(exc), exc)


def _retry(op: PlexOperation, error: str, exc: PlexError | None) -> Outcome:
    limit = MAX_ATTEMPTS.get(Kind(op.kind), DEFAULT_MAX_ATTEMPTS)
    if op.attempts >= limit:
        return _fail(op, f"Gave up after {op.attempts} attempts: {error}", exc)
    PlexOperation.objects.filter(pk=op.pk, state=State.QUEUED).update(
        next_attempt_at=timezone.now() + backoff(op.attempts), locked_until=None, locked_by="", last_error=error[:2000]
    )
    logger.warning("Plex %s for member %s will be retried: %s", op.kind, op.member_id, error)
    return Outcome("retry", error, exc)


def _fail(op: PlexOperation, error: str, exc: PlexError | None) -> Outcome:
    with transaction.atomic():
        updated = PlexOperation.objects.filter(pk=op.pk, state=State.QUEUED).update(
            state=State.FAILED, finished_at=timezone.now(), locked_until=None, locked_by="", last_error=error[:2000]
        )
        if updated:
            effects.on_failed(op, error, exc)
            audit.record(JOB_ACTOR, f"plex.{op.kind}_failed", op.member, error=error)
    logger.error("Plex %s for member %s failed for good: %s", op.kind, op.member_id, error)
    return Outcome(State.FAILED, error, exc)


# Handlers: one Plex action each; they return a result dict, None for "not yet", or raise.


def _share(op: PlexOperation) -> dict[str, Any]:
    # Nobody asks Plex beforehand whether the person already has access: the share call
    # answers that itself. On the first try "already sharing" (with an accepted share)
    # means access from elsewhere, shared by hand: the redemption is refused and its use
    # given back. On a retry the share may be our own from a try whose answer was lost,
    # so it is adopted, as before.
    first_try = op.attempts <= 1 and not op.last_error
    result = services.gateway_for(op.server).share(
        op.payload["invitee"], settings_from(op.payload), adopt=not first_try
    )
    return _share_result(result)


def _share_result(result: Any) -> dict[str, Any]:
    return {
        "share_id": result.share_id,
        "user_id": result.user_id,
        "already_shared": result.already_shared,
        "accepted": result.accepted,
    }


def _home_invite(op: PlexOperation) -> dict[str, Any]:
    result = services.gateway_for(op.server).add_home_user(op.payload["invitee"], settings_from(op.payload))
    return _share_result(result)


def _accept(op: PlexOperation) -> dict[str, Any] | None:
    redemption = op.redemption
    if redemption is None or not redemption.user_token_encrypted:
        return {"skipped": "no token"}
    token = crypto.decrypt(redemption.user_token_encrypted)
    server = op.server
    accepted = services.sign_in().accept_invite(
        token,
        owner_account_id=int(server.owner_plex_id or 0),
        machine_identifier=server.machine_identifier,
        attempts=int(op.payload.get("attempts", 3)),
        delay=float(op.payload.get("delay", 1.5)),
    )
    if accepted:
        return {"accepted": True}
    if _share_accepted(op):
        # Accepted already: from Plex's e-mail, or by an earlier try whose answer was lost.
        return {"accepted": True, "already": True}
    return None


def _share_accepted(op: PlexOperation) -> bool:
    member = op.member
    if member is None or member.plex_id is None:
        return False
    users = services.gateway_for(op.server).users()  # lists only people who accepted
    return any(user.id == member.plex_id and user.share_id is not None for user in users)


def _member(op: PlexOperation) -> Member:
    if op.member is None:
        raise PlexNotFound("The member of this operation no longer exists.")
    return op.member


def _update_share(op: PlexOperation) -> dict[str, Any]:
    member = _member(op)
    if member.plex_id is None and member.plex_share_id is None:
        raise PlexNotFound("This member's Plex account is not known yet; refresh them from Plex first.")
    services.gateway_for(op.server).update_share(
        int(member.plex_id) if member.plex_id is not None else None,
        settings_from(op.payload),
        share_id=int(member.plex_share_id) if member.plex_share_id else None,
    )
    return {}


def _suspend(op: PlexOperation) -> dict[str, Any]:
    _update_share(op)
    return {}


def _restore(op: PlexOperation) -> dict[str, Any]:
    member = _member(op)
    gw = services.gateway_for(op.server)
    try:
        if member.plex_id is None:
            raise PlexNotFound("This member's Plex account is not known.")
        gw.update_share(int(member.plex_id), settings_from(op.payload))
    except PlexNotFound:
        invitee = op.payload.get("invitee")
        if not op.redemption_id or not invitee:
            raise
        # They left the share in Plex meanwhile: the invite they redeemed shares afresh.
        return {**_share_result(gw.share(str(invitee), settings_from(op.payload))), "reshared": True}
    return {"accepted": True}


def _remove(op: PlexOperation) -> dict[str, Any]:
    member = _member(op)
    if op.payload.get("compensation") and member.status in (Member.Status.PENDING, Member.Status.ACTIVE):
        return {"skipped": "invited again since"}
    gw = services.gateway_for(op.server)
    try:
        if member.is_home and member.plex_id is not None:
            gw.remove_home_user(int(member.plex_id))
        else:
            # A share never accepted has no Plex user id yet; Plex still knows its address.
            gw.remove_share(
                int(member.plex_id) if member.plex_id is not None else None,
                email=member.email or None,
                share_id=int(member.plex_share_id) if member.plex_share_id else None,
            )
    except PlexNotFound:
        # "Not there" is the answer that lets us record them gone, so it must not come
        # from a glitch: the list of users, asked separately, has to agree.
        if any(_still_has_access(member, user) for user in gw.users()):
            raise PlexUnavailable("Plex still lists this person's access but did not find it to remove.") from None
        raise
    return {}


def _still_has_access(member: Member, user: Any) -> bool:
    same = (member.plex_id is not None and user.id == member.plex_id) or (
        bool(member.email) and user.email.lower() == member.email.lower()
    )
    return same and (user.share_id is not None or (member.is_home and user.home))


HANDLERS: dict[str, Callable[[PlexOperation], dict[str, Any] | None]] = {
    Kind.SHARE: _share,
    Kind.HOME_INVITE: _home_invite,
    Kind.ACCEPT: _accept,
    Kind.UPDATE_SHARE: _update_share,
    Kind.REMOVE: _remove,
    Kind.SUSPEND: _suspend,
    Kind.RESTORE: _restore,
}
