from __future__ import annotations

import pytest
from django.test import Client

from guestlist.core import ratelimit
from guestlist.plex.models import MediaServer
from tests.invites.test_redeem_email import make_invite

pytestmark = pytest.mark.usefixtures("frozen_minute")


def test_validate_allows_30_a_minute_per_address_then_429_with_retry_after(client: Client, server: MediaServer) -> None:
    statuses = [
        client.post("/api/invites/validate", data={"code": "ABCDEFGH"}, content_type="application/json").status_code
        for _ in range(31)
    ]
    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429
    refused = client.post("/api/invites/validate", data={"code": "ABCDEFGH"}, content_type="application/json")
    assert refused.json()["error"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60


def test_limits_are_per_client_address(client: Client, server: MediaServer) -> None:
    for _ in range(30):
        client.post("/api/invites/validate", data={"code": "X"}, content_type="application/json")
    other = client.post(
        "/api/invites/validate", data={"code": "X"}, content_type="application/json", REMOTE_ADDR="10.9.8.7"
    )
    assert other.status_code == 200


def test_redeem_allows_10_a_minute(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api, usage_limit=None)
    statuses = [
        client.post(
            "/api/invites/redeem", data={"code": invite["code"], "email": "nope"}, content_type="application/json"
        ).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429


def test_the_limiter_counts_in_the_database_so_every_process_shares_it(db: None) -> None:
    for _ in range(3):
        ratelimit.hit(ratelimit.REDEEM, "203.0.113.9", now=1_000_000.0)
    from guestlist.core.models import RateLimitHit

    assert RateLimitHit.objects.get(key="redeem:203.0.113.9").count == 3
    assert ratelimit.hit(ratelimit.REDEEM, "203.0.113.9", now=1_000_061.0).allowed
    assert ratelimit.prune(older_than_seconds=90, now=1_000_100.0) == 1


def test_limits_can_be_switched_off_for_benchmarks(client: Client, server: MediaServer, settings: object) -> None:
    settings.RATE_LIMITS_ENABLED = False  # type: ignore[attr-defined]
    statuses = {
        client.post("/api/invites/validate", data={"code": "X"}, content_type="application/json").status_code
        for _ in range(40)
    }
    assert statuses == {200}


def test_a_trusted_proxy_passes_the_client_address(client: Client, server: MediaServer, settings: object) -> None:
    import ipaddress

    from guestlist.lib.env import env_networks  # noqa: F401
    from guestlist.lib.proxy import client_address

    proxies = [ipaddress.ip_network("10.0.0.0/8")]
    assert client_address("10.0.0.2", "198.51.100.7, 10.0.0.5", proxies) == "198.51.100.7"
    assert client_address("203.0.113.1", "198.51.100.7", proxies) == "203.0.113.1"
    assert client_address("10.0.0.2", "1.2.3.4, 198.51.100.7", proxies) == "198.51.100.7"


def test_a_client_cannot_double_its_allowance_across_a_window_boundary(db: None) -> None:
    start = 6_000_000.0  # a window boundary for the one-minute limits
    late_in_one = [ratelimit.hit(ratelimit.REDEEM, "203.0.113.7", now=start - 2).allowed for _ in range(10)]
    assert all(late_in_one)
    early_in_next = ratelimit.hit(ratelimit.REDEEM, "203.0.113.7", now=start + 1)
    assert not early_in_next.allowed
    assert 1 <= early_in_next.retry_after <= 60
    assert ratelimit.hit(ratelimit.REDEEM, "203.0.113.7", now=start + 59).allowed, "the old burst has faded"
