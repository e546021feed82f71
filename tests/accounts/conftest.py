"""Admins' sign-in: helpers to walk the sign-in steps with Django's test client."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from django.contrib.auth.models import User
from django.test import Client

from guestlist.accounts import factors
from guestlist.core.audit import Actor
from guestlist.testing.oidc_provider import OidcProvider
from tests.conftest import PASSWORD


def totp_for(user: User) -> pyotp.TOTP:
    from guestlist.accounts.models import TotpDevice
    from guestlist.lib import crypto

    return pyotp.TOTP(crypto.decrypt(TotpDevice.objects.get(user=user).secret))


def enrol_totp(user: User) -> tuple[pyotp.TOTP, list[str]]:
    """An authenticator app set up for ``user`` (as the Security page does); its codes."""
    factors.start_totp(user)
    totp = totp_for(user)
    codes = factors.confirm_totp(user, totp.now(), actor=Actor.admin(user))
    return totp, codes


def next_step_code(totp: pyotp.TOTP) -> str:
    """A code of the next 30-second step (the current one was spent while enrolling)."""
    return totp.at(time.time() + 30)


def password_step(client: Client, username: str = "owner", password: str = PASSWORD, **extra: Any) -> Any:
    return client.post("/login", {"username": username, "password": password}, **extra)


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProvider]:
    provider = OidcProvider().start()
    yield provider
    provider.stop()


@pytest.fixture
def provider(oidc_provider: OidcProvider) -> OidcProvider:
    oidc_provider.reset()
    return oidc_provider
