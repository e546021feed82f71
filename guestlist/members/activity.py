"""Who watched when: filling members' ``last_seen`` and ``last_title`` from the sources.

Sources, per server, each read outside any transaction:

- the Plex Media Server's own play history (``PlexGateway.play_history``), read
  incrementally from the last successful read (minus ``OVERLAP``);
- Tautulli, when the owner connected one (``plex.tautulli``): its users table has each
  user's last seen and last played title;
- plex.tv's user list (``lastSeenAt``), which the sync already copies (``plex_changes``).

Whichever is newer wins, and a member's ``last_seen`` only ever moves forward (a conditional
UPDATE per member), so two runs at once or an old Tautulli cannot move it back.

``ServerActivity`` remembers, per source, when it last answered and when it last failed.
``data_available`` is the one answer to "may the inactivity rule trust these dates now?".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Invalid
from guestlist.members.models import Member, ServerActivity, Sighting
from guestlist.plex import services
from guestlist.plex.errors import PlexError
from guestlist.plex.models import MediaServer
from guestlist.plex.tautulli import TautulliError, users_last_seen

logger = logging.getLogger(__name__)

HISTORY_LIMIT = 10_000
# Plays are read again from a little before the last read: a play the PMS wrote down late
# (or a clock that differs a little) is still caught.
OVERLAP = timedelta(hours=1)
# Older than this, last-seen data counts as unavailable: the sync runs every 15 minutes,
# so three hours means many reads in a row failed or never ran.
FRESH_FOR = timedelta(hours=3)
OWNER_ACCOUNT = 1  # the PMS's account id for the server's owner


@dataclass
class SeenOutcome:
    updated: int = 0
    failed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{self.updated} last seen updated"
        if self.failed:
            text += f"; not read: {', '.join(self.failed)}"
        return text


def activity_of(server: MediaServer) -> ServerActivity:
    activity, _created = ServerActivity.objects.get_or_create(server=server)
    return activity


Seen = tuple[datetime, str]  # when, and the title played then


def _newer(found: dict[int, Seen], account_id: int, when: datetime, title: str) -> None:
    if account_id not in found or when > found[account_id][0]:
        found[account_id] = (when, title)


def refresh_server(server: MediaServer, *, now: datetime | None = None) -> SeenOutcome:
    """Read every source of one server, then write what is new in one short transaction."""
    now = now or timezone.now()
    # Read, not created: the row is written once at the end, in one upsert.
    activity = ServerActivity.objects.filter(server=server).first() or ServerActivity(server=server)
    outcome = SeenOutcome()
    found: dict[int, Seen] = {}
    history_latest: datetime | None = None
    history_error = ""
    since = activity.history_checked_at - OVERLAP if activity.history_checked_at else None
    try:
        plays = services.gateway_for(server).play_history(since=since, limit=HISTORY_LIMIT)
    except PlexError as exc:
        history_error = str(exc)[:500]
        outcome.failed.append(f"{server.name} play history")
    else:
        for play in plays:
            history_latest = max(history_latest or play.viewed_at, play.viewed_at)
            if play.account_id != OWNER_ACCOUNT:
                _newer(found, play.account_id, play.viewed_at, play.title)
    tautulli_error = ""
    if activity.tautulli_configured:
        try:
            for user in users_last_seen(activity.tautulli_url, activity.tautulli_api_key):
                if user.last_seen is not None:
                    _newer(found, user.user_id, user.last_seen, user.last_played)
        except TautulliError as exc:
            tautulli_error = str(exc)[:500]
            outcome.failed.append(f"{server.name} Tautulli")
    with transaction.atomic():
        _remember(server, found)
        outcome.updated = _apply_sightings(server)
        changes = _activity_changes(activity, now, history_error, history_latest, tautulli_error)
        # One statement whether or not the row exists yet; columns not named here are kept.
        ServerActivity.objects.bulk_create(
            [ServerActivity(server=server, **changes)],
            update_conflicts=True,
            unique_fields=["server"],
            update_fields=list(changes),
        )
    if outcome.failed:
        logger.warning("Last seen for %s not fully read: %s", server.name, "; ".join(outcome.failed))
    return outcome


def _activity_changes(
    activity: ServerActivity,
    now: datetime,
    history_error: str,
    history_latest: datetime | None,
    tautulli_error: str,
) -> dict[str, object]:
    changes: dict[str, object] = {"history_error": history_error}
    if history_error:
        changes["history_failed_at"] = now
    else:
        changes["history_checked_at"] = now
        if history_latest is not None and (
            activity.history_latest_at is None or history_latest > activity.history_latest_at
        ):
            changes["history_latest_at"] = history_latest
    if activity.tautulli_configured:
        changes["tautulli_error"] = tautulli_error
        changes["tautulli_failed_at" if tautulli_error else "tautulli_checked_at"] = now
    return changes


def _remember(server: MediaServer, found: dict[int, Seen]) -> None:
    """Keep each account's newest sighting (forward only, safe against a concurrent run)."""
    for account_id, (when, title) in found.items():
        moved = Sighting.objects.filter(server=server, plex_account_id=account_id, seen_at__lt=when).update(
            seen_at=when, title=title
        )
        if not moved and not Sighting.objects.filter(server=server, plex_account_id=account_id).exists():
            try:
                with transaction.atomic():
                    Sighting.objects.create(server=server, plex_account_id=account_id, seen_at=when, title=title)
            except IntegrityError:
                pass  # another run wrote it a moment ago; its value or a newer one stands


