"""The invite and member searches read SQLite's trigram index for three characters or more, and
find exactly what the scan finds; triggers keep the index current; a lost trigger comes back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from guestlist.core.audit import Actor
from guestlist.invites import search_index
from guestlist.invites.models import Invite
from guestlist.invites.services import InviteQuery, create_invite, list_invites
from guestlist.members.models import Member
from guestlist.members.services import MemberQuery, list_members
from guestlist.plex.models import MediaServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def sqlite_only() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's FTS5 index; PostgreSQL has trigram indexes instead")


def invite(description: str) -> Invite:
    return create_invite({"description": description, "libraries": "all"}, actor=Actor.system())


def found(term: str) -> set[int]:
    return {item.pk for item in list_invites(InviteQuery(search=term, page_size=200)).items}


def scanned(term: str, monkeypatch: pytest.MonkeyPatch) -> set[int]:
    with monkeypatch.context() as patched:
        patched.setattr(search_index, "fts_ready", lambda connection=None: False)
        return found(term)


@pytest.mark.usefixtures("sqlite_only")
def test_the_members_search_finds_with_the_index_what_the_scan_finds(
    server: MediaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = Member.objects.create(
        server=server, person_key="email:reader@example.org", email="Reader@Example.org", username="BookWorm"
    )
    other = Member.objects.create(server=server, person_key="email:other@example.org", email="other@example.org")

    def members_found(term: str) -> set[int]:
        return {member.pk for member in list_members(MemberQuery(search=term, page_size=200)).items}

    for term, expected in {
        "reader@exa": {reader.pk},
        "bookworm": {reader.pk},
        "EXAMPLE": {reader.pk, other.pk},
        "er": {reader.pk, other.pk},
        "nobody": set(),
    }.items():
        with monkeypatch.context() as patched:
            patched.setattr(search_index, "fts_ready", lambda connection=None: False)
            scan = members_found(term)
        assert members_found(term) == scan == expected, term


@pytest.mark.usefixtures("sqlite_only")
def test_the_index_finds_what_the_scan_finds(server: MediaServer, monkeypatch: pytest.MonkeyPatch) -> None:
    club = invite("Book Club, Tuesdays")
    invite("Family")
    ümlaut = invite("Grüße an Öma")
    member_invite = invite("")
    Member.objects.create(
        server=server, person_key="email:reader@example.org", email="Reader@Example.org", invite=member_invite
    )
    Member.objects.create(server=server, person_key="email:reader2@example.org", email="reader2@example.org")
    assert search_index.fts_ready()
    cases: dict[str, Any] = {
        "book club": {club.pk},
        "CLUB": {club.pk},
        "reader@exa": {member_invite.pk},
        club.code[2:7].lower(): {club.pk},
        "grüße": {ümlaut.pk},
        'quote"s': set(),
    }
    for term, expected in cases.items():
        assert found(term) == scanned(term, monkeypatch) == expected, term


@pytest.mark.usefixtures("sqlite_only")
def test_triggers_keep_the_index_current(server: MediaServer) -> None:
    first = invite("Weekend movies")
    assert found("weekend") == {first.pk}
    Invite.objects.filter(pk=first.pk).update(description="Weekday movies")
    assert found("weekend") == set()
    assert found("weekday") == {first.pk}
    Invite.objects.filter(pk=first.pk).delete()
    assert found("weekday") == set()


def test_terms_shorter_than_a_trigram_still_find_by_scanning(server: MediaServer) -> None:
    gym = invite("Gym")
    invite("Family")
    assert found("gy") == {gym.pk}


@pytest.mark.usefixtures("sqlite_only")
def test_a_lost_trigger_comes_back_with_the_rows_written_meanwhile(server: MediaServer) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER invites_invite_fts_insert")
    unseen = invite("Written without a trigger")
    assert search_index.ensure_search_indexes() is True
    assert found("without a trigger") == {unseen.pk}
    later = invite("Written with the trigger back")
    assert found("trigger back") == {later.pk}


def test_ensuring_the_indexes_twice_changes_nothing(server: MediaServer) -> None:
    first = invite("Twice")
    assert search_index.ensure_search_indexes() is True
    assert search_index.ensure_search_indexes() is True
    assert found("twice") == {first.pk}


def test_a_missing_trigram_index_is_created_at_the_next_start_on_postgresql(server: MediaServer) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's pg_trgm indexes")
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX invite_description_trgm_idx")
    assert search_index.ensure_search_indexes() is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_indexes WHERE indexname = ANY(%s)", [list(search_index.PG_INDEXES)])
        assert cursor.fetchone()[0] == len(search_index.PG_INDEXES)


def test_a_search_lists_its_hits_newest_first_to_the_microsecond(server: MediaServer) -> None:
    # The search orders its hits by the creation time as the database writes it in text:
    # a whole second, a fraction of one and a tie must still come out as the list orders them.
    first, second, third, fourth = (invite(f"Ordered {number}") for number in range(4))
    on_the_second = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
    Invite.objects.filter(pk=first.pk).update(created_at=on_the_second)
    Invite.objects.filter(pk=second.pk).update(created_at=on_the_second + timedelta(microseconds=500_000))
    Invite.objects.filter(pk=third.pk).update(created_at=on_the_second)
    Invite.objects.filter(pk=fourth.pk).update(created_at=on_the_second + timedelta(microseconds=5))
    page = list_invites(InviteQuery(search="ordered"))
    assert [item.pk for item in page.items] == [second.pk, fourth.pk, third.pk, first.pk]
    assert [item.pk for item in page.items] == [
        item.pk for item in list_invites(InviteQuery(search="ordered", status="active")).items
    ]
