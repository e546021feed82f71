"""Keeping members in step with Plex's own list of users.

Wizarr once deleted every user when Plex answered with an empty list (wizarr#1356). Here a
failed or empty answer changes nobody, and members whose invite is still pending are never
marked removed: plex.tv's user list leaves unaccepted invites out.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.members.models import Member
from guestlist.members.services import apply_plex_user
from guestlist.plex import services
from guestlist.plex.errors import PlexError
from guestlist.plex.models import MediaServer
from guestlist.plex.records import PlexUser

Status = Member.Status


@dataclass
class SyncOutcome:
    updated: int = 0
    removed: int = 0
    imported: int = 0

    def add(self, other: SyncOutcome) -> None:
        self.updated += other.updated
        self.removed += other.removed
        self.imported += other.imported

    def __str__(self) -> str:
        return f"{self.updated} updated, {self.removed} removed in Plex, {self.imported} imported"


def _match(member: Member, users: list[PlexUser]) -> PlexUser | None:
    email = member.email.lower()
    for user in users:
        if member.plex_id is not None and user.id == member.plex_id:
            return user
    for user in users:
        if email and user.email.lower() == email:
            return user
    return None


def sync_server(server: MediaServer, *, actor: Actor, import_friends: bool = False) -> SyncOutcome:
    users = services.gateway_for(server).users()  # raises on failure: then nobody changes
    outcome = SyncOutcome()
    members = list(Member.objects.filter(server=server, status__in=(Status.PENDING, Status.ACTIVE)))
    known_ids = set(Member.objects.filter(server=server, plex_id__isnull=False).values_list("plex_id", flat=True))
    known_emails = {email.lower() for email in Member.objects.filter(server=server).values_list("email", flat=True)}
    definite = bool(users)
    now = timezone.now()
    for member in members:
        user = _match(member, users)
        has_share = user is not None and (user.share_id is not None or (member.is_home and user.home))
        if has_share and user is not None:
            if apply_plex_user(member, user):
                outcome.updated += 1
            continue
        if member.status == Status.PENDING or not definite:
            continue
        with transaction.atomic():
            changed = Member.objects.filter(pk=member.pk, status=Status.ACTIVE).update(
                status=Status.REMOVED, removed_at=now, reason="removed in Plex", updated_at=now
            )
            if changed:
                audit.record(actor, "member.removed_in_plex", member)
                outcome.removed += 1
    if import_friends:
        for user in users:
            if user.share_id is None or user.id in known_ids or (user.email and user.email.lower() in known_emails):
                continue
            member = Member(
                server=server,
                person_key=f"plex:{user.id}",
                status=Status.ACTIVE,
                reason="imported from Plex",
            )
            member.is_home = user.home
            apply_plex_user(member, user)
            audit.record(actor, "member.import", member, plex_id=user.id)
            outcome.imported += 1
    return outcome


def importable_friends(server: MediaServer) -> list[PlexUser]:
    """Plex users who share the server but are not members yet (people invited by hand)."""
    users = services.gateway_for(server).users()
    known_ids = set(Member.objects.filter(server=server, plex_id__isnull=False).values_list("plex_id", flat=True))
    known_emails = {email.lower() for email in Member.objects.filter(server=server).values_list("email", flat=True)}
    return [
        user
        for user in users
        if user.share_id is not None
        and user.id not in known_ids
        and not (user.email and user.email.lower() in known_emails)
    ]


def sync_now(*, actor: Actor, import_friends: bool = False) -> SyncOutcome:
    """Sync every server; a server whose user list cannot be read changes nobody."""
    total = SyncOutcome()
    try:
        for server in MediaServer.objects.all():
            total.add(sync_server(server, actor=actor, import_friends=import_friends))
    except PlexError as exc:
        raise services.as_service_error(exc) from exc
    return total


def sync_job() -> str:
    return str(sync_now(actor=Actor.job("sync")))
