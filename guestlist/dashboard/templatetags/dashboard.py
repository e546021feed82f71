"""Small display helpers for the dashboard's templates."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from guestlist.core import labels
from guestlist.core.templatetags.durations import duration
from guestlist.plex import content_options

register = template.Library()

KINDS = {
    "invite_badge": labels.INVITE_BADGES,
    "member_status": labels.MEMBER_STATUSES,
    "method": labels.REDEMPTION_METHODS,
    "redemption_state": labels.REDEMPTION_STATES,
    "plex_operation": labels.PLEX_OPERATIONS,
    "plex_state": labels.PLEX_OPERATION_STATES,
    "actor_kind": labels.ACTOR_KINDS,
    "audit_action": labels.AUDIT_ACTIONS,
    "job": labels.JOB_NAMES,
    "permission": labels.PERMISSIONS,
    "event": labels.EVENT_LABELS,
    "destination_kind": labels.DESTINATION_KINDS,
    "delivery_state": labels.DELIVERY_STATES,
    "mail_kind": labels.MAIL_KINDS,
    "request_status": labels.REQUEST_STATUSES,
}


@register.filter
def label(value: Any, kind: str) -> str:
    """The words for a machine name (``{{ badge|label:"invite_badge" }}``)."""
    return str(KINDS[kind].get(str(value), value))


@register.filter
def reason(value: str) -> str:
    """A member's ``reason`` as the services wrote it, in the reader's language."""
    return labels.reason(value)


@register.filter
def initials(name: Any) -> str:
    words = [word for word in str(name or "?").replace("@", " ").replace(".", " ").split() if word]
    return "".join(word[0] for word in words[:2]).upper() or "?"


@register.filter
def days(value: int | None) -> str:
    """A length in days as every page says it (``core/templatetags/durations.py``)."""
    return duration(value)


@register.filter
def uses(invite: Any) -> str:
    if invite.usage_limit is None:
        return _("%(used)s of unlimited") % {"used": invite.used_count}
    return _("%(used)s of %(limit)s") % {"used": invite.used_count, "limit": invite.usage_limit}


@register.filter
def compact_json(value: Any) -> str:
    if not value:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)[:400]


@register.filter
def limits(value: Any) -> str:
    """Content limits in plain words ("films up to 12, TV shows up to TV-14"), "" for none."""
    return content_options.words(value if isinstance(value, dict) else None)


@register.filter
def details_list(value: Any) -> list[tuple[str, str]]:
    """An audit event's details as "name: value" lines instead of raw JSON."""
    if not isinstance(value, dict):
        return [("", compact_json(value))] if value else []
    lines = []
    for key, item in sorted(value.items()):
        if isinstance(item, list | tuple):
            text = ", ".join(str(part) for part in item)
        elif isinstance(item, dict):
            text = json.dumps(item, ensure_ascii=False, sort_keys=True, default=str)
        elif isinstance(item, bool):
            text = _("yes") if item else _("no")
        else:
            text = "—" if item in (None, "") else str(item)
        lines.append((str(key).replace("_", " "), text[:200]))
    return lines


OBJECT_PAGES = {"invite": "invite-detail", "member": "member-detail"}


@register.filter
def object_url(event: Any) -> str:
    """The dashboard page of an audit event's object, when it has one."""
    name = OBJECT_PAGES.get(event.object_type)
    if name is None or not str(event.object_id).isdigit():
        return ""
    key = "invite_id" if event.object_type == "invite" else "member_id"
    return reverse(name, kwargs={key: int(event.object_id)})
