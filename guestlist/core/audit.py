"""Writing the audit log: every admin action, redemption and job outcome leaves a row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.db.models import Q, QuerySet

from guestlist.core.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who is acting: passed from views, API, CLI and jobs into services."""

    kind: str
    label: str = ""
    user_id: int | None = None
    ip: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def admin(cls, user: AbstractBaseUser | AnonymousUser, ip: str | None = None) -> Actor:
        return cls(AuditEvent.Actor.ADMIN, user.get_username(), user.pk, ip)

    @classmethod
    def member(cls, user: AbstractBaseUser, ip: str | None = None) -> Actor:
        return cls(AuditEvent.Actor.MEMBER, user.get_username(), user.pk, ip)

    @classmethod
    def api_key(cls, name: str, ip: str | None = None, user_id: int | None = None) -> Actor:
        return cls(AuditEvent.Actor.API_KEY, name, user_id, ip)

    @classmethod
    def redeemer(cls, label: str, ip: str | None = None) -> Actor:
        return cls(AuditEvent.Actor.REDEEMER, label, None, ip)

    @classmethod
    def job(cls, name: str) -> Actor:
        return cls(AuditEvent.Actor.JOB, f"job:{name}")

    @classmethod
    def system(cls, label: str = "cli") -> Actor:
        return cls(AuditEvent.Actor.SYSTEM, label)


def record(
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    *,
    label: str = "",
    **details: Any,
) -> AuditEvent:
    event = entry(actor, action, obj, label=label, **details)
    event.save(force_insert=True)
    return event


def entry(
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    *,
    label: str = "",
    **details: Any,
) -> AuditEvent:
    """The event `record` would write, unsaved: for writing many at once (bulk_create)."""
    return AuditEvent(
        actor_kind=actor.kind,
        actor_user_id=actor.user_id,
        actor_label=actor.label[:255],
        action=action,
        object_type=(obj._meta.model_name or "") if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_label=(label or (str(obj) if obj is not None else ""))[:255],
        details=details,
        ip=actor.ip,
    )


@dataclass(frozen=True)
class AuditQuery:
    action: str = ""  # an exact action, or a prefix ending in "." ("invite." for all invite events)
    actor_kind: str = ""
    search: str = ""  # who or what, by label
    object_type: str = ""
    object_id: str = ""
    since: datetime | None = None
    until: datetime | None = None


def search_events(query: AuditQuery) -> QuerySet[AuditEvent]:
    """The audit log, newest first, narrowed by the query."""
    events = AuditEvent.objects.all()
    if query.action:
        events = (
            events.filter(action__startswith=query.action)
            if query.action.endswith(".")
            else events.filter(action=query.action)
        )
    if query.actor_kind:
        events = events.filter(actor_kind=query.actor_kind)
    term = query.search.strip()
    if term:
        events = events.filter(Q(actor_label__icontains=term) | Q(object_label__icontains=term))
    if query.object_type:
        events = events.filter(object_type=query.object_type)
    if query.object_id:
        events = events.filter(object_id=query.object_id)
    if query.since is not None:
        events = events.filter(created_at__gte=query.since)
    if query.until is not None:
        events = events.filter(created_at__lt=query.until)
    return events.order_by("-created_at", "-id")


def known_actions() -> list[str]:
    # Without order_by the model's ordering joins the DISTINCT and repeats each action.
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