def _apply_sightings(server: MediaServer) -> int:
    """Members whose account was seen later than their ``last_seen`` get it: one UPDATE."""
    newest = Sighting.objects.filter(server=server, plex_account_id=OuterRef("plex_id"))
    return (
        Member.objects.filter(server=server, plex_id__isnull=False)
        .filter(Exists(newest.filter(seen_at__gt=OuterRef("last_seen"))) | (Q(last_seen__isnull=True) & Exists(newest)))
        .update(last_seen=Subquery(newest.values("seen_at")[:1]), last_title=Subquery(newest.values("title")[:1]))
    )


def refresh_all(servers: list[MediaServer] | None = None, *, now: datetime | None = None) -> SeenOutcome:
    """Every server's last seen (the sync job, ``guestlist sync``, the members page's button)."""
    total = SeenOutcome()
    for server in servers if servers is not None else MediaServer.objects.all():
        outcome = refresh_server(server, now=now)
        total.updated += outcome.updated
        total.failed += outcome.failed
    return total


# Whether the dates can be trusted


@dataclass(frozen=True)
class Availability:
    available: bool
    reason: str = ""  # why not, in words for the owner (English; the dashboard translates the kind)
    kind: str = ""  # history_stale, history_failed, history_empty, tautulli_stale, tautulli_failed


def data_available(server: MediaServer, *, now: datetime, window: timedelta) -> Availability:
    """Are this server's last-seen dates complete enough to act on?

    Only if the play history was read successfully within ``FRESH_FOR`` and its last read
    did not fail; if someone (the owner included) played something on the server within
    ``window`` (a history with no play at all for that long looks like a wiped history or
    an outage, not like everyone stopping at once); and, with Tautulli connected, if
    Tautulli answered as recently.
    """
    activity = ServerActivity.objects.filter(server=server).first()
    if activity is not None and activity.history_error:
        return Availability(
            False, f"The last read of {server.name}'s play history failed: {activity.history_error}", "history_failed"
        )
    if activity is None or activity.history_checked_at is None or activity.history_checked_at < now - FRESH_FOR:
        return Availability(False, f"The play history of {server.name} has not been read recently.", "history_stale")
    if activity.history_latest_at is None or activity.history_latest_at < now - window:
        return Availability(
            False,
            f"{server.name}'s play history shows no play by anyone in that time; it may have been reset.",
            "history_empty",
        )
    if activity.tautulli_configured:
        if activity.tautulli_error:
            return Availability(False, f"Tautulli's last answer failed: {activity.tautulli_error}", "tautulli_failed")
        if activity.tautulli_checked_at is None or activity.tautulli_checked_at < now - FRESH_FOR:
            return Availability(False, "Tautulli has not been read recently.", "tautulli_stale")
    return Availability(True)


# The owner's Tautulli connection


def set_tautulli(server: MediaServer, *, url: str, api_key: str | None, actor: Actor) -> ServerActivity:
    """Connect Tautulli to a server (or disconnect it with an empty ``url``).

    ``api_key`` None keeps the stored key (forms never show it again). The connection is
    tried before it is saved, so a typo is refused at once.
    """
    url = url.strip().rstrip("/")
    if url and not url.startswith(("http://", "https://")):
        raise Invalid("Tautulli's address must start with http:// or https://.", details=[{"field": "tautulli_url"}])
    if len(url) > 500:
        raise Invalid("Tautulli's address is too long.", details=[{"field": "tautulli_url"}])
    activity = activity_of(server)
    key = api_key.strip() if api_key is not None else activity.tautulli_api_key
    if url:
        if not key:
            raise Invalid("Tautulli's API key is needed.", details=[{"field": "tautulli_api_key"}])
        try:
            users_last_seen(url, key)
        except TautulliError as exc:
            raise Invalid(str(exc), details=[{"field": "tautulli_url", "message": str(exc)}]) from None
    with transaction.atomic():
        activity = ServerActivity.objects.select_for_update().get(pk=activity.pk)
        activity.tautulli_url = url
        activity.tautulli_api_key = key if url else ""
        activity.tautulli_error = ""
        activity.tautulli_checked_at = timezone.now() if url else None
        activity.tautulli_failed_at = None
        activity.save()
        audit.record(actor, "settings.tautulli", server, connected=bool(url))
    return activity
