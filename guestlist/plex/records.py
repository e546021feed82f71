"""The plain values the gateway hands back; nothing here knows about HTTP or plexapi."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class PlexAccount:
    id: int
    uuid: str
    username: str
    email: str
    title: str
    thumb: str
    has_plex_pass: bool
    # plex.tv's ``confirmed``: the person followed the confirmation mail. Until then anyone
    # could have typed the address, so it must not match them to anything.
    email_confirmed: bool = False


@dataclass(frozen=True)
class ServerInfo:
    machine_identifier: str
    name: str
    version: str


@dataclass(frozen=True)
class LibraryInfo:
    key: int  # the PMS section key (1, 2, 3…), what Guestlist stores
    global_id: int  # plex.tv's id for the same section, what share requests carry
    title: str
    type: str


@dataclass(frozen=True)
class ShareSettings:
    library_keys: tuple[int, ...]  # PMS keys; empty means every library of the server
    allow_sync: bool = False
    allow_channels: bool = False
    allow_camera_upload: bool = False
    # Plex's filter strings for films, TV and music (``content_limits.to_filter``); empty: no limit.
    filter_movies: str = ""
    filter_television: str = ""
    filter_music: str = ""


@dataclass(frozen=True)
class PlexUser:
    id: int
    username: str
    email: str
    title: str
    thumb: str
    home: bool
    managed: bool
    share_id: int | None  # their share of our server; None when they have none
    library_keys: tuple[int, ...] | None  # () when the share covers every library
    allow_sync: bool
    allow_channels: bool
    allow_camera_upload: bool
    last_seen_at: datetime | None
    filter_movies: str = ""
    filter_television: str = ""
    filter_music: str = ""


@dataclass(frozen=True)
class LibraryContent:
    """The labels and content ratings used in one library (what content limits can name)."""

    key: int
    type: str
    labels: tuple[str, ...]
    ratings: tuple[str, ...]


@dataclass(frozen=True)
class Play:
    """One entry of the Plex Media Server's play history."""

    account_id: int  # the PMS's account id: the plex.tv account id, except 1 for the owner
    viewed_at: datetime
    title: str  # "Show – Episode" for episodes, else the item's own title


@dataclass(frozen=True)
class ShareResult:
    share_id: int | None
    user_id: int | None
    already_shared: bool
    # Plex's answer already says accepted (a friend or Home member gets no invite to accept).
    accepted: bool = False


@dataclass(frozen=True)
class Pin:
    id: int
    code: str
    expires_at: datetime
    auth_token: str | None


@dataclass(frozen=True)
class PendingInvite:
    share_id: int
    owner_id: int
    owner_username: str
    machine_identifier: str


@dataclass(frozen=True)
class PlexConnection:
    uri: str
    local: bool
    relay: bool


@dataclass(frozen=True)
class PlexResource:
    """A device on the signed-in account (plex.tv's resources), e.g. a server they own."""

    name: str
    client_identifier: str  # the machine identifier, for servers
    product_version: str
    owned: bool
    provides: tuple[str, ...]
    connections: tuple[PlexConnection, ...]
    # The token for this device; kept out of repr so a logged record never shows it.
    access_token: str = field(default="", repr=False)

    @property
    def is_server(self) -> bool:
        return "server" in self.provides
