"""Invite templates: named presets of invite settings, picked in the create form (Komandorr roadmap).

A template holds the same settings an invite does, minus what belongs to one invite only
(its code). It names no server, or several servers each with its libraries (issue 20:
``servers``, a "4K + HD" preset). Creating an invite from a template passes every setting
explicitly, so the owner's defaults never leak into a template's invites.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Conflict, Invalid, NotFound
from guestlist.invites import bulk, onboarding
from guestlist.invites.models import Invite, InviteTemplate
from guestlist.invites.services import (
    BOOLEAN_FIELDS,
    MAX_DAYS,
    MAX_USAGE_LIMIT,
    apply_discord_fields,
    server_choices,
)
from guestlist.plex import content_options, libraries
from guestlist.plex.models import MediaServer

SETTINGS = (
    "usage_limit",
    "expires_in_days",
    "user_expires_in_days",
    *BOOLEAN_FIELDS,
    "libraries",
    "servers",
    "content_limits",
    "description",
    "step_set_id",
    "discord_gate",
    "discord_role_ids",
)


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(message, details=[{"field": field, "message": message}])


def _whole(value: object, field: str, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        raise _invalid(field, f"{field} must be a whole number from 1 to {high}, or empty.")
    return value


def _apply(template: InviteTemplate, name: str, data: Mapping[str, Any]) -> None:
    unknown = set(data) - set(SETTINGS)
    if unknown:
        raise Invalid(f"Unknown template fields: {', '.join(sorted(unknown))}.")
    name = name.strip()
    if not name or len(name) > 100:
        raise _invalid("name", "A template needs a name of at most 100 characters.")
    template.name = name
    if "usage_limit" in data:
        template.usage_limit = _whole(data["usage_limit"], "usage_limit", MAX_USAGE_LIMIT)
    for field in ("expires_in_days", "user_expires_in_days"):
        if field in data:
            setattr(template, field, _whole(data[field], field, MAX_DAYS))
    for field in BOOLEAN_FIELDS:
        if field in data:
            if not isinstance(data[field], bool):
                raise _invalid(field, f"{field} must be true or false.")
            setattr(template, field, data[field])
    if "libraries" in data:
        # Checked against the server when there is exactly one; with several, the keys are
        # checked again when an invite is made from the template.
        servers = list(MediaServer.objects.all()[:2])
        template.libraries = libraries.normalize_selection(data["libraries"], servers[0] if len(servers) == 1 else None)
    if data.get("servers"):
        if "libraries" in data:
            raise _invalid("servers", "Send either servers, or libraries, not both.")
        choices = server_choices(data["servers"])
        template.servers = [{"server_id": choice.server.pk, "libraries": choice.libraries} for choice in choices]
        template.libraries = choices[0].libraries
    elif "servers" in data:
        template.servers = None
    if "content_limits" in data:
        servers = list(MediaServer.objects.all()[:2])
        template.content_limits = content_options.clean(data["content_limits"], servers[0] if servers else None)
    if "description" in data:
        description = data["description"] or ""
        if not isinstance(description, str) or len(description) > 500:
            raise _invalid("description", "description must be text of at most 500 characters.")
        template.description = description.strip()
    if "step_set_id" in data:
        template.step_set = onboarding.pick_set(data["step_set_id"])
    apply_discord_fields(template, data)


def _save(template: InviteTemplate, actor: Actor, action: str) -> InviteTemplate:
    try:
        with transaction.atomic():
            template.save()
            audit.record(actor, action, template, settings=template_settings(template))
    except IntegrityError:
        raise Conflict(f"A template named {template.name!r} already exists.", code="template_name_taken") from None
    return template


def create_template(name: str, data: Mapping[str, Any], *, actor: Actor) -> InviteTemplate:
    template = InviteTemplate()
    _apply(template, name, data)
    return _save(template, actor, "template.create")


def update_template(template: InviteTemplate, name: str, data: Mapping[str, Any], *, actor: Actor) -> InviteTemplate:
    _apply(template, name, data)
    return _save(template, actor, "template.update")


def delete_template(template: InviteTemplate, *, actor: Actor) -> None:
    with transaction.atomic():
        audit.record(actor, "template.delete", template)
        template.delete()


def get_template(template_id: int) -> InviteTemplate:
    template = InviteTemplate.objects.filter(pk=template_id).first()
    if template is None:
        raise NotFound(f"There is no template with id {template_id}.")
    return template


def template_settings(template: InviteTemplate) -> dict[str, Any]:
    """Every setting of the template, ready for ``invites.services.create_invite``: with
    several servers, ``servers`` (each with its libraries) instead of ``libraries``; a
    server disconnected since is left out."""
    settings = {name: getattr(template, name) for name in SETTINGS if name != "servers"}
    connected = set(MediaServer.objects.values_list("pk", flat=True)) if template.servers else set()
    named = [entry for entry in template.servers or [] if entry.get("server_id") in connected]
    if named:
        del settings["libraries"]
        settings["servers"] = [
            {"server_id": entry["server_id"], "libraries": libraries.selection_as_api(str(entry["libraries"]))}
            for entry in named
        ]
    return settings


def create_invites_saving_template(
    data: Mapping[str, Any],
    count: int,
    *,
    template_name: str,
    template_data: Mapping[str, Any],
    actor: Actor,
    created_by: User | None = None,
) -> tuple[list[Invite], InviteTemplate | None]:
    """The create form's "save these settings as a template": ``count`` invites and, when
    ``template_name`` is given, the template, all in one transaction (a taken name creates
    no invite either: ``Conflict`` ``template_name_taken``)."""
    with transaction.atomic():
        invites = bulk.create_many(data, count, actor=actor, created_by=created_by)
        template = create_template(template_name, template_data, actor=actor) if template_name.strip() else None
    return invites, template
