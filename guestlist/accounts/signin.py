"""An admin's sign-in in steps: a first factor (password or Plex), then, when the admin has
one, a second factor; when the owner requires one and the admin has none, enrolment first.

Between the steps nobody is signed in: the session holds only who passed the first
factor, for a few minutes, and ``request.user`` stays anonymous, so neither the dashboard
nor the API can be reached half-way. Members sign in as before, in one step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.contrib.auth import login
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from guestlist.accounts import factors, lockout, sessions
from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.ratelimit import client_ip

PENDING_KEY = "admin_signin_pending"
PENDING_TTL_SECONDS = 600
BACKEND = "django.contrib.auth.backends.ModelBackend"
VERIFY, ENROL = "verify", "enrol"


@dataclass(frozen=True)
class Pending:
    user: User
    stage: str
    method: str
    landing: str


def complete(request: HttpRequest, user: User, *, method: str, backend: str = BACKEND) -> None:
    """Sign in for real: the session is cycled, tracked and named after how it was made."""
    request.session.pop(PENDING_KEY, None)
    request.session[sessions.METHOD_KEY] = method
    login(request, user, backend=backend)
    # The session is kept by ``login``'s signal; the method survives the key's cycling.
    if user.is_staff:
        lockout.clear(lockout.account_key(user.get_username()))


def after_first_factor(request: HttpRequest, user: User, *, method: str, landing: str) -> HttpResponse:
    """Where a person goes once their password or Plex account was accepted."""
    if not user.is_staff:
        complete(request, user, method=method)
        return redirect(landing)
    if factors.has_second_factor(user):
        stage = VERIFY
    elif factors.second_factor_required():
        stage = ENROL
    else:
        complete(request, user, method=method)
        return redirect(landing)
    # A fresh key: whatever an attacker planted in this browser's session before is gone.
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "stage": stage,
        "method": method,
        "landing": landing,
        "at": time.time(),
    }
    return redirect("login-second-factor" if stage == VERIFY else "login-enrol")


def pending(request: HttpRequest, stage: str) -> Pending | None:
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict) or data.get("stage") != stage:
        return None
    if time.time() - float(data.get("at", 0)) > PENDING_TTL_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user_id = data.get("user")
    user = User.objects.filter(pk=user_id, is_active=True, is_staff=True).first() if isinstance(user_id, int) else None
    if user is None:
        request.session.pop(PENDING_KEY, None)
        return None
    return Pending(user, stage, str(data.get("method", "")), str(data.get("landing", "")) or "/")


def require_verification(request: HttpRequest) -> None:
    """The pending admin has a factor now: the next step is using it."""
    data = request.session.get(PENDING_KEY)
    if isinstance(data, dict):
        request.session[PENDING_KEY] = {**data, "stage": VERIFY}


def finish_pending(request: HttpRequest, state: Pending, *, factor: str) -> HttpResponse:
    method = f"{state.method}+{factor}"
    audit.record(Actor.admin(state.user, client_ip(request)), "admin.second_factor", state.user, method=method)
    complete(request, state.user, method=method)
    return redirect(state.landing)
