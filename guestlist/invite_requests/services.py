"""Invite requests (issue 22): a stranger asks on /request, the owner (or a member with Manage
Users) approves with an invite made from a template, or declines.

The page, the dashboard, the member area and the API all call these functions. The requester
has no account: the e-mail address they type is only a claim, so nothing here trusts it beyond
writing to it, and mails to it are bounded (``notify.invite_request_created``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from guestlist.core import audit
from guestlist.core.audit import Actor
from guestlist.core.errors import Conflict, Forbidden, Invalid, NotFound
from guestlist.invite_requests.models import InviteRequest, RequestSettings
from guestlist.invites.invite_templates import get_template, template_settings
from guestlist.invites.models import Invite
from guestlist.invites.services import create_invite, invite_servers
from guestlist.members.permissions import MANAGE_USERS, Caller
from guestlist.notifications import mail, notify
from guestlist.plex.models import MediaServer

MAX_QUESTIONS = 5
MAX_QUESTION = 200
MAX_NAME = 100
MAX_EMAIL = 254
MAX_MESSAGE = 2000
MAX_ANSWER = 1000
MAX_PAGE_SIZE = 200
STATUSES = ("pending", "approved", "declined")
STATUS_FILTERS = ("all", *STATUSES)


def _invalid(field: str, message: str) -> Invalid:
    return Invalid(message, details=[{"field": field, "message": message}])


def request_settings() -> RequestSettings:
    return RequestSettings.load()


def settings_as_api(found: RequestSettings | None = None) -> dict[str, Any]:
    found = found or request_settings()
    return {"enabled": found.enabled, "questions": list(found.questions or [])}


def clean_questions(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid("questions", "questions is a list of texts.")
    questions = [item.strip() for item in value if item.strip()]
    if any("\x00" in item for item in questions):
        raise _invalid("questions", "A question holds a character that is not allowed.")
    if len(questions) > MAX_QUESTIONS:
        raise _invalid("questions", f"Ask at most {MAX_QUESTIONS} questions.")
    if any(len(item) > MAX_QUESTION for item in questions):
        raise _invalid("questions", f"A question may hold at most {MAX_QUESTION} characters.")
    return questions


def update_settings(changes: Mapping[str, Any], *, actor: Actor) -> RequestSettings:
    unknown = set(changes) - {"enabled", "questions"}
    if unknown:
        raise Invalid(f"Unknown fields: {', '.join(sorted(unknown))}.")
    found = request_settings()
    before = settings_as_api(found)
    if "enabled" in changes:
        if not isinstance(changes["enabled"], bool):
            raise _invalid("enabled", "enabled must be true or false.")
        found.enabled = changes["enabled"]
    if "questions" in changes:
        found.questions = clean_questions(changes["questions"])
    after = settings_as_api(found)
    with transaction.atomic():
        found.save()
        diff = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
        if diff:
            audit.record(actor, "invite_request.settings", label="invite requests", changes=diff)
    return found


# ---- asking -------------------------------------------------------------------------------


def _text(data: Mapping[str, Any], field: str, high: int, *, required: bool) -> str:
    value = data.get(field)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _invalid(field, f"{field} must be text.")
    value = value.strip()
    if required and not value:
        raise _invalid(field, f"{field} is required.")
    if len(value) > high:
        raise _invalid(field, f"{field} may hold at most {high} characters.")
    if "\x00" in value:
        raise _invalid(field, f"{field} holds a character that is not allowed.")
    return value


def clean_email(value: object, field: str = "email") -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_EMAIL:
        raise _invalid(field, "Give an e-mail address.")
    address = value.strip()
    try:
        validate_email(address)
    except ValidationError:
        raise _invalid(field, "That is not an e-mail address.") from None
    return address.lower()


@dataclass(frozen=True)
class Asked:
    """What the person typed, checked; ``answers`` pairs each of the owner's questions with its answer."""

    name: str
    email: str
    message: str
    answers: list[dict[str, str]]


