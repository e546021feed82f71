"""Guestlist's own export file (``guestlist export FILE.json``) and reading it back.

The format is documented in contract.md ("Export file"). It holds what an owner needs to move
to another install or another tool: invites, members, redemptions and the settings, and no
secret: no Plex token, no redeemer's token, no password hash, no API key, no server address.
``guestlist import guestlist FILE.json`` reads it through the same importer as the peers, so a
second import changes nothing and members are checked against Plex the same way.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.utils import timezone

from guestlist import __version__
from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.models import SiteSettings
from guestlist.invite_requests.models import InviteRequest, RequestSettings
from guestlist.invites.models import Invite, InviteTemplate, Redemption, Step, StepSet
from guestlist.members.models import Member
from guestlist.members.site_settings import EDITABLE_SETTINGS
from guestlist.plex.models import Library, MediaServer
from guestlist.transfer.peerdb import parse_datetime
from guestlist.transfer.records import (
    ImportFileError,
    Source,
    SourceInvite,
    SourceLibrary,
    SourcePerson,
    SourceTemplate,
    SourceUse,
)

FORMAT = "guestlist-export"
VERSION = 1
ENDED = (Member.Status.EXPIRED, Member.Status.REMOVED)


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    invites: int
    members: int
    redemptions: int

    def describe(self) -> str:
        return f"{self.invites} invites, {self.members} members and {self.redemptions} redemptions"


def build_export() -> dict[str, Any]:
    servers = {server.pk: server for server in MediaServer.objects.all()}
    libraries: dict[int, dict[int, Library]] = {}
    for library in Library.objects.all():
        libraries.setdefault(library.server_id, {})[library.key] = library
    site = SiteSettings.load()
    request_settings = RequestSettings.load()
    members = list(Member.objects.select_related("invite").order_by("id"))
    step_sets = list(StepSet.objects.order_by("-is_default", "id"))
    # The default set is named by null (each install has its own default).
    set_names = {step_set.pk: step_set.name for step_set in step_sets if not step_set.is_default}
    steps: dict[int, list[Step]] = {}
    for step in Step.objects.order_by("step_set_id", "group", "position", "id"):
        steps.setdefault(step.step_set_id, []).append(step)
    first_server = min(servers, default=0)
    keys = {member.pk: member.person_key for member in members}
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _iso(timezone.now()),
        "guestlist_version": __version__,
        "servers": [
            {
                "name": server.name,
                "machine_identifier": server.machine_identifier,
                "libraries": [
                    {"key": lib.key, "global_id": lib.global_id, "title": lib.title, "is_default": lib.is_default}
                    for lib in libraries.get(server.pk, {}).values()
                ],
            }
            for server in servers.values()
        ],
        "settings": {name: getattr(site, name) for name in sorted(EDITABLE_SETTINGS)},
        "invites": [
            {
                "code": invite.code,
                "server": servers[invite.server_id].machine_identifier,
                "description": invite.description,
                "created_at": _iso(invite.created_at),
                "created_by": invite.created_by_label,
                "expires_at": _iso(invite.expires_at),
                "usage_limit": invite.usage_limit,
                "used_count": invite.used_count,
                "user_expires_in_days": invite.user_expires_in_days,
                "allow_sync": invite.allow_sync,
                "allow_channels": invite.allow_channels,
                "allow_camera_upload": invite.allow_camera_upload,
                "plex_home": invite.plex_home,
                "libraries": _libraries_out(invite.libraries, libraries.get(invite.server_id, {})),
                "content_limits": invite.content_limits or {},
                "is_active": invite.is_active,
                "trial_days": invite.trial_days,
                # Issue 20: the further servers of a "4K + HD" invite, each with its libraries.
                "more_servers": [
                    {
                        "server": servers[row.server_id].machine_identifier,
                        "libraries": _libraries_out(row.libraries, libraries.get(row.server_id, {})),
                    }
                    for row in invite.extra_servers.all()
                ],
                "discord_gate": invite.discord_gate,
                "discord_role_ids": list(invite.discord_role_ids or []),
                "step_set": set_names.get(invite.step_set_id or -1),
            }
            for invite in Invite.objects.prefetch_related("extra_servers").order_by("id")
        ],
        "members": [
            {
                "person_key": member.person_key,
                "server": servers[member.server_id].machine_identifier,
                "status": member.status,
                "email": member.email,
                "username": member.username,
                "plex_id": member.plex_id,
                "thumb": member.thumb,
                "invite_code": member.invite.code if member.invite else "",
                "is_home": member.is_home,
                "library_keys": member.library_keys,
                "allow_sync": member.allow_sync,
                "allow_channels": member.allow_channels,
                "allow_camera_upload": member.allow_camera_upload,
                "content_limits": member.content_limits or {},
                "created_at": _iso(member.created_at),
                "last_seen": _iso(member.last_seen),
                "expires_at": _iso(member.expires_at),
                "removed_at": _iso(member.removed_at),
                "reason": member.reason,
                "notes": member.notes,
                # Issue 20: a person's rows share person_key; this one is their person row.
                "person_row": member.primary_id is None,
                # The Discord account a gated invite tied to them, and what the re-check holds them to.
                "discord_id": member.discord_id,
                "discord_username": member.discord_username,
                "discord_gate": member.discord_gate,
                "discord_role_ids": list(member.discord_role_ids or []),
                "discord_left_at": _iso(member.discord_left_at),
            }
            for member in members
        ],
        "redemptions": [
            {
                "invite_code": redemption.invite_code,
                "member": keys.get(redemption.member_id or -1, ""),
                "method": redemption.method,
                "state": redemption.state,
                "created_at": _iso(redemption.created_at),
                "completed_at": _iso(redemption.completed_at),
                "error_code": redemption.error_code,
                "error": redemption.error,
            }
            for redemption in Redemption.objects.order_by("id")
        ],
        # Issue 16: the onboarding step sets (the default one and the named ones) and the templates
        # (which pick a set too); invites and templates name their set, null for the default.
        "step_sets": [
            {
                "name": step_set.name,
                "is_default": step_set.is_default,
                "steps": [_step_out(step) for step in steps.get(step_set.pk, [])],
            }
            for step_set in step_sets
        ],
        "invite_templates": [
            {
                "name": template.name,
                "description": template.description,
                "usage_limit": template.usage_limit,
                "expires_in_days": template.expires_in_days,
                "user_expires_in_days": template.user_expires_in_days,
                "allow_sync": template.allow_sync,
                "allow_channels": template.allow_channels,
                "allow_camera_upload": template.allow_camera_upload,
                "plex_home": template.plex_home,
                # A template names no server: its section keys are read on the first server.
                "libraries": _libraries_out(template.libraries, libraries.get(first_server, {})),
                "content_limits": template.content_limits or {},
                "discord_gate": template.discord_gate,
                "discord_role_ids": list(template.discord_role_ids or []),
                "step_set": set_names.get(template.step_set_id or -1),
                "created_at": _iso(template.created_at),
                # Issue 20: the servers a template names, each with its libraries ([] for none).
                "servers": [
                    {
                        "server": servers[entry["server_id"]].machine_identifier,
                        "libraries": _libraries_out(str(entry["libraries"]), libraries.get(entry["server_id"], {})),
                    }
                    for entry in template.servers or []
                    if entry.get("server_id") in servers
                ],
            }
            for template in InviteTemplate.objects.order_by("id")
        ],
        # Issue 22: who asked for an invite, and the answer (never the client address or the status link).
        "invite_request_settings": {"enabled": request_settings.enabled, "questions": request_settings.questions},
        "invite_requests": [
            {
                "name": asked.name,
                "email": asked.email,
                "message": asked.message,
                "answers": asked.answers,
                "language": asked.language,
                "status": asked.status,
                "created_at": _iso(asked.created_at),
                "decided_at": _iso(asked.decided_at),
                "decided_by": asked.decided_by,
                "decision_message": asked.decision_message,
                "invite_code": asked.invite.code if asked.invite is not None else "",
            }
            for asked in InviteRequest.objects.select_related("invite").order_by("id")
        ],
    }


def write_export(path: Path, *, actor: Actor) -> ExportSummary:
    """Write the export to ``path`` (replaced if there), readable by its owner only: it holds
    members' e-mail addresses."""
    data = build_export()
    path = path.resolve()
    handle, draft = tempfile.mkstemp(prefix=".guestlist-export-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2, ensure_ascii=False)
            out.write("\n")
        os.chmod(draft, 0o600)
        os.replace(draft, path)
    except BaseException:
        Path(draft).unlink(missing_ok=True)
        raise
    summary = ExportSummary(path, len(data["invites"]), len(data["members"]), len(data["redemptions"]))
    audit.record(
        actor,
        "transfer.export",
        None,
        label="export file",
        invites=summary.invites,
        members=summary.members,
        redemptions=summary.redemptions,
    )
    return summary


def read(path: Path) -> Source:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ImportFileError(f"{path} is not a file.") from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ImportFileError(f"{path.name} is not a Guestlist export (not JSON: {exc}).") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ImportFileError(f"{path.name} is not a Guestlist export (its 'format' is not {FORMAT!r}).")
    if data.get("version") != VERSION:
        raise ImportFileError(
            f"{path.name} is a Guestlist export of format version {data.get('version')!r}; "
            f"this Guestlist reads version {VERSION}."
        )
    try:
        return _source(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ImportFileError(f"{path.name} is a damaged Guestlist export ({type(exc).__name__}: {exc}).") from exc


def _settings_in(item: dict[str, Any]) -> dict[str, Any]:
    """The settings an exported invite and an exported template share, read back."""
    return {
        "created_at": parse_datetime(item.get("created_at")),
        "description": str(item.get("description") or ""),
        "usage_limit": _int(item.get("usage_limit")),
        "user_expires_in_days": _int(item.get("user_expires_in_days")),
        "allow_sync": bool(item.get("allow_sync")),
        "allow_channels": bool(item.get("allow_channels")),
        "allow_camera_upload": bool(item.get("allow_camera_upload")),
        "plex_home": bool(item.get("plex_home")),
        "libraries": _libraries_in(item.get("libraries", "default")),
        "content_limits": _limits_in(item.get("content_limits")),
        "discord_gate": _discord_gate(item.get("discord_gate")),
        "discord_role_ids": _snowflakes(item.get("discord_role_ids")),
        "step_set": _set_name(item.get("step_set")),
    }


def _servers_in(named: Any) -> list[tuple[str, str | list[SourceLibrary]]]:
    """Servers named by machine identifier, each with its libraries (an invite's further ones, a template's)."""
    return [(str(entry["server"]), _libraries_in(entry.get("libraries", "default"))) for entry in named or []]


def _source(data: dict[str, Any]) -> Source:
    source = Source("guestlist")
    for number, item in enumerate(data["invites"], start=1):
        source.invites.append(
            SourceInvite(
                ref=f"invite {number}",
                code=str(item["code"]),
                **_settings_in(item),
                created_by=str(item.get("created_by") or ""),
                expires_at=parse_datetime(item.get("expires_at")),
                used_count=int(item.get("used_count") or 0),
                is_active=bool(item.get("is_active", True)),
                trial_days=_int(item.get("trial_days")),
                server=str(item.get("server") or ""),
                more_servers=_servers_in(item.get("more_servers")),
            )
        )
    seen_keys: set[str] = set()
    heads: set[str] = set()
    for item in data["members"]:
        status = str(item.get("status") or "")
        ended = status in ENDED
        key = str(item["person_key"])
        server = str(item.get("server") or "")
        # A person on several servers has a row per server (issue 20): uses name the person
        # row by its key; the others get a ref of their own.
        person_row = bool(item.get("person_row", key not in seen_keys))
        ref = key if person_row and key not in heads else f"{key}@{server}"
        if ref == key:
            heads.add(key)
        seen_keys.add(key)
        source.people.append(
            SourcePerson(
                ref=ref,
                server=server,
                person_row=person_row,
                person_key=key,
                email=str(item.get("email") or ""),
                username=str(item.get("username") or ""),
                plex_id=_int(item.get("plex_id")),
                thumb=str(item.get("thumb") or ""),
                invite_code=str(item.get("invite_code") or ""),
                created_at=parse_datetime(item.get("created_at")),
                last_seen=parse_datetime(item.get("last_seen")),
                expires_at=parse_datetime(item.get("expires_at")),
                notes=str(item.get("notes") or ""),
                reason=str(item.get("reason") or ""),
                ended_status=status if ended else "",
                ended_reason=str(item.get("reason") or "") if ended else "",
                ended_at=parse_datetime(item.get("removed_at")) if ended else None,
                pending=status == Member.Status.PENDING,
                is_home=bool(item.get("is_home")),
                library_keys=item.get("library_keys"),
                allow_sync=bool(item.get("allow_sync")),
                allow_channels=bool(item.get("allow_channels")),
                allow_camera_upload=bool(item.get("allow_camera_upload")),
                content_limits=_limits_in(item.get("content_limits")),
                discord_id=_snowflake(item.get("discord_id")),
                discord_username=str(item.get("discord_username") or "")[:100],
                discord_gate=_discord_gate(item.get("discord_gate")),
                discord_role_ids=_snowflakes(item.get("discord_role_ids")),
                discord_left_at=parse_datetime(item.get("discord_left_at")),
            )
        )
    for item in data["redemptions"]:
        source.uses.append(
            SourceUse(
                invite_code=str(item["invite_code"]),
                person_ref=str(item.get("member") or ""),
                at=parse_datetime(item.get("created_at")),
                completed_at=parse_datetime(item.get("completed_at")),
                state=str(item.get("state") or "done"),
                method=str(item.get("method") or "import"),
                error_code=str(item.get("error_code") or ""),
                error=str(item.get("error") or ""),
            )
        )
    settings = data.get("settings")
    source.settings = dict(settings) if isinstance(settings, dict) else None
    step_sets = data.get("step_sets")
    if isinstance(step_sets, list):
        source.step_sets = [dict(item) for item in step_sets if isinstance(item, dict)]
    for number, item in enumerate(data.get("invite_templates") or [], start=1):
        source.templates.append(
            SourceTemplate(
                ref=f"template {number}",
                name=str(item["name"]),
                **_settings_in(item),
                expires_in_days=_int(item.get("expires_in_days")),
                servers=_servers_in(item.get("servers")),
            )
        )
    requests = data.get("invite_requests")
    source.requests = [dict(item) for item in requests if isinstance(item, dict)] if isinstance(requests, list) else []
    request_settings = data.get("invite_request_settings")
    source.request_settings = dict(request_settings) if isinstance(request_settings, dict) else None
    return source


def _step_out(step: Step) -> dict[str, Any]:
    return {
        "group": step.group,
        "position": step.position,
        "shipped": step.shipped,
        "title": step.title,
        "body": step.body,
        "requires_acceptance": step.requires_acceptance,
        "acceptance_label": step.acceptance_label,
        "buttons": step.buttons,
    }


def _libraries_out(stored: str, present: dict[int, Library]) -> str | list[dict[str, Any]]:
    if stored in ("all", "default"):
        return stored
    out = []
    for part in stored.split(","):
        library = present.get(int(part)) if part.strip().isdigit() else None
        if library is not None:
            out.append({"key": library.key, "global_id": library.global_id, "title": library.title})
    return out


def _libraries_in(value: object) -> str | list[SourceLibrary]:
    if isinstance(value, str):
        if value not in ("all", "default"):
            raise ValueError(f"libraries {value!r}")
        return value
    if not isinstance(value, list):
        raise ValueError(f"libraries {value!r}")
    return [SourceLibrary(name=str(item.get("title") or ""), global_id=_int(item.get("global_id"))) for item in value]


def _int(value: object) -> int | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    return int(str(value))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _limits_in(value: object) -> dict[str, object] | None:
    """Content limits as exported (added after format version 1's first files: absent is none)."""
    return dict(value) if isinstance(value, dict) and value else None


# Discord fields (issue 22; files written before them have none). Discord ids are snowflakes:
# anything else in a file is dropped rather than trusted.
DISCORD_GATES = ("", "sign_in", "member")
MAX_DISCORD_ROLES = 50


def _snowflake(value: object) -> str:
    text = str(value or "").strip()
    return text if text.isdigit() and len(text) <= 32 else ""


def _snowflakes(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [found for found in (_snowflake(item) for item in value) if found][:MAX_DISCORD_ROLES]


def _discord_gate(value: object) -> str:
    if value is None or value == "":
        return ""
    if value not in DISCORD_GATES:
        raise ValueError(f"discord_gate {value!r}")
    return str(value)


def _set_name(value: object) -> str | None:
    """An invite's or template's step set: a named set, or None for the default."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"step_set {value!r}")
    return value
