from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from guestlist.core.models import AuditEvent, SiteSettings
from guestlist.invites.models import Invite
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from tests.invites.test_redeem_email import make_invite, redeem


def test_a_basic_invite_takes_the_owners_defaults(api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    assert len(invite["code"]) == 8
    assert invite["code"].isupper() or invite["code"].isdigit()
    assert invite["usage_limit"] == 1
    assert invite["expires_at"] is None
    assert invite["user_expires_in_days"] is None
    assert invite["libraries"] == "default"
    assert invite["allow_sync"] is False
    assert invite["badges"] == ["active"]
    assert invite["status"] == "active"
    assert invite["url"] == f"http://testserver/invite/{invite['code']}"
    assert invite["created_by"] == "tests"
    assert AuditEvent.objects.filter(action="invite.create", object_id=str(invite["id"])).exists()


def test_defaults_come_from_settings(api: Client, server: MediaServer) -> None:
    SiteSettings.objects.filter(pk=1).update(
        default_usage_limit=5, default_expires_in_days=7, default_allow_sync=True, default_user_expires_in_days=30
    )
    invite = make_invite(api)
    assert invite["usage_limit"] == 5
    assert invite["allow_sync"] is True
    assert invite["user_expires_in_days"] == 30
    assert invite["expires_at"] is not None


def test_an_explicit_null_means_none_not_the_default(api: Client, server: MediaServer) -> None:
    SiteSettings.objects.filter(pk=1).update(default_expires_in_days=7)
    invite = make_invite(api, usage_limit=None, expires_in_days=None)
    assert invite["usage_limit"] is None
    assert invite["expires_at"] is None


def test_it_takes_every_field_of_the_komandorr_seed(api: Client, server: MediaServer) -> None:
    invite = make_invite(
        api,
        usage_limit=5,
        expires_in_days=30,
        allow_sync=True,
        allow_channels=False,
        allow_camera_upload=True,
        plex_home=False,
        libraries="all",
        description="for the book club",
        user_expires_in_days=90,
    )
    assert invite["usage_limit"] == 5
    assert invite["libraries"] == "all"
    assert invite["allow_camera_upload"] is True
    assert invite["description"] == "for the book club"
    expires = datetime.fromisoformat(invite["expires_at"])
    assert timedelta(days=29, hours=23) < expires - timezone.now() <= timedelta(days=30)


def test_specific_libraries_as_a_string_or_a_list(api: Client, server: MediaServer) -> None:
    assert make_invite(api, libraries="2,1")["libraries"] == [1, 2]
    assert make_invite(api, libraries=[3])["libraries"] == [3]


def test_it_refuses_libraries_the_server_does_not_have(api: Client, server: MediaServer) -> None:
    response = api.post("/api/invites/", data={"libraries": [1, 42]}, content_type="application/json")
    assert response.status_code == 422
    assert "42" in response.json()["message"]


@pytest.mark.parametrize("limit", [0, 101, -1])
def test_usage_limit_is_1_to_100_or_unlimited(api: Client, server: MediaServer, limit: int) -> None:
    response = api.post("/api/invites/", data={"usage_limit": limit}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"] == "invalid"


def test_both_expiry_forms_at_once_are_refused(api: Client, server: MediaServer) -> None:
    response = api.post(
        "/api/invites/",
        data={"expires_in_days": 3, "expires_at": (timezone.now() + timedelta(days=1)).isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 422


def test_an_exact_expiry_time_must_be_in_the_future(api: Client, server: MediaServer) -> None:
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    assert api.post("/api/invites/", data={"expires_at": past}, content_type="application/json").status_code == 422
    future = (timezone.now() + timedelta(hours=5)).isoformat()
    invite = make_invite(api, expires_at=future)
    assert invite["expires_at"].startswith(future[:16])


def test_a_custom_code_is_stored_upper_cased_and_must_be_unique_ignoring_case(api: Client, server: MediaServer) -> None:
    invite = make_invite(api, code="book-club_2026")
    assert invite["code"] == "BOOK-CLUB_2026"
    response = api.post("/api/invites/", data={"code": "Book-Club_2026"}, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["error"] == "code_taken"


@pytest.mark.parametrize("code", ["short", "has space!", "x" * 33])
def test_a_custom_code_needs_8_to_32_safe_characters(api: Client, server: MediaServer, code: str) -> None:
    response = api.post("/api/invites/", data={"code": code}, content_type="application/json")
    assert response.status_code == 422


def test_unknown_fields_are_refused(api: Client, server: MediaServer) -> None:
    response = api.post("/api/invites/", data={"usage_limt": 3}, content_type="application/json")
    assert response.status_code == 422


def test_creating_without_a_connected_server_explains_what_to_do(api: Client) -> None:
    response = api.post("/api/invites/", data={}, content_type="application/json")
    assert response.status_code == 422
    assert "Connect a Plex server" in response.json()["message"]


def test_get_one_invite_with_its_members(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api, usage_limit=2)
    redeem(client, invite["code"])
    body = api.get(f"/api/invites/{invite['id']}").json()
    assert body["used_count"] == 1
    assert [user["email"] for user in body["users"]] == ["guest@example.com"]
    assert body["badges"] == ["redeemed"]
    assert api.get("/api/invites/999999").status_code == 404


def test_update_is_partial_with_patch_or_put(api: Client, server: MediaServer) -> None:
    invite = make_invite(api, description="first")
    for method in ("patch", "put"):
        response = getattr(api, method)(
            f"/api/invites/{invite['id']}", data={"usage_limit": 4}, content_type="application/json"
        )
        assert response.status_code == 200
        assert response.json()["usage_limit"] == 4
        assert response.json()["description"] == "first"
    assert AuditEvent.objects.filter(action="invite.update").count() == 2


def test_raising_the_limit_of_a_used_up_invite_makes_it_redeemable_again(
    client: Client, api: Client, server: MediaServer
) -> None:
    invite = make_invite(api, usage_limit=1)
    assert redeem(client, invite["code"]).status_code == 201
    assert api.get(f"/api/invites/{invite['id']}").json()["badges"] == ["redeemed", "used_up"]
    assert redeem(client, invite["code"], "alice@example.com").json()["error"] == "used_up"
    updated = api.patch(f"/api/invites/{invite['id']}", data={"usage_limit": 2}, content_type="application/json")
    assert updated.json()["badges"] == ["redeemed"]
    assert redeem(client, invite["code"], "alice@example.com").status_code == 201


def test_the_limit_cannot_go_below_uses_already_made(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api, usage_limit=3)
    redeem(client, invite["code"])
    redeem(client, invite["code"], "alice@example.com")
    response = api.patch(f"/api/invites/{invite['id']}", data={"usage_limit": 1}, content_type="application/json")
    assert response.status_code == 422
    assert "2 uses" in response.json()["message"]


def test_an_expired_invite_set_active_stays_unredeemable(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    Invite.objects.filter(pk=invite["id"]).update(expires_at=timezone.now() - timedelta(seconds=1), is_active=False)
    updated = api.patch(f"/api/invites/{invite['id']}", data={"is_active": True}, content_type="application/json")
    assert updated.json()["is_active"] is True
    assert updated.json()["badges"] == ["expired"]
    assert redeem(client, invite["code"]).json()["error"] == "expired"


def test_expires_in_days_counts_from_now_on_update(api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    body = api.patch(
        f"/api/invites/{invite['id']}", data={"expires_in_days": 2}, content_type="application/json"
    ).json()
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(days=1, hours=23) < expires - timezone.now() <= timedelta(days=2)
    cleared = api.patch(f"/api/invites/{invite['id']}", data={"expires_at": None}, content_type="application/json")
    assert cleared.json()["expires_at"] is None


def test_toggling_active_and_inactive(client: Client, api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    off = api.patch(f"/api/invites/{invite['id']}", data={"is_active": False}, content_type="application/json")
    assert off.json()["badges"] == ["disabled"]
    assert redeem(client, invite["code"]).json()["error"] == "disabled"
    api.patch(f"/api/invites/{invite['id']}", data={"is_active": True}, content_type="application/json")
    assert redeem(client, invite["code"]).status_code == 201


def test_deleting_an_unused_invite(api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    assert api.delete(f"/api/invites/{invite['id']}").status_code == 204
    assert not Invite.objects.exists()
    assert AuditEvent.objects.filter(action="invite.delete").exists()


def test_deleting_an_invite_members_came_through_needs_force_and_keeps_their_access(
    client: Client, api: Client, server: MediaServer, sim: Any
) -> None:
    invite = make_invite(api)
    redeem(client, invite["code"])
    refused = api.delete(f"/api/invites/{invite['id']}")
    assert refused.status_code == 409
    assert refused.json()["error"] == "invite_has_members"
    assert "does not remove their Plex access" in refused.json()["message"]
    assert api.delete(f"/api/invites/{invite['id']}?force=true").status_code == 204
    member = Member.objects.get()
    assert member.status == "pending"
    assert member.invite is None
    assert member.redemptions.get().invite_code == invite["code"]


def test_removing_the_last_member_of_a_used_up_invite_deletes_it(
    client: Client, api: Client, server: MediaServer
) -> None:
    invite = make_invite(api, usage_limit=1)
    member_id = redeem(client, invite["code"]).json()["id"]
    assert api.delete(f"/api/users/{member_id}").status_code == 204
    assert not Invite.objects.filter(pk=invite["id"]).exists()
    assert Member.objects.get().status == "removed"


def test_an_invite_with_uses_left_survives_its_members_removal(
    client: Client, api: Client, server: MediaServer
) -> None:
    invite = make_invite(api, usage_limit=2)
    member_id = redeem(client, invite["code"]).json()["id"]
    api.delete(f"/api/users/{member_id}")
    assert Invite.objects.filter(pk=invite["id"]).exists()


def test_stats_come_from_aggregates(client: Client, api: Client, server: MediaServer) -> None:
    used = make_invite(api, usage_limit=1)
    make_invite(api)
    off = make_invite(api)
    api.patch(f"/api/invites/{off['id']}", data={"is_active": False}, content_type="application/json")
    redeem(client, used["code"])
    stats = api.get("/api/invites/stats").json()
    assert stats["total_invites"] == 3
    assert stats["active_invites"] == 1
    assert stats["redeemed_invites"] == 1
    assert stats["used_up_invites"] == 1
    assert stats["disabled_invites"] == 1
    assert stats["expired_invites"] == 0
    assert stats["total_redemptions"] == 1
    assert stats["total_users"] == 1
    assert stats["active_users"] == 1
    days = stats["redemptions_per_day"]
    assert len(days) == 90
    assert days[-1] == {"date": timezone.now().date().isoformat(), "count": 1}
    assert sum(day["count"] for day in days) == 1


def test_qr_codes_are_png_or_svg(api: Client, server: MediaServer) -> None:
    invite = make_invite(api)
    png = api.get(f"/api/invites/{invite['id']}/qr")
    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    svg = api.get(f"/api/invites/{invite['id']}/qr?format=svg")
    assert svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.content
    assert api.get(f"/api/invites/{invite['id']}/qr?format=gif").status_code == 422


def test_the_qr_code_decodes_back_to_the_invite_link(api: Client, server: MediaServer) -> None:
    import io

    import zxingcpp
    from PIL import Image

    invite = make_invite(api)
    image = Image.open(io.BytesIO(api.get(f"/api/invites/{invite['id']}/qr").content))
    decoded = zxingcpp.read_barcodes(image)
    assert [result.text for result in decoded] == [invite["url"]]
