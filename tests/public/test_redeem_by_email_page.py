"""The Komandorr path on the page: type an address, Plex e-mails the invitation."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from guestlist.core.models import SiteSettings
from guestlist.invites.models import Invite
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.conftest import MACHINE_ID
from tests.invites.test_redeem_email import assert_invariants, make_invite, shares_for
from tests.public.helpers import browser, redeem_by_email, submit


def test_it_redeems_by_email_and_lands_on_the_welcome_page(
    api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    invite = make_invite(api, libraries=[1], allow_sync=True, user_expires_in_days=30)
    client = browser()
    response = redeem_by_email(client, invite["code"].lower(), "Guest@Example.com")
    assert response.status_code == 303
    assert response["Location"].startswith("/welcome/")
    welcome = client.get(response["Location"]).content.decode()
    assert "Plex has sent an invitation to Guest@Example.com" in welcome
    assert "Open the e-mail from Plex and accept it" in welcome
    assert "Movies" in welcome
    member = Member.objects.get()
    assert member.status == "pending"
    assert member.expires_at is not None
    assert len(shares_for(sim, "guest@example.com")) == 1
    assert any(mail["to"].lower() == "guest@example.com" for mail in sim.emails())
    assert Invite.objects.get().used_count == 1
    assert_invariants()


def test_the_form_needs_its_csrf_token(api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    response = browser().post(f"/invite/{invite['code']}/email", {"email": "guest@example.com"})
    assert response.status_code == 403
    assert not Member.objects.exists()


def test_a_get_of_the_form_address_redeems_nothing(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    assert client.get(f"/invite/{invite['code']}/email?email=guest@example.com").status_code == 405
    assert client.get(f"/invite/{invite['code']}/plex").status_code == 405
    assert not Member.objects.exists()


def test_a_bad_address_is_refused_and_the_form_keeps_it(api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    response = redeem_by_email(browser(), invite["code"], "not an address<b>")
    assert response.status_code == 422
    html = response.content.decode()
    assert "That does not look like an e-mail address" in html
    assert 'value="not an address&lt;b&gt;"' in html
    assert not Member.objects.exists()


@pytest.mark.parametrize(
    ("prepare", "email", "status", "words"),
    [
        ("disabled", "guest@example.com", 410, "Invite code is not active"),
        ("expired", "guest@example.com", 410, "Invite code has expired"),
        ("owner", "owner@example.com", 409, "This is the server owner&#x27;s own Plex account"),
        ("shared_by_hand", "alice@example.com", 409, "You already have access to this Plex server"),
    ],
)
def test_refusals_say_what_to_do_next(
    api: Client, server: MediaServer, sim: PlexSimulator, prepare: str, email: str, status: int, words: str
) -> None:
    invite = make_invite(api)
    client = browser()
    page = client.get(f"/invite/{invite['code']}")  # opened while still usable
    if prepare == "disabled":
        Invite.objects.filter(pk=invite["id"]).update(is_active=False)
    elif prepare == "expired":
        Invite.objects.filter(pk=invite["id"]).update(expires_at=timezone.now())
    elif prepare == "shared_by_hand":
        sim.share(MACHINE_ID, sim.account("alice"), library_keys=(1,), accepted=True)
    from tests.public.helpers import csrf_token

    response = client.post(
        f"/invite/{invite['code']}/email",
        {"csrfmiddlewaretoken": csrf_token(page.content.decode()), "email": email},
    )
    assert response.status_code == status
    assert words in response.content.decode()
    assert Invite.objects.get().used_count == 0


def test_with_the_email_path_switched_off_the_form_is_refused(api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    client = browser()
    page = client.get(f"/invite/{invite['code']}")
    SiteSettings.objects.filter(pk=1).update(email_redemption_enabled=False, updated_at=timezone.now())
    from tests.public.helpers import csrf_token

    response = client.post(
        f"/invite/{invite['code']}/email",
        {"csrfmiddlewaretoken": csrf_token(page.content.decode()), "email": "guest@example.com"},
    )
    assert response.status_code == 410
    assert "Joining by e-mail is switched off" in response.content.decode()


@pytest.mark.usefixtures("frozen_minute")
def test_the_form_is_rate_limited(api: Client, server: MediaServer) -> None:
    invite = make_invite(api, usage_limit=None)
    client = browser()
    statuses = [redeem_by_email(client, invite["code"], "nope").status_code for _ in range(11)]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429
    refused = redeem_by_email(client, invite["code"], "guest@example.com")
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert not Member.objects.exists()


def test_redeeming_again_lands_on_the_same_welcome_without_a_second_use(api: Client, server: MediaServer) -> None:
    invite = make_invite(api, usage_limit=3)
    client = browser()
    first = redeem_by_email(client, invite["code"])
    again = redeem_by_email(client, invite["code"], "GUEST@example.com")
    assert first.status_code == again.status_code == 303
    assert Invite.objects.get().used_count == 1


def test_a_removed_member_can_be_invited_again(api: Client, server: MediaServer, sim: PlexSimulator) -> None:
    first = make_invite(api)
    client = browser()
    assert redeem_by_email(client, first["code"]).status_code == 303
    member = Member.objects.get()
    assert api.delete(f"/api/users/{member.pk}").status_code == 204
    second = make_invite(api)
    response = redeem_by_email(client, second["code"])
    assert response.status_code == 303
    assert "Plex has sent an invitation" in client.get(response["Location"]).content.decode()
    member.refresh_from_db()
    assert member.status == "pending"
    assert len(shares_for(sim, "guest@example.com")) == 1
    assert_invariants()


def test_a_plex_home_invite_adds_the_address_to_the_home(api: Client, server: MediaServer, sim: PlexSimulator) -> None:
    invite = make_invite(api, plex_home=True)
    client = browser()
    response = redeem_by_email(client, invite["code"])
    assert response.status_code == 303
    assert [account.username for account in sim.home_members("plexowner")] == ["guest"]
    welcome = client.get(response["Location"]).content.decode()
    assert "Plex Home" in welcome


def test_plexs_plex_pass_refusal_is_explained_and_the_use_given_back(
    api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    sim.account("plexowner").plex_pass = False
    invite = make_invite(api, plex_home=True)
    response = redeem_by_email(browser(), invite["code"])
    assert response.status_code == 502
    html = response.content.decode()
    assert "Plex needs Plex Pass for this invite" in html
    assert "they can send you a regular invite instead" in html
    assert "Plex said: “Invite a user requires a Plex Pass”" in html
    assert Invite.objects.get().used_count == 0
    assert not Member.objects.exists()
    assert_invariants()


def test_plex_being_down_keeps_their_place_and_says_so(api: Client, server: MediaServer, sim: PlexSimulator) -> None:
    invite = make_invite(api)
    sim.inject_fault("*", "*", status=503, times=None)
    response = submit(
        browser(), f"/invite/{invite['code']}", f"/invite/{invite['code']}/email", email="guest@example.com"
    )
    sim.clear_faults()
    assert response.status_code == 303
    welcome = browser().get(response["Location"])
    assert 'data-state="saved"' in welcome.content.decode()
    assert "Your invite is saved and finishes on its own" in welcome.content.decode()
    assert Invite.objects.get().used_count == 1
