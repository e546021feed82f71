"""Everything the simulated plex.tv knows, as plain dataclasses that round-trip through
JSON.

Nothing here locks: the simulator holds one lock around every read and write of a
`SimState`.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


def new_token() -> str:
    # Real Plex tokens are 20 URL-safe characters.
    return secrets.token_urlsafe(15)


@dataclass
class Account:
    id: int
    uuid: str
    username: str
    email: str
    title: str
    thumb: str
    tokens: list[str]
    plex_pass: bool = False
    email_verified: bool = True
    managed: bool = False
    # The owner id of the Plex Home this account belongs to (an owner with a Home has
    # its own id here).
    home_owner_id: int | None = None
    joined_at: float = field(default_factory=time.time)
    last_seen_at: float | None = None

    @property
    def token(self) -> str:
        return self.tokens[0] if self.tokens else ""

    def label(self) -> str:
        return self.email or self.username or self.title


# What the simulated PMS says its libraries hold, by type: the labels and content ratings
# its filter menus list (/library/sections/{key}/label and …/contentRating).
SAMPLE_CONTENT: dict[str, tuple[list[str], list[str]]] = {
    "movie": (["Family", "Horror", "Kids"], ["G", "PG", "PG-13", "R", "de/6", "de/12", "de/16"]),
    "show": (["Anime", "Kids"], ["TV-Y", "TV-G", "TV-PG", "TV-14", "TV-MA"]),
    "artist": (["Explicit"], []),
}


def _sample(kind: str, part: int) -> list[str]:
    return list(SAMPLE_CONTENT.get(kind, ([], []))[part])


@dataclass
class Library:
    key: int
    global_id: int
    title: str
    type: str
    labels: list[str] | None = None  # None: the sample for its type
    content_ratings: list[str] | None = None

    def label_values(self) -> list[str]:
        return self.labels if self.labels is not None else _sample(self.type, 0)

    def rating_values(self) -> list[str]:
        return self.content_ratings if self.content_ratings is not None else _sample(self.type, 1)


@dataclass
class Server:
    id: int
    machine_identifier: str
    name: str
    version: str
    owner_id: int
    libraries: list[Library]
    created_at: float = field(default_factory=time.time)

    def library_by_global_id(self, global_id: int) -> Library | None:
        return next((lib for lib in self.libraries if lib.global_id == global_id), None)


@dataclass
class Share:
    id: int
    machine_identifier: str
    owner_id: int
    invited_id: int | None
    invited_email: str | None
    library_ids: list[int]
    all_libraries: bool
    allow_sync: bool = False
    allow_channels: bool = False
    allow_camera_upload: bool = False
    filter_movies: str = ""
    filter_television: str = ""
    filter_music: str = ""
    accepted: bool = False
    accepted_at: float | None = None
    invited_at: float = field(default_factory=time.time)
    access_token: str = ""
    # How often the invitee listed pending invites since this share was made (see
    # Settings).
    pending_polls: int = 0


@dataclass
class Play:
    """One entry of a PMS's play history (``/status/sessions/history/all``)."""

    id: int
    machine_identifier: str
    account_id: int  # the PMS's account id: 1 for the server's owner, else the plex.tv id
    viewed_at: float
    title: str
    type: str = "movie"  # movie, episode or track
    grandparent_title: str = ""
    library_key: int = 1


@dataclass
class Friendship:
    owner_id: int
    friend_id: int
    created_at: float = field(default_factory=time.time)


@dataclass
class Pin:
    id: int
    code: str
    client_identifier: str
    product: str
    strong: bool
    created_at: float
    expires_at: float
    auth_token: str | None = None
    account_id: int | None = None


@dataclass
class Email:
    to: str
    kind: str
    server: str | None
    sender: str
    at: float = field(default_factory=time.time)


@dataclass
class Settings:
    # "gone" answers 410 on the legacy invite routes like real plex.tv; "serve" answers
    # them.
    legacy_invites: str = "gone"
    # A new share shows up in the invitee's pending list only after this many listings /
    # seconds,
    # so tests can prove an accept that succeeds on a later retry.
    pending_visible_after_polls: int = 0
    pending_visible_after_seconds: float = 0.0
    max_home_size: int = 15
    # A soft limit reported on Plex's forums; None switches it off.
    max_shares_per_server: int | None = 100
    pin_lifetime_seconds: float = 1800.0
    # Which server the fake PMS plays; None means the first one.
    pms_machine_identifier: str | None = None
    # Added to the clock in the simulator's Date headers, to play a Plex whose clock is off
    # (``guestlist doctor`` checks the skew).
    clock_offset_seconds: float = 0.0


def _first_ids() -> dict[str, int]:
    return {
        "account": 100001,
        "server": 5001,
        "share": 700001,
        "pin": 308000001,
        "section": 9001,
        "play": 1,
    }


