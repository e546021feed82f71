"""The demo world `guestlist demo` starts with: one owner, one server, twelve people to
invite."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from guestlist.plexsim.state import Account

if TYPE_CHECKING:
    from guestlist.plexsim.server import PlexSimulator

DEMO_OWNER = "demo-owner"
# Public by design: `serve` prints it so the demo can be driven by hand.
DEMO_OWNER_PLEX_AUTH = "demo-owner-token"
DEMO_SERVER = "Guestlist Demo"
# Fixed so a saved demo state and a fresh one describe the same server.
DEMO_MACHINE_IDENTIFIER = hashlib.sha1(b"guestlist-demo-server", usedforsecurity=False).hexdigest()

DEMO_PEOPLE: tuple[tuple[str, str], ...] = (
    ("alice", "Alice Martin"),
    ("bob", "Bob Nguyen"),
    ("carol", "Carol Schmidt"),
    ("dave", "Dave Okafor"),
    ("erin", "Erin Walsh"),
    ("frank", "Frank Rossi"),
    ("grace", "Grace Kim"),
    ("heidi", "Heidi Larsen"),
    ("ivan", "Ivan Petrov"),
    ("judy", "Judy Alvarez"),
    ("mallory", "Mallory Chen"),
    ("oscar", "Oscar Dubois"),
)


def seed_demo(simulator: PlexSimulator) -> Account:
    """Adds the demo owner (Plex Pass, token `demo-owner-token`), the "Guestlist Demo"
    server and twelve accounts nobody has invited yet, so every invite flow can be tried
    with them."""
    owner = simulator.add_account(DEMO_OWNER, "owner@demo.example", plex_pass=True, token=DEMO_OWNER_PLEX_AUTH)
    simulator.add_server(owner, DEMO_SERVER, machine_identifier=DEMO_MACHINE_IDENTIFIER)
    for username, title in DEMO_PEOPLE:
        simulator.add_account(username, f"{username}@demo.example", title=title)
    return owner
