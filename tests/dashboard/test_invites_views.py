"""The invites manager's pages: create (basic, advanced, bulk, template), list, details, edit."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from guestlist.core.models import AuditEvent, SiteSettings
from guestlist.invites.models import Invite, InviteTemplate
from guestlist.members.models import Member
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.dashboard.conftest import htmx, join, make_invite

pytestmark = pytest.mark.django_db


def advanced(**fields: object) -> dict[str, object]:
    form: dict[str, object] = {
        "mode": "advanced",
        "usage_limit": "1",
        "expires_amount": "",
        "expires_unit": "never",
        "membership_amount": "",
        "membership_unit": "never",
        "libraries_mode": "default",
        "description": "",
        "code": "",
        "count": "1",
        "save_as_template": "",
    }
    form.update(fields)
    return form


def test_basic_mode_creates_an_invite_with_the_owners_defaults_in_one_click(
    admin_client: Client, server: MediaServer, owner: User
) -> None:
    SiteSettings.objects.filter(pk=1).update(default_usage_limit=3, default_allow_sync=True)

    response = admin_client.post("/invites/new", {"mode": "basic"})

    invite = Invite.objects.get()
    assert response["Location"] == f"/invites/{invite.pk}"
    assert (invite.usage_limit, invite.allow_sync, invite.libraries) == (3, True, "default")
    assert invite.created_by == owner
    assert AuditEvent.objects.filter(action="invite.create", actor_label="owner").exists()


def test_basic_mode_without_a_server_explains_what_to_do(admin_client: Client, owner: User) -> None:
    response = admin_client.post("/invites/new", {"mode": "basic"}, follow=True)

    assert not Invite.objects.exists()
    assert "Connect a Plex server first" in response.content.decode()


def test_advanced_mode_sets_every_setting(admin_client: Client, server: MediaServer) -> None:
    before = timezone.now()

    response = admin_client.post(
        "/invites/new",
        advanced(
            usage_limit="5",
            expires_amount="2",
            expires_unit="weeks",
            membership_amount="3",
            membership_unit="months",
            libraries_mode="specific",
            libraries=[f"{server.pk}:1", f"{server.pk}:3"],
            allow_sync="on",
            allow_channels="on",
            allow_camera_upload="on",
            description="Book club",
            code="bookclub-2026",
        ),
    )

    invite = Invite.objects.get()
    assert response.status_code == 302
    assert invite.code == "BOOKCLUB-2026"
    assert invite.usage_limit == 5
    assert invite.expires_at is not None
    assert timedelta(days=13, hours=23) < invite.expires_at - before < timedelta(days=14, minutes=1)
    assert invite.user_expires_in_days == 90
    assert invite.libraries == "1,3"
    assert (invite.allow_sync, invite.allow_channels, invite.allow_camera_upload, invite.plex_home) == (
        True,
        True,
        True,
        False,
    )
    assert invite.description == "Book club"


def test_an_empty_usage_limit_means_unlimited_and_a_month_is_30_days(admin_client: Client, server: MediaServer) -> None:
    before = timezone.now()
    admin_client.post("/invites/new", advanced(usage_limit="", expires_amount="1", expires_unit="months"))

    invite = Invite.objects.get()
    assert invite.usage_limit is None
    assert invite.expires_at is not None
    assert timedelta(days=30) <= invite.expires_at - before < timedelta(days=30, minutes=1)


def test_advanced_mode_refuses_nonsense_and_keeps_what_was_typed(admin_client: Client, server: MediaServer) -> None:
    response = admin_client.post(
        "/invites/new",
        advanced(usage_limit="500", expires_unit="days", libraries_mode="specific", description="keep me"),
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Ensure this value is less than or equal to 100." in page
    assert "Say when, or choose “never”." in page
    assert "Tick at least one library." in page
    assert 'value="keep me"' in page
    assert not Invite.objects.exists()


def test_a_taken_custom_code_is_reported_next_to_the_field(
    admin_client: Client, server: MediaServer, owner: User
) -> None:
    make_invite(owner, code="FAMILY-2026")

    response = admin_client.post("/invites/new", advanced(code="family-2026"))

    assert response.status_code == 200
    assert "That code is already taken" in response.content.decode()
    assert Invite.objects.count() == 1


def test_bulk_creation_makes_n_invites_and_offers_their_links_as_csv(admin_client: Client, server: MediaServer) -> None:
    response = admin_client.post("/invites/new", advanced(count="12", description="Party", usage_limit="1"))

    invites = list(Invite.objects.order_by("id"))
    ids = ",".join(str(invite.pk) for invite in invites)
    assert response.status_code == 302
    assert response["Location"] == f"/invites/created?ids={ids}"
    assert len(invites) == 12
    assert {invite.description for invite in invites} == {"Party"}
    page = admin_client.get(response["Location"]).content.decode()
    assert "12 invites created" in page
    assert "Party" in page and "1 use" in page
    assert f"/invites/export.csv?ids={ids}" in page
    assert AuditEvent.objects.filter(action="invite.bulk_create").count() == 1
    # Reloading the result page shows the same batch and creates nothing.
    assert "12 invites created" in admin_client.get(response["Location"]).content.decode()
    assert Invite.objects.count() == 12

    export = admin_client.get(f"/invites/export.csv?ids={ids}")
    assert export["Content-Type"].startswith("text/csv")
    assert "attachment" in export["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert [row["code"] for row in rows] == [invite.code for invite in invites]
    assert rows[0]["url"] == f"http://testserver/invite/{invites[0].code}"


def test_a_custom_code_cannot_be_used_for_several_invites(admin_client: Client, server: MediaServer) -> None:
    response = admin_client.post("/invites/new", advanced(count="3", code="PARTY-CODE"))

    assert response.status_code == 200
    assert "A custom code fits one invite only" in response.content.decode()
    assert not Invite.objects.exists()


def test_creating_can_save_the_settings_as_a_template(admin_client: Client, server: MediaServer) -> None:
    admin_client.post(
        "/invites/new",
        advanced(usage_limit="4", expires_amount="30", expires_unit="days", save_as_template="Friends"),
    )

    template = InviteTemplate.objects.get()
    assert (template.name, template.usage_limit, template.expires_in_days) == ("Friends", 4, 30)
    assert Invite.objects.count() == 1


def test_a_taken_template_name_creates_nothing(admin_client: Client, server: MediaServer) -> None:
    InviteTemplate.objects.create(name="Friends")

    response = admin_client.post("/invites/new", advanced(save_as_template="Friends"))

    assert "A template with this name already exists." in response.content.decode()
    assert not Invite.objects.exists()


def test_picking_a_template_fills_the_advanced_form(admin_client: Client, server: MediaServer) -> None:
    template = InviteTemplate.objects.create(
        name="Week trial", usage_limit=10, expires_in_days=7, user_expires_in_days=30, allow_channels=True
    )

    page = admin_client.get(f"/invites/new?template={template.pk}").content.decode()
    fragment = admin_client.get(f"/invites/new?template={template.pk}", headers=htmx("advanced-form")).content.decode()

    for html in (page, fragment):
        assert 'name="usage_limit" value="10"' in html
        assert 'name="expires_amount" value="1"' in html
        assert '<option value="weeks" selected>' in html
        assert 'name="membership_amount" value="1"' in html
        assert '<option value="months" selected>' in html
        assert 'name="allow_channels" id="id_allow_channels" checked' in html
    assert "<html" in page
    assert "<html" not in fragment
    assert fragment.lstrip().startswith('<form id="advanced-form"')


def test_the_list_shows_badges_and_counts_and_filters_by_status(
    admin_client: Client, sim: PlexSimulator, server: MediaServer, owner: User
) -> None:
    used = make_invite(owner, usage_limit=1, description="used one")
    join(sim, used, "guest")
    make_invite(owner, description="fresh one")
    disabled = make_invite(owner, description="switched off")
    disabled.is_active = False
    disabled.save()

    page = admin_client.get("/invites").content.decode()
    assert "used one" in page and "fresh one" in page and "switched off" in page
    assert '<span class="badge redeemed">Redeemed</span><span class="badge used_up">Used up</span>' in page
    assert '<span class="count" id="count-all">3</span>' in page
    assert '<span class="count" id="count-active">1</span>' in page

    active = admin_client.get("/invites?status=active").content.decode()
    assert "fresh one" in active and "used one" not in active


def test_list_filters_answer_with_a_fragment_and_fresh_counts_for_htmx(
    admin_client: Client, server: MediaServer, owner: User
) -> None:
    make_invite(owner, description="garden party")
    make_invite(owner, description="office")

    response = admin_client.get("/invites?search=garden", headers=htmx("invite-results"))

    html = response.content.decode()
    assert "<html" not in html
    assert "garden party" in html and "office" not in html
    assert '<span class="count" id="count-all" hx-swap-oob="true">1</span>' in html


def test_the_list_searches_member_names_and_filters_by_creator_and_dates(
    admin_client: Client, sim: PlexSimulator, server: MediaServer, owner: User, admin2: User
) -> None:
    joined = make_invite(owner, description="has alice")
    join(sim, joined, "alice")
    other = make_invite(admin2, description="by second")
    Invite.objects.filter(pk=other.pk).update(created_at=timezone.now() - timedelta(days=10))

    assert "has alice" in admin_client.get("/invites?search=alice").content.decode()
    by_second = admin_client.get("/invites?created_by=second").content.decode()
    assert "by second" in by_second and "has alice" not in by_second
    today = timezone.localdate().isoformat()
    recent = admin_client.get(f"/invites?created_after={today}&created_before={today}").content.decode()
    assert "has alice" in recent and "by second" not in recent


def test_the_list_pages_through_many_invites(admin_client: Client, server: MediaServer, owner: User) -> None:
    for number in range(30):
        make_invite(owner, description=f"invite number {number:02}")

    first = admin_client.get("/invites").content.decode()
    second = admin_client.get("/invites?page=2").content.decode()

    assert "Page 1 of 2" in first and "invite number 29" in first and "invite number 04" not in first
    assert "invite number 04" in second and "invite number 29" not in second


def test_the_details_show_link_qr_history_and_members(
    admin_client: Client, sim: PlexSimulator, server: MediaServer, owner: User
) -> None:
    invite = make_invite(owner, usage_limit=3, libraries=[1, 2])
    join(sim, invite, "guest")

    page = admin_client.get(f"/invites/{invite.pk}").content.decode()

    assert f'data-copy="http://testserver/invite/{invite.code}"' in page
    assert f"/invites/{invite.pk}/qr.svg" in page
    assert f"/invites/{invite.pk}/qr.png?download=1" in page
    assert "Movies" in page and "TV Shows" in page and "Music" not in page
    assert "Plex sign-in" in page and ">Done<" in page
    assert "guest" in page
    assert "1 member joined through this invite." in page
    assert "does not take away anyone's Plex access" in page


def test_the_qr_code_downloads_as_png_and_svg(admin_client: Client, server: MediaServer, owner: User) -> None:
    invite = make_invite(owner)

    png = admin_client.get(f"/invites/{invite.pk}/qr.png?download=1")
    svg = admin_client.get(f"/invites/{invite.pk}/qr.svg")

    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    assert f'filename="invite-{invite.code}.png"' in png["Content-Disposition"]
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    assert admin_client.get(f"/invites/{invite.pk}/qr.gif").status_code == 404


def test_editing_changes_the_invite(admin_client: Client, server: MediaServer, owner: User) -> None:
    invite = make_invite(owner, usage_limit=1)

    response = admin_client.post(
        f"/invites/{invite.pk}/edit",
        {
            "usage_limit": "7",
            "expires_at": "2099-01-02T03:04",
            "membership_amount": "2",
            "membership_unit": "weeks",
            "libraries_mode": "all",
            "allow_sync": "on",
            "description": "changed",
        },
    )

    assert response["Location"] == f"/invites/{invite.pk}"
    invite.refresh_from_db()
    assert (invite.usage_limit, invite.user_expires_in_days, invite.libraries, invite.allow_sync) == (
        7,
        14,
        "all",
        True,
    )
    assert invite.expires_at is not None and invite.expires_at.year == 2099
    assert invite.description == "changed"


def test_editing_refuses_a_limit_below_the_uses_already_made(
    admin_client: Client, sim: PlexSimulator, server: MediaServer, owner: User
) -> None:
    invite = make_invite(owner, usage_limit=3)
    join(sim, invite, "alice")
    join(sim, invite, "bob")

    response = admin_client.post(
        f"/invites/{invite.pk}/edit",
        {"usage_limit": "1", "membership_unit": "never", "libraries_mode": "default"},
    )

    assert response.status_code == 200
    assert "The usage limit cannot be lower than the uses already made." in response.content.decode()
    invite.refresh_from_db()
    assert invite.usage_limit == 3


def test_toggling_active_answers_htmx_with_the_new_status(
    admin_client: Client, server: MediaServer, owner: User
) -> None:
    invite = make_invite(owner)

    response = admin_client.post(f"/invites/{invite.pk}/active", {"active": "0"}, headers=htmx("invite-status"))

    invite.refresh_from_db()
    assert not invite.is_active
    html = response.content.decode()
    assert "<html" not in html
    assert '<span class="badge disabled">Disabled</span>' in html
    assert "Make active" in html
    assert 'id="messages" class="messages" role="status" aria-live="polite" hx-swap-oob="true"' in html

    admin_client.post(f"/invites/{invite.pk}/active", {"active": "1"})
    invite.refresh_from_db()
    assert invite.is_active


def test_deleting_an_unused_invite(admin_client: Client, server: MediaServer, owner: User) -> None:
    invite = make_invite(owner)

    response = admin_client.post(f"/invites/{invite.pk}/delete")

    assert response["Location"] == "/invites"
    assert not Invite.objects.exists()


def test_deleting_an_invite_members_came_through_needs_confirmation_and_keeps_their_access(
    admin_client: Client, sim: PlexSimulator, server: MediaServer, owner: User
) -> None:
    invite = make_invite(owner, usage_limit=2)
    member = join(sim, invite, "guest")

    refused = admin_client.post(f"/invites/{invite.pk}/delete", follow=True)
    assert Invite.objects.filter(pk=invite.pk).exists()
    assert "confirm to delete it anyway" in refused.content.decode()

    admin_client.post(f"/invites/{invite.pk}/delete", {"confirm_members": "1"})

    assert not Invite.objects.filter(pk=invite.pk).exists()
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE
    assert len(sim.shares_of(server.machine_identifier)) == 1


def test_unknown_invites_are_404(admin_client: Client, owner: User) -> None:
    assert admin_client.get("/invites/999").status_code == 404
    assert admin_client.post("/invites/999/delete").status_code == 404


def test_the_list_exports_the_filtered_invites_as_csv(admin_client: Client, server: MediaServer, owner: User) -> None:
    make_invite(owner, description="=HYPERLINK(evil)")
    make_invite(owner, description="other")

    export = admin_client.get("/invites/export.csv?search=HYPERLINK")

    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert [row["description"] for row in rows] == ["'=HYPERLINK(evil)"]
