"""Guessing codes through the public page is slowed per address (audit 1.6).

Misses (codes that do not exist) count; after 30 a minute the address gets 429 with
Retry-After for any code, so the answer cannot tell a hit from a miss. People opening a
real link never count, and the GET still writes nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guestlist.invites.views import CODE_MISSES
from guestlist.plex.models import MediaServer
from tests.invites.test_redeem_email import make_invite

GUESSER, FRIEND = "203.0.113.7", "198.51.100.9"


def get(path: str, address: str) -> int:
    return int(Client(REMOTE_ADDR=address).get(path).status_code)


@pytest.mark.usefixtures("frozen_minute")
def test_it_answers_429_once_an_address_has_missed_too_often(api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    misses = [get(f"/invite/GUESS{n:04d}", GUESSER) for n in range(CODE_MISSES.count)]
    assert set(misses) == {404}

    limited = Client(REMOTE_ADDR=GUESSER).get("/invite/GUESS9999")
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert get(f"/invite/{invite['code']}", GUESSER) == 429, "a hit must look like a miss to a blocked guesser"
    assert get("/signup?icode=GUESS9998", GUESSER) == 429

    assert get(f"/invite/{invite['code']}", FRIEND) == 200, "other addresses are not affected"
    assert get("/invite/GUESS9997", FRIEND) == 404


@pytest.mark.usefixtures("frozen_minute")
def test_the_signup_link_counts_misses_as_well(api: Client, server: MediaServer) -> None:
    for n in range(CODE_MISSES.count):
        assert get(f"/signup?icode=GUESS{n:04d}", GUESSER) == 404
    assert get("/signup?icode=GUESSXXXX", GUESSER) == 429


def test_the_address_may_try_again_after_the_wait(api: Client, server: MediaServer) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(CODE_MISSES.count):
            get(f"/invite/GUESS{n:04d}", GUESSER)
        retry_after = int(Client(REMOTE_ADDR=GUESSER).get("/invite/GUESSXXXX")["Retry-After"])
        clock.shift(timedelta(seconds=retry_after + 1))
        assert get("/invite/GUESSYYYY", GUESSER) == 404


@pytest.mark.usefixtures("frozen_minute")
def test_visitors_of_a_valid_link_are_never_limited(api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    answers = {get(f"/invite/{invite['code']}", FRIEND) for _ in range(CODE_MISSES.count * 3)}
    assert answers == {200}


@pytest.mark.usefixtures("frozen_minute")
def test_counting_misses_writes_nothing(api: Client, server: MediaServer) -> None:
    with CaptureQueriesContext(connection) as queries:
        for n in range(CODE_MISSES.count + 2):
            get(f"/invite/GUESS{n:04d}", GUESSER)
    writes = [q["sql"] for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []
