"""Per-client rate limits kept in the database, so they hold across processes and instances."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.http import HttpRequest


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


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many requests; try again in {retry_after} s.")
        self.retry_after = retry_after


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR was already replaced by the proxy-aware WSGI wrapper when the peer is trusted.
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def hit(limit: Limit, subject: str, *, now: float | None = None) -> Verdict:
    """Count one request of ``subject`` against ``limit`` in the current fixed window."""
    if not settings.RATE_LIMITS_ENABLED:
        return Verdict(True, 0)
    moment = time.time() if now is None else now
    window_start = int(moment // limit.seconds) * limit.seconds
    key = f"{limit.name}:{subject}"
    with connection.cursor() as cursor:
        # One statement: the increment and the read cannot interleave with another process.
        cursor.execute(
            "INSERT INTO core_ratelimithit (key, window_start, count) VALUES (%s, %s, 1) "
            "ON CONFLICT (key, window_start) DO UPDATE SET count = core_ratelimithit.count + 1 "
            "RETURNING count",
            [key, window_start],
        )
        row = cursor.fetchone()
    count = int(row[0]) if row else 1
    retry_after = max(1, int(window_start + limit.seconds - moment + 0.999))
    return Verdict(count <= limit.count, retry_after)


def enforce(limit: Limit, request: HttpRequest, *, subject: str | None = None) -> None:
    verdict = hit(limit, subject or client_ip(request))
    if not verdict.allowed:
        raise RateLimited(verdict.retry_after)


def prune(*, older_than_seconds: int = 7200, now: float | None = None) -> int:
    moment = time.time() if now is None else now
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_ratelimithit WHERE window_start < %s", [int(moment - older_than_seconds)])
        return int(cursor.rowcount)
