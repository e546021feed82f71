"""Per-client rate limits kept in the database, so they hold across processes and instances."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.http import HttpRequest

from guestlist.core.errors import TooManyRequests


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int


VALIDATE = Limit("validate", 30, 60)
REDEEM = Limit("redeem", 10, 60)
OAUTH_START = Limit("oauth_start", 10, 60)
PIN_POLL = Limit("pin_poll", 120, 60)
LOGIN = Limit("login", 10, 60)
# Per account name, whatever the address: slows guessing one member's password from many IPs.
LOGIN_USER = Limit("login_user", 10, 900)
EXTENSION_REQUEST = Limit("extension_request", 3, 3600)
# Invite mails an admin or member may send: enough for a batch, not for spam.
INVITE_MAIL = Limit("invite_mail", 30, 3600)
# The signed links in mails (opt-out, re-invite request), per address.
MAIL_LINK = Limit("mail_link", 20, 60)
# Asking for an invite on /request: per client address, and per e-mail address typed (issue 22).
INVITE_REQUEST = Limit("invite_request", 5, 3600)
INVITE_REQUEST_EMAIL = Limit("invite_request_email", 3, 3600)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int


class RateLimited(TooManyRequests):
    """A public endpoint asked too often: a ServiceError like any refusal (429 ``rate_limited``)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many requests. Try again in {retry_after} seconds.", retry_after=retry_after)


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR was already replaced by the proxy-aware WSGI wrapper when the peer is trusted.
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def hit(limit: Limit, subject: str, *, now: float | None = None) -> Verdict:
    """Count one request of ``subject`` against ``limit`` over a sliding window.

    Fixed windows would let a client send the whole allowance at the end of one window and
    again at the start of the next. The previous window's count, weighted by how much of it
    still lies inside the last ``limit.seconds``, closes that gap (the usual approximation of
    a sliding log at the cost of one row per window).
    """
    if not settings.RATE_LIMITS_ENABLED:
        return Verdict(True, 0)
    moment = time.time() if now is None else now
    window_start = int(moment // limit.seconds) * limit.seconds
    key = f"{limit.name}:{subject}"
    with connection.cursor() as cursor:
        # One statement: the increment and the reads cannot interleave with another process.
        cursor.execute(
            "INSERT INTO core_ratelimithit (key, window_start, count) VALUES (%s, %s, 1) "
            "ON CONFLICT (key, window_start) DO UPDATE SET count = core_ratelimithit.count + 1 "
            "RETURNING count, (SELECT previous.count FROM core_ratelimithit AS previous "
            "WHERE previous.key = %s AND previous.window_start = %s)",
            [key, window_start, key, window_start - limit.seconds],
        )
        row = cursor.fetchone()
    count = int(row[0]) if row else 1
    previous = int(row[1]) if row and row[1] is not None else 0
    elapsed = (moment - window_start) / limit.seconds
    if count + previous * (1 - elapsed) <= limit.count:
        return Verdict(True, 0)
    if count > limit.count or previous == 0:
        wait_until: float = window_start + limit.seconds
    else:
        # When the previous window's share has faded enough to let this request through.
        wait_until = window_start + limit.seconds * (1 - (limit.count - count) / previous)
    return Verdict(False, max(1, int(wait_until - moment + 0.999)))


def enforce(limit: Limit, request: HttpRequest, *, subject: str | None = None) -> None:
    verdict = hit(limit, subject or client_ip(request))
    if not verdict.allowed:
        raise RateLimited(verdict.retry_after)


def prune(*, older_than_seconds: int = 7200, now: float | None = None) -> int:
    moment = time.time() if now is None else now
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_ratelimithit WHERE window_start < %s", [int(moment - older_than_seconds)])
        return int(cursor.rowcount)
