"""Responses in the exact shapes plex.tv and the PMS use (docs/plex.md describes them and the
errors Plex answers with)."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Response

from guestlist.plexsim.actions import shared_libraries as shared_ids
from guestlist.plexsim.state import Account, Pin, Server, Share, SimState

XML_TYPE = "application/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
NOT_FOUND_TEXT = "The requested resource or endpoint could not be found"

Attrs = dict[str, Any]


def _attr(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        # plexapi casts booleans strictly: only 1/0/true/false parse.
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value))
    return str(value)


def element(tag: str, attrs: Attrs | None = None, *children: ET.Element) -> ET.Element:
    node = ET.Element(tag)
    for name, value in (attrs or {}).items():
        text = _attr(value)
        if text is not None:
            node.set(name, text)
    node.extend(children)
    return node


def xml(root: ET.Element, status: int = 200) -> Response:
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
    return Response(body, status=status, content_type=XML_TYPE)


def as_json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, content_type=JSON_TYPE)


def empty(status: int = 200) -> Response:
    # plexapi parses an empty body as None, which is what a 200/204 with nothing to say
    # needs.
    return Response(b"", status=status, content_type=XML_TYPE)


def v1_refusal(status: int, text: str) -> Response:
    return xml(element("Response", {"code": status, "status": text}), status)


def plex_error(status: int, code: int | None, message: str, *, json_body: bool) -> Response:
    if json_body:
        return as_json(
            {"errors": [{"code": code or status, "message": message, "status": status}]},
            status,
        )
    return xml(
        element(
            "errors",
            {},
            element("error", {"code": code or status, "message": message, "status": status}),
        ),
        status,
    )


def unauthenticated(*, json_body: bool) -> Response:
    return plex_error(401, 1001, "User could not be authenticated", json_body=json_body)


def invalid_token() -> Response:
    root = element("errors", {}, element("error"))
    root[0].text = "Invalid token"
    return xml(root, 422)


def rate_limited(*, json_body: bool) -> Response:
    response = plex_error(429, 1003, "API rate limit exceeded", json_body=json_body)
    response.headers["Retry-After"] = "1"
    return response


def rails_404() -> Response:
    page = (
        "<!DOCTYPE html><html><head>"
        "<title>The page you were looking for doesn't exist (404)</title></head>"
        "<body><h1>The page you were looking for doesn't exist.</h1></body></html>"
    )
    return Response(page, status=404, content_type="text/html; charset=utf-8")


def html_error(status: int, title: str) -> Response:
    page = f"<html><head><title>{title}</title></head><body><h1>{status} {title}</h1></body></html>"
    return Response(page, status=status, content_type="text/html; charset=utf-8")


def gone() -> Response:
    return v1_refusal(410, "This endpoint was deprecated and removed")


def epoch(value: float | None) -> int | None:
    return None if value is None else int(value)


def iso(value: float) -> str:
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def absolute(url: str, base_url: str) -> str:
    """Avatars are stored as simulator paths so a state file survives a new port."""
    return base_url + url if url.startswith("/") else url


# Accounts


def user_fields(state: SimState, account: Account, token: str, base_url: str) -> Attrs:
    home_id = account.home_owner_id
    in_home = home_id is not None
    return {
        "id": account.id,
        "uuid": account.uuid,
        "username": account.username,
        "title": account.title,
        "friendlyName": account.title,
        "email": account.email,
        "thumb": absolute(account.thumb, base_url),
        "authToken": token,
        "scrobbleTypes": "",
        "locale": "",
        "country": "US",
        "home": in_home,
        "homeAdmin": in_home and home_id == account.id,
        "homeSize": len(state.home_members(home_id)) + 1 if home_id is not None else 1,
        "maxHomeSize": state.settings.max_home_size,
        "guest": False,
        "restricted": account.managed,
        "protected": False,
        "confirmed": account.email_verified,
        "hasPassword": not account.managed,
        "twoFactorEnabled": False,
        "emailOnlyAuth": False,
        "joinedAt": epoch(account.joined_at),
    }


def subscription_fields(account: Account, *, as_json: bool) -> Attrs:
    """plex.tv's ``subscription`` of an account: its Plex Pass. ``subscribedAt`` is written
    "YYYY-MM-DD HH:MM:SS UTC" in XML (plexapi parses that) and ISO 8601 in JSON, as plex.tv does."""
    if not account.plex_pass:
        return {"active": False, "status": "Inactive", "plan": None, "paymentService": None, "subscribedAt": None}
    since = datetime.fromtimestamp(account.joined_at, UTC)
    return {
        "active": True,
        "status": "Active",
        "plan": "lifetime",
        "paymentService": "braintree",
        "subscribedAt": since.strftime("%Y-%m-%dT%H:%M:%SZ" if as_json else "%Y-%m-%d %H:%M:%S UTC"),
    }


def user_xml(state: SimState, account: Account, token: str, base_url: str) -> Response:
    subscription = element(
        "subscription",
        subscription_fields(account, as_json=False),
        element(
            "features",
            {},
            *([element("feature", {"id": "home"})] if account.plex_pass else []),
        ),
    )
    roles = element(
        "roles",
        {},
        *([element("role", {"id": "plexpass"})] if account.plex_pass else []),
    )
    root = element(
        "user",
        user_fields(state, account, token, base_url),
        subscription,
        element("profile"),
        roles,
    )
    return xml(root)


def user_json(state: SimState, account: Account, token: str, base_url: str) -> Response:
    payload = user_fields(state, account, token, base_url)
    payload["subscription"] = {
        **subscription_fields(account, as_json=True),
        "features": ["home"] if account.plex_pass else [],
    }
    payload["roles"] = ["plexpass"] if account.plex_pass else []
    return as_json(payload)


def account_brief(account: Account | None, base_url: str) -> Attrs:
    if account is None:
        return {}
    return {
        "id": account.id,
        "uuid": account.uuid,
        "username": account.username,
        "email": account.email,
        "title": account.title,
        "friendlyName": account.title,
        "thumb": absolute(account.thumb, base_url),
    }


# Servers and shares


def section(server: Server, global_id: int, shared: bool | None = None) -> ET.Element:
    library = server.library_by_global_id(global_id)
    attrs: Attrs = {"id": global_id}
    if library is not None:
        attrs |= {"key": library.key, "type": library.type, "title": library.title}
    if shared is not None:
        attrs["shared"] = shared
    return element("Section", attrs)


def server_xml(server: Server) -> Response:
    node = element(
        "Server",
        {
            "name": server.name,
            "machineIdentifier": server.machine_identifier,
            "version": server.version,
            "owned": True,
            "createdAt": epoch(server.created_at),
        },
        *(section(server, lib.global_id) for lib in server.libraries),
    )
    return xml(element("MediaContainer", {"size": 1}, node))


def server_json(server: Server) -> Response:
    return as_json(
        {
            "name": server.name,
            "machineIdentifier": server.machine_identifier,
            "version": server.version,
            "owned": True,
            "librarySections": [
                {
                    "id": lib.global_id,
                    "key": lib.key,
                    "title": lib.title,
                    "type": lib.type,
                }
                for lib in server.libraries
            ],
        }
    )


def share_attrs(state: SimState, share: Share, server: Server) -> Attrs:
    invitee = state.invitee_of(share)
    return {
        "id": share.id,
        "username": invitee.username if invitee else "",
        "email": invitee.email if invitee else share.invited_email or "",
        "userID": invitee.id if invitee else "",
        "accessToken": share.access_token,
        "name": server.name,
        "machineIdentifier": server.machine_identifier,
        "serverId": server.id,
        "lastSeenAt": epoch(invitee.last_seen_at) if invitee and share.accepted else None,
        "acceptedAt": epoch(share.accepted_at) or 0,
        "invitedAt": epoch(share.invited_at),
        "allowSync": share.allow_sync,
        "allowCameraUpload": share.allow_camera_upload,
        "allowChannels": share.allow_channels,
        "allowTuners": 0,
        "allowSubtitleAdmin": False,
        "filterMovies": share.filter_movies,
        "filterTelevision": share.filter_television,
        "filterMusic": share.filter_music,
        "owned": False,
        "pending": not share.accepted,
        "allLibraries": share.all_libraries,
        "numLibraries": len(shared_ids(share, server)),
    }


def shared_server_element(state: SimState, share: Share, server: Server, *, all_sections: bool) -> ET.Element:
    ids = shared_ids(share, server)
    if all_sections:
        sections = [section(server, lib.global_id, lib.global_id in ids) for lib in server.libraries]
    else:
        sections = [section(server, gid, True) for gid in ids]
    return element("SharedServer", share_attrs(state, share, server), *sections)


def shared_servers_xml(state: SimState, shares: list[Share], server: Server, *, all_sections: bool) -> Response:
    root = element(
        "MediaContainer",
        {
            "friendlyName": "myPlex",
            "identifier": "com.plexapp.plugins.myplex",
            "machineIdentifier": server.machine_identifier,
            "size": len(shares),
        },
        *(shared_server_element(state, s, server, all_sections=all_sections) for s in shares),
    )
    return xml(root)


def share_json(state: SimState, share: Share, server: Server, base_url: str) -> dict[str, Any]:
    invitee = state.invitee_of(share)
    invited: dict[str, Any] = {}
    if invitee is not None:
        invited = {
            **account_brief(invitee, base_url),
            "home": invitee.home_owner_id is not None,
            "restricted": invitee.managed,
            "status": "accepted" if share.accepted else "pending",
        }
    ids = shared_ids(share, server)
    return {
        "id": share.id,
        "name": server.name,
        "ownerId": share.owner_id,
        "invitedId": invitee.id if invitee else None,
        "invitedEmail": invitee.email if invitee else share.invited_email,
        "serverId": server.id,
        "machineIdentifier": server.machine_identifier,
        "accepted": share.accepted,
        "acceptedAt": epoch(share.accepted_at),
        "invitedAt": epoch(share.invited_at),
        "lastSeenAt": epoch(invitee.last_seen_at) if invitee and share.accepted else None,
        "numLibraries": len(ids),
        "allLibraries": share.all_libraries,
        "invited": invited,
        "sharingSettings": {
            "allowSync": share.allow_sync,
            "allowChannels": share.allow_channels,
            "allowCameraUpload": share.allow_camera_upload,
            "allowSubtitleAdmin": False,
            "allowTuners": 0,
            "filterMovies": share.filter_movies,
            "filterTelevision": share.filter_television,
            "filterMusic": share.filter_music,
        },
        "libraries": [
            {"id": lib.global_id, "key": lib.key, "title": lib.title, "type": lib.type}
            for gid in ids
            if (lib := server.library_by_global_id(gid)) is not None
        ],
    }


def users_xml(state: SimState, owner: Account, base_url: str) -> Response:
    # Indexed once, so a list of 10,000 friends is one pass, not one scan per person.
    by_id = {account.id: account for account in state.accounts}
    people: list[Account] = list(state.home_members(owner.id))
    listed = {person.id for person in people}
    for friendship in state.friendships:
        friend = by_id.get(friendship.friend_id) if friendship.owner_id == owner.id else None
        if friend is not None and friend.id not in listed:
            people.append(friend)
            listed.add(friend.id)
    servers = {s.machine_identifier: s for s in state.servers_of(owner.id)}
    ours = [s for s in state.shares if s.owner_id == owner.id and s.accepted and s.machine_identifier in servers]
    order = {id(share): index for index, share in enumerate(ours)}
    by_invited: dict[int, list[Share]] = {}
    by_email: dict[str, list[Share]] = {}
    for share in ours:
        if share.invited_id is not None:
            by_invited.setdefault(share.invited_id, []).append(share)
        elif share.invited_email:
            by_email.setdefault(share.invited_email.lower(), []).append(share)
    nodes = []
    for person in people:
        mine = by_invited.get(person.id, []) + (by_email.get(person.email.lower(), []) if person.email else [])
        # In the order the shares were made, as a scan of all shares would list them.
        shares = sorted(mine, key=lambda share: order[id(share)])
        first = shares[0] if shares else None
        children = [
            element(
                "Server",
                {
                    "id": share.id,
                    "serverId": servers[share.machine_identifier].id,
                    "machineIdentifier": share.machine_identifier,
                    "name": servers[share.machine_identifier].name,
                    "lastSeenAt": epoch(person.last_seen_at),
                    "numLibraries": len(shared_ids(share, servers[share.machine_identifier])),
                    "allLibraries": share.all_libraries,
                    "owned": True,
                    "pending": False,
                },
            )
            for share in shares
        ]
        attrs: Attrs = {
            "id": person.id,
            "title": person.title,
            "username": person.username,
            "email": person.email,
            "thumb": absolute(person.thumb, base_url),
            "recommendationsPlaylistId": "",
            "protected": False,
            "home": person.home_owner_id == owner.id,
            "restricted": person.managed,
            "allowTuners": 0,
            "allowSync": first.allow_sync if first else False,
            "allowCameraUpload": first.allow_camera_upload if first else False,
            "allowChannels": first.allow_channels if first else False,
            "allowSubtitleAdmin": False,
            "filterAll": "",
            "filterMovies": first.filter_movies if first else "",
            "filterMusic": first.filter_music if first else "",
            "filterPhotos": "",
            "filterTelevision": first.filter_television if first else "",
        }
        nodes.append(element("User", attrs, *children))
    first_server = next(iter(servers), "")
    root = element(
        "MediaContainer",
        {
            "friendlyName": "myPlex",
            "identifier": "com.plexapp.plugins.myplex",
            "machineIdentifier": first_server,
            "totalSize": len(nodes),
            "size": len(nodes),
        },
        *nodes,
    )
    return xml(root)


def home_user_xml(account: Account, base_url: str) -> Response:
    return xml(
        element(
            "User",
            {
                "id": account.id,
                "uuid": account.uuid,
                "title": account.title,
                "username": account.username,
                "email": account.email,
                "thumb": absolute(account.thumb, base_url),
                "restricted": account.managed,
                "home": True,
                "protected": False,
                "admin": False,
                "guest": False,
            },
        ),
        201,
    )


# PINs


def pin_fields(pin: Pin) -> Attrs:
    return {
        "id": pin.id,
        "code": pin.code,
        "product": pin.product,
        "trusted": False,
        "qr": f"https://plex.tv/api/v2/pins/qr/{pin.code}",
        "clientIdentifier": pin.client_identifier,
        "expiresIn": max(0, int(pin.expires_at - time.time())),
        "createdAt": iso(pin.created_at),
        "expiresAt": iso(pin.expires_at),
        "authToken": pin.auth_token or "",
    }


def pin_response(pin: Pin, *, json_body: bool, status: int = 200) -> Response:
    fields = pin_fields(pin)
    if json_body:
        payload = dict(fields)
        payload["authToken"] = pin.auth_token
        return as_json(payload, status)
    return xml(element("pin", fields), status)
