"""Komandorr's database: ``invites`` and ``plex_users`` (its current schema; see contract.md).

Komandorr counts uses in ``invites.used_count`` and ties each person to the invite they
redeemed (``plex_users.invite_id``). Libraries are PMS section keys (``"all"`` or ``"1,2,3"``)
of the one server it manages. It keeps no Plex tokens in these tables; nothing else is read.
"""

from __future__ import annotations

from pathlib import Path

from guestlist.transfer.peerdb import (
    PeerDatabase,
    as_bool,
    as_int,
    as_text,
    open_peer_database,
    parse_datetime,
)
from guestlist.transfer.records import ImportFileError, Source, SourceInvite, SourceLibrary, SourcePerson, SourceUse

INVITE_COLUMNS = (
    "id",
    "code",
    "created_at",
    "created_by",
    "expires_at",
    "usage_limit",
    "used_count",
    "allow_sync",
    "allow_camera_upload",
    "allow_channels",
    "plex_home",
    "libraries",
    "is_active",
    # Not in every release; read when there.
    "user_expires_in_days",
    "description",
)
USER_COLUMNS = (
    "id",
    "email",
    "username",
    "plex_id",
    "thumb",
    "invite_id",
    "created_at",
    "last_seen",
    "expires_at",
    "is_active",
)


def read(path: Path) -> Source:
    with open_peer_database(path) as db:
        return read_database(db)


def read_database(db: PeerDatabase) -> Source:
    if not db.has_table("invites") or not db.has_table("plex_users") or "code" not in db.columns("invites"):
        raise ImportFileError(
            f"{db.path.name} is not a Komandorr database (it has no 'invites' and 'plex_users' tables)."
        )
    source = Source("komandorr")
    codes: dict[int, str] = {}
    for row in db.rows("invites", INVITE_COLUMNS):
        ref = f"invite {row['id']}"
        code = as_text(row["code"])
        try:
            invite = SourceInvite(
                ref=ref,
                code=code,
                created_at=parse_datetime(row["created_at"]),
                created_by=as_text(row["created_by"]),
                expires_at=parse_datetime(row["expires_at"]),
                usage_limit=as_int(row["usage_limit"]),
                used_count=as_int(row["used_count"]) or 0,
                user_expires_in_days=as_int(row["user_expires_in_days"]),
                allow_sync=as_bool(row["allow_sync"]),
                allow_camera_upload=as_bool(row["allow_camera_upload"]),
                allow_channels=as_bool(row["allow_channels"]),
                plex_home=as_bool(row["plex_home"]),
                libraries=_libraries(as_text(row["libraries"])),
                description=as_text(row["description"]),
                is_active=True if row["is_active"] is None else as_bool(row["is_active"]),
            )
        except ValueError as exc:
            source.skipped.append(("invites", f"{ref} ({code})", f"unreadable value: {exc}"))
            continue
        if row["id"] is not None:
            codes[int(row["id"])] = code
        source.invites.append(invite)
    for row in db.rows("plex_users", USER_COLUMNS):
        ref = f"plex_user {row['id']}"
        try:
            person = SourcePerson(
                ref=ref,
                email=as_text(row["email"]),
                username=as_text(row["username"]),
                plex_id=as_int(row["plex_id"]),
                thumb=as_text(row["thumb"]),
                invite_code=codes.get(as_int(row["invite_id"]) or -1, ""),
                created_at=parse_datetime(row["created_at"]),
                last_seen=parse_datetime(row["last_seen"]),
                expires_at=parse_datetime(row["expires_at"]),
            )
        except ValueError as exc:
            source.skipped.append(("members", ref, f"unreadable value: {exc}"))
            continue
        person.redeemed_at = person.created_at
        source.people.append(person)
    source.uses = uses_from(source)
    return source


def _libraries(value: str) -> str | list[SourceLibrary]:
    word = value.lower()
    if word in ("", "all"):
        return "all"
    if word == "default":
        return "default"
    keys = []
    for part in value.split(","):
        key = as_int(part)
        if key is None:
            raise ValueError(f"libraries {value!r}")
        keys.append(SourceLibrary(key=key))
    return keys


def uses_from(source: Source) -> list[SourceUse]:
    """One use per person who came through an invite, and the uses the peer counted beyond
    them (people it deleted since): ``used_count`` stays what the peer said."""
    uses: list[SourceUse] = []
    for invite in source.invites:
        people = [person for person in source.people if person.invite_code == invite.code]
        uses += [SourceUse(invite.code, person.ref, person.redeemed_at) for person in people]
        uses += [SourceUse(invite.code) for _ in range(max(0, invite.used_count - len(people)))]
    return uses
