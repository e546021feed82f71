"""The one-time setup token that lets the first visitor create the owner."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from guestlist.core.models import SiteSettings
from guestlist.core.services import owner_exists


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_setup_token() -> str | None:
    """A fresh token while no owner exists (the previous one stops working), else None."""
    if owner_exists():
        return None
    token = secrets.token_urlsafe(24)
    site = SiteSettings.load()
    site.setup_token_hash = _digest(token)
    site.save(update_fields=["setup_token_hash"])
    return token


def check_setup_token(token: str) -> bool:
    expected = SiteSettings.load().setup_token_hash
    return bool(token and expected) and hmac.compare_digest(expected, _digest(token))


def close_setup() -> None:
    SiteSettings.objects.filter(pk=1).update(setup_token_hash="")
