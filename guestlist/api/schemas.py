"""Request and answer shapes of the JSON API (contract.md "REST API")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Protocol

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from guestlist.invites.models import Invite
from guestlist.invites.representation import invite_as_api
from guestlist.members import access, persons
from guestlist.members.allowances import Allowance
from guestlist.members.models import Member
from guestlist.members.representation import member_as_api
from guestlist.members.self_service import member_state


class Answer(BaseModel):
    """What the API answers: a plain pydantic model, not django-ninja's ``Schema``.

    ninja's ``Schema`` checks each nested object through a getter that resolves every field
    in Python, for reading model instances; the answers are built as dicts, which pydantic
    checks in its compiled core: a page of 50 invites in 0.5 ms instead of 2.
    """

    model_config = ConfigDict(from_attributes=True)


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")

    def sent_values(self) -> dict[str, Any]:
        """The fields the request sent with a value: a PATCH leaves the rest, and null, as they are."""
        return {key: value for key, value in self.model_dump(exclude_unset=True).items() if value is not None}


# Ranges and words the API takes and gives, stated in the OpenAPI schema and enforced by it.
# Ids are database keys (64-bit); pages past the end are empty, and this bound keeps the
# offset well inside what a database accepts.
MAX_ID = 2**63 - 1
MAX_PAGE = 1_000_000
ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]
PageNumber = Annotated[int, Field(ge=1, le=MAX_PAGE)]
# Larger sizes are clamped to 200 by the services (the contract); this only bounds the number.
PageSize = Annotated[int, Field(ge=1, le=MAX_PAGE)]
UsageLimit = Annotated[StrictInt, Field(ge=1, le=100)]
Days = Annotated[StrictInt, Field(ge=1, le=36500)]
LibraryKey = Annotated[StrictInt, Field(ge=0, le=MAX_ID)]
LibrarySelection = Annotated[str, Field(pattern=r"^(all|default|ALL|DEFAULT|[0-9]{1,18}(,[0-9]{1,18})*)$")]
TrialField = Annotated[StrictInt, Field(ge=0, le=365)] | Literal["inherit", "none"]
InviteStatusFilter = Literal["all", "active", "redeemed", "expired", "used_up", "disabled"]
InviteBadge = Literal["active", "redeemed", "expired", "used_up", "disabled"]
StreamarrStatus = Literal["Active", "Redeemed", "Expired", "Inactive"]
MemberStatus = Literal["pending", "active", "removing", "expired", "removed", "unlinked", "suspending", "suspended"]
MemberStatusFilter = Literal[
    "all", "pending", "active", "removing", "expired", "removed", "expiring", "live", "suspending", "suspended"
]
AccessEndChoice = Literal["default", "remove", "suspend"]
PermissionName = Literal["manage_users", "manage_invites", "advanced_invites", "create_invites", "view_invites"]
TrialAction = Literal["extend", "end", "approve", "deny"]
QrFormat = Literal["png", "svg"]
QuotaLimit = Annotated[StrictInt, Field(ge=0, le=1000)]
QuotaDays = Annotated[StrictInt, Field(ge=0, le=3650)]
DiscordGate = Literal["", "sign_in", "member"]
DiscordRoleId = Annotated[str, Field(pattern=r"^[0-9]{15,22}$")]


LimitText = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^|,]+$")]


class KindLimitsIn(StrictSchema):
    """Limits on one kind of library; ``max_rating`` becomes every rating up to its age."""

    max_rating: LimitText | None = None
    labels: list[LimitText] = Field(default_factory=list, max_length=20)
    exclude_labels: list[LimitText] = Field(default_factory=list, max_length=20)


class ContentLimitsIn(StrictSchema):
    movies: KindLimitsIn | None = None
    television: KindLimitsIn | None = None
    music: KindLimitsIn | None = None


class KindLimitsOut(Answer):
    max_rating: str | None
    labels: list[str]
    exclude_labels: list[str]
    # The ratings Plex is given (a maximum as Plex understands it: a list of allowed ratings).
    ratings: list[str]


class ContentLimitsOut(Answer):
    movies: KindLimitsOut | None = None
    television: KindLimitsOut | None = None
    music: KindLimitsOut | None = None


class InviteFieldsIn(StrictSchema):
    """The settings an invite has whether it is being created or changed. Only the fields a
    request sends are used (``exclude_unset``): the defaults below are for the OpenAPI document."""

    usage_limit: UsageLimit | None = None
    expires_in_days: Days | None = None
    expires_at: datetime | None = None
    user_expires_in_days: Days | None = None
    allow_sync: StrictBool = False
    allow_channels: StrictBool = False
    allow_camera_upload: StrictBool = False
    plex_home: StrictBool = False
    libraries: LibrarySelection | list[LibraryKey] | None = None
    content_limits: ContentLimitsIn | None = None
    description: str | None = Field(default=None, max_length=500)
    # "inherit" (the owner's trial setting), "none", or a trial of N days.
    trial: TrialField | None = None
    # The onboarding steps friends see (null: the default step set).
    step_set_id: ObjectId | None = None
    # Discord-gated invites: "" none, "sign_in" a Discord account, "member" of the owner's
    # Discord server (then, with role ids, holding one of those roles too).
    discord_gate: DiscordGate = ""
    discord_role_ids: list[DiscordRoleId] = Field(default_factory=list, max_length=50)


class InviteServerIn(StrictSchema):
    """One server of an invite that names several, with its libraries (issue 20 §3)."""

    server_id: Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
    libraries: LibrarySelection | list[LibraryKey] | None = None


class InviteServerOut(Answer):
    server_id: int
    libraries: Literal["all", "default"] | list[int]


class InviteCreateIn(InviteFieldsIn):
    code: str | None = None
    server_id: Annotated[StrictInt, Field(ge=1, le=MAX_ID)] | None = None
    # Instead of server_id + libraries: every server to share, the first being server_id.
    servers: list[InviteServerIn] | None = Field(default=None, min_length=1, max_length=20)


class InviteUpdateIn(InviteFieldsIn):
    is_active: StrictBool = True
    code: str | None = None
    server_id: Annotated[StrictInt, Field(ge=1, le=MAX_ID)] | None = None
    servers: list[InviteServerIn] | None = Field(default=None, min_length=1, max_length=20)


class ErrorOut(Answer):
    error: str
    message: str
    details: Any = None


class QuotaOut(Answer):
    limit: int | None
    days: int
    used: int
    remaining: int | None
    restricted: bool
    exempt: bool
    overridden: bool
    next_slot_at: datetime | None


class TrialOut(Answer):
    active: bool
    ends_at: datetime | None
    outcome: Literal["promote", "deactivate"] | None
    settled_at: datetime | None


class ExtensionOut(Answer):
    id: int
    state: Literal["open", "approved", "denied", "closed"]
    message: str
    created_at: datetime
    decided_at: datetime | None
    days: int | None


class DiscordAccountOut(Answer):
    id: str
    username: str
    # When the re-check found them out of the owner's Discord server or without the role.
    left_at: datetime | None


class MemberOut(Answer):
    id: int
    email: str
    username: str
    plex_id: str | None
    thumb: str
    invite_id: int | None
    created_at: datetime
    last_seen: datetime | None
    last_title: str = ""
    expires_at: datetime | None
    is_active: bool
    status: MemberStatus
    message: str | None = None
    # The server of this row, and the person row it belongs to (its own id for a person row).
    server_id: int
    person_id: int
    # The Discord account their Discord-gated invite's sign-in tied to them (issue 22).
    discord: DiscordAccountOut | None = None


class MemberServerOut(Answer):
    """One server of a person: the member row that holds that share and its state."""

    member_id: int
    server_id: int
    server_name: str
    status: MemberStatus
    libraries: list[int]
    expires_at: datetime | None
    reason: str


class PlexAccessOut(Answer):
    """Plex's values where they differ from Guestlist's (only those fields)."""

    library_keys: list[int] | None = None
    allow_sync: bool | None = None
    allow_channels: bool | None = None
    allow_camera_upload: bool | None = None
    content_limits: ContentLimitsOut | None = None


class MemberDetailOut(MemberOut):
    server_id: int
    libraries: list[int]
    allow_sync: bool
    allow_channels: bool
    allow_camera_upload: bool
    content_limits: ContentLimitsOut
    access_changing: bool
    plex_access: PlexAccessOut | None
    plex_home: bool
    reason: str
    removed_at: datetime | None
    has_account: bool
    local_account: bool
    account_username: str | None
    permissions: list[PermissionName]
    quota: QuotaOut
    trial: TrialOut
    extension_request: ExtensionOut | None
    # What ending their access does ("default": the owner's setting), and while suspended,
    # since when and which libraries a renewal gives back.
    access_end: AccessEndChoice
    suspended_at: datetime | None
    suspended_libraries: list[int] | None


class InviteOut(Answer):
    id: int
    code: str
    url: str
    description: str
    created_at: datetime
    updated_at: datetime
    created_by: str
    server_id: int
    expires_at: datetime | None
    usage_limit: int | None
    used_count: int
    user_expires_in_days: int | None
    allow_sync: bool
    allow_channels: bool
    allow_camera_upload: bool
    plex_home: bool
    libraries: Literal["all", "default"] | list[int]
    content_limits: ContentLimitsOut
    is_active: bool
    badges: list[InviteBadge]
    status: InviteBadge
    streamarr_status: StreamarrStatus
    trial: Literal["inherit", "none"] | int
    step_set_id: int | None
    discord_gate: DiscordGate
    discord_role_ids: list[str]
    servers: list[InviteServerOut]


class InviteDetailOut(InviteOut):
    users: list[MemberOut]


class InviteCounts(Answer):
    all: int
    active: int
    redeemed: int
    expired: int
    used_up: int
    disabled: int


class PageOut(Answer):
    """The paginated list answer: each list adds its ``items`` (and the invite lists ``counts``)."""

    total: int
    page: int
    page_size: int


class InviteListOut(PageOut):
    items: list[InviteOut]
    counts: InviteCounts


class MemberListItemOut(MemberOut):
    # With persons=true: the newest last seen (and its title) across the person's members.
    person_last_seen: datetime | None = None
    person_last_title: str | None = None


class MemberListOut(PageOut):
    items: list[MemberListItemOut]


class DayCount(Answer):
    date: str
    count: int


class InviteStatsOut(Answer):
    total_invites: int
    active_invites: int
    redeemed_invites: int
    expired_invites: int
    used_up_invites: int
    disabled_invites: int
    total_redemptions: int
    total_users: int
    active_users: int
    expired_users: int
    removed_users: int
    redemptions_per_day: list[DayCount]


class AccessEndIn(StrictSchema):
    access_end: AccessEndChoice


class ExpirationIn(StrictSchema):
    expires_at: datetime | None


class MemberAccessIn(StrictSchema):
    libraries: LibrarySelection | list[LibraryKey] | None = None
    allow_sync: StrictBool = False
    allow_channels: StrictBool = False
    allow_camera_upload: StrictBool = False
    content_limits: ContentLimitsIn | None = None


class BulkAccessIn(StrictSchema):
    """The same change for several members; fields left out stay as each member has them."""

    ids: list[Annotated[StrictInt, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=500)
    libraries: LibrarySelection | list[LibraryKey] | None = None
    allow_sync: StrictBool | None = None
    allow_channels: StrictBool | None = None
    allow_camera_upload: StrictBool | None = None
    content_limits: ContentLimitsIn | None = None


class RefusedOut(Answer):
    id: int
    message: str


class BulkAccessOut(Answer):
    done: list[int]
    changing: list[int]
    refused: list[RefusedOut]
    skipped: list[int]


class ResolveAccessIn(StrictSchema):
    keep: Literal["plex", "guestlist"]


class SyncOut(Answer):
    updated: int
    removed: int
    imported: int


class CodeIn(Schema):
    code: str = Field(max_length=64)


StepIdList = Annotated[list[ObjectId], Field(max_length=100)]


class OAuthStartIn(CodeIn):
    # The before-joining steps the person accepted (ids); the invite's required ones must be there.
    accepted_steps: StepIdList = Field(default_factory=list)


class RedeemIn(Schema):
    """Only ``code`` and one of ``email`` / ``pin_id`` are read; other fields are ignored."""

    code: str = Field(max_length=64)
    email: str | None = Field(default=None, max_length=254)
    pin_id: str | None = Field(default=None, max_length=100)
    # With ``email``, a password chooses the local-account path (the owner's setting).
    username: str | None = Field(default=None, max_length=150)
    password: str | None = Field(default=None, max_length=1000)
    # With ``email``: the before-joining steps accepted (with ``pin_id`` they came with the start).
    accepted_steps: StepIdList = Field(default_factory=list)


class ValidateOut(Answer):
    valid: bool
    reason: str
    message: str
    server_name: str | None = None
    libraries: list[str] | None = None
    allow_sync: bool | None = None
    allow_channels: bool | None = None
    allow_camera_upload: bool | None = None
    plex_home: bool | None = None
    expires_at: datetime | None = None
    user_expires_in_days: int | None = None
    # "" none, "sign_in" or "member": sign in with Discord (GET /invite/CODE/discord) first.
    discord_gate: str | None = None
    # Watching away from the owner's home: "included" (the owner has Plex Pass) or
    # "remote_watch_pass" (the friend needs Plex's Remote Watch Pass); null while unknown.
    remote_streaming: Literal["included", "remote_watch_pass"] | None = None


class OAuthStartOut(Answer):
    pin_id: str
    auth_url: str
    expires_at: datetime


class RedeemPartOut(Answer):
    server_id: int
    server_name: str
    status: Literal["done", "pending", "failed", "had_access"]
    member_id: int | None
    error: str | None


class MemberServersOut(MemberDetailOut):
    """``GET /api/users/{id}``: the member row plus every server of the same person."""

    servers: list[MemberServerOut]


class RedeemStatusOut(Answer):
    """A redemption answer: the member's fields at the top level (and again under ``member``),
    or only ``status`` while the Plex sign-in is not finished."""

    status: str
    message: str | None = None
    member: MemberOut | None = None
    id: int | None = None
    email: str | None = None
    username: str | None = None
    plex_id: str | None = None
    thumb: str | None = None
    invite_id: int | None = None
    created_at: datetime | None = None
    last_seen: datetime | None = None
    expires_at: datetime | None = None
    is_active: bool | None = None
    server_id: int | None = None
    person_id: int | None = None
    # The redeemer's welcome page (a signed link that names this member), once there is one.
    welcome_url: str | None = None
    # How each server of the invite went: done, pending (Plex owes it), failed, had_access.
    servers: list[RedeemPartOut] | None = None


class Paged(Protocol):
    @property
    def total(self) -> int: ...
    @property
    def page(self) -> int: ...
    @property
    def page_size(self) -> int: ...


def page_out(page: Paged, items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A ``PageOut`` answer for one page of a list service (``InvitePage``, ``MemberPage``)."""
    return {"items": items, "total": page.total, "page": page.page, "page_size": page.page_size, **extra}


