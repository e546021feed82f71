"""Keeping members in step with Plex's own list of users.

Wizarr once deleted every user when Plex answered with an empty list (wizarr#1356), and a
scan with the wrong account removed everyone (wizarr#339). Here nobody is marked removed
unless the answer is definite:

- a failed answer changes nobody, on any server (every list is read before anything is
  written);
- an empty answer, or one in which nobody at all has access to the server, is not
  definite: it is what a glitch or the wrong account looks like;
- members whose invitation is still ``pending`` are never marked removed, because
  plex.tv's user list leaves out unaccepted invitations;
- only members who were ``active`` before the list was read, and have not changed since,
  can be marked removed, so a redemption finishing during the sync is not mistaken for a
  disappearance.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Field
from django.utils import timezone

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Invalid, PlexUnavailableError
from guestlist.core.models import AuditEvent
from guestlist.invites.services import disable_invites_of_departed
from guestlist.members import activity
from guestlist.members.models import Member
from guestlist.members.services import apply_plex_user, note_difference, plex_changes
from guestlist.notifications import notify
from guestlist.plex import services
from guestlist.plex.errors import PlexError
from guestlist.plex.models import MediaServer
from guestlist.plex.records import PlexUser

logger = logging.getLogger(__name__)

Status = Member.Status
REMOVED_IN_PLEX = "removed in Plex"
IMPORTED = "imported from Plex"
# Members in these states are looked after elsewhere: the outbox is removing them, or
# they are gone. An import never takes over someone in one of these (a suspended friend
# still holds a share: it is theirs, narrowed, not a stranger's).
HELD = (Status.PENDING, Status.ACTIVE, Status.REMOVING, Status.SUSPENDING, Status.SUSPENDED)


@dataclass
class SyncOutcome:
    updated: int = 0
    removed: int = 0
    imported: int = 0
    skipped_servers: list[str] = field(default_factory=list)
    # Last seen, read after the users (members/activity.py): how many moved, which sources failed.
    seen: int = 0
    seen_failed: list[str] = field(default_factory=list)

    def add(self, other: SyncOutcome) -> None:
        self.updated += other.updated
        self.removed += other.removed
        self.imported += other.imported
        self.skipped_servers += other.skipped_servers

    def __str__(self) -> str:
        text = f"{self.updated} updated, {self.removed} removed in Plex, {self.imported} imported"
        if self.seen or self.seen_failed:
            text += f", {self.seen} last seen updated"
        if self.seen_failed:
            text += f" (not read: {', '.join(self.seen_failed)})"
        if self.skipped_servers:
            text += f"; removals skipped on {', '.join(self.skipped_servers)} (answer not definite)"
        return text


def has_access(member: Member, user: PlexUser) -> bool:
    return user.share_id is not None or (member.is_home and user.home)


def match(member: Member, users: Iterable[PlexUser]) -> PlexUser | None:
    """Their Plex user: by Plex account id, else by e-mail for those not known by id."""
    users = list(users)
    if member.plex_id is not None:
        by_id = next((user for user in users if user.id == member.plex_id), None)
        if by_id is not None:
            return by_id
    email = member.email.lower()
    return next((user for user in users if email and user.email.lower() == email), None)


def is_definite(users: list[PlexUser]) -> bool:
    """Can this answer be trusted to say who lost access? (see the module docstring)

    An owner who really took everyone's access away by hand is not noticed; leaving
    members listed is the harmless way to be wrong.
    """
    return any(user.share_id is not None for user in users)


def read_users(server: MediaServer, *, libraries: bool = True) -> list[PlexUser]:
    """Plex's users of ``server``; ``libraries=False`` is one request and leaves each share's
    libraries unknown (the scheduled sync keeps what Guestlist set)."""
    try:
        return services.gateway_for(server).users(libraries=libraries)
    except PlexError as exc:
        raise PlexUnavailableError(
            f"Could not read the users of {server.name} from Plex; nothing was changed. {exc}", retry_after=60
        ) from exc


SYNC_BATCH = 500


class UserIndex:
    """Plex's users by account id and by e-mail, so matching 10,000 members is no scan each."""

    def __init__(self, users: Iterable[PlexUser]) -> None:
        self.by_id: dict[int, PlexUser] = {}
        self.by_email: dict[str, PlexUser] = {}
        for user in users:
            self.by_id.setdefault(user.id, user)
            if user.email:
                self.by_email.setdefault(user.email.lower(), user)

    def match(self, member: Member) -> PlexUser | None:
        """As ``match``: by Plex account id, else by e-mail."""
        if member.plex_id is not None and member.plex_id in self.by_id:
            return self.by_id[member.plex_id]
        return self.by_email.get(member.email.lower()) if member.email else None


