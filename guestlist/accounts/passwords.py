"""Changing an admin's password, and the machine owner's way back in from the command line."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from guestlist.accounts import factors, lockout, sessions
from guestlist.accounts.services import login_limit_key
from guestlist.core import audit, ratelimit
from guestlist.core.audit import Actor
from guestlist.core.errors import Invalid, NotFound
from guestlist.core.models import RateLimitHit


def _check(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise Invalid(" ".join(exc.messages), details={"password": exc.messages}) from exc


def change_password(user: User, password: str, *, actor: Actor) -> None:
    """The admin's own change; the caller keeps its session and ends the others."""
    _check(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit.record(actor, "admin.password_changed", user)


def admin_named(username: str) -> User:
    user = User.objects.filter(username__iexact=username.strip(), is_staff=True).first()
    if user is None:
        raise NotFound(f"There is no admin named {username!r}.")
    return user


def reset_password(username: str, password: str, *, actor: Actor) -> User:
    """``guestlist admin reset-password``: a new password, the lock lifted, every session ended."""
    user = admin_named(username)
    _check(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        lockout.clear(lockout.account_key(user.get_username()))
        # The per-name rate limit too: the owner at the machine should not wait it out.
        RateLimitHit.objects.filter(key=f"{ratelimit.LOGIN_USER.name}:{login_limit_key(user.get_username())}").delete()
        audit.record(actor, "admin.password_reset", user)
    sessions.end_others(user, keep=None)
    return user


def reset_second_factor(username: str, *, actor: Actor) -> User:
    """``guestlist admin reset-2fa``: every factor removed (the lost phone), the lock lifted."""
    user = admin_named(username)
    factors.reset_second_factors(user, actor=actor)
    lockout.clear(lockout.account_key(user.get_username()))
    return user
