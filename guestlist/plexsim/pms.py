"""A fake Plex Media Server: just the routes `PlexServer()`, `library.sections()` and
`history()` read."""

from __future__ import annotations

import time
from collections.abc import Callable

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from guestlist.plexsim import render
from guestlist.plexsim.core import Call, Fault, route
from guestlist.plexsim.state import Server


class _Denied(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _server(call: Call) -> Server:
    wanted = call.machine_identifier
    server = call.state.server(wanted) if wanted else call.state.pms_server()
    if server is None:
        raise _Denied(render.html_error(503, "Service Unavailable"))
    return server


def _viewer(call: Call, server: Server) -> bool:
    """Checks the token; True for the owner, False for someone the server is shared
    with."""
    state = call.state
    token = call.token
    account = state.account_by_token(token)
    if account is not None and account.id == server.owner_id:
        return True
    for share in state.shares_on(server.machine_identifier):
        if not share.accepted or not token:
            continue
        if share.access_token == token or (account is not None and share.invited_id == account.id):
            invitee = state.account_by_id(share.invited_id)
            if invitee is not None:
                invitee.last_seen_at = time.time()
            return False
    # The real PMS answers a bad token with a bare HTML 401.
    raise _Denied(render.html_error(401, "Unauthorized"))


def _guarded(view: str) -> Callable[[Call], Response]:
    def handler(call: Call) -> Response:
        try:
            server = _server(call)
            if view == "identity":
                return identity(server)
            owner = _viewer(call, server)
            if view == "root":
                return root(call, server, owner=owner)
            if view == "history":
                if not owner:
                    return render.html_error(403, "Forbidden")
                return history(call, server)
            if view == "library":
                if not owner:
                    return render.html_error(403, "Forbidden")
                return render.xml(render.element("MediaContainer", {"size": 0, "title1": "Plex Library"}))
            return sections(server)
        except _Denied as denied:
            return denied.response

    return handler


def root(call: Call, server: Server, *, owner: bool) -> Response:
    account = call.state.account_by_id(server.owner_id)
    attrs = {
        "size": 0,
        "machineIdentifier": server.machine_identifier,
        "friendlyName": server.name,
        "version": server.version,
        "platform": "Linux",
        "platformVersion": "6.1",
        "myPlex": True,
        "myPlexUsername": account.email if account else "",
        "myPlexSubscription": bool(account and account.plex_pass),
        "myPlexMappingState": "mapped",
        "myPlexSigninState": "ok",
        "allowSharing": owner,
        "allowSync": True,
        "allowCameraUpload": owner,
        "allowChannelAccess": True,
        "multiuser": True,
        "updatedAt": render.epoch(server.created_at),
    }
    return render.xml(render.element("MediaContainer", attrs))


def identity(server: Server) -> Response:
    attrs = {
        "size": 0,
        "claimed": True,
        "machineIdentifier": server.machine_identifier,
        "version": server.version,
    }
    return render.xml(render.element("MediaContainer", attrs))


def sections(server: Server) -> Response:
    directories = [
        render.element(
            "Directory",
            {
                "key": lib.key,
                "type": lib.type,
                "title": lib.title,
                "uuid": f"{server.machine_identifier[:8]}-{lib.key:04d}",
                "agent": "tv.plex.agents.none",
                "scanner": "Plex Video Files Scanner",
                "language": "en-US",
                "allowSync": True,
                "refreshing": False,
                "createdAt": render.epoch(server.created_at),
                "updatedAt": render.epoch(server.created_at),
            },
        )
        for lib in server.libraries
    ]
    return render.xml(render.element("MediaContainer", {"size": len(directories)}, *directories))


def section_values(call: Call, key: int, part: str) -> Response:
    """The values behind a library's filter menu: its labels or its content ratings."""
    try:
        server = _server(call)
        if not _viewer(call, server):
            return render.html_error(403, "Forbidden")
    except _Denied as denied:
        return denied.response
    library = next((lib for lib in server.libraries if lib.key == key), None)
    if library is None or part not in ("label", "contentRating"):
        return render.html_error(404, "Not Found")
    values = library.label_values() if part == "label" else library.rating_values()
    directories = [
        render.element(
            "Directory", {"fastKey": f"/library/sections/{key}/all?{part}={value}", "key": value, "title": value}
        )
        for value in values
    ]
    return render.xml(render.element("MediaContainer", {"size": len(directories)}, *directories))


def history(call: Call, server: Server) -> Response:
    """The play history, newest first, paged by X-Plex-Container-Start/-Size like the real
    PMS; ``accountID`` and ``viewedAt>`` filter it."""
    args = call.request.args
    plays = [play for play in call.state.plays if play.machine_identifier == server.machine_identifier]
    if args.get("accountID"):
        plays = [play for play in plays if str(play.account_id) == args["accountID"]]
    if args.get("viewedAt>"):
        since = float(args["viewedAt>"])
        plays = [play for play in plays if play.viewed_at > since]
    plays.sort(key=lambda play: (play.viewed_at, play.id), reverse=True)

    def number(name: str, default: int) -> int:
        value = call.request.headers.get(name) or args.get(name)
        try:
            return max(0, int(value)) if value is not None else default
        except ValueError:
            return default

    start = number("X-Plex-Container-Start", 0)
    size = number("X-Plex-Container-Size", 100)
    page = plays[start : start + size]
    items = [
        render.element(
            "Track" if play.type == "track" else "Video",
            {
                "historyKey": f"/status/sessions/history/{play.id}",
                "key": f"/library/metadata/{1000 + play.id}",
                "ratingKey": 1000 + play.id,
                "librarySectionID": play.library_key,
                "title": play.title,
                "grandparentTitle": play.grandparent_title or None,
                "type": play.type,
                "viewedAt": int(play.viewed_at),
                "accountID": play.account_id,
                "deviceID": 1,
            },
        )
        for play in page
    ]
    attrs = {"size": len(items), "totalSize": len(plays), "offset": start}
    return render.xml(render.element("MediaContainer", attrs, *items))


def not_found(call: Call) -> Response:
    return render.html_error(404, "Not Found")


def fault_response(call: Call, fault: Fault) -> Response:
    status = fault.status or 500
    if fault.body is not None:
        response = Response(
            fault.body,
            status=status,
            content_type=fault.content_type or render.XML_TYPE,
        )
    else:
        response = render.html_error(status, "Unauthorized" if status == 401 else "Error")
    response.headers.update(fault.headers)
    return response


def rules() -> list[Rule]:
    return [
        route("/", _guarded("root"), "GET"),
        route("/identity", _guarded("identity"), "GET"),
        route("/library", _guarded("library"), "GET"),
        route("/library/sections/", _guarded("sections"), "GET"),
        route("/library/sections/<int:key>/<part>", section_values, "GET"),
        route("/status/sessions/history/all", _guarded("history"), "GET"),
    ]
