"""The per-name sign-in limit counts look-alike spellings of one name together (audit 1.4).

Django's sign-in form folds a username with NFKC before looking it up, so "ｏｗｎｅｒ"
(full-width letters) is the account "owner": the limit must see the same name.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from guestlist.core import ratelimit

SPELLINGS = ("owner", "OWNER", "\uff4f\uff57\uff4e\uff45\uff52", "\uff2f\uff57\uff4e\uff45\uff52", " owner ")


@pytest.fixture(autouse=True)
def quick_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def attempt(name: str, address: str) -> int:
    # An empty password counts against the limit without being a wrong one: wrong passwords
    # slow the account down sooner (the lockout, tests/accounts/test_lockout_and_resets.py).
    client = Client(REMOTE_ADDR=address)
    return int(client.post("/login", {"username": name, "password": ""}).status_code)


@pytest.mark.usefixtures("frozen_minute")
def test_it_counts_every_spelling_of_one_name_against_one_limit(owner: User) -> None:
    answers = [attempt(SPELLINGS[n % len(SPELLINGS)], f"10.0.0.{n + 1}") for n in range(ratelimit.LOGIN_USER.count)]
    assert 429 not in answers

    assert attempt("\uff4f\uff57\uff4e\uff45\uff52", "10.0.1.1") == 429
    assert attempt("OWNER", "10.0.1.2") == 429
