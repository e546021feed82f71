"""Small display helpers for the dashboard's templates."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guestlist.core import labels
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
    """A length in days as people say it: "forever", "3 months", "2 weeks", "10 days"."""
    if value is None:
        return _("forever")
    if value % 30 == 0:
        return ngettext("%(n)s month", "%(n)s months", value // 30) % {"n": value // 30}
    if value % 7 == 0:
        return ngettext("%(n)s week", "%(n)s weeks", value // 7) % {"n": value // 7}
    return ngettext("%(n)s day", "%(n)s days", value) % {"n": value}


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
