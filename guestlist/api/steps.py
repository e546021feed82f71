"""Admin endpoints for onboarding steps and step sets (contract.md "Onboarding steps (admin)")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Router, Status
from pydantic import Field, StrictBool

from guestlist.api.auth import Principal, admin_auth
from guestlist.api.schemas import Answer, ObjectId, StrictSchema
from guestlist.invites import onboarding

router = Router(tags=["steps"], auth=admin_auth)

StepGroup = Literal["before", "after"]
ButtonKind = Literal["plex_web", "plex_ios", "plex_android", "plex_tv", "link"]


def principal(request: HttpRequest) -> Principal:
    auth: Principal = request.auth  # type: ignore[attr-defined]
    return auth


class ButtonIn(StrictSchema):
    kind: ButtonKind
    label: str = Field(default="", max_length=onboarding.MAX_LABEL)
    url: str = Field(default="", max_length=onboarding.MAX_URL)


class ButtonOut(Answer):
    kind: str
    label: str
    url: str


class StepOut(Answer):
    id: int
    set_id: int
    group: str
    position: int
    title: str
    body: str
    shipped: str | None
    requires_acceptance: bool
    acceptance_label: str
    buttons: list[ButtonOut]


class StepSetOut(Answer):
    id: int
    name: str
    is_default: bool
    before: list[StepOut]
    after: list[StepOut]


class StepSetIn(StrictSchema):
    name: str = Field(max_length=100)
    # Start as a copy of this set (the default set when left out).
    copy_from: ObjectId | None = None


class StepSetPatchIn(StrictSchema):
    name: str = Field(max_length=100)


class StepIn(StrictSchema):
    group: StepGroup
    title: str = Field(max_length=onboarding.MAX_TITLE)
    body: str = Field(default="", max_length=onboarding.MAX_BODY)
    requires_acceptance: StrictBool = False
    acceptance_label: str = Field(default="", max_length=onboarding.MAX_TITLE)
    buttons: Annotated[list[ButtonIn], Field(max_length=onboarding.MAX_BUTTONS)] = Field(default_factory=list)


class StepPatchIn(StrictSchema):
    """Only the fields sent change."""

    group: StepGroup | None = None
    title: str | None = Field(default=None, max_length=onboarding.MAX_TITLE)
    body: str | None = Field(default=None, max_length=onboarding.MAX_BODY)
    requires_acceptance: StrictBool | None = None
    acceptance_label: str | None = Field(default=None, max_length=onboarding.MAX_TITLE)
    buttons: Annotated[list[ButtonIn], Field(max_length=onboarding.MAX_BUTTONS)] | None = None
    # 0-based place within its group; the others move up or down.
    position: Annotated[int, Field(ge=0, le=onboarding.MAX_STEPS_PER_GROUP)] | None = None


class OrderIn(StrictSchema):
    group: StepGroup
    step_ids: Annotated[list[ObjectId], Field(max_length=onboarding.MAX_STEPS_PER_GROUP)]


@router.get("/sets", response=list[StepSetOut], summary="Step sets, each with its steps")
def list_sets(request: HttpRequest) -> list[dict[str, Any]]:
    return [onboarding.set_as_api(step_set) for step_set in onboarding.list_sets()]


@router.post("/sets", response={201: StepSetOut}, summary="Create a named step set (a copy of another)")
def create_set(request: HttpRequest, payload: StepSetIn) -> Status[dict[str, Any]]:
    source = onboarding.get_set(payload.copy_from) if payload.copy_from is not None else None
    created = onboarding.create_set(payload.name, actor=principal(request).actor, copy_from=source)
    return Status(201, onboarding.set_as_api(created))


@router.get("/sets/{int:set_id}", response=StepSetOut, summary="One step set")
def get_set(request: HttpRequest, set_id: ObjectId) -> dict[str, Any]:
    return onboarding.set_as_api(onboarding.get_set(set_id))


@router.patch("/sets/{int:set_id}", response=StepSetOut, summary="Rename a step set")
def rename_set(request: HttpRequest, set_id: ObjectId, payload: StepSetPatchIn) -> dict[str, Any]:
    step_set = onboarding.rename_set(onboarding.get_set(set_id), payload.name, actor=principal(request).actor)
    return onboarding.set_as_api(step_set)


@router.delete("/sets/{int:set_id}", response={204: None}, summary="Delete a named set (its invites use the default)")
def delete_set(request: HttpRequest, set_id: ObjectId) -> Status[None]:
    onboarding.delete_set(onboarding.get_set(set_id), actor=principal(request).actor)
    return Status(204, None)


@router.post("/sets/{int:set_id}/reset", response=StepSetOut, summary="Replace a set's steps with the shipped ones")
def reset_set(request: HttpRequest, set_id: ObjectId) -> dict[str, Any]:
    step_set = onboarding.reset_set(onboarding.get_set(set_id), actor=principal(request).actor)
    return onboarding.set_as_api(step_set)


@router.post("/sets/{int:set_id}/steps", response={201: StepOut}, summary="Add a step at the end of its group")
def add_step(request: HttpRequest, set_id: ObjectId, payload: StepIn) -> Status[dict[str, Any]]:
    step = onboarding.add_step(onboarding.get_set(set_id), payload.model_dump(), actor=principal(request).actor)
    return Status(201, onboarding.step_as_api(step))


@router.put("/sets/{int:set_id}/order", response=list[StepOut], summary="Put a group's steps in this order")
def order_steps(request: HttpRequest, set_id: ObjectId, payload: OrderIn) -> list[dict[str, Any]]:
    steps = onboarding.reorder(
        onboarding.get_set(set_id), payload.group, payload.step_ids, actor=principal(request).actor
    )
    return [onboarding.step_as_api(step) for step in steps]


@router.get("/{int:step_id}", response=StepOut, summary="One step")
def get_step(request: HttpRequest, step_id: ObjectId) -> dict[str, Any]:
    return onboarding.step_as_api(onboarding.get_step(step_id))


@router.patch("/{int:step_id}", response=StepOut, summary="Change a step")
def update_step(request: HttpRequest, step_id: ObjectId, payload: StepPatchIn) -> dict[str, Any]:
    actor = principal(request).actor
    changes = payload.model_dump(exclude_unset=True)
    position = changes.pop("position", None)
    step = onboarding.get_step(step_id)
    if changes:
        step = onboarding.update_step(step, changes, actor=actor)
    if position is not None:
        step = onboarding.move_step(step, position, actor=actor)
    return onboarding.step_as_api(step)


@router.delete("/{int:step_id}", response={204: None}, summary="Delete a step")
def delete_step(request: HttpRequest, step_id: ObjectId) -> Status[None]:
    onboarding.delete_step(onboarding.get_step(step_id), actor=principal(request).actor)
    return Status(204, None)
