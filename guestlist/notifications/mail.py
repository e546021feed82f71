"""Mails to people (invitees and members): composed in their language when queued, sent by the job.

Every mail carries a signed one-click opt-out for reminders (RFC 8058: ``List-Unsubscribe`` with
``List-Unsubscribe-Post``); the link also opens a page for people whose client has no button.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guestlist.notifications.events import RETRY_FOR
from guestlist.notifications.models import Delivery, MailServer, Recipient

OPT_OUT_SALT = "guestlist.notifications.opt-out"
REINVITE_SALT = "guestlist.notifications.reinvite"
REINVITE_LINK_LIFETIME = timedelta(days=60)
LANGUAGES = {code for code, _name in settings.LANGUAGES}

INVITE, WELCOME, REMINDER, ENDED = "invite", "welcome", "expiry_reminder", "ended"
# The inactivity rule's warning; a reminder like the expiry one (same switch, same opt-out).
INACTIVE = "inactive_warning"
# Mails to someone who asked for an invite on /request (issue 22).
REQUEST_RECEIVED, REQUEST_APPROVED, REQUEST_DECLINED = "request_received", "request_approved", "request_declined"
REQUEST_MAILS = (REQUEST_RECEIVED, REQUEST_APPROVED, REQUEST_DECLINED)
MAIL_KINDS = (INVITE, WELCOME, REMINDER, ENDED, INACTIVE, *REQUEST_MAILS)


def absolute(path: str) -> str:
    return f"{settings.BASE_URL}{settings.URL_BASE}{path}"


def language_of(email: str, fallback: str | None = None) -> str:
    found = Recipient.objects.filter(email__iexact=email.strip()).values_list("language", flat=True).first()
    chosen = found or fallback or translation.get_language() or settings.LANGUAGE_CODE
    return chosen if chosen in LANGUAGES else settings.LANGUAGE_CODE


def remember_language(email: str, language: str | None) -> None:
    """Keep the language someone used (redeeming, or the sender's choice) for later mails."""
    address = email.strip().lower()
    if not address or "@" not in address:
        return
    language = (language or "")[:2]
    if language not in LANGUAGES:
        return
    Recipient.objects.update_or_create(email=address, defaults={"language": language})


def opted_out(email: str) -> bool:
    return Recipient.objects.filter(email__iexact=email.strip(), reminders_opted_out_at__isnull=False).exists()


def opt_out_token(email: str) -> str:
    return signing.dumps(email.strip().lower(), salt=OPT_OUT_SALT)


def read_opt_out_token(token: str) -> str | None:
    try:
        email = signing.loads(token, salt=OPT_OUT_SALT)
    except signing.BadSignature:
        return None
    return email if isinstance(email, str) and "@" in email else None


def opt_out_url(email: str) -> str:
    return absolute(f"/mail/opt-out/{opt_out_token(email)}")


def set_opted_out(email: str, out: bool = True) -> None:
    address = email.strip().lower()
    recipient, _created = Recipient.objects.get_or_create(email=address)
    recipient.reminders_opted_out_at = timezone.now() if out else None
    recipient.save(update_fields=["reminders_opted_out_at"])


def reinvite_token(member_id: int) -> str:
    return signing.dumps({"m": member_id}, salt=REINVITE_SALT)


def read_reinvite_token(token: str) -> int | None:
    try:
        data = signing.loads(token, salt=REINVITE_SALT, max_age=REINVITE_LINK_LIFETIME)
    except signing.BadSignature:
        return None
    return int(data["m"]) if isinstance(data, dict) and isinstance(data.get("m"), int) else None


def compose(kind: str, to: str, language: str, context: dict[str, Any]) -> dict[str, Any]:
    """Subject, both bodies and headers of one mail, rendered in ``language``."""
    unsubscribe = opt_out_url(to)
    with translation.override(language):
        full = {**context, "kind": kind, "opt_out_url": unsubscribe, "language": language}
        subjects = {
            INVITE: _("You're invited to %(server)s"),
            WELCOME: _("Welcome to %(server)s"),
            REMINDER: _("Your access to %(server)s ends soon"),
            ENDED: _("Your access to %(server)s has ended"),
            INACTIVE: _("Still watching %(server)s?"),
            REQUEST_RECEIVED: _("Your request for an invite to %(server)s"),
            REQUEST_APPROVED: _("Your request was approved: you're invited to %(server)s"),
            REQUEST_DECLINED: _("Your request for an invite to %(server)s"),
        }
        subject = subjects[kind] % {"server": context.get("server_name") or "Plex"}
        text = render_to_string(f"notifications/mail/{kind}.txt", full)
        html = render_to_string(f"notifications/mail/{kind}.html", full)
    return {
        "to": to,
        "subject": subject,
        "text": text,
        "html": html,
        "language": language,
        "headers": {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    }


def queue_mail(
    kind: str, to: str, context: dict[str, Any], *, language: str | None = None, key: str | None = None
) -> Delivery | None:
    """Queue one mail for the job runner; None when it is not to be sent (no SMTP, opted out, sent before)."""
    to = to.strip()
    if not to or "@" not in to:
        return None
    if kind in (REMINDER, INACTIVE) and opted_out(to):
        return None
    now = timezone.now()
    message = compose(kind, to, language_of(to, language), context)
    delivery = Delivery(
        mail_kind=kind, recipient=to, mail=message, key=key, next_attempt_at=now, give_up_at=now + RETRY_FOR
    )
    try:
        with transaction.atomic():
            delivery.save()
    except IntegrityError:
        if key is None:
            raise
        return None
    return delivery


def mail_ready() -> bool:
    server = MailServer.objects.filter(pk=1).first()
    return server is not None and server.configured


def mailed_since(kind: str, to: str, since: datetime) -> bool:
    """Whether a mail of ``kind`` was queued to this address since then (sent or not)."""
    return Delivery.objects.filter(mail_kind=kind, recipient__iexact=to.strip(), created_at__gte=since).exists()


def member_mails_enabled(kind: str) -> bool:
    server = MailServer.objects.filter(pk=1).first()
    if server is None or not server.configured:
        return False
    return {
        WELCOME: server.send_welcome,
        REMINDER: server.send_reminders,
        INACTIVE: server.send_reminders,
        ENDED: server.send_ended,
    }.get(kind, True)


def reinvite_requests_allowed() -> bool:
    server = MailServer.objects.filter(pk=1).first()
    return bool(server and server.allow_reinvite_requests)
