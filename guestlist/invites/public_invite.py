"""What a redeemer may see about an invite: never the server's URL, never a token."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from guestlist.core.models import SiteSettings
from guestlist.invites import codes, status
from guestlist.invites.models import InviteServer
from guestlist.invites.redemption import MESSAGES
from guestlist.plex import content_options, libraries
from guestlist.plex.models import MediaServer


@dataclass(frozen=True)
class PublicInvite:
    valid: bool
    reason: str
    code: str = ""
    server_name: str | None = None
    library_titles: list[str] = field(default_factory=list)
    allow_sync: bool | None = None
    allow_channels: bool | None = None
    allow_camera_upload: bool | None = None
    plex_home: bool | None = None
    expires_at: datetime | None = None
    user_expires_in_days: int | None = None
    discord_gate: str = ""
    invite: InviteRow | None = None
    # The content limits in plain words ("films up to 12, TV shows up to TV-14"); "" for none.
    limits_words: str = ""
    # Streaming away from the owner's home (``remote_streaming``); None while unknown.
    remote_streaming: str | None = None

    @property
    def message(self) -> str:
        return "Invite code is valid" if self.valid else MESSAGES.get(self.reason, self.reason)

    def as_api(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"valid": self.valid, "reason": self.reason, "message": self.message}
        if self.server_name is not None:
            answer.update(
                server_name=self.server_name,
                libraries=self.library_titles,
                allow_sync=self.allow_sync,
                allow_channels=self.allow_channels,
                allow_camera_upload=self.allow_camera_upload,
                plex_home=self.plex_home,
                expires_at=self.expires_at,
                user_expires_in_days=self.user_expires_in_days,
                discord_gate=self.discord_gate,
                remote_streaming=self.remote_streaming,
            )
        return answer


# Since 2025 Plex lets a friend stream from outside the owner's home only when the owner has
# Plex Pass, or the friend pays for Plex's Remote Watch Pass. At the owner's home it is free.
REMOTE_INCLUDED = "included"  # the owner has Plex Pass: streaming from anywhere, at no cost
FRIEND_BUYS_REMOTE = "remote_watch_pass"  # away from the owner's home the friend needs the pass


def remote_streaming(owner_plex_pass: bool | None) -> str | None:
    """Which rule applies to a server, from the owner's subscription as plex.tv reports it."""
    if owner_plex_pass is None:
        return None
    return REMOTE_INCLUDED if owner_plex_pass else FRIEND_BUYS_REMOTE


@dataclass(frozen=True)
class InviteRow:
    """The columns of an invite that public pages need (and the status functions read)."""

    id: int
    code: str
    is_active: bool
    expires_at: datetime | None
    usage_limit: int | None
    used_count: int
    allow_sync: bool
    allow_channels: bool
    allow_camera_upload: bool
    plex_home: bool
    libraries: str
    user_expires_in_days: int | None
    server_id: int
    updated_at: datetime
    server_name: str
    discord_gate: str
    discord_role_ids: list[str]
    owner_plex_pass: bool | None = None
    # Further servers (issue 20 §3): counted in the same query, read only when there are any.
    extra_servers: int = 0
    content_limits: Any = None
    step_set_id: int | None = None
    description: str = ""

    @property
    def pk(self) -> int:
        return self.id


_ROW_SQL = (
    "SELECT i.id, i.code, i.is_active, i.expires_at, i.usage_limit, i.used_count, i.allow_sync, "
    "i.allow_channels, i.allow_camera_upload, i.plex_home, i.libraries, i.user_expires_in_days, "
    "i.server_id, i.updated_at, s.name, i.discord_gate, i.discord_role_ids, s.owner_plex_pass, "
    "(SELECT COUNT(*) FROM invites_inviteserver x WHERE x.invite_id = i.id), i.content_limits, i.step_set_id, "
    "i.description FROM invites_invite i "
    "JOIN plex_mediaserver s ON s.id = i.server_id WHERE i.code = %s"
)


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive UTC datetimes for raw queries; PostgreSQL aware ones.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def invite_row(code: str) -> InviteRow | None:
    """One hand-written query for the hot public paths (validate, the invite page): building
    the same query through the ORM costs several times more than running it."""
    if not codes.looks_like_code(code):
        return None
    with connection.cursor() as cursor:
        cursor.execute(_ROW_SQL, [codes.normalize(code)])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    values[2], values[6], values[7], values[8], values[9] = (bool(values[i]) for i in (2, 6, 7, 8, 9))
    values[3], values[13] = _aware(values[3]), _aware(values[13])
    # JSON columns come back as text from a raw query (SQLite and PostgreSQL's json alike).
    roles = json.loads(values[16]) if isinstance(values[16], str) else values[16]
    values[16] = [str(role) for role in roles or []]
    values[17] = None if values[17] is None else bool(values[17])
    if isinstance(values[19], str):
        # SQLite hands JSON back as text; PostgreSQL's driver decodes it already.
        values[19] = json.loads(values[19])
    return InviteRow(*values)


def describe(code: str) -> PublicInvite:
    invite = invite_row(code)
    if invite is None:
        return PublicInvite(False, "not_found" if MediaServer.objects.exists() else "not_configured")
    now = timezone.now()
    reason = status.unusable_reason(invite, now)
    if reason is None and not SiteSettings.current().signup_enabled:
        reason = "signup_disabled"
    names, titles = [invite.server_name], list(libraries.titles(invite.libraries, invite.server_id))
    # Most invites name one server: no second query, and no ORM query built for nothing
    # (building one costs this hot path more than running the row's own).
    extra = (
        InviteServer.objects.filter(invite_id=invite.id).values_list("server__name", "libraries", "server_id")
        if invite.extra_servers
        else ()
    )
    for name, selection, server_id in extra:
        # An invite for several servers ("4K + HD") names each, and each one's libraries.
        names.append(name)
        titles += [f"{title} ({name})" for title in libraries.titles(selection, server_id)]
    return PublicInvite(
        valid=reason is None,
        reason=reason or "ok",
        code=invite.code,
        server_name=" + ".join(names),
        library_titles=titles,
        allow_sync=invite.allow_sync,
        allow_channels=invite.allow_channels,
        allow_camera_upload=invite.allow_camera_upload,
        plex_home=invite.plex_home,
        expires_at=invite.expires_at,
        user_expires_in_days=invite.user_expires_in_days,
        discord_gate=invite.discord_gate,
        invite=invite,
        limits_words=content_options.words(invite.content_limits) if invite.content_limits else "",
        remote_streaming=remote_streaming(invite.owner_plex_pass),
    )
