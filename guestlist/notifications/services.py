"""Destinations, the SMTP server and the delivery log: what the dashboard, the API and the CLI share.

Secrets (Apprise URLs, webhook secrets, the SMTP password) are encrypted at rest and never
answered again; a webhook's secret is answered once, when it is made (or rotated).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from guestlist.core import audit, ratelimit
from guestlist.core.audit import Actor
from guestlist.core.errors import Conflict, Invalid, NotFound, TooManyRequests
from guestlist.invites.models import Invite
from guestlist.lib import crypto
from guestlist.notifications import mail, notify
from guestlist.notifications.events import EVENT_TYPES, emit_test
from guestlist.notifications.models import Delivery, Destination, MailServer
from guestlist.notifications.senders import new_webhook_secret

Kind = Destination.Kind
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)
MAX_MESSAGE = 2000


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(message, details=[{"field": field, "message": message}])


def _email(value: object, field: str = "email") -> str:
    if not isinstance(value, str) or not value.strip():
        raise _invalid(field, "An e-mail address is required.")
    try:
        validate_email(value.strip())
    except ValidationError:
        raise _invalid(field, "This is not a valid e-mail address.") from None
    return value.strip()


def _events(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid("events", "events is a list of event types.")
    unknown = sorted(set(value) - set(EVENT_TYPES))
    if unknown:
        raise _invalid("events", f"Unknown events: {', '.join(unknown)}.")
    return [event for event in EVENT_TYPES if event in value]


def _http_url(value: object) -> str:
    if not isinstance(value, str) or urlsplit(value.strip()).scheme not in ("http", "https"):
        raise _invalid("url", "A webhook needs an http:// or https:// URL.")
    if not urlsplit(value.strip()).netloc:
        raise _invalid("url", "A webhook needs an http:// or https:// URL.")
    return value.strip()[:2000]


def _apprise_url(value: object) -> str:
    # Apprise itself is too heavy to load in the web process; the worker reports URLs it cannot use.
    if not isinstance(value, str) or "://" not in value.strip() or len(value.strip()) > 2000:
        raise _invalid("url", "An Apprise URL looks like discord://webhook_id/token or ntfys://topic.")
    return value.strip()


def apprise_service(destination: Destination) -> str:
    """The Apprise URL's scheme (``discord``, ``ntfys``…): what the owner may see of it after saving."""
    if destination.kind != Kind.APPRISE or not destination.secret_encrypted:
        return ""
    try:
        return crypto.decrypt(destination.secret_encrypted).split("://", 1)[0][:20]
    except crypto.DecryptionError:
        return ""


def destination_as_api(destination: Destination) -> dict[str, Any]:
    return {
        "id": destination.pk,
        "name": destination.name,
        "kind": destination.kind,
        "enabled": destination.enabled,
        "events": list(destination.events or []),
        "language": destination.language,
        "url": destination.url if destination.kind == Kind.WEBHOOK else None,
        "email": destination.email if destination.kind == Kind.EMAIL else None,
        "service": apprise_service(destination) or None,
        "has_secret": bool(destination.secret_encrypted),
        "created_at": destination.created_at,
        "updated_at": destination.updated_at,
    }


@dataclass(frozen=True)
class Saved:
    destination: Destination
    secret: str | None = None  # a webhook's new secret, answered this once


