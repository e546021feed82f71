"""Moving over from Wizarr: its boolean usage, libraries by plex.tv id then name, redeemers
from invitation_user (or, in older databases, user.code and used_by_id), Plex rows only, and
never a token."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from guestlist import cli
from guestlist.core.audit import Actor
from guestlist.core.models import AuditEvent
from guestlist.invites.models import Invite, Redemption
from guestlist.members.models import Member
from guestlist.plex.models import Library, MediaServer
from guestlist.plexsim import PlexSimulator
from guestlist.transfer.importer import run_import
from tests.conftest import MACHINE_ID
from tests.transfer.peers import wizarr_db

ACTOR = Actor.system()
ALICE_TOKEN = "alice-plain-text-plex-token-123"  # noqa: S105 - what Wizarr keeps, and we must drop


def global_id(server: MediaServer, title: str) -> int:
    found = Library.objects.get(server=server, title=title).global_id
    assert found is not None
    return found


def wizarr_tables(server: MediaServer, sim: PlexSimulator, *, old_layout: bool = False) -> dict[str, Any]:
    new = not old_layout
    invitation: list[dict[str, Any]] = [
        # Single use, redeemed by Alice; Movies by plex.tv id, "tv shows" by name only.
        {
            "id": 1,
            "code": "ALICE1",
            "used": 1,
            "used_at": "2026-02-02 12:00:00",
            "created": "2026-02-01 08:00:00",
            "expires": None,
            "unlimited": 0,
            "duration": "30",
            "plex_allow_sync": 1,
            "plex_home": 0,
            "plex_allow_channels": 0,
            "used_by_id": 1,
            "server_id": 1,
        },
        # Unlimited, redeemed by Alice's friends Bob and Carol, no libraries picked: every enabled one.
        {
            "id": 2,
            "code": "OPENDOOR",
            "used": 1,
            "used_at": "2026-03-03 12:00:00",
            "created": "2026-03-01 08:00:00",
            "expires": "2027-01-01 00:00:00",
            "unlimited": 1,
            "duration": "",
            "plex_allow_sync": 0,
            "plex_home": 0,
            "plex_allow_channels": 1,
            "used_by_id": None,
            "server_id": 1,
        },
        # Open and unused, with a library Wizarr knows and this server does not.
        {
            "id": 3,
            "code": "ANIME9",
            "used": 0,
            "used_at": None,
            "created": "2026-04-01 08:00:00",
            "expires": None,
            "unlimited": 0,
            "duration": "7",
            "plex_allow_sync": 0,
            "plex_home": 1,
            "plex_allow_channels": 0,
            "used_by_id": None,
            "server_id": 1,
        },
        # A Jellyfin invite: not ours to bring.
        {
            "id": 4,
            "code": "JELLY1",
            "used": 0,
            "used_at": None,
            "created": "2026-04-01 08:00:00",
            "expires": None,
            "unlimited": 0,
            "duration": "",
            "plex_allow_sync": 0,
            "plex_home": 0,
            "plex_allow_channels": 0,
            "used_by_id": None,
            "server_id": 2,
        },
        # Used once by someone Wizarr deleted since.
        {
            "id": 5,
            "code": "GONE55",
            "used": 1,
            "used_at": "2026-05-05 12:00:00",
            "created": "2026-05-01 08:00:00",
            "expires": None,
            "unlimited": 0,
            "duration": "",
            "plex_allow_sync": 0,
            "plex_home": 0,
            "plex_allow_channels": 0,
            "used_by_id": 99,
            "server_id": 1,
        },
    ]
    if new:
        invitation[0] |= {"allow_downloads": 1, "allow_live_tv": 0, "allow_mobile_uploads": 1}
        invitation[1] |= {"allow_downloads": 0, "allow_live_tv": 1, "allow_mobile_uploads": 0}
    user: list[dict[str, Any]] = [
        {
            "id": 1,
            "token": ALICE_TOKEN,
            "username": "alice",
            "email": "alice@example.com",
            "code": "ALICE1",
            "photo": "https://plex.tv/users/alice/avatar",
            "expires": "2026-03-04 12:00:00",
            "server_id": 1,
            "notes": "my sister",
            "is_disabled": 0,
        },
        {
            "id": 2,
            "token": "bob-token",
            "username": "bob",
            "email": "bob@example.com",
            "code": "OPENDOOR",
            "photo": "",
            "expires": None,
            "server_id": 1,
            "notes": "",
            "is_disabled": 0,
        },
        {
            "id": 3,
            "token": "carol-token",
            "username": "carol",
            "email": "carol@example.com",
            "code": "OPENDOOR",
            "photo": "",
            "expires": None,
            "server_id": 1,
            "notes": "",
            "is_disabled": 0,
        },
        {
            "id": 4,
            "token": "jf",
            "username": "jelly",
            "email": "jelly@example.com",
            "code": "JELLY1",
            "photo": "",
            "expires": None,
            "server_id": 2,
            "notes": "",
            "is_disabled": 0,
        },
    ]
    if new:
        for row in user:
            row["created_at"] = "2026-02-02 12:00:00"
    tables: dict[str, Any] = {
        "media_server": [
            {"id": 1, "name": "Home Plex", "server_type": "plex", "url": "http://plex:32400", "api_key": "SERVER-KEY"},
            {"id": 2, "name": "Jelly", "server_type": "jellyfin", "url": "http://jf:8096", "api_key": "JF-KEY"},
        ],
        "library": [
            {"id": 1, "external_id": str(global_id(server, "Movies")), "name": "Films", "enabled": 1, "server_id": 1},
            {"id": 2, "external_id": "999999", "name": "TV Shows", "enabled": 1, "server_id": 1},
            {"id": 3, "external_id": "888888", "name": "Anime", "enabled": 0, "server_id": 1},
            {"id": 4, "external_id": "abc", "name": "Movies", "enabled": 1, "server_id": 2},
        ],
        "invite_library": [
            {"invite_id": 1, "library_id": 1},
            {"invite_id": 1, "library_id": 2},
            {"invite_id": 3, "library_id": 3},
            {"invite_id": 3, "library_id": 1},
        ],
        "invitation": invitation,
        "user": user,
        "admin_account": [{"id": 1, "username": "admin", "password_hash": "scrypt:secret"}],
    }
    if new:
        tables["invitation_user"] = [
            {"invite_id": 1, "user_id": 1, "used_at": "2026-02-02 12:00:00", "server_id": 1},
            {"invite_id": 2, "user_id": 2, "used_at": "2026-03-03 12:00:00", "server_id": 1},
            {"invite_id": 2, "user_id": 3, "used_at": "2026-03-04 12:00:00", "server_id": 1},
        ]
    # Alice and Bob still have access; Carol was removed in Plex.
    sim.share(MACHINE_ID, sim.account("alice"), library_keys=(1, 2), accepted=True)
    sim.share(MACHINE_ID, sim.account("bob"), accepted=True)
    return tables


@pytest.fixture
def wizarr(tmp_path: Path, server: MediaServer, sim: PlexSimulator) -> Path:
    return wizarr_db(tmp_path / "database.db", wal=True, **wizarr_tables(server, sim))


@pytest.fixture
def old_wizarr(tmp_path: Path, server: MediaServer, sim: PlexSimulator) -> Path:
    return wizarr_db(tmp_path / "old.db", old_layout=True, **wizarr_tables(server, sim, old_layout=True))


def test_it_imports_wizarr_invites_with_their_usage_and_libraries(wizarr: Path, server: MediaServer) -> None:
    summary = run_import("wizarr", wizarr, actor=ACTOR)

    alice_invite = Invite.objects.get(code="ALICE1")
    # Movies by plex.tv id; "TV Shows" by its name, its id being unknown here.
    assert alice_invite.libraries == "1,2"
    assert (alice_invite.usage_limit, alice_invite.used_count) == (1, 1)
    assert alice_invite.user_expires_in_days == 30
    assert alice_invite.allow_sync and alice_invite.allow_camera_upload and not alice_invite.allow_channels
    assert alice_invite.is_active and alice_invite.trial_days == 0
    assert alice_invite.created_at.isoformat().startswith("2026-02-01T08:00")

    open_door = Invite.objects.get(code="OPENDOOR")
    assert (open_door.usage_limit, open_door.used_count) == (None, 2)
    assert open_door.allow_channels and open_door.user_expires_in_days is None
    assert open_door.libraries == "1,2"  # every enabled library of Wizarr's Plex server, matched

    anime = Invite.objects.get(code="ANIME9")
    assert anime.plex_home and not anime.is_active and anime.libraries == "1"
    assert ("library 'Anime' of invitation 3 (ANIME9)", "no library of Guestlist Test matches it") in summary.table(
        "libraries"
    ).skipped

    gone = Invite.objects.get(code="GONE55")
    assert gone.used_count == 1 and gone.is_used_up
    assert not Invite.objects.filter(code="JELLY1").exists()
    assert ("invitation 4 (JELLY1)", "not for a Plex server") in summary.table("invites").skipped
    for invite in Invite.objects.all():
        assert invite.used_count == Redemption.objects.filter(invite=invite, state__in=("pending", "done")).count()


def test_wizarr_users_become_members_checked_against_plex(
    wizarr: Path, server: MediaServer, sim: PlexSimulator
) -> None:
    run_import("wizarr", wizarr, actor=ACTOR)
    alice = Member.objects.get(email="alice@example.com")
    assert alice.status == "active"
    assert alice.plex_id == sim.account("alice").id
    assert alice.invite is not None and alice.invite.code == "ALICE1"
    assert alice.notes == "my sister"
    assert alice.thumb == "https://plex.tv/users/alice/avatar"
    assert alice.expires_at is not None and alice.expires_at.isoformat().startswith("2026-03-04T12:00")
    bob = Member.objects.get(email="bob@example.com")
    assert bob.status == "active" and bob.invite is not None and bob.invite.code == "OPENDOOR"
    carol = Member.objects.get(email="carol@example.com")
    assert carol.status == "removed" and carol.plex_id is None and carol.person_key == "email:carol@example.com"
    assert not Member.objects.filter(email="jelly@example.com").exists()
    redemption = Redemption.objects.get(member=carol)
    assert redemption.created_at.isoformat().startswith("2026-03-04T12:00")


def test_no_token_password_or_server_key_is_imported(wizarr: Path, server: MediaServer) -> None:
    run_import("wizarr", wizarr, actor=ACTOR)
    from django.db import connection

    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from the database itself
            dump = repr(cursor.fetchall())
            for secret in (ALICE_TOKEN, "bob-token", "SERVER-KEY", "scrypt:secret"):
                assert secret not in dump, f"{secret} found in {table}"


def test_an_old_wizarr_without_invitation_user_reads_redeemers_from_user_code_and_used_by(
    old_wizarr: Path, server: MediaServer
) -> None:
    with sqlite3.connect(old_wizarr) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        columns = {row[1] for row in db.execute("PRAGMA table_info(invitation)")}
    assert "invitation_user" not in tables and "allow_downloads" not in columns

    summary = run_import("wizarr", old_wizarr, actor=ACTOR)
    assert any("no invitation_user table" in note for note in summary.notes)
    open_door = Invite.objects.get(code="OPENDOOR")
    assert open_door.used_count == 2
    assert {m.email for m in open_door.members.all()} == {"bob@example.com", "carol@example.com"}
    alice_invite = Invite.objects.get(code="ALICE1")
    assert alice_invite.allow_sync and not alice_invite.allow_camera_upload  # from plex_allow_sync alone
    assert Member.objects.get(email="alice@example.com").invite == alice_invite


def test_the_dry_run_summary_matches_what_the_import_then_does(
    wizarr: Path, server: MediaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    preview = run_import("wizarr", wizarr, actor=ACTOR, dry_run=True).as_dict()
    assert not Invite.objects.exists() and not Member.objects.exists()
    assert not AuditEvent.objects.filter(action="transfer.import").exists()
    done = run_import("wizarr", wizarr, actor=ACTOR).as_dict()
    assert preview.pop("dry_run") and not done.pop("dry_run")
    assert preview == done
    assert cli.main(["import", "wizarr", str(wizarr)]) == 0
    out = capsys.readouterr().out
    assert "Nothing new to import." in out
    assert "invites: 0 imported, 5 skipped" in out


def test_the_wizarr_file_is_only_read_and_a_code_twice_in_it_is_reported(
    tmp_path: Path, server: MediaServer, sim: PlexSimulator
) -> None:
    import hashlib

    tables = wizarr_tables(server, sim)
    tables["invitation"].append(dict(tables["invitation"][2], id=6, code="anime9"))
    path = wizarr_db(tmp_path / "database.db", wal=True, **tables)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    files_before = sorted(p.name for p in tmp_path.iterdir())
    summary = run_import("wizarr", path, actor=ACTOR)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    # SQLite gives any reader of a WAL database its shared-memory index; nothing is logged to write.
    added = sorted(p.name for p in tmp_path.iterdir() if p.name not in files_before)
    assert set(added) <= {"database.db-shm", "database.db-wal"}
    wal = tmp_path / "database.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    assert ("invitation 6 (anime9)", "the file has this code twice; the first one is kept") in summary.table(
        "invites"
    ).skipped


def test_a_copy_whose_wal_index_cannot_be_made_is_still_read(
    tmp_path: Path, server: MediaServer, sim: PlexSimulator
) -> None:
    path = wizarr_db(tmp_path / "database.db", wal=True, **wizarr_tables(server, sim))
    # What a copy on a read-only share looks like to SQLite: no -shm can be created (even as root).
    Path(f"{path}-shm").mkdir()
    summary = run_import("wizarr", path, actor=ACTOR, dry_run=True)
    assert summary.table("invites").imported == 4
    assert summary.table("members").imported == 3
