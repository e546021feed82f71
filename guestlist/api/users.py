"""Admin member endpoints (contract.md "Members (admin)")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictBool, StrictInt, ValidationError

from guestlist.api.auth import admin_auth, admin_caller
from guestlist.api.invites import principal
from guestlist.api.schemas import (
    AccessEndIn,
    Answer,
    BulkAccessIn,
    BulkAccessOut,
    ExpirationIn,
    MemberAccessIn,
    MemberDetailOut,
    MemberListOut,
    MemberOut,
    MemberServersOut,
    MemberStatusFilter,
    ObjectId,
    PageNumber,
    PageSize,
    PermissionsIn,
    QuotaIn,
    RedeemStatusOut,
    ResolveAccessIn,
    StrictSchema,
    SyncOut,
    TrialActionIn,
    member_detail_out,
    member_out,
    member_servers,
    page_out,
)
from guestlist.core.errors import Invalid
from guestlist.core.models import SiteSettings
from guestlist.members import access, erasure, inactivity, self_service, services, suspension
from guestlist.members.sync import import_chosen, importable_friends, sync_now
from guestlist.plex.models import MediaServer
from guestlist.transfer.members_csv import members_csv

router = Router(tags=["users"], auth=admin_auth)


class MemberFilters(Schema):
    search: str = ""
    status: MemberStatusFilter = "all"
    invite_id: ObjectId | None = None
    page: PageNumber = 1
    page_size: PageSize = 50
    not_seen_days: Annotated[int, Field(ge=0, le=36500)] | None = None
    sort: Literal["-created_at", "created_at", "last_seen", "-last_seen"] = "-created_at"
    # Each person once (their first server's member) instead of one member per server.
    persons: bool = False


@router.get("/", response=MemberListOut, summary="List members")
def list_members(request: HttpRequest, filters: Query[MemberFilters]) -> dict[str, Any]:
    page = services.list_members(services.MemberQuery(**filters.model_dump()))
    items = [
        {
            **member_out(member),
            "person_last_seen": getattr(member, "person_last_seen", None),
            "person_last_title": getattr(member, "person_last_title", None),
        }
        for member in page.items
    ]
    return page_out(page, items)


class SyncIn(StrictSchema):
    import_friends: StrictBool = False


def _sync_options(request: HttpRequest) -> SyncIn:
    # The body is optional (a bare POST is the common call), which ninja cannot express;
    # a form post (an HTMX button) may carry the flag as a field.
    if request.content_type != "application/json":
        return SyncIn(import_friends=request.POST.get("import_friends", "").lower() in ("true", "on", "1"))
    if not request.body.strip():
        return SyncIn()
    try:
        return SyncIn.model_validate_json(request.body)
    except ValidationError as exc:
        raise Invalid("The body may only hold import_friends: true or false.") from exc


@router.post(
    "/sync",
    response=SyncOut,
    summary="Read Plex's users now and update members",
    openapi_extra={
        "requestBody": {"required": False, "content": {"application/json": {"schema": SyncIn.model_json_schema()}}}
    },
)
def sync_members(request: HttpRequest) -> dict[str, int]:
    options = _sync_options(request)
    outcome = sync_now(actor=principal(request).actor, import_friends=options.import_friends)
    return {"updated": outcome.updated, "removed": outcome.removed, "imported": outcome.imported}


class ImportableOut(Answer):
    plex_id: str
    username: str
    email: str
    thumb: str
    plex_home: bool
    server_id: int
    last_seen: datetime | None


class ImportableListOut(Answer):
    items: list[ImportableOut]
    total: int


@router.get("/importable", response=ImportableListOut, summary="Plex users with access who are not members yet")
def list_importable(request: HttpRequest) -> dict[str, Any]:
    items = [
        {
            "plex_id": str(user.id),
            "username": user.username or user.title,
            "email": user.email,
            "thumb": user.thumb,
            "plex_home": user.home,
            "server_id": server.pk,
            "last_seen": user.last_seen_at,
        }
        for server in MediaServer.objects.all()
        for user in importable_friends(server)
    ]
    return {"items": items, "total": len(items)}


class ImportIn(StrictSchema):
    plex_ids: list[StrictInt | str] = Field(min_length=1, max_length=500)
    expires_at: datetime | None = None


class ImportOut(Answer):
    imported: int
    items: list[MemberOut]


@router.post("/import", response=ImportOut, summary="Make members of chosen Plex users")
def import_members(request: HttpRequest, payload: ImportIn) -> dict[str, Any]:
    ids = []
    for value in payload.plex_ids:
        if isinstance(value, str) and not value.isdigit():
            raise Invalid("plex_ids must be Plex account ids (numbers).")
        ids.append(int(value))
    members = import_chosen(ids, actor=principal(request).actor, expires_at=payload.expires_at)
    return {"imported": len(members), "items": [member_out(member) for member in members]}


class InactivityEntryOut(Answer):
    member: MemberOut
    idle_since: datetime
    warned_at: datetime | None
    removal_due: datetime
    # The person's latest last seen on any server, and the members (one per server) it acts on.
    last_seen: datetime | None
    member_ids: list[int]


class PausedServerOut(Answer):
    server_id: int
    server: str
    kind: str
    reason: str


class InactivityPreviewOut(Answer):
    enabled: bool
    days: int
    grace_days: int
    remove: list[InactivityEntryOut]
    warn: list[InactivityEntryOut]
    waiting: list[InactivityEntryOut]
    exempt: list[MemberOut]
    paused: list[PausedServerOut]
    held: list[MemberOut]


def _entries(entries: list[inactivity.Planned]) -> list[dict[str, Any]]:
    return [
        {
            "member": member_out(entry.member),
            "idle_since": entry.idle_since,
            "warned_at": entry.warned_at,
            "removal_due": entry.removal_due,
            "last_seen": entry.last_seen,
            "member_ids": [row.pk for row in entry.rows],
        }
        for entry in entries
    ]


@router.get("/inactivity", response=InactivityPreviewOut, summary="What the inactivity rule does next (a preview)")
def inactivity_preview(request: HttpRequest) -> dict[str, Any]:
    plan = inactivity.plan()
    servers = {server.name: server.pk for server in MediaServer.objects.all()}
    return {
        "enabled": SiteSettings.load().inactivity_enabled,
        "days": plan.rule.days,
        "grace_days": plan.rule.grace_days,
        "remove": _entries(plan.remove),
        "warn": _entries(plan.warn),
        "waiting": _entries(plan.waiting),
        "exempt": [member_out(member) for member in plan.exempt],
        "held": [member_out(member) for member in plan.held],
        "paused": [
            {"server_id": servers.get(name, 0), "server": name, "kind": why.kind, "reason": why.reason}
            for name, why in plan.paused.items()
        ],
    }


class InactivityExemptIn(StrictSchema):
    exempt: StrictBool


class InactivityExemptOut(Answer):
    id: int
    exempt: bool
    warned_at: datetime | None


@router.put(
    "/{int:member_id}/inactivity", response=InactivityExemptOut, summary="Exempt a member from the inactivity rule"
)
def set_inactivity_exempt(request: HttpRequest, member_id: ObjectId, payload: InactivityExemptIn) -> dict[str, Any]:
    member = inactivity.set_exempt(services.get_member(member_id), payload.exempt, actor=principal(request).actor)
    return {
        "id": member.pk,
        "exempt": member.inactivity_exempt,
        "warned_at": inactivity.standing_warning(member, inactivity.Rule.current()),
    }


@router.get("/export.csv", summary="Every member as CSV", response={200: None})
def export_members(request: HttpRequest) -> HttpResponse:
    return csv_download(members_csv(actor=principal(request).actor), "guestlist-members")


def csv_download(body: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.now():%Y%m%d-%H%M}.csv"'
    return response


@router.post("/{int:member_id}/erase", response=MemberDetailOut, summary="Erase a former member's personal data")
def erase_former_member(request: HttpRequest, member_id: ObjectId) -> dict[str, Any]:
    services.get_member(member_id)  # 404 before anything else
    return member_detail_out(erasure.erase_member(member_id, actor=principal(request).actor))


@router.get("/{int:member_id}", response=MemberServersOut, summary="One member with their share")
def get_member(request: HttpRequest, member_id: ObjectId) -> dict[str, Any]:
    member = services.get_member(member_id)
    return {**member_detail_out(member), "servers": member_servers(member)}


@router.post("/access", response=BulkAccessOut, summary="Change several members' libraries or settings at once")
def change_access_of_many(request: HttpRequest, payload: BulkAccessIn) -> dict[str, Any]:
    changes = payload.model_dump(exclude_unset=True, exclude={"ids"})
    outcome = access.change_access_of_many(list(payload.ids), changes, actor=principal(request).actor)
    return {
        "done": [member.pk for member in outcome.done],
        "changing": [member.pk for member in outcome.changing],
        "refused": [{"id": member.pk, "message": error} for member, error in outcome.refused],
        "skipped": [member.pk for member in outcome.skipped],
    }


@router.patch("/{int:member_id}", response=MemberDetailOut, summary="Change a member's libraries or settings")
def change_access(request: HttpRequest, member_id: ObjectId, payload: MemberAccessIn) -> dict[str, Any]:
    member = services.get_member(member_id)
    outcome = services.change_access(member, payload.model_dump(exclude_unset=True), actor=principal(request).actor)
    return member_detail_out(outcome.member)


@router.post(
    "/{int:member_id}/access/resolve",
    response=MemberDetailOut,
    summary="Settle a difference between Plex and Guestlist: keep Plex's or apply Guestlist's",
)
def resolve_access(request: HttpRequest, member_id: ObjectId, payload: ResolveAccessIn) -> dict[str, Any]:
    member = services.get_member(member_id)
    outcome = access.resolve_difference(member, payload.keep, actor=principal(request).actor)
    access.raise_if_refused(outcome)
    return member_detail_out(outcome.member)


@router.post("/{int:member_id}/refresh", response=MemberDetailOut, summary="Re-read a member from Plex")
def refresh_member(request: HttpRequest, member_id: ObjectId) -> dict[str, Any]:
    member = services.refresh_from_plex(services.get_member(member_id), actor=principal(request).actor)
    return member_detail_out(member)


@router.put("/{int:member_id}/expiration", response=MemberDetailOut, summary="Set or clear a member's expiry")
def set_expiration(request: HttpRequest, member_id: ObjectId, payload: ExpirationIn) -> dict[str, Any]:
    member = services.set_expiry(services.get_member(member_id), payload.expires_at, actor=principal(request).actor)
    return member_detail_out(member)


@router.delete("/{int:member_id}", response={204: None, 202: RedeemStatusOut}, summary="Remove a member's access")
def remove_member(request: HttpRequest, member_id: ObjectId) -> Status[dict[str, Any] | None]:
    outcome = services.remove_member(
        services.get_member(member_id), actor=principal(request).actor, reason="removed by admin"
    )
    if outcome.done:
        return Status(204, None)
    return Status(202, {"status": "removing", "message": outcome.error or None, "member": member_out(outcome.member)})


@router.post(
    "/{int:member_id}/suspend",
    response={200: MemberDetailOut, 202: RedeemStatusOut},
    summary="Suspend a member: keep their share with only the suspension library",
)
def suspend_member(request: HttpRequest, member_id: ObjectId) -> Status[dict[str, Any]]:
    outcome = suspension.suspend_member(services.get_member(member_id), actor=principal(request).actor)
    if outcome.done:
        return Status(200, member_detail_out(outcome.member))
    return Status(202, {"status": "suspending", "message": outcome.error or None, "member": member_out(outcome.member)})


@router.post(
    "/{int:member_id}/restore",
    response={200: MemberDetailOut, 202: RedeemStatusOut},
    summary="Give a suspended member their share back",
)
def restore_member(request: HttpRequest, member_id: ObjectId) -> Status[dict[str, Any]]:
    outcome = suspension.restore_member(services.get_member(member_id), actor=principal(request).actor)
    if outcome.done:
        return Status(200, member_detail_out(outcome.member))
    return Status(202, {"status": "suspended", "message": outcome.error or None, "member": member_out(outcome.member)})


@router.put(
    "/{int:member_id}/access-end", response=MemberDetailOut, summary="Choose what ending a member's access does"
)
def set_access_end(request: HttpRequest, member_id: ObjectId, payload: AccessEndIn) -> dict[str, Any]:
    choice = "" if payload.access_end == "default" else payload.access_end
    member = suspension.set_access_end(services.get_member(member_id), choice, actor=principal(request).actor)
    return member_detail_out(member)


@router.put("/{int:member_id}/permissions", response=MemberDetailOut, summary="Set a member's permissions")
def set_permissions(request: HttpRequest, member_id: ObjectId, payload: PermissionsIn) -> dict[str, Any]:
    member = self_service.set_permissions(admin_caller(principal(request)), member_id, list(payload.permissions))
    return member_detail_out(member)


@router.put("/{int:member_id}/quota", response=MemberDetailOut, summary="Override a member's invite quota")
def set_quota(request: HttpRequest, member_id: ObjectId, payload: QuotaIn) -> dict[str, Any]:
    member = self_service.set_quota(admin_caller(principal(request)), member_id, payload.limit, payload.days)
    return member_detail_out(member)


@router.post("/{int:member_id}/trial", response=MemberDetailOut, summary="Extend, end, approve or deny a trial")
def trial_action(request: HttpRequest, member_id: ObjectId, payload: TrialActionIn) -> dict[str, Any]:
    member = self_service.trial_action(
        admin_caller(principal(request)), member_id, payload.action, days=payload.days, message=payload.message
    )
    return member_detail_out(member)
