"""Who may do what in the members' model (Streamarr's): the one place these rules live.

Every service of the member area (``members/self_service.py``, ``quotas.py``, ``trials.py``) asks
here before acting, whether the call came from the API, a page or the admin API, so a
rule changed here changes everywhere. contract.md "Members' own area" describes them.

Permissions are Django permissions of the ``members`` app assigned to members' users; the
owner and other staff hold them all. An API key acts as staff.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Permission, User
from django.utils import timezone

from guestlist.core.audit import Actor
from guestlist.core.errors import Forbidden, Invalid
from guestlist.core.models import AuditEvent, SiteSettings
from guestlist.members.models import Member

MANAGE_USERS = "manage_users"
MANAGE_INVITES = "manage_invites"
ADVANCED_INVITES = "advanced_invites"
CREATE_INVITES = "create_invites"
VIEW_INVITES = "view_invites"
ALL = (MANAGE_USERS, MANAGE_INVITES, ADVANCED_INVITES, CREATE_INVITES, VIEW_INVITES)
# The app whose Permission rows these are (``members.Member``'s content type).
APP_LABEL = "members"
LABELS = {
    MANAGE_USERS: "Manage Users",
    MANAGE_INVITES: "Manage Invites",
    ADVANCED_INVITES: "Advanced Invites",
    CREATE_INVITES: "Create Invites",
    VIEW_INVITES: "View Invites",
}
# Who may sign in as a member: their access is live, or they still have to link Plex.
SIGN_IN_STATUSES = (Member.Status.PENDING, Member.Status.ACTIVE, Member.Status.UNLINKED)
# Fields of the create form a member without Advanced Invites may still send.
BASIC_FIELDS = frozenset({"description"})
# With Advanced Invites: Streamarr's usage, expiry, libraries and features.
ADVANCED_FIELDS = frozenset(
    {
        "description",
        "usage_limit",
        "expires_in_days",
        "expires_at",
        "libraries",
        "allow_sync",
        "allow_channels",
        "allow_camera_upload",
        "server_id",
    }
)
# Editing an invite (Manage Invites): without Advanced Invites only these.
BASIC_EDIT_FIELDS = frozenset({"is_active", "description"})


def perms_of(user: AbstractBaseUser | AnonymousUser | None) -> frozenset[str]:
    """What one user may do: staff everything, others their own and their groups' grants."""
    if user is None or not user.is_authenticated:
        return frozenset()
    if isinstance(user, User):
        return perms_of_users([user])[user.pk]
    return frozenset(ALL) if getattr(user, "is_staff", False) else frozenset()


def perms_of_users(users: Iterable[User]) -> dict[int, frozenset[str]]:
    """``perms_of`` for many users at once, in two queries whatever their number.

    As Django's own permission check: staff may do everything, an inactive account nothing,
    and a grant counts whether it was given to the user or to one of their groups.
    """
    users = list(users)
    granted: dict[int, set[str]] = {user.pk: set() for user in users}
    asked = [user.pk for user in users if user.is_active and not user.is_staff]
    if asked:
        ours = Permission.objects.filter(content_type__app_label=APP_LABEL, codename__in=ALL)
        granted_to_user = ours.filter(user__in=asked).values_list("user__id", "codename")
        granted_to_group = ours.filter(group__user__in=asked).values_list("group__user__id", "codename")
        for user_id, codename in [*granted_to_user, *granted_to_group]:
            granted[user_id].add(codename)
    return {
        user.pk: frozenset(ALL) if user.is_staff else frozenset(granted[user.pk] if user.is_active else ())
        for user in users
    }


def quota_exempt(staff: bool, perms: Iterable[str]) -> bool:
    """Streamarr's exemptions from the invite quota: staff and holders of Manage Users or Manage Invites."""
    return staff or bool(set(perms) & {MANAGE_USERS, MANAGE_INVITES})


