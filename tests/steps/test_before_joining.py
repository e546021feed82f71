"""Before-joining steps on the invite page: plain pages, a required tick, and no way around it."""

from __future__ import annotations

import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from guestlist.invites.models import Invite, Redemption
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.invites.test_redeem_email import make_invite
from tests.public.helpers import browser, come_back_from_plex, csrf_token, sign_in_at_plex, submit
from tests.steps.helpers import add_step, default_set, house_rules


def test_without_before_steps_the_invite_page_is_unchanged(api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    html = browser().get(f"/invite/{invite['code']}").content.decode()
    assert "Sign in with Plex" in html
    assert "data-steps" not in html


def test_the_steps_come_first_one_page_each_with_progress(api: Client, server: MediaServer) -> None:
    set_id = default_set(api)["id"]
    add_step(api, set_id, group="before", title="Welcome to {server}", body="Hello {name}, shared: {libraries}.")
    house_rules(api, set_id)
    invite = make_invite(api)
    client = browser()
    first = client.get(f"/invite/{invite['code']}").content.decode()
    assert "Step 1 of 3" in first
    assert "Welcome to Guestlist Test" in first
    assert "Hello guest" in first
    assert "Sign in with Plex" not in first
    second = client.get(f"/invite/{invite['code']}?step=2").content.decode()
    assert "Step 2 of 3" in second and "House rules" in second
    assert 'type="checkbox" name="accepted"' in second and "required" in second
    assert 'rel="prev"' in second


def test_skipping_a_step_that_must_be_accepted_shows_it_again(api: Client, server: MediaServer) -> None:
    rules = house_rules(api)
    invite = make_invite(api)
    client = browser()
    skipped = client.get(f"/invite/{invite['code']}?step=2").content.decode()
    assert "House rules" in skipped
    assert "tick the box before you go on" in skipped
    accepted = client.get(f"/invite/{invite['code']}?step=2&accepted={rules['id']}").content.decode()
    assert "Sign in with Plex" in accepted
    assert f'name="accepted" value="{rules["id"]}"' in accepted
    assert f'data-accepted="{rules["id"]}"' in accepted


def test_joining_by_email_without_accepting_is_refused_and_uses_nothing(api: Client, server: MediaServer) -> None:
    rules = house_rules(api)
    invite = make_invite(api)
    client = browser()
    page = client.get(f"/invite/{invite['code']}?step=2&accepted={rules['id']}").content.decode()
    refused = client.post(
        f"/invite/{invite['code']}/email", {"csrfmiddlewaretoken": csrf_token(page), "email": "guest@example.com"}
    )
    assert refused.status_code == 422
    assert "Please accept the steps first" in refused.content.decode()
    assert "House rules" in refused.content.decode()
    assert Invite.objects.get().used_count == 0


def test_joining_by_email_after_accepting_records_the_acceptance_for_the_owner_to_see(
    api: Client, server: MediaServer, owner_client: Client
) -> None:
    rules = house_rules(api)
    invite = make_invite(api)
    client = browser()
    page = f"/invite/{invite['code']}?step=2&accepted={rules['id']}"
    response = submit(
        client, page, f"/invite/{invite['code']}/email", email="guest@example.com", accepted=str(rules["id"])
    )
    assert response.status_code == 303, response.content
    redemption = Redemption.objects.get()
    assert [(r["id"], r["title"]) for r in redemption.accepted_steps] == [(rules["id"], "House rules")]
    owner_page = owner_client.get(f"/users/{redemption.member_id}").content.decode()
    assert "Accepted “House rules”" in owner_page


def test_the_plex_path_checks_the_acceptance_before_sending_anyone_to_plex(
    api: Client, server: MediaServer, sim: PlexSimulator
) -> None:
    rules = house_rules(api)
    invite = make_invite(api)
    client = browser()
    page = f"/invite/{invite['code']}?step=2&accepted={rules['id']}"
    refused = submit(client, page, f"/invite/{invite['code']}/plex")
    assert refused.status_code == 422
    started = submit(client, page, f"/invite/{invite['code']}/plex", accepted=str(rules["id"]))
    assert started.status_code == 303
    public_id = re.search(r"pin%3D([A-Za-z0-9_-]+)|pin=([A-Za-z0-9_-]+)", started["Location"])
    assert public_id is not None
    pin = public_id.group(1) or public_id.group(2)
    sign_in_at_plex(sim, pin, "guest")
    finished = come_back_from_plex(client, invite["code"], pin)
    assert finished.status_code == 303, finished.content
    assert [r["id"] for r in Redemption.objects.get().accepted_steps] == [rules["id"]]


def test_the_api_asks_for_the_accepted_steps_too(api: Client, server: MediaServer, client: Client) -> None:
    rules = house_rules(api)
    invite = make_invite(api)
    body = {"code": invite["code"], "email": "guest@example.com"}
    refused = client.post("/api/invites/redeem", data=body, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["error"] == "acceptance_required"
    refused_start = client.post(
        "/api/invites/oauth/start", data={"code": invite["code"]}, content_type="application/json"
    )
    assert refused_start.status_code == 422
    done = client.post(
        "/api/invites/redeem", data={**body, "accepted_steps": [rules["id"]]}, content_type="application/json"
    )
    assert done.status_code == 201, done.content
    assert Redemption.objects.get().accepted_steps[0]["title"] == "House rules"


def test_a_step_added_after_the_page_was_opened_must_be_accepted_too(api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    client = browser()
    page = client.get(f"/invite/{invite['code']}").content.decode()
    house_rules(api)
    refused = client.post(
        f"/invite/{invite['code']}/email", {"csrfmiddlewaretoken": csrf_token(page), "email": "guest@example.com"}
    )
    assert refused.status_code == 422
    assert Invite.objects.get().used_count == 0


def test_an_invite_shows_the_steps_of_its_own_set(api: Client, server: MediaServer) -> None:
    family = api.post("/api/steps/sets", data={"name": "Family"}, content_type="application/json").json()
    add_step(api, family["id"], group="before", title="Only for family")
    theirs = make_invite(api, step_set_id=family["id"])
    others = make_invite(api)
    assert "Only for family" in browser().get(f"/invite/{theirs['code']}").content.decode()
    assert "Only for family" not in browser().get(f"/invite/{others['code']}").content.decode()


def test_a_cached_step_page_costs_no_more_queries_than_a_page_without_steps(
    api: Client, server: MediaServer, settings: object
) -> None:
    setattr(settings, "SITE_SETTINGS_CACHE_SECONDS", 60)  # noqa: B010 - as in production
    plain = make_invite(api)
    family = api.post("/api/steps/sets", data={"name": "Family"}, content_type="application/json").json()
    for title in ("One", "Two", "Three"):
        add_step(api, family["id"], group="before", title=title, body="Hello {name} on **{server}**")
    stepped = make_invite(api, step_set_id=family["id"])
    client = browser()
    for code in (plain["code"], stepped["code"]):
        client.get(f"/invite/{code}")  # warm the caches
    counts = []
    for code in (plain["code"], stepped["code"]):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/invite/{code}").status_code == 200
        counts.append(len(queries))
    assert counts[1] <= counts[0]


def test_a_name_cannot_smuggle_markup_into_a_step(api: Client, server: MediaServer) -> None:
    set_id = default_set(api)["id"]
    add_step(api, set_id, group="before", title="Hi", body="About {description}")
    invite = make_invite(api, description="<script>alert(1)</script> [x](javascript:alert(2))")
    html = browser().get(f"/invite/{invite['code']}").content.decode()
    assert "<script>alert(1)" not in html
    assert 'href="javascript' not in html


def test_the_owners_invite_page_names_its_step_set_and_shows_what_each_redeemer_accepted(
    api: Client, server: MediaServer, owner_client: Client
) -> None:
    plain = make_invite(api)
    page = owner_client.get(f"/invites/{plain['id']}").content.decode()
    assert f'data-step-set="{default_set(api)["id"]}"' in page and "The default steps" in page

    named = api.post("/api/steps/sets", data={"name": "Strict house"}, content_type="application/json").json()
    rules = house_rules(api, named["id"])
    invite = make_invite(api, step_set_id=named["id"])
    client = browser()
    page_url = f"/invite/{invite['code']}?step=2&accepted={rules['id']}"
    sent = submit(
        client, page_url, f"/invite/{invite['code']}/email", email="guest@example.com", accepted=str(rules["id"])
    )
    assert sent.status_code == 303, sent.content

    owner_page = owner_client.get(f"/invites/{invite['id']}").content.decode()
    assert f'data-step-set="{named["id"]}"' in owner_page and "Strict house" in owner_page
    assert f'href="/settings/steps/{named["id"]}"' in owner_page
    assert "Accepted “House rules”" in owner_page, "the redemption history shows the acceptance"
