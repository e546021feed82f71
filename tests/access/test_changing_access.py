"""Changing a member's access after they joined, one member or several, against the simulator:
Plex confirming, Plex refusing (nothing recorded as changed) and Plex down (changing… until the
outbox gets through)."""

from __future__ import annotations

from django.test import Client

from guestlist.core.models import AuditEvent
from guestlist.invites.models import Invite
from guestlist.members.models import Member
from guestlist.plexsim import PlexSimulator
from tests.access.conftest import (
    libraries_on_plex,
    member_named,
    plex_down_for_share_updates,
    refuse_share_updates,
    run_owed_work,
    share_of,
)


def test_the_owner_changes_a_members_libraries_and_plex_confirms(
    api: Client, sim: PlexSimulator, invite: Invite
) -> None:
    alice = member_named(sim, invite, "alice")

    response = api.patch(
        f"/api/users/{alice.pk}",
        {"libraries": [1, 2], "allow_sync": True},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["libraries"], body["allow_sync"], body["access_changing"]) == ([1, 2], True, False)
    assert libraries_on_plex(sim, alice) == [1, 2]
    assert share_of(sim, alice).allow_sync is True
    changed = AuditEvent.objects.get(action="member.access_changed", object_id=str(alice.pk))
    assert changed.details["before"]["library_keys"] == [1]
    assert changed.details["after"]["library_keys"] == [1, 2]
    assert changed.details["confirmed_by_plex"] is True
    requested = AuditEvent.objects.get(action="member.access_change_requested", object_id=str(alice.pk))
    assert (requested.details["before"]["allow_sync"], requested.details["after"]["allow_sync"]) == (False, True)


def test_a_plex_refusal_is_shown_and_nothing_is_recorded_as_changed(
    api: Client, sim: PlexSimulator, invite: Invite
) -> None:
    alice = member_named(sim, invite, "alice")
    refuse_share_updates(sim)

    response = api.patch(f"/api/users/{alice.pk}", {"libraries": [2]}, content_type="application/json")

    assert response.status_code == 502
    assert response.json()["error"] == "plex_refused"
    assert "Sharing settings could not be saved" in response.json()["message"]
    alice.refresh_from_db()
    assert alice.library_keys == [1]
    assert alice.reason.startswith("Changing access failed")
    assert libraries_on_plex(sim, alice) == [1]
    assert not AuditEvent.objects.filter(action="member.access_changed").exists()

    # The next change that Plex takes clears the old complaint.
    assert api.patch(f"/api/users/{alice.pk}", {"libraries": [2]}, content_type="application/json").status_code == 200
    alice.refresh_from_db()
    assert (alice.library_keys, alice.reason) == ([2], "")


def test_while_plex_is_down_the_change_waits_and_lands_when_plex_is_back(
    api: Client, sim: PlexSimulator, invite: Invite
) -> None:
    alice = member_named(sim, invite, "alice")
    plex_down_for_share_updates(sim)

    response = api.patch(f"/api/users/{alice.pk}", {"libraries": "all"}, content_type="application/json")

    assert response.status_code == 200
    assert response.json()["access_changing"] is True
    assert response.json()["libraries"] == [1]
    alice.refresh_from_db()
    assert alice.library_keys == [1]

    sim.clear_faults()
    run_owed_work()

    detail = api.get(f"/api/users/{alice.pk}").json()
    assert detail["access_changing"] is False
    assert detail["libraries"] == [1, 2, 3, 4]  # "all": every library the server has now
    assert libraries_on_plex(sim, alice) == [1, 2, 3, 4]


def test_three_members_change_at_once_and_plex_confirms_each(api: Client, sim: PlexSimulator, invite: Invite) -> None:
    people = [member_named(sim, invite, name) for name in ("alice", "bob", "carol")]
    gone = member_named(sim, invite, "dave")
    api.delete(f"/api/users/{gone.pk}")

    response = api.post(
        "/api/users/access",
        {"ids": [m.pk for m in people] + [gone.pk], "libraries": [1, 3], "allow_channels": True},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert sorted(body["done"]) == sorted(m.pk for m in people)
    assert (body["changing"], body["refused"], body["skipped"]) == ([], [], [gone.pk])
    for member in people:
        assert libraries_on_plex(sim, member) == [1, 3]
        assert share_of(sim, member).allow_channels is True
        member.refresh_from_db()
        assert (member.library_keys, member.allow_channels) == ([1, 3], True)
    assert AuditEvent.objects.filter(action="member.access_changed").count() == 3


def test_in_bulk_one_refusal_does_not_stop_the_others(api: Client, sim: PlexSimulator, invite: Invite) -> None:
    people = [member_named(sim, invite, name) for name in ("alice", "bob", "carol")]
    refuse_share_updates(sim, times=1)

    body = api.post(
        "/api/users/access", {"ids": [m.pk for m in people], "libraries": [2]}, content_type="application/json"
    ).json()

    assert [entry["id"] for entry in body["refused"]] == [people[0].pk]
    assert sorted(body["done"]) == sorted(m.pk for m in people[1:])
    assert Member.objects.get(pk=people[0].pk).library_keys == [1]
    assert libraries_on_plex(sim, people[0]) == [1]
    assert libraries_on_plex(sim, people[1]) == [2]


def test_in_bulk_with_plex_down_every_change_waits_for_the_outbox(
    api: Client, sim: PlexSimulator, invite: Invite
) -> None:
    people = [member_named(sim, invite, name) for name in ("alice", "bob")]
    plex_down_for_share_updates(sim)

    body = api.post(
        "/api/users/access", {"ids": [m.pk for m in people], "allow_sync": True}, content_type="application/json"
    ).json()

    assert sorted(body["changing"]) == sorted(m.pk for m in people)
    assert not Member.objects.filter(allow_sync=True).exists()
    sim.clear_faults()
    run_owed_work()
    assert Member.objects.filter(allow_sync=True).count() == 2
    assert all(share_of(sim, m).allow_sync for m in people)


def test_bulk_changes_need_something_to_change(api: Client, sim: PlexSimulator, invite: Invite) -> None:
    alice = member_named(sim, invite, "alice")

    response = api.post("/api/users/access", {"ids": [alice.pk]}, content_type="application/json")

    assert response.status_code == 422
    assert not AuditEvent.objects.filter(action="member.access_change_requested").exists()
