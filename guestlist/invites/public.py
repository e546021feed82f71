"""What a redeemer may see about an invite: never the server's URL, never a token."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from guestlist.core.models import SiteSettings
from guestlist.invites import status
from guestlist.invites.models import Invite
from guestlist.invites.redemption import MESSAGES
from guestlist.invites.services import find_by_code
from guestlist.plex import libraries
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
    invite: Invite | None = None

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
            )
        return answer


def read_site_settings() -> SiteSettings:
    """The owner's settings, never creating their row: public GETs write nothing."""
    return SiteSettings.objects.filter(pk=1).first() or SiteSettings(pk=1)


def reason_for(invite: Invite | None, site: SiteSettings, now: datetime) -> str:
    """``ok`` or why a redeemer cannot use this invite now (contract.md, validate reasons)."""
    if invite is None:
        return "not_found" if MediaServer.objects.exists() else "not_configured"
    reason = status.unusable_reason(invite, now)
    if reason is None and not site.signup_enabled:
        reason = "signup_disabled"
    return reason or "ok"


def describe(code: str) -> PublicInvite:
    invite = find_by_code(code)
    reason = reason_for(invite, read_site_settings(), timezone.now())
    if invite is None:
        return PublicInvite(False, reason)
    return PublicInvite(
        valid=reason == "ok",
        reason=reason,
        code=invite.code,
        server_name=str(invite.server.name),
        library_titles=libraries.titles(invite.libraries, invite.server),
        allow_sync=invite.allow_sync,
        allow_channels=invite.allow_channels,
        allow_camera_upload=invite.allow_camera_upload,
        plex_home=invite.plex_home,
        expires_at=invite.expires_at,
        user_expires_in_days=invite.user_expires_in_days,
        invite=invite,
    )
