"""The one importer: a ``Source`` (Wizarr, Komandorr or a Guestlist export) into this install.

The order is fixed by the rule that no write transaction is held across a Plex call:
1. the source file is read (read-only) and the Plex server's user list is read through the
   gateway, outside any transaction;
2. in one transaction, every record is decided and written (all or nothing), and the summary
   is audited. A dry run decides the same way and writes nothing.

Nothing here shares, unshares or invites anyone on Plex: a person with access on Plex
becomes ``active``, a person Plex does not know any more becomes ``removed`` with the reason.
Repeating an import changes nothing: codes and people already in Guestlist are reported and
skipped. Library selections are matched to the server's libraries (plex.tv id, then the PMS
key for Komandorr, then a title only when exactly one library has it); an invite with a library
that cannot be matched is imported disabled, with the libraries that did match, and reported.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Conflict, Invalid
from guestlist.core.models import SiteSettings
from guestlist.discord.models import DiscordSettings
from guestlist.invite_requests import services as request_services
from guestlist.invite_requests.models import InviteRequest
from guestlist.invites import guide, onboarding
from guestlist.invites.codes import looks_like_code, normalize
from guestlist.invites.models import Invite, InviteServer, InviteTemplate, Redemption, Step, StepSet
from guestlist.members.models import Member
from guestlist.members.site_settings import EDITABLE_SETTINGS, update_site_settings
from guestlist.members.sync import read_users
from guestlist.plex.content_limits import from_filters
from guestlist.plex.models import Library, MediaServer
from guestlist.plex.records import PlexUser
from guestlist.transfer import export, komandorr, wizarr
from guestlist.transfer.peerdb import parse_datetime
from guestlist.transfer.records import (
    ImportSummary,
    Source,
    SourceInvite,
    SourceLibrary,
    SourcePerson,
    SourceTemplate,
)

Status = Member.Status
SOURCES = ("wizarr", "komandorr", "guestlist")
SOURCE_LABELS = {"wizarr": "Wizarr", "komandorr": "Komandorr", "guestlist": "a Guestlist export"}


def read_source(kind: str, path: Path) -> Source:
    if kind == "wizarr":
        return wizarr.read(path)
    if kind == "komandorr":
        return komandorr.read(path)
    if kind == "guestlist":
        return export.read(path)
    raise Invalid(f"Unknown import source {kind!r}: use one of {', '.join(SOURCES)}.")


def pick_server(ref: str | int | None = None) -> MediaServer:
    """The connected server to import into: the only one, or the one named by id or name."""
    servers = list(MediaServer.objects.all())
    if not servers:
        raise Conflict(
            "Connect your Plex server first (guestlist server add, or Settings in the dashboard): "
            "imported members are checked against its users.",
            code="no_server",
        )
    if ref in (None, ""):
        if len(servers) > 1:
            raise Invalid("Several Plex servers are connected; name the one to import into (--server ID or name).")
        return servers[0]
    for server in servers:
        if str(server.pk) == str(ref) or server.name == ref or server.machine_identifier == ref:
            return server
    raise Invalid(f"No connected Plex server is called {ref!r}.")


def run_import(
    kind: str, path: Path, *, actor: Actor, dry_run: bool = False, server: MediaServer | None = None
) -> ImportSummary:
    target = server or pick_server()
    source = read_source(kind, path)
    users = read_users(target)  # before the transaction: never hold one across a Plex call
    # A Guestlist export of several servers (issue 20): rows of another server connected here
    # go to it, checked against its own users.
    more = {
        other.machine_identifier: (other, read_users(other))
        for other in MediaServer.objects.exclude(pk=target.pk).filter(machine_identifier__in=named_servers(source))
    }
    if dry_run:
        return Importer(source, target, users, actor=actor, write=False, more=more).run()
    with transaction.atomic():
        summary = Importer(source, target, users, actor=actor, write=True, more=more).run()
        if summary.changes_anything:
            audit.record(actor, "transfer.import", None, label=f"{kind} import", **_audit_details(summary))
    return summary


def named_servers(source: Source) -> set[str]:
    """The servers (machine identifiers) a Guestlist export's rows name."""
    named = {person.server for person in source.people} | {invite.server for invite in source.invites}
    named |= {machine for invite in source.invites for machine, _libraries in invite.more_servers}
    named |= {machine for template in source.templates for machine, _libraries in template.servers}
    return named - {""}


