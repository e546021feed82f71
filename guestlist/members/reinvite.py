"""Re-inviting someone whose access ended: a personal, single-use invite with their old access.

The owner sends the link; redeeming it goes through the one redemption service, which finds
their old member row and brings it back (Komandorr's "re-invitation support"), so history
stays in one place and nobody gets access without saying yes on Plex.
"""

from __future__ import annotations

from django.contrib.auth.models import User

from guestlist.core.audit import Actor
from guestlist.core.errors import Conflict
from guestlist.invites.models import Invite
from guestlist.invites.services import create_invite
from guestlist.members.models import Member
from guestlist.plex.models import Library

REINVITE_VALID_DAYS = 14


def reinvite(member: Member, *, actor: Actor, created_by: User | None = None, description: str = "") -> Invite:
    if member.status in (Member.Status.PENDING, Member.Status.ACTIVE):
        raise Conflict(f"{member} still has access; there is nothing to re-invite.", code="already_member")
    present = set(Library.objects.filter(server=member.server, is_present=True).values_list("key", flat=True))
    keys = [key for key in (member.library_keys or []) if key in present]
    previous = member.invite
    data = {
        "server_id": member.server_id,
        "usage_limit": 1,
        "expires_in_days": REINVITE_VALID_DAYS,
        "user_expires_in_days": previous.user_expires_in_days if previous is not None else None,
        "allow_sync": member.allow_sync,
        "allow_channels": member.allow_channels,
        "allow_camera_upload": member.allow_camera_upload,
        "plex_home": member.is_home,
        "libraries": keys or "default",
        "content_limits": member.content_limits or {},
        "description": (description or f"Re-invite for {member}")[:500],
    }
    return create_invite(data, actor=actor, created_by=created_by)