@dataclass(frozen=True)
class Caller:
    """Who is asking, with what they may do. ``user`` is None for an API key (staff)."""

    actor: Actor
    user: User | None
    staff: bool
    perms: frozenset[str]
    member: Member | None = None

    @classmethod
    def admin(cls, actor: Actor, user: User | None = None) -> Caller:
        member = Member.objects.filter(user=user).first() if user is not None else None
        return cls(actor, user, True, frozenset(ALL), member)

    def has(self, perm: str) -> bool:
        return self.staff or perm in self.perms

    @property
    def in_trial(self) -> bool:
        return not self.staff and self.member is not None and self.member.in_trial

    @property
    def quota_exempt(self) -> bool:
        return quota_exempt(self.staff, self.perms)


def member_of_user(user: User) -> Member | None:
    return Member.objects.select_related("server", "invite").filter(user=user).first()


def caller_for(user: User, ip: str | None = None) -> Caller:
    """The caller behind a signed-in session; a non-staff account needs a live membership."""
    if user.is_staff:
        return Caller.admin(Actor.admin(user, ip), user)
    member = member_of_user(user)
    if member is None or member.status not in SIGN_IN_STATUSES:
        raise Forbidden("This account has no membership here any more.", code="not_a_member")
    actor = Actor(AuditEvent.Actor.MEMBER, display_name(member, user), user.pk, ip)
    return Caller(actor, user, False, perms_of(user), member)


def display_name(member: Member | None, user: User | None) -> str:
    if member is not None and (member.username or member.email):
        return member.username or member.email
    return user.get_username() if user is not None else ""


def denied(perm: str) -> Forbidden:
    return Forbidden(
        f"This needs the {LABELS[perm]} permission.", code="permission_denied", details={"permission": perm}
    )


def require(caller: Caller, *any_of: str) -> None:
    if not any(caller.has(perm) for perm in any_of):
        raise denied(any_of[0])


def check_create(caller: Caller, data: Mapping[str, Any]) -> dict[str, Any]:
    """What a caller may put into a new invite; the fields ``create_invite`` then gets.

    Staff send anything. A member needs Create Invites (or Manage Invites) and no running
    trial; without Advanced Invites they get the basic invite (single use, no expiry, the
    owner's default libraries) and every other field is refused rather than ignored, so a
    client never believes it set something it did not. Plex Home stays the owner's.
    """
    if caller.staff:
        return dict(data)
    require(caller, CREATE_INVITES, MANAGE_INVITES)
    if caller.in_trial:
        raise Forbidden("Members in their trial period cannot create invites yet.", code="trial_member")
    if data.get("plex_home"):
        raise Forbidden("Only the server's owner can make Plex Home invites.", code="owner_only")
    fields = set(data) - {"plex_home"}
    if "trial" in fields and caller.has(MANAGE_USERS) and caller.has(ADVANCED_INVITES):
        fields.discard("trial")
    allowed = ADVANCED_FIELDS if caller.has(ADVANCED_INVITES) else BASIC_FIELDS
    refused = sorted(fields - allowed)
    if refused:
        perm = ADVANCED_INVITES if not caller.has(ADVANCED_INVITES) and set(refused) <= ADVANCED_FIELDS else None
        raise Forbidden(
            f"These fields are not yours to set: {', '.join(refused)}.",
            code="advanced_invites_required" if perm else "field_not_allowed",
            details={"fields": refused},
        )
    basic: dict[str, Any] = {"usage_limit": 1, "expires_in_days": None, "plex_home": False}
    if not caller.has(ADVANCED_INVITES):
        basic["libraries"] = "default"
    return {**basic, **{key: value for key, value in data.items() if key != "plex_home"}}


def check_edit(caller: Caller, changes: Mapping[str, Any]) -> None:
    """Changing an existing invite: Manage Invites; the advanced fields need Advanced Invites."""
    if caller.staff:
        return
    require(caller, MANAGE_INVITES)
    if "plex_home" in changes:
        raise Forbidden("Only the server's owner can make Plex Home invites.", code="owner_only")
    allowed = (
        (ADVANCED_FIELDS - {"server_id"}) | BASIC_EDIT_FIELDS if caller.has(ADVANCED_INVITES) else BASIC_EDIT_FIELDS
    )
    refused = sorted(set(changes) - allowed)
    if refused:
        raise Forbidden(
            f"These fields are not yours to change: {', '.join(refused)}.",
            code="advanced_invites_required",
            details={"fields": refused},
        )