def _audit_details(summary: ImportSummary) -> dict[str, object]:
    """Counts and reasons, without the rows' names: the audit log should not become a second
    copy of people's e-mail addresses, which erasing a member could not reach."""
    tables: dict[str, dict[str, object]] = {}
    for name, table in summary.tables.items():
        reasons: dict[str, int] = {}
        for _what, why in table.skipped:
            reasons[why] = reasons.get(why, 0) + 1
        tables[name] = {"imported": table.imported, "skipped": len(table.skipped), "reasons": reasons}
    return {
        "source": summary.source,
        "server": summary.server,
        "members_active": summary.active,
        "members_removed": summary.removed,
        "tables": tables,
    }


@dataclass
class _Person:
    record: SourcePerson
    member: Member | None = None
    person_key: str = ""
    plex_id: int | None = None
    email: str = ""
    server_id: int | None = None


@dataclass(frozen=True)
class _Place:
    """A server rows are imported into, with its Plex users and libraries."""

    server: MediaServer
    users: list[PlexUser]
    libraries: list[Library]


@dataclass
class Importer:
    source: Source
    server: MediaServer
    users: list[PlexUser]
    actor: Actor
    write: bool
    now: datetime = field(default_factory=timezone.now)
    # Further connected servers a Guestlist export names (machine identifier: server, users).
    more: dict[str, tuple[MediaServer, list[PlexUser]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.summary = ImportSummary(self.source.name, self.server.name, dry_run=not self.write)
        self.libraries = list(Library.objects.filter(server=self.server, is_present=True))
        self.places = {self.server.machine_identifier: _Place(self.server, self.users, self.libraries)}
        for machine, (server, users) in self.more.items():
            self.places[machine] = _Place(server, users, list(Library.objects.filter(server=server, is_present=True)))
        self.invites: dict[str, Invite] = {}  # code → the invite this run brings in
        # A named set of the file → ours (None in a dry run: the set would be made).
        self.step_sets: dict[str, StepSet | None] = {}
        self.people: dict[str, _Person] = {}  # SourcePerson.ref → what became of them
        self.label = SOURCE_LABELS.get(self.source.name, self.source.name)

    def run(self) -> ImportSummary:
        self.summary.notes.extend(self.source.notes)
        for table, what, why in self.source.skipped:
            self.summary.skip(table, what, why)
        self.bring_step_sets()
        for template in self.source.templates:
            self.bring_template(template)
        for invite in self.source.invites:
            self.bring_invite(invite)
        for person in self.source.people:
            self.bring_person(person)
        self.link_persons()
        self.bring_uses()
        if self.source.settings is not None:
            self.bring_settings(self.source.settings)
        self.bring_requests()
        return self.summary

    def place(self, machine: str) -> _Place:
        """Where a row of ``machine`` goes: that server when it is connected, else the import's."""
        return self.places.get(machine) or self.places[self.server.machine_identifier]

    # Invites

    def bring_invite(self, record: SourceInvite) -> None:
        what = f"{record.ref} ({record.code})" if record.ref else record.code
        code = normalize(record.code)
        if not looks_like_code(code):
            self.summary.skip("invites", what, "the code cannot be used here (1–32 letters, digits, - or _)")
            return
        if code in self.invites:
            self.summary.skip("invites", what, "the file has this code twice; the first one is kept")
            return
        if Invite.objects.filter(code=code).exists():
            self.summary.skip("invites", what, "an invite with this code is already in Guestlist")
            return
        place = self.place(record.server)
        libraries, unmatched = self.match_libraries(record.libraries, what, place)
        more = self.more_servers(record, what, place)
        if any(missing for _server, _libraries, missing in more):
            unmatched = [*unmatched, *(name for _server, _libraries, missing in more for name in missing)]
        is_active = record.is_active
        if unmatched:
            is_active = False
            self.summary.table("invites").notes.append(
                f"{code} is imported disabled: {', '.join(unmatched)} could not be matched to a library of "
                f"{place.server.name}; check its libraries, then enable it."
            )
        usage_limit = record.usage_limit
        if usage_limit is not None and not 1 <= usage_limit <= 32767:
            self.summary.table("invites").notes.append(f"{code}: usage limit {usage_limit} read as unlimited.")
            usage_limit = None
        invite = Invite(
            code=code,
            server=place.server,
            description=record.description[:500],
            created_by_label=(record.created_by or self.label)[:150],
            expires_at=record.expires_at,
            usage_limit=usage_limit,
            user_expires_in_days=record.user_expires_in_days,
            allow_sync=record.allow_sync,
            allow_camera_upload=record.allow_camera_upload,
            allow_channels=record.allow_channels,
            plex_home=record.plex_home,
            libraries=libraries,
            content_limits=record.content_limits,
            is_active=is_active,
            # The peers have no trials: an imported invite goes on giving what it gave there.
            trial_days=record.trial_days if self.source.name == "guestlist" else 0,
            discord_gate=record.discord_gate,
            discord_role_ids=record.discord_role_ids if record.discord_gate == "member" else [],
            step_set=self.step_set_for(record.step_set, "invites", code),
        )
        if record.discord_gate and not self.discord_ready(record.discord_gate):
            # Kept gated (an import never opens an invite wider), but nobody can pass the gate yet.
            self.summary.table("invites").notes.append(
                f"{code} asks redeemers to sign in with Discord: connect Discord (Settings → Discord) "
                "before it can be redeemed."
            )
        if self.write:
            invite.save()
            if record.created_at is not None:
                Invite.objects.filter(pk=invite.pk).update(created_at=record.created_at)
            InviteServer.objects.bulk_create(
                InviteServer(invite=invite, server=server, libraries=selection) for server, selection, _missing in more
            )
        self.invites[code] = invite
        self.summary.table("invites").imported += 1

    def more_servers(self, record: SourceInvite, what: str, place: _Place) -> list[tuple[MediaServer, str, list[str]]]:
        """An exported invite's further servers that are connected here, with their libraries
        matched (and those that did not match); the others are reported and left out."""
        found: list[tuple[MediaServer, str, list[str]]] = []
        for machine, wanted in record.more_servers:
            other = self.places.get(machine)
            if other is None or other.server.pk == place.server.pk or any(s.pk == other.server.pk for s, *_ in found):
                self.summary.table("invites").notes.append(
                    f"{what}: its further server {machine} is not connected here (or named twice); left out."
                )
                continue
            selection, missing = self.match_libraries(wanted, what, other)
            found.append((other.server, selection, missing))
        return found

    # Onboarding step sets and invite templates (Guestlist exports only; issue 16)

    def bring_step_sets(self) -> None:
        """Named sets are added unless one of that name exists; the default set takes the file's
        steps only while ours is still Guestlist's shipped one (an owner's own steps are kept)."""
        table = self.summary.table("step_sets")
        for number, item in enumerate(self.source.step_sets, start=1):
            name = str(item.get("name") or "").strip()[:100]
            what = f"step set {number} ({name or '?'})"
            steps = self.clean_steps(item.get("steps"), what)
            if item.get("is_default"):
                self.bring_default_steps(steps, what)
                continue
            if not name:
                table.skip(what, "no name")
                continue
            found = StepSet.objects.filter(name=name, is_default=False).first()
            if found is not None or StepSet.objects.filter(name=name).exists():
                table.skip(what, "a step set with this name is already in Guestlist")
                if found is not None:
                    self.step_sets[name] = found
                continue
            table.imported += 1
            self.step_sets[name] = None
            if self.write:
                made = StepSet.objects.create(name=name)
                Step.objects.bulk_create(Step(step_set=made, **fields) for fields in steps)
                self.step_sets[name] = made
                transaction.on_commit(guide.forget_cached_steps)

    def bring_default_steps(self, steps: list[dict[str, Any]], what: str) -> None:
        table = self.summary.table("step_sets")
        ours = onboarding.default_set() if self.write else StepSet.objects.filter(is_default=True).first()
        present = [step_fields(step) for step in Step.objects.filter(step_set=ours)] if ours is not None else []
        if _ordered(present) == _ordered(steps):
            return  # already as in the file
        if _ordered(present) != _ordered(SHIPPED_STEPS):
            table.skip(what, "the default step set here has steps of its own; they were kept")
            return
        table.imported += 1
        if self.write and ours is not None:
            Step.objects.filter(step_set=ours).delete()
            Step.objects.bulk_create(Step(step_set=ours, **fields) for fields in steps)
            ours.save(update_fields=["updated_at"])  # part of the cached invite page's key
            transaction.on_commit(guide.forget_cached_steps)

    def clean_steps(self, value: object, what: str) -> list[dict[str, Any]]:
        """The file's steps, checked as the step editor checks them; a bad step is left out."""
        kept: list[dict[str, Any]] = []
        counts = {"before": 0, "after": 0}
        for number, item in enumerate(value if isinstance(value, list) else [], start=1):
            try:
                fields = _step_in(item)
            except Invalid as exc:
                self.summary.skip("step_sets", f"step {number} of {what}", exc.message)
                continue
            group = str(fields["group"])
            if counts[group] >= onboarding.MAX_STEPS_PER_GROUP:
                self.summary.skip("step_sets", f"step {number} of {what}", "too many steps in its group")
                continue
            fields["position"] = counts[group]
            counts[group] += 1
            kept.append(fields)
        return kept

    def step_set_for(self, name: str | None, table: str, what: str) -> StepSet | None:
        if name is None:
            return None
        if name in self.step_sets:
            return self.step_sets[name]
        found = StepSet.objects.filter(name=name, is_default=False).first()
        if found is None:
            self.summary.table(table).notes.append(f"{what}: its step set {name!r} is not here; it uses the default.")
        return found

    def bring_template(self, record: SourceTemplate) -> None:
        what = f"{record.ref} ({record.name})"
        name = record.name.strip()
        if not name or len(name) > 100:
            self.summary.skip("templates", what, "no name of at most 100 characters")
            return
        if InviteTemplate.objects.filter(name=name).exists():
            self.summary.skip("templates", what, "a template with this name is already in Guestlist")
            return
        libraries, unmatched = self.match_libraries(record.libraries, what)
        if unmatched:
            self.summary.table("templates").notes.append(
                f"{name}: {', '.join(unmatched)} could not be matched to a library of {self.server.name}; "
                "check its libraries."
            )
        template = InviteTemplate(
            name=name,
            description=record.description[:500],
            usage_limit=record.usage_limit if record.usage_limit is None or 1 <= record.usage_limit <= 100 else 1,
            expires_in_days=record.expires_in_days,
            user_expires_in_days=record.user_expires_in_days,
            allow_sync=record.allow_sync,
            allow_channels=record.allow_channels,
            allow_camera_upload=record.allow_camera_upload,
            plex_home=record.plex_home,
            libraries=libraries,
            content_limits=record.content_limits,
            discord_gate=record.discord_gate,
            discord_role_ids=record.discord_role_ids if record.discord_gate == "member" else [],
            step_set=self.step_set_for(record.step_set, "templates", name),
            servers=self.template_servers(record, what),
        )
        if self.write:
            template.save()
            if record.created_at is not None:
                InviteTemplate.objects.filter(pk=template.pk).update(created_at=record.created_at)
        self.summary.table("templates").imported += 1

    def template_servers(self, record: SourceTemplate, what: str) -> list[dict[str, object]] | None:
        """The servers a template names that are connected here, with their libraries matched;
        fewer than two left: it names none (its libraries apply to whichever server is used)."""
        kept: list[dict[str, object]] = []
        for machine, wanted in record.servers:
            place = self.places.get(machine)
            if place is None:
                self.summary.table("templates").notes.append(f"{what}: its server {machine} is not connected here.")
                continue
            selection, _unmatched = self.match_libraries(wanted, what, place)
            kept.append({"server_id": place.server.pk, "libraries": selection})
        return kept if len(kept) > 1 else None

    def discord_ready(self, gate: str) -> bool:
        settings = DiscordSettings.objects.filter(pk=1).first()  # load() would write the row
        if settings is None:
            return False
        return settings.ready if gate == "member" else settings.sign_in_ready

    def match_libraries(
        self, wanted: str | list[SourceLibrary], what: str, place: _Place | None = None
    ) -> tuple[str, list[str]]:
        if isinstance(wanted, str):
            return wanted, []
        place = place or self.place("")
        keys: list[int] = []
        unmatched: list[str] = []
        for library in wanted:
            found = match_library(library, place.libraries)
            name = describe_library(library)
            if found is None:
                unmatched.append(name)
                self.summary.skip("libraries", f"{name} of {what}", f"no library of {place.server.name} matches it")
            else:
                keys.append(found.key)
                self.summary.table("libraries").imported += 1
        if not keys:
            return "default", unmatched
        return ",".join(map(str, sorted(set(keys)))), unmatched

    # Members

    def bring_person(self, record: SourcePerson) -> None:
        what = f"{record.ref} ({record.email or record.username or record.plex_id or '?'})"
        place = self.place(record.server)
        user = find_plex_user(record, place.users)
        plex_id = record.plex_id if record.plex_id is not None else (user.id if user else None)
        email = (record.email or (user.email if user else "")).strip()
        if record.person_key:
            person_key = record.person_key
        elif plex_id is not None:
            person_key = f"plex:{plex_id}"
        elif email:
            person_key = f"email:{email.lower()}"
        else:
            self.summary.skip("members", what, "no Plex id and no e-mail, and Plex does not know the username")
            return
        if any(
            seen.server_id == place.server.pk
            and (
                seen.person_key == person_key
                or (plex_id is not None and seen.plex_id == plex_id)
                or (email and seen.email.casefold() == email.casefold())
            )
            for seen in self.people.values()
        ):
            self.summary.skip("members", what, "the file has this person twice; the first one is kept")
            return
        existing = self.existing_member(person_key, plex_id, email, place.server)
        if existing is not None:
            self.summary.skip("members", what, f"already a member in Guestlist (#{existing.pk})")
            self.people[record.ref] = _Person(record, None, person_key, plex_id, email, place.server.pk)
            return
        member = Member(
            server=place.server,
            person_key=person_key,
            email=email[:254],
            username=(record.username or (user.username or user.title if user else ""))[:200],
            plex_id=plex_id,
            thumb=(record.thumb or (user.thumb if user else ""))[:500],
            invite=self.invites.get(normalize(record.invite_code)) if record.invite_code else None,
            expires_at=record.expires_at,
            notes=record.notes,
            last_seen=latest(record.last_seen, user.last_seen_at if user else None),
            discord_id=record.discord_id,
            discord_username=record.discord_username if record.discord_id else "",
            discord_gate=record.discord_gate,
            discord_role_ids=record.discord_role_ids,
            discord_left_at=record.discord_left_at,
        )
        self.decide_status(member, record, user, place.server)
        if record.invite_code and member.invite is None:
            self.summary.table("members").notes.append(
                f"{member} came through {normalize(record.invite_code)}, which was not imported; "
                "imported without an invite."
            )
        if self.write:
            member.save()
            joined = record.created_at or record.redeemed_at
            if joined is not None:
                Member.objects.filter(pk=member.pk).update(created_at=joined)
        self.people[record.ref] = _Person(record, member, person_key, plex_id, email, place.server.pk)
        self.summary.table("members").imported += 1
        if member.status in (Status.ACTIVE, Status.PENDING):
            self.summary.active += 1
            if member.expires_at is not None and member.expires_at <= self.now:
                self.summary.table("members").notes.append(
                    f"{member} still has access but their expiry ({member.expires_at:%Y-%m-%d}) has passed: "
                    "the expiry job will remove their access."
                )
        else:
            self.summary.removed += 1

    def decide_status(
        self, member: Member, record: SourcePerson, user: PlexUser | None, server: MediaServer | None = None
    ) -> None:
        server = server or self.server
        has_access = user is not None and (user.share_id is not None or user.home)
        if record.ended_status:
            member.status = record.ended_status
            member.reason = record.ended_reason[:200]
            member.removed_at = record.ended_at or self.now
        elif has_access and user is not None:
            member.status = Status.ACTIVE
            member.reason = self.reason_for(record)
            member.is_home = user.home and user.share_id is None
            member.plex_share_id = user.share_id
            member.library_keys = list(user.library_keys) if user.library_keys is not None else None
            member.allow_sync = user.allow_sync
            member.allow_channels = user.allow_channels
            member.allow_camera_upload = user.allow_camera_upload
            limits = from_filters(user.filter_movies, user.filter_television, user.filter_music)
            member.content_limits = limits.as_json()
            return
        elif record.pending:
            member.status = Status.PENDING
            member.reason = self.reason_for(record)
        else:
            member.status = Status.REMOVED
            member.removed_at = self.now
            member.reason = (
                f"no access to {server.name} on Plex at import from {self.label}"
                if user is not None
                else f"not among {server.name}'s Plex users at import from {self.label}"
            )[:200]
        if record.is_home is not None:
            member.is_home = record.is_home
        member.library_keys = record.library_keys
        for name in ("allow_sync", "allow_channels", "allow_camera_upload"):
            value = getattr(record, name)
            if value is not None:
                setattr(member, name, value)
        if record.content_limits is not None:
            member.content_limits = record.content_limits

    def reason_for(self, record: SourcePerson) -> str:
        # A Guestlist export carries its own words (often none); a peer's member gets a note.
        return (record.reason if self.source.name == "guestlist" else f"imported from {self.label}")[:200]

    def existing_member(
        self, person_key: str, plex_id: int | None, email: str, server: MediaServer | None = None
    ) -> Member | None:
        server = server or self.server
        found = Member.objects.filter(server=server, person_key=person_key).first()
        if found is None and plex_id is not None:
            found = Member.objects.filter(server=server, plex_id=plex_id).first()
        if found is None and email:
            found = Member.objects.filter(server=server, email__iexact=email).first()
        return found

    def link_persons(self) -> None:
        """One person's rows on several servers (issue 20): the export's person row stays the
        person row, the others point to it (``Member.primary``), as on the install exported."""
        rows: dict[str, list[_Person]] = {}
        for person in self.people.values():
            if person.member is not None:
                rows.setdefault(person.person_key, []).append(person)
        for group in rows.values():
            head = next((person for person in group if person.record.person_row), group[0]).member
            if head is None:
                continue
            if len(group) == 1:
                # A single row joins a person already here on another server, if there is one.
                before = Member.objects.filter(person_key=head.person_key, primary__isnull=True).exclude(
                    server=head.server
                )
                earlier = before.exclude(pk=head.pk).order_by("pk").first() if self.write else None
                if earlier is not None:
                    head.primary = earlier
                    Member.objects.filter(pk=head.pk).update(primary=earlier)
                continue
            for person in group:
                if person.member is not None and person.member is not head:
                    person.member.primary = head
                    if self.write:
                        Member.objects.filter(pk=person.member.pk).update(primary=head)

    # Uses of invites (redemptions)

    def bring_uses(self) -> None:
        counted: dict[str, int] = {}
        keys: set[tuple[str, str]] = set()
        table = self.summary.table("redemptions")
        for number, use in enumerate(self.source.uses, start=1):
            code = normalize(use.invite_code)
            invite = self.invites.get(code)
            if invite is None:
                continue  # its invite was skipped, and reported with it
            person = self.people.get(use.person_ref) if use.person_ref else None
            member = person.member if person is not None else None
            record = person.record if person is not None else None
            person_key = member.person_key if member is not None else f"import:{self.source.name}:{code}:{number}"
            live = use.state in (Redemption.State.PENDING, Redemption.State.DONE)
            if live and (code, person_key) in keys:
                table.skip(f"{code} by {member}", "the same person used it twice; counted once")
                continue
            redemption = Redemption(
                invite=invite,
                invite_code=code,
                member=member,
                username=(member.username if member else (record.username if record else ""))[:200],
                method=use.method if use.method in Redemption.Method.values else Redemption.Method.IMPORT,
                state=use.state,
                person_key=person_key,
                email=member.email if member else "",
                plex_id=member.plex_id if member else None,
                error_code=use.error_code[:32],
                error=use.error,
            )
            if live:
                keys.add((code, person_key))
                counted[code] = counted.get(code, 0) + 1
            if self.write:
                redemption.save()
                at = use.at or (record.redeemed_at if record else None)
                done = redemption.state == Redemption.State.DONE
                completed = use.completed_at or ((at or self.now) if done else None)
                Redemption.objects.filter(pk=redemption.pk).update(
                    created_at=at or redemption.created_at, completed_at=completed
                )
            table.imported += 1
            if member is None:
                table.notes.append(f"{code}: one use by someone {self.label} no longer knows is kept as a use.")
        # used_count is the invite's live uses, as everywhere in Guestlist.
        for code, count in counted.items():
            invite = self.invites[code]
            invite.used_count = count
            if self.write:
                Invite.objects.filter(pk=invite.pk).update(used_count=count)

    # Settings (Guestlist exports only)

    def bring_settings(self, values: dict[str, object]) -> None:
        site = SiteSettings.load()
        changes: dict[str, object] = {}
        table = self.summary.table("settings")
        for name, value in values.items():
            if name not in EDITABLE_SETTINGS:
                table.skip(name, "not a setting this version knows")
                continue
            if name == "default_libraries" and isinstance(value, str) and value not in ("all", "default"):
                table.skip(name, "names libraries of the exported server by key; set it again here")
                continue
            if getattr(site, name) != value:
                changes[name] = value
        table.imported = len(changes)
        if self.write and changes:
            update_site_settings(changes, actor=self.actor)

    # Invite requests (Guestlist exports only; issue 22)

    def bring_requests(self) -> None:
        table = self.summary.table("requests")
        for number, item in enumerate(self.source.requests, start=1):
            what = f"request {number}"
            try:
                asked = request_services.check_submission(
                    {"name": item.get("name"), "email": item.get("email"), "message": item.get("message")}, []
                )
            except Invalid:
                table.skip(what, "no valid name and e-mail address (erased, or damaged)")
                continue
            status = item.get("status")
            try:
                created_at = parse_datetime(item.get("created_at"))
                decided_at = parse_datetime(item.get("decided_at"))
            except (TypeError, ValueError, OverflowError, OSError):
                created_at = decided_at = None
            if status not in request_services.STATUSES or created_at is None:
                table.skip(what, "no known status or date")
                continue
            if InviteRequest.objects.filter(email=asked.email, created_at=created_at).exists():
                table.skip(what, "this request is already in Guestlist")
                continue
            table.imported += 1
            if not self.write:
                continue
            answers = item.get("answers")
            code = str(item.get("invite_code") or "")
            made = InviteRequest.objects.create(
                name=asked.name,
                email=asked.email,
                message=asked.message,
                answers=[
                    {"question": str(pair.get("question", ""))[:200], "answer": str(pair.get("answer", ""))[:1000]}
                    for pair in (answers if isinstance(answers, list) else [])
                    if isinstance(pair, dict)
                ],
                language=str(item.get("language") or "en")[:8],
                status=status,
                decided_at=decided_at,
                decided_by=str(item.get("decided_by") or "")[:150],
                decision_message=str(item.get("decision_message") or "")[:2000],
                invite=Invite.objects.filter(code=normalize(code)).first() if code else None,
            )
            # The request keeps the moment it was made, not the moment of the import.
            InviteRequest.objects.filter(pk=made.pk).update(created_at=created_at)
        wanted = self.source.request_settings
        if wanted is not None and self.write:
            current = request_services.settings_as_api()
            changes: dict[str, object] = {
                key: wanted[key] for key in ("enabled", "questions") if key in wanted and wanted[key] != current[key]
            }
            if changes:
                try:
                    request_services.update_settings(changes, actor=self.actor)
                except Invalid as exc:
                    table.notes.append(f"the request page's settings were not taken: {exc.message}")


def match_library(wanted: SourceLibrary, present: list[Library]) -> Library | None:
    """Our library for the source's, or None: by plex.tv id; for a bare PMS key (Komandorr, which
    manages this very server) by key; else by title, only when exactly one library has it."""
    if wanted.global_id is not None:
        by_id = [library for library in present if library.global_id == wanted.global_id]
        if by_id:
            return by_id[0]
    if wanted.key is not None and wanted.global_id is None and not wanted.name:
        return next((library for library in present if library.key == wanted.key), None)
    if wanted.name:
        exact = [library for library in present if library.title == wanted.name]
        folded = [library for library in present if library.title.casefold() == wanted.name.casefold()]
        for found in (exact, folded):
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                return None  # two libraries of that name: not guessed
    return None


def describe_library(library: SourceLibrary) -> str:
    if library.name:
        return f"library {library.name!r}"
    if library.key is not None:
        return f"section {library.key}"
    return f"library with plex.tv id {library.global_id}"


def find_plex_user(record: SourcePerson, users: list[PlexUser]) -> PlexUser | None:
    """The person on Plex: by Plex account id, else e-mail, else username (Plex's are unique)."""
    tests: list[Callable[[PlexUser], bool]] = []
    if record.plex_id is not None:
        tests.append(lambda user: user.id == record.plex_id)
    if record.email:
        tests.append(lambda user: bool(user.email) and user.email.casefold() == record.email.casefold())
    if record.username:
        tests.append(lambda user: bool(user.username) and user.username.casefold() == record.username.casefold())
    for test in tests:
        found = next((user for user in users if not user.managed and test(user)), None)
        if found is not None:
            return found
    return None


def latest(*moments: datetime | None) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


# Steps as the export file holds them; what a freshly installed default set holds.
STEP_FIELDS = ("group", "shipped", "title", "body", "requires_acceptance", "acceptance_label", "buttons")
SHIPPED_STEPS: list[dict[str, Any]] = [
    {
        "group": "after",
        "shipped": key,
        "title": "",
        "body": "",
        "requires_acceptance": False,
        "acceptance_label": "",
        "buttons": [{"kind": kind, "label": "", "url": ""} for kind in onboarding.SHIPPED[key].buttons],
    }
    for key in onboarding.SHIPPED_ORDER
]


def step_fields(step: Step) -> dict[str, Any]:
    return {name: getattr(step, name) for name in STEP_FIELDS}


def _ordered(steps: list[dict[str, Any]]) -> list[str]:
    """Steps compared by content in their order (positions are renumbered on import)."""
    by_group = sorted(steps, key=lambda step: 0 if step["group"] == "before" else 1)
    return [json.dumps({name: step.get(name) for name in STEP_FIELDS}, sort_keys=True) for step in by_group]


def _step_in(item: object) -> dict[str, Any]:
    """One step of the file, checked like the step editor's input (raises ``Invalid``)."""
    if not isinstance(item, dict):
        raise Invalid("not a step")
    group = item.get("group")
    if group not in ("before", "after"):
        raise Invalid("its group is not before or after")
    shipped = str(item.get("shipped") or "")
    if shipped and shipped not in onboarding.SHIPPED:
        shipped = ""  # a shipped step this version does not know: its own words stay
    title = item.get("title") or ""
    body = item.get("body") or ""
    label = item.get("acceptance_label") or ""
    if not isinstance(title, str) or len(title) > onboarding.MAX_TITLE:
        raise Invalid("its title is not text of at most 200 characters")
    if not isinstance(body, str) or len(body) > onboarding.MAX_BODY:
        raise Invalid("its text is too long")
    if not isinstance(label, str) or len(label) > onboarding.MAX_TITLE:
        raise Invalid("its acceptance label is not text of at most 200 characters")
    if not (title.strip() or shipped):
        raise Invalid("no title")
    return {
        "group": group,
        "shipped": shipped,
        "title": title.strip(),
        "body": body,
        "requires_acceptance": bool(item.get("requires_acceptance")),
        "acceptance_label": label.strip(),
        "buttons": onboarding.clean_buttons(item.get("buttons")),
    }
