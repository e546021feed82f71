"""Erasing a person: a member who left keeps their row, counts and history, under a pseudonym.

Only a member whose access is over (``removed`` or ``expired``) can be erased: for anyone
else Guestlist still needs to know who they are on Plex. What goes: e-mail, username, avatar,
Plex id, notes, and the same on their redemptions, their Plex work, their Guestlist account,
their trial requests, and what notifications hold about them (event payloads, mails to
their address, their mail preferences). The audit trail stays, with the pseudonym: the labels of events about
them or by them, and any detail value that was one of their identifiers, are rewritten, and
the IP addresses of events they caused are dropped. Actions, times and counts are untouched.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Conflict, NotFound
from guestlist.core.models import AuditEvent
from guestlist.invite_requests.erasure import erase_requests
from guestlist.invites.models import Invite, Redemption
from guestlist.members.models import Member, Sighting, TrialExtensionRequest
from guestlist.notifications.models import Delivery, Event, Recipient
from guestlist.plexwork.models import PlexOperation

ERASABLE = (Member.Status.REMOVED, Member.Status.EXPIRED)
ERASED_PREFIX = "erased:"


def pseudonym(member: Member) -> str:
    return f"erased-member-{member.pk}"


def is_erased(member: Member) -> bool:
    return member.person_key.startswith(ERASED_PREFIX)


def erase_member(member_id: int, *, actor: Actor) -> Member:
    with transaction.atomic():
        member = Member.objects.select_for_update().filter(pk=member_id).first()
        if member is None:
            raise NotFound("No such member.")
        if is_erased(member):
            raise Conflict("This member's personal data is already erased.", code="already_erased")
        if member.status not in ERASABLE:
            raise Conflict(
                "Only a member whose access is over (removed or expired) can be erased; remove their access first.",
                code="member_active",
            )
        name = pseudonym(member)
        identifiers = _identifiers(member)
        # Their invite requests, found by address, go too (issue 22).
        for address in {value.lower() for value in identifiers if "@" in value}:
            erase_requests(address, actor=actor)
        user = User.objects.filter(pk=member.user_id).first() if member.user_id else None
        if user is not None:
            identifiers |= {user.get_username(), user.email} - {""}
            user.username = name
            user.email = user.first_name = user.last_name = ""
            user.is_active = False
            user.set_unusable_password()
            user.save()
            Invite.objects.filter(created_by=user).update(created_by_label=name)

        member.discord_id = member.discord_username = ""  # their Discord account (issue 22)
        if member.plex_id is not None:
            # What they watched last, kept for last seen (members/activity.py), goes too.
            Sighting.objects.filter(server_id=member.server_id, plex_account_id=member.plex_id).delete()
        member.email = member.thumb = member.notes = member.last_title = ""
        member.username = name  # what lists and history show from now on
        member.plex_id = member.plex_share_id = None
        member.person_key = f"{ERASED_PREFIX}{member.pk}"
        member.save()
        Redemption.objects.filter(member=member).update(
            username="", email="", plex_id=None, person_key=member.person_key, client_ip=None, user_token_encrypted=""
        )
        TrialExtensionRequest.objects.filter(member=member).update(message="")
        for operation in PlexOperation.objects.filter(member=member):
            operation.payload = _scrub(operation.payload, identifiers, name)
            operation.last_error = _scrub(operation.last_error, identifiers, name)
            operation.save(update_fields=["payload", "last_error"])

        _scrub_notifications(identifiers, name)

        about = Q(object_type="member", object_id=str(member.pk))
        by = Q(actor_user_id=member.user_id) if member.user_id else Q(pk__in=[])
        redeemer = Q(actor_kind=AuditEvent.Actor.REDEEMER, actor_label__in=identifiers)
        for event in AuditEvent.objects.filter(about | by | redeemer):
            if event.object_type == "member" and event.object_id == str(member.pk):
                event.object_label = name
            if event.actor_label in identifiers or (member.user_id and event.actor_user_id == member.user_id):
                event.actor_label = name
                event.ip = None
            event.details = _scrub(event.details, identifiers, name)
            event.save(update_fields=["object_label", "actor_label", "ip", "details"])
        audit.record(actor, "member.erased", member, label=name)
    return member


def _scrub_notifications(identifiers: set[str], name: str) -> None:
    """Events told about them, mails to them, and their mail preferences."""
    emails = {value for value in identifiers if "@" in value}
    for event in Event.objects.iterator(chunk_size=500):
        scrubbed = _scrub(event.payload, identifiers, name)
        if scrubbed != event.payload:
            Event.objects.filter(pk=event.pk).update(payload=scrubbed)
    for delivery in Delivery.objects.filter(recipient__in=emails):
        if delivery.status == Delivery.Status.PENDING:
            delivery.status = Delivery.Status.FAILED
            delivery.last_error = "recipient erased"
        delivery.recipient = name
        delivery.mail = {}
        delivery.save(update_fields=["recipient", "mail", "status", "last_error"])
    Recipient.objects.filter(email__in=emails).delete()


def _identifiers(member: Member) -> set[str]:
    found = {member.email, member.email.lower(), member.username, member.person_key, member.thumb}
    # Event payloads carry the member's Discord account too (members.representation).
    found |= {member.discord_id, member.discord_username}
    if member.plex_id is not None:
        found.add(str(member.plex_id))
    return {value for value in found if value}


def _scrub(value: Any, identifiers: set[str], name: str) -> Any:
    """Replace every value that is one of the person's identifiers (or mentions one)."""
    if isinstance(value, dict):
        return {key: _scrub(item, identifiers, name) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, identifiers, name) for item in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return name if str(value) in identifiers else value
    if isinstance(value, str):
        if value in identifiers:
            return name
        for identifier in sorted(identifiers, key=len, reverse=True):
            if len(identifier) >= 4 and identifier in value:
                value = value.replace(identifier, name)
        return value
    return value
