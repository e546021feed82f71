"""Helpers for the lifecycle tests: members made through the real redemption service,
Plex changed by hand in the simulator, time travel, and the invariants that must hold
whatever Plex did.

The invariants (issue 7): ``used_count`` equals the invite's redemptions pending or done;
every member who has access in our database has it on Plex; nobody has access on Plex
without a member (apart from people the test shared by hand).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from guestlist.core.audit import Actor
from guestlist.invites.models import Invite, Redemption
from guestlist.invites.redemption import Identity, RedeemResult, redeem
from guestlist.invites.services import create_invite
from guestlist.members.models import Member
from guestlist.plexsim import PlexSimulator
from guestlist.plexsim import actions as sim_actions
from guestlist.plexwork import outbox
from guestlist.plexwork.models import PlexOperation
from tests.conftest import MACHINE_ID

QUEUED = PlexOperation.State.QUEUED


@pytest.fixture
def fast_plex(settings: Any) -> None:
    """Plex calls give up after half a second, so injected hangs keep tests quick."""
    settings.PLEX_TIMEOUT = 0.5


def new_invite(**fields: Any) -> Invite:
    return create_invite(fields, actor=Actor.system())


def redeem_email(invite: Invite, email: str = "guest@example.com") -> RedeemResult:
    return redeem(invite.code, Identity(method="email", email=email), actor=Actor.redeemer(email))


def member_of(email: str = "guest@example.com") -> Member:
    return Member.objects.get(email__iexact=email)


def accept_in_plex(sim: PlexSimulator, username: str) -> None:
    """The person accepts their invitation in Plex (the e-mail's button)."""
    with sim.sim.lock:
        state = sim.sim.state
        account = next(a for a in state.accounts if a.username == username)
        for share in state.shares_on(MACHINE_ID):
            if state.share_is_for(share, account) and not share.accepted:
                sim_actions._mark_accepted(state, share, account)


def remove_in_plex(sim: PlexSimulator, username: str) -> None:
    """The owner takes someone's share away by hand in Plex."""
    with sim.sim.lock:
        state = sim.sim.state
        account = next(a for a in state.accounts if a.username == username)
        state.shares = [s for s in state.shares if not state.share_is_for(s, account)]


def shares_of(sim: PlexSimulator, who: str) -> list[Any]:
    """Shares of the test server for an e-mail or username, by their account when they have one."""
    state = sim.state
    account = state.account_by_name(who)
    return [
        share
        for share in state.shares_on(MACHINE_ID)
        if (account is not None and state.share_is_for(share, account))
        or (share.invited_email or "").lower() == who.lower()
    ]


def home_of(sim: PlexSimulator) -> set[str]:
    return {account.email.lower() for account in sim.home_members("plexowner")}


def settle(sim: PlexSimulator, seconds: float = 5.0) -> None:
    """Wait for requests the simulator is still answering (a client that timed out has
    left, but Plex finishes the work anyway)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(entry.get("status") is not None for entry in sim.request_log()):
            return
        time.sleep(0.05)
    raise AssertionError("the simulator kept answering requests")


def later(moment: datetime) -> Any:
    return time_machine.travel(moment, tick=True)


def run_owed_work(rounds: int = 12) -> None:
    """Let the job runner's outbox job catch up, jumping to each retry time in turn."""
    for _ in range(rounds):
        op = PlexOperation.objects.filter(state=QUEUED).order_by("next_attempt_at").first()
        if op is None:
            return
        moment = max(op.next_attempt_at, timezone.now()) + timedelta(seconds=1)
        if op.locked_until is not None:
            moment = max(moment, op.locked_until + timedelta(seconds=1))
        with later(moment):
            outbox.process_due()
    left = list(PlexOperation.objects.filter(state=QUEUED).values("kind", "attempts", "last_error"))
    raise AssertionError(f"Plex work still queued after {rounds} rounds: {left}")


def has_access_on_plex(sim: PlexSimulator, member: Member) -> bool:
    who = member.username or member.email
    if member.is_home:
        return member.email.lower() in home_of(sim)
    return bool(shares_of(sim, who)) or bool(member.email and shares_of(sim, member.email))


def assert_invariants(sim: PlexSimulator, *, shared_by_hand: tuple[str, ...] = ()) -> None:
    for invite in Invite.objects.all():
        live = Redemption.objects.filter(invite=invite, state__in=("pending", "done")).count()
        assert invite.used_count == live, f"{invite.code}: used_count {invite.used_count}, {live} live redemptions"
    members = list(Member.objects.all())
    for member in members:
        if member.status in ("pending", "active"):
            assert has_access_on_plex(sim, member), f"{member} is {member.status} but has no access on Plex"
        elif member.status in ("expired", "removed"):
            assert not has_access_on_plex(sim, member), f"{member} is {member.status} but still has access on Plex"
    state = sim.state
    known = {m.email.lower() for m in members if m.status in ("pending", "active", "removing")}
    known |= {m.username.lower() for m in members if m.status in ("pending", "active", "removing") and m.username}
    known |= {who.lower() for who in shared_by_hand}
    for share in state.shares_on(MACHINE_ID):
        account = state.invitee_of(share)
        names = {(share.invited_email or "").lower()}
        if account is not None:
            names |= {account.email.lower(), account.username.lower()}
        assert names & known, f"share {share.id} for {names} has no member"
    for email in home_of(sim):
        assert email in known, f"{email} is in the Plex Home without a member"


def make_invite_api(api: Client, **fields: Any) -> dict[str, Any]:
    response = api.post("/api/invites/", data=fields, content_type="application/json")
    assert response.status_code == 201, response.content
    return dict(response.json())
