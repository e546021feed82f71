"""The demo world `guestlist demo` starts with: one owner, one server, twelve people to
invite (``PlexSimulator.seed_demo`` puts them in)."""

from __future__ import annotations

import hashlib

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

# What some of them (and the owner) watched, days ago, so last seen and the inactivity
# preview have something to show once they are invited: (who, title, show, days ago).
DEMO_PLAYS: tuple[tuple[str, str, str, float], ...] = (
    (DEMO_OWNER, "Big Buck Bunny", "", 0.2),
    ("alice", "Pilot", "Northern Lights", 1),
    ("bob", "Sintel", "", 12),
    ("carol", "Tears of Steel", "", 75),
    ("dave", "The Long Road", "Coast to Coast", 140),
)
