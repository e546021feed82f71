"""One job runner at a time, across every instance that shares the database."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from guestlist.jobs.models import JobLease
from guestlist.lib import liveness

LEASE_NAME = "runner"
LEASE_SECONDS = 30


def new_holder_id() -> str:
    return f"{liveness.identity()}:{uuid.uuid4().hex[:8]}"


def acquire(holder: str, *, seconds: int = LEASE_SECONDS, name: str = LEASE_NAME) -> bool:
    """Take or renew the lease; True while ``holder`` owns it.

    A conditional UPDATE decides between competing runners: only a row that is free,
    expired, already ours, or held by a process known to be dead matches, so two runners
    can never both see success.
    """
    now = timezone.now()
    until = now + timedelta(seconds=seconds)
    free = Q(holder=holder) | Q(holder="") | Q(expires_at__isnull=True) | Q(expires_at__lt=now)
    current = JobLease.objects.filter(name=name).values_list("holder", flat=True).first()
    if current and current != holder and liveness.is_gone(current):
        # Killed without a chance to let go (SIGKILL, OOM): no need to wait out its lease.
        free |= Q(holder=current)
    taken = JobLease.objects.filter(name=name).filter(free).update(holder=holder, expires_at=until)
    if taken:
        return True
    if current is not None:
        return False
    try:
        with transaction.atomic():
            JobLease.objects.create(name=name, holder=holder, expires_at=until)
    except IntegrityError:
        return False
    return True


def release(holder: str, *, name: str = LEASE_NAME) -> None:
    JobLease.objects.filter(name=name, holder=holder).update(holder="", expires_at=None)


def current_holder(*, name: str = LEASE_NAME) -> str | None:
    lease = JobLease.objects.filter(name=name, expires_at__gt=timezone.now()).first()
    if lease is None or not lease.holder or liveness.is_gone(lease.holder):
        return None
    return lease.holder
