"""What a friend sees of the steps: variables filled in, Markdown made safe, acceptances checked.

The invite page is a hot public path (contract: ≥ 900 requests/s), so the sets are read once
into a per-process copy (``snapshot``) at most ``SETTINGS_CACHE_SECONDS`` old, like the
owner's settings; a change made in this process clears it at once. The copy's ``digest``
goes into the cached invite page's key, so a page never shows steps older than the copy.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guestlist.core.errors import Invalid
from guestlist.core.markdown import render_markdown, sanitise
from guestlist.core.models import SETTINGS_CACHE_SECONDS
from guestlist.invites import onboarding
from guestlist.invites.models import Step, StepSet

VARIABLES = ("name", "server", "expires", "libraries", "description")
_VARIABLE = re.compile(r"\{(" + "|".join(VARIABLES) + r")\}")


@dataclass(frozen=True)
class StepData:
    id: int
    shipped: str
    title: str
    body: str
    requires_acceptance: bool
    acceptance_label: str
    buttons: tuple[tuple[str, str, str], ...]  # (kind, label, url)


@dataclass(frozen=True)
class SetData:
    id: int
    name: str
    before: tuple[StepData, ...] = ()
    after: tuple[StepData, ...] = ()
    digest: str = ""

    def group(self, group: str) -> tuple[StepData, ...]:
        return self.before if group == Step.Group.BEFORE else self.after

    @property
    def required_before(self) -> frozenset[int]:
        return frozenset(step.id for step in self.before if step.requires_acceptance)


EMPTY = SetData(0, "")
_snapshot: dict[str, tuple[float, int | None, dict[int, SetData]]] = {}


def forget_cached_steps() -> None:
    _snapshot.clear()


onboarding.on_change(forget_cached_steps)


def _load() -> tuple[int | None, dict[int, SetData]]:
    sets = {s.pk: s for s in StepSet.objects.all()}
    groups: dict[int, dict[str, list[StepData]]] = {pk: {"before": [], "after": []} for pk in sets}
    for step in Step.objects.order_by("step_set_id", "group", "position", "id"):
        buttons = tuple(
            (str(b.get("kind", "")), str(b.get("label", "")), str(b.get("url", ""))) for b in step.buttons or []
        )
        groups[step.step_set_id][step.group].append(
            StepData(
                step.pk,
                step.shipped,
                step.title,
                step.body,
                step.requires_acceptance,
                step.acceptance_label,
                buttons,
            )
        )
    loaded = {}
    for pk, step_set in sets.items():
        before, after = tuple(groups[pk]["before"]), tuple(groups[pk]["after"])
        digest = hashlib.sha256(repr((pk, before, after)).encode()).hexdigest()[:16]
        loaded[pk] = SetData(pk, step_set.name, before, after, digest)
    default = next((pk for pk, s in sets.items() if s.is_default), None)
    return default, loaded


def snapshot() -> tuple[int | None, dict[int, SetData]]:
    cached = _snapshot.get("sets")
    max_age = getattr(settings, "SITE_SETTINGS_CACHE_SECONDS", SETTINGS_CACHE_SECONDS)
    if cached is not None and time.monotonic() - cached[0] < max_age:
        return cached[1], cached[2]
    default, loaded = _load()
    _snapshot["sets"] = (time.monotonic(), default, loaded)
    return default, loaded


def set_for(step_set_id: int | None) -> SetData:
    """The steps an invite with ``step_set_id`` shows (null or a deleted set: the default)."""
    default, sets = snapshot()
    found = sets.get(step_set_id) if step_set_id is not None else None
    if found is None and default is not None:
        found = sets.get(default)
    return found or EMPTY


def fresh_set_for(step_set_id: int | None) -> SetData:
    """Like ``set_for``, read now: for the redemption, which must check today's steps."""
    forget_cached_steps()
    return set_for(step_set_id)


# --- variables ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Variables:
    name: str = ""
    server: str = ""
    expires: str = ""
    libraries: str = ""
    description: str = ""

    def value(self, name: str) -> str:
        return str(getattr(self, name))


def expires_phrase(moment: datetime | None) -> str:
    if moment is None:
        return _("with no end date")
    day = formats.date_format(timezone.localtime(moment), "DATE_FORMAT")
    return _("until %(date)s") % {"date": day}


def before_joining(
    *, server: str, libraries: Iterable[str], user_expires_in_days: int | None, description: str
) -> Variables:
    """Before sign-in nobody knows the friend's name or their end date yet."""
    if user_expires_in_days:
        expires = ngettext(
            "for %(days)d day after you join", "for %(days)d days after you join", user_expires_in_days
        ) % {"days": user_expires_in_days}
    else:
        expires = expires_phrase(None)
    return Variables(
        name=_("guest"),
        server=server,
        expires=expires,
        libraries=", ".join(libraries) or _("none yet"),
        description=description,
    )


