"""Content limits of a share: what Plex calls ``filterMovies``, ``filterTelevision`` and ``filterMusic``.

Plex keeps one filter string per library type on a share, e.g.
``contentRating=G%2CPG%2CPG-13|label=kids|label!=horror``: parts joined by ``|``, each a key
(``contentRating``, ``label``, ``contentRating!``, ``label!``) and values joined by a literal
``%2C`` (docs/plex.md, "Content limits"). Guestlist lets the owner pick a *maximum* rating; Plex
only knows lists of allowed ratings, so the maximum is turned into every known rating at or
below its age (`RATING_AGES`, plus the server's own ratings when they were read). Unrated
items and ratings Guestlist cannot place are then hidden, as Plex does with any rating list.

Django-free and network-free: the gateway sends the strings, the domain stores the limits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

KINDS = ("movies", "television", "music")
# The Plex library types each kind of limit applies to.
KIND_OF_TYPE = {"movie": "movies", "show": "television", "artist": "music"}
MAX_LABELS = 20
MAX_RATINGS = 200  # a maximum's list: the built-in table plus the server's own ratings
MAX_TEXT = 100

# Ages of the ratings Plex's agents write (US, German FSK, British BBFC, and bare ages),
# so "up to 12" also allows the matching ratings of other systems on the same server.
RATING_AGES: dict[str, int] = {
    "G": 0,
    "PG": 10,
    "PG-13": 13,
    "R": 17,
    "NC-17": 18,
    "TV-Y": 0,
    "TV-G": 0,
    "TV-Y7": 7,
    "TV-Y7-FV": 7,
    "TV-PG": 10,
    "TV-14": 14,
    "TV-MA": 17,
    "de/0": 0,
    "de/6": 6,
    "de/12": 12,
    "de/16": 16,
    "de/18": 18,
    "gb/U": 0,
    "gb/PG": 8,
    "gb/12": 12,
    "gb/12A": 12,
    "gb/15": 15,
    "gb/18": 18,
    "gb/R18": 18,
    "0": 0,
    "6": 6,
    "12": 12,
    "16": 16,
    "18": 18,
}
_AGE = re.compile(r"(\d{1,2})\+?$")


class LimitsError(ValueError):
    """Limits that cannot be stored or sent; the message names the field."""


def rating_age(rating: str) -> int | None:
    """The age a rating stands for, or None when Guestlist cannot place it."""
    text = rating.strip()
    if text in RATING_AGES:
        return RATING_AGES[text]
    for known, age in RATING_AGES.items():
        if known.lower() == text.lower():
            return age
    found = _AGE.search(text)
    return int(found.group(1)) if found else None


def ratings_up_to(maximum: str, known: Iterable[str] = ()) -> tuple[str, ...]:
    """Every rating at or below ``maximum``'s age: the built-in table plus ``known`` ones."""
    age = rating_age(maximum)
    if age is None:
        return (maximum,)
    pool = dict.fromkeys([*RATING_AGES, *known])
    below = sorted((r for r in pool if r != maximum and (a := rating_age(r)) is not None and a <= age), key=_order)
    # The chosen maximum goes last, so reading the list back names it again (`parse_filter`).
    return (*below, maximum)


def _order(rating: str) -> tuple[int, str]:
    return (rating_age(rating) or 0, rating.lower())


@dataclass(frozen=True)
class KindLimits:
    """Limits on one kind of library (films, TV or music)."""

    max_rating: str = ""
    labels: tuple[str, ...] = ()  # only items with one of these labels
    exclude_labels: tuple[str, ...] = ()  # never items with one of these
    ratings: tuple[str, ...] = ()  # the allowed ratings Plex is given (from max_rating)

    @property
    def empty(self) -> bool:
        return not (self.max_rating or self.ratings or self.labels or self.exclude_labels)

    def as_json(self) -> dict[str, Any]:
        return {
            "max_rating": self.max_rating or None,
            "labels": list(self.labels),
            "exclude_labels": list(self.exclude_labels),
            "ratings": list(self.ratings),
        }


@dataclass(frozen=True)
class ContentLimits:
    movies: KindLimits = field(default_factory=KindLimits)
    television: KindLimits = field(default_factory=KindLimits)
    music: KindLimits = field(default_factory=KindLimits)

    @property
    def empty(self) -> bool:
        return all(self.kind(name).empty for name in KINDS)

    def kind(self, name: str) -> KindLimits:
        value: KindLimits = getattr(self, name)
        return value

    def as_json(self) -> dict[str, Any]:
        """The stored and API form: only kinds that limit anything."""
        return {name: self.kind(name).as_json() for name in KINDS if not self.kind(name).empty}

    def filters(self) -> dict[str, str]:
        """Plex's three filter strings, by kind."""
        return {name: to_filter(self.kind(name)) for name in KINDS}

    def same_on_plex(self, other: ContentLimits) -> bool:
        """Would Plex hold the same filters for both? (maximums are ours; Plex has lists)"""
        return all(_canonical(to_filter(self.kind(name))) == _canonical(to_filter(other.kind(name))) for name in KINDS)


NO_LIMITS = ContentLimits()


