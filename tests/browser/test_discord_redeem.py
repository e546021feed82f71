"""A friend redeems a Discord-gated invite in a real browser: Discord first (the fake Discord of
``guestlist.testing.discord_api``), then Plex (the simulator), then the welcome page."""

from __future__ import annotations

import re

from django.test import Client
from playwright.sync_api import Page, expect

from guestlist.invites.models import Invite
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from guestlist.testing.discord_api import FakeDiscord
from tests.browser.conftest import ConsoleWatch, csp_violations, screenshot
from tests.discord.conftest import discord, fake_discord_server  # noqa: F401 - fixtures this module uses
from tests.discord.test_discord_gated_invites import ADA, PLEX_FRIENDS
from tests.invites.test_redeem_email import make_invite

WELCOME = re.compile(r"/welcome/[^/]+$")


def test_a_discord_member_with_the_role_signs_in_with_discord_then_plex(
    desktop: Page,
    live_url: str,
    api: Client,
    server: MediaServer,
    sim: PlexSimulator,
    discord: FakeDiscord,  # noqa: F811 - the fixture imported above
) -> None:
    violations = csp_violations(desktop)
    invite = make_invite(api, discord_gate="member", discord_role_ids=[PLEX_FRIENDS])
    discord.join(ADA, PLEX_FRIENDS)
    desktop.goto(f"{live_url}/invite/{invite['code']}")
    expect(desktop.get_by_role("heading", name="First, sign in with Discord")).to_be_visible()
    expect(desktop.get_by_role("button", name="Sign in with Plex")).to_have_count(0)
    screenshot(desktop, "discord-gated-invite")

    desktop.get_by_role("button", name="Sign in with Discord").click()
    # Discord approves at once (an app the person authorised before) and sends them back.
    expect(desktop.get_by_text("Signed in with Discord as ada.discord")).to_be_visible()
    assert desktop.url == f"{live_url}/invite/{invite['code']}"
    screenshot(desktop, "discord-signed-in")

    with desktop.expect_popup() as opened:
        desktop.get_by_role("button", name="Sign in with Plex").click()
    opened.value.get_by_role("button", name="guest").click()
    expect(desktop).to_have_url(WELCOME)
    expect(desktop.get_by_text("is now in your Plex account")).to_be_visible()

    member = Member.objects.get()
    assert (member.status, member.discord_id, member.discord_username) == ("active", ADA, "ada.discord")
    assert Invite.objects.get().used_count == 1
    assert violations == []


def test_someone_outside_the_discord_server_is_told_and_never_reaches_plex(
    desktop: Page,
    live_url: str,
    api: Client,
    server: MediaServer,
    sim: PlexSimulator,
    discord: FakeDiscord,  # noqa: F811 - the fixture imported above
    console_is_clean: ConsoleWatch,
) -> None:
    # The refusal page answers 403 on purpose; the browser logs that status as an error.
    console_is_clean.allow(r"status of 403 \(Forbidden\) \(.*/discord/callback\?")
    invite = make_invite(api, discord_gate="member")
    desktop.goto(f"{live_url}/invite/{invite['code']}")
    desktop.get_by_role("button", name="Sign in with Discord").click()
    expect(desktop.get_by_role("alert")).to_contain_text("You are not in the owner's Discord server")
    expect(desktop.get_by_role("button", name="Sign in with Plex")).to_have_count(0)
    screenshot(desktop, "discord-not-a-member")
    assert Invite.objects.get().used_count == 0
    assert not Member.objects.exists()
