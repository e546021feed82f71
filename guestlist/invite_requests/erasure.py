"""Erasing what invite requests hold about a person, found by the e-mail address they typed.

Called on its own (the request page's "Erase", ``POST /api/requests/erase``) and by the erasure
of a member (``members.erasure``), so a former member's requests go with the rest of them. The
rows stay (their status, dates and the invite made for them), under the pseudonym
``erased-request-<id>``; gone are the name, address, message, answers, decline message, client
address and the status link. Events about them lose the request's words, mails to the address
lose their content (one still queued is not sent), and the audit trail keeps its actions but no
client address. Audited as ``invite_request.erased`` with a count, never the address.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.models import AuditEvent
from guestlist.invite_requests.models import InviteRequest, new_request_uid
from guestlist.members.models import Member
from guestlist.notifications.mail import REQUEST_MAILS
from guestlist.notifications.models import Delivery, Event, Recipient

ERASED_PREFIX = "erased-request-"


def pseudonym(request: InviteRequest) -> str:
    return f"{ERASED_PREFIX}{request.pk}"


def _erased_payload(payload: dict[str, Any], request: InviteRequest) -> dict[str, Any]:
    data = dict(payload.get("data") or {})
    data["request"] = {"id": request.pk, "name": pseudonym(request), "status": request.status, "erased": True}
    return {**payload, "data": data}


def erase_requests(email: str, *, actor: Actor) -> int:
    """Erase every request made with ``email`` (any case); the number erased."""
    address = email.strip().lower()
    if not address:
        return 0
    with transaction.atomic():
        found = list(InviteRequest.objects.select_for_update().filter(email__iexact=address))
        if not found:
            return 0
        ids = [request.pk for request in found]
        now = timezone.now()
        for request in found:
            if request.status == InviteRequest.Status.PENDING:
                # Nobody is left to answer: an erased request cannot stay waiting.
                request.status = InviteRequest.Status.DECLINED
                request.decided_at = now
                request.decided_by = actor.label[:150]
            request.name = pseudonym(request)
            request.email = ""
            request.message = request.decision_message = request.client_ip = ""
            request.answers = []
            request.uid = new_request_uid()  # the old status link now leads nowhere
            request.save()
        for event in Event.objects.filter(type__startswith="invite_request."):
            data = (event.payload or {}).get("data") or {}
            request_id = (data.get("request") or {}).get("id")
            if request_id in ids:
                event.payload = _erased_payload(event.payload, next(r for r in found if r.pk == request_id))
                event.save(update_fields=["payload"])
        for delivery in Delivery.objects.filter(recipient__iexact=address, mail_kind__in=REQUEST_MAILS):
            if delivery.status == Delivery.Status.PENDING:
                delivery.status = Delivery.Status.FAILED
                delivery.last_error = "recipient erased"
            delivery.recipient = ERASED_PREFIX.rstrip("-")
            delivery.mail = {}
            delivery.save(update_fields=["recipient", "mail", "status", "last_error"])
        if not Member.objects.filter(email__iexact=address).exists():
            Recipient.objects.filter(email__iexact=address).delete()
        about = Q(object_type="inviterequest", object_id__in=[str(pk) for pk in ids])
        AuditEvent.objects.filter(about).update(ip=None)
        audit.record(actor, "invite_request.erased", label="invite requests", count=len(ids))
    return len(ids)
