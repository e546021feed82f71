"""Failed sign-ins slow down and then lock, per account and per address.

Only wrong passwords and wrong second-factor codes count. After ``SLOW_AFTER`` failures
each further attempt must wait a little longer (1, 2, 4 … up to 60 seconds); at
``LOCK_AFTER`` failures the account (or the address) is locked for ``LOCK_FOR``. A
success clears the account's count; failures older than ``FORGET_AFTER`` are forgotten.
Passkeys are not locked: they cannot be guessed, so a locked owner still gets in with one
(and ``guestlist admin reset-password`` clears the lock).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from guestlist.accounts.models import SignInFailures
from guestlist.accounts.services import login_limit_key
from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.notifications import notify


@dataclass(frozen=True)
class Policy:
    slow_after: int
    lock_after: int


ACCOUNT = Policy(slow_after=3, lock_after=10)
# An address may try several accounts (a household behind one NAT): a little more room.
ADDRESS = Policy(slow_after=5, lock_after=20)
LOCK_FOR = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)
MAX_DELAY_SECONDS = 60


@dataclass(frozen=True)
class Refusal:
    locked: bool
    retry_after: int


def account_key(username: str) -> str:
    # Unknown names count too, so the answer never tells which accounts exist; names are
    # folded as the sign-in form and the rate limit fold them.
    return "account:" + login_limit_key(username)


def address_key(ip: str) -> str:
    return "address:" + ip[:64]


def _policy(key: str) -> Policy:
    return ACCOUNT if key.startswith("account:") else ADDRESS


def _delay(failures: int, policy: Policy) -> int:
    if failures < policy.slow_after:
        return 0
    return int(min(MAX_DELAY_SECONDS, 2 ** (failures - policy.slow_after)))


def check(*keys: str, now: datetime | None = None) -> Refusal | None:
    """Whether an attempt may be made now for these keys (None: go ahead)."""
    now = now or timezone.now()
    worst: Refusal | None = None
    for row in SignInFailures.objects.filter(key__in=keys):
        if now - row.last_failure_at > FORGET_AFTER and not (row.locked_until and row.locked_until > now):
            continue
        if row.locked_until and row.locked_until > now:
            refusal = Refusal(True, _seconds(row.locked_until - now))
        else:
            wait_until = row.last_failure_at + timedelta(seconds=_delay(row.failures, _policy(row.key)))
            if wait_until <= now:
                continue
            refusal = Refusal(False, _seconds(wait_until - now))
        if worst is None or (refusal.locked, refusal.retry_after) > (worst.locked, worst.retry_after):
            worst = refusal
    return worst


def _seconds(delta: timedelta) -> int:
    return max(1, int(delta.total_seconds() + 0.999))


def record_failure(*keys: str, actor: Actor, kind: str, now: datetime | None = None) -> Refusal | None:
    """Count one failed attempt against each key; a key that reaches its limit is locked
    (audited as ``admin.sign_in_locked``). Returns how long the next attempt must wait."""
    now = now or timezone.now()
    for key in keys:
        policy = _policy(key)
        with transaction.atomic():
            row = SignInFailures.objects.select_for_update().filter(key=key).first()
            if row is None:
                try:
                    with transaction.atomic():
                        SignInFailures.objects.create(key=key, failures=1, last_failure_at=now)
                except IntegrityError:
                    SignInFailures.objects.filter(key=key).update(failures=F("failures") + 1, last_failure_at=now)
                continue
            expired_lock = row.locked_until is not None and row.locked_until <= now
            if expired_lock or now - row.last_failure_at > FORGET_AFTER:
                row.failures, row.locked_until = 0, None
            row.failures += 1
            row.last_failure_at = now
            newly_locked = row.failures >= policy.lock_after and row.locked_until is None
            if newly_locked:
                row.locked_until = now + LOCK_FOR
            row.save(update_fields=["failures", "last_failure_at", "locked_until"])
            if newly_locked:
                minutes = int(LOCK_FOR.total_seconds() // 60)
                audit.record(
                    actor,
                    "admin.sign_in_locked",
                    label=key,
                    subject=key.split(":", 1)[0],
                    failures=row.failures,
                    attempt=kind,
                    minutes=minutes,
                )
                notify.admin_sign_in_locked(key, failures=row.failures, attempt=kind, minutes=minutes)
    return check(*keys, now=now)


def clear(*keys: str) -> None:
    SignInFailures.objects.filter(key__in=keys).delete()


def prune(now: datetime | None = None) -> int:
    now = now or timezone.now()
    stale = SignInFailures.objects.filter(last_failure_at__lt=now - FORGET_AFTER).exclude(locked_until__gt=now)
    return int(stale.delete()[0])


def sign_in_actor(ip: str) -> Actor:
    """Failed attempts are nobody's yet: the audit names the address."""
    try:
        address: str | None = str(ipaddress.ip_address(ip))
    except ValueError:
        address = None
    return Actor(Actor.system().kind, "sign-in", None, address)
