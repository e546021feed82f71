"""Content limits per invite (Plex's filterMovies / filterTelevision / filterMusic): chosen from
the server's real labels and ratings, applied on redemption and on later edits, said in plain
words on the invite page, and followed when someone changes them in Plex itself."""

from __future__ import annotations

from django.test import Client

from guestlist.invites.models import Invite, InviteTemplate
from guestlist.members.models import Member
from guestlist.plex import content_limits
from guestlist.plex.models import MediaServer
from guestlist.plexsim import PlexSimulator
from tests.access.conftest import member_named, share_of
from tests.conftest import MACHINE_ID
from tests.dashboard.test_invites_views import advanced

FILMS_12_TV_14 = {"movies": {"max_rating": "de/12"}, "television": {"max_rating": "TV-14"}}


def plex_limits(sim: PlexSimulator, member: Member) -> content_limits.ContentLimits:
    share = share_of(sim, member)
    return content_limits.from_filters(share.filter_movies, share.filter_television, share.filter_music)


def test_an_invite_limited_to_films_up_to_12_and_tv_up_to_tv14_shares_exactly_that(
    api: Client, client: Client, sim: PlexSimulator, server: MediaServer
) -> None:
    created = api.post(
        "/api/invites/",
        {"usage_limit": 2, "libraries": [1, 2], "content_limits": FILMS_12_TV_14},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["content_limits"]["movies"]["max_rating"] == "de/12"
    assert "de/16" not in body["content_limits"]["movies"]["ratings"]
    assert "TV-MA" not in body["content_limits"]["television"]["ratings"]

    page = client.get(f"/invite/{body['code']}").content.decode()
    assert "Films up to de/12, TV shows up to TV-14" in page

    invite = Invite.objects.get(pk=body["id"])
    alice = member_named(sim, invite, "alice")
    limits = plex_limits(sim, alice)
    assert (limits.movies.max_rating, limits.television.max_rating) == ("de/12", "TV-14")
    assert "R" not in limits.movies.ratings and "PG-13" not in limits.movies.ratings
    assert Member.objects.get(pk=alice.pk).content_limits == invite.content_limits


def test_the_advanced_form_offers_the_servers_real_labels_and_ratings(
    admin_client: Client, sim: PlexSimulator, server: MediaServer
) -> None:
    form = admin_client.get("/invites/new").content.decode()
    assert "TV-14" in form and "Horror" in form and "Explicit" in form  # read from the PMS

    admin_client.post(
        "/invites/new",
        advanced(
            limit_movies_max_rating="PG",
            limit_movies_exclude_labels=["Horror"],
            limit_music_exclude_labels=["Explicit"],
        ),
    )

    invite = Invite.objects.get()
    assert (invite.content_limits or {})["movies"]["exclude_labels"] == ["Horror"]
    detail = admin_client.get(f"/invites/{invite.pk}").content.decode()
    assert "Films up to PG and without Horror, music without Explicit" in detail


def test_the_form_still_takes_typed_limits_when_the_server_cannot_be_read(
    admin_client: Client, sim: PlexSimulator, server: MediaServer
) -> None:
    sim.inject_fault("GET", "/library/sections/*", host="pms", status=500, times=None)

    form = admin_client.get("/invites/new").content.decode()
    assert "could not be read" in form
    admin_client.post("/invites/new", advanced(limit_television_max_rating="TV-PG", limit_movies_labels="Kids, Family"))

    limits = Invite.objects.get().content_limits or {}
    assert limits["television"]["max_rating"] == "TV-PG"
    assert limits["movies"]["labels"] == ["Kids", "Family"]


def test_editing_an_invites_limits_applies_to_later_redemptions(
    api: Client, sim: PlexSimulator, server: MediaServer
) -> None:
    invite_id = api.post("/api/invites/", {"usage_limit": 3}, content_type="application/json").json()["id"]
    invite = Invite.objects.get(pk=invite_id)
    before = member_named(sim, invite, "alice")

    edited = api.patch(
        f"/api/invites/{invite_id}",
        {"content_limits": {"television": {"max_rating": "TV-PG"}}},
        content_type="application/json",
    )
    assert edited.status_code == 200
    after = member_named(sim, Invite.objects.get(pk=invite_id), "bob")

    assert plex_limits(sim, before).empty
    assert plex_limits(sim, after).television.max_rating == "TV-PG"


def test_a_members_limits_are_changed_on_plex_with_their_access(
    api: Client, sim: PlexSimulator, server: MediaServer
) -> None:
    invite = Invite.objects.get(
        pk=api.post("/api/invites/", {"content_limits": FILMS_12_TV_14}, content_type="application/json").json()["id"]
    )
    alice = member_named(sim, invite, "alice")

    response = api.patch(
        f"/api/users/{alice.pk}",
        {"content_limits": {"movies": {"max_rating": "R", "exclude_labels": ["Horror"]}}},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert response.json()["content_limits"]["movies"]["max_rating"] == "R"
    limits = plex_limits(sim, alice)
    assert (limits.movies.max_rating, limits.movies.exclude_labels) == ("R", ("Horror",))
    assert limits.television.empty  # limits not named are lifted: the edit is the whole set


def test_limits_changed_in_plex_itself_are_noticed_by_the_sync(
    api: Client, sim: PlexSimulator, server: MediaServer
) -> None:
    invite = Invite.objects.get(
        pk=api.post("/api/invites/", {"content_limits": FILMS_12_TV_14}, content_type="application/json").json()["id"]
    )
    alice = member_named(sim, invite, "alice")
    sim.edit_share(MACHINE_ID, "alice", filterMovies="")  # the owner lifted the film limit in Plex Web

    assert api.post("/api/users/sync").status_code == 200

    detail = api.get(f"/api/users/{alice.pk}").json()
    assert detail["content_limits"]["movies"]["max_rating"] == "de/12"  # Guestlist's record
    on_plex = detail["plex_access"]["content_limits"]
    assert on_plex["movies"] is None  # no film limit on Plex any more
    assert on_plex["television"]["max_rating"] == "TV-14"
    resolved = api.post(f"/api/users/{alice.pk}/access/resolve", {"keep": "guestlist"}, content_type="application/json")
    assert resolved.json()["plex_access"] is None
    assert plex_limits(sim, alice).movies.max_rating == "de/12"


def test_templates_keep_content_limits_for_the_invites_made_from_them(
    admin_client: Client, server: MediaServer
) -> None:
    from guestlist.core.audit import Actor
    from guestlist.invites import invite_templates

    template = invite_templates.create_template(
        "Kids", {"content_limits": {"movies": {"max_rating": "G"}}}, actor=Actor.job("test")
    )
    assert (InviteTemplate.objects.get(pk=template.pk).content_limits or {})["movies"]["max_rating"] == "G"

    form = admin_client.get(f"/invites/new?template={template.pk}").content.decode()
    assert 'value="G" selected' in form or 'selected value="G"' in form or '<option value="G" selected>' in form
