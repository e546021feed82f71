"""After-joining steps: the welcome page, the getting-started link, and /me/start."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import formats, timezone

from guestlist.core.audit import Actor
from guestlist.invites import welcome
from guestlist.invites.models import Redemption
from guestlist.members.logins import ensure_user
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.invites.test_redeem_email import make_invite
from tests.public.helpers import browser, csrf_token, redeem_by_email
from tests.steps.helpers import add_step, default_set


def welcome_link(api: Client, **fields: object) -> str:
    invite = make_invite(api, **fields)
    response = redeem_by_email(browser(), invite["code"])
    assert response.status_code == 303, response.content
    return str(response["Location"])


def test_the_welcome_page_walks_through_the_shipped_steps(api: Client, server: MediaServer) -> None:
    link = welcome_link(api, user_expires_in_days=30)
    client = browser()
    first = client.get(link).content.decode()
    assert "Step 1 of 3" in first
    assert "Open Plex on your TV, phone or computer" in first
    assert 'href="https://app.plex.tv/desktop"' in first and 'href="https://plex.tv/link"' in first
    assert 'rel="next"' in first
    last = client.get(f"{link}?step=3").content.decode()
    assert "When your access ends" in last
    expires_at = Member.objects.get().expires_at
    assert expires_at is not None
    day = formats.date_format(timezone.localtime(expires_at), "DATE_FORMAT")
    assert f"You have access <strong>until {day}</strong>" in last
    assert 'rel="prev"' in last and 'rel="next"' not in last


def test_the_welcome_page_points_to_a_link_that_brings_them_back(api: Client, server: MediaServer) -> None:
    link = welcome_link(api)
    html = browser().get(link).content.decode()
    member = Member.objects.get()
    start = welcome.start_path_for(member)
    assert start in html
    again = browser().get(f"{start}?step=2")
    assert again.status_code == 200
    assert "Find what Guestlist Test shares with you" in again.content.decode()


def test_the_getting_started_link_still_works_weeks_later_but_not_forever(api: Client, server: MediaServer) -> None:
    welcome_link(api)
    start = welcome.start_path_for(Member.objects.get())
    with time_machine.travel(timezone.now() + timedelta(days=60)):
        assert browser().get(start).status_code == 200
    with time_machine.travel(timezone.now() + welcome.START_LIFETIME + timedelta(minutes=1)):
        assert browser().get(start).status_code == 410
    assert browser().get(f"{start[:-3]}xyz").status_code == 404


def test_an_after_step_that_asks_for_acceptance_records_it(api: Client, server: MediaServer) -> None:
    step = add_step(
        api,
        default_set(api)["id"],
        group="after",
        title="Our Discord",
        requires_acceptance=True,
        acceptance_label="I will be nice",
        buttons=[{"kind": "link", "label": "Join the Discord", "url": "https://discord.gg/example"}],
    )
    link = welcome_link(api)
    client = browser()
    page = client.get(f"{link}?step=4").content.decode()
    assert "I will be nice" in page and 'href="https://discord.gg/example"' in page
    token = welcome.start_token_for(Member.objects.get())
    response = client.post(
        f"/start/{token}/accept",
        {"csrfmiddlewaretoken": csrf_token(page), "step_id": str(step["id"]), "next": f"{link}?step=4"},
    )
    assert response.status_code == 303 and response["Location"] == f"{link}?step=4"
    records = Redemption.objects.get().accepted_steps
    assert [(r["id"], r["title"]) for r in records] == [(step["id"], "Our Discord")]
    assert "✓ I will be nice" in client.get(f"{link}?step=4").content.decode()
    forged = client.post(
        f"/start/{token}/accept", {"csrfmiddlewaretoken": csrf_token(page), "step_id": "999999", "next": "https://evil"}
    )
    assert forged.status_code == 404


def test_variables_are_filled_in_and_a_name_stays_plain_text(
    api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    add_step(api, default_set(api)["id"], group="after", title="Hi {name}", body="**{name}**, welcome to {server}.")
    link = welcome_link(api, description="Cinema club")
    Member.objects.update(username="<img src=x onerror=alert(1)>[a](javascript:x)", plex_id=42)
    start = welcome.start_path_for(Member.objects.get())
    html = browser().get(f"{start}?step=4").content.decode()
    assert "onerror=alert(1)>" not in html
    assert 'href="javascript' not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "welcome to Guestlist Test" in html
    assert link


def test_an_ended_membership_shows_no_steps(api: Client, server: MediaServer) -> None:
    link = welcome_link(api)
    assert api.delete(f"/api/users/{Member.objects.get().pk}").status_code == 204
    html = browser().get(link).content.decode()
    assert "This access has ended" in html
    assert "data-steps" not in html


def test_members_who_sign_in_find_their_steps_under_me(api: Client, server: MediaServer) -> None:
    welcome_link(api)
    member = Member.objects.get()
    Member.objects.filter(pk=member.pk).update(status=Member.Status.ACTIVE)
    user = ensure_user(member, actor=Actor.system("test"))
    client = Client()
    client.force_login(User.objects.get(pk=user.pk))
    home = client.get("/me/").content.decode()
    assert 'href="/me/start"' in home
    page = client.get("/me/start?step=2")
    assert page.status_code == 200
    assert "Find what Guestlist Test shares with you" in page.content.decode()
    assert "Step 2 of 3" in page.content.decode()


def test_the_steps_speak_german(api: Client, server: MediaServer) -> None:
    link = welcome_link(api)
    html = browser().get(link, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Schritt 1 von 3" in html
    assert "Öffne Plex auf deinem Fernseher, Handy oder Computer" in html
