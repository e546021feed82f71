"""The job runner's plain-SQL view of the database agrees with the Django code it stands in for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from guestlist.jobs import lease as django_lease
from guestlist.jobs.dbwindow import Database
from guestlist.jobs.runner import Lease, has_work
from guestlist.jobs.schedule import JOBS
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexwork.models import PlexOperation

pytestmark = pytest.mark.django_db(transaction=True)
JOB = {job.name: job for job in JOBS}


@pytest.fixture
def window() -> Iterator[Database]:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        db = Database(database_url=f"sqlite://{settings['NAME']}")
    else:
        db = Database(
            database_url=f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
        )
    yield db
    db.close()


def test_one_holder_at_a_time_and_django_sees_the_same_lease(window: Database) -> None:
    first, second = Lease(window, "host:1:1:1:a"), Lease(window, "host:1:2:2:b")
    assert first.acquire()
    assert not second.acquire()
    assert django_lease.current_holder() is None or django_lease.current_holder() == "host:1:1:1:a"
    assert not django_lease.acquire("host:1:3:3:c")
    assert first.acquire()  # renewing
    first.release()
    assert second.acquire()
    assert django_lease.acquire("host:1:2:2:b")


def test_a_lapsed_lease_can_be_taken(window: Database) -> None:
    assert Lease(window, "host:1:1:1:a").acquire()
    window.rows("UPDATE jobs_joblease SET expires_at = %s", [window.moment(datetime.now(UTC) - timedelta(seconds=1))])
    assert Lease(window, "host:1:2:2:b").acquire()


def test_owed_plex_work_counts_as_work_unless_a_live_process_holds_it(window: Database, server: MediaServer) -> None:
    now = timezone.now()
    member = Member.objects.create(server=server, person_key="email:a@example.com", email="a@example.com")
    assert not has_work(window, JOB["plex_operations"], now)
    op = PlexOperation.objects.create(kind="share", server=server, member=member, next_attempt_at=now + timedelta(1))
    assert not has_work(window, JOB["plex_operations"], now), "not due yet"
    PlexOperation.objects.filter(pk=op.pk).update(next_attempt_at=now - timedelta(seconds=5))
    assert has_work(window, JOB["plex_operations"], now)
    from guestlist.lib import liveness

    PlexOperation.objects.filter(pk=op.pk).update(
        locked_until=now + timedelta(minutes=1), locked_by=liveness.identity()
    )
    assert not has_work(window, JOB["plex_operations"], now), "held by this very (live) process"
    PlexOperation.objects.filter(pk=op.pk).update(locked_until=now - timedelta(seconds=1))
    assert has_work(window, JOB["plex_operations"], now), "its lock lapsed"
    PlexOperation.objects.filter(pk=op.pk).update(state="done")
    assert not has_work(window, JOB["plex_operations"], now)


def test_expiry_has_work_when_someone_is_due_or_due_a_warning(window: Database, server: MediaServer) -> None:
    now = timezone.now()
    member = Member.objects.create(
        server=server, person_key="email:b@example.com", status="active", expires_at=now + timedelta(days=30)
    )
    assert not has_work(window, JOB["expiry"], now)
    Member.objects.filter(pk=member.pk).update(expires_at=now + timedelta(days=3))
    assert has_work(window, JOB["expiry"], now), "inside the seven-day warning window"
    Member.objects.filter(pk=member.pk).update(expiry_warned_at=now)
    assert not has_work(window, JOB["expiry"], now), "already warned"
    Member.objects.filter(pk=member.pk).update(expires_at=now - timedelta(minutes=1))
    assert has_work(window, JOB["expiry"], now), "due"
    Member.objects.filter(pk=member.pk).update(status="expired")
    assert not has_work(window, JOB["expiry"], now)


def test_sync_has_work_once_a_server_is_connected(window: Database, db: None) -> None:
    assert not has_work(window, JOB["sync"], timezone.now())
    MediaServer.objects.create(name="x", base_url="http://x", admin_token_encrypted="x", machine_identifier="m")
    assert has_work(window, JOB["sync"], timezone.now())


def test_deliveries_have_work_when_one_is_due_and_nobody_live_holds_it(window: Database, owner: object) -> None:
    from guestlist.lib import liveness
    from guestlist.notifications.models import Delivery

    now = timezone.now()
    assert not has_work(window, JOB["deliveries"], now)
    delivery = Delivery.objects.create(
        mail_kind="test",
        recipient="a@example.com",
        next_attempt_at=now + timedelta(minutes=1),
        give_up_at=now + timedelta(1),
    )
    assert not has_work(window, JOB["deliveries"], now), "not due yet"
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now - timedelta(seconds=1))
    assert has_work(window, JOB["deliveries"], now)
    Delivery.objects.filter(pk=delivery.pk).update(
        locked_until=now + timedelta(minutes=1), locked_by=liveness.identity()
    )
    assert not has_work(window, JOB["deliveries"], now), "held by this very (live) process"
    Delivery.objects.filter(pk=delivery.pk).update(locked_until=None, status="succeeded")
    assert not has_work(window, JOB["deliveries"], now)


def test_the_inactivity_rule_counts_as_work_only_while_it_is_on(window: Database) -> None:
    from guestlist.core.models import SiteSettings

    SiteSettings.load()
    now = timezone.now()
    assert not has_work(window, JOB["inactivity"], now)
    SiteSettings.objects.filter(pk=1).update(inactivity_enabled=True)
    assert has_work(window, JOB["inactivity"], now)
