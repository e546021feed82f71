"""The owner's side of Discord-gated invites: Settings → Discord, the invite and template forms
with the server's real roles (read with the bot), and the member's page."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from guestlist.core.models import AuditEvent
from guestlist.discord.models import DiscordSettings
from guestlist.invites.models import Invite, InviteTemplate
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from guestlist.testing.discord_api import FakeDiscord
from tests.dashboard.test_invites_views import advanced
from tests.discord.test_discord_gated_invites import PLEX_FRIENDS

pytestmark = pytest.mark.django_db

SECRET = "a-brand-new-client-secret-42"  # noqa: S105 - a test's value
BOT = "a-brand-new-bot-token-43"  # noqa: S105 - a test's value


@pytest.fixture(autouse=True)
def forget_cached_roles() -> None:
    cache.clear()


def test_the_owner_connects_discord_and_the_secrets_are_never_shown_again(
    admin_client: Client, settings: object
) -> None:
    page = admin_client.get("/settings/discord").content.decode()
    assert "Not connected yet." in page
    assert "http://testserver/discord/callback" in page
    response = admin_client.post(
        "/settings/discord",
        {
            "client_id": "1200000000000000001",
            "client_secret": SECRET,
            "bot_token": BOT,
            "guild_id": "900000000000000001",
            "on_leave": "remove",
        },
    )
    assert response.status_code == 302
    row = DiscordSettings.load()
    assert (row.client_id, row.guild_id, row.on_leave) == ("1200000000000000001", "900000000000000001", "remove")
    # Encrypted at rest: neither secret is in its column as typed.
    assert SECRET not in row.client_secret and BOT not in row.bot_token
    again = admin_client.get("/settings/discord").content.decode()
    assert SECRET not in again and BOT not in again
    assert "A client secret is saved." in again and "A bot token is saved." in again
    logged = str(list(AuditEvent.objects.values_list("details", flat=True)))
    assert SECRET not in logged and BOT not in logged


def test_an_empty_secret_keeps_the_saved_one_and_a_bad_id_is_refused(
    admin_client: Client, discord: FakeDiscord
) -> None:
    before = DiscordSettings.load().client_secret
    admin_client.post("/settings/discord", {"client_id": FakeDiscord.CLIENT_ID, "guild_id": "42", "on_leave": "warn"})
    assert DiscordSettings.load().client_secret == before
    assert DiscordSettings.load().guild_id == discord.guild.id  # "42" is no Discord id


def test_the_check_reads_the_servers_roles_with_the_bot(admin_client: Client, discord: FakeDiscord) -> None:
    page = admin_client.post("/settings/discord", {"check": "1"}).content.decode()
    assert "The bot reads 2 roles." in page
    assert "Plex friends" in page and "@everyone" not in page


def test_the_invite_form_offers_the_servers_roles_and_gates_the_invite(
    admin_client: Client, server: MediaServer, discord: FakeDiscord
) -> None:
    page = admin_client.get("/invites/new").content.decode()
    assert "Sign in with Discord and be a member of my Discord server" in page
    assert f'value="{PLEX_FRIENDS}"' in page and "Plex friends" in page
    response = admin_client.post(
        "/invites/new", advanced(discord_gate="member", discord_role_ids=[PLEX_FRIENDS], save_as_template="Discord")
    )
    assert response.status_code == 302, response.content
    invite = Invite.objects.get()
    assert (invite.discord_gate, invite.discord_role_ids) == ("member", [PLEX_FRIENDS])
    template = InviteTemplate.objects.get()
    assert (template.discord_gate, template.discord_role_ids) == ("member", [PLEX_FRIENDS])
    edit = admin_client.get(f"/invites/{invite.pk}/edit").content.decode()
    assert re.search(f'value="{PLEX_FRIENDS}"[^>]*checked', edit)


def test_without_discord_the_forms_show_no_discord_fields(admin_client: Client, server: MediaServer) -> None:
    page = admin_client.get("/invites/new").content.decode()
    assert "data-discord-fields" not in page
    admin_client.post("/invites/new", advanced())
    assert Invite.objects.get().discord_gate == ""


def test_discord_being_down_keeps_the_chosen_roles_pickable(
    admin_client: Client, server: MediaServer, owner: User, discord: FakeDiscord
) -> None:
    invite = Invite.objects.create(
        server=server, code="DISCORD1", discord_gate="member", discord_role_ids=[PLEX_FRIENDS]
    )
    discord.down = True
    page = admin_client.get(f"/invites/{invite.pk}/edit").content.decode()
    assert "roles cannot be listed right now" in page
    assert f'value="{PLEX_FRIENDS}"' in page


def test_the_members_page_shows_their_discord_account(
    admin_client: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    member = Member.objects.create(
        server=server,
        person_key="email:ada@example.com",
        email="ada@example.com",
        status="active",
        discord_id="800000000000000042",
        discord_username="ada.discord",
    )
    page = admin_client.get(f"/users/{member.pk}").content.decode()
    assert "ada.discord" in page and "800000000000000042" in page


def test_the_invite_page_says_what_discord_asks(
    admin_client: Client, server: MediaServer, discord: FakeDiscord
) -> None:
    invite = Invite.objects.create(
        server=server, code="DISCORD2", discord_gate="member", discord_role_ids=[PLEX_FRIENDS]
    )
    page = admin_client.get(f"/invites/{invite.pk}").content.decode()
    assert "Members of your Discord server · with 1 chosen role" in page
    german = Client(headers={"Accept-Language": "de"})
    german.force_login(User.objects.get(username="owner"))
    assert "Mitglieder deines Discord-Servers" in german.get(f"/invites/{invite.pk}").content.decode()
