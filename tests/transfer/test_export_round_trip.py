"""Taking data out: the export file reads back into an empty install as it was; the members'
CSV; erasing a member who left."""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from guestlist import cli
from guestlist.core.audit import Actor
from guestlist.core.models import AuditEvent, SiteSettings
from guestlist.invites.models import Invite, Redemption
from guestlist.members import sync
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from guestlist.plexwork.models import PlexOperation
from tests.lifecycle.conftest import accept_in_plex, member_of, new_invite, redeem_email, remove_in_plex

ACTOR = Actor.system()


def an_install_in_use(sim: PlexSimulator) -> None:
    """Two invites; Alice active, Bob removed in Plex, Carol's invitation still pending."""
    family = new_invite(
        usage_limit=3,
        libraries="1,2",
        allow_sync=True,
        description="=family",
        user_expires_in_days=30,
        content_limits={"television": {"max_rating": "TV-14"}},
    )
    new_invite(usage_limit=None, libraries="all", code="OPEN-HOUSE")
    for name in ("alice", "bob", "carol"):
        redeem_email(family, f"{name}@example.com")
    accept_in_plex(sim, "alice")
    accept_in_plex(sim, "bob")
    sync.sync_now(actor=ACTOR)
    remove_in_plex(sim, "bob")
    sync.sync_now(actor=ACTOR)
    alice = member_of("alice@example.com")
    alice.notes = "my sister"
    alice.save()
    site = SiteSettings.load()
    site.trial_days = 12
    site.welcome_markdown = "Hello"
    site.save()


def exported(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    data.pop("exported_at")
    return data


def wipe() -> None:
    PlexOperation.objects.all().delete()
    Redemption.objects.all().delete()
    Member.objects.all().delete()
    Invite.objects.all().delete()
    SiteSettings.objects.all().delete()


def test_an_export_reads_back_into_an_empty_install_as_it_was(
    server: MediaServer, sim: PlexSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    an_install_in_use(sim)
    first = tmp_path / "export.json"
    assert cli.main(["export", str(first)]) == 0
    assert "Exported 2 invites, 3 members and 3 redemptions" in capsys.readouterr().out
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    data = exported(first)
    assert (data["format"], data["version"]) == ("guestlist-export", 1)
    assert {m["status"] for m in data["members"]} == {"active", "removed", "pending"}
    assert {m["content_limits"]["television"]["max_rating"] for m in data["members"]} == {"TV-14"}
    text = first.read_text()
    assert server.admin_token not in text and "token" not in text.lower()

    wipe()
    sim.clear_request_log()
    assert cli.main(["import", "guestlist", str(first)]) == 0
    assert "members: 3 imported (2 with access on Plex: active; 1 not on Plex: removed)" in capsys.readouterr().out
    assert [e for e in sim.request_log() if e.get("method") not in ("GET", "HEAD")] == []

    second = tmp_path / "again.json"
    assert cli.main(["export", str(second)]) == 0
    assert member_differences(exported(second), exported(first)) == []
    assert exported(second) == exported(first)
    assert SiteSettings.load().trial_days == 12
    # And a second import changes nothing.
    assert cli.main(["import", "guestlist", str(first)]) == 0
    assert "Nothing new to import." in capsys.readouterr().out


def test_a_damaged_or_foreign_export_file_is_refused_with_a_reason(
    server: MediaServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = {
        "not json {": "not JSON",
        json.dumps({"format": "wizarr"}): "not a Guestlist export",
        json.dumps({"format": "guestlist-export", "version": 99}): "format version 99",
        json.dumps({"format": "guestlist-export", "version": 1, "invites": [{}]}): "damaged Guestlist export",
    }
    for body, reason in cases.items():
        path = tmp_path / "file.json"
        path.write_text(body)
        assert cli.main(["import", "guestlist", str(path)]) == 1
        assert reason in capsys.readouterr().err
    assert not Invite.objects.exists()


def test_the_members_csv_lists_everyone_with_spreadsheet_safe_cells(
    server: MediaServer, sim: PlexSimulator, api: Client
) -> None:
    an_install_in_use(sim)
    alice = member_of("alice@example.com")
    alice.username = "=HYPERLINK(1)"
    alice.save()
    answer = api.get("/api/users/export.csv")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    assert "attachment" in answer["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.content.decode())))
    assert [row["email"] for row in rows] == ["alice@example.com", "bob@example.com", "carol@example.com"]
    assert list(rows[0]) == [
        "id", "status", "email", "username", "plex_id", "invite", "joined", "expires_at", "last_seen", "last_title",
        "discord_id", "discord_username",
    ]  # fmt: skip
    assert rows[0]["username"] == "'=HYPERLINK(1)"
    assert rows[0]["status"] == "active" and rows[1]["status"] == "removed"
    assert rows[0]["invite"] == alice.invite.code if alice.invite else False
    assert rows[0]["plex_id"] == str(alice.plex_id) and rows[0]["expires_at"]
    assert AuditEvent.objects.filter(action="transfer.members_csv").exists()


def test_the_members_csv_needs_an_admin(owner: Any, outsider: Any) -> None:
    assert Client().get("/api/users/export.csv").status_code == 401
    client = Client()
    client.force_login(outsider)
    assert client.get("/api/users/export.csv").status_code == 403


def test_the_members_page_offers_the_csv(server: MediaServer, sim: PlexSimulator, owner_client: Client) -> None:
    an_install_in_use(sim)
    page = owner_client.get("/users")
    assert b'href="/users/export.csv"' in page.content
    download = owner_client.get("/users/export.csv")
    assert download.status_code == 200 and b"bob@example.com" in download.content


def member_differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    out = []
    for i, (x, y) in enumerate(zip(a["members"], b["members"], strict=True)):
        out += [f"member {i} {k}: {x[k]!r} != {y[k]!r}" for k in x if x[k] != y.get(k)]
    return out
