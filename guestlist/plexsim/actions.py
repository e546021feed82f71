"""plex.tv's rules for sharing, Plex Home and PINs, applied to a `SimState`.

Callers hold the simulator's lock. A rule that says no raises `Refusal`, which the HTTP
layer renders in the shape the route's real counterpart uses.
"""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass
from typing import Any

from guestlist.plexsim.state import (
    Account,
    Email,
    Friendship,
    Pin,
    Server,
    Share,
    SimState,
    new_token,
)


class Refusal(Exception):
    def __init__(self, status: int, text: str, code: int | None = None) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.code = code


def already_sharing(label: str) -> Refusal:
    return Refusal(
        400,
        f"You're already sharing this server with {label}. Please edit your existing share.",
    )


@dataclass(frozen=True)
class SharingSettings:
    allow_sync: bool = False
    allow_channels: bool = False
    allow_camera_upload: bool = False
    filter_movies: str = ""
    filter_television: str = ""
    filter_music: str = ""


def as_bool(value: Any) -> bool:
    """plexapi sends "1"/"0", Plex Web sends true/false; accept both."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def settings_from(data: dict[str, Any] | None, base: Share | None = None) -> SharingSettings:
    data = data or {}

    def pick_bool(name: str, current: bool) -> bool:
        return as_bool(data[name]) if name in data else current

    def pick_text(name: str, current: str) -> str:
        value = data.get(name)
        return current if value is None else str(value)

    return SharingSettings(
        allow_sync=pick_bool("allowSync", base.allow_sync if base else False),
        allow_channels=pick_bool("allowChannels", base.allow_channels if base else False),
        allow_camera_upload=pick_bool("allowCameraUpload", base.allow_camera_upload if base else False),
        filter_movies=pick_text("filterMovies", base.filter_movies if base else ""),
        filter_television=pick_text("filterTelevision", base.filter_television if base else ""),
        filter_music=pick_text("filterMusic", base.filter_music if base else ""),
    )


def apply_settings(share: Share, settings: SharingSettings) -> None:
    share.allow_sync = settings.allow_sync
    share.allow_channels = settings.allow_channels
    share.allow_camera_upload = settings.allow_camera_upload
    share.filter_movies = settings.filter_movies
    share.filter_television = settings.filter_television
    share.filter_music = settings.filter_music


def _library_ids(server: Server, raw_ids: Any) -> list[int]:
    if raw_ids is None:
        return []
    try:
        ids = [int(value) for value in raw_ids]
    except (TypeError, ValueError):
        raise Refusal(400, "Invalid library section ids") from None
    known = {lib.global_id for lib in server.libraries}
    if any(value not in known for value in ids):
        raise Refusal(400, "Invalid library section ids")
    return ids


def set_libraries(share: Share, server: Server, raw_ids: Any) -> None:
    ids = _library_ids(server, raw_ids)
    # An empty list shares every library, including ones added later.
    share.all_libraries = not ids
    share.library_ids = ids


def shared_libraries(share: Share, server: Server) -> list[int]:
    if share.all_libraries:
        return [lib.global_id for lib in server.libraries]
    return list(share.library_ids)


def _resolve_invitee(state: SimState, invitee: str | None, invited_id: Any) -> tuple[Account | None, str | None]:
    if invited_id not in (None, ""):
        try:
            account = state.account_by_id(int(invited_id))
        except (TypeError, ValueError):
            account = None
        if account is None:
            raise Refusal(400, "The user could not be found")
        return account, None
    name = (invitee or "").strip()
    if not name:
        raise Refusal(400, "An e-mail address or username is required")
    account = state.account_by_name(name)
    if account is not None:
        return account, None
    if "@" in name:
        return None, name
    raise Refusal(400, f"The user {name} could not be found")


def create_share(
    state: SimState,
    owner: Account,
    server: Server,
    *,
    invitee: str | None = None,
    invited_id: Any = None,
    library_ids: Any = None,
    settings: SharingSettings | None = None,
) -> Share:
    account, email = _resolve_invitee(state, invitee, invited_id)
    if account is not None and account.id == owner.id:
        raise Refusal(400, "You can't share a server with yourself")
    for existing in state.shares_on(server.machine_identifier):
        same_account = account is not None and state.share_is_for(existing, account)
        same_email = email is not None and (existing.invited_email or "").lower() == email.lower()
        if same_account or same_email:
            label = (account.email or account.username or account.title) if account else (email or "")
            raise already_sharing(label)
    limit = state.settings.max_shares_per_server
    if limit is not None and len(state.shares_on(server.machine_identifier)) >= limit:
        raise Refusal(400, f"This server is already shared with the maximum of {limit} users")

    share = Share(
        id=state.take_id("share"),
        machine_identifier=server.machine_identifier,
        owner_id=owner.id,
        invited_id=account.id if account else None,
        invited_email=None if account else email,
        library_ids=[],
        all_libraries=True,
    )
    set_libraries(share, server, library_ids)
    apply_settings(share, settings or SharingSettings())
    # Home members and existing friends get new libraries without an invite to accept.
    if account is not None and (
        account.home_owner_id == owner.id or state.friendship(owner.id, account.id) is not None
    ):
        _mark_accepted(state, share, account)
    else:
        kind = "share_invite" if account else "signup_invite"
        _send(state, account.email if account else email or "", kind, server, owner)
    state.shares.append(share)
    return share


def _mark_accepted(state: SimState, share: Share, account: Account) -> None:
    share.accepted = True
    share.accepted_at = time.time()
    share.invited_id = account.id
    share.access_token = share.access_token or new_token()
    if account.home_owner_id != share.owner_id and state.friendship(share.owner_id, account.id) is None:
        state.friendships.append(Friendship(owner_id=share.owner_id, friend_id=account.id))


def _send(state: SimState, to: str, kind: str, server: Server | None, sender: Account) -> None:
    if to:
        state.outbox.append(
            Email(
                to=to,
                kind=kind,
                server=server.name if server else None,
                sender=sender.username,
            )
        )


def is_visible(state: SimState, share: Share, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    settings = state.settings
    return (
        share.pending_polls >= settings.pending_visible_after_polls
        and now - share.invited_at >= settings.pending_visible_after_seconds
    )


def pending_for(state: SimState, account: Account, *, count_poll: bool) -> list[Share]:
    """The invites `account` can see now; listing them counts as one poll toward
    visibility."""
    pending = [s for s in state.shares if not s.accepted and state.share_is_for(s, account)]
    visible = [s for s in pending if is_visible(state, s)]
    if count_poll:
        for share in pending:
            share.pending_polls += 1
    return visible


def accept_share(state: SimState, account: Account, share_id: int) -> Share:
    share = state.share(share_id)
    if share is None or not state.share_is_for(share, account):
        raise Refusal(404, "The requested resource or endpoint could not be found", 1002)
    if share.accepted:
        return share
    if not is_visible(state, share):
        raise Refusal(404, "The requested resource or endpoint could not be found", 1002)
    if not account.email_verified:
        raise Refusal(400, "Please verify your email address before accepting this invite", 1029)
    _mark_accepted(state, share, account)
    return share


def remove_friend(state: SimState, owner: Account, user_id: int) -> None:
    account = state.account_by_id(user_id)
    friendship = state.friendship(owner.id, user_id)
    shares = [s for s in state.shares if s.owner_id == owner.id and account and state.share_is_for(s, account)]
    if friendship is None and not shares:
        raise Refusal(404, "The requested resource or endpoint could not be found", 1002)
    if friendship is not None:
        state.friendships.remove(friendship)
    for share in shares:
        state.shares.remove(share)


def update_sharing_settings(state: SimState, owner: Account, user_id: int, data: dict[str, Any]) -> None:
    account = state.account_by_id(user_id)
    shares = [s for s in state.shares if s.owner_id == owner.id and account and state.share_is_for(s, account)]
    if not shares and state.friendship(owner.id, user_id) is None:
        raise Refusal(404, "The requested resource or endpoint could not be found", 1002)
    for share in shares:
        apply_settings(share, settings_from(data, share))


def _check_home_room(state: SimState, owner: Account) -> None:
    # The limit counts the owner too.
    if len(state.home_members(owner.id)) + 1 >= state.settings.max_home_size:
        raise Refusal(
            400,
            f"Your Plex Home is full: it can have at most {state.settings.max_home_size} members",
        )


def add_home_member(state: SimState, owner: Account, invitee: str) -> Account:
    if not owner.plex_pass:
        raise Refusal(400, "Invite a user requires a Plex Pass")
    _check_home_room(state, owner)
    account = state.account_by_name(invitee)
    if account is None:
        raise Refusal(400, f"No Plex account was found for {invitee}")
    if account.id == owner.id:
        raise Refusal(400, "You are already the admin of this Plex Home")
    if account.home_owner_id is not None:
        raise Refusal(400, f"{account.label()} is already a member of a Plex Home")
    owner.home_owner_id = owner.id
    account.home_owner_id = owner.id
    _send(state, account.email, "home_invite", None, owner)
    return account


def create_managed_user(state: SimState, owner: Account, title: str) -> Account:
    if not title.strip():
        raise Refusal(400, "A name is required")
    _check_home_room(state, owner)
    account = state.new_account("", "", title=title.strip(), thumb="/__sim/avatars/managed.svg", managed=True)
    owner.home_owner_id = owner.id
    account.home_owner_id = owner.id
    return account


def remove_home_member(state: SimState, owner: Account, user_id: int) -> None:
    account = state.account_by_id(user_id)
    if account is None or account.id == owner.id or account.home_owner_id != owner.id:
        raise Refusal(404, "The requested resource or endpoint could not be found", 1002)
    state.shares = [s for s in state.shares if not (s.owner_id == owner.id and state.share_is_for(s, account))]
    if account.managed:
        state.accounts.remove(account)
    else:
        account.home_owner_id = None


def create_pin(state: SimState, client_identifier: str, product: str, *, strong: bool) -> Pin:
    if strong:
        alphabet = string.ascii_lowercase + string.digits
        code = "".join(secrets.choice(alphabet) for _ in range(25))
    else:
        alphabet = string.ascii_uppercase + string.digits
        code = "".join(secrets.choice(alphabet) for _ in range(4))
    now = time.time()
    pin = Pin(
        id=state.take_id("pin"),
        code=code,
        client_identifier=client_identifier,
        product=product,
        strong=strong,
        created_at=now,
        expires_at=now + state.settings.pin_lifetime_seconds,
    )
    state.pins.append(pin)
    return pin


def live_pin(state: SimState, pin_id: int) -> Pin | None:
    pin = next((p for p in state.pins if p.id == pin_id), None)
    if pin is None or pin.expires_at <= time.time():
        return None
    return pin


def approve_pin(state: SimState, pin: Pin, account: Account) -> str:
    # Every approved sign-in is a new "authorized device" with a token of its own.
    token = new_token()
    account.tokens.append(token)
    pin.auth_token = token
    pin.account_id = account.id
    return token
