"""Step sets and their steps, as the admin API (and so every other entry point) sees them."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client

from guestlist.core.audit import Actor
from guestlist.core.models import AuditEvent
from guestlist.invites import invite_templates, services
from guestlist.invites.models import Invite, Step, StepSet
from guestlist.plex.models import MediaServer
from tests.invites.test_redeem_email import make_invite
from tests.steps.helpers import add_step, default_set, house_rules


def test_a_fresh_install_has_a_default_set_with_guestlists_after_joining_steps(api: Client) -> None:
    found = default_set(api)
    assert found["before"] == []
    assert [step["shipped"] for step in found["after"]] == ["open_plex", "find_libraries", "access_ends"]
    assert found["after"][0]["title"] == "Open Plex on your TV, phone or computer"
    kinds = [button["kind"] for button in found["after"][0]["buttons"]]
    assert kinds == ["plex_web", "plex_ios", "plex_android", "plex_tv"]
    assert found["after"][0]["buttons"][0]["url"] == "https://app.plex.tv/desktop"


def test_a_step_is_added_at_the_end_of_its_group_and_audited(api: Client) -> None:
    set_id = default_set(api)["id"]
    first = house_rules(api, set_id)
    second = add_step(api, set_id, group="before", title="Be patient", body="It is a home server.")
    assert (first["position"], second["position"]) == (0, 1)
    assert first["requires_acceptance"] is True
    assert AuditEvent.objects.filter(action="steps.step_create").count() == 2


def test_it_refuses_buttons_that_are_not_plain_web_links(api: Client) -> None:
    set_id = default_set(api)["id"]
    for url in ("javascript:alert(1)", "ftp://example.com/x", "https://"):
        response = api.post(
            f"/api/steps/sets/{set_id}/steps",
            data={"group": "after", "title": "Requests", "buttons": [{"kind": "link", "label": "Go", "url": url}]},
            content_type="application/json",
        )
        assert response.status_code == 422, url
        assert response.json()["error"] == "invalid"
    no_label = api.post(
        f"/api/steps/sets/{set_id}/steps",
        data={"group": "after", "title": "x", "buttons": [{"kind": "link", "url": "https://overseerr.example"}]},
        content_type="application/json",
    )
    assert no_label.status_code == 422


def test_a_link_button_keeps_its_label_and_address(api: Client) -> None:
    step = add_step(
        api,
        default_set(api)["id"],
        group="after",
        title="Ask for films",
        buttons=[{"kind": "link", "label": "Overseerr", "url": "https://requests.example.com"}],
    )
    assert step["buttons"] == [{"kind": "link", "label": "Overseerr", "url": "https://requests.example.com"}]


def test_steps_move_within_their_group_and_a_group_can_be_reordered_at_once(api: Client) -> None:
    set_id = default_set(api)["id"]
    after = [step["id"] for step in default_set(api)["after"]]
    moved = api.patch(f"/api/steps/{after[2]}", data={"position": 0}, content_type="application/json")
    assert moved.status_code == 200 and moved.json()["position"] == 0
    assert [s["id"] for s in default_set(api)["after"]] == [after[2], after[0], after[1]]
    ordered = api.put(
        f"/api/steps/sets/{set_id}/order",
        data={"group": "after", "step_ids": after},
        content_type="application/json",
    )
    assert ordered.status_code == 200
    assert [s["id"] for s in ordered.json()] == after
    partial = api.put(
        f"/api/steps/sets/{set_id}/order",
        data={"group": "after", "step_ids": after[:2]},
        content_type="application/json",
    )
    assert partial.status_code == 422


def test_editing_a_shipped_step_makes_it_the_owners_words(api: Client) -> None:
    step = default_set(api)["after"][2]
    changed = api.patch(
        f"/api/steps/{step['id']}", data={"title": "When it ends", "body": "Ask me."}, content_type="application/json"
    ).json()
    assert changed["shipped"] is None
    assert (changed["title"], changed["body"]) == ("When it ends", "Ask me.")


def test_a_named_set_starts_as_a_copy_and_invites_can_pick_it(api: Client, server: MediaServer) -> None:
    house_rules(api)
    created = api.post("/api/steps/sets", data={"name": "Family"}, content_type="application/json")
    assert created.status_code == 201
    family = created.json()
    assert family["is_default"] is False
    assert [s["title"] for s in family["before"]] == ["House rules"]
    assert len(family["after"]) == 3
    taken = api.post("/api/steps/sets", data={"name": "Family"}, content_type="application/json")
    assert taken.status_code == 409 and taken.json()["error"] == "step_set_name_taken"
    invite = make_invite(api, step_set_id=family["id"])
    assert invite["step_set_id"] == family["id"]
    unknown = api.post("/api/invites/", data={"step_set_id": 999_999}, content_type="application/json")
    assert unknown.status_code == 422


def test_deleting_a_set_moves_its_invites_back_to_the_default(api: Client, server: MediaServer) -> None:
    family = api.post("/api/steps/sets", data={"name": "Family"}, content_type="application/json").json()
    invite = make_invite(api, step_set_id=family["id"])
    assert api.delete(f"/api/steps/sets/{family['id']}").status_code == 204
    assert Invite.objects.get(pk=invite["id"]).step_set_id is None
    assert api.get(f"/api/invites/{invite['id']}").json()["step_set_id"] is None
    assert not Step.objects.filter(step_set_id=family["id"]).exists()


def test_the_default_set_cannot_be_deleted_only_reset(api: Client) -> None:
    found = default_set(api)
    refused = api.delete(f"/api/steps/sets/{found['id']}")
    assert refused.status_code == 409 and refused.json()["error"] == "default_step_set"
    house_rules(api, found["id"])
    api.delete(f"/api/steps/{found['after'][0]['id']}")
    reset = api.post(f"/api/steps/sets/{found['id']}/reset").json()
    assert reset["before"] == []
    assert [s["shipped"] for s in reset["after"]] == ["open_plex", "find_libraries", "access_ends"]
    assert StepSet.objects.filter(is_default=True).count() == 1


def test_the_steps_api_needs_an_admin(client: Client) -> None:
    assert client.get("/api/steps/sets").status_code == 401


def test_a_template_picks_a_set_and_its_invites_inherit_it(api: Client, server: MediaServer, owner: User) -> None:
    family = api.post("/api/steps/sets", data={"name": "Family"}, content_type="application/json").json()
    template = invite_templates.create_template("Family", {"step_set_id": family["id"]}, actor=Actor.admin(owner))
    invite = services.create_invite(invite_templates.template_settings(template), actor=Actor.admin(owner))
    assert invite.step_set_id == family["id"]
    api.delete(f"/api/steps/sets/{family['id']}")
    template.refresh_from_db()
    assert template.step_set_id is None
