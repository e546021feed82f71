"""Content limits as Guestlist stores them, and the server's labels and ratings to choose from.

The forms offer the labels and content ratings a server's libraries really use, read from its
PMS through the gateway (`PlexGateway.library_content`) and kept in this process for a few
minutes. Storing limits never calls Plex: a maximum rating is widened with the ratings read
last, if any, and the built-in table (`content_limits.RATING_AGES`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from guestlist.core.errors import Invalid
from guestlist.plex import content_limits, services
from guestlist.plex.content_limits import KIND_OF_TYPE, KINDS, ContentLimits, LimitsError
from guestlist.plex.errors import PlexError
from guestlist.plex.models import Library, MediaServer

OPTIONS_TTL = 300.0
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class KindOptions:
    labels: tuple[str, ...]
    ratings: tuple[str, ...]  # sorted by age, youngest first


@dataclass(frozen=True)
class ContentOptions:
    """What a server's films, TV and music libraries can be limited by."""

    movies: KindOptions
    television: KindOptions
    music: KindOptions
    error: str = ""  # why nothing could be read (Plex down): the forms still take typed values

    def kind(self, name: str) -> KindOptions:
        value: KindOptions = getattr(self, name)
        return value


_EMPTY = KindOptions((), ())
_cache: dict[int, tuple[float, ContentOptions]] = {}
_lock = threading.Lock()


def forget() -> None:
    with _lock:
        _cache.clear()


def cached(server: MediaServer | None) -> ContentOptions | None:
    if server is None:
        return None
    with _lock:
        found = _cache.get(server.pk)
    return found[1] if found is not None and time.monotonic() - found[0] < OPTIONS_TTL else None


def read(server: MediaServer) -> ContentOptions:
    """The server's labels and ratings per kind (one PMS read per library, then cached)."""
    found = cached(server)
    if found is not None:
        return found
    keys = list(
        Library.objects.filter(server=server, is_present=True, type__in=tuple(KIND_OF_TYPE)).values_list(
            "key", flat=True
        )
    )
    try:
        content = services.gateway_for(server).library_content(keys) if keys else []
    except PlexError as exc:
        return ContentOptions(_EMPTY, _EMPTY, _EMPTY, error=str(exc))
    labels: dict[str, dict[str, None]] = {name: {} for name in KINDS}
    ratings: dict[str, dict[str, None]] = {name: {} for name in KINDS}
    for library in content:
        kind = KIND_OF_TYPE.get(library.type)
        if kind is None:
            continue
        labels[kind].update(dict.fromkeys(library.labels))
        ratings[kind].update(dict.fromkeys(library.ratings))

    def options_of(name: str) -> KindOptions:
        return KindOptions(
            tuple(sorted(labels[name], key=str.lower)),
            tuple(sorted(ratings[name], key=lambda r: (content_limits.rating_age(r) or 0, r.lower()))),
        )

    options = ContentOptions(options_of("movies"), options_of("television"), options_of("music"))
    with _lock:
        _cache[server.pk] = (time.monotonic(), options)
    return options


def known_ratings(server: MediaServer | None) -> list[str]:
    options = cached(server)
    if options is None:
        return []
    return [rating for name in KINDS for rating in options.kind(name).ratings]


def clean(data: Any, server: MediaServer | None) -> dict[str, Any]:
    """API or form input as stored: ``{"movies": {"max_rating", "labels", "exclude_labels",
    "ratings"}, …}``, only kinds that limit anything. Bad input is ``Invalid``."""
    return parse(data, server).as_json()


def parse(data: Any, server: MediaServer | None) -> ContentLimits:
    try:
        return content_limits.from_json(data, known_ratings=known_ratings(server))
    except LimitsError as exc:
        raise Invalid(str(exc), details=[{"field": "content_limits", "message": str(exc)}]) from None


def stored(data: Mapping[str, Any] | None) -> ContentLimits:
    """Limits read back from a row (already checked when saved)."""
    try:
        return content_limits.from_json(data or {}, expand=False)
    except LimitsError:
        # Rows are checked when saved; one that no longer reads is a bug worth hearing of.
        logger.exception("Stored content limits could not be read: %r", data)
        return content_limits.NO_LIMITS


def words(data: Mapping[str, Any] | None) -> str:
    """The limits in plain words: "films up to 12, TV shows up to TV-14, music without Explicit"."""
    if not data:
        return ""
    limits = stored(data)
    nouns = {"movies": _("films"), "television": _("TV shows"), "music": _("music")}
    parts = []
    for name in KINDS:
        kind = limits.kind(name)
        if kind.empty:
            continue
        bits = []
        if kind.max_rating:
            bits.append(_("up to %(rating)s") % {"rating": kind.max_rating})
        elif kind.ratings:
            bits.append(_("rated %(ratings)s") % {"ratings": " / ".join(kind.ratings)})
        if kind.labels:
            bits.append(_("only labelled %(labels)s") % {"labels": _(" or ").join(kind.labels)})
        if kind.exclude_labels:
            bits.append(_("without %(labels)s") % {"labels": ", ".join(kind.exclude_labels)})
        joiner = _(" and ")
        parts.append(str(nouns[name]) + " " + joiner.join(bits))
    return ", ".join(parts)
