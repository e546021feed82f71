"""The member area's API (contract.md "Members' own area"): a signed-in member's own
invites, quota and trial, and what Manage Users holders do to other members."""

from __future__ import annotations

from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from guestlist.api.auth import session_auth
from guestlist.api.invite_requests import (
    ApproveIn,
    DeclineIn,
    RequestFilters,
    RequestListOut,
    RequestOut,
    requests_page,
)
from guestlist.api.schemas import (
    Answer,
    ExpirationIn,
    ExtensionOut,
    InviteCounts,
    InviteCreateIn,
    InviteOut,
    InviteStatusFilter,
    InviteUpdateIn,
    MemberDetailOut,
    MemberOut,
    MemberServerOut,
    MemberStatusFilter,
    ObjectId,
    PageNumber,
    PageOut,
    PageSize,
    PermissionsIn,
    QrFormat,
    QuotaIn,
    QuotaOut,
    SendInviteIn,
    SentOut,
    StrictSchema,
    TrialActionIn,
    TrialOut,
    invite_out,
    member_detail_out,
    member_out,
    member_servers,
    page_out,
)
from guestlist.core import ratelimit
from guestlist.core.errors import Invalid, NotFound
from guestlist.invite_requests import services as invite_requests
from guestlist.invite_requests.representation import request_as_api
from guestlist.invites import qr
from guestlist.invites.services import InviteQuery
from guestlist.members import access, logins, permissions, self_service
from guestlist.members.allowances import allowances
from guestlist.members.permissions import Caller
from guestlist.members.services import MemberQuery

router = Router(tags=["me"], auth=session_auth)


def caller(request: HttpRequest) -> Caller:
    auth: Caller = request.auth  # type: ignore[attr-defined]
    return auth


class MeOut(Answer):
    username: str
    display_name: str
    is_admin: bool
    local_account: bool
    permissions: list[str]
    member: MemberOut | None
    # Each of the person's servers and its share (issue 20); one entry with one server.
    servers: list[MemberServerOut]
    quota: QuotaOut
    trial: TrialOut | None
    extension_request: ExtensionOut | None
    can_create_invites: bool
    advanced_invites: bool


class MeInviteOut(InviteOut):
    redeemed_by: list[str]
    qr_url: str


class MeInviteListOut(PageOut):
    items: list[MeInviteOut]
    counts: InviteCounts


def invite_with_extras(request: HttpRequest, invite: Any, joined: dict[int, list[str]] | None = None) -> dict[str, Any]:
    if joined is None:
        joined = self_service.redeemed_by([invite.pk])
    return {
        **invite_out(invite),
        "redeemed_by": joined.get(invite.pk, []),
        "qr_url": settings.BASE_URL + reverse("api:me_invite_qr", args=[invite.pk]),
    }


@router.get("", response=MeOut, summary="Who I am: permissions, quota left, trial")
def me(request: HttpRequest) -> dict[str, Any]:
    who = caller(request)
    view = self_service.overview(who)
    member = who.member
    user = who.user
    return {
        "username": user.get_username() if user is not None else "",
        "display_name": who.actor.label,
        "is_admin": who.staff,
        "local_account": bool(user is not None and user.has_usable_password() and not who.staff),
        "permissions": [perm for perm in permissions.ALL if who.has(perm)],
        "member": member_out(member) if member is not None else None,
        "servers": member_servers(member) if member is not None else [],
        "quota": view.quota.as_api(),
        "trial": self_service.trial_state(member) if member is not None and member.trial_ends_at is not None else None,
        "extension_request": self_service.extension_out(view.last_extension)
        if view.last_extension is not None
        else None,
        "can_create_invites": view.can_create,
        "advanced_invites": who.has(permissions.ADVANCED_INVITES),
    }


class MeInviteFilters(Schema):
    scope: Literal["own", "all"] = "own"
    status: InviteStatusFilter = "all"
    search: str = ""
    page: PageNumber = 1
    page_size: PageSize = 50