def check_submission(data: Mapping[str, Any], questions: list[str]) -> Asked:
    """Check a request before it is counted against the address (raises ``Invalid`` with details)."""
    problems: list[dict[str, str]] = []
    values: dict[str, Any] = {}
    checks: list[tuple[str, Any]] = [
        ("name", lambda: _text(data, "name", MAX_NAME, required=True)),
        ("email", lambda: clean_email(data.get("email"))),
        ("message", lambda: _text(data, "message", MAX_MESSAGE, required=False)),
    ]
    checks += [
        (f"answer_{index}", lambda index=index: _text(data, f"answer_{index}", MAX_ANSWER, required=True))
        for index in range(len(questions))
    ]
    for field, check in checks:
        try:
            values[field] = check()
        except Invalid as exc:
            problems.extend(exc.details or [{"field": field, "message": exc.message}])
    if problems:
        raise Invalid("Some fields need another look.", details=problems)
    answers = [{"question": question, "answer": values[f"answer_{index}"]} for index, question in enumerate(questions)]
    return Asked(values["name"], values["email"], values["message"], answers)


def submit(asked: Asked, *, language: str, ip: str | None) -> InviteRequest:
    """Record a request, tell the owner (``invite_request.created``) and confirm it by mail."""
    if not request_settings().enabled:
        raise NotFound("Invite requests are closed.", code="requests_closed")
    with transaction.atomic():
        request = InviteRequest.objects.create(
            name=asked.name,
            email=asked.email,
            message=asked.message,
            answers=asked.answers,
            language=(language or "en")[:8],
            client_ip=(ip or "")[:64],
        )
        # Labels never name the person: the audit log outlives an erasure of the request.
        audit.record(
            Actor.redeemer("invite request", ip), "invite_request.create", request, label=f"request {request.pk}"
        )
        request.mailed = notify.invite_request_created(request)
        if request.mailed:
            request.save(update_fields=["mailed"])
    return request


def by_status_uid(uid: str) -> InviteRequest | None:
    return InviteRequest.objects.select_related("invite").filter(uid=uid).first()


# ---- deciding -----------------------------------------------------------------------------


def _may_decide(caller: Caller) -> None:
    if not caller.has(MANAGE_USERS):
        raise Forbidden(
            "Deciding invite requests needs the Manage Users permission.",
            code="permission_denied",
            details={"permission": MANAGE_USERS},
        )


def get_request(request_id: int) -> InviteRequest:
    found = InviteRequest.objects.select_related("invite").filter(pk=request_id).first()
    if found is None:
        raise NotFound(f"There is no invite request with id {request_id}.")
    return found


def get_for(caller: Caller, request_id: int) -> InviteRequest:
    _may_decide(caller)
    return get_request(request_id)


def _claim(request_id: int, status: str, caller: Caller, message: str = "") -> InviteRequest:
    """Decide a pending request with one conditional UPDATE: of two deciders exactly one wins."""
    claimed = InviteRequest.objects.filter(pk=request_id, status=InviteRequest.Status.PENDING).update(
        status=status,
        decided_at=timezone.now(),
        decided_by=caller.actor.label[:150],
        decision_message=message,
    )
    if not claimed:
        get_request(request_id)  # 404 when there is none
        raise Conflict("This request was already answered.", code="request_decided")
    return get_request(request_id)


@dataclass(frozen=True)
class Decision:
    request: InviteRequest
    invite: Invite | None
    mailed: bool


def _server_fields(server_ids: list[int] | None, template_libraries: object) -> dict[str, Any]:
    """Which server(s) the approved invite shares, as ``create_invite`` fields: the ones the
    decider chose, else the only connected one (``approve`` uses a template's own servers
    before asking). ``create_invite`` checks the rest (how many, named twice)."""
    if not server_ids:
        if MediaServer.objects.count() > 1:
            raise Invalid(
                "Several Plex servers are connected: choose the server (or servers) the invite shares.",
                details=[{"field": "server_ids", "message": "required"}],
            )
        return {}  # none: create_invite says to connect one; one: it takes that one
    chosen = list(dict.fromkeys(server_ids))
    # Checked here, before the claim, so the error names this API's field.
    known = set(MediaServer.objects.filter(pk__in=chosen).values_list("pk", flat=True))
    missing = [str(item) for item in chosen if item not in known]
    if missing:
        raise _invalid("server_ids", f"There is no server with id {', '.join(missing)}.")
    if len(chosen) == 1:
        return {"server_id": chosen[0]}
    # The template's libraries hold on each server (its section keys must exist there).
    return {"servers": [{"server_id": item, "libraries": template_libraries} for item in chosen]}


