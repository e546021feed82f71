"""Sign in with Plex through the pages, as a phone or a browser without script does it:
the button starts the PIN on the server and sends the page to Plex with a way back."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from guestlist.invites.models import Invite, Redemption
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer, PlexPin
from guestlist.plexsim import PlexSimulator
from guestlist.plexsim.state import Share
from guestlist.plexwork import outbox
from guestlist.plexwork.models import PlexOperation
from tests.conftest import MACHINE_ID, OWNER_PLEX_TOKEN
from tests.invites.test_redeem_email import assert_invariants, make_invite
from tests.public.helpers import browser, come_back_from_plex, sign_in_at_plex, start_plex_sign_in, submit


def share_of(sim: PlexSimulator, username: str) -> Share | None:
    account = sim.account(username)
    return next((share for share in sim.shares_of(MACHINE_ID) if share.invited_id == account.id), None)


def test_the_button_sends_the_page_to_plex_with_a_way_back(
    api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    invite = make_invite(api)
    response, public_id = start_plex_sign_in(browser(), invite["code"].lower())
    location = response["Location"]
    assert location.startswith(f"{sim.plex_tv_url}/auth#?")
    fragment = parse_qs(urlsplit(location).fragment.lstrip("?"))
    pin = PlexPin.objects.get(public_id=public_id)
    assert fragment["code"] == [pin.code]
    assert fragment["clientID"][0].startswith("guestlist-")
    assert fragment["forwardUrl"] == [f"http://testserver/invite/{invite['code']}/plex/continue?pin={public_id}"]
    assert OWNER_PLEX_TOKEN not in location
    assert not Member.objects.exists()


def test_coming_back_shows_a_page_that_finishes_without_redeeming_on_get(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    invite = make_invite(api)
    _, public_id = start_plex_sign_in(browser(), invite["code"])
    sign_in_at_plex(sim, public_id, "guest")
    sim.clear_request_log()
    response = client.get(f"/invite/{invite['code']}/plex/continue?pin={public_id}")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-pin="{public_id}"' in html
    assert "Continue" in html
    assert sim.request_log() == []  # a GET asks Plex nothing
    assert not Member.objects.exists()


def test_the_whole_sign_in_redeems_and_accepts_the_share_for_them(
    api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    invite = make_invite(api, libraries=[1, 2], allow_channels=True)
    client = browser()
    _, public_id = start_plex_sign_in(client, invite["code"])
    sign_in_at_plex(sim, public_id, "guest")
    response = come_back_from_plex(client, invite["code"], public_id)
    assert response.status_code == 303, response.content
    welcome = client.get(response["Location"])
    html = welcome.content.decode()
    assert "Welcome, guest!" in html
    assert "You are in: Guestlist Test is now in your Plex account" in html
    assert "Movies, TV Shows" in html
    member = Member.objects.get()
    assert member.status == "active"
    assert (member.email, member.username, member.plex_id) == ("guest@example.com", "guest", sim.account("guest").id)
    share = share_of(sim, "guest")
    assert share is not None and share.accepted
    assert Redemption.objects.get().user_token_encrypted == ""
    token = sim.account("guest").tokens[-1]
    assert token not in html and token not in response.content.decode()
    assert_invariants()


def test_identity_fields_sent_with_the_form_are_ignored(api: Client, server: MediaServer, sim: PlexSimulator) -> None:
    invite = make_invite(api)
    client = browser()
    _, public_id = start_plex_sign_in(client, invite["code"])
    sign_in_at_plex(sim, public_id, "guest")
    response = come_back_from_plex(
        client, invite["code"], public_id, email="victim@example.com", username="mallory", plex_id="1", thumb="x"
    )
    assert response.status_code == 303
    member = Member.objects.get()
    assert (member.email, member.username) == ("guest@example.com", "guest")
    assert "victim" not in client.get(response["Location"]).content.decode()


def test_before_plex_confirms_the_page_says_not_yet(api: Client, server: MediaServer, sim: PlexSimulator) -> None:
    invite = make_invite(api)
    client = browser()
    _, public_id = start_plex_sign_in(client, invite["code"])
    response = come_back_from_plex(client, invite["code"], public_id)
    assert response.status_code == 202
    assert "Plex has not confirmed your sign-in yet" in response.content.decode()
    assert not Member.objects.exists()


def test_the_owners_own_account_is_refused(api: Client, server: MediaServer, sim: PlexSimulator) -> None:
    invite = make_invite(api)
    client = browser()
    _, public_id = start_plex_sign_in(client, invite["code"])
    sign_in_at_plex(sim, public_id, "plexowner")
    response = come_back_from_plex(client, invite["code"], public_id)
    assert response.status_code == 409
    html = response.content.decode()
    assert "This is the server owner&#x27;s own Plex account" in html
    assert "Sign in with the Plex account of the person who is being invited" in html
    assert Invite.objects.get().used_count == 0


def test_someone_who_already_has_access_is_told_so(api: Client, server: MediaServer, sim: PlexSimulator) -> None:
    sim.share(MACHINE_ID, sim.account("guest"), library_keys=(1,), accepted=True)
    invite = make_invite(api)
    client = browser()
    _, public_id = start_plex_sign_in(client, invite["code"])
    sign_in_at_plex(sim, public_id, "guest")
    response = come_back_from_plex(client, invite["code"], public_id)
    assert response.status_code == 409
    assert "You already have access to this Plex server" in response.content.decode()
    assert 'href="https://app.plex.tv/"' in response.content.decode()
    assert Invite.objects.get().used_count == 0


def test_an_accept_plex_shows_a_little_late_still_finishes_in_the_request(
    api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    sim.configure(pending_visible_after_polls=1)
    invite = make_invite(api)
    client = browser()
    _, public_id = start_plex_sign_in(client, invite["code"])
    sign_in_at_plex(sim, public_id, "guest")
    response = come_back_from_plex(client, invite["code"], public_id)
    assert response.status_code == 303
    assert Member.objects.get().status == "active"
    share = share_of(sim, "guest")
    assert share is not None and share.accepted


def test_an_accept_plex_shows_much_later_finishes_in_the_background(
    api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    sim.configure(pending_visible_after_polls=6)
    invite = make_invite(api)
    client = browser()
    _, public_id = start_plex_sign_in(client, invite["code"])
    sign_in_at_plex(sim, public_id, "guest")
    response = come_back_from_plex(client, invite["code"], public_id)
    assert response.status_code == 303
    waiting = client.get(response["Location"]).content.decode()
    assert 'data-state="accepting"' in waiting
    assert "there is nothing you need to do" in waiting
    assert '<meta http-equiv="refresh"' in waiting
    for _ in range(3):
        PlexOperation.objects.filter(state="queued").update(next_attempt_at=timezone.now())
        outbox.process_due()
    done = client.get(response["Location"]).content.decode()
    assert 'data-state="ready"' in done
    assert '<meta http-equiv="refresh"' not in done
    assert Member.objects.get().status == "active"
    assert Redemption.objects.get().user_token_encrypted == ""


@pytest.mark.parametrize("pin", ["made-up", "bad pin!"])
def test_an_unknown_sign_in_sends_them_back_to_start_again(api: Client, server: MediaServer, pin: str) -> None:
    invite = make_invite(api)
    client = browser()
    response = submit(client, f"/invite/{invite['code']}", f"/invite/{invite['code']}/plex/continue", pin=pin)
    assert response.status_code == 410
    assert "The Plex sign-in did not finish in time" in response.content.decode()
    assert "Sign in with Plex" in response.content.decode()


def test_an_expired_sign_in_says_start_again(api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    client = browser()
    _, public_id = start_plex_sign_in(client, invite["code"])
    PlexPin.objects.update(expires_at=timezone.now())
    response = come_back_from_plex(client, invite["code"], public_id)
    assert response.status_code == 410
    assert "Press “Sign in with Plex” and try again." in response.content.decode()


def test_a_sign_in_for_another_invite_is_refused(api: Client, server: MediaServer, sim: PlexSimulator) -> None:
    one, other = make_invite(api), make_invite(api)
    client = browser()
    _, public_id = start_plex_sign_in(client, one["code"])
    sign_in_at_plex(sim, public_id, "guest")
    response = come_back_from_plex(client, other["code"], public_id)
    assert response.status_code == 409
    assert "This Plex sign-in belongs to another invite" in response.content.decode()
    assert not Member.objects.exists()


def test_the_plex_pass_refusal_on_a_home_invite_is_explained(
    api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    sim.account("plexowner").plex_pass = False
    invite = make_invite(api, plex_home=True)
    client = browser()
    _, public_id = start_plex_sign_in(client, invite["code"])
    sign_in_at_plex(sim, public_id, "guest")
    response = come_back_from_plex(client, invite["code"], public_id)
    assert response.status_code == 502
    assert "Plex needs Plex Pass for this invite" in response.content.decode()
    assert Invite.objects.get().used_count == 0
    assert_invariants()


def test_a_plex_home_invite_by_plex_sign_in_joins_the_home(
    api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    invite = make_invite(api, plex_home=True)
    client = browser()
    _, public_id = start_plex_sign_in(client, invite["code"])
    sign_in_at_plex(sim, public_id, "guest")
    response = come_back_from_plex(client, invite["code"], public_id)
    assert response.status_code == 303
    assert [account.username for account in sim.home_members("plexowner")] == ["guest"]
    welcome = client.get(response["Location"]).content.decode()
    assert "Plex Home" in welcome


def test_starting_a_sign_in_for_an_unusable_invite_is_refused(api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    client = browser()
    page = client.get(f"/invite/{invite['code']}")
    Invite.objects.filter(pk=invite["id"]).update(is_active=False)
    from tests.public.helpers import csrf_token

    response = client.post(f"/invite/{invite['code']}/plex", {"csrfmiddlewaretoken": csrf_token(page.content.decode())})
    assert response.status_code == 410
    assert "Invite code is not active" in response.content.decode()
    assert not PlexPin.objects.exists()


def test_plex_being_down_when_starting_is_an_honest_try_again(
    api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    invite = make_invite(api)
    sim.inject_fault("POST", "/api/v2/pins*", status=503, times=1)
    response = submit(browser(), f"/invite/{invite['code']}", f"/invite/{invite['code']}/plex")
    assert response.status_code == 503
    assert "Plex is not answering right now" in response.content.decode()


@pytest.mark.usefixtures("frozen_minute")
def test_starting_sign_ins_is_rate_limited(api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    client = browser()
    statuses = [
        submit(client, f"/invite/{invite['code']}", f"/invite/{invite['code']}/plex").status_code for _ in range(11)
    ]
    assert statuses[:10] == [303] * 10
    assert statuses[10] == 429
    assert PlexPin.objects.count() == 10


@pytest.mark.usefixtures("frozen_minute")
def test_finishing_is_rate_limited_like_polling(api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    client = browser()
    _, public_id = start_plex_sign_in(client, invite["code"])
    page = client.get(f"/invite/{invite['code']}/plex/continue?pin={public_id}")
    from tests.public.helpers import csrf_token

    token = csrf_token(page.content.decode())
    url = f"/invite/{invite['code']}/plex/continue"
    statuses = [client.post(url, {"csrfmiddlewaretoken": token, "pin": public_id}).status_code for _ in range(121)]
    assert statuses[:120] == [202] * 120
    assert statuses[120] == 429


def test_the_continue_form_needs_its_csrf_token(api: Client, server: MediaServer, sim: PlexSimulator) -> None:
    invite = make_invite(api)
    _, public_id = start_plex_sign_in(browser(), invite["code"])
    sign_in_at_plex(sim, public_id, "guest")
    response = browser().post(f"/invite/{invite['code']}/plex/continue", {"pin": public_id})
    assert response.status_code == 403
    assert not Member.objects.exists()


def test_the_api_answer_carries_a_welcome_link(
    client: Client, api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    invite = make_invite(api)
    started = client.post("/api/invites/oauth/start", {"code": invite["code"]}, content_type="application/json")
    pin_id = started.json()["pin_id"]
    waiting = client.post(
        "/api/invites/redeem", {"code": invite["code"], "pin_id": pin_id}, content_type="application/json"
    )
    assert waiting.status_code == 202 and waiting.json()["welcome_url"] is None
    sign_in_at_plex(sim, pin_id, "guest")
    done = client.post(
        "/api/invites/redeem", {"code": invite["code"], "pin_id": pin_id}, content_type="application/json"
    )
    assert done.status_code == 201
    link = done.json()["welcome_url"]
    assert link.startswith("http://testserver/welcome/")
    assert "Welcome, guest!" in client.get(urlsplit(link).path).content.decode()
