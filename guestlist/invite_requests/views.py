"""The public pages of invite requests: /request (ask) and /request/status/<token> (the answer).

No account and no session: the form is a POST with Django's CSRF token (a cookie), the status
page is reached through a signed link and writes nothing. A request caught by the honeypot or
by a rate limit gets the very page a received one gets, so a bot cannot tell what worked.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from guestlist.core import ratelimit
from guestlist.core.errors import Invalid, NotFound
from guestlist.invite_requests import services
from guestlist.invite_requests.forms import HONEYPOT, RequestForm
from guestlist.invite_requests.models import InviteRequest
from guestlist.invite_requests.representation import read_status_token, status_token, status_url_of
from guestlist.invites import status as invite_status
from guestlist.invites.qr import invite_url


def _private(response: HttpResponse, *, referrer: str = "same-origin") -> HttpResponse:
    patch_cache_control(response, private=True, no_cache=True, no_store=True)
    # Pages with a status link (the "received" page, the status page) hand it on to nobody;
    # the form keeps "same-origin", or browsers would post it with "Origin: null" and fail CSRF.
    response["Referrer-Policy"] = referrer
    return response


def _closed(request: HttpRequest) -> HttpResponse:
    context = {
        "title": _("Invite requests are closed"),
        "message": _("The owner of this server does not take requests for invites here right now."),
    }
    return _private(render(request, "error.html", context, status=404))


def _received(request: HttpRequest, asked: InviteRequest) -> HttpResponse:
    # Post/Redirect/Get: reloading the "received" page sends nothing again. The page after the
    # redirect names the status link by its token, as the status link itself does; a decoy's
    # token is as well signed as a real one, so both lead to the very same page.
    target = reverse("invite-request-received") + "?" + urlencode({"link": status_token(asked)})
    return _private(HttpResponseRedirect(target, status=303), referrer="no-referrer")


@require_safe
def received_page(request: HttpRequest) -> HttpResponse:
    token = request.GET.get("link", "")
    if read_status_token(token) is None:
        return _private(redirect("invite-request"))
    context = {"status_url": status_url_of(token)}
    return _private(render(request, "invite_requests/received.html", context), referrer="no-referrer")


@require_http_methods(["GET", "HEAD", "POST"])
def request_page(request: HttpRequest) -> HttpResponse:
    found = services.request_settings()
    if not found.enabled:
        return _closed(request)
    questions = list(found.questions or [])
    if request.method != "POST":
        return _private(render(request, "invite_requests/request.html", {"form": RequestForm(questions)}))
    form = RequestForm(questions, request.POST)
    # An unsaved request stands in for the one a bot believes it made: its link leads nowhere.
    decoy = InviteRequest()
    if request.POST.get(HONEYPOT, "").strip():
        return _received(request, decoy)
    address = ratelimit.client_ip(request)
    if not ratelimit.hit(ratelimit.INVITE_REQUEST, address).allowed:
        return _received(request, decoy)
    try:
        asked = services.check_submission(request.POST, questions)
    except Invalid as exc:
        form.is_valid()  # binds the form so the typed values come back
        for problem in exc.details or []:
            field = problem.get("field")
            if field in form.fields and field not in form.errors:
                form.add_error(field, _("Check this field.") if field != "email" else _("Give a valid e-mail address."))
        context = {"form": form}
        return _private(render(request, "invite_requests/request.html", context, status=422))
    if not ratelimit.hit(ratelimit.INVITE_REQUEST_EMAIL, asked.email).allowed:
        return _received(request, decoy)
    try:
        made = services.submit(asked, language=translation.get_language() or "en", ip=address)
    except NotFound:
        return _closed(request)
    return _received(request, made)


@require_safe
def status_page(request: HttpRequest, token: str) -> HttpResponse:
    uid = read_status_token(token)
    found = services.by_status_uid(uid) if uid else None
    if found is None:
        unknown = {
            "title": _("Unknown request"),
            "message": _("There is no request under this link. Check that you copied the whole link."),
        }
        return _private(render(request, "error.html", unknown, status=404), referrer="no-referrer")
    invite = found.invite
    usable = invite is not None and invite_status.is_redeemable(invite, timezone.now())
    context: dict[str, Any] = {
        "asked": found,
        "invite_link": invite_url(invite.code) if invite is not None and usable else None,
        "invite_used": invite is not None and invite.used_count > 0,
    }
    return _private(render(request, "invite_requests/status.html", context), referrer="no-referrer")
