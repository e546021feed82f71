"""An invite request as the API shows it; notification payloads carry the same shape."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing

from guestlist.invite_requests.models import InviteRequest
from guestlist.invites.qr import invite_url

STATUS_SALT = "guestlist.invite_requests.status"
# Long enough to wait for an owner who is away; a decided request stays readable as long.
STATUS_LINK_LIFETIME = timedelta(days=180)


def status_token(request: InviteRequest) -> str:
    return signing.dumps(request.uid, salt=STATUS_SALT, compress=True)


def read_status_token(token: str) -> str | None:
    """The request's uid, or None for a forged or expired link."""
    try:
        uid = signing.loads(token, salt=STATUS_SALT, max_age=STATUS_LINK_LIFETIME)
    except signing.BadSignature:
        return None
    return uid if isinstance(uid, str) else None


def status_url(request: InviteRequest) -> str:
    return status_url_of(status_token(request))


def status_url_of(token: str) -> str:
    return f"{settings.BASE_URL}{settings.URL_BASE}/request/status/{token}"


def request_as_api(request: InviteRequest) -> dict[str, Any]:
    invite = request.invite
    return {
        "id": request.pk,
        "name": request.name,
        "email": request.email,
        "message": request.message,
        "answers": list(request.answers or []),
        "language": request.language,
        "status": request.status,
        "created_at": request.created_at,
        "decided_at": request.decided_at,
        "decided_by": request.decided_by,
        "decision_message": request.decision_message,
        "invite_id": request.invite_id,
        "invite_code": invite.code if invite is not None else None,
        "invite_url": invite_url(invite.code) if invite is not None else None,
        "mailed": request.mailed,
    }
