"""A faithful fake of plex.tv, clients.plex.tv and a Plex Media Server, for tests and
the demo.

Real plexapi runs against it unmodified through
`guestlist.plex.transport.build_session`.
"""

from __future__ import annotations

from guestlist.plexsim.server import PlexSimulator, serve
from guestlist.plexsim.state import SimState

__all__ = ["PlexSimulator", "SimState", "serve"]
