"""Each path makes no more calls to plex.tv than bench/RESULTS.md records for it.

The numbers come from `bench/plex_calls.py`, which counts the same paths against a running
install from the simulator's request log and writes them to `bench/plex_calls.json`. The
gateway's in-process caches are cold at the start of every test (as after a restart), so a
path that needs something it could have kept pays for it here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from guestlist.core.audit import Actor
from guestlist.members.models import Member
from guestlist.members.reinvite import reinvite
from guestlist.plex.models import MediaServer, PlexPin
from guestlist.plexsim import PlexSimulator
from tests.lifecycle.conftest import accept_in_plex

BUDGET_FILE = "bench/plex_calls.json"
PLEX_TV_HOSTS = ("plex.tv", "clients.plex.tv")


def budget() -> dict[str, int]:
    recorded = json.loads((Path(__file__).resolve().parents[2] / BUDGET_FILE).read_text())
    return {name: int(count) for name, count in recorded.items()}


def plex_tv_calls(sim: PlexSimulator) -> list[str]:
    return [f"{e['method']} {e['host']}{e['path']}" for e in sim.request_log() if e["host"] in PLEX_TV_HOSTS]


def invite(api: Client, **fields: Any) -> str:
    response = api.post("/api/invites/", data={"libraries": [1], **fields}, content_type="application/json")
    assert response.status_code == 201, response.content
    return str(response.json()["code"])


def by_email(client: Client, code: str, email: str) -> Any:
    return client.post("/api/invites/redeem", data={"code": code, "email": email}, content_type="application/json")


def counted(sim: PlexSimulator, path: str, calls: list[str]) -> None:
    allowed = budget()[path]
    assert len(calls) <= allowed, f"{path}: {len(calls)} calls to plex.tv, {allowed} recorded:\n" + "\n".join(calls)


def test_a_plex_sign_in_redemption_stays_within_its_calls(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    code = invite(api)
    sim.clear_request_log()
    started = client.post("/api/invites/oauth/start", data={"code": code}, content_type="application/json").json()
    sim.approve_pin(PlexPin.objects.get(public_id=started["pin_id"]).plex_pin_id, "guest")
    done = client.post(
        "/api/invites/redeem", data={"code": code, "pin_id": started["pin_id"]}, content_type="application/json"
    )
    assert done.status_code == 201 and done.json()["status"] == "active", done.content
    counted(sim, "plex sign-in", plex_tv_calls(sim))


def test_an_email_redemption_stays_within_its_calls(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    code = invite(api)
    sim.clear_request_log()
    assert by_email(client, code, "guest@example.com").status_code == 201
    counted(sim, "e-mail", plex_tv_calls(sim))


def test_removal_and_re_invite_stay_within_their_calls(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    assert by_email(client, invite(api), "guest@example.com").status_code == 201
    accept_in_plex(sim, "guest")
    member = Member.objects.get()
    sim.clear_request_log()
    assert api.delete(f"/api/users/{member.pk}").status_code == 204
    counted(sim, "removal", plex_tv_calls(sim))

    member.refresh_from_db()
    again = reinvite(member, actor=Actor.system())
    sim.clear_request_log()
    assert by_email(client, again.code, "guest@example.com").status_code == 201
    counted(sim, "re-invite", plex_tv_calls(sim))


@pytest.mark.parametrize("members", [3])
def test_the_sync_stays_within_its_calls(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator, members: int
) -> None:
    from guestlist.members import sync

    for name in ("guest", "alice", "bob")[:members]:
        assert by_email(client, invite(api), f"{name}@example.com").status_code == 201
        accept_in_plex(sim, name)
    sim.clear_request_log()
    sync.sync_now(actor=Actor.job("sync"))
    counted(sim, "sync", plex_tv_calls(sim))
