"""The member page and the members list: changing access by hand, in bulk, and settling a
difference made in Plex itself, through Django's client against the simulator."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client

from guestlist.invites.models import Invite
from guestlist.members.models import Member
from guestlist.members.sync import sync_job
from guestlist.plexsim import PlexSimulator
from tests.access.conftest import (
    libraries_on_plex,
    member_named,
    plex_down_for_share_updates,
    refuse_share_updates,
    run_owed_work,
    share_of,
)
from tests.conftest import MACHINE_ID
from tests.dashboard.conftest import htmx


def test_the_member_page_changes_libraries_and_says_plex_confirmed(
    admin_client: Client, sim: PlexSimulator, invite: Invite
) -> None:
    alice = member_named(sim, invite, "alice")
    page = admin_client.get(f"/users/{alice.pk}/access").content.decode()
    assert "Only these libraries" in page
    assert "PG-13" in page  # the server's own ratings, read from the PMS

    response = admin_client.post(
        f"/users/{alice.pk}/access",
        {"libraries_mode": "specific", "libraries": ["1", "2"], "allow_sync": "on", "limit_movies_max_rating": "PG-13"},
        follow=True,
    )

    text = response.content.decode()
    assert "Plex confirmed the new access of alice." in text
    assert "Films up to PG-13" in text
    assert libraries_on_plex(sim, alice) == [1, 2]
    assert "PG-13" in share_of(sim, alice).filter_movies and "contentRating=" in share_of(sim, alice).filter_movies


def test_a_refusal_is_shown_on_the_page_and_nothing_changes(
    admin_client: Client, sim: PlexSimulator, invite: Invite
) -> None:
    alice = member_named(sim, invite, "alice")
    refuse_share_updates(sim)

    response = admin_client.post(
        f"/users/{alice.pk}/access", {"libraries_mode": "specific", "libraries": ["3"]}, follow=True
    )

    assert "Plex refused the change for alice; nothing was changed." in response.content.decode()
    assert Member.objects.get(pk=alice.pk).library_keys == [1]


def test_with_plex_down_the_page_says_changing_and_polls_until_plex_confirms(
    admin_client: Client, sim: PlexSimulator, invite: Invite
) -> None:
    alice = member_named(sim, invite, "alice")
    plex_down_for_share_updates(sim)

    page = admin_client.post(
        f"/users/{alice.pk}/access", {"libraries_mode": "specific", "libraries": ["3"]}, follow=True
    ).content.decode()

    assert "the change for alice waits and will be retried" in page
    assert "data-changing" in page and 'hx-trigger="every 3s"' in page
    box = admin_client.get(f"/users/{alice.pk}", headers=htmx("member-access")).content.decode()
    assert "Changing…" in box and "<html" not in box

    sim.clear_faults()
    run_owed_work()
    box = admin_client.get(f"/users/{alice.pk}", headers=htmx("member-access")).content.decode()
    assert "Changing…" not in box and "hx-trigger" not in box
    assert "Music" in box  # library 3, now confirmed


def test_the_owner_changes_three_members_at_once_from_the_list(
    admin_client: Client, sim: PlexSimulator, invite: Invite
) -> None:
    people = [member_named(sim, invite, name) for name in ("alice", "bob", "carol")]

    chosen = admin_client.post(
        "/users/bulk", {"ids": [str(m.pk) for m in people], "action": "access"}, follow=True
    ).content.decode()
    assert "Change the access of 3 members" in chosen
    response = admin_client.post(
        "/users/access",
        {
            "ids": [str(m.pk) for m in people],
            "libraries_mode": "specific",
            "libraries": ["1", "2"],
            "allow_sync": "keep",
            "allow_channels": "on",
            "allow_camera_upload": "keep",
        },
        follow=True,
    )

    assert "Plex confirmed the new access of 3 members." in response.content.decode()
    for member in people:
        assert libraries_on_plex(sim, member) == [1, 2]
        assert share_of(sim, member).allow_channels is True
        assert share_of(sim, member).allow_sync is False


def test_a_change_made_in_plex_itself_is_shown_and_can_be_kept(
    admin_client: Client, sim: PlexSimulator, invite: Invite
) -> None:
    alice = member_named(sim, invite, "alice")
    sim.edit_share(MACHINE_ID, "alice", library_keys=(1, 3), filterMovies="contentRating=G%2CPG")

    admin_client.post(f"/users/{alice.pk}/refresh")
    page = admin_client.get(f"/users/{alice.pk}").content.decode()

    assert "Changed in Plex itself" in page
    assert "Movies, Music" in page and "Films up to PG" in page
    alice.refresh_from_db()
    assert alice.library_keys == [1]  # Guestlist's record stays until the owner decides

    kept = admin_client.post(f"/users/{alice.pk}/access/resolve", {"keep": "plex"}, follow=True).content.decode()
    alice.refresh_from_db()
    assert (alice.library_keys, alice.plex_access) == ([1, 3], None)
    assert (alice.content_limits or {})["movies"]["max_rating"] == "PG"
    assert "Changed in Plex itself" not in kept


def test_a_change_made_in_plex_itself_can_be_undone_with_guestlists(
    admin_client: Client, sim: PlexSimulator, invite: Invite
) -> None:
    alice = member_named(sim, invite, "alice")
    sim.edit_share(MACHINE_ID, "alice", allowSync=True, filterTelevision="contentRating=TV-Y")

    sync_job()  # the scheduled sync reads only the user list, which carries the settings
    alice.refresh_from_db()
    assert alice.plex_access == {
        "allow_sync": True,
        "content_limits": {
            "television": {"max_rating": "TV-Y", "labels": [], "exclude_labels": [], "ratings": ["TV-Y"]}
        },
    }
    assert "differs" in admin_client.get("/users").content.decode()

    admin_client.post(f"/users/{alice.pk}/access/resolve", {"keep": "guestlist"})

    share = share_of(sim, alice)
    assert (share.allow_sync, share.filter_television) == (False, "")
    alice.refresh_from_db()
    assert alice.plex_access is None


def test_the_access_pages_speak_german(owner: User, sim: PlexSimulator, invite: Invite) -> None:
    alice = member_named(sim, invite, "alice")
    german = Client(headers={"Accept-Language": "de-DE,de;q=0.9"})
    german.force_login(owner)
    sim.edit_share(MACHINE_ID, "alice", filterTelevision="contentRating=TV-Y%2CTV-PG")
    german.post(f"/users/{alice.pk}/refresh")

    page = german.get(f"/users/{alice.pk}").content.decode()
    form = german.get(f"/users/{alice.pk}/access").content.decode()

    assert "In Plex selbst geändert" in page and "Plex übernehmen" in page
    assert "Serien bis TV-PG" in page
    assert "Inhaltsgrenzen" in form and "Höchste Altersfreigabe" in form and "Bei Plex ändern" in form
