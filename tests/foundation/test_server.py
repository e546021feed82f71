"""``guestlist serve`` runs granian's threaded server in its own process (see server.py)."""

from __future__ import annotations

from granian.server.mt import MTServer

from guestlist import server


def test_the_in_process_server_replaces_a_check_granian_still_makes() -> None:
    # The override is only right while granian's threaded server checks the GIL by this name;
    # after an upgrade that renames it, this fails rather than `guestlist serve` at start.
    web = server.web_server("127.0.0.1", 0, 1)

    assert "_check_gil" in vars(MTServer)
    assert isinstance(web, MTServer)
    assert type(web)._check_gil is not MTServer._check_gil
