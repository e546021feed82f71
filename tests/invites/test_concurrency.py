"""Exactly N: many people redeeming a 5-use invite at once, on real threads and connections."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from guestlist.core.audit import Actor
from guestlist.core.errors import ServiceError
from guestlist.invites.models import Invite, Redemption
from guestlist.invites.redemption import Identity, redeem
from guestlist.invites.services import create_invite
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.conftest import MACHINE_ID

REDEEMERS = 24


@pytest.mark.django_db(transaction=True)
def test_concurrent_redeemers_of_a_5_use_invite_make_exactly_5_members_and_5_shares(
    server: MediaServer, sim: PlexSimulator
) -> None:
    invite = create_invite({"usage_limit": 5}, actor=Actor.system())
    start = threading.Barrier(REDEEMERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(number: int) -> None:
        identity = Identity(method="email", email=f"person{number}@example.org")
        try:
            start.wait()
            result = redeem(invite.code, identity, actor=Actor.redeemer(identity.email))
            outcome = result.outcome
        except ServiceError as exc:
            outcome = exc.code
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(number,)) for number in range(REDEEMERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert Counter(outcomes) == {"created": 5, "used_up": REDEEMERS - 5}
    assert Invite.objects.get().used_count == 5
    assert Member.objects.count() == 5
    assert Redemption.objects.filter(state="done").count() == 5
    shared_to = {share.invited_email for share in sim.shares_of(MACHINE_ID)}
    assert shared_to == set(Member.objects.values_list("email", flat=True))
    assert len(sim.shares_of(MACHINE_ID)) == 5


@pytest.mark.django_db(transaction=True)
def test_one_person_clicking_twice_at_once_spends_one_use(server: MediaServer, sim: PlexSimulator) -> None:
    invite = create_invite({"usage_limit": 3}, actor=Actor.system())
    start = threading.Barrier(6)
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            start.wait()
            outcomes.append(redeem(invite.code, Identity("email", "twice@example.org"), actor=Actor.system()).outcome)
        except ServiceError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes.count("created") == 1
    assert set(outcomes) <= {"created", "existing", "already_member"}
    assert Invite.objects.get().used_count == 1
    assert len(sim.shares_of(MACHINE_ID)) == 1
