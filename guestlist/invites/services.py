"""Creating, changing, listing and deleting invites (redemption lives in ``redemption.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import BooleanField, CharField, Count, ExpressionWrapper, F, Q, QuerySet, Value, Window
from django.db.models.functions import Cast, Lower
from django.utils import timezone

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Conflict, Invalid, NotFound
from guestlist.core.models import SiteSettings
from guestlist.invites import codes, discord_gate, kept_counts, onboarding, search_index, status
from guestlist.invites.models import Invite, InviteServer, InviteTemplate
from guestlist.invites.qr import forget_qr
from guestlist.members.models import Member
from guestlist.notifications import notify
from guestlist.plex import content_options, libraries
from guestlist.plex.models import MediaServer

MAX_USAGE_LIMIT = 100
MAX_DAYS = 36500
BOOLEAN_FIELDS = ("allow_sync", "allow_channels", "allow_camera_upload", "plex_home")
CREATABLE_FIELDS = frozenset(
    {
        "usage_limit",
        "expires_in_days",
        "expires_at",
        "user_expires_in_days",
        *BOOLEAN_FIELDS,
        "libraries",
        "content_limits",
        "description",
        "code",
        "server_id",
        "servers",
        "trial",
        "step_set_id",
        "discord_gate",
        "discord_role_ids",
    }
)
UPDATABLE_FIELDS = CREATABLE_FIELDS | {"is_active"}
MAX_PAGE_SIZE = 200
MAX_PAGE = 1_000_000
# Database keys are signed 64-bit: a larger number is no id of anything.
MAX_ID = 2**63 - 1
SEARCH_HIT_LIMIT = 5000


# An invite's ``trial`` field: how long the trial of whoever redeems it lasts (members.trials
# runs the trial; the invite only stores the choice).
MAX_TRIAL_DAYS = 365


def clean_trial_field(value: object) -> int | None:
    """The invite field ``trial``: "inherit" (null), "none" (0) or a number of days."""
    if value is None or value == "inherit":
        return None
    if value == "none" or value == 0:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TRIAL_DAYS:
        raise Invalid(
            f'trial must be "inherit", "none" or a number of days from 1 to {MAX_TRIAL_DAYS}.',
            details=[{"field": "trial", "message": "invalid"}],
        )
    return value


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(message, details=[{"field": field, "message": message}])


def _optional_int(data: Mapping[str, Any], field: str, low: int, high: int) -> int | None:
    value = data[field]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(field, f"{field} must be a whole number from {low} to {high}, or null.")
    if not low <= value <= high:
        raise _invalid(field, f"{field} must be from {low} to {high}, or null.")
    return value


def _boolean(data: Mapping[str, Any], field: str) -> bool:
    value = data[field]
    if not isinstance(value, bool):
        raise _invalid(field, f"{field} must be true or false.")
    return value


def pick_server(server_id: object = None) -> MediaServer:
    if server_id is not None:
        if isinstance(server_id, bool) or not isinstance(server_id, int):
            raise _invalid("server_id", "server_id must be a number.")
        server = MediaServer.objects.filter(pk=server_id).first()
        if server is None:
            raise _invalid("server_id", f"There is no server with id {server_id}.")
        return server
    servers = list(MediaServer.objects.all()[:2])
    if not servers:
        raise Invalid("Connect a Plex server before creating invites.", code="not_configured")
    if len(servers) > 1:
        raise _invalid("server_id", "Several servers are connected: say which one with server_id.")
    return servers[0]


MAX_SERVERS = 20


@dataclass(frozen=True)
class ServerChoice:
    """One server an invite shares and the libraries it shares there (stored form)."""

    server: MediaServer
    libraries: str


def invite_servers(invite: Invite) -> list[ServerChoice]:
    """Every server ``invite`` shares, its first server first (issue 20 §3)."""
    extra = [ServerChoice(row.server, row.libraries) for row in invite.extra_servers.select_related("server")]
    return [ServerChoice(invite.server, invite.libraries), *extra]


def server_choices(value: object) -> list[ServerChoice]:
    """The ``servers`` field: a non-empty list of {"server_id": N, "libraries": ...}, each server once."""
    if not isinstance(value, list) or not value:
        raise _invalid("servers", 'servers must be a list of {"server_id": N, "libraries": ...}, at least one.')
    if len(value) > MAX_SERVERS:
        raise _invalid("servers", f"An invite can name at most {MAX_SERVERS} servers.")
    choices: list[ServerChoice] = []
    for entry in value:
        if not isinstance(entry, Mapping) or set(entry) - {"server_id", "libraries"} or "server_id" not in entry:
            raise _invalid("servers", 'Each entry of servers needs "server_id" and may have "libraries".')
        server = pick_server(entry["server_id"])
        if any(choice.server.pk == server.pk for choice in choices):
            raise _invalid("servers", f"The server {server.pk} is named twice.")
        choices.append(ServerChoice(server, libraries.normalize_selection(entry.get("libraries"), server)))
    return choices


def _save_servers(invite: Invite, choices: list[ServerChoice] | None) -> None:
    """Store the further servers (after ``invite.save()``); None leaves them as they are."""
    if choices is None:
        # The first server may have changed (server_id) to one the invite named further on.
        InviteServer.objects.filter(invite=invite, server=invite.server).delete()
        if invite.plex_home and InviteServer.objects.filter(invite=invite).exists():
            raise _invalid("plex_home", "A Plex Home invite shares one server.")
        return
    if invite.plex_home and len(choices) > 1:
        # A Home invite is one invitation to the owner's Plex Home plus one server's share.
        raise _invalid("plex_home", "A Plex Home invite shares one server.")
    InviteServer.objects.filter(invite=invite).delete()
    InviteServer.objects.bulk_create(
        InviteServer(invite=invite, server=choice.server, libraries=choice.libraries) for choice in choices[1:]
    )


def _servers_given(data: Mapping[str, Any]) -> list[ServerChoice] | None:
    if data.get("servers") is None:
        return None
    if data.get("server_id") is not None or "libraries" in data:
        raise _invalid("servers", "Send either servers, or server_id and libraries, not both.")
    return server_choices(data["servers"])


def _expiry(data: Mapping[str, Any], now: datetime, *, creating: bool) -> tuple[bool, datetime | None]:
    """Returns (given, value) for the expiry fields; ``expires_in_days`` counts from now."""
    has_days, has_at = "expires_in_days" in data, "expires_at" in data
    if has_days and has_at and data["expires_in_days"] is not None and data["expires_at"] is not None:
        raise Invalid("Send either expires_in_days or expires_at, not both.")
    if has_days and data["expires_in_days"] is not None:
        days = _optional_int(data, "expires_in_days", 1, MAX_DAYS)
        return True, now + timedelta(days=days or 0)
    if has_at and data["expires_at"] is not None:
        moment = data["expires_at"]
        if not isinstance(moment, datetime):
            raise _invalid("expires_at", "expires_at must be an ISO-8601 date and time.")
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, timezone.get_current_timezone())
        if creating and moment <= now:
            raise _invalid("expires_at", "expires_at must be in the future.")
        return True, moment
    if has_days or has_at:
        return True, None
    return False, None


def _apply_fields(invite: Invite, data: Mapping[str, Any], now: datetime, *, creating: bool) -> None:
    if "usage_limit" in data:
        invite.usage_limit = _optional_int(data, "usage_limit", 1, MAX_USAGE_LIMIT)
    given, expires_at = _expiry(data, now, creating=creating)
    if given:
        invite.expires_at = expires_at
    if "user_expires_in_days" in data:
        invite.user_expires_in_days = _optional_int(data, "user_expires_in_days", 1, MAX_DAYS)
    for field in BOOLEAN_FIELDS:
        if field in data:
            setattr(invite, field, _boolean(data, field))
    if "is_active" in data:
        invite.is_active = _boolean(data, "is_active")
    if "libraries" in data:
        invite.libraries = libraries.normalize_selection(data["libraries"], invite.server)
    if "content_limits" in data:
        invite.content_limits = content_options.clean(data["content_limits"], invite.server)
    if "trial" in data:
        invite.trial_days = clean_trial_field(data["trial"])
    if "step_set_id" in data:
        invite.step_set = onboarding.pick_set(data["step_set_id"])
    apply_discord_fields(invite, data)
    if "description" in data:
        description = data["description"] or ""
        if not isinstance(description, str) or len(description) > 500:
            raise _invalid("description", "description must be text of at most 500 characters.")
        invite.description = description.strip()


def clean_role_ids(value: object) -> list[str]:
    """A list of Discord role ids (snowflakes, as text or numbers)."""
    if value is None:
        return []
    if not isinstance(value, list | tuple) or len(value) > 50:
        raise _invalid("discord_role_ids", "discord_role_ids must be a list of Discord role ids.")
    cleaned = []
    for item in value:
        text = str(item).strip()
        if isinstance(item, bool) or not text.isdigit() or not 15 <= len(text) <= 22:
            raise _invalid("discord_role_ids", "discord_role_ids must be a list of Discord role ids.")
        if text not in cleaned:
            cleaned.append(text)
    return cleaned


def apply_discord_fields(target: Invite | InviteTemplate, data: Mapping[str, Any]) -> None:
    """An invite's (or template's) Discord gate, checked against the Discord connection."""
    if "discord_gate" not in data and "discord_role_ids" not in data:
        return
    if "discord_gate" in data:
        target.discord_gate = str(data["discord_gate"] or "")
    if "discord_role_ids" in data:
        target.discord_role_ids = clean_role_ids(data["discord_role_ids"])
    if target.discord_gate != discord_gate.MEMBER and "discord_role_ids" not in data:
        target.discord_role_ids = []
    discord_gate.check_gate(target.discord_gate, target.discord_role_ids)


def defaults_from_settings(site: SiteSettings | None = None) -> dict[str, Any]:
    """Streamarr's basic invite: the owner's defaults (single use, no expiry, default libraries)."""
    site = site or SiteSettings.load()
    return {
        "usage_limit": site.default_usage_limit,
        "expires_in_days": site.default_expires_in_days,
        "user_expires_in_days": site.default_user_expires_in_days,
        "allow_sync": site.default_allow_sync,
        "allow_channels": site.default_allow_channels,
        "allow_camera_upload": site.default_allow_camera_upload,
        "plex_home": False,
        "libraries": site.default_libraries or libraries.DEFAULT,
    }


def create_invite(data: Mapping[str, Any], *, actor: Actor, created_by: User | None = None) -> Invite:
    """Create an invite; omitted fields take the owner's defaults, explicit nulls mean none."""
    unknown = set(data) - CREATABLE_FIELDS
    if unknown:
        raise Invalid(f"Unknown fields: {', '.join(sorted(unknown))}.")
    now = timezone.now()
    choices = _servers_given(data)
    server = choices[0].server if choices else pick_server(data.get("server_id"))
    merged = {**defaults_from_settings(), **data}
    merged.pop("servers", None)
    if choices:
        merged["libraries"] = choices[0].libraries
    if "expires_at" in data and "expires_in_days" not in data:
        merged.pop("expires_in_days", None)
    invite = Invite(server=server, created_by=created_by, created_by_label=actor.label[:150])
    _apply_fields(invite, merged, now, creating=True)
    custom = data.get("code")
    if custom is not None:
        if not isinstance(custom, str) or not codes.is_valid_custom(custom):
            raise _invalid("code", "A custom code needs 8 to 32 letters, digits, '-' or '_'.")
        invite.code = codes.normalize(custom)
        if Invite.objects.filter(code=invite.code).exists():
            raise Conflict(f"The code {invite.code} is already taken.", code="code_taken")
    for _attempt in range(5):
        if custom is None:
            invite.code = codes.generate_code()
        try:
            with transaction.atomic():
                invite.save()
                _save_servers(invite, choices)
                audit.record(actor, "invite.create", invite, fields=_audit_fields(invite))
                notify.invite_created(invite)
        except IntegrityError:
            if custom is not None:
                raise Conflict(f"The code {invite.code} is already taken.", code="code_taken") from None
            continue
        return invite
    raise Conflict("Could not find a free invite code; try again.", code="code_taken")