def _apply(destination: Destination, data: Mapping[str, Any], *, creating: bool) -> str | None:
    secret: str | None = None
    if "name" in data:
        name = data["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise _invalid("name", "A name of 1 to 100 characters is required.")
        destination.name = name.strip()
    if "enabled" in data:
        if not isinstance(data["enabled"], bool):
            raise _invalid("enabled", "enabled is true or false.")
        destination.enabled = data["enabled"]
    if "events" in data:
        destination.events = _events(data["events"])
    if "language" in data:
        if data["language"] not in LANGUAGES:
            raise _invalid("language", f"language is one of {', '.join(LANGUAGES)}.")
        destination.language = data["language"]
    if destination.kind == Kind.WEBHOOK:
        if "url" in data or creating:
            destination.url = _http_url(data.get("url"))
        if creating or data.get("rotate_secret") is True:
            secret = new_webhook_secret()
            destination.secret_encrypted = crypto.encrypt(secret)
    elif destination.kind == Kind.APPRISE:
        if "url" in data or creating:
            destination.secret_encrypted = crypto.encrypt(_apprise_url(data.get("url")))
    elif "email" in data or creating:
        destination.email = _email(data.get("email"))
    return secret


ALLOWED = frozenset({"name", "kind", "enabled", "events", "language", "url", "email", "rotate_secret"})


def create_destination(data: Mapping[str, Any], *, actor: Actor) -> Saved:
    unknown = set(data) - ALLOWED
    if unknown:
        raise Invalid(f"Unknown fields: {', '.join(sorted(unknown))}.")
    kind = data.get("kind")
    if kind not in Kind.values:
        raise _invalid("kind", "kind is apprise, webhook or email.")
    destination = Destination(kind=kind, name=str(kind), events=list(EVENT_TYPES))
    secret = _apply(destination, data, creating=True)
    with transaction.atomic():
        destination.save()
        audit.record(actor, "notification.destination_create", destination, label=destination.name, kind=kind)
    return Saved(destination, secret)


def update_destination(destination: Destination, changes: Mapping[str, Any], *, actor: Actor) -> Saved:
    unknown = set(changes) - ALLOWED
    if unknown:
        raise Invalid(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if "kind" in changes and changes["kind"] != destination.kind:
        raise _invalid("kind", "A destination's kind cannot change; add a new one.")
    secret = _apply(destination, changes, creating=False)
    with transaction.atomic():
        destination.save()
        # Field names only: a changed URL may hold a secret.
        audit.record(
            actor, "notification.destination_update", destination, label=destination.name, fields=sorted(changes)
        )
    return Saved(destination, secret)


def delete_destination(destination: Destination, *, actor: Actor) -> None:
    with transaction.atomic():
        audit.record(actor, "notification.destination_delete", destination, label=destination.name)
        destination.delete()


def list_destinations() -> list[Destination]:
    return list(Destination.objects.all())


def mail_server() -> MailServer:
    return MailServer.load()


def get_destination(destination_id: int) -> Destination:
    destination = Destination.objects.filter(pk=destination_id).first()
    if destination is None:
        raise NotFound(f"There is no destination with id {destination_id}.")
    return destination


def test_destination(destination: Destination, *, actor: Actor) -> Delivery:
    """Queue a test message to this destination; the job runner sends it within seconds."""
    delivery = emit_test(destination)
    audit.record(actor, "notification.destination_test", destination, label=destination.name)
    return delivery


def delivery_as_api(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "destination_id": delivery.destination_id,
        "event": delivery.event.type if delivery.event is not None else None,
        "event_id": delivery.event.uid if delivery.event is not None else None,
        "mail": delivery.mail_kind or None,
        "recipient": delivery.recipient or None,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "created_at": delivery.created_at,
        "next_attempt_at": delivery.next_attempt_at if delivery.status == Delivery.Status.PENDING else None,
        "finished_at": delivery.finished_at,
        "last_error": delivery.last_error,
        "last_status_code": delivery.last_status_code,
        "attempt_log": [
            {"at": attempt.at, "ok": attempt.ok, "status_code": attempt.status_code, "error": attempt.error}
            for attempt in delivery.attempt_log.all()
        ],
    }


def deliveries(
    *, destination_id: int | None = None, event: str = "", status: str = "", mail_only: bool = False
) -> QuerySet[Delivery]:
    rows = Delivery.objects.select_related("event").prefetch_related("attempt_log")
    if destination_id is not None:
        rows = rows.filter(destination_id=destination_id)
    if mail_only:
        rows = rows.filter(destination__isnull=True)
    if event:
        if event not in (*EVENT_TYPES, "test"):
            raise _invalid("event", "Unknown event type.")
        rows = rows.filter(event__type=event)
    if status:
        if status not in Delivery.Status.values:
            raise _invalid("status", "status is pending, succeeded or failed.")
        rows = rows.filter(status=status)
    return rows.order_by("-created_at", "-id")


def page_of(rows: QuerySet[Delivery], page: int, page_size: int) -> tuple[list[Delivery], int]:
    page_size = max(1, min(page_size, 200))
    paginator = Paginator(rows, page_size)
    return list(paginator.get_page(page).object_list), paginator.count


def get_delivery(delivery_id: int) -> Delivery:
    delivery = Delivery.objects.filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound(f"There is no delivery with id {delivery_id}.")
    return delivery


def failed_recently(days: int = 7) -> int:
    """Deliveries that gave up in the last days, for the overview's "Needs attention"."""
    return Delivery.objects.filter(
        status=Delivery.Status.FAILED, finished_at__gte=timezone.now() - timedelta(days=days)
    ).count()


# The SMTP server.


def mail_server_as_api(server: MailServer) -> dict[str, Any]:
    return {
        "host": server.host,
        "port": server.port,
        "security": server.security,
        "username": server.username,
        "has_password": bool(server.password_encrypted),
        "from_address": server.from_address,
        "configured": server.configured,
        "send_welcome": server.send_welcome,
        "send_reminders": server.send_reminders,
        "send_ended": server.send_ended,
        "allow_reinvite_requests": server.allow_reinvite_requests,
    }


MAIL_FLAGS = ("send_welcome", "send_reminders", "send_ended", "allow_reinvite_requests")
MAIL_FIELDS = frozenset({"host", "port", "security", "username", "password", "from_address", *MAIL_FLAGS})


def save_mail_server(data: Mapping[str, Any], *, actor: Actor) -> MailServer:
    """Change the SMTP settings; an absent or empty password keeps the stored one."""
    unknown = set(data) - MAIL_FIELDS
    if unknown:
        raise Invalid(f"Unknown fields: {', '.join(sorted(unknown))}.")
    server = MailServer.load()
    if "host" in data:
        if not isinstance(data["host"], str) or len(data["host"]) > 255:
            raise _invalid("host", "host is a host name.")
        server.host = data["host"].strip()
    if "port" in data:
        port = data["port"]
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            raise _invalid("port", "port is a number from 1 to 65535.")
        server.port = port
    if "security" in data:
        if data["security"] not in MailServer.Security.values:
            raise _invalid("security", "security is starttls, tls or none.")
        server.security = data["security"]
    if "username" in data:
        if not isinstance(data["username"], str) or len(data["username"]) > 255:
            raise _invalid("username", "username is text.")
        server.username = data["username"].strip()
    if data.get("password"):
        if not isinstance(data["password"], str) or len(data["password"]) > 1000:
            raise _invalid("password", "password is text.")
        server.password_encrypted = crypto.encrypt(data["password"])
    if "from_address" in data:
        server.from_address = _email(data["from_address"], "from_address") if data["from_address"] else ""
    for flag in MAIL_FLAGS:
        if flag in data:
            if not isinstance(data[flag], bool):
                raise _invalid(flag, f"{flag} is true or false.")
            setattr(server, flag, data[flag])
    with transaction.atomic():
        server.save()
        audit.record(actor, "notification.smtp_update", server, label="SMTP", fields=sorted(data))
    return server


def test_mail(to: object, *, actor: Actor) -> Delivery:
    """Queue a test mail to ``to`` through the SMTP server."""
    address = _email(to)
    server = MailServer.load()
    if not server.configured:
        raise Conflict("Set up the SMTP server (host and from address) first.", code="smtp_not_configured")
    now = timezone.now()
    delivery = Delivery.objects.create(
        mail_kind="test",
        recipient=address,
        mail={
            "to": address,
            "subject": "Guestlist: test mail",
            "text": "Guestlist can send mail through this SMTP server.\n",
            "html": None,
            "headers": {},
        },
        next_attempt_at=now,
        give_up_at=now + timedelta(days=1),
    )
    audit.record(actor, "notification.smtp_test", delivery, label=address)
    return delivery


# Invites by e-mail.


def send_invite(invite: Invite, to: object, message: object = "", *, actor: Actor, language: object = None) -> Delivery:
    """Queue a mail with the invite's link to ``to``, in ``language`` (else theirs, else the sender's)."""
    address = _email(to)
    if message is None:
        message = ""
    if not isinstance(message, str) or len(message) > MAX_MESSAGE:
        raise _invalid("message", f"The message may hold at most {MAX_MESSAGE} characters.")
    if language is not None and language not in LANGUAGES:
        raise _invalid("language", f"language is one of {', '.join(LANGUAGES)}.")
    if not MailServer.load().configured:
        raise Conflict("Set up the SMTP server in Settings → Notifications first.", code="smtp_not_configured")
    verdict = ratelimit.hit(ratelimit.INVITE_MAIL, f"{actor.kind}:{actor.user_id or actor.label}")
    if not verdict.allowed:
        raise TooManyRequests(
            f"Too many invite mails; try again in {verdict.retry_after} seconds.", retry_after=verdict.retry_after
        )
    context = notify.invite_mail_context(invite, message=message.strip(), sender=actor.label)
    with transaction.atomic():
        if language is not None:
            mail.remember_language(address, str(language))
        delivery = mail.queue_mail(mail.INVITE, address, context, language=str(language) if language else None)
        if delivery is None:
            raise Invalid("This address cannot receive mail.")
        audit.record(actor, "invite.send_mail", invite, label=invite.code, to=address)
    return delivery
