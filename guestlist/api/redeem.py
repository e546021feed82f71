"""Public endpoints for redeemers: no authentication, rate-limited per client IP."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router, Status

from guestlist.api.schemas import CodeIn, OAuthStartOut, RedeemIn, RedeemStatusOut, ValidateOut, member_out
from guestlist.core import ratelimit
from guestlist.core.audit import Actor
from guestlist.invites import discord_gate, public_invite, signin, welcome
from guestlist.invites.redemption import redeem

router = Router(tags=["public"])


@router.post("/validate", response=ValidateOut, exclude_none=True, summary="Check an invite code (always 200)")
def validate(request: HttpRequest, payload: CodeIn) -> HttpResponse:
    ratelimit.enforce(ratelimit.VALIDATE, request)
    # Answered directly: the answer is built from a fixed set of fields, and re-validating
    # it through the response schema would cost about a fifth of this hot endpoint's time.
    return JsonResponse(public_invite.describe(payload.code).as_api())


@router.post("/oauth/start", response={201: OAuthStartOut}, summary="Start a Plex sign-in for an invite")
def oauth_start(request: HttpRequest, payload: CodeIn) -> Status[dict[str, Any]]:
    ratelimit.enforce(ratelimit.OAUTH_START, request)
    started = signin.start(payload.code, discord=discord_gate.pass_for(request, payload.code))
    return Status(
        201, {"pin_id": started.pin.public_id, "auth_url": started.auth_url, "expires_at": started.pin.expires_at}
    )


@router.post(
    "/redeem",
    response={200: RedeemStatusOut, 201: RedeemStatusOut, 202: RedeemStatusOut},
    summary="Redeem an invite by e-mail or with a signed-in Plex PIN",
)
def redeem_invite(request: HttpRequest, payload: RedeemIn) -> Status[dict[str, Any]]:
    signin.check_redeem_body(payload.email, payload.pin_id)
    ip = ratelimit.client_ip(request)
    # A Discord-gated invite: the pass its sign-in left in this browser's session.
    granted = discord_gate.pass_for(request, payload.code)
    via = welcome.VIA_PLEX if payload.pin_id else welcome.VIA_EMAIL
    if payload.pin_id:
        ratelimit.enforce(ratelimit.PIN_POLL, request)
        polled = signin.poll_and_redeem(
            payload.code, payload.pin_id, actor=Actor.redeemer("plex sign-in", ip), discord=granted
        )
        if polled.waiting or polled.result is None:
            return Status(202, {"status": "waiting_for_plex_sign_in", "message": "Finish signing in with Plex."})
        result = polled.result
    elif payload.password is not None:
        ratelimit.enforce(ratelimit.REDEEM, request)
        email = (payload.email or "").strip()
        result = signin.redeem_with_local_account(
            payload.code,
            email,
            payload.username or "",
            payload.password,
            actor=Actor.redeemer(email, ip),
            discord=granted,
        )
    else:
        ratelimit.enforce(ratelimit.REDEEM, request)
        identity = signin.email_identity(payload.email or "")
        result = redeem(payload.code, identity, actor=Actor.redeemer(identity.email, ip), discord=granted)
    status_code = {"created": 201, "existing": 200, "pending": 202}[result.outcome]
    body = member_out(result.member, message=result.message)
    parts = [
        {
            "server_id": part.server_id,
            "server_name": part.server_name,
            "status": part.state,
            "member_id": part.member_id,
            "error": part.error or None,
        }
        for part in result.parts
    ]
    return Status(
        status_code,
        {**body, "member": body, "welcome_url": welcome.url_for(result.member, via=via), "servers": parts or None},
    )
