"""Admin invite endpoints (contract.md "Invites (admin)")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from guestlist.api.auth import Principal, admin_auth
from guestlist.api.schemas import (
    InviteCreateIn,
    InviteDetailOut,
    InviteListOut,
    InviteOut,
    InviteStatsOut,
    InviteStatusFilter,
    InviteUpdateIn,
    ObjectId,
    PageNumber,
    PageSize,
    QrFormat,
    SendInviteIn,
    SentOut,
    invite_out,
    member_out,
    page_out,
)
from guestlist.core.errors import Invalid
from guestlist.invites import qr, services, stats
from guestlist.members.models import Member
from guestlist.notifications import services as notifications

router = Router(tags=["invites"], auth=admin_auth)


def principal(request: HttpRequest) -> Principal:
    auth: Principal = request.auth  # type: ignore[attr-defined]
    return auth


class InviteFilters(Schema):
    status: InviteStatusFilter = "all"
    search: str = ""
    created_by: str = ""
    created_after: datetime | None = None
    created_before: datetime | None = None
    page: PageNumber = 1
    page_size: PageSize = 50


@router.post("/", response={201: InviteOut}, summary="Create an invite")
def create_invite(request: HttpRequest, payload: InviteCreateIn) -> Status[dict[str, Any]]:
    who = principal(request)
    user = who.user if who.user is not None and who.user.is_authenticated else None
    invite = services.create_invite(payload.model_dump(exclude_unset=True), actor=who.actor, created_by=user)  # type: ignore[arg-type]
    return Status(201, invite_out(invite))


@router.get("/", response=InviteListOut, summary="List invites with filters and counts")
def list_invites(request: HttpRequest, filters: Query[InviteFilters]) -> dict[str, Any]:
    page = services.list_invites(services.InviteQuery(**filters.model_dump()))
    return page_out(page, [invite_out(invite) for invite in page.items], counts=page.counts)


@router.get("/stats", response=InviteStatsOut, summary="Invite and member statistics")
def invite_stats(request: HttpRequest) -> dict[str, Any]:
    return stats.invite_stats()


@router.get("/{int:invite_id}", response=InviteDetailOut, summary="One invite with its members")
def get_invite(request: HttpRequest, invite_id: ObjectId) -> dict[str, Any]:
    invite = services.get_invite(invite_id)
    members = Member.objects.filter(invite=invite).order_by("-created_at")
    return {**invite_out(invite), "users": [member_out(member) for member in members]}


@router.api_operation(["PATCH", "PUT"], "/{int:invite_id}", response=InviteOut, summary="Change an invite")
def update_invite(request: HttpRequest, invite_id: ObjectId, payload: InviteUpdateIn) -> dict[str, Any]:
    invite = services.get_invite(invite_id)
    updated = services.update_invite(invite, payload.model_dump(exclude_unset=True), actor=principal(request).actor)
    return invite_out(updated)


@router.delete("/{int:invite_id}", response={204: None}, summary="Delete an invite")
def delete_invite(request: HttpRequest, invite_id: ObjectId, force: bool = False) -> Status[None]:
    invite = services.get_invite(invite_id)
    services.delete_invite(invite, actor=principal(request).actor, force=force)
    return Status(204, None)


@router.get("/{int:invite_id}/qr", summary="QR code of the invite's link (PNG or SVG)")
def invite_qr(request: HttpRequest, invite_id: ObjectId, format: QrFormat = "png") -> HttpResponse:
    if format not in qr.FORMATS:
        raise Invalid("format must be png or svg.", details=[{"field": "format", "message": "png or svg"}])
    invite = services.get_invite(invite_id)
    response = HttpResponse(qr.render_qr(invite, format), content_type=qr.FORMATS[format])
    response["Cache-Control"] = "private, max-age=300"
    return response


@router.post("/{int:invite_id}/send", response={202: SentOut}, summary="Send the invite's link by e-mail")
def send_invite(request: HttpRequest, invite_id: ObjectId, payload: SendInviteIn) -> Status[dict[str, Any]]:
    invite = services.get_invite(invite_id)
    delivery = notifications.send_invite(
        invite, payload.email, payload.message or "", actor=principal(request).actor, language=payload.language
    )
    return Status(202, {"delivery_id": delivery.pk, "email": delivery.recipient, "status": delivery.status})
