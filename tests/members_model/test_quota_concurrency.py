"""Two (or more) creates at the same moment cannot exceed a quota: real threads, real
connections, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from guestlist.core.errors import ServiceError
from guestlist.invites.models import Invite
from guestlist.members import permissions, self_service
from tests.members_model.conftest import MakeMember, site

ATTEMPTS = 8


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_stop_exactly_at_the_quota(make_member: MakeMember) -> None:
    site(default_quota_limit=3, default_quota_days=30)
    alice = make_member("alice", perms=[permissions.CREATE_INVITES])
    start = threading.Barrier(ATTEMPTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        try:
            caller = permissions.caller_for(alice.user)
            start.wait()
            self_service.create_invite(caller, {})
            outcome = "created"
        except ServiceError as exc:
            outcome = exc.code
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert Counter(outcomes) == {"created": 3, "quota_exceeded": ATTEMPTS - 3}
    assert Invite.objects.filter(created_by=alice.user).count() == 3
