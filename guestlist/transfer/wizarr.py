"""Wizarr's database (2025–2026 releases, with or without ``invitation_user``).

Wizarr serves several kinds of media server; only rows of ``media_server.server_type =
'plex'`` (or rows from before servers were recorded) are read. Usage is a boolean: an invite
is single use unless ``unlimited``. Who redeemed what is ``invitation_user`` in newer
releases; older ones only have ``user.code`` and ``invitation.used_by_id``, and all three are
read and merged. Libraries are ``library`` rows (``external_id`` is plex.tv's id of the
section); an invite without any grants every ``enabled`` library. ``user.token`` (a Plex
token in plain text) and every other secret are never selected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from guestlist.transfer.peerdb import (
    PeerDatabase,
    as_bool,
    as_int,
    as_text,
    open_peer_database,
    parse_datetime,
)
from guestlist.transfer.records import ImportFileError, Source, SourceInvite, SourceLibrary, SourcePerson, SourceUse

INVITATION_COLUMNS = (
    "id",
    "code",
    "used",
    "used_at",
    "created",
    "expires",
    "unlimited",
    "duration",
    "plex_allow_sync",
    "plex_home",
    "plex_allow_channels",
    "allow_downloads",
    "allow_live_tv",
    "allow_mobile_uploads",
    "used_by_id",
    "server_id",
)
# Deliberately without "token".
USER_COLUMNS = ("id", "username", "email", "code", "photo", "expires", "server_id", "notes", "created_at")


def read(path: Path) -> Source:
    with open_peer_database(path) as db:
        return read_database(db)


def read_database(db: PeerDatabase) -> Source:
    if not db.has_table("invitation") or not db.has_table("user") or "code" not in db.columns("invitation"):
        raise ImportFileError(f"{db.path.name} is not a Wizarr database (it has no 'invitation' and 'user' tables).")
    source = Source("wizarr")
    plex_servers = _plex_servers(db, source)

    def on_plex(server_id: object) -> bool:
        return plex_servers is None or server_id is None or as_int(server_id) in plex_servers

    libraries = {
        as_int(row["id"]): row
        for row in db.rows("library", ("id", "external_id", "name", "enabled", "server_id"))
        if on_plex(row["server_id"])
    }
    enabled = [_library(row) for row in libraries.values() if row["enabled"] is None or as_bool(row["enabled"])]
    picked: dict[int, list[SourceLibrary]] = {}
    for row in db.rows("invite_library", ("invite_id", "library_id"), order_by="library_id"):
        library = libraries.get(as_int(row["library_id"]))
        if library is not None:
            picked.setdefault(as_int(row["invite_id"]) or -1, []).append(_library(library))
    invite_servers: dict[int, list[object]] = {}
    for row in db.rows("invitation_server", ("invite_id", "server_id"), order_by="invite_id"):
        invite_servers.setdefault(as_int(row["invite_id"]) or -1, []).append(row["server_id"])

    invites: dict[int, SourceInvite] = {}
    used_by: dict[int, int] = {}
    used_flags: dict[int, tuple[bool, Any]] = {}
    for row in db.rows("invitation", INVITATION_COLUMNS):
        invite_id = as_int(row["id"]) or -1
        ref = f"invitation {row['id']}"
        code = as_text(row["code"])
        servers = invite_servers.get(invite_id) or [row["server_id"]]
        if not any(on_plex(server) for server in servers):
            source.skipped.append(("invites", f"{ref} ({code})", "not for a Plex server"))
            continue
        try:
            duration = as_text(row["duration"])
            invite = SourceInvite(
                ref=ref,
                code=code,
                created_at=parse_datetime(row["created"]),
                created_by="Wizarr",
                expires_at=parse_datetime(row["expires"]),
                usage_limit=None if as_bool(row["unlimited"]) else 1,
                user_expires_in_days=int(duration) if duration else None,
                allow_sync=as_bool(row["allow_downloads"]) or as_bool(row["plex_allow_sync"]),
                allow_channels=as_bool(row["allow_live_tv"]) or as_bool(row["plex_allow_channels"]),
                allow_camera_upload=as_bool(row["allow_mobile_uploads"]),
                plex_home=as_bool(row["plex_home"]),
                libraries=picked.get(invite_id) or _enabled_set(enabled),
            )
        except ValueError as exc:
            source.skipped.append(("invites", f"{ref} ({code})", f"unreadable value: {exc}"))
            continue
        invites[invite_id] = invite
        used_flags[invite_id] = (as_bool(row["used"]), row["used_at"])
        if as_int(row["used_by_id"]) is not None:
            used_by[invite_id] = as_int(row["used_by_id"]) or -1
    source.invites = list(invites.values())
    by_code = {invite.code.upper(): invite for invite in source.invites}

    people: dict[int, SourcePerson] = {}
    for row in db.rows("user", USER_COLUMNS):
        if not on_plex(row["server_id"]):
            continue
        ref = f"user {row['id']}"
        try:
            person = SourcePerson(
                ref=ref,
                email=as_text(row["email"]),
                username=as_text(row["username"]),
                thumb=as_text(row["photo"]),
                created_at=parse_datetime(row["created_at"]),
                expires_at=parse_datetime(row["expires"]),
                notes=as_text(row["notes"]),
            )
        except ValueError as exc:
            source.skipped.append(("members", ref, f"unreadable value: {exc}"))
            continue
        people[as_int(row["id"]) or -1] = person
        came_through = by_code.get(as_text(row["code"]).upper())
        if came_through is not None:
            person.invite_code = came_through.code
    source.people = list(people.values())

    # Who redeemed which invite: every source of the answer, newest first.
    redeemed: dict[int, list[tuple[int, object]]] = {}
    if db.has_table("invitation_user"):
        for row in db.rows("invitation_user", ("invite_id", "user_id", "used_at", "server_id"), order_by="used_at"):
            redeemed.setdefault(as_int(row["invite_id"]) or -1, []).append(
                (as_int(row["user_id"]) or -1, row["used_at"])
            )
    else:
        source.notes.append(
            "This Wizarr database has no invitation_user table (an older release): "
            "redeemers are read from user.code and invitation.used_by_id."
        )
    for invite_id, user_id in used_by.items():
        redeemed.setdefault(invite_id, []).append((user_id, used_flags[invite_id][1]))
    for user_id, person in people.items():
        if person.invite_code:
            invite_id = next(key for key, invite in invites.items() if invite.code == person.invite_code)
            redeemed.setdefault(invite_id, []).append((user_id, None))

    for invite_id, invite in invites.items():
        seen: set[int] = set()
        for user_id, used_at in redeemed.get(invite_id, []):
            redeemer = people.get(user_id)
            if redeemer is None or user_id in seen:
                continue
            seen.add(user_id)
            try:
                at = parse_datetime(used_at)
            except ValueError:
                at = None
            if not redeemer.invite_code:
                redeemer.invite_code = invite.code  # a member through one invite: the first read
            if redeemer.invite_code == invite.code:
                redeemer.redeemed_at = redeemer.redeemed_at or at or redeemer.created_at
            source.uses.append(SourceUse(invite.code, redeemer.ref, at or redeemer.created_at))
        used, used_at = used_flags[invite_id]
        # A single-use invite Wizarr marked used whose redeemer it deleted since: the use stays.
        if used and not seen and invite.usage_limit is not None:
            try:
                at = parse_datetime(used_at)
            except ValueError:
                at = None
            source.uses.append(SourceUse(invite.code, "", at))
        invite.used_count = sum(1 for use in source.uses if use.invite_code == invite.code)
    return source


def _plex_servers(db: PeerDatabase, source: Source) -> set[int] | None:
    """The ids of Wizarr's Plex servers; None when the database predates ``media_server``."""
    if not db.has_table("media_server"):
        return None
    servers = db.rows("media_server", ("id", "name", "server_type", "url"))
    plex = {as_int(row["id"]) or -1 for row in servers if as_text(row["server_type"]).lower() == "plex"}
    others = [as_text(row["name"]) for row in servers if as_text(row["server_type"]).lower() != "plex"]
    if others:
        source.notes.append(f"Left out what belongs to Wizarr's other (not Plex) servers: {', '.join(others)}.")
    return plex


def _library(row: dict[str, Any]) -> SourceLibrary:
    return SourceLibrary(name=as_text(row["name"]), global_id=as_int(row["external_id"]))


def _enabled_set(enabled: list[SourceLibrary]) -> str | list[SourceLibrary]:
    # Wizarr grants every enabled library when an invite picks none; with no library rows
    # at all it never scanned them, and the server's default set is the nearest thing.
    return list(enabled) if enabled else "default"