def check_list(caller: Caller, *, everyone: bool) -> None:
    """View Invites: one's own invites; Manage Invites: everyone's."""
    if everyone:
        require(caller, MANAGE_INVITES)
    else:
        require(caller, VIEW_INVITES, MANAGE_INVITES)


def check_invite(caller: Caller, created_by_id: int | None, used_count: int, action: str) -> None:
    """``action`` is ``view``, ``send`` (mail its link) or ``delete`` of one invite.

    A creator deletes their own invite while nobody used it (Create Invites or View
    Invites); Manage Invites deletes any (the usual ``force`` rule for members' invites).
    """
    if caller.has(MANAGE_INVITES):
        return
    own = caller.user is not None and created_by_id == caller.user.pk
    if action == "view" and own and caller.has(VIEW_INVITES):
        return
    if action == "send" and own and (caller.has(CREATE_INVITES) or caller.has(VIEW_INVITES)):
        return  # whoever may make an invite may hand its link on
    if action == "delete" and own and (caller.has(CREATE_INVITES) or caller.has(VIEW_INVITES)):
        if used_count:
            raise Forbidden(
                "Someone joined through this invite; only an admin or Manage Invites can delete it now.",
                code="invite_used",
            )
        return
    if own or caller.has(VIEW_INVITES):
        raise denied(MANAGE_INVITES)
    raise denied(VIEW_INVITES)


def check_manage_member(caller: Caller, member: Member) -> None:
    """Manage Users: see members, change their expiry, permissions, quota and trial.

    Holders act on other members only: never on themselves, never on a staff account.
    """
    if caller.staff:
        return
    require(caller, MANAGE_USERS)
    if caller.member is not None and caller.member.pk == member.pk:
        raise Forbidden("You cannot change your own membership.", code="own_membership")
    if member.user is not None and member.user.is_staff:
        raise Forbidden("Admins are changed by the owner.", code="owner_only")


def check_expiry(caller: Caller, expires_at: datetime | None) -> None:
    """Manage Users moves a member's end date, but only staff end access there and then:
    a date that has passed would let the expiry job take the share away at once."""
    if caller.staff or expires_at is None:
        return
    if timezone.is_naive(expires_at):
        expires_at = timezone.make_aware(expires_at, timezone.get_current_timezone())
    if expires_at <= timezone.now():
        raise Invalid(
            "Pick a moment in the future; only an admin can end a membership now.",
            details=[{"field": "expires_at", "message": "in_the_past"}],
        )


def default_permissions(site: SiteSettings | None = None) -> list[str]:
    site = site or SiteSettings.current()
    return [perm for perm in ALL if perm in (site.default_member_permissions or [])]


def clean_permissions(values: Iterable[object]) -> list[str]:
    chosen: list[str] = []
    for value in values:
        if not isinstance(value, str) or value not in ALL:
            raise Invalid(
                f"Permissions are {', '.join(ALL)}.", details=[{"field": "permissions", "message": str(value)}]
            )
        if value not in chosen:
            chosen.append(value)
    return [perm for perm in ALL if perm in chosen]


def check_grant(caller: Caller, before: frozenset[str], after: Iterable[str]) -> None:
    """Only staff hand out or take away Manage Users, so holders cannot multiply themselves."""
    if caller.staff:
        return
    if (MANAGE_USERS in before) != (MANAGE_USERS in set(after)):
        raise Forbidden("Only an admin can grant or take away Manage Users.", code="owner_only")


def set_user_permissions(user: User, perms: Iterable[str]) -> None:
    wanted = list(perms)
    objects = Permission.objects.filter(content_type__app_label=APP_LABEL, codename__in=list(ALL))
    keep = [p for p in user.user_permissions.all() if p.content_type.app_label != APP_LABEL or p.codename not in ALL]
    user.user_permissions.set([*keep, *(p for p in objects if p.codename in wanted)])
    # Django caches permissions on the object; the next check must see the new ones.
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)
