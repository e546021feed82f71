"""The public invite page, built to stay fast under link previews and crowds.

A GET of ``/invite/CODE`` costs what ``public_invite.describe`` costs (one hand-written read; the
owner's settings and the library titles come from short-lived caches) and a cache lookup:
the rendered page is cached under a key made of everything it shows, so a cached page is
never out of date. Only the CSRF token differs between visitors; it is filled into a slot
on the way out. Nothing is written and no session is touched.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from guestlist.core.models import SiteSettings
from guestlist.invites import public_invite
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
    return Lookup(code, found, known and site.email_redemption_enabled, known and site.local_accounts_enabled)


def _cache_key(lookup: Lookup) -> str:
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
        found.discord_gate,
    )
    digest = hashlib.sha256(repr(shown).encode()).hexdigest()[:32]
    return f"invite-page:{translation.get_language()}:{digest}"


def _context(lookup: Lookup) -> dict[str, Any]:
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
    return context


def invite_html(
    lookup: Lookup, *, problem: Refusal | None = None, email: str = "", username: str = "", discord_name: str = ""
) -> str:
    """The page with ``CSRF_SLOT`` where the visitor's token goes; cached unless personal.
    ``discord_name``: who Discord vouched for on a Discord-gated invite (their Plex step shows)."""
    personal = problem is not None or bool(email) or bool(username) or bool(discord_name)
    key = _cache_key(lookup)
    if not personal:
        html = cache.get(key)
        if html is not None:
            return str(html)
    context = _context(lookup)
    context.update(problem=problem, email=email, username=username, discord_name=discord_name)
    html = render_to_string("invites/invite.html", context)
    if not personal:
        cache.set(key, html, PAGE_SECONDS)
    return html
