"""Discord in the admin API: a member's Discord account in every member answer, and the owner's
Discord connection read and changed as Settings → Discord does (secrets written, never answered)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from guestlist.core.models import AuditEvent
from guestlist.discord.models import DiscordSettings
from guestlist.invites.models import Invite
from guestlist.lib import crypto
from guestlist.members.models import Member
from guestlist.members.representation import member_as_api
from guestlist.plex.models import MediaServer
from guestlist.testing.discord_api import FakeDiscord
from tests.discord.test_discord_gated_invites import ADA

pytestmark = pytest.mark.django_db

SECRET = "an-api-client-secret-77"  # noqa: S105 - a test's value
BOT = "an-api-bot-token-78"  # noqa: S105 - a test's value


def patch(api: Client, body: dict[str, Any]) -> Any:
    return api.patch("/api/discord/settings", data=body, content_type="application/json")


def test_every_member_answer_carries_their_discord_account(api: Client, server: MediaServer) -> None:
    invite = Invite.objects.create(server=server, code="DISCORDAPI1", discord_gate="member")
    ada = Member.objects.create(
        server=server,
        person_key="email:ada@example.com",
        email="ada@example.com",
        status="active",
        invite=invite,
        discord_id=ADA,
        discord_username="ada.discord",
        discord_gate="member",
    )
    bob = Member.objects.create(server=server, person_key="email:bob@example.com", email="bob@example.com")
    account = {"id": ADA, "username": "ada.discord", "left_at": None}

    listed = {item["id"]: item for item in api.get("/api/users/").json()["items"]}
    assert listed[ada.pk]["discord"] == account
    assert listed[bob.pk]["discord"] is None
    assert api.get(f"/api/users/{ada.pk}").json()["discord"] == account
    assert [user["discord"] for user in api.get(f"/api/invites/{invite.pk}").json()["users"]] == [account]
    # Webhook and notification payloads use the same shape.
    assert member_as_api(ada)["discord"] == account


def test_the_connection_reads_without_secrets_and_is_not_configured_at_first(api: Client, owner: object) -> None:
    shown = api.get("/api/discord/settings").json()
    assert shown == {
        "client_id": "",
        "client_secret_set": False,
        "bot_token_set": False,
        "guild_id": "",
        "on_leave": "warn",
        "sign_in_ready": False,
        "ready": False,
        "redirect_uri": "http://testserver/discord/callback",
    }
    refused = api.get("/api/discord/roles")
    assert refused.status_code == 422 and refused.json()["error"] == "discord_not_configured"
    assert Client().get("/api/discord/settings").status_code == 401


def test_the_owner_connects_discord_through_the_api_and_never_reads_a_secret_back(api: Client, owner: object) -> None:
    answer = patch(
        api,
        {
            "client_id": "1200000000000000001",
            "client_secret": SECRET,
            "bot_token": BOT,
            "guild_id": "900000000000000001",
            "on_leave": "suspend",
        },
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["client_secret_set"] and body["bot_token_set"] and body["ready"]
    assert (body["client_id"], body["guild_id"], body["on_leave"]) == (
        "1200000000000000001",
        "900000000000000001",
        "suspend",
    )
    assert SECRET not in answer.content.decode() and BOT not in answer.content.decode()
    assert SECRET not in api.get("/api/discord/settings").content.decode()
    row = DiscordSettings.load()
    # Encrypted at rest, and readable again only by Guestlist.
    assert SECRET not in row.client_secret and crypto.decrypt(row.client_secret) == SECRET
    audit = AuditEvent.objects.get(action="settings.discord")
    assert audit.details["changes"]["client_secret"] == "changed"
    assert SECRET not in str(audit.details) and BOT not in str(audit.details)

    # Empty or absent secrets keep the saved ones; other fields change on their own.
    kept = patch(api, {"client_secret": "", "on_leave": "remove"}).json()
    assert kept["client_secret_set"] and kept["on_leave"] == "remove"
    assert crypto.decrypt(DiscordSettings.load().client_secret) == SECRET

    cleared = patch(api, {"clear_secrets": True}).json()
    assert not cleared["client_secret_set"] and not cleared["bot_token_set"] and not cleared["sign_in_ready"]


def test_bad_values_are_refused_in_the_error_envelope(api: Client, owner: object) -> None:
    bad_id = patch(api, {"guild_id": "42"})
    assert bad_id.status_code == 422
    assert bad_id.json()["error"] == "invalid" and bad_id.json()["details"][0]["field"] == "guild_id"
    assert patch(api, {"on_leave": "ban"}).status_code == 422
    assert patch(api, {"client_secret_set": True}).status_code == 422, "the flags are not writable"
    assert DiscordSettings.load().guild_id == ""


def test_the_bot_reads_the_servers_roles(api: Client, discord: FakeDiscord) -> None:
    roles = api.get("/api/discord/roles")
    assert roles.status_code == 200, roles.content
    names = [role["name"] for role in roles.json()["items"]]
    assert "Plex friends" in names and "@everyone" not in names

    discord.down = True
    down = api.get("/api/discord/roles")
    assert down.status_code == 503 and down.json()["error"] == "discord_unavailable"
