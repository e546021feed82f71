"""Admin accounts and API keys."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Callable

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
from guestlist.core.models import SiteSettings

API_KEY_PREFIX = "gl_"
API_KEY_BODY_LENGTH = 40
LAST_USED_RESOLUTION_SECONDS = 300


def login_limit_key(username: str) -> str:
    """The name the per-account sign-in limit counts under.

    Django's sign-in form folds the typed name with NFKC before looking it up, so full-width
    or other compatibility spellings reach the same account; the limit folds the same way
    (and ignores case) so such spellings cannot each get a fresh allowance.
    """
    return unicodedata.normalize("NFKC", username).strip().casefold()[:150]


def create_admin(
    username: str,
    password: str,
    *,
    email: str = "",
    actor: Actor | None = None,
    claim: Callable[[], None] | None = None,
) -> User:
    """Create an admin; the first one becomes the owner.

    ``claim`` runs first inside the same transaction (the setup link spends its token
    there): when it raises, nothing is created and whatever it changed is rolled back.
    """
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
        if claim is not None:
            claim()
        # Deciding who is the owner takes the settings row's lock first (PostgreSQL; SQLite's
        # IMMEDIATE transactions are serial anyway), so two first admins made at the same
        # moment cannot both find no owner.
        list(SiteSettings.objects.select_for_update().filter(pk=1).values_list("pk", flat=True))
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
        revoke_keys_of(user, actor=actor, reason="admin removed")
        audit.record(actor, "admin.remove", user, label=user.get_username())
        user.delete()


def hash_api_key(key: str) -> str:
    # A plain SHA-256 is enough here: keys carry 240 random bits, so there is nothing to
    # brute-force, and lookups by hash stay a single indexed query.
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(name: str, *, created_by: User, actor: Actor | None = None) -> str:
    """Create a key and return it; only its hash is kept, so this is the one chance to see it.

    The key belongs to ``created_by`` and works only while that account is an active admin.
    """
    name = name.strip()
    if not name:
        raise Invalid("An API key needs a name.")
    if not (created_by.is_staff and created_by.is_active):
        raise Invalid(f"{created_by.get_username()} is not an admin; only admins own API keys.")
    key = API_KEY_PREFIX + secrets.token_urlsafe(30)[:API_KEY_BODY_LENGTH]
    api_key = ApiKey.objects.create(
        name=name[:100], prefix=key[: len(API_KEY_PREFIX) + 6], key_hash=hash_api_key(key), created_by=created_by
    )
    audit.record(actor or Actor.system(), "apikey.create", api_key)
    return key


def authenticate_api_key(key: str) -> ApiKey | None:
    if not key.startswith(API_KEY_PREFIX) or len(key) > 200:
        return None
    # A key acts for its admin: once they are gone, demoted or deactivated it is refused,
    # even if revoking it was missed (an account changed outside Guestlist).
    api_key = (
        ApiKey.objects.select_related("created_by")
        .filter(
            key_hash=hash_api_key(key),
            revoked_at__isnull=True,
            created_by__is_staff=True,
            created_by__is_active=True,
        )
        .first()
    )
    if api_key is None:
        return None
    # Record use at a coarse resolution: a write per request would serialise every API
    # call on SQLite's single writer.
    if cache.add(f"apikey-used:{api_key.pk}", True, LAST_USED_RESOLUTION_SECONDS):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())
    return api_key


def revoke_keys_of(user: User, *, actor: Actor, reason: str) -> int:
    """Revoke every live key of ``user`` (removed or no longer an admin), each audited."""
    keys = list(ApiKey.objects.filter(created_by=user, revoked_at__isnull=True))
    now = timezone.now()
    for api_key in keys:
        ApiKey.objects.filter(pk=api_key.pk).update(revoked_at=now)
        audit.record(actor, "apikey.revoke", api_key, reason=reason)
    return len(keys)


def revoke_api_key(api_key: ApiKey, *, actor: Actor) -> None:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit.record(actor, "apikey.revoke", api_key)