def apply_users(
    server: MediaServer, users: list[PlexUser], snapshot: list[Member], *, actor: Actor, now: datetime
) -> SyncOutcome:
    """Bring ``snapshot`` (members read before ``users`` was) in line with ``users``.

    In batches of ``SYNC_BATCH`` members, each a few queries whatever its size: the
    batch's members read fresh (locked on PostgreSQL), the changed ones written in one
    bulk update, and the removed ones in one conditional update.
    """
    outcome = SyncOutcome()
    definite = is_definite(users)
    index = UserIndex(users)
    for start in range(0, len(snapshot), SYNC_BATCH):
        seen: list[tuple[Member, PlexUser]] = []
        gone: list[Member] = []
        for member in snapshot[start : start + SYNC_BATCH]:
            user = index.match(member)
            if user is not None and has_access(member, user):
                seen.append((member, user))
            elif member.status != Status.ACTIVE:
                continue  # pending: plex.tv leaves unaccepted invitations out of the list
            elif not definite:
                if server.name not in outcome.skipped_servers:
                    outcome.skipped_servers.append(server.name)
            else:
                gone.append(member)
        if seen:
            outcome.updated += _update_seen(server, seen, now)
        if gone:
            outcome.removed += _mark_removed(gone, actor, now)
    if outcome.skipped_servers:
        logger.warning("Plex listed nobody with access to %s; no member was marked removed in Plex.", server.name)
    return outcome


def _update_seen(server: MediaServer, seen: list[tuple[Member, PlexUser]], now: datetime) -> int:
    # The snapshot is this sync's own copy: trying the changes on it first leaves only the
    # members Plex says something new about (none, most runs) to be read again and written.
    differ = [(member, user) for member, user in seen if plex_changes(member, user, taken_person_keys=set())]
    if not differ:
        return 0
    with transaction.atomic():
        fresh = (
            Member.objects.filter(status__in=(Status.PENDING, Status.ACTIVE))
            .select_for_update()
            .in_bulk([member.pk for member, _user in differ])
        )
        wanted = {
            f"plex:{user.id}" for member, user in differ if member.pk in fresh and fresh[member.pk].plex_id is None
        }
        taken = set(
            Member.objects.filter(server=server, person_key__in=wanted).values_list("person_key", flat=True)
            if wanted
            else ()
        )
        changed: list[Member] = []
        fields: set[str] = set()
        differing: list[tuple[Member, set[str]]] = []
        for member, user in differ:
            current = fresh.get(member.pk)
            if current is None:
                continue  # removed or being removed since the snapshot
            names = plex_changes(current, user, taken_person_keys=taken)
            if names:
                taken.add(current.person_key)
                current.updated_at = now
                changed.append(current)
                fields |= names
                differing.append((current, names))
        if changed:
            _write(changed, [*sorted(fields), "updated_at"])
        for current, names in differing:
            note_difference(current, names)
    return len(changed)


