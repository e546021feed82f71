"""Admins' signed-in sessions: listed per admin, ended one by one or everywhere.

Django keeps sessions in its own table (the database backend), keyed by an opaque key
with the user id inside the encoded data. ``AdminSession`` indexes them by admin, so
listing and ending them is one indexed query on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, User
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from guestlist.accounts.models import AdminSession
from guestlist.core.ratelimit import client_ip

# The session's sign-in method, for the list ("password", "password+totp", "passkey", "oidc"...).
METHOD_KEY = "signin_method"
# Writing "last seen" on every request would serialise SQLite's single writer.
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


def track(request: HttpRequest, user: AbstractBaseUser) -> None:
    """Called on every sign-in (``user_logged_in``): remember an admin's new session."""
    if not getattr(user, "is_staff", False):
        return
    if request.session.session_key is None:
        request.session.save()
    key = request.session.session_key
    if key is None:
        return
    AdminSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user_id": user.pk,
            "method": str(request.session.get(METHOD_KEY, ""))[:32],
            "ip": _ip_or_none(client_ip(request)),
            "user_agent": request.headers.get("User-Agent", "")[:255],
        },
    )


def _ip_or_none(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def forget(session_key: str | None) -> None:
    if session_key:
        AdminSession.objects.filter(session_key=session_key).delete()


def touch(request: HttpRequest) -> None:
    """Note that the session is in use, at most every few minutes."""
    key = request.session.session_key
    if not key or not cache.add(f"admin-session-seen:{key}", True, int(LAST_SEEN_RESOLUTION.total_seconds())):
        return
    AdminSession.objects.filter(session_key=key).update(last_seen_at=timezone.now())


@dataclass(frozen=True)
class SessionRow:
    id: int
    current: bool
    method: str
    ip: str | None
    user_agent: str
    created_at: datetime
    last_seen_at: datetime


def list_for(user: User, *, current_key: str | None) -> list[SessionRow]:
    """The admin's live sessions, the current one first; rows of ended sessions are pruned."""
    rows = list(AdminSession.objects.filter(user_id=user.pk))
    live = set(
        Session.objects.filter(
            session_key__in=[row.session_key for row in rows], expire_date__gt=timezone.now()
        ).values_list("session_key", flat=True)
    )
    gone = [row.pk for row in rows if row.session_key not in live]
    if gone:
        AdminSession.objects.filter(pk__in=gone).delete()
    result = [
        SessionRow(
            row.pk, row.session_key == current_key, row.method, row.ip, row.user_agent, row.created_at, row.last_seen_at
        )
        for row in rows
        if row.session_key in live
    ]
    return sorted(result, key=lambda row: (not row.current, -row.last_seen_at.timestamp()))


def end_others(user: User | AbstractBaseUser, *, keep: str | None) -> int:
    """Sign the admin out of every session but ``keep`` (None: all of them)."""
    with transaction.atomic():
        keys = list(AdminSession.objects.filter(user_id=user.pk).values_list("session_key", flat=True))
        ending = [key for key in keys if key != keep]
        Session.objects.filter(session_key__in=ending).delete()
        AdminSession.objects.filter(session_key__in=ending).delete()
    return len(ending)


def end_one(user: User, session_id: int) -> bool:
    row = AdminSession.objects.filter(user_id=user.pk, pk=session_id).first()
    if row is None:
        return False
    with transaction.atomic():
        Session.objects.filter(session_key=row.session_key).delete()
        row.delete()
    return True


def prune() -> int:
    """Rows whose session ended without a sign-out (expired, or deleted by a restore)."""
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    return int(AdminSession.objects.exclude(session_key__in=live).delete()[0])


def on_logged_in(sender: Any, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        track(request, user)


def on_logged_out(sender: Any, request: HttpRequest | None, user: AbstractBaseUser | None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        forget(request.session.session_key)
