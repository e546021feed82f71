"""Settings → Onboarding steps: the owner's editor, without and with HTMX."""

from __future__ import annotations

from django.test import Client

from guestlist.invites.models import Invite, Step, StepSet
from guestlist.invites.onboarding import SHIPPED
from guestlist.plex.models import MediaServer

HTMX = {"HX-Request": "true"}


def default_set() -> StepSet:
    return StepSet.objects.get(is_default=True)


def step_form(**fields: object) -> dict[str, object]:
    return {"group": "before", "title": "House rules", "body": "Be nice, {name}.", **fields}


def test_the_editor_lists_the_sets_and_their_steps(admin_client: Client) -> None:
    html = admin_client.get("/settings/steps").content.decode()
    assert "Onboarding steps" in html and "Default" in html
    page = admin_client.get(f"/settings/steps/{default_set().pk}").content.decode()
    assert "Open Plex on your TV, phone or computer" in page
    assert "Guestlist&#x27;s text" in page or "Guestlist's text" in page


def test_an_owner_adds_a_step_and_edits_it_with_a_preview(admin_client: Client, server: MediaServer) -> None:
    added = admin_client.post(
        f"/settings/steps/{default_set().pk}/add",
        {"group": "before", "before-group": "before", "before-title": "Rules"},
    )
    step = Step.objects.get(title="Rules")
    assert added.status_code == 302 and added["Location"] == f"/settings/steps/step/{step.pk}"
    preview = admin_client.post(
        f"/settings/steps/step/{step.pk}/preview",
        step_form(
            requires_acceptance="on", button_kind_1="link", button_label_1="Discord", button_url_1="https://d.example"
        ),
        headers=HTMX,
    ).content.decode()
    assert 'id="step-preview"' in preview and "<html" not in preview
    assert "Be nice, Alex." in preview
    assert "preview-phone" in preview and "preview-desktop" in preview
    assert 'href="https://d.example"' in preview
    assert Step.objects.get(pk=step.pk).body == ""  # a preview writes nothing
    no_js = admin_client.post(f"/settings/steps/step/{step.pk}/preview", step_form()).content.decode()
    assert "<html" in no_js and "Be nice, Alex." in no_js
    saved = admin_client.post(
        f"/settings/steps/step/{step.pk}",
        step_form(requires_acceptance="on", acceptance_label="I accept", button_kind_1="plex_web"),
    )
    assert saved.status_code == 302
    step.refresh_from_db()
    assert (step.title, step.requires_acceptance, step.acceptance_label) == ("House rules", True, "I accept")
    assert step.buttons == [{"kind": "plex_web", "label": "", "url": ""}]


def test_a_bad_link_is_refused_next_to_the_form(admin_client: Client) -> None:
    step = Step.objects.filter(step_set=default_set()).first()
    assert step is not None
    response = admin_client.post(
        f"/settings/steps/step/{step.pk}",
        step_form(button_kind_1="link", button_label_1="x", button_url_1="javascript:alert(1)"),
    )
    assert response.status_code == 200
    assert "http:// or https://" in response.content.decode()


def test_saving_a_shipped_step_unchanged_keeps_it_in_every_language(admin_client: Client) -> None:
    step = Step.objects.get(step_set=default_set(), shipped="access_ends")
    page = admin_client.get(f"/settings/steps/step/{step.pk}").content.decode()
    assert "When your access ends" in page
    shipped = SHIPPED["access_ends"]
    admin_client.post(
        f"/settings/steps/step/{step.pk}", {"group": "after", "title": str(shipped.title), "body": str(shipped.body)}
    )
    step.refresh_from_db()
    assert step.shipped == "access_ends" and step.title == ""


def test_steps_move_up_and_down_with_plain_forms(admin_client: Client) -> None:
    first, second, third = Step.objects.filter(step_set=default_set(), group="after").order_by("position")
    moved = admin_client.post(f"/settings/steps/step/{third.pk}/move", {"direction": "up"})
    assert moved.status_code == 302 and moved["Location"].endswith(f"#step-{third.pk}")
    order = list(Step.objects.filter(step_set=default_set(), group="after").order_by("position"))
    assert order == [first, third, second]
    admin_client.post(f"/settings/steps/step/{first.pk}/move", {"position": "2"})
    order = list(Step.objects.filter(step_set=default_set(), group="after").order_by("position"))
    assert order == [third, second, first]
    partial = admin_client.post(f"/settings/steps/step/{first.pk}/move", {"direction": "up"}, headers=HTMX)
    assert 'id="step-groups"' in partial.content.decode()


def test_named_sets_are_created_renamed_reset_and_deleted(admin_client: Client, server: MediaServer) -> None:
    created = admin_client.post("/settings/steps", {"name": "Family"})
    family = StepSet.objects.get(name="Family")
    assert created["Location"] == f"/settings/steps/{family.pk}"
    assert family.steps.count() == 3
    admin_client.post(f"/settings/steps/{family.pk}", {"name": "Close family"})
    family.refresh_from_db()
    assert family.name == "Close family"
    Step.objects.filter(step_set=family).delete()
    admin_client.post(f"/settings/steps/{family.pk}/reset")
    assert family.steps.count() == 3
    invite = Invite.objects.create(server=server, code="FAMILYCODE1", step_set=family)
    deleted = admin_client.post(f"/settings/steps/{family.pk}/delete")
    assert deleted["Location"] == "/settings/steps"
    assert Invite.objects.get(pk=invite.pk).step_set_id is None
    refused = admin_client.post(f"/settings/steps/{default_set().pk}/delete", follow=True)
    assert "The default steps cannot be deleted" in refused.content.decode()
    assert StepSet.objects.filter(is_default=True).exists()


def test_the_invite_form_offers_the_step_sets(admin_client: Client, server: MediaServer) -> None:
    StepSet.objects.create(name="Family")
    html = admin_client.get("/invites/new").content.decode()
    assert "The default steps" in html and "Family" in html


def test_the_editor_speaks_german(admin_client: Client) -> None:
    html = admin_client.get(f"/settings/steps/{default_set().pk}", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Einstiegsschritte" in html and "Vor dem Beitritt" in html