@router.get("/invites", response=MeInviteListOut, summary="My invites (scope=all: everyone's, Manage Invites)")
def me_list_invites(request: HttpRequest, filters: Query[MeInviteFilters]) -> dict[str, Any]:
    if filters.scope not in ("own", "all"):
        raise Invalid("scope must be own or all.", details=[{"field": "scope", "message": filters.scope}])
    query = InviteQuery(status=filters.status, search=filters.search, page=filters.page, page_size=filters.page_size)
    page = self_service.list_invites(caller(request), query, everyone=filters.scope == "all")
    joined = self_service.redeemed_by([invite.pk for invite in page.items])
    return page_out(page, [invite_with_extras(request, invite, joined) for invite in page.items], counts=page.counts)


@router.post("/invites", response={201: MeInviteOut}, summary="Create an invite within my rights and quota")
def me_create_invite(request: HttpRequest, payload: InviteCreateIn) -> Status[dict[str, Any]]:
    invite = self_service.create_invite(caller(request), payload.model_dump(exclude_unset=True))
    return Status(201, invite_with_extras(request, invite))


@router.get("/invites/{int:invite_id}", response=MeInviteOut, summary="One of my invites")
def me_get_invite(request: HttpRequest, invite_id: ObjectId) -> dict[str, Any]:
    return invite_with_extras(request, self_service.get_invite(caller(request), invite_id))


@router.patch("/invites/{int:invite_id}", response=MeInviteOut, summary="Change an invite (Manage Invites)")
def me_update_invite(request: HttpRequest, invite_id: ObjectId, payload: InviteUpdateIn) -> dict[str, Any]:
    invite = self_service.update_invite(caller(request), invite_id, payload.model_dump(exclude_unset=True))
    return invite_with_extras(request, invite)


@router.post("/invites/{int:invite_id}/send", response={202: SentOut}, summary="Send my invite's link by e-mail")
def me_send_invite(request: HttpRequest, invite_id: ObjectId, payload: SendInviteIn) -> Status[dict[str, Any]]:
    delivery = self_service.send_invite(
        caller(request), invite_id, payload.email, payload.message or "", payload.language
    )
    return Status(202, {"delivery_id": delivery.pk, "email": delivery.recipient, "status": delivery.status})


@router.delete("/invites/{int:invite_id}", response={204: None}, summary="Delete an invite")
def me_delete_invite(request: HttpRequest, invite_id: ObjectId, force: bool = False) -> Status[None]:
    self_service.delete_invite(caller(request), invite_id, force=force)
    return Status(204, None)


@router.get("/invites/{int:invite_id}/qr", summary="QR code of my invite's link (PNG or SVG)")
def me_invite_qr(request: HttpRequest, invite_id: ObjectId, format: QrFormat = "svg") -> HttpResponse:
    if format not in qr.FORMATS:
        raise Invalid("format must be png or svg.", details=[{"field": "format", "message": "png or svg"}])
    invite = self_service.get_invite(caller(request), invite_id)
    response = HttpResponse(qr.render_qr(invite, format), content_type=qr.FORMATS[format])
    response["Cache-Control"] = "private, max-age=300"
    return response


class ExtensionIn(StrictSchema):
    message: str = Field(default="", max_length=1000)


@router.post("/trial/extension", response={201: ExtensionOut}, summary="Ask for a longer trial")
def me_request_extension(request: HttpRequest, payload: ExtensionIn) -> Status[dict[str, Any]]:
    extension = self_service.request_extension(caller(request), payload.message)
    return Status(201, self_service.extension_out(extension))


# -- Linking Plex to a local account -------------------------------------------------------


class PlexLinkStartOut(Answer):
    auth_url: str
    check_url: str


class PlexLinkWaitingOut(Answer):
    status: str
    message: str


@router.post("/plex-link", response={201: PlexLinkStartOut}, summary="Start linking my Plex account (local accounts)")
def me_plex_link_start(request: HttpRequest) -> Status[dict[str, str]]:
    logins.check_may_link(caller(request))
    ratelimit.enforce(ratelimit.OAUTH_START, request)
    started = logins.start_in_session(
        request.session, flow="link", forward_url=settings.BASE_URL + reverse("login-plex-continue")
    )
    check_url = settings.BASE_URL + reverse("api:me_plex_link_check")
    return Status(201, {"auth_url": started.auth_url, "check_url": check_url})


