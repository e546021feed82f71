"""The public redemption pages: /invite/CODE, /signup?icode=CODE, /join and the welcome page.

GETs only read: link previewers and mail scanners fetch these URLs, so nothing is redeemed,
started or written until the person presses a button (a POST with a CSRF token). The
browser never sees a Plex token; it holds only Guestlist's opaque PIN id.
"""

from __future__ import annotations

import re
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from guestlist.core import ratelimit
from guestlist.core.audit import Actor
from guestlist.core.errors import NotFound, ServiceError
from guestlist.core.models import SiteSettings
from guestlist.discord.client import base_url as discord_base_url
from guestlist.invites import cached_page, codes, discord_gate, refusals, signin, welcome
from guestlist.invites.redemption import RedeemResult, redeem, usable_invite
from guestlist.invites.refusals import Refusal
from guestlist.invites.services import find_by_code
from guestlist.lib.memlimit import MemoryLimit
from guestlist.members.logins import LOGIN_BACKEND
from guestlist.members.models import Member
from guestlist.plex.addresses import auth_page_base

PIN_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
# Unknown codes per client address on the invite pages (validate's limit, for the pages).
CODE_MISSES = MemoryLimit("invite_page_misses", 30, 60)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _public_policy(*, discord: bool = False) -> dict[str, list[str]]:
    """The strict policy, plus Plex's sign-in page as a form target (the form redirects there),
    and Discord's for a Discord-gated invite's "Sign in with Discord" form."""
    configured = cast(dict[str, list[str]], settings.SECURE_CSP)
    policy = {directive: list(sources) for directive, sources in configured.items()}
    targets = policy.setdefault("form-action", [])
    for origin in [_origin(auth_page_base(settings.PLEX_TV_URL)), *([_origin(discord_base_url())] if discord else [])]:
        if origin not in targets:
            targets.append(origin)
    return policy


def _finish(response: HttpResponse, *, plex_form: bool = False, discord_form: bool = False) -> HttpResponse:
    # Pages carry a CSRF token: fine for the visitor's browser, never for a shared cache.
    patch_cache_control(response, private=True, no_cache=True)
    if plex_form or discord_form:
        policy = _public_policy(discord=discord_form)
        response._csp_config = policy  # type: ignore[attr-defined]  # read by Django's CSP middleware
    return response


def _too_many_misses(request: HttpRequest, retry_after: int) -> HttpResponse:
    shown = refusals.refusal("rate_limited", retry_after=retry_after)
    response = render(request, "error.html", {"title": shown.title, "message": shown.next_step}, status=429)
    response["Retry-After"] = str(retry_after)
    return _finish(response)


def _invite_response(
    request: HttpRequest, code: str, *, problem: Refusal | None = None, email: str = "", username: str = ""
) -> HttpResponse:
    # Codes that do not exist count against the address (custom codes can be words worth
    # guessing). Once it missed too often it gets 429 for any code, before the lookup, so
    # the answer cannot tell a hit from a miss. Counted in memory: the GET writes nothing.
    guessing = settings.RATE_LIMITS_ENABLED
    address = ratelimit.client_ip(request)
    if guessing and (wait := CODE_MISSES.retry_after(address)):
        return _too_many_misses(request, wait)
    lookup = cached_page.look_up(code)
    if guessing and not lookup.known:
        CODE_MISSES.add(address)
    gated = lookup.usable and bool(lookup.found.discord_gate)
    granted = discord_gate.pass_for(request, code) if gated else None
    html = cached_page.invite_html(
        lookup, problem=problem, email=email, username=username, discord_name=granted.username if granted else ""
    )
    status = problem.status if problem is not None else lookup.status
    response = HttpResponse(html.replace(cached_page.CSRF_SLOT, get_token(request)), status=status)
    if problem is not None and problem.retry_after:
        response["Retry-After"] = str(problem.retry_after)
    return _finish(response, plex_form=lookup.usable, discord_form=gated)


@require_safe
def invite_page(request: HttpRequest, code: str) -> HttpResponse:
    # The page's script lands here with ?problem=CODE when a sign-in it ran was refused.
    shown = request.GET.get("problem", "")
    problem = refusals.refusal(shown) if shown in refusals.KNOWN else None
    return _invite_response(request, code, problem=problem)


@require_safe
def signup_page(request: HttpRequest) -> HttpResponse:
    """Streamarr's link shape, /signup?icode=CODE: the same page as /invite/CODE."""
    code = request.GET.get("icode", "").strip()
    if not code:
        return redirect("invite-join")
    return _invite_response(request, code)


def _code_from(typed: str) -> str:
    """A typed code, or the code inside a pasted invite link (either shape)."""
    typed = typed.strip()
    if "/" in typed or "?" in typed:
        parts = urlsplit(typed)
        icode = parse_qs(parts.query).get("icode")
        if icode:
            return icode[0].strip()
        return parts.path.rstrip("/").rsplit("/", 1)[-1]
    return typed


@require_safe
def join_page(request: HttpRequest) -> HttpResponse:
    typed = request.GET.get("code")
    problem = None
    if typed is not None:
        code = _code_from(typed)
        if codes.looks_like_code(code):
            return redirect("invite", code=codes.normalize(code))
        problem = refusals.refusal("not_found")
    response = render(request, "invites/join.html", {"problem": problem}, status=404 if problem else 200)
    return _finish(response)