@dataclass
class SimState:
    accounts: list[Account] = field(default_factory=list)
    servers: list[Server] = field(default_factory=list)
    shares: list[Share] = field(default_factory=list)
    friendships: list[Friendship] = field(default_factory=list)
    pins: list[Pin] = field(default_factory=list)
    outbox: list[Email] = field(default_factory=list)
    plays: list[Play] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)
    next_ids: dict[str, int] = field(default_factory=_first_ids)

    def take_id(self, kind: str) -> int:
        value = self.next_ids.get(kind, _first_ids()[kind])
        self.next_ids[kind] = value + 1
        return value

    def new_account(
        self,
        username: str,
        email: str,
        *,
        title: str | None = None,
        thumb: str | None = None,
        token: str | None = None,
        plex_pass: bool = False,
        email_verified: bool = True,
        managed: bool = False,
    ) -> Account:
        account = Account(
            id=self.take_id("account"),
            uuid=uuid.uuid4().hex[:16],
            username=username,
            email=email,
            title=title if title is not None else username,
            thumb=thumb if thumb is not None else f"/__sim/avatars/{username or 'managed'}.svg",
            tokens=[token or new_token()],
            plex_pass=plex_pass,
            email_verified=email_verified,
            managed=managed,
        )
        self.accounts.append(account)
        return account

    # Lookups

    def account_by_id(self, account_id: int | None) -> Account | None:
        return next((a for a in self.accounts if a.id == account_id), None)

    def account_by_token(self, token: str | None) -> Account | None:
        if not token:
            return None
        return next((a for a in self.accounts if token in a.tokens), None)

    def account_by_name(self, name: str) -> Account | None:
        """Finds an account by username, e-mail (both ignoring case) or id."""
        wanted = name.strip().lower()
        for account in self.accounts:
            if wanted and wanted in (
                account.username.lower(),
                account.email.lower(),
                str(account.id),
            ):
                return account
        return None

    def server(self, machine_identifier: str) -> Server | None:
        return next(
            (s for s in self.servers if s.machine_identifier == machine_identifier),
            None,
        )

    def servers_of(self, owner_id: int) -> list[Server]:
        return [s for s in self.servers if s.owner_id == owner_id]

    def share(self, share_id: int) -> Share | None:
        return next((s for s in self.shares if s.id == share_id), None)

    def shares_on(self, machine_identifier: str) -> list[Share]:
        return [s for s in self.shares if s.machine_identifier == machine_identifier]

    def share_is_for(self, share: Share, account: Account) -> bool:
        if share.invited_id is not None:
            return share.invited_id == account.id
        # An e-mail invite belongs to whoever holds (or later creates) an account with
        # that address.
        email = (share.invited_email or "").lower()
        return bool(email) and email == account.email.lower()

    def invitee_of(self, share: Share) -> Account | None:
        if share.invited_id is not None:
            return self.account_by_id(share.invited_id)
        email = (share.invited_email or "").lower()
        return next((a for a in self.accounts if email and a.email.lower() == email), None)

    def friendship(self, owner_id: int, friend_id: int) -> Friendship | None:
        return next(
            (f for f in self.friendships if f.owner_id == owner_id and f.friend_id == friend_id),
            None,
        )

    def home_members(self, owner_id: int) -> list[Account]:
        return [a for a in self.accounts if a.home_owner_id == owner_id and a.id != owner_id]

    def pms_server(self) -> Server | None:
        wanted = self.settings.pms_machine_identifier
        if wanted:
            return self.server(wanted)
        return self.servers[0] if self.servers else None

    # JSON

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SimState:
        return cls(
            accounts=[Account(**a) for a in data.get("accounts", [])],
            servers=[
                Server(
                    **{
                        **s,
                        "libraries": [Library(**lib) for lib in s.get("libraries", [])],
                    }
                )
                for s in data.get("servers", [])
            ],
            shares=[Share(**s) for s in data.get("shares", [])],
            friendships=[Friendship(**f) for f in data.get("friendships", [])],
            pins=[Pin(**p) for p in data.get("pins", [])],
            outbox=[Email(**e) for e in data.get("outbox", [])],
            plays=[Play(**p) for p in data.get("plays", [])],
            settings=Settings(**data.get("settings", {})),
            next_ids={**_first_ids(), **data.get("next_ids", {})},
        )

    def copy(self) -> SimState:
        return SimState.from_json(json.loads(json.dumps(self.to_json())))

    def save(self, path: str | Path) -> None:
        target = Path(path)
        temporary = target.with_name(target.name + ".tmp")
        temporary.write_text(json.dumps(self.to_json(), indent=2, sort_keys=True), encoding="utf-8")
        # Replace in one step so a crash mid-write never leaves half a state file
        # behind.
        temporary.replace(target)

    @classmethod
    def load(cls, path: str | Path) -> SimState:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
