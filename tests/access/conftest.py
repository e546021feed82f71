"""Members who joined through real redemptions, and a look at their shares in the simulator."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from guestlist.invites.models import Invite
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from guestlist.plexsim.state import Share
from guestlist.plexwork import outbox
from guestlist.plexwork.models import PlexOperation
from tests.conftest import MACHINE_ID
from tests.dashboard.conftest import join, make_invite

SHARE_UPDATES = "/api/v2/shared_servers/*"
REFUSAL = '{"errors": [{"code": 1000, "message": "Sharing settings could not be saved"}]}'


@pytest.fixture
def invite(owner: User, server: MediaServer) -> Invite:
    return make_invite(owner, usage_limit=10, libraries=[1])


def member_named(sim: PlexSimulator, invite: Invite, username: str) -> Member:
    """An active member: ``username`` signed up with Plex through ``invite`` and accepted."""
    sim.add_account(username)
    member = join(sim, invite, username)
    member.refresh_from_db()
    assert member.status == "active", member.reason
    return member


def share_of(sim: PlexSimulator, member: Member) -> Share:
    return next(share for share in sim.shares_of(MACHINE_ID) if share.invited_id == member.plex_id)


def libraries_on_plex(sim: PlexSimulator, member: Member) -> list[int]:
    share = share_of(sim, member)
    server = next(s for s in sim.state.servers if s.machine_identifier == MACHINE_ID)
    return sorted(lib.key for lib in server.libraries if lib.global_id in share.library_ids)


def refuse_share_updates(sim: PlexSimulator, times: int | None = 1) -> None:
    sim.inject_fault("POST", SHARE_UPDATES, host="clients.plex.tv", status=400, body=REFUSAL, times=times)


def plex_down_for_share_updates(sim: PlexSimulator) -> None:
    sim.inject_fault("POST", SHARE_UPDATES, host="clients.plex.tv", status=503, times=None)


def run_owed_work() -> None:
    """The job runner's outbox job, at each retry's time."""
    for _ in range(6):
        op = PlexOperation.objects.filter(state="queued").order_by("next_attempt_at").first()
        if op is None:
            return
        with time_machine.travel(op.next_attempt_at + timedelta(seconds=1), tick=True):
            outbox.process_due()


@pytest.fixture
def admin_client(owner: User) -> Client:
    client = Client()
    client.force_login(owner)
    return client