@require_POST
def plex_start(request: HttpRequest, code: str) -> HttpResponse:
    """Without the page's script (and on phones): start the PIN here, then go to Plex."""
    forward = settings.BASE_URL + reverse("invite-plex-continue", args=[codes.normalize(code)]) + "?pin={pin}"
    try:
        ratelimit.enforce(ratelimit.OAUTH_START, request)
        started = signin.start(code, forward_url=forward, discord=discord_gate.pass_for(request, code))
    except ServiceError as exc:
        return _invite_response(request, code, problem=refusals.from_error(exc))
    return HttpResponseRedirect(started.auth_url, status=303)


def _welcome_redirect(result: RedeemResult, via: str) -> HttpResponse:
    return HttpResponseRedirect(welcome.path_for(result.member, via=via), status=303)


@require_http_methods(["GET", "POST"])
def plex_continue(request: HttpRequest, code: str) -> HttpResponse:
    """Where Plex sends the person back. GET shows the page (its script polls); POST finishes."""
    pin = (request.POST if request.method == "POST" else request.GET).get("pin", "")
    if not PIN_ID.match(pin):
        return _invite_response(request, code, problem=refusals.refusal("pin_expired"))
    waiting = request.method == "POST"
    if request.method == "POST":
        try:
            ratelimit.enforce(ratelimit.PIN_POLL, request)
            polled = signin.poll_and_redeem(
                code,
                pin,
                actor=Actor.redeemer("plex sign-in", ratelimit.client_ip(request)),
                discord=discord_gate.pass_for(request, code),
            )
        except NotFound:
            # An unknown PIN (or one whose invite was deleted): starting again says which.
            return _invite_response(request, code, problem=refusals.refusal("pin_expired"))
        except ServiceError as exc:
            return _invite_response(request, code, problem=refusals.from_error(exc))
        if polled.result is not None:
            return _welcome_redirect(polled.result, welcome.VIA_PLEX)
    invite = find_by_code(code)
    context: dict[str, Any] = {
        "code": codes.normalize(code),
        "pin": pin,
        "server_name": invite.server.name if invite is not None else "",
        "not_yet": waiting,
        "page_url": reverse("invite", args=[codes.normalize(code)]),
        "api_redeem_url": reverse("api:redeem_invite"),
    }
    response = render(request, "invites/plex_continue.html", context, status=202 if waiting else 200)
    return _finish(response)


@require_POST
def email_redeem(request: HttpRequest, code: str) -> HttpResponse:
    """The Komandorr path: Plex e-mails an invitation to the address typed here."""
    email = request.POST.get("email", "").strip()[:254]
    try:
        ratelimit.enforce(ratelimit.REDEEM, request)
        identity = signin.email_identity(email)
        result = redeem(
            code,
            identity,
            actor=Actor.redeemer(identity.email, ratelimit.client_ip(request)),
            discord=discord_gate.pass_for(request, code),
        )
    except ServiceError as exc:
        problem = refusals.from_error(exc)
        if problem.code == "signup_disabled" and SiteSettings.current().signup_enabled:
            # Sign-up is open; only the e-mail path is switched off.
            problem = refusals.refusal(refusals.EMAIL_DISABLED)
        return _invite_response(request, code, problem=problem, email=email)
    return _welcome_redirect(result, welcome.VIA_EMAIL)


@require_POST
def local_redeem(request: HttpRequest, code: str) -> HttpResponse:
    """Streamarr's local-account path: a username and password now, Plex linked later."""
    email = request.POST.get("email", "").strip()[:254]
    username = request.POST.get("username", "").strip()[:150]
    try:
        ratelimit.enforce(ratelimit.REDEEM, request)
        result = signin.redeem_with_local_account(
            code,
            email,
            username,
            request.POST.get("password", "")[:1000],
            actor=Actor.redeemer(email, ratelimit.client_ip(request)),
            discord=discord_gate.pass_for(request, code),
        )
    except ServiceError as exc:
        return _invite_response(request, code, problem=refusals.from_error(exc), email=email, username=username)
    if result.member.user is not None:
        login(request, result.member.user, backend=LOGIN_BACKEND)
    return HttpResponseRedirect(reverse("me"), status=303)


@require_POST
def discord_start(request: HttpRequest, code: str) -> HttpResponse:
    """A Discord-gated invite's first step: off to Discord (state and PKCE kept in the session)."""
    try:
        ratelimit.enforce(ratelimit.OAUTH_START, request)
        invite = usable_invite(code)
        url = discord_gate.start(request, invite)
    except ServiceError as exc:
        return _invite_response(request, code, problem=refusals.from_error(exc))
    return HttpResponseRedirect(url, status=303)


@require_safe
def discord_callback(request: HttpRequest) -> HttpResponse:
    """Where Discord sends the redeemer back. A GET by necessity, but it acts only for the
    browser that started the sign-in (the state in its session) and claims nothing: it keeps
    Discord's answer for the Plex step, or shows the refusal."""
    code = discord_gate.code_of_callback(request)
    if code is None:
        shown = refusals.refusal("discord_state")
        response = render(request, "error.html", {"title": shown.title, "message": shown.next_step}, status=403)
        return _finish(response)
    try:
        ratelimit.enforce(ratelimit.OAUTH_START, request)
        invite = usable_invite(code)
        discord_gate.finish(request, invite)
    except ServiceError as exc:
        return _invite_response(request, code, problem=refusals.from_error(exc))
    return HttpResponseRedirect(reverse("invite", args=[code]), status=303)


@require_safe
def welcome_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        found = welcome.read_token(token)
    except welcome.LinkExpired:
        response = render(request, "invites/welcome_expired.html", status=410)
        return _finish(response)
    member = Member.objects.select_related("server").filter(pk=found[0]).first() if found is not None else None
    if found is None or member is None:
        raise Http404
    page = welcome.page_for(member, found[1])
    response = render(request, "invites/welcome.html", {"page": page})
    return _finish(response)
