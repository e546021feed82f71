"""Issue 20: the export file keeps a "4K + HD" invite's further servers (InviteServer) and a
person's rows on several servers (Member.primary), and reads them back as they were."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from guestlist import cli
from guestlist.core.audit import Actor
from guestlist.invites import invite_templates
from guestlist.invites.models import Invite, InviteServer, InviteTemplate
from guestlist.members import sync
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.servers.conftest import HD_MACHINE_ID, both_servers_invite, redeem_with_plex
from tests.transfer.test_export_round_trip import exported, member_differences, wipe

pytestmark = pytest.mark.django_db


def people() -> list[tuple[str, str, str | None]]:
    """Each row: its server, status and the server of its person row (None for a person row)."""
    return sorted(
        (row.server.name, row.status, row.primary.server.name if row.primary else None)
        for row in Member.objects.select_related("server", "primary__server")
    )


def test_an_export_of_two_servers_reads_back_as_it_was(
    sim: PlexSimulator,
    server: MediaServer,
    hd_server: MediaServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    invite = both_servers_invite(server, hd_server, code="FOUR-K-AND-HD")
    both = [{"server_id": server.pk, "libraries": [2]}, {"server_id": hd_server.pk, "libraries": "all"}]
    invite_templates.create_template("4K + HD", {"servers": both}, actor=Actor.system())
    redeem_with_plex(sim, invite)
    sync.sync_now(actor=Actor.system())  # Plex's details (the avatar), as an install in use has them
    before = people()
    assert before == [("Guestlist HD", "active", "Guestlist Test"), ("Guestlist Test", "active", None)]
    first = tmp_path / "export.json"
    assert cli.main(["export", str(first)]) == 0
    data: dict[str, Any] = json.loads(first.read_text())
    assert data["invites"][0]["more_servers"] == [{"server": HD_MACHINE_ID, "libraries": "all"}]
    assert sorted(member["person_row"] for member in data["members"]) == [False, True]

    wipe()
    InviteTemplate.objects.all().delete()
    assert not InviteServer.objects.exists()
    assert cli.main(["import", "guestlist", str(first), "--server", str(server.pk)]) == 0
    assert "members: 2 imported" in capsys.readouterr().out

    again = Invite.objects.get(code="FOUR-K-AND-HD")
    assert again.server_id == server.pk and again.libraries == "1,2"
    assert [(row.server_id, row.libraries) for row in again.extra_servers.all()] == [(hd_server.pk, "all")]
    assert people() == before
    assert InviteTemplate.objects.get(name="4K + HD").servers == [
        {"server_id": server.pk, "libraries": "2"},
        {"server_id": hd_server.pk, "libraries": "all"},
    ]
    second = tmp_path / "again.json"
    assert cli.main(["export", str(second)]) == 0
    assert member_differences(exported(second), exported(first)) == []
    assert exported(second) == exported(first)
    # A second import changes nothing.
    assert cli.main(["import", "guestlist", str(first), "--server", str(server.pk)]) == 0
    assert "Nothing new to import." in capsys.readouterr().out
