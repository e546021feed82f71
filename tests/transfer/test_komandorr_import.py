"""Moving over from Komandorr: invites, the people who redeemed them, checked against Plex,
with nobody on Plex touched, safe to repeat, all or nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from django.test import Client

from guestlist import cli
from guestlist.core.audit import Actor
from guestlist.core.errors import PlexUnavailableError
from guestlist.core.models import AuditEvent
from guestlist.invites.models import Invite, Redemption
from guestlist.invites.services import create_invite
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from guestlist.transfer.importer import run_import
from guestlist.transfer.records import ImportFileError
from tests.conftest import MACHINE_ID
from tests.transfer.peers import komandorr_db, komandorr_invite, komandorr_user

ACTOR = Actor.system()


@pytest.fixture
def komandorr(tmp_path: Path, sim: PlexSimulator) -> Path:
    """Alice and Bob came through Komandorr's invites; Alice still has access, Bob was removed
    in Plex by hand; one invite asks for a library this server does not have."""
    alice = sim.account("alice")
    sim.share(MACHINE_ID, alice, library_keys=(1, 2), accepted=True, allow_sync=True)
    return komandorr_db(
        tmp_path / "komandorr.db",
        invites=[
            komandorr_invite(
                1,
                "FAMILY2026",
                usage_limit=5,
                used_count=3,
                libraries="1,2",
                allow_sync=1,
                expires_at="2027-03-01 00:00:00",
            ),
            komandorr_invite(2, "friends-open", usage_limit=None, libraries="all", allow_channels=1, plex_home=0),
            komandorr_invite(3, "LOSTLIBRARY", libraries="2,9"),
            komandorr_invite(4, "OFFLINE01", is_active=0),
        ],
        users=[
            komandorr_user(
                1,
                "alice@example.com",
                1,
                plex_id=str(alice.id),
                thumb="https://plex.tv/users/a/avatar",
                expires_at="2027-06-30 00:00:00",
                last_seen="2026-11-30 20:00:00",
            ),
            komandorr_user(2, "bob@example.com", 1, username="bobby"),
        ],
    )


def plex_writes(sim: PlexSimulator) -> list[dict[str, object]]:
    return [entry for entry in sim.request_log() if entry.get("method") not in ("GET", "HEAD")]


def test_it_imports_invites_and_members_as_komandorr_had_them(
    komandorr: Path, server: MediaServer, sim: PlexSimulator
) -> None:
    sim.clear_request_log()
    summary = run_import("komandorr", komandorr, actor=ACTOR)

    family = Invite.objects.get(code="FAMILY2026")
    assert (family.usage_limit, family.used_count, family.libraries) == (5, 3, "1,2")
    assert family.allow_sync and family.is_active and family.server == server
    assert family.expires_at is not None and family.expires_at.isoformat().startswith("2027-03-01")
    assert family.created_at.isoformat().startswith("2026-01-05T10:00")
    assert family.created_by_label == "admin"
    opened = Invite.objects.get(code="FRIENDS-OPEN")
    assert (opened.usage_limit, opened.libraries, opened.allow_channels) == (None, "all", True)
    assert not Invite.objects.get(code="OFFLINE01").is_active

    alice = Member.objects.get(email="alice@example.com")
    assert alice.status == "active"
    assert alice.plex_id == sim.account("alice").id
    assert alice.person_key == f"plex:{alice.plex_id}"
    assert alice.invite == family
    assert alice.thumb == "https://plex.tv/users/a/avatar"
    assert alice.expires_at is not None and alice.expires_at.isoformat().startswith("2027-06-30")
    assert alice.last_seen is not None
    assert alice.library_keys == [1, 2] and alice.allow_sync
    assert alice.created_at.isoformat().startswith("2026-01-06T09:30")

    bob = Member.objects.get(email="bob@example.com")
    assert bob.status == "removed"
    assert "not among" in bob.reason and bob.removed_at is not None
    assert bob.username == "bobby"

    # Three uses as Komandorr counted them: Alice's, Bob's and one by someone it forgot.
    uses = Redemption.objects.filter(invite=family)
    assert uses.count() == 3 and {use.state for use in uses} == {"done"}
    assert {use.member for use in uses} == {alice, bob, None}
    assert {use.method for use in uses} == {"import"}

    assert summary.table("invites").imported == 4
    assert summary.table("members").imported == 2
    assert (summary.active, summary.removed) == (1, 1)
    assert plex_writes(sim) == []  # nobody shared, unshared or invited
    event = AuditEvent.objects.get(action="transfer.import")
    assert event.details["tables"]["members"]["imported"] == 2


def test_a_library_it_cannot_match_is_reported_and_its_invite_imported_disabled(
    komandorr: Path, server: MediaServer
) -> None:
    summary = run_import("komandorr", komandorr, actor=ACTOR)
    lost = Invite.objects.get(code="LOSTLIBRARY")
    assert lost.libraries == "2"
    assert not lost.is_active
    assert summary.table("libraries").skipped == [
        ("section 9 of invite 3 (LOSTLIBRARY)", "no library of Guestlist Test matches it")
    ]
    assert any("LOSTLIBRARY is imported disabled" in note for note in summary.table("invites").notes)


def test_a_second_run_changes_nothing(komandorr: Path, server: MediaServer) -> None:
    run_import("komandorr", komandorr, actor=ACTOR)
    before = (Invite.objects.count(), Member.objects.count(), Redemption.objects.count())
    again = run_import("komandorr", komandorr, actor=ACTOR)
    assert (Invite.objects.count(), Member.objects.count(), Redemption.objects.count()) == before
    assert not again.changes_anything
    assert {why for _, why in again.table("invites").skipped} == {"an invite with this code is already in Guestlist"}
    assert len(again.table("members").skipped) == 2
    assert AuditEvent.objects.filter(action="transfer.import").count() == 1


def test_an_invite_whose_code_exists_already_is_reported_and_skipped(komandorr: Path, server: MediaServer) -> None:
    ours = create_invite({"code": "FAMILY2026", "usage_limit": 2}, actor=ACTOR)
    summary = run_import("komandorr", komandorr, actor=ACTOR)
    ours.refresh_from_db()
    assert (ours.usage_limit, ours.used_count) == (2, 0)
    assert ("invite 1 (FAMILY2026)", "an invite with this code is already in Guestlist") in summary.table(
        "invites"
    ).skipped
    # Its people still come over, without an invite of ours to point at.
    assert Member.objects.get(email="alice@example.com").invite is None
    assert not Redemption.objects.filter(invite=ours).exists()


def test_a_dry_run_writes_nothing_and_says_what_an_import_would_do(
    komandorr: Path, server: MediaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["import", "komandorr", str(komandorr), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Dry run, nothing was written" in out
    assert "invites: 4 to import" in out
    assert "members: 2 to import (1 with access on Plex: active; 1 not on Plex: removed)" in out
    assert "section 9" in out
    assert not Invite.objects.exists() and not Member.objects.exists()
    assert not AuditEvent.objects.filter(action="transfer.import").exists()

    assert cli.main(["import", "komandorr", str(komandorr)]) == 0
    assert "Imported: komandorr" in capsys.readouterr().out
    assert Invite.objects.count() == 4


def test_it_refuses_without_a_connected_plex_server(
    komandorr: Path, owner: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["import", "komandorr", str(komandorr)]) == 1
    assert "Connect your Plex server first" in capsys.readouterr().err
    assert not Invite.objects.exists()


def test_a_broken_file_is_a_clear_error_and_nothing_is_written(
    tmp_path: Path, server: MediaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    garbage = tmp_path / "komandorr.db"
    garbage.write_bytes(b"this is not a database at all")
    assert cli.main(["import", "komandorr", str(garbage)]) == 1
    assert "is not an SQLite database" in capsys.readouterr().err

    other = tmp_path / "other.db"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
    db.commit()
    db.close()
    with pytest.raises(ImportFileError, match="not a Komandorr database"):
        run_import("komandorr", other, actor=ACTOR)

    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(b"SQLite format 3\x00" + b"\x00" * 50)
    assert cli.main(["import", "komandorr", str(truncated)]) == 1
    assert capsys.readouterr().err.startswith("guestlist: ")
    assert not Invite.objects.exists() and not Member.objects.exists()


def test_a_row_that_breaks_the_write_undoes_the_whole_import(
    komandorr: Path, server: MediaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from guestlist.transfer import importer

    real = importer.Importer.bring_uses

    def fail_after_members(self: importer.Importer) -> None:
        real(self)
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer.Importer, "bring_uses", fail_after_members)
    with pytest.raises(RuntimeError):
        run_import("komandorr", komandorr, actor=ACTOR)
    assert not Invite.objects.exists() and not Member.objects.exists() and not Redemption.objects.exists()


def test_plex_being_down_stops_the_import_before_anything_is_written(
    komandorr: Path, server: MediaServer, sim: PlexSimulator, settings: object
) -> None:
    sim.inject_fault("GET", "*", status=503, times=None)
    with pytest.raises(PlexUnavailableError):
        run_import("komandorr", komandorr, actor=ACTOR)
    assert not Invite.objects.exists()


def test_the_peer_may_be_running_the_newest_rows_in_its_wal_are_read(tmp_path: Path, server: MediaServer) -> None:
    path = komandorr_db(tmp_path / "live.db", invites=[komandorr_invite(1, "FIRST001")], users=[])
    peer = sqlite3.connect(path)
    peer.execute("PRAGMA journal_mode=WAL")
    peer.execute("PRAGMA wal_autocheckpoint=0")
    peer.execute("INSERT INTO invites (id, code, libraries, is_active) VALUES (2, 'SECOND02', 'all', 1)")
    peer.commit()  # in the -wal file only, the peer still holds it open
    try:
        assert Path(f"{path}-wal").stat().st_size > 0
        summary = run_import("komandorr", path, actor=ACTOR)
        assert summary.table("invites").imported == 2
        peer.execute("INSERT INTO invites (id, code, libraries, is_active) VALUES (3, 'THIRD003', 'all', 1)")
        peer.commit()  # the peer was not blocked by the import
    finally:
        peer.close()
    assert set(Invite.objects.values_list("code", flat=True)) == {"FIRST001", "SECOND02"}


def test_the_dashboard_member_list_shows_imported_members(
    komandorr: Path, server: MediaServer, owner_client: Client
) -> None:
    run_import("komandorr", komandorr, actor=ACTOR)
    page = owner_client.get("/users?status=all")
    assert page.status_code == 200
    assert b"alice@example.com" in page.content and b"bobby" in page.content