def after_joining(
    *, name: str, server: str, libraries: Iterable[str], expires_at: datetime | None, description: str
) -> Variables:
    return Variables(
        name=name or _("guest"),
        server=server,
        expires=expires_phrase(expires_at),
        libraries=", ".join(libraries) or _("none yet"),
        description=description,
    )


def fill_text(text: str, variables: Variables) -> str:
    """Plain text (titles, labels): escaped later by the template."""
    return _VARIABLE.sub(lambda m: variables.value(m.group(1)), text)


def fill_markdown(text: str, variables: Variables) -> SafeString:
    """Markdown rendered and sanitised first, values put in escaped afterwards, so a friend's
    name can neither carry Markdown nor HTML; sanitised once more in case a value landed in
    an attribute (a name of "javascript:..." inside a link)."""
    html = str(render_markdown(text))
    filled, count = _VARIABLE.subn(lambda m: str(escape(variables.value(m.group(1)))), html)
    return sanitise(filled) if count else mark_safe(html)  # noqa: S308 - render_markdown sanitised it


# --- showing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownButton:
    kind: str
    label: str
    url: str


@dataclass(frozen=True)
class ShownStep:
    id: int
    number: int
    title: str
    body: SafeString
    requires_acceptance: bool
    acceptance_label: str
    buttons: list[ShownButton] = field(default_factory=list)


def shown(steps: Iterable[StepData], variables: Variables) -> list[ShownStep]:
    result = []
    for number, step in enumerate(steps, start=1):
        shipped = onboarding.SHIPPED.get(step.shipped)
        title, body = step.title, step.body
        if shipped is not None and not title and not body:
            title, body = str(shipped.title), str(shipped.body)
        buttons = [
            ShownButton(kind, fill_text(onboarding.button_label({"kind": kind, "label": label}), variables), url_)
            for kind, label, url in step.buttons
            if (url_ := onboarding.button_url({"kind": kind, "url": url}))
        ]
        result.append(
            ShownStep(
                id=step.id,
                number=number,
                title=fill_text(title, variables),
                body=fill_markdown(body, variables),
                requires_acceptance=step.requires_acceptance,
                acceptance_label=fill_text(step.acceptance_label, variables) or _("I have read this and I agree"),
                buttons=buttons,
            )
        )
    return result


def preview(data: Mapping[str, Any], variables: Variables) -> ShownStep:
    """One step as a friend would see it, from the editor's unsaved fields (nothing is written)."""
    buttons = []
    for button in data.get("buttons") or []:
        kind, url = str(button.get("kind", "")), str(button.get("url", ""))
        if kind in onboarding.BUTTON_KINDS and onboarding.button_url({"kind": kind, "url": url}):
            buttons.append((kind, str(button.get("label", ""))[: onboarding.MAX_LABEL], url))
    step = StepData(
        0,
        "",
        str(data.get("title", ""))[: onboarding.MAX_TITLE],
        str(data.get("body", ""))[: onboarding.MAX_BODY],
        bool(data.get("requires_acceptance")),
        str(data.get("acceptance_label", ""))[: onboarding.MAX_TITLE],
        tuple(buttons),
    )
    return shown([step], variables)[0]


# --- acceptances -------------------------------------------------------------------------


def parse_accepted(values: Iterable[object]) -> tuple[int, ...]:
    """Step ids from a form or a query (``accepted=3&accepted=5`` or ``3,5``), sorted, unique."""
    ids: set[int] = set()
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if part.isdigit() and len(part) <= 18:
                ids.add(int(part))
    return tuple(sorted(ids))


def accepted_in(step_set: SetData, accepted: Iterable[int]) -> tuple[int, ...]:
    """Only what counts: required before-joining steps of this set."""
    return tuple(sorted(set(accepted) & step_set.required_before))


def check_accepted(step_set: SetData, accepted: Iterable[int]) -> tuple[int, ...]:
    given = accepted_in(step_set, accepted)
    missing = step_set.required_before - set(given)
    if missing:
        raise Invalid(
            "Accept the invite's steps before joining.",
            code="acceptance_required",
            details=[{"field": "accepted_steps", "message": f"missing: {sorted(missing)}"}],
        )
    return given


def acceptance_records(step_set: SetData, accepted: Iterable[int], now: datetime) -> list[dict[str, Any]]:
    """What goes on the redemption: each accepted step as the friend saw its title then."""
    wanted = set(accepted)
    titles = {step.id: step.title for step in shown([s for s in step_set.before if s.id in wanted], Variables())}
    return [{"id": step_id, "title": titles[step_id], "at": now.isoformat()} for step_id in sorted(titles)]
