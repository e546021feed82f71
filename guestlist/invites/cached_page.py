"""The public invite page, built to stay fast under link previews and crowds.

A GET of ``/invite/CODE`` costs what ``public_invite.describe`` costs (one hand-written read; the
owner's settings and the library titles come from short-lived caches) and a cache lookup:
the rendered page is cached under a key made of everything it shows, so a cached page is
never out of date. Only the CSRF token differs between visitors; it is filled into a slot
on the way out. Nothing is written and no session is touched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from guestlist.core.models import SiteSettings
from guestlist.invites import guide, public_invite
from guestlist.invites.refusals import Refusal, refusal

# Replaced by each visitor's own token; letters only, so escaping can never alter it.
CSRF_SLOT = "GUESTLISTCSRFTOKENSLOT"
# The key holds everything shown, so this only bounds memory, never staleness.
PAGE_SECONDS = 300


@dataclass(frozen=True)
class Lookup:
    code: str
    found: public_invite.PublicInvite
    email_enabled: bool
    local_enabled: bool = False
    steps: guide.SetData = guide.EMPTY

    @property
    def reason(self) -> str:
        return self.found.reason

    @property
    def usable(self) -> bool:
        return self.found.valid

    @property
    def known(self) -> bool:
        return self.found.invite is not None

    @property
    def status(self) -> int:
        return 200 if self.usable else refusal(self.reason).status


def look_up(code: str) -> Lookup:
    found = public_invite.describe(code)
    site = SiteSettings.current()
    known = found.invite is not None
    steps = guide.set_for(found.invite.step_set_id) if found.invite is not None and found.valid else guide.EMPTY
    return Lookup(code, found, known and site.email_redemption_enabled, known and site.local_accounts_enabled, steps)


@dataclass(frozen=True)
class Stage:
    """Where on the invite page the visitor is: before-joining step ``number`` (1-based), or
    the sign-in part (``number == total``, the last). ``accepted``: the required steps they
    ticked, carried from page to page in the query and into the sign-in forms."""

    number: int
    total: int
    accepted: tuple[int, ...] = ()
    held_back: bool = False  # they skipped a step that asks to be accepted and are shown it again

    @property
    def joining(self) -> bool:
        return self.number >= self.total


def stage_for(lookup: Lookup, requested: str | None, accepted: Iterable[object]) -> Stage:
    before = lookup.steps.before
    total = len(before) + 1
    given = guide.accepted_in(lookup.steps, guide.parse_accepted(accepted))
    try:
        number = int(requested) if requested else 1
    except ValueError:
        number = 1
    number = max(1, min(number, total))
    for index, step in enumerate(before, start=1):
        if index >= number:
            break
        if step.requires_acceptance and step.id not in given:
            return Stage(index, total, given, held_back=True)
    return Stage(number, total, given)


def joining_stage(lookup: Lookup, accepted: Iterable[object]) -> Stage:
    """The sign-in part, or the first step still to accept (a POST that came back refused)."""
    return stage_for(lookup, str(len(lookup.steps.before) + 1), accepted)


def _cache_key(lookup: Lookup, stage: Stage) -> str:
    found = lookup.found
    if found.invite is None:
        # Every unknown code shares one page: it never repeats what was typed.
        return f"invite-page:{translation.get_language()}:{found.reason}"
    shown = (
        found.code,
        found.reason,
        found.server_name,
        tuple(found.library_titles),
        found.allow_sync,
        found.allow_channels,
        found.plex_home,
        found.expires_at,
        found.user_expires_in_days,
        found.limits_words,
        found.remote_streaming,
        lookup.email_enabled,
        lookup.local_enabled,
        found.invite.description,
        lookup.steps.digest,
        stage,
        found.discord_gate,
    )
    digest = hashlib.sha256(repr(shown).encode()).hexdigest()[:32]
    return f"invite-page:{translation.get_language()}:{digest}"


def stage_url(page_url: str, number: int, accepted: tuple[int, ...]) -> str:
    query: dict[str, str | int] = {"step": number}
    if accepted:
        query["accepted"] = ",".join(str(i) for i in accepted)
    return f"{page_url}?{urlencode(query)}"


def _steps_context(lookup: Lookup, stage: Stage, page_url: str) -> dict[str, Any]:
    found = lookup.found
    if not lookup.steps.before or found.invite is None:
        return {"stage": stage, "steps": []}
    variables = guide.before_joining(
        server=found.server_name or "",
        libraries=found.library_titles,
        user_expires_in_days=found.user_expires_in_days,
        description=found.invite.description,
    )
    steps = guide.shown(lookup.steps.before, variables)
    current = steps[stage.number - 1] if not stage.joining else None
    return {
        "stage": stage,
        "steps": steps,
        "current": current,
        "accepted": stage.accepted,
        "accepted_value": ",".join(str(i) for i in stage.accepted),
        "already_accepted": current is not None and current.id in stage.accepted,
        "back_url": stage_url(page_url, stage.number - 1, stage.accepted) if stage.number > 1 else "",
        "next_url": stage_url(page_url, stage.number + 1, stage.accepted),
        "join_page_url": stage_url(page_url, stage.total, stage.accepted),
    }


def _context(lookup: Lookup, stage: Stage) -> dict[str, Any]:
    found = lookup.found
    context: dict[str, Any] = {
        "lookup": lookup,
        "refusal": None if lookup.usable else refusal(lookup.reason),
        "csrf_value": CSRF_SLOT,
        "join_url": reverse("invite-join"),
    }
    if found.invite is None:
        return context
    code = found.code
    context.update(
        invite=found,
        code=code,
        server_name=found.server_name,
        library_titles=found.library_titles,
        email_enabled=lookup.email_enabled,
        local_enabled=lookup.local_enabled,
        local_url=reverse("invite-local", args=[code]),
        page_url=reverse("invite", args=[code]),
        plex_start_url=reverse("invite-plex", args=[code]),
        email_url=reverse("invite-email", args=[code]),
        api_start_url=reverse("api:oauth_start"),
        api_redeem_url=reverse("api:redeem_invite"),
        discord_gate=found.discord_gate,
        discord_url=reverse("invite-discord", args=[code]),
    )
    context.update(_steps_context(lookup, stage, context["page_url"]))
    return context


def invite_html(
    lookup: Lookup,
    *,
    problem: Refusal | None = None,
    email: str = "",
    username: str = "",
    stage: Stage | None = None,
    discord_name: str = "",
) -> str:
    """The page with ``CSRF_SLOT`` where the visitor's token goes; cached unless personal.
    ``discord_name``: who Discord vouched for on a Discord-gated invite (their Plex step shows)."""
    personal = problem is not None or bool(email) or bool(username) or bool(discord_name)
    stage = stage or stage_for(lookup, None, ())
    key = _cache_key(lookup, stage)
    if not personal:
        html = cache.get(key)
        if html is not None:
            return str(html)
    context = _context(lookup, stage)
    context.update(problem=problem, email=email, username=username, discord_name=discord_name)
    html = render_to_string("invites/invite.html", context)
    if not personal:
        cache.set(key, html, PAGE_SECONDS)
    return html
