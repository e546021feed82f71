"""Erasing a former member's personal data (API and page), and Settings → Import in the dashboard."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from guestlist.core.audit import Actor
from guestlist.core.models import AuditEvent
from guestlist.invites.models import Invite, Redemption
from guestlist.members import sync
from guestlist.members.models import Member
from guestlist.notifications.models import Delivery, Event, Recipient
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.conftest import MACHINE_ID
from tests.lifecycle.conftest import accept_in_plex, member_of, new_invite, redeem_email, remove_in_plex
from tests.transfer.peers import komandorr_db, komandorr_invite, komandorr_user

ACTOR = Actor.system()


def a_member_who_left(sim: PlexSimulator) -> Member:
    sim.share(MACHINE_ID, sim.account("carol"), accepted=True)  # someone keeps access: a definite list
    redeem_email(new_invite(), "bob@example.com")
    accept_in_plex(sim, "bob")
    sync.sync_now(actor=ACTOR)
    remove_in_plex(sim, "bob")
    sync.sync_now(actor=ACTOR)
    bob = member_of("bob@example.com")
    assert bob.status == "removed"
    bob.notes = "met at the bob@example.com party"
    bob.save()
    return bob


def test_an_admin_erases_a_removed_members_personal_data_keeping_counts_and_history(
    server: MediaServer, sim: PlexSimulator, api: Client
) -> None:
    bob = a_member_who_left(sim)
    events_before = AuditEvent.objects.filter(object_type="member", object_id=str(bob.pk)).count()
    Recipient.objects.get_or_create(email="bob@example.com")
    soon = timezone.now()
    mail = Delivery.objects.create(
        mail_kind="ended",
        recipient="bob@example.com",
        mail={"to": "bob@example.com"},
        next_attempt_at=soon,
        give_up_at=soon,
    )
    Event.objects.create(type="member.removed", payload={"member": {"email": "bob@example.com", "username": "bob"}})
    answer = api.post(f"/api/users/{bob.pk}/erase")
    assert answer.status_code == 200, answer.content
    assert answer.json()["email"] == "" and answer.json()["username"] == f"erased-member-{bob.pk}"

    bob.refresh_from_db()
    assert (bob.email, bob.thumb, bob.notes, bob.plex_id) == ("", "", "", None)
    assert bob.username == f"erased-member-{bob.pk}" and bob.person_key == f"erased:{bob.pk}"
    assert bob.status == "removed"
    invite = bob.invite
    assert invite is not None and invite.used_count == 1
    redemption = Redemption.objects.get(member=bob)
    assert (redemption.email, redemption.username, redemption.plex_id) == ("", "", None)
    # The audit trail stays, under the pseudonym, without the person's identifiers anywhere.
    events = AuditEvent.objects.filter(object_type="member", object_id=str(bob.pk))
    assert events.count() == events_before + 1
    everything = json.dumps(
        [[e.actor_label, e.object_label, e.details] for e in AuditEvent.objects.all()], ensure_ascii=False
    )
    assert "bob@example.com" not in everything
    assert str(sim.account("bob").id) not in everything
    assert AuditEvent.objects.filter(action="member.erased", object_id=str(bob.pk)).exists()
    # Nor in what notifications kept.
    assert not Recipient.objects.filter(email="bob@example.com").exists()
    assert "bob@example.com" not in json.dumps([[d.recipient, d.mail] for d in Delivery.objects.all()])
    mail.refresh_from_db()
    assert mail.status == "failed" and mail.recipient == f"erased-member-{bob.pk}"
    assert "bob@example.com" not in json.dumps([e.payload for e in Event.objects.all()])
    # Once is enough.
    again = api.post(f"/api/users/{bob.pk}/erase")
    assert again.status_code == 409 and again.json()["error"] == "already_erased"


def test_erasing_an_active_member_is_refused_with_the_contract_envelope(
    server: MediaServer, sim: PlexSimulator, api: Client
) -> None:
    redeem_email(new_invite(), "alice@example.com")
    alice = member_of("alice@example.com")
    answer = api.post(f"/api/users/{alice.pk}/erase")
    assert answer.status_code == 409
    assert answer.json()["error"] == "member_active" and answer.json()["message"]
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"
    assert api.post("/api/users/99999/erase").status_code == 404


def test_the_member_page_erases_after_the_box_is_ticked(
    server: MediaServer, sim: PlexSimulator, csrf_client: Client, owner_client: Client
) -> None:
    bob = a_member_who_left(sim)
    page = owner_client.get(f"/users/{bob.pk}")
    assert b"Erase personal data" in page.content
    assert csrf_client.post(f"/users/{bob.pk}/erase", {"confirm": "1"}).status_code == 403  # no CSRF token
    owner_client.post(f"/users/{bob.pk}/erase")  # the box not ticked
    bob.refresh_from_db()
    assert bob.email == "bob@example.com"
    owner_client.post(f"/users/{bob.pk}/erase", {"confirm": "1"})
    bob.refresh_from_db()
    assert bob.email == ""
    assert b"Erase personal data" not in owner_client.get(f"/users/{bob.pk}").content


def a_komandorr_file(tmp_path: Path, sim: PlexSimulator) -> bytes:
    alice = sim.account("alice")
    if not sim.shares_of(MACHINE_ID):
        sim.share(MACHINE_ID, alice, accepted=True)
    (tmp_path / "k.db").unlink(missing_ok=True)
    path = komandorr_db(
        tmp_path / "k.db",
        invites=[komandorr_invite(1, "KOMA0001", used_count=1), komandorr_invite(2, "KOMA0002", libraries="7")],
        users=[komandorr_user(1, "alice@example.com", 1, plex_id=str(alice.id))],
    )
    return path.read_bytes()


def uploads_left() -> list[Path]:
    return list((Path(settings.DATA_DIR) / "imports").glob("*.upload"))


def test_the_dashboard_imports_after_a_preview_and_a_confirmation(
    server: MediaServer, sim: PlexSimulator, owner_client: Client, tmp_path: Path
) -> None:
    for left in uploads_left():
        left.unlink()
    assert b"Import from Wizarr" in owner_client.get("/settings/import").content
    upload = SimpleUploadedFile("komandorr.db", a_komandorr_file(tmp_path, sim))
    posted = owner_client.post("/settings/import", {"source": "komandorr", "file": upload})
    assert posted.status_code == 302 and posted["Location"] == "/settings/import"  # Post/Redirect/Get
    preview = owner_client.get("/settings/import")
    text = preview.content.decode()
    assert "Preview: nothing is imported yet" in text
    assert "Preview: nothing is imported yet" in owner_client.get("/settings/import").content.decode()  # a reload
    assert "2 to import" in text and "section 7" in text
    assert not Invite.objects.exists()
    [kept] = uploads_left()
    assert kept.stat().st_mode & 0o777 == 0o600

    token = owner_client.session["transfer_import"]["token"]
    assert owner_client.post("/settings/import/confirm", {"token": "forged"}).status_code == 302
    assert not Invite.objects.exists()
    # The forged attempt closed the preview; start again.
    upload = SimpleUploadedFile("komandorr.db", a_komandorr_file(tmp_path, sim))
    owner_client.post("/settings/import", {"source": "komandorr", "file": upload})
    token = owner_client.session["transfer_import"]["token"]
    done = owner_client.post("/settings/import/confirm", {"token": token}, follow=True)
    assert done.redirect_chain == [("/settings/import", 302)]
    assert "Import finished." in done.content.decode() and "2 imported" in done.content.decode()
    # Reloading the result imports nothing and shows the upload form again.
    again = owner_client.get("/settings/import").content.decode()
    assert "Import from Wizarr" in again and "2 imported" not in again
    assert set(Invite.objects.values_list("code", flat=True)) == {"KOMA0001", "KOMA0002"}
    assert Member.objects.get().status == "active"
    assert uploads_left() == []
    event = AuditEvent.objects.get(action="transfer.import")
    assert event.actor_label == "owner"


def test_cancelling_a_preview_removes_the_upload(
    server: MediaServer, sim: PlexSimulator, owner_client: Client, tmp_path: Path
) -> None:
    upload = SimpleUploadedFile("komandorr.db", a_komandorr_file(tmp_path, sim))
    owner_client.post("/settings/import", {"source": "komandorr", "file": upload})
    assert uploads_left()
    owner_client.post("/settings/import/cancel")
    assert uploads_left() == [] and not Invite.objects.exists()


def test_a_broken_upload_is_explained_and_nothing_kept(
    server: MediaServer, owner_client: Client, csrf_client: Client
) -> None:
    upload = SimpleUploadedFile("wizarr.db", b"definitely not sqlite")
    page = owner_client.post("/settings/import", {"source": "wizarr", "file": upload}, follow=True)
    assert "is not an SQLite database" in page.content.decode()
    assert uploads_left() == [] and not Invite.objects.exists()
    refused = csrf_client.post("/settings/import", {"source": "wizarr", "file": SimpleUploadedFile("a", b"x")})
    assert refused.status_code == 403


def test_the_import_page_says_to_connect_plex_first(owner_client: Client, owner: Any) -> None:
    page = owner_client.get("/settings/import")
    assert "Connect your Plex server first" in page.content.decode()
    assert not MediaServer.objects.exists()


def test_the_import_page_speaks_german(server: MediaServer, owner_client: Client) -> None:
    page = owner_client.get("/settings/import", HTTP_ACCEPT_LANGUAGE="de")
    assert "Aus Wizarr, Komandorr oder einem Guestlist-Export importieren" in page.content.decode()
