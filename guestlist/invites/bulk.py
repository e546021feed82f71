"""Bulk invites (Komandorr roadmap): N invites with the same settings, their links as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Invalid
from guestlist.invites import status
from guestlist.invites.models import Invite
from guestlist.invites.qr import invite_url
from guestlist.invites.services import create_invite

MAX_BULK = 100
CSV_COLUMNS = (
    "code",
    "url",
    "description",
    "status",
    "usage_limit",
    "used_count",
    "expires_at",
    "user_expires_in_days",
    "libraries",
    "created_at",
    "created_by",
)


def create_many(data: Mapping[str, Any], count: int, *, actor: Actor, created_by: User | None = None) -> list[Invite]:
    """Create ``count`` invites with the same settings, all or none."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_BULK:
        raise Invalid(
            f"Create from 1 to {MAX_BULK} invites at once.", details=[{"field": "count", "message": "out of range"}]
        )
    if count > 1 and data.get("code"):
        raise Invalid(
            "A custom code fits one invite only; leave it empty to create several.",
            details=[{"field": "code", "message": "custom code with several invites"}],
        )
    with transaction.atomic():
        invites = [create_invite(data, actor=actor, created_by=created_by) for _ in range(count)]
        if count > 1:
            audit.record(actor, "invite.bulk_create", None, label=f"{count} invites", codes=[i.code for i in invites])
    return invites


def spreadsheet_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # Spreadsheets run cells that start like a formula; an owner-written description
    # must stay text when the CSV is opened.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def invites_csv(invites: Iterable[Invite]) -> str:
    now = timezone.now()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for invite in invites:
        writer.writerow(
            [
                spreadsheet_cell(invite.code),
                spreadsheet_cell(invite_url(invite.code)),
                spreadsheet_cell(invite.description),
                spreadsheet_cell(" ".join(status.badges(invite, now))),
                spreadsheet_cell(invite.usage_limit),
                spreadsheet_cell(invite.used_count),
                spreadsheet_cell(invite.expires_at.isoformat() if invite.expires_at else ""),
                spreadsheet_cell(invite.user_expires_in_days),
                spreadsheet_cell(invite.libraries),
                spreadsheet_cell(invite.created_at.isoformat()),
                spreadsheet_cell(invite.created_by_label),
            ]
        )
    return buffer.getvalue()