def _write(members: list[Member], fields: list[str]) -> None:
    """One UPDATE statement run for every member (executemany): a single query, and far
    quicker on SQLite than bulk_update's CASE over the whole batch."""
    meta = Member._meta
    quote = connection.ops.quote_name
    columns: list[Field[Any, Any]] = []
    for name in fields:
        column = meta.get_field(name)
        if not isinstance(column, Field):
            raise TypeError(f"{name} is not a column of the member table")
        columns.append(column)
    assignments = ", ".join(f"{quote(column.column or column.attname)} = %s" for column in columns)
    # Only the model's own table and column names go into the text; every value is a parameter.
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote('id')} = %s"  # noqa: S608
    rows = [
        [column.get_db_prep_save(getattr(member, column.attname), connection) for column in columns] + [member.pk]
        for member in members
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _mark_removed(gone: list[Member], actor: Actor, now: datetime) -> int:
    """Plex no longer lists their access: removed, unless they changed since the snapshot."""
    with transaction.atomic():
        current = dict(
            Member.objects.filter(pk__in=[member.pk for member in gone], status=Status.ACTIVE)
            .select_for_update()
            .values_list("pk", "updated_at")
        )
        removed = [member for member in gone if current.get(member.pk) == member.updated_at]
        if not removed:
            return 0
        Member.objects.filter(pk__in=[member.pk for member in removed]).update(
            status=Status.REMOVED, removed_at=now, reason=REMOVED_IN_PLEX, updated_at=now
        )
        AuditEvent.objects.bulk_create(audit.entry(actor, "member.removed_in_plex", member) for member in removed)
        for member in removed:
            # Queries only for the few members with an account of their own (user_id).
            disable_invites_of_departed(member, actor=actor)
            member.status, member.removed_at, member.reason, member.updated_at = (
                Status.REMOVED,
                now,
                REMOVED_IN_PLEX,
                now,
            )
            notify.member_removed_in_plex(member)
    return len(removed)


def sync_server(server: MediaServer, *, actor: Actor, import_friends: bool = False) -> SyncOutcome:
    return sync_servers([server], actor=actor, import_friends=import_friends)


def sync_servers(servers: Iterable[MediaServer], *, actor: Actor, import_friends: bool = False) -> SyncOutcome:
    now = timezone.now()
    servers = list(servers)
    snapshots = {
        server.pk: list(Member.objects.filter(server=server, status__in=(Status.PENDING, Status.ACTIVE)))
        for server in servers
    }
    # Every list first: if any server fails to answer, nobody anywhere changes.
    answers = {server.pk: read_users(server, libraries=import_friends) for server in servers}
    total = SyncOutcome()
    for server in servers:
        users = answers[server.pk]
        total.add(apply_users(server, users, snapshots[server.pk], actor=actor, now=now))
        if import_friends:
            total.imported += len(import_users(server, users, actor=actor))
    if actor.kind != Actor.job("sync").kind or total.updated or total.removed or total.imported:
        # The scheduled sync runs every 15 minutes; an unchanged result is not worth a row.
        audit.record(actor, "members.sync", updated=total.updated, removed=total.removed, imported=total.imported)
    return total


def sync_now(*, actor: Actor, import_friends: bool = False) -> SyncOutcome:
    """Sync every server (``POST /api/users/sync``, ``guestlist sync``, the job), then read
    who watched when (a failed read there is recorded, not raised: the users are synced)."""
    servers = list(MediaServer.objects.all())
    outcome = sync_servers(servers, actor=actor, import_friends=import_friends)
    seen = activity.refresh_all(servers)
    outcome.seen, outcome.seen_failed = seen.updated, seen.failed
    return outcome


def sync_job() -> str:
    outcome = sync_now(actor=Actor.job("sync"))
    # The settings page's "last checked" should never be older than one sync, so an owner
    # learns of a revoked token or an unreachable server without pressing "Check now".

    for server in MediaServer.objects.all():
        notify.check_health(server)
    return str(outcome)


# Importing people who were given access before Guestlist (or by hand in Plex).


def importable(server: MediaServer, users: list[PlexUser]) -> list[PlexUser]:
    """Plex users with access to the server whom no member currently stands for."""
    held = list(Member.objects.filter(server=server, status__in=HELD))
    found = []
    for user in users:
        if user.managed or not (user.share_id is not None or user.home):
            continue
        if any(match(member, [user]) is not None for member in held):
            continue
        found.append(user)
    return found


def importable_friends(server: MediaServer) -> list[PlexUser]:
    return importable(server, read_users(server))


def import_users(
    server: MediaServer,
    users: list[PlexUser],
    *,
    actor: Actor,
    plex_ids: set[int] | None = None,
    expires_at: datetime | None = None,
) -> list[Member]:
    """Make members of importable users (all, or those in ``plex_ids``).

    Someone who was a member before (removed or expired, then given access again by hand)
    gets their old row back, so their history stays in one place.
    """
    imported = []
    for user in importable(server, users):
        if plex_ids is not None and user.id not in plex_ids:
            continue
        member = match_any(server, user) or Member(server=server, person_key=f"plex:{user.id}")
        if member.pk is None:
            # Already a member on another server: the same person, one more server.
            member.primary = Member.objects.filter(plex_id=user.id, primary__isnull=True).exclude(server=server).first()
        member.status = Status.ACTIVE
        member.reason = IMPORTED
        member.is_home = user.home
        member.removed_at = None
        member.expires_at = expires_at
        member.expiry_warned_at = None
        try:
            with transaction.atomic():
                if member.pk is not None:
                    member.save()
                apply_plex_user(member, user)
                audit.record(actor, "member.import", member, plex_id=user.id)
        except IntegrityError:
            logger.info("Plex user %s became a member while being imported; skipped.", user.id)
            continue
        imported.append(member)
    return imported


def match_any(server: MediaServer, user: PlexUser) -> Member | None:
    """Any member row of this person on the server, whatever its state."""
    by_id = Member.objects.filter(server=server, plex_id=user.id).order_by("-created_at").first()
    if by_id is not None:
        return by_id
    if not user.email:
        return None
    return Member.objects.filter(server=server, email__iexact=user.email).order_by("-created_at").first()


def import_chosen(
    plex_ids: list[int], *, actor: Actor, expires_at: datetime | None = None, server: MediaServer | None = None
) -> list[Member]:
    """``POST /api/users/import``: import the chosen Plex users of the (only) server."""
    if not plex_ids:
        raise Invalid("Name at least one Plex user to import (plex_ids).")
    servers = [server] if server is not None else list(MediaServer.objects.all())
    wanted = set(plex_ids)
    imported: list[Member] = []
    for each in servers:
        imported += import_users(each, read_users(each), actor=actor, plex_ids=wanted, expires_at=expires_at)
    return imported