def _texts(value: Any, name: str, *, most: int = MAX_LABELS) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [part for part in value.split(",")]
    if not isinstance(value, (list, tuple)):
        raise LimitsError(f"{name} must be a list of words.")
    found: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise LimitsError(f"{name} must be a list of words.")
        text = item.strip()
        if not text:
            continue
        if len(text) > MAX_TEXT or "|" in text or "," in text:
            # Plex's filter strings have no way to say a comma or "|" inside a value.
            raise LimitsError(f"{name}: {text[:40]!r} is too long or holds a ',' or '|'.")
        if text not in found:
            found.append(text)
    if len(found) > most:
        raise LimitsError(f"{name} may hold at most {most} entries.")
    return tuple(found)


def kind_from_json(data: Any, name: str, *, known_ratings: Iterable[str] = (), expand: bool = True) -> KindLimits:
    """One kind's limits; ``expand`` turns a maximum into its ratings (input), without it the
    stored ratings are kept (rows: what was sent to Plex)."""
    if data is None:
        return KindLimits()
    if not isinstance(data, Mapping):
        raise LimitsError(f"content_limits.{name} must be an object.")
    unknown = set(data) - {"max_rating", "labels", "exclude_labels", "ratings"}
    if unknown:
        raise LimitsError(f"content_limits.{name} has unknown fields: {', '.join(sorted(unknown))}.")
    maximum = data.get("max_rating") or ""
    if not isinstance(maximum, str) or len(maximum) > MAX_TEXT or "|" in maximum or "," in maximum:
        raise LimitsError(f"content_limits.{name}.max_rating must be one content rating, such as “PG-13”.")
    maximum = maximum.strip()
    stored = _texts(data.get("ratings"), f"content_limits.{name}.ratings", most=MAX_RATINGS)
    ratings = ratings_up_to(maximum, known_ratings) if maximum and (expand or not stored) else stored
    return KindLimits(
        max_rating=maximum,
        labels=_texts(data.get("labels"), f"content_limits.{name}.labels"),
        exclude_labels=_texts(data.get("exclude_labels"), f"content_limits.{name}.exclude_labels"),
        ratings=ratings,
    )


def from_json(data: Any, *, known_ratings: Iterable[str] = (), expand: bool = True) -> ContentLimits:
    """Read API limits (or, without ``expand``, stored ones); ``known_ratings`` (the server's)
    widen a maximum's list."""
    if data in (None, ""):
        return NO_LIMITS
    if not isinstance(data, Mapping):
        raise LimitsError("content_limits must be an object with movies, television and music.")
    unknown = set(data) - set(KINDS)
    if unknown:
        raise LimitsError(f"content_limits has unknown kinds: {', '.join(sorted(unknown))}.")
    known = list(known_ratings)
    return ContentLimits(
        **{name: kind_from_json(data.get(name), name, known_ratings=known, expand=expand) for name in KINDS}
    )


def _escape(value: str) -> str:
    return value.replace("%", "%25")


def _unescape(value: str) -> str:
    return value.replace("%25", "%")


def to_filter(limits: KindLimits) -> str:
    """Plex's filter string for one kind (empty: no limit)."""
    parts = []
    if limits.ratings:
        parts.append("contentRating=" + "%2C".join(_escape(r) for r in limits.ratings))
    if limits.labels:
        parts.append("label=" + "%2C".join(_escape(label) for label in limits.labels))
    if limits.exclude_labels:
        parts.append("label!=" + "%2C".join(_escape(label) for label in limits.exclude_labels))
    return "|".join(parts)


def parse_filter(text: str) -> KindLimits:
    """What a Plex filter string limits; the maximum is the highest allowed rating Guestlist can place."""
    ratings: list[str] = []
    labels: list[str] = []
    excluded: list[str] = []
    for part in (text or "").split("|"):
        key, sep, raw = part.partition("=")
        if not sep:
            continue
        values = [_unescape(v).strip() for v in raw.replace("%2c", "%2C").split("%2C")]
        values = [v for v in values if v]
        match key.strip():
            case "contentRating":
                ratings += values
            case "label":
                labels += values
            case "label!":
                excluded += values
            case _:
                pass  # contentRating! and keys Plex may add: kept by Plex, not shown by Guestlist
    placed = [(age, r) for r in ratings if (age := rating_age(r)) is not None]
    oldest = max((age for age, _r in placed), default=None)
    # Of the ratings of the highest age, the last one: Guestlist sends its chosen maximum last.
    maximum = [r for age, r in placed if age == oldest][-1] if placed else ""
    return KindLimits(max_rating=maximum, labels=tuple(labels), exclude_labels=tuple(excluded), ratings=tuple(ratings))


def from_filters(movies: str, television: str, music: str) -> ContentLimits:
    return ContentLimits(parse_filter(movies), parse_filter(television), parse_filter(music))


def _canonical(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    found: dict[str, set[str]] = {}
    for part in (text or "").split("|"):
        key, sep, raw = part.partition("=")
        if sep:
            found.setdefault(key.strip(), set()).update(
                _unescape(v).strip() for v in raw.replace("%2c", "%2C").split("%2C") if v.strip()
            )
    return tuple(sorted((key, tuple(sorted(values))) for key, values in found.items() if values))
