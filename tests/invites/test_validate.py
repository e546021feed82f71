from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from guestlist.core.models import SiteSettings
from guestlist.invites.models import Invite
from guestlist.plex.models import MediaServer
from tests.conftest import OWNER_PLEX_TOKEN
from tests.invites.test_redeem_email import make_invite


def validate(client: Client, code: str) -> dict[str, object]:
    response = client.post("/api/invites/validate", data={"code": code}, content_type="application/json")
    assert response.status_code == 200
    return dict(response.json())


def test_a_usable_invite_describes_what_it_grants(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api, libraries=[1, 2], allow_sync=True, user_expires_in_days=30)
    answer = validate(client, invite["code"].lower())
    assert answer["valid"] is True
    assert answer["reason"] == "ok"
    assert answer["server_name"] == "Guestlist Test"
    assert answer["libraries"] == ["Movies", "TV Shows"]
    assert answer["allow_sync"] is True
    assert answer["user_expires_in_days"] == 30
    text = str(answer)
    assert server.base_url not in text
    assert OWNER_PLEX_TOKEN not in text


def test_every_reason(client: Client, api: Client, server: MediaServer) -> None:
    assert validate(client, "UNKNOWN1")["reason"] == "not_found"
    invite = make_invite(api)
    Invite.objects.filter(pk=invite["id"]).update(is_active=False)
    assert validate(client, invite["code"])["reason"] == "disabled"
    Invite.objects.filter(pk=invite["id"]).update(is_active=True, expires_at=timezone.now() - timedelta(1))
    assert validate(client, invite["code"])["reason"] == "expired"
    Invite.objects.filter(pk=invite["id"]).update(expires_at=None, used_count=1)
    assert validate(client, invite["code"])["reason"] == "used_up"
    Invite.objects.filter(pk=invite["id"]).update(used_count=0)
    SiteSettings.objects.filter(pk=1).update(signup_enabled=False)
    assert validate(client, invite["code"]) | {} == validate(client, invite["code"])
    assert validate(client, invite["code"])["reason"] == "signup_disabled"


def test_before_any_server_is_connected_it_says_not_configured(client: Client, db: None) -> None:
    answer = validate(client, "ABCDEFGH")
    assert answer == {"valid": False, "reason": "not_configured", "message": answer["message"]}


def test_validate_writes_nothing_but_its_rate_counter(client: Client, api: Client, server: MediaServer) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    invite = make_invite(api)
    with CaptureQueriesContext(connection) as queries:
        validate(client, invite["code"])
    writes = [q["sql"] for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert all("core_ratelimithit" in sql for sql in writes)
