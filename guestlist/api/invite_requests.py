"""Admin endpoints for invite requests (contract.md "Invite requests")."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field, StrictBool

from guestlist.api.auth import admin_auth
from guestlist.api.invites import principal
from guestlist.api.schemas import Answer, ObjectId, PageNumber, PageSize, StrictSchema
from guestlist.invite_requests import erasure, services
from guestlist.invite_requests.representation import request_as_api
from guestlist.members.permissions import Caller

router = Router(tags=["invite requests"], auth=admin_auth)

RequestStatus = Literal["pending", "approved", "declined"]
RequestStatusFilter = Literal["all", "pending", "approved", "declined"]


class AnswerOut(Answer):
    question: str
    answer: str


class RequestOut(Answer):
    id: int
    name: str
    email: str
    message: str
    answers: list[AnswerOut]
    language: str
    status: RequestStatus
    created_at: datetime
    decided_at: datetime | None
    decided_by: str
    decision_message: str
    invite_id: int | None
    invite_code: str | None
    invite_url: str | None
    mailed: bool


class RequestListOut(Answer):
    items: list[RequestOut]
    total: int
    page: int
    page_size: int
    counts: dict[str, int]


class RequestFilters(Schema):
    status: RequestStatusFilter = "all"
    search: str = Field(default="", max_length=200)
    page: PageNumber = 1
    page_size: PageSize = 50


class ApproveIn(StrictSchema):
    template_id: ObjectId | None = None
    send_mail: StrictBool = True
    # The server(s) the invite shares; optional while one server is connected.
    server_ids: list[ObjectId] | None = Field(default=None, max_length=20)


class DeclineIn(StrictSchema):
    message: str = Field(default="", max_length=2000)
    send_mail: StrictBool = True


class EraseIn(StrictSchema):
    email: str = Field(min_length=3, max_length=254)


class ErasedOut(Answer):
    erased: int


class RequestSettingsIn(StrictSchema):
    enabled: StrictBool | None = None
    questions: list[str] | None = Field(default=None, max_length=5)


class RequestSettingsOut(Answer):
    enabled: bool
    questions: list[str]


def _caller(request: HttpRequest) -> Caller:
    who = principal(request)
    user = who.user if who.user is not None and who.user.is_authenticated else None
    return Caller.admin(who.actor, user)  # type: ignore[arg-type]  # an admin session's user is a User


def requests_page(who: Caller, filters: RequestFilters) -> dict[str, Any]:
    page = services.list_requests(
        who, status=filters.status, search=filters.search, page=filters.page, page_size=filters.page_size
    )
    return {
        "items": [request_as_api(item) for item in page.items],
        "total": page.total,
        "page": page.page,
        "page_size": page.page_size,
        "counts": services.counts(),
    }


@router.get("/", response=RequestListOut, summary="List invite requests")
def list_requests(request: HttpRequest, filters: Query[RequestFilters]) -> dict[str, Any]:
    return requests_page(_caller(request), filters)


@router.get("/settings", response=RequestSettingsOut, summary="The request page's settings")
def get_settings(request: HttpRequest) -> dict[str, Any]:
    return services.settings_as_api()


@router.patch("/settings", response=RequestSettingsOut, summary="Change the request page's settings")
def update_settings(request: HttpRequest, payload: RequestSettingsIn) -> dict[str, Any]:
    changes = payload.sent_values()
    return services.settings_as_api(services.update_settings(changes, actor=principal(request).actor))


@router.post("/erase", response=ErasedOut, summary="Erase the requests made with an e-mail address")
def erase(request: HttpRequest, payload: EraseIn) -> dict[str, Any]:
    address = services.clean_email(payload.email)
    return {"erased": erasure.erase_requests(address, actor=principal(request).actor)}


@router.get("/{int:request_id}", response=RequestOut, summary="One invite request")
def get_request(request: HttpRequest, request_id: ObjectId) -> dict[str, Any]:
    return request_as_api(services.get_for(_caller(request), request_id))


@router.post("/{int:request_id}/approve", response=RequestOut, summary="Approve: create the invite, mail it")
def approve(request: HttpRequest, request_id: ObjectId, payload: ApproveIn) -> dict[str, Any]:
    decision = services.approve(
        _caller(request),
        request_id,
        template_id=payload.template_id,
        send_mail=payload.send_mail,
        server_ids=payload.server_ids,
    )
    return request_as_api(decision.request)


@router.post("/{int:request_id}/decline", response=RequestOut, summary="Decline, with an optional message")
def decline(request: HttpRequest, request_id: ObjectId, payload: DeclineIn) -> dict[str, Any]:
    decision = services.decline(_caller(request), request_id, message=payload.message, send_mail=payload.send_mail)
    return request_as_api(decision.request)
