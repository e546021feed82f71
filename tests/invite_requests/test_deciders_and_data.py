"""Who may decide invite requests, the admin API, and the requests in export and erasure."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from guestlist.core.audit import Actor
from guestlist.core.errors import NotFound
from guestlist.core.models import AuditEvent
from guestlist.invite_requests.models import InviteRequest, RequestSettings
from guestlist.members.erasure import erase_member
from guestlist.members.models import Member
from guestlist.notifications.models import Delivery, Event
from guestlist.plex.models import MediaServer
from guestlist.transfer.export import build_export
from tests.invite_requests.test_requests import ask, open_requests, status_link
from tests.members_model.conftest import MakeMember, make_member, quick_password_hashing
from tests.notifications.conftest import MailBox, send_due, use_smtp

__all__ = ["make_member", "quick_password_hashing"]


def test_a_member_with_manage_users_decides_requests_in_the_member_area(
    client: Client, server: MediaServer, make_member: MakeMember
) -> None:
    open_requests()
    ask(client)
    asked = InviteRequest.objects.get()
    manager = make_member("alice", perms=["manage_users"])
    plain = make_member("bob", perms=["create_invites"])

    assert plain.get("/me/requests").status_code == 403
    assert "/me/requests" not in plain.get("/me/").content.decode()
    refused = plain.form(f"/me/requests/{asked.pk}/approve", {f"a{asked.pk}-template": ""})
    assert refused.status_code == 302
    asked.refresh_from_db()
    assert asked.status == "pending"

    page = manager.get("/me/requests")
    assert page.status_code == 200 and "Rosa Stranger" in page.content.decode()
    assert "/me/requests" in manager.get("/me/").content.decode()
    manager.form(f"/me/requests/{asked.pk}/approve", {f"a{asked.pk}-template": ""})
    asked.refresh_from_db()
    assert asked.status == "approved"
    assert asked.invite is not None
    invite = asked.invite
    assert invite.created_by == manager.user and invite.usage_limit == 1
    assert AuditEvent.objects.filter(action="invite_request.approve", actor_kind="member").exists()


def test_the_admin_api_lists_approves_and_declines(client: Client, api: Client, server: MediaServer) -> None:
    open_requests(["Why?"])
    ask(client, answer_0="Because")
    ask(client, email="second@example.com", answer_0="Also")
    listed = api.get("/api/requests/?status=pending").json()
    assert listed["total"] == 2 and listed["counts"] == {"all": 2, "pending": 2, "approved": 0, "declined": 0}
    first, second = sorted(listed["items"], key=lambda item: item["id"])
    assert first["answers"] == [{"question": "Why?", "answer": "Because"}]

    approved = api.post(f"/api/requests/{first['id']}/approve", data={}, content_type="application/json").json()
    assert approved["status"] == "approved" and approved["invite_url"].endswith(f"/invite/{approved['invite_code']}")
    declined = api.post(
        f"/api/requests/{second['id']}/decline", data={"message": "Full."}, content_type="application/json"
    ).json()
    assert declined["status"] == "declined" and declined["decision_message"] == "Full."
    assert api.get(f"/api/requests/{second['id']}").json()["status"] == "declined"
    assert api.get("/api/requests/999999").status_code == 404
    assert (
        api.post(f"/api/requests/{first['id']}/approve", data={"template_id": 424242}, content_type="application/json")
    ).status_code in (404, 409)


def test_the_admin_api_keeps_the_settings(api: Client, owner: User) -> None:
    assert api.get("/api/requests/settings").json() == {"enabled": False, "questions": []}
    changed = api.patch(
        "/api/requests/settings",
        data={"enabled": True, "questions": ["Who are you?", " "]},
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json() == {"enabled": True, "questions": ["Who are you?"]}
    too_many = api.patch("/api/requests/settings", data={"questions": ["q"] * 6}, content_type="application/json")
    assert too_many.status_code == 422 and too_many.json()["error"] == "invalid"
    assert AuditEvent.objects.filter(action="invite_request.settings").count() == 1


def test_the_api_needs_an_admin(client: Client, outsider: User) -> None:
    assert client.get("/api/requests/").status_code == 401
    client.force_login(outsider)
    assert client.get("/api/requests/").status_code == 403


def test_the_dashboard_settings_open_the_page_with_questions(owner_client: Client, client: Client) -> None:
    saved = owner_client.post("/settings/requests", {"enabled": "on", "questions": "Who sent you?\n\nFavourite film?"})
    assert saved.status_code == 302
    assert RequestSettings.load().questions == ["Who sent you?", "Favourite film?"]
    page = client.get("/request").content.decode()
    assert "Who sent you?" in page and "Favourite film?" in page
    listing = owner_client.get("/requests")
    assert listing.status_code == 200


def test_the_export_holds_the_requests_without_links_or_addresses(client: Client, server: MediaServer) -> None:
    open_requests()
    ask(client)
    exported = build_export()
    assert exported["invite_request_settings"] == {"enabled": True, "questions": []}
    [item] = exported["invite_requests"]
    assert item["email"] == "rosa@example.com" and item["status"] == "pending"
    text = json.dumps(exported)
    asked = InviteRequest.objects.get()
    assert asked.uid not in text and "client_ip" not in text


def test_erasing_by_address_leaves_nothing_of_the_person(
    client: Client, api: Client, server: MediaServer, smtp: MailBox
) -> None:
    use_smtp(api, smtp)
    open_requests(["Why?"])
    link = status_link(ask(client, answer_0="My secret reason"))
    asked = InviteRequest.objects.get()
    api.post(f"/api/requests/{asked.pk}/decline", data={"message": "No, Rosa."}, content_type="application/json")
    send_due()

    erased = api.post("/api/requests/erase", data={"email": "ROSA@example.com"}, content_type="application/json")
    assert erased.status_code == 200 and erased.json() == {"erased": 1}
    asked.refresh_from_db()
    assert asked.name == f"erased-request-{asked.pk}" and asked.email == "" and asked.answers == []
    assert asked.message == asked.decision_message == asked.client_ip == ""
    assert client.get(link).status_code == 404, "the old status link is dead"
    traces = json.dumps(
        [list(Event.objects.values_list("payload", flat=True)), list(Delivery.objects.values("recipient", "mail"))],
        default=str,
    )
    for words in ("rosa@example.com", "Rosa Stranger", "My secret reason", "No, Rosa."):
        assert words not in traces
    assert not AuditEvent.objects.filter(object_type="inviterequest", ip__isnull=False).exists()
    assert AuditEvent.objects.filter(action="invite_request.erased").get().details["count"] == 1


def test_erasing_a_former_member_erases_their_requests(
    client: Client, owner: User, server: MediaServer, make_member: MakeMember
) -> None:
    open_requests()
    member = make_member("carol").member
    ask(client, email=member.email)
    Member.objects.filter(pk=member.pk).update(status=Member.Status.REMOVED)
    erase_member(member.pk, actor=Actor.admin(owner))
    asked = InviteRequest.objects.get()
    assert asked.email == "" and asked.name.startswith("erased-request-")


def test_a_request_made_while_closed_by_a_race_is_refused(client: Client, owner: User, settings: Any) -> None:
    from guestlist.invite_requests import services

    open_requests()
    asked = services.check_submission({"name": "A", "email": "a@example.com"}, [])
    RequestSettings(enabled=False).save()
    try:
        services.submit(asked, language="en", ip="127.0.0.1")
    except NotFound as exc:
        assert exc.code == "requests_closed"
    else:
        raise AssertionError("a closed page takes no request")


def test_the_member_api_answers_requests_with_manage_users_only(
    client: Client, server: MediaServer, make_member: MakeMember
) -> None:
    open_requests()
    ask(client)
    asked = InviteRequest.objects.get()
    manager = make_member("alice", perms=["manage_users"])
    plain = make_member("bob", perms=["create_invites"])

    refused = plain.get("/api/me/requests")
    assert refused.status_code == 403 and refused.json()["error"] == "permission_denied"
    assert plain.post(f"/api/me/requests/{asked.pk}/decline", {}).status_code == 403
    listed = manager.get("/api/me/requests", status="pending").json()
    assert [item["id"] for item in listed["items"]] == [asked.pk]
    declined = manager.post(f"/api/me/requests/{asked.pk}/decline", {"message": "Not now."})
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert manager.get(f"/api/me/requests/{asked.pk}").json()["decided_by"] == "alice"


def test_the_overview_says_when_requests_wait(client: Client, owner_client: Client, server: MediaServer) -> None:
    open_requests()
    ask(client)
    overview = owner_client.get("/").content.decode()
    assert "1 invite request waits for an answer" in overview
    assert "/requests?status=pending" in overview


def test_the_export_brings_the_requests_back_once(
    client: Client, api: Client, owner: User, server: MediaServer, tmp_path: Any
) -> None:
    from guestlist.transfer.export import write_export
    from guestlist.transfer.importer import run_import

    open_requests(["Why?"])
    ask(client, answer_0="Films")
    first = InviteRequest.objects.get()
    api.post(f"/api/requests/{first.pk}/approve", data={}, content_type="application/json")
    path = tmp_path / "export.json"
    write_export(path, actor=Actor.admin(owner))
    code = InviteRequest.objects.get().invite.code  # type: ignore[union-attr]
    InviteRequest.objects.all().delete()
    RequestSettings(enabled=False, questions=[]).save()

    summary = run_import("guestlist", path, actor=Actor.admin(owner))
    assert summary.table("requests").imported == 1
    back = InviteRequest.objects.get()
    assert (back.name, back.email, back.status) == ("Rosa Stranger", "rosa@example.com", "approved")
    assert back.answers == [{"question": "Why?", "answer": "Films"}]
    assert back.created_at == first.created_at and back.invite is not None and back.invite.code == code
    assert RequestSettings.load().enabled and RequestSettings.load().questions == ["Why?"]

    again = run_import("guestlist", path, actor=Actor.admin(owner))
    assert again.table("requests").imported == 0 and InviteRequest.objects.count() == 1