def approve(
    caller: Caller,
    request_id: int,
    *,
    template_id: int | None = None,
    send_mail: bool = True,
    server_ids: list[int] | None = None,
) -> Decision:
    """Approve: a single-use invite with the template's settings (else the owner's defaults), on
    the chosen server(s) (else the only one), mailed to the requester when asked and the SMTP
    server is set up; its link is on their status page."""
    _may_decide(caller)
    template = get_template(template_id) if template_id is not None else None
    data: dict[str, Any] = template_settings(template) if template is not None else {}
    # A template may name its servers, each with its libraries (issue 20): used when the
    # decider chooses none; a chosen server the template names keeps the template's libraries.
    named = {entry["server_id"]: entry["libraries"] for entry in data.pop("servers", None) or []}
    if named and not server_ids:
        servers: dict[str, Any] = {"servers": [{"server_id": key, "libraries": value} for key, value in named.items()]}
    else:
        libraries = data.get("libraries") or next(iter(named.values()), "default")
        servers = _server_fields(server_ids, libraries)
        for entry in servers.get("servers", []):
            entry["libraries"] = named.get(entry["server_id"], entry["libraries"])
        if "server_id" in servers:
            data["libraries"] = named.get(servers["server_id"], libraries)
    if "servers" in servers:
        data.pop("libraries", None)
    data.update(servers)
    with transaction.atomic():
        request = _claim(request_id, InviteRequest.Status.APPROVED, caller)
        # One person asked: whatever the template says about uses, this invite admits one.
        data["usage_limit"] = 1
        data["description"] = f"Invite request {request.pk}: {request.name}"[:500]
        created_by = caller.user if caller.user is not None and caller.user.is_authenticated else None
        invite = create_invite(data, actor=caller.actor, created_by=created_by)
        request.invite = invite
        request.save(update_fields=["invite"])
        request.mailed = notify.invite_request_decided(request, send_mail=send_mail)
        request.save(update_fields=["mailed"])
        audit.record(
            caller.actor,
            "invite_request.approve",
            request,
            label=f"request {request.pk}",
            invite=invite.code,
            template=template.name if template is not None else None,
            servers=[choice.server.name for choice in invite_servers(invite)],
            mailed=request.mailed,
        )
    return Decision(request, invite, request.mailed)


def decline(caller: Caller, request_id: int, *, message: object = "", send_mail: bool = True) -> Decision:
    _may_decide(caller)
    if message is None:
        message = ""
    if not isinstance(message, str) or len(message.strip()) > MAX_MESSAGE:
        raise _invalid("message", f"The message may hold at most {MAX_MESSAGE} characters.")
    with transaction.atomic():
        request = _claim(request_id, InviteRequest.Status.DECLINED, caller, message.strip())
        request.mailed = notify.invite_request_decided(request, send_mail=send_mail)
        request.save(update_fields=["mailed"])
        audit.record(
            caller.actor,
            "invite_request.decline",
            request,
            label=f"request {request.pk}",
            mailed=request.mailed,
            with_message=bool(request.decision_message),
        )
    return Decision(request, None, request.mailed)


# ---- listing ------------------------------------------------------------------------------


def requests_queryset(status: str = "all", search: str = "") -> QuerySet[InviteRequest]:
    if status not in STATUS_FILTERS:
        raise _invalid("status", f"status is one of {', '.join(STATUS_FILTERS)}.")
    rows = InviteRequest.objects.select_related("invite")
    if status != "all":
        rows = rows.filter(status=status)
    term = search.replace("\x00", "").strip()[:200]
    if term:
        rows = rows.filter(Q(name__icontains=term) | Q(email__icontains=term))
    return rows


@dataclass(frozen=True)
class RequestPage:
    items: list[InviteRequest]
    total: int
    page: int
    page_size: int


def list_requests(
    caller: Caller, *, status: str = "all", search: str = "", page: int = 1, page_size: int = 50
) -> RequestPage:
    _may_decide(caller)
    rows = requests_queryset(status, search)
    size = max(1, min(page_size, MAX_PAGE_SIZE))
    page = max(page, 1)
    total = rows.count()
    items = list(rows[(page - 1) * size : page * size]) if (page - 1) * size < total else []
    return RequestPage(items=items, total=total, page=page, page_size=size)


def counts() -> dict[str, int]:
    by_status = dict(InviteRequest.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {"all": sum(by_status.values()), **{name: by_status.get(name, 0) for name in STATUSES}}


def pending_count() -> int:
    return InviteRequest.objects.filter(status=InviteRequest.Status.PENDING).count()


def mail_ready() -> bool:
    return mail.mail_ready()
