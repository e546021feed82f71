"""Admin notification endpoints (contract.md "Notifications"): destinations, tests, the delivery log, SMTP."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictBool, StrictInt

from guestlist.api.auth import admin_auth
from guestlist.api.invites import principal
from guestlist.api.schemas import Answer, ObjectId, PageNumber, PageSize, StrictSchema
from guestlist.notifications import delivery as queue
from guestlist.notifications import services

router = Router(tags=["notifications"], auth=admin_auth)


class DestinationIn(StrictSchema):
    kind: Literal["apprise", "webhook", "email"]
    name: str | None = Field(default=None, max_length=100)
    enabled: StrictBool = True
    events: list[str] | None = None
    language: str | None = None
    url: str | None = Field(default=None, max_length=2000)
    email: str | None = Field(default=None, max_length=254)


class DestinationPatchIn(StrictSchema):
    name: str | None = Field(default=None, max_length=100)
    enabled: StrictBool | None = None
    events: list[str] | None = None
    language: str | None = None
    url: str | None = Field(default=None, max_length=2000)
    email: str | None = Field(default=None, max_length=254)
    rotate_secret: StrictBool | None = None


class DestinationOut(Answer):
    id: int
    name: str
    kind: str
    enabled: bool
    events: list[str]
    language: str
    url: str | None
    email: str | None
    service: str | None
    has_secret: bool
    created_at: datetime
    updated_at: datetime


class DestinationCreatedOut(DestinationOut):
    secret: str | None = None


class AttemptOut(Answer):
    at: datetime
    ok: bool
    status_code: int | None
    error: str


class DeliveryOut(Answer):
    id: int
    destination_id: int | None
    event: str | None
    event_id: str | None
    mail: str | None
    recipient: str | None
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    finished_at: datetime | None
    last_error: str
    last_status_code: int | None
    attempt_log: list[AttemptOut]


class DeliveryListOut(Answer):
    items: list[DeliveryOut]
    total: int
    page: int
    page_size: int


class DeliveryFilters(Schema):
    destination: ObjectId | None = None
    event: str = ""
    status: str = ""
    page: PageNumber = 1
    page_size: PageSize = 50


class SmtpIn(StrictSchema):
    host: str | None = Field(default=None, max_length=255)
    port: StrictInt | None = None
    security: Literal["starttls", "tls", "none"] | None = None
    username: str | None = Field(default=None, max_length=255)
    password: str | None = Field(default=None, max_length=1000)
    from_address: str | None = Field(default=None, max_length=254)
    send_welcome: StrictBool | None = None
    send_reminders: StrictBool | None = None
    send_ended: StrictBool | None = None
    allow_reinvite_requests: StrictBool | None = None


class SmtpOut(Answer):
    host: str
    port: int
    security: str
    username: str
    has_password: bool
    from_address: str
    configured: bool
    send_welcome: bool
    send_reminders: bool
    send_ended: bool
    allow_reinvite_requests: bool


class TestMailIn(StrictSchema):
    email: str = Field(max_length=254)


@router.get("/destinations", response=list[DestinationOut], summary="Notification destinations")
def list_destinations(request: HttpRequest) -> list[dict[str, Any]]:
    return [services.destination_as_api(item) for item in services.list_destinations()]


@router.post("/destinations", response={201: DestinationCreatedOut}, summary="Add a destination")
def create_destination(request: HttpRequest, payload: DestinationIn) -> Status[dict[str, Any]]:
    saved = services.create_destination(payload.sent_values(), actor=principal(request).actor)
    return Status(201, {**services.destination_as_api(saved.destination), "secret": saved.secret})


@router.get("/destinations/{int:destination_id}", response=DestinationOut, summary="One destination")
def get_destination(request: HttpRequest, destination_id: ObjectId) -> dict[str, Any]:
    return services.destination_as_api(services.get_destination(destination_id))


@router.patch("/destinations/{int:destination_id}", response=DestinationCreatedOut, summary="Change a destination")
def update_destination(request: HttpRequest, destination_id: ObjectId, payload: DestinationPatchIn) -> dict[str, Any]:
    destination = services.get_destination(destination_id)
    saved = services.update_destination(destination, payload.sent_values(), actor=principal(request).actor)
    return {**services.destination_as_api(saved.destination), "secret": saved.secret}


@router.delete("/destinations/{int:destination_id}", response={204: None}, summary="Delete a destination")
def delete_destination(request: HttpRequest, destination_id: ObjectId) -> Status[None]:
    services.delete_destination(services.get_destination(destination_id), actor=principal(request).actor)
    return Status(204, None)


@router.post("/destinations/{int:destination_id}/test", response={202: DeliveryOut}, summary="Queue a test message")
def test_destination(request: HttpRequest, destination_id: ObjectId) -> Status[dict[str, Any]]:
    destination = services.get_destination(destination_id)
    delivery = services.test_destination(destination, actor=principal(request).actor)
    return Status(202, services.delivery_as_api(delivery))


@router.get("/deliveries", response=DeliveryListOut, summary="The delivery log")
def list_deliveries(request: HttpRequest, filters: Query[DeliveryFilters]) -> dict[str, Any]:
    rows = services.deliveries(destination_id=filters.destination, event=filters.event, status=filters.status)
    items, total = services.page_of(rows, filters.page, filters.page_size)
    return {
        "items": [services.delivery_as_api(item) for item in items],
        "total": total,
        "page": max(filters.page, 1),
        "page_size": max(1, min(filters.page_size, 200)),
    }


@router.post("/deliveries/{int:delivery_id}/retry", response={202: DeliveryOut}, summary="Send a delivery again")
def retry_delivery(request: HttpRequest, delivery_id: ObjectId) -> Status[dict[str, Any]]:
    delivery = queue.send_again(services.get_delivery(delivery_id), actor=principal(request).actor)
    return Status(202, services.delivery_as_api(delivery))


@router.get("/smtp", response=SmtpOut, summary="The SMTP server (never its password)")
def get_smtp(request: HttpRequest) -> dict[str, Any]:
    return services.mail_server_as_api(services.mail_server())


@router.patch("/smtp", response=SmtpOut, summary="Change the SMTP server")
def update_smtp(request: HttpRequest, payload: SmtpIn) -> dict[str, Any]:
    server = services.save_mail_server(payload.model_dump(exclude_unset=True), actor=principal(request).actor)
    return services.mail_server_as_api(server)


@router.post("/smtp/test", response={202: DeliveryOut}, summary="Queue a test mail")
def test_smtp(request: HttpRequest, payload: TestMailIn) -> Status[dict[str, Any]]:
    delivery = services.test_mail(payload.email, actor=principal(request).actor)
    return Status(202, services.delivery_as_api(delivery))
