"""The one-time setup token that lets the first visitor create the owner."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.contrib.auth.models import User

from guestlist.accounts.services import create_admin
from guestlist.core.audit import Actor
from guestlist.core.errors import Gone
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


def create_owner(token: str, username: str, password: str, *, email: str, actor: Actor) -> User:
    """The setup link's one use: spend the token and create the owner in one transaction.

    The token is spent with one conditional UPDATE: of several requests racing with the same
    link, exactly one changes the row (PostgreSQL makes the others wait for its row lock, then
    re-read it; SQLite runs the transactions one after another), and only that one creates an
    account. A refused account (name taken, weak password) rolls the token back with it.
    """

    def spend_token() -> None:
        spent = (
            SiteSettings.objects.filter(pk=1, setup_token_hash=_digest(token))
            .exclude(setup_token_hash="")
            .update(setup_token_hash="")
        )
        if not spent or owner_exists():
            raise Gone("This setup link was used already.", code="setup_closed", status=403)

    return create_admin(username, password, email=email, actor=actor, claim=spend_token)


def close_setup() -> None:
    SiteSettings.objects.filter(pk=1).update(setup_token_hash="")
