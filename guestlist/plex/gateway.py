"""The Plex gateway: the only code in Guestlist that speaks to plex.tv or a Plex Media Server.

It is Django-free: tokens, URLs and the client identifier come in as arguments. Every failure
comes out as one of the errors in `guestlist.plex.errors`, and no message ever holds a token.
What each call sends and what Plex answers is written up in docs/plex.md.

plexapi is used where it works as-is (reading the account, the PMS and its libraries). Sharing
and Home calls are sent directly, in the shapes plexapi 4.18.3 sends, because plexapi re-reads
plex.tv's section list and user list on every call, and its invite-accept calls hit routes
plex.tv has removed (docs/plex.md, "Quirks worth knowing").

Round trips per operation (plex.tv unless marked PMS; "map" is plex.tv's section list for the
server, cached in-process for `SECTION_MAP_TTL` seconds per machine identifier, and not needed
at all when the caller hands over the stored libraries' ids as `sections`):

===================  ==========================================================================
operation            requests
===================  ==========================================================================
owner_account        1: GET /api/v2/user
resources            1: GET /api/v2/resources (JSON)
server_info          1 PMS: GET / (once per gateway)
libraries            1 map: GET /api/servers/{mid}, always refreshed
                     + PMS: GET / (once per gateway), GET /library, GET /library/sections
users                2: GET /api/users/ + GET /api/servers/{mid}/shared_servers (+1 map if cold);
                     1 with libraries=False (GET /api/users/ only)
share                1: POST /api/servers/{mid}/shared_servers (+1 map if cold);
                     on "already sharing" +1: GET .../shared_servers, then, when adopted,
                     +1: the v2 update POST clients.plex.tv/api/v2/shared_servers/{id}
update_share         2: GET .../shared_servers + the v2 update (+1 map if cold); 1 with the share id
library_content      2 PMS per library: GET /library/sections/{key}/label and .../contentRating
remove_share         1 with the share id: DELETE .../shared_servers/{id}; without it (or when
                     Plex no longer knows that id) +1: GET .../shared_servers first
add_home_user        2: POST /api/home/users?invitedEmail= + POST .../shared_servers
                     (+1 map if cold, +2 when already shared)
create_managed_user  2: POST /api/home/users?title= + POST .../shared_servers (+1 map if cold)
remove_home_user     1: DELETE /api/home/users/{id}
play_history         PMS: GET / (once per gateway) + 1 GET /status/sessions/history/all per
                     100 plays (plexapi's page size), newest first, bounded by ``limit``
===================  ==========================================================================

`machine_identifier` may be omitted when `server_url` is given; the first operation that needs
it then asks the PMS (1 PMS request per gateway).

The invitee's side (PIN sign-in, accepting the invite) lives in `guestlist.plex.invitee`.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from guestlist.plex import _plexapi
from guestlist.plex.client import PlexHttp, as_bool, as_int, unreadable, via_plexapi
from guestlist.plex.errors import (
    PlexAlreadyShared,
    PlexNotFound,
    PlexTokenRejected,
    PlexUnexpected,
)
from guestlist.plex.invitee import PlexInviteeGateway, account_from_plexapi
from guestlist.plex.records import (
    LibraryContent,
    LibraryInfo,
    PendingInvite,
    Pin,
    Play,
    PlexAccount,
    PlexConnection,
    PlexResource,
    PlexUser,
    ServerInfo,
    ShareResult,
    ShareSettings,
)
from guestlist.plex.redaction import remember_secret

__all__ = [
    "LibraryContent",
    "LibraryInfo",
    "PendingInvite",
    "Pin",
    "Play",
    "PlexAccount",
    "PlexGateway",
    "PlexInviteeGateway",
    "PlexResource",
    "PlexUser",
    "ServerInfo",
    "ShareResult",
    "ShareSettings",
    "forget_section_maps",
]

logger = logging.getLogger("guestlist.plex")

PLEX_TV = "https://plex.tv"
CLIENTS = "https://clients.plex.tv"
SECTION_MAP_TTL = 600.0

_section_maps: dict[tuple[str, str], tuple[float, dict[int, LibraryInfo]]] = {}
_section_maps_lock = threading.Lock()


def forget_section_maps() -> None:
    """Drops the cached plex.tv section lists (tests; after library changes)."""
    with _section_maps_lock:
        _section_maps.clear()


@dataclass(frozen=True)
class _ShareRow:
    """One entry of GET /api/servers/{mid}/shared_servers (pending shares included)."""

    share_id: int
    user_id: int | None
    username: str
    email: str
    global_ids: tuple[int, ...]
    all_libraries: bool
    accepted: bool
    allow_sync: bool
    allow_channels: bool
    allow_camera_upload: bool
    filter_movies: str | None = None  # None: the list did not say
    filter_television: str | None = None
    filter_music: str | None = None

    def is_for(self, invitee: str) -> bool:
        wanted = invitee.strip().lower()
        return bool(wanted) and wanted in (self.username.lower(), self.email.lower())


class PlexGateway:
    """Everything Guestlist does with the server owner's token."""

    def __init__(
        self,
        token: str,
        *,
        client_identifier: str,
        server_url: str | None = None,
        machine_identifier: str | None = None,
        plex_tv_url: str | None = None,
        timeout: float = 5.0,
        sections: list[LibraryInfo] | None = None,
    ) -> None:
        if not token or not token.strip():
            # An empty token would make plexapi fall back to its config or a password
            # sign-in.
            raise PlexTokenRejected("No Plex token is configured for the server owner.", whose="owner")
        remember_secret(token)
        self._token = token
        self._http = PlexHttp(
            client_identifier=client_identifier,
            plex_tv_url=plex_tv_url,
            timeout=timeout,
        )
        self._server_url = server_url.rstrip("/") if server_url else None
        self._machine_identifier = machine_identifier
        self._cache_scope = plex_tv_url or PLEX_TV
        self._pms: Any = None
        # The section map as the caller stored it (Guestlist keeps each library's plex.tv id):
        # with it, sharing needs no GET /api/servers/{mid} first. An unknown key still asks.
        self._known_sections = {library.key: library for library in sections or ()}

    # Account and server

    def owner_account(self) -> PlexAccount:
        account = via_plexapi(
            lambda: _plexapi.MyPlexAccount(
                token=self._token,
                session=self._http.session,
                timeout=self._http.timeout,
            ),
            whose="owner",
            what="the server owner's account",
        )
        return account_from_plexapi(account)

    def resources(self) -> list[PlexResource]:
        """The devices of the token's account, servers it owns or was shared included.

        One request (GET /api/v2/resources as JSON). Used by the setup wizard to offer the
        owner's servers after they signed in with Plex.
        """
        payload = self._http.json(
            "GET",
            f"{PLEX_TV}/api/v2/resources",
            token=self._token,
            whose="owner",
            what="the account's servers",
            params={"includeHttps": "1", "includeRelay": "1", "includeIPv6": "1"},
        )
        if not isinstance(payload, list):
            raise unreadable("the account's servers")
        found = []
        for entry in payload:
            if not isinstance(entry, dict) or not entry.get("clientIdentifier"):
                continue
            token = str(entry.get("accessToken") or "")
            remember_secret(token or None)
            connections = tuple(
                PlexConnection(
                    uri=str(c["uri"]).rstrip("/"), local=as_bool(c.get("local")), relay=as_bool(c.get("relay"))
                )
                for c in entry.get("connections") or []
                if isinstance(c, dict) and c.get("uri")
            )
            found.append(
                PlexResource(
                    name=str(entry.get("name") or ""),
                    client_identifier=str(entry["clientIdentifier"]),
                    product_version=str(entry.get("productVersion") or ""),
                    owned=as_bool(entry.get("owned")),
                    provides=tuple(p.strip() for p in str(entry.get("provides") or "").split(",") if p.strip()),
                    connections=connections,
                    access_token=token,
                )
            )
        return found

    def server_clock(self) -> datetime | None:
        """The server's clock, read from the Date header of its identity answer (None
        without one); ``guestlist doctor`` compares it with ours."""
        target = self._server_url or PLEX_TV
        path = "/identity" if self._server_url else "/api/v2/ping"
        response = self._http.send("GET", f"{target}{path}", token=self._token, whose="owner", what="the clock")
        stamp = response.headers.get("Date")
        if not stamp:
            return None
        try:
            return email.utils.parsedate_to_datetime(stamp)
        except (TypeError, ValueError):
            return None

    def server_info(self) -> ServerInfo:
        server = self._server()
        return ServerInfo(
            machine_identifier=str(server.machineIdentifier or ""),
            name=str(server.friendlyName or ""),
            version=str(server.version or ""),
        )

    def libraries(self) -> list[LibraryInfo]:
        """The server's libraries with both ids; also refreshes the cached section map.

        Libraries plex.tv does not know about yet are left out: they cannot be shared.
        """
        by_key = self._section_map(refresh=True)
        if self._server_url is None:
            return sorted(by_key.values(), key=lambda library: library.key)
        server = self._server()
        sections = via_plexapi(
            lambda: list(server.library.sections()),
            whose="owner",
            what="the server's libraries",
            where="the Plex Media Server",
        )
        found = []
        for section in sections:
            key = as_int(section.key)
            known = by_key.get(key) if key is not None else None
            if known is None:
                logger.info(
                    "Library %r is not on plex.tv yet; it cannot be shared",
                    section.title,
                )
                continue
            found.append(
                LibraryInfo(
                    key=known.key,
                    global_id=known.global_id,
                    title=str(section.title),
                    type=str(section.type),
                )
            )
        return found

    def play_history(self, *, since: datetime | None = None, limit: int = 10_000) -> list[Play]:
        """The PMS's play history, newest first (plexapi's ``PlexServer.history``), every account.

        ``since`` asks only for plays after that moment (``viewedAt>``); ``limit`` bounds the
        pages read. Entries without an account or a time are left out.
        """
        server = self._server()
        items = via_plexapi(
            lambda: list(server.history(maxresults=limit, mindate=since)),
            whose="owner",
            what="the server's play history",
            where="the Plex Media Server",
        )
        plays = []
        for item in items:
            account_id = as_int(getattr(item, "accountID", None))
            viewed = getattr(item, "viewedAt", None)
            if account_id is None or not isinstance(viewed, datetime):
                continue
            # plexapi turns the epoch into a naive local time (or an aware one when
            # PLEXAPI_PLEXAPI_TIMEZONE is set); astimezone reads both right.
            title = str(getattr(item, "title", "") or "")
            show = str(getattr(item, "grandparentTitle", "") or "")
            plays.append(
                Play(
                    account_id=account_id,
                    viewed_at=viewed.astimezone(UTC),
                    title=f"{show} – {title}"[:300] if show and title else (title or show)[:300],
                )
            )
        return plays

    # Friends

    def users(self, *, libraries: bool = True) -> list[PlexUser]:
        """Friends and Home members, each with their share of this server (if any).

        Like plex.tv, this leaves out people who have not accepted their invite yet.
        With ``libraries=False`` it is the one request GET /api/users/: each share's
        libraries stay unknown (``library_keys`` None) and its settings are the ones the
        user list carries; the scheduled sync needs no more.
        """
        machine = self._machine()
        root = self._http.xml(
            "GET",
            f"{PLEX_TV}/api/users/",
            token=self._token,
            whose="owner",
            what="the list of users",
        )
        rows: dict[int, _ShareRow] = {}
        key_of: dict[int, int] = {}
        if libraries:
            rows = {row.user_id: row for row in self._shares() if row.user_id is not None}
            key_of = {library.global_id: library.key for library in self._section_map().values()}
        people = []
        for node in [] if root is None else root.iter("User"):
            user_id = as_int(node.get("id"))
            if user_id is None:
                continue
            ours = next(
                (s for s in node.iter("Server") if s.get("machineIdentifier") == machine),
                None,
            )
            row = rows.get(user_id)
            share_id = as_int(ours.get("id")) if ours is not None else None
            library_keys: tuple[int, ...] | None = None
            if share_id is not None and libraries:
                if row is None or row.all_libraries:
                    library_keys = ()
                else:
                    library_keys = tuple(sorted(key_of[g] for g in row.global_ids if g in key_of))
            seen = as_int(ours.get("lastSeenAt")) if ours is not None else None
            people.append(
                PlexUser(
                    id=user_id,
                    username=node.get("username", ""),
                    email=node.get("email", ""),
                    title=node.get("title", ""),
                    thumb=node.get("thumb", ""),
                    home=as_bool(node.get("home")),
                    managed=as_bool(node.get("restricted")),
                    share_id=share_id,
                    library_keys=library_keys,
                    allow_sync=row.allow_sync if row else as_bool(node.get("allowSync")),
                    allow_channels=row.allow_channels if row else as_bool(node.get("allowChannels")),
                    allow_camera_upload=(row.allow_camera_upload if row else as_bool(node.get("allowCameraUpload"))),
                    last_seen_at=datetime.fromtimestamp(seen, UTC) if seen else None,
                    # plex.tv keeps a friend's filters on the friend (the user list says them);
                    # a shares list that says them too is believed first.
                    filter_movies=_pick(row.filter_movies if row else None, node.get("filterMovies")),
                    filter_television=_pick(row.filter_television if row else None, node.get("filterTelevision")),
                    filter_music=_pick(row.filter_music if row else None, node.get("filterMusic")),
                )
            )
        return people

    def share(self, invitee: str, settings: ShareSettings, *, adopt: bool = True) -> ShareResult:
        """Invites `invitee` (e-mail or Plex username) as a friend with these libraries.

        When Plex says the server is already shared with them and `adopt` is set, their
        share is updated to these settings instead, as Plex Web does, and `already_shared`
        is True. Without `adopt`, Plex's "already sharing" answer is raised as
        `PlexAlreadyShared` unless the share it means is a pending invite, which is adopted
        (2 more requests, only then).
        """
        return self._create_share(
            {"invited_email": invitee}, settings, lambda row: row.is_for(invitee), adopt_accepted=adopt
        )

    def update_share(self, user_id: int | None, settings: ShareSettings, *, share_id: int | None = None) -> None:
        """Sets the libraries, the three flags and the content limits of someone's share.

        Everything in ``settings`` is sent: what it leaves at its default is taken away. With
        the ``share_id`` Plex gave when sharing this is one request; if Plex no longer knows
        that id (shared again by hand since), the share is looked up by ``user_id``.
        """
        global_ids = self._global_ids(settings)
        if share_id is not None:
            try:
                self._update_v2(share_id, global_ids, settings)
                return
            except PlexNotFound:
                if user_id is None:
                    raise
        row = self._find_share(lambda row: user_id is not None and row.user_id == user_id)
        if row is None:
            raise PlexNotFound("This person has no share of the server on Plex.")
        self._update_v2(row.share_id, global_ids, settings)

    def library_content(self, keys: list[int]) -> list[LibraryContent]:
        """The labels and content ratings each of these libraries uses, read from the PMS.

        What content limits can name: Plex's own lists behind its filter menus
        (``/library/sections/{key}/label`` and ``…/contentRating``).
        """
        by_key = self._section_map()
        found = []
        for key in keys:
            values: dict[str, tuple[str, ...]] = {}
            for part in ("label", "contentRating"):
                root = self._http.xml(
                    "GET",
                    f"{self._pms_url()}/library/sections/{key}/{part}",
                    token=self._token,
                    whose="owner",
                    what="the library's labels and ratings",
                )
                titles = [] if root is None else [node.get("title", "") for node in root.iter("Directory")]
                values[part] = tuple(dict.fromkeys(t.strip() for t in titles if t and t.strip()))
            known = by_key.get(key)
            found.append(
                LibraryContent(
                    key=key,
                    type=known.type if known else "",
                    labels=values["label"],
                    ratings=values["contentRating"],
                )
            )
        return found

    def _pms_url(self) -> str:
        if self._server_url is None:
            raise PlexUnexpected("No Plex Media Server URL is configured.")
        return self._server_url

    def remove_share(
        self, user_id: int | None = None, *, email: str | None = None, share_id: int | None = None
    ) -> None:
        """Removes the person's share of this server, pending or accepted.

        Their other servers' shares and their friendship with the owner stay. A pending
        invite to an address without a Plex account is found by `email`. With the
        `share_id` Plex gave when sharing, this is one request; if Plex no longer knows that
        id (shared again by hand since), the share is looked up as without it.
        """
        if share_id is not None:
            try:
                self._delete_share(share_id)
                return
            except PlexNotFound:
                pass
        row = self._find_share(
            lambda row: (user_id is not None and row.user_id == user_id) or (email is not None and row.is_for(email))
        )
        if row is None:
            raise PlexNotFound("This person has no share of the server on Plex.")
        self._delete_share(row.share_id)

    def _delete_share(self, share_id: int) -> None:
        self._http.send(
            "DELETE",
            f"{PLEX_TV}/api/servers/{self._machine()}/shared_servers/{share_id}",
            token=self._token,
            whose="owner",
            what="removing the share",
        )

    # Plex Home

    def add_home_user(self, invitee: str, settings: ShareSettings) -> ShareResult:
        """Brings an existing Plex account into the owner's Plex Home and shares the
        libraries.

        Plex demands Plex Pass for this (`PlexPassRequired`) and caps a Home at 15
        members (`PlexUnexpected` with Plex's words).
        """
        self._global_ids(settings)  # fail on an unknown library before changing anything
        try:
            user_id = self._create_home_user({"invitedEmail": invitee}, "adding the person to Plex Home")
        except PlexUnexpected:
            # A retry after an answer that never arrived: they joined our Home already,
            # and only the share may be missing. Someone in another Home is still refused.
            member_id = self._home_member_id(invitee)
            if member_id is None:
                raise
            user_id = member_id
        return self._create_share(
            {"invited_id": user_id},
            settings,
            lambda row: row.user_id == user_id,
            user_id,
        )

    def create_managed_user(self, title: str, settings: ShareSettings) -> ShareResult:
        self._global_ids(settings)
        user_id = self._create_home_user({"title": title}, "creating the managed user")
        return self._create_share(
            {"invited_id": user_id},
            settings,
            lambda row: row.user_id == user_id,
            user_id,
        )

    def remove_home_user(self, user_id: int) -> None:
        self._http.send(
            "DELETE",
            f"{PLEX_TV}/api/home/users/{user_id}",
            token=self._token,
            whose="owner",
            what="this Plex Home member",
        )

    def _home_member_id(self, invitee: str) -> int | None:
        root = self._http.xml(
            "GET",
            f"{PLEX_TV}/api/home/users",
            token=self._token,
            whose="owner",
            what="the Plex Home's members",
        )
        wanted = invitee.strip().lower()
        for node in [] if root is None else root.iter("User"):
            names = (node.get("email", "").lower(), node.get("username", "").lower())
            if wanted and wanted in names:
                return as_int(node.get("id"))
        return None

    # Internals

    def _server(self) -> Any:
        if self._server_url is None:
            raise PlexUnexpected("No Plex Media Server URL is configured.")
        if self._pms is None:
            url = self._server_url
            self._pms = via_plexapi(
                lambda: _plexapi.PlexServer(
                    url,
                    self._token,
                    session=self._http.session,
                    timeout=self._http.timeout,
                ),
                whose="owner",
                what="the Plex Media Server",
                where="the Plex Media Server",
            )
            if not self._machine_identifier:
                self._machine_identifier = str(self._pms.machineIdentifier or "") or None
        return self._pms

    def _machine(self) -> str:
        if not self._machine_identifier:
            self._server()
        if not self._machine_identifier:
            raise PlexUnexpected("The Plex Media Server did not say which server it is.")
        return self._machine_identifier

    def _section_map(self, *, refresh: bool = False) -> dict[int, LibraryInfo]:
        if self._known_sections and not refresh:
            return self._known_sections
        machine = self._machine()
        scope = (self._cache_scope, machine)
        now = time.monotonic()
        with _section_maps_lock:
            cached = _section_maps.get(scope)
        if cached is not None and not refresh and now - cached[0] < SECTION_MAP_TTL:
            return cached[1]
        root = self._http.xml(
            "GET",
            f"{PLEX_TV}/api/servers/{machine}",
            token=self._token,
            whose="owner",
            what="this server on plex.tv",
        )
        server = root[0] if root is not None and len(root) else None
        if server is None:
            raise unreadable("the server's libraries")
        by_key: dict[int, LibraryInfo] = {}
        for node in server.iter("Section"):
            key, global_id = as_int(node.get("key")), as_int(node.get("id"))
            if key is not None and global_id is not None:
                by_key[key] = LibraryInfo(key, global_id, node.get("title", ""), node.get("type", ""))
        with _section_maps_lock:
            _section_maps[scope] = (now, by_key)
        self._known_sections = {}
        return by_key

    def _global_ids(self, settings: ShareSettings) -> list[int]:
        by_key = self._section_map()
        if not settings.library_keys:
            return [by_key[key].global_id for key in sorted(by_key)]
        if any(key not in by_key for key in settings.library_keys):
            # A library added since the map was cached: look once more before giving up.
            by_key = self._section_map(refresh=True)
        missing = [key for key in settings.library_keys if key not in by_key]
        if missing:
            raise PlexNotFound(f"The server has no library with key {missing[0]}.")
        return [by_key[key].global_id for key in settings.library_keys]

    def _shares(self) -> list[_ShareRow]:
        root = self._http.xml(
            "GET",
            f"{PLEX_TV}/api/servers/{self._machine()}/shared_servers",
            token=self._token,
            whose="owner",
            what="the server's shares",
        )
        rows = []
        for node in [] if root is None else root.iter("SharedServer"):
            share_id = as_int(node.get("id"))
            if share_id is None:
                continue
            rows.append(
                _ShareRow(
                    share_id=share_id,
                    user_id=as_int(node.get("userID")),
                    username=node.get("username", ""),
                    email=node.get("email", ""),
                    global_ids=tuple(
                        gid
                        for section in node.iter("Section")
                        if as_bool(section.get("shared", "1")) and (gid := as_int(section.get("id"))) is not None
                    ),
                    all_libraries=as_bool(node.get("allLibraries")),
                    accepted=bool(as_int(node.get("acceptedAt"))),
                    allow_sync=as_bool(node.get("allowSync")),
                    allow_channels=as_bool(node.get("allowChannels")),
                    allow_camera_upload=as_bool(node.get("allowCameraUpload")),
                    filter_movies=node.get("filterMovies"),
                    filter_television=node.get("filterTelevision"),
                    filter_music=node.get("filterMusic"),
                )
            )
        return rows

    def _find_share(self, matches: Any) -> _ShareRow | None:
        return next((row for row in self._shares() if matches(row)), None)

    def _create_share(
        self,
        invitee: dict[str, Any],
        settings: ShareSettings,
        matches: Any,
        user_id: int | None = None,
        *,
        adopt_accepted: bool = True,
    ) -> ShareResult:
        machine = self._machine()
        global_ids = self._global_ids(settings)
        flag = {True: "1", False: "0"}
        # Key order and string flags as plexapi's inviteFriend sends them.
        body = {
            "server_id": machine,
            "shared_server": {"library_section_ids": global_ids, **invitee},
            "sharing_settings": {
                "allowSync": flag[settings.allow_sync],
                "allowCameraUpload": flag[settings.allow_camera_upload],
                "allowChannels": flag[settings.allow_channels],
                "filterMovies": settings.filter_movies,
                "filterTelevision": settings.filter_television,
                "filterMusic": settings.filter_music,
            },
        }
        try:
            root = self._http.xml(
                "POST",
                f"{PLEX_TV}/api/servers/{machine}/shared_servers",
                token=self._token,
                whose="owner",
                what="sharing the server",
                json_body=body,
            )
        except PlexAlreadyShared:
            row = self._find_share(matches)
            if row is None or (row.accepted and not adopt_accepted):
                raise
            self._update_v2(row.share_id, global_ids, settings)
            return ShareResult(
                share_id=row.share_id,
                user_id=row.user_id or user_id,
                already_shared=True,
                accepted=row.accepted,
            )
        node = _first(root, "SharedServer")
        return ShareResult(
            share_id=as_int(node.get("id")) if node is not None else None,
            user_id=(as_int(node.get("userID")) if node is not None else None) or user_id,
            already_shared=False,
            accepted=node is not None and bool(as_int(node.get("acceptedAt"))),
        )

    def _update_v2(self, share_id: int, global_ids: list[int], settings: ShareSettings) -> None:
        self._http.json(
            "POST",
            f"{CLIENTS}/api/v2/shared_servers/{share_id}",
            token=self._token,
            whose="owner",
            what="updating the share",
            json_body={
                "settings": {
                    "allowSync": settings.allow_sync,
                    "allowChannels": settings.allow_channels,
                    "allowCameraUpload": settings.allow_camera_upload,
                    "filterMovies": settings.filter_movies,
                    "filterTelevision": settings.filter_television,
                    "filterMusic": settings.filter_music,
                },
                "librarySectionIds": global_ids,
            },
        )

    def _create_home_user(self, query: dict[str, str], what: str) -> int:
        # Percent-encode everything: form encoding sends a space as "+", and plex.tv may
        # read "+" literally on this route (docs/plex.md, "+ in query strings").
        encoded = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query.items())
        root = self._http.xml(
            "POST",
            f"{PLEX_TV}/api/home/users?{encoded}",
            token=self._token,
            whose="owner",
            what=what,
        )
        user_id = as_int(root.get("id")) if root is not None else None
        if user_id is None:
            raise unreadable(what)
        return user_id


def _pick(first: str | None, second: str | None) -> str:
    return first if first is not None else second or ""


def _first(root: ET.Element | None, tag: str) -> ET.Element | None:
    if root is None:
        return None
    return root if root.tag == tag else root.find(f".//{tag}")
