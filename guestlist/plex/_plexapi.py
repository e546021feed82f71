"""plexapi, imported so that it never reads a config file.

plexapi reads `~/.config/plexapi/config.ini` at import time and would then take tokens,
server URLs and headers from it. Everything the gateway needs is passed explicitly
instead.
"""

from __future__ import annotations

import os
import sys
from typing import Any

if "plexapi" not in sys.modules:
    os.environ["PLEXAPI_CONFIG_PATH"] = os.devnull

import plexapi
import plexapi.myplex
import plexapi.server
import plexapi.utils as plexapi_utils
from plexapi import exceptions

from guestlist import __version__

PRODUCT = "Guestlist"

# plexapi's annotations are partial; its objects are handled as Any and read
# defensively.
MyPlexAccount: Any = plexapi.myplex.MyPlexAccount
PlexServer: Any = plexapi.server.PlexServer
# The parser plexapi uses for every response. expat refuses entity-expansion bombs and
# ElementTree never fetches external entities, so Plex's answers are safe to read with
# it.
parse_xml: Any = plexapi_utils.parseXMLString

__all__ = ["MyPlexAccount", "PlexServer", "configure", "exceptions", "parse_xml"]


def configure(client_identifier: str) -> None:
    """Makes plexapi introduce itself as Guestlist.

    `myplex` and `server` hold references to plexapi's header dict, so it is updated in
    place; binding a new dict would change nothing.
    """
    plexapi.BASE_HEADERS.update(
        {
            "X-Plex-Product": PRODUCT,
            "X-Plex-Version": __version__,
            "X-Plex-Client-Identifier": client_identifier,
            "X-Plex-Device": PRODUCT,
            "X-Plex-Device-Name": PRODUCT,
        }
    )
