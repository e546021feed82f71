"""What an importer reads, whatever it reads it from, and the summary it gives back.

A source (Wizarr, Komandorr, a Guestlist export) is turned into these plain records first;
one importer (``importer.py``) then decides, the same way for all of them, what becomes of
each record. Nothing here holds a token, a password or a session: the sources never read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from guestlist.core.errors import Invalid


class ImportFileError(Invalid):
    """The file cannot be imported at all (not a database, not the peer's, unreadable)."""

    code = "import_file_invalid"


@dataclass(frozen=True)
class SourceLibrary:
    """A library as the source names it; ``importer.match_library`` finds ours."""

    name: str = ""
    key: int | None = None  # the PMS section key (Komandorr, Guestlist)
    global_id: int | None = None  # plex.tv's id of the section (Wizarr's external_id, Guestlist)


@dataclass
class SourceInvite:
    ref: str  # how the source names the row, for the summary ("invitation 12")
    code: str
    created_at: datetime | None = None
    created_by: str = ""
    expires_at: datetime | None = None
    usage_limit: int | None = None
    used_count: int = 0
    user_expires_in_days: int | None = None
    allow_sync: bool = False
    allow_camera_upload: bool = False
    allow_channels: bool = False
    plex_home: bool = False
    # "all", "default", or the libraries one by one.
    libraries: str | list[SourceLibrary] = "default"
    content_limits: dict[str, object] | None = None  # as stored (contract.md "Content limits")
    description: str = ""
    is_active: bool = True
    trial_days: int | None = None
    # A Guestlist export's server (machine identifier) and further servers with their
    # libraries (issue 20); a server connected here is kept, else the import's server is used.
    server: str = ""
    more_servers: list[tuple[str, str | list[SourceLibrary]]] = field(default_factory=list)
    discord_gate: str = ""  # "", "sign_in" or "member" (Guestlist exports only)
    discord_role_ids: list[str] = field(default_factory=list)
    step_set: str | None = None  # a named step set, None for the default (Guestlist exports only)


@dataclass
class SourcePerson:
    ref: str
    email: str = ""
    username: str = ""
    plex_id: int | None = None
    thumb: str = ""
    invite_code: str = ""  # the invite they redeemed, if the source knows it
    redeemed_at: datetime | None = None
    created_at: datetime | None = None
    last_seen: datetime | None = None
    expires_at: datetime | None = None
    notes: str = ""
    person_key: str = ""  # Guestlist's own key, kept as exported
    reason: str = ""  # the source's own words on their membership, when it has them
    # Set by sources that keep their own history (Guestlist): a member who had already left
    # stays gone with the source's reason instead of being looked up on Plex.
    ended_status: str = ""
    ended_reason: str = ""
    ended_at: datetime | None = None
    pending: bool = False  # a Guestlist member whose Plex invitation was never accepted
    is_home: bool | None = None
    library_keys: list[int] | None = None
    allow_sync: bool | None = None
    allow_channels: bool | None = None
    allow_camera_upload: bool | None = None
    content_limits: dict[str, object] | None = None
    # A Guestlist export's server of this row and whether it is the person's person row
    # (issue 20: one row per server, linked by Member.primary).
    server: str = ""
    person_row: bool = True
    # The Discord account a gated invite tied to them (Guestlist exports only; never a token).
    discord_id: str = ""
    discord_username: str = ""
    discord_gate: str = ""
    discord_role_ids: list[str] = field(default_factory=list)
    discord_left_at: datetime | None = None


@dataclass
class SourceTemplate:
    """An invite template (Guestlist exports only): an invite's settings under a name."""

    ref: str
    name: str
    description: str = ""
    usage_limit: int | None = 1
    expires_in_days: int | None = None
    user_expires_in_days: int | None = None
    allow_sync: bool = False
    allow_channels: bool = False
    allow_camera_upload: bool = False
    plex_home: bool = False
    libraries: str | list[SourceLibrary] = "default"
    content_limits: dict[str, object] | None = None
    discord_gate: str = ""
    discord_role_ids: list[str] = field(default_factory=list)
    step_set: str | None = None
    created_at: datetime | None = None
    # The servers it names (machine identifier, libraries; issue 20); empty: none.
    servers: list[tuple[str, str | list[SourceLibrary]]] = field(default_factory=list)


@dataclass
class SourceUse:
    """One use of an invite: a known person's redemption, or a use whose person is gone."""

    invite_code: str
    person_ref: str = ""  # a SourcePerson.ref; empty for a use the source no longer ties to anyone
    at: datetime | None = None
    completed_at: datetime | None = None
    state: str = "done"
    method: str = "import"
    error_code: str = ""
    error: str = ""


@dataclass
class Source:
    name: str  # "wizarr", "komandorr", "guestlist"
    invites: list[SourceInvite] = field(default_factory=list)
    people: list[SourcePerson] = field(default_factory=list)
    uses: list[SourceUse] = field(default_factory=list)
    settings: dict[str, Any] | None = None
    # Onboarding step sets as exported, and invite templates (Guestlist exports only; issue 16).
    step_sets: list[dict[str, Any]] = field(default_factory=list)
    templates: list[SourceTemplate] = field(default_factory=list)
    # Invite requests and their page's settings (Guestlist exports only; issue 22), as exported.
    requests: list[dict[str, Any]] = field(default_factory=list)
    request_settings: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)  # what the reader noticed (missing tables, …)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # (table, what, why)


