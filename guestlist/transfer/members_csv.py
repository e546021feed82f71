"""Every member as CSV (``GET /api/users/export.csv``, the members page's download)."""

from __future__ import annotations

import csv
import io

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.invites.bulk import spreadsheet_cell
from guestlist.members.models import Member

CSV_COLUMNS = (
    "id",
    "status",
    "email",
    "username",
    "plex_id",
    "invite",
    "joined",
    "expires_at",
    "last_seen",
    "last_title",
    "discord_id",
    "discord_username",
)


def members_csv(*, actor: Actor) -> str:
    """All members, oldest first; cells that a spreadsheet would run as a formula stay text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for member in Member.objects.select_related("invite").order_by("id").iterator(chunk_size=500):
        writer.writerow(
            [
                spreadsheet_cell(value)
                for value in (
                    member.pk,
                    member.status,
                    member.email,
                    member.username,
                    member.plex_id,
                    member.invite.code if member.invite else "",
                    member.created_at.isoformat(),
                    member.expires_at.isoformat() if member.expires_at else "",
                    member.last_seen.isoformat() if member.last_seen else "",
                    member.last_title,
                    member.discord_id,
                    member.discord_username,
                )
            ]
        )
        count += 1
    # Personal data leaving the install is worth a line in the audit log.
    audit.record(actor, "transfer.members_csv", None, label="members CSV", members=count)
    return buffer.getvalue()