def _audit_fields(invite: Invite) -> dict[str, Any]:
    return {
        "code": invite.code,
        "usage_limit": invite.usage_limit,
        "expires_at": invite.expires_at.isoformat() if invite.expires_at else None,
        "user_expires_in_days": invite.user_expires_in_days,
        "libraries": invite.libraries,
        "content_limits": invite.content_limits or {},
        "servers": [[row.server_id, row.libraries] for row in invite.extra_servers.all()] if invite.pk else [],
        **{field: getattr(invite, field) for field in BOOLEAN_FIELDS},
        "is_active": invite.is_active,
        "trial_days": invite.trial_days,
        "step_set_id": invite.step_set_id,
        "discord_gate": invite.discord_gate,
        "discord_role_ids": list(invite.discord_role_ids),
    }


def update_invite(invite: Invite, changes: Mapping[str, Any], *, actor: Actor) -> Invite:
    """Partial update. Raising a used-up invite's limit makes it redeemable again (Streamarr)."""
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise Invalid(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
    before = _audit_fields(invite)
    with transaction.atomic():
        # Re-read under the write lock: used_count may have moved since the caller loaded it.
        invite = Invite.objects.select_for_update().get(pk=invite.pk)
        choices = _servers_given(changes)
        if choices:
            invite.server = choices[0].server
            changes = {**changes, "libraries": choices[0].libraries}
        elif "server_id" in changes and changes["server_id"] != invite.server_id:
            invite.server = pick_server(changes["server_id"])
            if "libraries" not in changes:
                # Section keys belong to one server: they must exist on the new one too.
                invite.libraries = libraries.normalize_selection(invite.libraries, invite.server)
        _apply_fields(invite, changes, timezone.now(), creating=False)
        if "code" in changes:
            _change_code(invite, changes["code"])
        if invite.usage_limit is not None and invite.usage_limit < invite.used_count:
            raise _invalid("usage_limit", f"usage_limit cannot be below the {invite.used_count} uses already made.")
        try:
            with transaction.atomic():
                invite.save()
        except IntegrityError:
            raise Conflict(f"The code {invite.code} is already taken.", code="code_taken") from None
        _save_servers(invite, choices)
        after = _audit_fields(invite)
        changed = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
        audit.record(actor, "invite.update", invite, changes=changed)
    return invite


def _change_code(invite: Invite, custom: object) -> None:
    """A new custom code; codes are kept upper-case, so "taken" ignores case."""
    if not isinstance(custom, str) or not codes.is_valid_custom(custom):
        raise _invalid("code", "A custom code needs 8 to 32 letters, digits, '-' or '_'.")
    code = codes.normalize(custom)
    if Invite.objects.filter(code=code).exclude(pk=invite.pk).exists():
        raise Conflict(f"The code {code} is already taken.", code="code_taken")
    if code != invite.code:
        forget_qr(invite.code)
    invite.code = code


def set_active(invite: Invite, active: bool, *, actor: Actor) -> Invite:
    return update_invite(invite, {"is_active": active}, actor=actor)


@dataclass(frozen=True)
class DeleteOutcome:
    members_kept: int


def delete_invite(invite: Invite, *, actor: Actor, force: bool = False) -> DeleteOutcome:
    """Delete an invite. Members who came through it keep their access and their history."""
    members = Member.objects.filter(invite=invite).count()
    if members and not force:
        raise Conflict(
            f"{members} member(s) joined through this invite. Deleting it does not remove their Plex "
            "access, and their history keeps the code; send force=true to delete it anyway.",
            code="invite_has_members",
            details={"members": members},
        )
    with transaction.atomic():
        audit.record(actor, "invite.delete", invite, code=invite.code, members_kept=members, forced=force)
        invite.delete()

    forget_qr(invite.code)
    return DeleteOutcome(members_kept=members)


CREATOR_LEFT = "creator_left"


def disable_invites_of_departed(member: Member, *, actor: Actor) -> int:
    """A member's access ended: the invites they made that could still bring people in stop.

    Call inside the transaction that ends the membership. The owner may keep such invites
    working (``keep_departed_members_invites``). Each invite is audited like any change of
    ``is_active``, with the reason.
    """
    if member.user_id is None or SiteSettings.current().keep_departed_members_invites:
        return 0
    disabled = 0
    usable = Q(usage_limit__isnull=True) | Q(used_count__lt=F("usage_limit"))
    for invite in Invite.objects.filter(usable, created_by_id=member.user_id, is_active=True):
        if Invite.objects.filter(pk=invite.pk, is_active=True).update(is_active=False, updated_at=timezone.now()):
            audit.record(actor, "invite.update", invite, changes={"is_active": [True, False]}, reason=CREATOR_LEFT)
            disabled += 1
    return disabled


def delete_if_orphaned(invite_id: int | None, *, actor: Actor) -> bool:
    """A fully used invite whose last member left goes away (contract.md, "Background jobs")."""
    if invite_id is None:
        return False
    invite = Invite.objects.filter(pk=invite_id).first()
    if invite is None or not status.is_used_up(invite):
        return False
    # A suspended member may be renewed: their invite is kept for them.
    held = ("pending", "active", "removing", "suspending", "suspended")
    if Member.objects.filter(invite=invite, status__in=held).exists():
        return False
    with transaction.atomic():
        audit.record(actor, "invite.delete", invite, code=invite.code, reason="orphaned")
        invite.delete()

    forget_qr(invite.code)
    return True


def get_invite(invite_id: int) -> Invite:
    invite = Invite.objects.select_related("server").filter(pk=invite_id).first()
    if invite is None:
        raise NotFound(f"There is no invite with id {invite_id}.")
    return invite


def find_by_code(code: str) -> Invite | None:
    if not codes.looks_like_code(code):
        return None
    return Invite.objects.select_related("server").filter(code=codes.normalize(code)).first()


@dataclass(frozen=True)
class InviteQuery:
    status: str = "all"
    search: str = ""
    created_by: str = ""
    created_after: datetime | None = None
    created_before: datetime | None = None
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class InvitePage:
    items: list[Invite]
    total: int
    counts: dict[str, int]
    page: int
    page_size: int


def _search_q(term: str) -> Q:
    if len(term) >= search_index.MIN_TRIGRAM_TERM and search_index.fts_ready():
        # SQLite's trigram index answers "contains" for three characters or more (its
        # module docstring); the same rows as the LIKE scan below, read from the index.
        members_of = Member.objects.filter(
            pk__in=search_index.matching_ids("members_member", term), invite__isnull=False
        ).values("invite_id")
        return Q(pk__in=search_index.matching_ids("invites_invite", term)) | Q(pk__in=members_of)
    matching = Member.objects.filter(Q(email__icontains=term) | Q(username__icontains=term))
    # The members' invites as a literal id list, read first; a huge list stays a subquery.
    # PostgreSQL ORs a literal list into the invites' trigram bitmap and hashes it when it
    # scans; "id = ANY(ARRAY(subquery))" it cannot hash, and a one-letter search that scans
    # compared every invite with every member's (3.6 s at 100k invites). On SQLite neither
    # DISTINCT nor "invite_id IS NOT NULL" in SQL: with either, SQLite walks the invite_id
    # index and looks up every member's row (27 ms for 20,000 where its scan takes 5).
    rows = list(matching.order_by().values_list("invite_id", flat=True)[: SEARCH_HIT_LIMIT + 1])
    if len(rows) <= SEARCH_HIT_LIMIT:
        by_member = Q(pk__in={invite_id for invite_id in rows if invite_id is not None})
    else:
        by_member = Q(pk__in=matching.filter(invite__isnull=False).values("invite_id"))
    return Q(code__contains=term.upper()) | Q(description__icontains=term) | by_member


def invite_queryset(query: InviteQuery, *, created_by_id: int | None = None) -> QuerySet[Invite]:
    invites = Invite.objects.all()
    if created_by_id is not None:
        invites = invites.filter(created_by_id=created_by_id)
    if query.search.strip():
        invites = invites.filter(_search_q(query.search.strip()))
    if query.created_by.strip():
        # LOWER on both sides, not iexact: SQLite's LIKE cannot use the case-insensitive index.
        invites = invites.alias(creator=Lower("created_by_label")).filter(
            creator=Lower(Value(query.created_by.strip()))
        )
    if query.created_after is not None:
        invites = invites.filter(created_at__gte=query.created_after)
    if query.created_before is not None:
        invites = invites.filter(created_at__lte=query.created_before)
    return invites


def status_counts(
    base: QuerySet[Invite], now: datetime, *, narrowed: bool, narrowing: str | None = None
) -> dict[str, int]:
    """Every filter tab's count in one query.

    Over the whole table, one scalar subquery per tab lets each use its own index instead
    of one scan evaluating six predicates per row; once a search narrowed the rows, a single
    pass with conditional counts is cheaper. With a ``narrowing`` (a key naming the filter
    that made ``base``; "" for the whole table) the counts are kept until an invite changes
    or expires (``kept_counts``).
    """
    # Inside a transaction the counts must see its own writes, which PostgreSQL's stamp only
    # records at commit: count afresh there (tests run inside one; requests do not).
    use_cache = narrowing is not None and not connection.in_atomic_block
    stamp = kept_counts.read_stamp() if use_cache else None
    kept: dict[str, int] | None = kept_counts.cached(now, stamp, narrowing or "")
    if kept is not None:
        return kept
    if narrowed:
        found = base.aggregate(
            **{name: Count("id", filter=status.filter_q(name, now)) for name in status.FILTERS if name != "all"},
            all=Count("id"),
        )
        kept_counts.keep(now, stamp, found, narrowing or "")
        return found
    parts: list[str] = []
    params: list[Any] = []
    for name in status.FILTERS:
        subset = base.filter(status.filter_q(name, now)) if name != "all" else base
        sql, sub_params = subset.order_by().values("pk").query.sql_with_params()
        # Django compiled ``sql`` with placeholders; the values travel separately in ``params``.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{name})")  # noqa: S608
        params.extend(sub_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    counts = {name: int(value) for name, value in zip(status.FILTERS, row, strict=True)}
    kept_counts.keep(now, stamp, counts)
    return counts


def _page_of_search(base: QuerySet[Invite], query: InviteQuery, now: datetime, page_size: int) -> InvitePage | None:
    """A search's page and its tab counts from one reading of the search's rows.

    A search finds its rows through a text index (or a scan) whatever we do; reading them
    once for the tab counts and again for the page would double that. On PostgreSQL one
    statement counts each tab over the hits in a window and sends back only the page's
    rows. SQLite, in process, hands every hit's key, creation time and tabs (decided by
    the list filters' own predicates) to Python, which counts and orders them; the creation
    time comes as text, which orders as the time does (UTC, ISO), so no hit's date is
    parsed, which was most of the work. Too many hits (a one-letter search) and SQLite's
    filters through its indexes are cheaper: None.
    """
    tabs = [name for name in status.FILTERS if name != "all"]
    if connection.vendor == "postgresql":
        return _page_counted_in_window(base, query, now, page_size, tabs)
    flags = {f"in_{name}": ExpressionWrapper(status.filter_q(name, now), output_field=BooleanField()) for name in tabs}
    hits = list(
        base.order_by()
        .annotate(created_text=Cast("created_at", CharField()), **flags)
        .values_list("pk", "created_text", *flags)[: SEARCH_HIT_LIMIT + 1]
    )
    if len(hits) > SEARCH_HIT_LIMIT:
        return None
    # A hit is (pk, created_text, in_<tab>, ...): a tab's flag sits at 2 + its place in ``tabs``.
    counts = {"all": len(hits)} | {name: sum(1 for hit in hits if hit[2 + place]) for place, name in enumerate(tabs)}
    shown = hits if query.status == "all" else [hit for hit in hits if hit[2 + tabs.index(query.status)]]
    chosen = sorted(shown, key=lambda hit: (hit[1], hit[0]), reverse=True)[
        (query.page - 1) * page_size : query.page * page_size
    ]
    by_pk = {
        invite.pk: invite for invite in with_more_servers(Invite.objects.filter(pk__in=[hit[0] for hit in chosen]))
    }
    items = [by_pk[hit[0]] for hit in chosen if hit[0] in by_pk]
    return InvitePage(items=items, total=counts[query.status], counts=counts, page=query.page, page_size=page_size)


def _page_counted_in_window(
    base: QuerySet[Invite], query: InviteQuery, now: datetime, page_size: int, tabs: list[str]
) -> InvitePage:
    """PostgreSQL: the hits counted per tab in a window, then the page's rows kept and ordered.

    The window is computed over every hit before the outer query keeps the shown tab's, so
    each row carries all the counts; an empty page has none and, unless the search found
    nothing at all, counts apart.
    """
    shown = status.filter_q(query.status, now) if query.status != "all" else Q(pk__isnull=False)
    counted = base.order_by().annotate(
        hits_all=Window(Count("id")),
        **{f"hits_{name}": Window(Count("id", filter=status.filter_q(name, now))) for name in tabs},
        shown=ExpressionWrapper(shown, output_field=BooleanField()),
    )
    sql, params = counted.query.sql_with_params()
    # ``sql`` is Django's, with placeholders; the values travel in the parameters.
    page = Invite.objects.raw(
        f"SELECT * FROM ({sql}) AS hits WHERE hits.shown"  # noqa: S608
        " ORDER BY hits.created_at DESC, hits.id DESC LIMIT %s OFFSET %s",
        [*params, page_size, (query.page - 1) * page_size],
    )
    items = with_more_servers(page)
    if items:
        counts = {name: getattr(items[0], f"hits_{name}") for name in status.FILTERS}
    elif query.status == "all" and query.page == 1:
        counts = dict.fromkeys(status.FILTERS, 0)  # no hit at all
    else:
        counts = status_counts(base, now, narrowed=True)
    return InvitePage(items=items, total=counts[query.status], counts=counts, page=query.page, page_size=page_size)


def with_more_servers(invites: Iterable[Invite]) -> list[Invite]:
    """A page of invites with their further servers (``Invite.more_servers``), in one query.

    Django's ``prefetch_related`` builds a queryset per invite, and ``select_related`` a copy
    of the server per row: together most of the time a 50-row page took to read (about 3 ms).
    Nothing a list shows names the server itself, so it is not read at all.
    """
    items = list(invites)
    if not items:
        return items
    more: dict[int, list[InviteServer]] = {invite.pk: [] for invite in items}
    for row in InviteServer.objects.filter(invite_id__in=list(more)).order_by("id"):
        more[row.invite_id].append(row)
    for invite in items:
        invite.keep_more_servers(more[invite.pk])
    return items


DEEP_PAGE_OFFSET = 1000


def list_invites(query: InviteQuery, *, created_by_id: int | None = None) -> InvitePage:
    """A page of invites; ``created_by_id`` narrows it to one account's (the member area)."""
    if query.status not in status.FILTERS:
        raise _invalid("status", f"status must be one of {', '.join(status.FILTERS)}.")
    now = timezone.now()
    base = invite_queryset(query, created_by_id=created_by_id)
    page_size = max(1, min(query.page_size, MAX_PAGE_SIZE))
    # Pages past the end are empty; the bound keeps the offset inside what databases take.
    query = replace(query, page=max(1, min(query.page, MAX_PAGE)))
    if query.search.strip():
        found = _page_of_search(base, query, now, page_size)
        if found is not None:
            return found
    narrowed = bool(
        created_by_id is not None
        or query.search.strip()
        or query.created_by.strip()
        or query.created_after
        or query.created_before
        or created_by_id is not None
    )
    # A search's counts are not kept (it has its own path above); filters by creator and dates
    # are, under a key naming them, since paging through a filtered list repeats them.
    narrowing = (
        None
        if query.search.strip()
        else repr((created_by_id, query.created_by.strip().lower(), query.created_after, query.created_before))
    )
    counts = status_counts(base, now, narrowed=narrowed, narrowing=narrowing if narrowed else "")
    filtered = base.filter(status.filter_q(query.status, now)) if query.status != "all" else base
    offset = (query.page - 1) * page_size
    newest_first = filtered.order_by("-created_at", "-id")
    if offset >= DEEP_PAGE_OFFSET:
        # Deep pages: skip rows in the index alone (PostgreSQL reads no table row it skips,
        # SQLite none of their columns), then read the page's rows by key.
        newest_first = Invite.objects.filter(
            pk__in=list(newest_first.values_list("pk", flat=True)[offset : offset + page_size])
        ).order_by("-created_at", "-id")
        offset = 0
    items = with_more_servers(newest_first[offset : offset + page_size])
    return InvitePage(items=items, total=counts[query.status], counts=counts, page=query.page, page_size=page_size)