def invite_out(invite: Invite, *, now: datetime | None = None) -> dict[str, Any]:
    return invite_as_api(invite, now=now)


def member_out(member: Member, *, message: str | None = None) -> dict[str, Any]:
    return member_as_api(member, message=message)


def member_servers(member: Member) -> list[dict[str, Any]]:
    return [
        {
            "member_id": row.pk,
            "server_id": row.server_id,
            "server_name": row.server.name,
            "status": row.status,
            "libraries": [int(key) for key in (row.library_keys or [])],
            "expires_at": row.expires_at,
            "reason": row.reason,
        }
        for row in persons.rows_of(member)
    ]


def member_detail_out(
    member: Member, allowance: Allowance | None = None, *, changing: bool | None = None
) -> dict[str, Any]:
    """A member with role, quota and trial; lists pass each one's allowance and whether an
    access change is waiting for Plex (``access.changing_ids``) from one batch."""
    return {
        **member_out(member),
        **member_state(member, allowance),
        "server_id": member.server_id,
        "libraries": [int(key) for key in (member.library_keys or [])],
        "allow_sync": member.allow_sync,
        "allow_channels": member.allow_channels,
        "allow_camera_upload": member.allow_camera_upload,
        "content_limits": member.content_limits or {},
        "access_changing": access.changing(member) is not None if changing is None else changing,
        "plex_access": member.plex_access,
        "plex_home": member.is_home,
        "reason": member.reason,
        "removed_at": member.removed_at,
        **suspension_out(member),
    }


def suspension_out(member: Member) -> dict[str, Any]:
    saved = member.suspended_share or {}
    return {
        "access_end": member.access_end or "default",
        "suspended_at": member.suspended_at,
        "suspended_libraries": [int(key) for key in saved.get("library_keys", [])] if member.suspended_share else None,
    }


# The same bodies serve the admin API (/api/users/...) and Manage Users (/api/me/members/...).


class PermissionsIn(StrictSchema):
    permissions: list[PermissionName] = Field(max_length=10)


class QuotaIn(StrictSchema):
    limit: QuotaLimit | None
    days: QuotaDays | None


class TrialActionIn(StrictSchema):
    action: TrialAction
    days: Annotated[StrictInt, Field(ge=1, le=365)] | None = None
    message: str = Field(default="", max_length=1000)


class SendInviteIn(StrictSchema):
    email: str = Field(max_length=254)
    message: str | None = Field(default=None, max_length=2000)
    # The mail's language; without it, the one the address used before, else the sender's.
    language: str | None = None


class SentOut(Answer):
    delivery_id: int
    email: str
    status: str
