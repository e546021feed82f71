"""One job runner at a time, across every instance that shares the database."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from guestlist.jobs.models import JobLease

LEASE_NAME = "runner"
LEASE_SECONDS = 30


def new_holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire(holder: str, *, seconds: int = LEASE_SECONDS, name: str = LEASE_NAME) -> bool:
    """Take or renew the lease; True while ``holder`` owns it.

    A conditional UPDATE decides between competing runners: only a row that is free,
    expired or already ours matches, so two runners can never both see success.
    """
    now = timezone.now()
    until = now + timedelta(seconds=seconds)
    taken = (
        JobLease.objects.filter(name=name)
        .filter(Q(holder=holder) | Q(holder="") | Q(expires_at__isnull=True) | Q(expires_at__lt=now))
        .update(holder=holder, expires_at=until)
    )
    if taken:
        return True
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
    return lease.holder if lease and lease.holder else None
