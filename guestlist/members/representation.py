"""A member as the API shows them; webhooks and notifications carry the same shape."""

from __future__ import annotations

from typing import Any

from guestlist.members.models import Member


def member_as_api(member: Member, *, message: str | None = None) -> dict[str, Any]:
    return {
        "id": member.pk,
        "email": member.email,
        "username": member.username,
        "plex_id": str(member.plex_id) if member.plex_id is not None else None,
        "thumb": member.thumb,
        "invite_id": member.invite_id,
        "created_at": member.created_at,
        "last_seen": member.last_seen,
        "last_title": member.last_title,
        "expires_at": member.expires_at,
        "is_active": member.status in ("pending", "active"),
        "status": member.status,
        "message": message or None,
        "server_id": member.server_id,
        "person_id": member.primary_id or member.pk,
        "discord": discord_account(member),
    }


def discord_account(member: Member) -> dict[str, Any] | None:
    """The Discord account a gated invite's sign-in tied to the member (issue 22): never a token."""
    if not member.discord_id:
        return None
    return {"id": member.discord_id, "username": member.discord_username, "left_at": member.discord_left_at}
