"""Admin member endpoints (contract.md "Members (admin)")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictBool, StrictInt, ValidationError

from guestlist.api.auth import admin_auth, admin_caller
from guestlist.api.invites import principal
from guestlist.api.schemas import (
    BulkAccessIn,
    BulkAccessOut,
    ExpirationIn,
    MemberAccessIn,
    MemberDetailOut,
    MemberListOut,
    MemberOut,
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
    page_out,
)
from guestlist.core.errors import Invalid
from guestlist.members import access, erasure, self_service, services
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


@router.get("/", response=MemberListOut, summary="List members")
def list_members(request: HttpRequest, filters: Query[MemberFilters]) -> dict[str, Any]:
    page = services.list_members(services.MemberQuery(**filters.model_dump()))
    return page_out(page, [member_out(member) for member in page.items])


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


class ImportableOut(Schema):
    plex_id: str
    username: str
    email: str
    thumb: str
    plex_home: bool
    server_id: int
    last_seen: datetime | None


class ImportableListOut(Schema):
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


class ImportOut(Schema):
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


@router.get("/{int:member_id}", response=MemberDetailOut, summary="One member with their share")
def get_member(request: HttpRequest, member_id: ObjectId) -> dict[str, Any]:
    return member_detail_out(services.get_member(member_id))


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