@router.post(
    "/plex-link/check",
    response={200: MemberDetailOut, 202: PlexLinkWaitingOut},
    summary="Finish linking once Plex confirmed the sign-in",
)
def me_plex_link_check(request: HttpRequest) -> Status[dict[str, Any]]:
    if logins.flow_in_session(request.session) != "link":
        raise NotFound("No Plex link is under way; start one with POST /api/me/plex-link.")
    ratelimit.enforce(ratelimit.PIN_POLL, request)
    signed_in = logins.poll_in_session(request.session)
    if signed_in is None:
        return Status(202, {"status": "waiting_for_plex_sign_in", "message": "Finish signing in with Plex."})
    member = logins.link_plex_account(caller(request), signed_in)
    return Status(200, member_detail_out(member))


# -- Manage Users ------------------------------------------------------------------------


class MemberFilters(Schema):
    search: str = ""
    status: MemberStatusFilter = "all"
    page: PageNumber = 1
    page_size: PageSize = 50


class ManagedListOut(PageOut):
    items: list[MemberDetailOut]


@router.get("/members", response=ManagedListOut, summary="Members (Manage Users)")
def me_list_members(request: HttpRequest, filters: Query[MemberFilters]) -> dict[str, Any]:
    page = self_service.list_members(caller(request), MemberQuery(**filters.model_dump()))
    found = allowances(page.items)
    busy = access.changing_ids([member.pk for member in page.items])
    return page_out(
        page, [member_detail_out(member, found[member.pk], changing=member.pk in busy) for member in page.items]
    )


@router.put("/members/{int:member_id}/expiration", response=MemberDetailOut, summary="Set a member's expiry")
def me_set_expiration(request: HttpRequest, member_id: ObjectId, payload: ExpirationIn) -> dict[str, Any]:
    return member_detail_out(self_service.set_expiry(caller(request), member_id, payload.expires_at))


@router.put("/members/{int:member_id}/permissions", response=MemberDetailOut, summary="Set a member's permissions")
def me_set_permissions(request: HttpRequest, member_id: ObjectId, payload: PermissionsIn) -> dict[str, Any]:
    return member_detail_out(self_service.set_permissions(caller(request), member_id, list(payload.permissions)))


@router.put("/members/{int:member_id}/quota", response=MemberDetailOut, summary="Override a member's invite quota")
def me_set_quota(request: HttpRequest, member_id: ObjectId, payload: QuotaIn) -> dict[str, Any]:
    return member_detail_out(self_service.set_quota(caller(request), member_id, payload.limit, payload.days))


@router.post("/members/{int:member_id}/trial", response=MemberDetailOut, summary="Act on a member's trial")
def me_trial_action(request: HttpRequest, member_id: ObjectId, payload: TrialActionIn) -> dict[str, Any]:
    member = self_service.trial_action(
        caller(request), member_id, payload.action, days=payload.days, message=payload.message
    )
    return member_detail_out(member)


# Invite requests (issue 22): members with Manage Users answer them as the owner does.


@router.get("/requests", response=RequestListOut, summary="Invite requests (Manage Users)")
def me_list_requests(request: HttpRequest, filters: Query[RequestFilters]) -> dict[str, Any]:
    return requests_page(caller(request), filters)


@router.get("/requests/{int:request_id}", response=RequestOut, summary="One invite request (Manage Users)")
def me_get_request(request: HttpRequest, request_id: ObjectId) -> dict[str, Any]:
    return request_as_api(invite_requests.get_for(caller(request), request_id))


@router.post("/requests/{int:request_id}/approve", response=RequestOut, summary="Approve an invite request")
def me_approve_request(request: HttpRequest, request_id: ObjectId, payload: ApproveIn) -> dict[str, Any]:
    decision = invite_requests.approve(
        caller(request),
        request_id,
        template_id=payload.template_id,
        send_mail=payload.send_mail,
        server_ids=payload.server_ids,
    )
    return request_as_api(decision.request)


@router.post("/requests/{int:request_id}/decline", response=RequestOut, summary="Decline an invite request")
def me_decline_request(request: HttpRequest, request_id: ObjectId, payload: DeclineIn) -> dict[str, Any]:
    decision = invite_requests.decline(
        caller(request), request_id, message=payload.message, send_mail=payload.send_mail
    )
    return request_as_api(decision.request)
