"""An invite as the API shows it; webhooks and notifications carry the same shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from guestlist.invites import status
from guestlist.invites.models import Invite
from guestlist.invites.qr import invite_url
from guestlist.plex.libraries import selection_as_api


def trial_as_api(days: int | None) -> str | int:
    return "inherit" if days is None else ("none" if days == 0 else days)


def invite_as_api(invite: Invite, *, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    invite_badges = status.badges(invite, now)
    return {
        "id": invite.pk,
        "code": invite.code,
        "url": invite_url(invite.code),
        "description": invite.description,
        "created_at": invite.created_at,
        "updated_at": invite.updated_at,
        "created_by": invite.created_by_label,
        "server_id": invite.server_id,
        "expires_at": invite.expires_at,
        "usage_limit": invite.usage_limit,
        "used_count": invite.used_count,
        "user_expires_in_days": invite.user_expires_in_days,
        "allow_sync": invite.allow_sync,
        "allow_channels": invite.allow_channels,
        "allow_camera_upload": invite.allow_camera_upload,
        "plex_home": invite.plex_home,
        "libraries": selection_as_api(invite.libraries),
        "content_limits": invite.content_limits or {},
        "is_active": invite.is_active,
        "badges": invite_badges,
        "status": invite_badges[0],
        "streamarr_status": status.streamarr_status(invite, now),
        "trial": trial_as_api(invite.trial_days),
        "step_set_id": invite.step_set_id,
        "discord_gate": invite.discord_gate,
        "discord_role_ids": list(invite.discord_role_ids),
        # Every server the invite shares, the first one being server_id + libraries above.
        "servers": [
            {"server_id": invite.server_id, "libraries": selection_as_api(invite.libraries)},
            *(
                {"server_id": row.server_id, "libraries": selection_as_api(row.libraries)}
                for row in invite.more_servers()
            ),
        ],
    }
