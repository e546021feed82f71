"""Content limits on shares (Plex's filterMovies / filterTelevision / filterMusic), and the
labels and ratings a library offers, checked request by request against the simulator."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from guestlist.plex import content_limits
from guestlist.plex.gateway import PlexGateway, ShareSettings
from guestlist.plexsim import PlexSimulator
from guestlist.plexsim.state import Server

MACHINE = "abc123machine"
Calls = Callable[[], list[tuple[str, str, str]]]


def test_a_share_carries_its_content_limits_in_plexs_filter_strings(
    sim: PlexSimulator, gateway: PlexGateway, server: Server
) -> None:
    sim.add_account("bob")
    limits = content_limits.from_json(
        {"movies": {"max_rating": "12", "exclude_labels": ["Horror"]}, "television": {"max_rating": "TV-14"}}
    )
    filters = limits.filters()

    gateway.share(
        "bob@example.com",
        ShareSettings(
            library_keys=(1, 2),
            filter_movies=filters["movies"],
            filter_television=filters["television"],
            filter_music=filters["music"],
        ),
    )

    [share] = sim.shares_of(server)
    assert share.filter_movies.startswith("contentRating=")
    assert "de/12%2C" in share.filter_movies or share.filter_movies.endswith("de/12|label!=Horror")
    assert "R%2C" not in share.filter_movies and "de/16" not in share.filter_movies
    assert share.filter_movies.endswith("|label!=Horror")
    assert "TV-14" in share.filter_television and "TV-MA" not in share.filter_television
    assert share.filter_music == ""


def test_an_update_with_the_share_id_is_one_request_and_sets_the_filters(
    sim: PlexSimulator, gateway: PlexGateway, server: Server, calls: Calls
) -> None:
    bob = sim.add_account("bob")
    made = sim.share(server, bob, library_keys=(1,), accepted=True)
    before = len(calls())

    gateway.update_share(
        bob.id, ShareSettings(library_keys=(1,), filter_television="contentRating=TV-Y"), share_id=made.id
    )

    # The section map (cold here) and the update; no look-up of the share.
    assert calls()[before:] == [
        ("GET", "plex.tv", f"/api/servers/{MACHINE}"),
        ("POST", "clients.plex.tv", f"/api/v2/shared_servers/{made.id}"),
    ]
    assert sim.shares_of(server)[0].filter_television == "contentRating=TV-Y"


def test_an_update_with_a_share_id_plex_forgot_finds_the_share_by_user(
    sim: PlexSimulator, gateway: PlexGateway, server: Server
) -> None:
    bob = sim.add_account("bob")
    sim.share(server, bob, library_keys=(1,), accepted=True)

    gateway.update_share(bob.id, ShareSettings(library_keys=(2,)), share_id=999)

    assert sim.shares_of(server)[0].library_ids == [9002]


def test_the_user_list_says_the_limits_changed_in_plex_itself(
    sim: PlexSimulator, gateway: PlexGateway, server: Server
) -> None:
    bob = sim.add_account("bob")
    sim.share(server, bob, library_keys=(1,), accepted=True)
    sim.edit_share(server, bob, filterMovies="contentRating=G%2CPG|label=Kids", allowSync=True)

    for libraries in (True, False):
        [user] = gateway.users(libraries=libraries)
        assert user.filter_movies == "contentRating=G%2CPG|label=Kids"
        assert user.allow_sync is True
        limits = content_limits.from_filters(user.filter_movies, user.filter_television, user.filter_music)
        assert limits.movies.max_rating == "PG"
        assert limits.movies.labels == ("Kids",)


def test_it_reads_the_labels_and_ratings_each_library_uses(
    sim: PlexSimulator, gateway: PlexGateway, calls: Calls
) -> None:
    movies, shows = gateway.library_content([1, 2])

    assert (movies.type, movies.labels) == ("movie", ("Family", "Horror", "Kids"))
    assert "PG-13" in movies.ratings
    assert "TV-14" in shows.ratings
    assert [c for c in calls() if c[1] == "pms"][-4:] == [
        ("GET", "pms", "/library/sections/1/label"),
        ("GET", "pms", "/library/sections/1/contentRating"),
        ("GET", "pms", "/library/sections/2/label"),
        ("GET", "pms", "/library/sections/2/contentRating"),
    ]


def test_a_maximum_rating_becomes_every_rating_up_to_its_age() -> None:
    allowed = content_limits.ratings_up_to("PG-13")
    assert {"G", "PG", "PG-13", "de/12", "gb/12A", "TV-PG"} <= set(allowed)
    assert not {"R", "de/16", "TV-14", "TV-MA"} & set(allowed)
    assert "FSK 12" in content_limits.ratings_up_to("12", known=["FSK 12", "FSK 16"])
    assert "FSK 16" not in content_limits.ratings_up_to("12", known=["FSK 12", "FSK 16"])
    assert content_limits.ratings_up_to("Unrated") == ("Unrated",)
    kind = content_limits.kind_from_json({"max_rating": "TV-14", "labels": "Kids, 100% Family"}, "television")
    parsed = content_limits.parse_filter(content_limits.to_filter(kind))
    assert parsed.max_rating == "TV-14"
    assert parsed.labels == ("Kids", "100% Family")
    with pytest.raises(content_limits.LimitsError):
        content_limits.kind_from_json({"labels": ["a,b"]}, "movies")
