"""The plex.tv v1 routes plexapi calls: users, servers, shares, Plex Home and the legacy
invites."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from guestlist.plexsim import actions, render
from guestlist.plexsim.actions import Refusal
from guestlist.plexsim.core import Call, require_account, route
from guestlist.plexsim.state import Account, Server, Share


def literal_query(raw: bytes) -> dict[str, str]:
    """Parses a query string keeping "+" literal.

    plexapi puts e-mails into /api/home/users raw
    (`invitedEmail=fresh+tag@example.com`), so form-style parsing would turn the "+"
    into a space (docs/plex.md, "+ in query strings").
    """
    values: dict[str, str] = {}
    for part in raw.decode("utf-8", errors="replace").split("&"):
        if part:
            name, _, value = part.partition("=")
            values[unquote(name)] = unquote(value)
    return values


def owned_server(call: Call, machine_identifier: str) -> tuple[Account, Server]:
    owner = require_account(call)
    server = call.state.server(machine_identifier)
    if server is None or server.owner_id != owner.id:
        raise Refusal(404, "Not Found")
    return owner, server


def share_on(call: Call, server: Server, share_id: int) -> Share:
    share = call.state.share(share_id)
    if share is None or share.machine_identifier != server.machine_identifier:
        raise Refusal(404, "Not Found")
    return share


def users(call: Call) -> Response:
    owner = require_account(call)
    return render.users_xml(call.state, owner, call.base_url)


def server_sections(call: Call, mid: str) -> Response:
    _, server = owned_server(call, mid)
    return render.server_xml(server)


def list_shares(call: Call, mid: str) -> Response:
    _, server = owned_server(call, mid)
    shares = call.state.shares_on(server.machine_identifier)
    return render.shared_servers_xml(call.state, shares, server, all_sections=False)


def _body(call: Call, server: Server) -> dict[str, Any]:
    data = call.json()
    if not isinstance(data, dict):
        raise Refusal(400, "Invalid request body")
    if data.get("server_id") not in (None, server.machine_identifier):
        raise Refusal(400, "The server_id does not match this server")
    return data


def create_share(call: Call, mid: str) -> Response:
    owner, server = owned_server(call, mid)
    data = _body(call, server)
    shared = data.get("shared_server") or {}
    share = actions.create_share(
        call.state,
        owner,
        server,
        invitee=shared.get("invited_email"),
        invited_id=shared.get("invited_id"),
        library_ids=shared.get("library_section_ids"),
        settings=actions.settings_from(data.get("sharing_settings")),
    )
    return render.shared_servers_xml(call.state, [share], server, all_sections=False)


def show_share(call: Call, mid: str, share_id: int) -> Response:
    _, server = owned_server(call, mid)
    share = share_on(call, server, share_id)
    return render.shared_servers_xml(call.state, [share], server, all_sections=True)


def update_share(call: Call, mid: str, share_id: int) -> Response:
    _, server = owned_server(call, mid)
    share = share_on(call, server, share_id)
    data = _body(call, server)
    shared = data.get("shared_server") or {}
    if "library_section_ids" in shared:
        actions.set_libraries(share, server, shared["library_section_ids"])
    if data.get("sharing_settings"):
        actions.apply_settings(share, actions.settings_from(data["sharing_settings"], share))
    return render.shared_servers_xml(call.state, [share], server, all_sections=True)


def delete_share(call: Call, mid: str, share_id: int) -> Response:
    _, server = owned_server(call, mid)
    share = share_on(call, server, share_id)
    call.state.shares.remove(share)
    return render.empty()


def home_users(call: Call) -> Response:
    owner = require_account(call)
    members = [owner, *call.state.home_members(owner.id)] if owner.home_owner_id == owner.id else []
    nodes = [
        render.element("User", render.account_brief(m, call.base_url) | {"restricted": m.managed}) for m in members
    ]
    return render.xml(render.element("MediaContainer", {"size": len(nodes)}, *nodes))


def add_home_user(call: Call) -> Response:
    owner = require_account(call)
    query = literal_query(call.request.query_string)
    if query.get("invitedEmail"):
        account = actions.add_home_member(call.state, owner, query["invitedEmail"])
    elif query.get("title"):
        account = actions.create_managed_user(call.state, owner, query["title"])
    else:
        raise Refusal(400, "A title or invitedEmail is required")
    return render.home_user_xml(account, call.base_url)


def remove_home_user(call: Call, user_id: int) -> Response:
    owner = require_account(call)
    actions.remove_home_member(call.state, owner, user_id)
    return render.empty()


# Legacy invites: real plex.tv answers 410 since 2024; the "serve" setting brings them
# back.


def _legacy_allowed(call: Call) -> Account | None:
    account = require_account(call)
    return account if call.state.settings.legacy_invites == "serve" else None


def _invite_element(call: Call, person: Account | None, email: str, shares: list[Share]) -> Any:
    servers = [call.state.server(s.machine_identifier) for s in shares]
    children = [
        render.element(
            "Server",
            {
                "name": server.name,
                "numLibraries": len(actions.shared_libraries(share, server)),
            },
        )
        for share, server in zip(shares, servers, strict=True)
        if server is not None
    ]
    return render.element(
        "Invite",
        {
            "id": person.id if person else shares[0].id,
            "createdAt": render.epoch(shares[0].invited_at),
            "friend": True,
            "home": False,
            "server": True,
            "username": person.username if person else "",
            "email": person.email if person else email,
            "thumb": render.absolute(person.thumb, call.base_url) if person else "",
            "friendlyName": person.title if person else email,
        },
        *children,
    )


def legacy_received(call: Call) -> Response:
    account = _legacy_allowed(call)
    if account is None:
        return render.gone()
    by_owner: dict[int, list[Share]] = {}
    for share in actions.pending_for(call.state, account, count_poll=False):
        by_owner.setdefault(share.owner_id, []).append(share)
    nodes = [
        _invite_element(call, call.state.account_by_id(owner_id), "", shares) for owner_id, shares in by_owner.items()
    ]
    return render.xml(render.element("MediaContainer", {"size": len(nodes)}, *nodes))


def legacy_sent(call: Call) -> Response:
    account = _legacy_allowed(call)
    if account is None:
        return render.gone()
    pending = [s for s in call.state.shares if s.owner_id == account.id and not s.accepted]
    nodes = [_invite_element(call, call.state.invitee_of(s), s.invited_email or "", [s]) for s in pending]
    return render.xml(render.element("MediaContainer", {"size": len(nodes)}, *nodes))


def legacy_accept(call: Call, owner_id: int) -> Response:
    account = _legacy_allowed(call)
    if account is None:
        return render.gone()
    shares = [s for s in actions.pending_for(call.state, account, count_poll=False) if s.owner_id == owner_id]
    if not shares:
        raise Refusal(404, "Not Found")
    for share in shares:
        actions.accept_share(call.state, account, share.id)
    return render.empty()


def legacy_cancel(call: Call, invite_id: int) -> Response:
    account = _legacy_allowed(call)
    if account is None:
        return render.gone()
    state = call.state
    doomed = [
        s for s in state.shares if s.owner_id == account.id and not s.accepted and invite_id in (s.id, s.invited_id)
    ]
    if not doomed:
        raise Refusal(404, "Not Found")
    state.shares = [s for s in state.shares if s not in doomed]
    return render.empty()


def rules() -> list[Rule]:
    return [
        route("/api/users/", users, "GET"),
        route("/api/servers/<mid>", server_sections, "GET"),
        route("/api/servers/<mid>/shared_servers", list_shares, "GET"),
        route("/api/servers/<mid>/shared_servers", create_share, "POST"),
        route("/api/servers/<mid>/shared_servers/<int:share_id>", show_share, "GET"),
        route("/api/servers/<mid>/shared_servers/<int:share_id>", update_share, "PUT"),
        route("/api/servers/<mid>/shared_servers/<int:share_id>", delete_share, "DELETE"),
        route("/api/home/users", home_users, "GET"),
        route("/api/home/users", add_home_user, "POST"),
        route("/api/home/users/<int:user_id>", remove_home_user, "DELETE"),
        route("/api/invites/requests", legacy_received, "GET"),
        route("/api/invites/requested", legacy_sent, "GET"),
        route("/api/invites/requests/<int:owner_id>", legacy_accept, "PUT"),
        route("/api/invites/requested/<int:invite_id>", legacy_cancel, "DELETE"),
    ]