@dataclass
class TableSummary:
    imported: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    notes: list[str] = field(default_factory=list)

    def skip(self, what: str, why: str) -> None:
        self.skipped.append((what, why))

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "skipped": [{"what": what, "why": why} for what, why in self.skipped],
            "notes": list(self.notes),
        }


TABLES = ("invites", "members", "redemptions", "libraries", "settings", "requests", "step_sets", "templates")


@dataclass
class ImportSummary:
    source: str
    server: str
    dry_run: bool
    tables: dict[str, TableSummary] = field(default_factory=lambda: {name: TableSummary() for name in TABLES})
    notes: list[str] = field(default_factory=list)
    active: int = 0  # members who have access on Plex
    removed: int = 0  # members Plex no longer knows

    def table(self, name: str) -> TableSummary:
        return self.tables[name]

    def skip(self, table: str, what: str, why: str) -> None:
        self.tables[table].skipped.append((what, why))

    @property
    def changes_anything(self) -> bool:
        return any(summary.imported for summary in self.tables.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "server": self.server,
            "dry_run": self.dry_run,
            "members_active": self.active,
            "members_removed": self.removed,
            "notes": list(self.notes),
            "tables": {name: summary.as_dict() for name, summary in self.tables.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportSummary:
        """The summary ``as_dict`` wrote (the dashboard keeps a preview in the session)."""
        summary = cls(
            source=str(data["source"]),
            server=str(data["server"]),
            dry_run=bool(data["dry_run"]),
            notes=list(data.get("notes", [])),
            active=int(data.get("members_active", 0)),
            removed=int(data.get("members_removed", 0)),
        )
        for name, table in data.get("tables", {}).items():
            summary.tables[name] = TableSummary(
                imported=int(table.get("imported", 0)),
                skipped=[(str(item["what"]), str(item["why"])) for item in table.get("skipped", [])],
                notes=list(table.get("notes", [])),
            )
        return summary

    def lines(self) -> list[str]:
        """The summary as the CLI prints it (the dashboard shows the same pieces)."""
        head = "Dry run, nothing was written" if self.dry_run else "Imported"
        lines = [f"{head}: {self.source} into {self.server!r}."]
        for name, summary in self.tables.items():
            if not (summary.imported or summary.skipped or summary.notes):
                continue
            verb = "to import" if self.dry_run else "imported"
            text = f"{name}: {summary.imported} {verb}"
            if name == "members" and summary.imported:
                text += f" ({self.active} with access on Plex: active; {self.removed} not on Plex: removed)"
            if summary.skipped:
                text += f", {len(summary.skipped)} skipped"
            lines.append(text)
            lines.extend(f"  - skipped {what}: {why}" for what, why in summary.skipped)
            lines.extend(f"  - {note}" for note in summary.notes)
        lines.extend(f"note: {note}" for note in self.notes)
        return lines
