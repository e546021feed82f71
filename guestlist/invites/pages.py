"""The public invite page, built to stay fast under link previews and crowds.

A GET of ``/invite/CODE`` costs one small read (the invite, its server's and the owner's
settings' change stamps) and a cache lookup. The rendered page is cached per invite, language and state
for a minute; only the CSRF token differs between visitors, and it is filled into a slot
on the way out. Nothing is written and no session is touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from guestlist.core.models import SiteSettings
from guestlist.invites import codes, status
from guestlist.invites.models import Invite
from guestlist.invites.refusals import Refusal, refusal
from guestlist.invites.services import find_by_code
from guestlist.plex import libraries
from guestlist.plex.models import MediaServer

# Replaced by each visitor's own token; letters only, so escaping can never alter it.
CSRF_SLOT = "GUESTLISTCSRFTOKENSLOT"
PAGE_SECONDS = 60


@dataclass
class InviteState:
    """The few columns that decide what the page says (``status.InviteLike``)."""

    pk: int
    updated_at: datetime
    server_updated_at: datetime
    is_active: bool
    expires_at: datetime | None
    usage_limit: int | None
    used_count: int


@dataclass(frozen=True)
class SiteState:
    signup_enabled: bool = True
    email_redemption_enabled: bool = True
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Lookup:
    code: str
    state: InviteState | None
    site: SiteState
    reason: str

    @property
    def usable(self) -> bool:
        return self.reason == "ok"

    @property
    def status(self) -> int:
        return 200 if self.usable else refusal(self.reason).status


# The page's one read, written by hand: compiling it through the ORM on every request cost
# more than all the rest of the request (see bench/RESULTS.md).
_LOOKUP_SQL = f"""
SELECT i.id, i.updated_at, s.updated_at, i.is_active, i.expires_at, i.usage_limit, i.used_count,
       st.signup_enabled, st.email_redemption_enabled, st.updated_at
FROM {Invite._meta.db_table} i
JOIN {MediaServer._meta.db_table} s ON s.id = i.server_id
LEFT JOIN {SiteSettings._meta.db_table} st ON st.id = 1
WHERE i.code = %s
"""  # noqa: S608 - table names come from our models; the code is a parameter


_ANY_SERVER_SQL = f"SELECT EXISTS (SELECT 1 FROM {MediaServer._meta.db_table})"  # noqa: S608 - our table


def _aware(value: datetime | str | None) -> datetime | None:
    # SQLite hands back naive UTC datetimes (or text) where PostgreSQL gives aware ones.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def look_up(code: str, *, now: datetime | None = None) -> Lookup:
    now = now or timezone.now()
    row = None
    if codes.looks_like_code(code):
        with connection.cursor() as cursor:
            cursor.execute(_LOOKUP_SQL, [codes.normalize(code)])
            row = cursor.fetchone()
    if row is None:
        with connection.cursor() as cursor:
            cursor.execute(_ANY_SERVER_SQL)
            any_server = cursor.fetchone()
        return Lookup(code, None, SiteState(), "not_found" if any_server and any_server[0] else "not_configured")
    state = InviteState(
        pk=row[0],
        updated_at=_aware(row[1]) or now,
        server_updated_at=_aware(row[2]) or now,
        is_active=bool(row[3]),
        expires_at=_aware(row[4]),
        usage_limit=row[5],
        used_count=int(row[6]),
    )
    # No settings row yet means the defaults: sign-up and the e-mail path are on.
    site_state = SiteState(
        signup_enabled=True if row[7] is None else bool(row[7]),
        email_redemption_enabled=True if row[8] is None else bool(row[8]),
        updated_at=_aware(row[9]),
    )
    reason = status.unusable_reason(state, now)
    if reason is None and not site_state.signup_enabled:
        reason = "signup_disabled"
    return Lookup(code, state, site_state, reason or "ok")


def _cache_key(lookup: Lookup) -> str:
    state, site = lookup.state, lookup.site
    if state is None:
        # Every unknown code shares one page: it never repeats what was typed.
        return f"invite-page:{translation.get_language()}:{lookup.reason}"
    stamp = site.updated_at.timestamp() if site.updated_at else 0
    return (
        f"invite-page:{translation.get_language()}:{state.pk}:{state.updated_at.timestamp()}:"
        f"{state.server_updated_at.timestamp()}:{lookup.reason}:{stamp}"
    )


def _context(lookup: Lookup) -> dict[str, Any]:
    invite = find_by_code(lookup.code) if lookup.state is not None else None
    context: dict[str, Any] = {
        "lookup": lookup,
        "refusal": None if lookup.usable else refusal(lookup.reason),
        "csrf_value": CSRF_SLOT,
        "join_url": reverse("invite-join"),
    }
    if invite is None:
        return context
    context.update(
        invite=invite,
        code=invite.code,
        server_name=invite.server.name,
        library_titles=libraries.titles(invite.libraries, invite.server) if lookup.usable else [],
        email_enabled=lookup.site.email_redemption_enabled,
        page_url=reverse("invite", args=[invite.code]),
        plex_start_url=reverse("invite-plex", args=[invite.code]),
        email_url=reverse("invite-email", args=[invite.code]),
        api_start_url=reverse("api:oauth_start"),
        api_redeem_url=reverse("api:redeem_invite"),
    )
    return context


def invite_html(lookup: Lookup, *, problem: Refusal | None = None, email: str = "") -> str:
    """The page with ``CSRF_SLOT`` where the visitor's token goes; cached unless personal."""
    personal = problem is not None or bool(email)
    key = _cache_key(lookup)
    if not personal:
        html = cache.get(key)
        if html is not None:
            return str(html)
    context = _context(lookup)
    context.update(problem=problem, email=email)
    html = render_to_string("invites/invite.html", context)
    if not personal:
        cache.set(key, html, PAGE_SECONDS)
    return html
