"""Discord-gated invites: the redeemer signs in with Discord before the Plex step, and only
someone Discord vouches for (in the owner's server, with the role when one is asked) gets in.
Discord is the fake in ``guestlist.testing.discord_api``, spoken to over real HTTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from django.test import Client

from guestlist.core.models import AuditEvent
from guestlist.invites.models import Invite, Redemption
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from guestlist.testing.discord_api import DiscordPerson, FakeDiscord
from tests.invites.test_redeem_email import assert_invariants, make_invite
from tests.public.helpers import (
    browser,
    come_back_from_plex,
    csrf_token,
    redeem_by_email,
    sign_in_at_plex,
    start_plex_sign_in,
)

PLEX_FRIENDS = "910000000000000001"
MODERATORS = "910000000000000002"
ADA = "800000000000000042"


def gated_invite(api: Client, **fields: Any) -> dict[str, Any]:
    return make_invite(api, discord_gate="member", **fields)


def go_to_discord(client: Client, code: str) -> Any:
    """Press "Sign in with Discord" on the invite page (a form, no script)."""
    page = client.get(f"/invite/{code}")
    return client.post(f"/invite/{code}/discord", {"csrfmiddlewaretoken": csrf_token(page.content.decode())})


def sign_in_with_discord(client: Client, code: str) -> Any:
    """The whole round trip: our redirect, Discord's authorize page, the callback."""
    started = go_to_discord(client, code)
    assert started.status_code == 303, started.content
    at_discord = requests.get(started["Location"], allow_redirects=False, timeout=5)
    assert at_discord.status_code == 302, at_discord.text
    back = urlsplit(at_discord.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == "http://testserver/discord/callback"
    return client.get(f"{back.path}?{back.query}")


def test_a_gated_invite_page_asks_for_discord_before_plex(
    api: Client, server: MediaServer, discord: FakeDiscord
) -> None:
    invite = gated_invite(api)
    html = browser().get(f"/invite/{invite['code']}").content.decode()
    assert "Sign in with Discord" in html
    assert f'action="/invite/{invite["code"]}/discord"' in html
    assert "Sign in with Plex" not in html
    assert "Send me the invitation" not in html


def test_the_discord_button_sends_the_redeemer_to_discord_with_state_and_pkce(
    api: Client, server: MediaServer, discord: FakeDiscord
) -> None:
    invite = gated_invite(api)
    response = go_to_discord(browser(), invite["code"])
    assert response.status_code == 303
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{discord.url}/oauth2/authorize"
    query = parse_qs(location.query)
    assert query["client_id"] == [FakeDiscord.CLIENT_ID]
    assert query["scope"] == ["identify guilds.members.read"]
    assert query["redirect_uri"] == ["http://testserver/discord/callback"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"][0] and query["code_challenge"][0]
    assert FakeDiscord.CLIENT_SECRET not in response["Location"]


def test_it_refuses_someone_outside_the_discord_server(
    api: Client, server: MediaServer, sim: PlexSimulator, discord: FakeDiscord
) -> None:
    invite = gated_invite(api)
    client = browser()
    response = sign_in_with_discord(client, invite["code"])
    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-problem="discord_not_member"' in html
    assert "You are not in the owner&#x27;s Discord server" in html
    # No pass was kept: the Plex step and the e-mail path still refuse, and nothing is claimed.
    plex = client.post(f"/invite/{invite['code']}/plex", {"csrfmiddlewaretoken": csrf_token(html)})
    assert 'data-problem="discord_required"' in plex.content.decode()
    by_mail = redeem_by_email(client, invite["code"])
    assert 'data-problem="discord_required"' in by_mail.content.decode()
    assert Invite.objects.get(code=invite["code"]).used_count == 0
    assert not Member.objects.exists()
    assert_invariants()


def test_it_refuses_a_member_of_the_server_without_the_role(
    api: Client, server: MediaServer, sim: PlexSimulator, discord: FakeDiscord
) -> None:
    invite = gated_invite(api, discord_role_ids=[PLEX_FRIENDS])
    discord.join(ADA, MODERATORS)
    response = sign_in_with_discord(browser(), invite["code"])
    assert response.status_code == 403
    assert 'data-problem="discord_missing_role"' in response.content.decode()
    assert Invite.objects.get(code=invite["code"]).used_count == 0
    assert not Member.objects.exists()


def test_it_admits_a_member_with_the_role_and_keeps_their_discord_account(
    api: Client, server: MediaServer, sim: PlexSimulator, discord: FakeDiscord
) -> None:
    invite = gated_invite(api, discord_role_ids=[PLEX_FRIENDS])
    discord.join(ADA, PLEX_FRIENDS)
    client = browser()
    response = sign_in_with_discord(client, invite["code"])
    assert response.status_code == 303
    assert response["Location"] == f"/invite/{invite['code']}"
    page = client.get(response["Location"]).content.decode()
    assert "Signed in with Discord as ada.discord" in page
    assert "Sign in with Plex" in page

    _, public_id = start_plex_sign_in(client, invite["code"])
    sign_in_at_plex(sim, public_id, "guest")
    done = come_back_from_plex(client, invite["code"], public_id)
    assert done.status_code == 303, done.content
    member = Member.objects.get()
    assert member.status == "active"
    assert (member.discord_id, member.discord_username) == (ADA, "ada.discord")
    assert (member.discord_gate, member.discord_role_ids) == ("member", [PLEX_FRIENDS])
    assert Invite.objects.get(code=invite["code"]).used_count == 1
    assert_invariants()

    redeemed = AuditEvent.objects.get(action="invite.redeem")
    assert redeemed.details["discord_id"] == ADA
    shown = api.get(f"/api/users/{member.pk}").json()
    assert shown["discord"] == {"id": ADA, "username": "ada.discord", "left_at": None}


def test_sign_in_only_invites_admit_anyone_with_a_discord_account(
    api: Client, server: MediaServer, sim: PlexSimulator, discord: FakeDiscord
) -> None:
    invite = make_invite(api, discord_gate="sign_in")
    client = browser()
    assert sign_in_with_discord(client, invite["code"]).status_code == 303
    assert redeem_by_email(client, invite["code"]).status_code == 303
    member = Member.objects.get()
    assert member.discord_id == ADA
    # Only who they are was asked: never their server membership.
    assert not any("/guilds/" in line for line in discord.requests)


def test_discord_being_down_is_said_plainly_and_claims_nothing(
    api: Client, server: MediaServer, sim: PlexSimulator, discord: FakeDiscord
) -> None:
    invite = gated_invite(api)
    discord.join(ADA)
    client = browser()
    started = go_to_discord(client, invite["code"])
    at_discord = requests.get(started["Location"], allow_redirects=False, timeout=5)
    discord.down = True  # Discord falls over between the person's "Authorize" and our token call
    back = urlsplit(at_discord.headers["Location"])
    response = client.get(f"{back.path}?{back.query}")
    assert response.status_code == 503
    html = response.content.decode()
    assert 'data-problem="discord_unavailable"' in html
    assert "Nothing was used up" in html
    assert Invite.objects.get(code=invite["code"]).used_count == 0
    assert not Redemption.objects.exists()


def test_a_callback_with_a_state_this_browser_never_started_is_refused(
    api: Client, server: MediaServer, discord: FakeDiscord
) -> None:
    invite = gated_invite(api)
    discord.join(ADA)
    started = go_to_discord(browser(), invite["code"])
    at_discord = requests.get(started["Location"], allow_redirects=False, timeout=5)
    back = urlsplit(at_discord.headers["Location"])
    # Another browser (an attacker's link, say) arrives with that code and state.
    response = browser().get(f"{back.path}?{back.query}")
    assert response.status_code == 403
    assert "This Discord sign-in is unknown or was already used" in response.content.decode()
    # Discord's code was never traded for a token.
    assert not any(line.endswith("/api/oauth2/token") for line in discord.requests)


def test_a_tampered_state_is_refused_and_a_used_one_cannot_be_replayed(
    api: Client, server: MediaServer, discord: FakeDiscord
) -> None:
    invite = gated_invite(api)
    discord.join(ADA)
    client = browser()
    started = go_to_discord(client, invite["code"])
    at_discord = requests.get(started["Location"], allow_redirects=False, timeout=5)
    back = urlsplit(at_discord.headers["Location"])
    query = parse_qs(back.query)
    tampered = client.get("/discord/callback", {"code": query["code"][0], "state": query["state"][0] + "x"})
    assert tampered.status_code == 403
    assert client.get(f"{back.path}?{back.query}").status_code == 303
    assert client.get(f"{back.path}?{back.query}").status_code == 403


def test_one_discord_account_cannot_stand_for_two_members(
    api: Client, server: MediaServer, sim: PlexSimulator, discord: FakeDiscord
) -> None:
    invite = gated_invite(api, usage_limit=5)
    discord.join(ADA)
    first = browser()
    sign_in_with_discord(first, invite["code"])
    assert redeem_by_email(first, invite["code"], "first@example.com").status_code == 303
    second = browser()
    sign_in_with_discord(second, invite["code"])
    refused = redeem_by_email(second, invite["code"], "second@example.com")
    assert 'data-problem="discord_in_use"' in refused.content.decode()
    assert Invite.objects.get(code=invite["code"]).used_count == 1


def test_a_second_discord_person_in_the_server_gets_in_too(
    api: Client, server: MediaServer, sim: PlexSimulator, discord: FakeDiscord
) -> None:
    invite = gated_invite(api, usage_limit=5)
    discord.join(ADA)
    bob = discord.sign_in_as(DiscordPerson(id="800000000000000043", username="bob"))
    discord.join(bob.id)
    client = browser()
    sign_in_with_discord(client, invite["code"])
    assert redeem_by_email(client, invite["code"]).status_code == 303
    assert Member.objects.get().discord_username == "bob"


def test_the_api_refuses_a_gated_invite_without_a_discord_sign_in(
    api: Client, server: MediaServer, discord: FakeDiscord
) -> None:
    invite = gated_invite(api)
    validated = Client().post("/api/invites/validate", {"code": invite["code"]}, content_type="application/json")
    assert validated.json()["discord_gate"] == "member"
    redeemed = Client().post(
        "/api/invites/redeem", {"code": invite["code"], "email": "x@example.com"}, content_type="application/json"
    )
    assert redeemed.status_code == 403
    assert redeemed.json()["error"] == "discord_required"
    started = Client().post("/api/invites/oauth/start", {"code": invite["code"]}, content_type="application/json")
    assert started.status_code == 403
    assert Invite.objects.get(code=invite["code"]).used_count == 0


def test_an_invite_cannot_ask_for_discord_before_discord_is_connected(api: Client, server: MediaServer) -> None:
    response = api.post("/api/invites/", data={"discord_gate": "member"}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"] == "discord_not_configured"


def test_roles_need_the_member_gate(api: Client, server: MediaServer, discord: FakeDiscord) -> None:
    response = api.post(
        "/api/invites/",
        data={"discord_gate": "sign_in", "discord_role_ids": [PLEX_FRIENDS]},
        content_type="application/json",
    )
    assert response.status_code == 422


def test_the_secrets_never_show_in_the_audit(api: Client, server: MediaServer, discord: FakeDiscord) -> None:
    logged = str(list(AuditEvent.objects.filter(action="settings.discord").values("details")))
    assert FakeDiscord.CLIENT_SECRET not in logged
    assert FakeDiscord.BOT_TOKEN not in logged
    assert "changed" in logged


def test_the_discord_step_and_its_refusals_speak_german(
    api: Client, server: MediaServer, sim: PlexSimulator, discord: FakeDiscord
) -> None:
    invite = gated_invite(api)
    client = Client(headers={"Accept-Language": "de-DE,de;q=0.9"})
    page = client.get(f"/invite/{invite['code']}").content.decode()
    assert "Melde dich zuerst mit Discord an" in page
    assert "Mit Discord anmelden" in page
    refused = sign_in_with_discord(client, invite["code"]).content.decode()
    assert "Du bist nicht auf dem Discord-Server des Besitzers" in refused
