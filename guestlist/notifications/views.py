"""The public pages mails link to: the reminder opt-out and the re-invite request.

Both are reached through signed links. GET only shows a button; the change happens on POST,
which mail clients send without a page (RFC 8058 one-click), so these POSTs take no CSRF
token: the signature is what proves the link came from us.
"""

from __future__ import annotations

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from guestlist.core import audit, ratelimit
from guestlist.core.audit import Actor
from guestlist.core.ratelimit import client_ip
from guestlist.members.models import Member
from guestlist.notifications import mail, notify


def _too_many(request: HttpRequest) -> HttpResponse | None:
    verdict = ratelimit.hit(ratelimit.MAIL_LINK, client_ip(request))
    if verdict.allowed:
        return None
    response = HttpResponse("Too many requests; try again in a minute.", status=429, content_type="text/plain")
    response["Retry-After"] = str(verdict.retry_after)
    return response


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    refused = _too_many(request)
    if refused is not None:
        return refused
    email = mail.read_opt_out_token(token)
    if email is None:
        raise Http404
    done = request.method == "POST"
    if done:
        mail.set_opted_out(email)
        audit.record(Actor.redeemer(email, client_ip(request)), "mail.reminders_opt_out", label=email)
    return _private(render(request, "notifications/pages/opt_out.html", {"email": email, "done": done}))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def reinvite_request(request: HttpRequest, token: str) -> HttpResponse:
    refused = _too_many(request)
    if refused is not None:
        return refused
    member_id = mail.read_reinvite_token(token)
    member = Member.objects.select_related("server").filter(pk=member_id or 0).first()
    if member is None or not mail.reinvite_requests_allowed():
        raise Http404
    done = request.method == "POST"
    if done:
        with transaction.atomic():
            notify.reinvite_requested(member)
            audit.record(Actor.redeemer(str(member), client_ip(request)), "member.reinvite_requested", member)
    context = {"server_name": member.server.name, "done": done}
    return _private(render(request, "notifications/pages/reinvite.html", context))
