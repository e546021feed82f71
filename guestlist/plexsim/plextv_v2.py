"""The plex.tv v2 routes: the account, PINs, resources and the JSON share/invite API
Plex Web uses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from guestlist.plexsim import actions, render
from guestlist.plexsim.actions import Refusal
from guestlist.plexsim.core import Call, require_account, route
from guestlist.plexsim.state import Account, Server, Share

_NOT_FOUND = render.NOT_FOUND_TEXT


def user(call: Call) -> Response:
    account = require_account(call)
    token = call.token or ""
    if call.wants_json:
        return render.user_json(call.state, account, token, call.base_url)
    return render.user_xml(call.state, account, token, call.base_url)


def signout(call: Call) -> Response:
    account = require_account(call)
    account.tokens = [t for t in account.tokens if t != call.token]
    return render.empty(204)


def create_pin(call: Call) -> Response:
    client_identifier = call.client_identifier
    if not client_identifier:
        raise Refusal(400, "X-Plex-Client-Identifier is missing", 1000)
    # requests turns Python's True into "True"; Plex's own guide sends "true".
    strong = call.request.args.get("strong", "").lower() in ("true", "1")
    product = call.request.headers.get("X-Plex-Product") or call.request.args.get("X-Plex-Product") or ""
    pin = actions.create_pin(call.state, client_identifier, product, strong=strong)
    return render.pin_response(pin, json_body=call.wants_json, status=201)


def check_pin(call: Call, pin_id: int) -> Response:
    pin = actions.live_pin(call.state, pin_id)
    asked_by = call.client_identifier
    if pin is None or (asked_by and pin.client_identifier and asked_by != pin.client_identifier):
        raise Refusal(404, "Code not found or expired", 1020)
    return render.pin_response(pin, json_body=call.wants_json)


def server_v2(call: Call, mid: str) -> Response:
    owner = require_account(call)
    server = call.state.server(mid)
    if server is None or server.owner_id != owner.id:
        raise Refusal(404, _NOT_FOUND, 1002)
    return render.server_json(server)


def resources(call: Call) -> Response:
    account = require_account(call)
    state = call.state
    entries: list[tuple[Server, bool, str]] = [(s, True, account.token) for s in state.servers_of(account.id)]
    for share in state.shares:
        shared = state.server(share.machine_identifier)
        if shared and share.accepted and state.share_is_for(share, account):
            entries.append((shared, False, share.access_token))
    pms = urlsplit(call.sim.pms_url) if call.sim.pms_url else None
    nodes = []
    payload = []
    for server, owned, token in entries:
        connection: dict[str, Any] = {}
        if pms is not None and server is state.pms_server():
            connection = {
                "protocol": pms.scheme,
                "address": pms.hostname,
                "port": pms.port,
                "uri": call.sim.pms_url,
                "local": True,
                "relay": False,
                "IPv6": False,
            }
        attrs = {
            "name": server.name,
            "product": "Plex Media Server",
            "productVersion": server.version,
            "platform": "Linux",
            "clientIdentifier": server.machine_identifier,
            "provides": "server",
            "owned": owned,
            "accessToken": token,
            "home": False,
            "synced": False,
            "relay": False,
            "presence": True,
            "httpsRequired": False,
            "publicAddressMatches": True,
            "createdAt": render.iso(server.created_at),
        }
        connections = [render.element("connection", connection)] if connection else []
        nodes.append(render.element("resource", attrs, render.element("connections", {}, *connections)))
        payload.append(attrs | {"connections": [connection] if connection else []})
    if call.wants_json:
        return render.as_json(payload)
    return render.xml(render.element("MediaContainer", {"size": len(nodes)}, *nodes))


def update_sharings(call: Call, user_id: int) -> Response:
    owner = require_account(call)
    actions.update_sharing_settings(call.state, owner, user_id, dict(call.request.args.items()))
    return render.empty()


def remove_sharings(call: Call, user_id: int) -> Response:
    owner = require_account(call)
    actions.remove_friend(call.state, owner, user_id)
    return render.empty()


def _shares_json(call: Call, shares: Iterable[Share]) -> list[dict[str, Any]]:
    state = call.state
    listed = []
    for share in shares:
        server = state.server(share.machine_identifier)
        if server is not None:
            listed.append(render.share_json(state, share, server, call.base_url))
    return listed


def received_pending(call: Call) -> Response:
    account = require_account(call)
    state = call.state
    by_owner: dict[int, list[Share]] = {}
    for share in actions.pending_for(state, account, count_poll=True):
        by_owner.setdefault(share.owner_id, []).append(share)
    invites = [
        {
            "id": shares[0].id,
            "createdAt": render.epoch(shares[0].invited_at),
            "owner": render.account_brief(state.account_by_id(owner_id), call.base_url),
            "sharedServers": _shares_json(call, shares),
            "sharedSources": [],
        }
        for owner_id, shares in by_owner.items()
    ]
    return render.as_json(invites)


def _owned(call: Call, owner: Account, *, accepted: bool) -> list[Share]:
    machines = {s.machine_identifier for s in call.state.servers_of(owner.id)}
    return [s for s in call.state.shares if s.machine_identifier in machines and s.accepted is accepted]


def owned_accepted(call: Call) -> Response:
    owner = require_account(call)
    return render.as_json(_shares_json(call, _owned(call, owner, accepted=True)))


def owned_pending(call: Call) -> Response:
    owner = require_account(call)
    return render.as_json(_shares_json(call, _owned(call, owner, accepted=False)))


def accept(call: Call, share_id: int) -> Response:
    account = require_account(call)
    share = actions.accept_share(call.state, account, share_id)
    return render.as_json(_shares_json(call, [share])[0])


def update_shared_server(call: Call, share_id: int) -> Response:
    owner = require_account(call)
    state = call.state
    share = state.share(share_id)
    server = state.server(share.machine_identifier) if share else None
    if share is None or server is None or server.owner_id != owner.id:
        raise Refusal(404, _NOT_FOUND, 1002)
    data = call.json()
    if not isinstance(data, dict):
        raise Refusal(400, "Invalid request body", 1000)
    if "librarySectionIds" in data:
        actions.set_libraries(share, server, data["librarySectionIds"])
    if isinstance(data.get("settings"), dict):
        actions.apply_settings(share, actions.settings_from(data["settings"], share))
    return render.as_json(render.share_json(state, share, server, call.base_url))


def rules() -> list[Rule]:
    shared = "/api/v2/shared_servers"
    return [
        route("/api/v2/user", user, "GET"),
        route("/api/v2/users/signout", signout, "DELETE"),
        route("/api/v2/pins", create_pin, "POST"),
        route("/api/v2/pins/<int:pin_id>", check_pin, "GET"),
        route("/api/v2/servers/<mid>", server_v2, "GET"),
        route("/api/v2/resources", resources, "GET"),
        route("/api/v2/sharings/<int:user_id>", update_sharings, "PUT"),
        route("/api/v2/sharings/<int:user_id>", remove_sharings, "DELETE"),
        route(f"{shared}/invites/received/pending", received_pending, "GET"),
        route(f"{shared}/invites/owned/pending", owned_pending, "GET"),
        route(f"{shared}/owned/accepted", owned_accepted, "GET"),
        route(f"{shared}/<int:share_id>/accept", accept, "POST"),
        route(f"{shared}/<int:share_id>", update_shared_server, "POST"),
    ]
