"""Admin accounts and API keys."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from guestlist.accounts.models import ApiKey
from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Conflict, Invalid

API_KEY_PREFIX = "gl_"
API_KEY_BODY_LENGTH = 40
LAST_USED_RESOLUTION_SECONDS = 300


def create_admin(username: str, password: str, *, email: str = "", actor: Actor | None = None) -> User:
    """Create an admin; the first one becomes the owner."""
    username = username.strip()
    if not username:
        raise Invalid("A username is required.")
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(f"An account named {username!r} already exists.", code="username_taken")
    candidate = User(username=username, email=email)
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        raise Invalid(" ".join(exc.messages), details={"password": exc.messages}) from exc
    with transaction.atomic():
        is_owner = not User.objects.filter(is_superuser=True).exists()
        user = User.objects.create_user(
            username=username, email=email, password=password, is_staff=True, is_superuser=is_owner
        )
        audit.record(actor or Actor.system(), "admin.create", user, owner=is_owner)
    return user


def remove_admin(user: User, *, actor: Actor) -> None:
    """Delete an admin account. The owner stays, and nobody removes themselves by accident.

    Their name survives in the audit log and on the invites they made (labels, not links).
    """
    if user.is_superuser:
        raise Conflict("The owner cannot be removed.", code="owner_account")
    if actor.user_id is not None and actor.user_id == user.pk:
        raise Conflict("You cannot remove your own account.", code="own_account")
    if not user.is_staff:
        raise Invalid(f"{user.get_username()} is not an admin.")
    with transaction.atomic():
        audit.record(actor, "admin.remove", user, label=user.get_username())
        user.delete()


def hash_api_key(key: str) -> str:
    # A plain SHA-256 is enough here: keys carry 240 random bits, so there is nothing to
    # brute-force, and lookups by hash stay a single indexed query.
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(name: str, *, created_by: User | None = None, actor: Actor | None = None) -> str:
    """Create a key and return it; only its hash is kept, so this is the one chance to see it."""
    name = name.strip()
    if not name:
        raise Invalid("An API key needs a name.")
    key = API_KEY_PREFIX + secrets.token_urlsafe(30)[:API_KEY_BODY_LENGTH]
    api_key = ApiKey.objects.create(
        name=name[:100], prefix=key[: len(API_KEY_PREFIX) + 6], key_hash=hash_api_key(key), created_by=created_by
    )
    audit.record(actor or Actor.system(), "apikey.create", api_key)
    return key


def authenticate_api_key(key: str) -> ApiKey | None:
    if not key.startswith(API_KEY_PREFIX) or len(key) > 200:
        return None
    api_key = ApiKey.objects.filter(key_hash=hash_api_key(key), revoked_at__isnull=True).first()
    if api_key is None:
        return None
    # Record use at a coarse resolution: a write per request would serialise every API
    # call on SQLite's single writer.
    if cache.add(f"apikey-used:{api_key.pk}", True, LAST_USED_RESOLUTION_SECONDS):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())
    return api_key


def revoke_api_key(api_key: ApiKey, *, actor: Actor) -> None:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit.record(actor, "apikey.revoke", api_key)
