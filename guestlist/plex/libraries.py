"""Library selections on invites: ``all``, ``default`` or specific PMS section keys."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from guestlist.core.errors import Invalid
from guestlist.plex.models import Library, MediaServer

ALL, DEFAULT = "all", "default"
_KEYS = re.compile(r"^\s*\d+(\s*,\s*\d+)*\s*$")


def normalize_selection(value: object, server: MediaServer | None) -> str:
    """Turn API or form input into the stored form, checking keys against the server."""
    if value is None or value == "":
        return DEFAULT
    if isinstance(value, str):
        word = value.strip().lower()
        if word in (ALL, DEFAULT):
            return word
        if not _KEYS.match(value):
            raise Invalid(
                'libraries must be "all", "default", or section keys such as "1,2,3".',
                details=[{"field": "libraries", "message": "invalid library selection"}],
            )
        keys = [int(part) for part in value.split(",")]
    elif isinstance(value, Iterable):
        keys = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, (int, str)) or not str(item).strip().isdigit():
                raise Invalid("libraries must list section keys as numbers.")
            keys.append(int(item))
    else:
        raise Invalid('libraries must be "all", "default", or a list of section keys.')
    if not keys:
        raise Invalid('Choose at least one library, or use "default" or "all".')
    unique = sorted(set(keys))
    if server is not None:
        known = set(server.libraries.filter(is_present=True).values_list("key", flat=True))
        unknown = [key for key in unique if key not in known]
        if unknown:
            raise Invalid(
                f"The server has no library with key {', '.join(map(str, unknown))}.",
                details=[{"field": "libraries", "message": f"unknown keys: {unknown}"}],
            )
    return ",".join(map(str, unique))


def selection_as_api(stored: str) -> str | list[int]:
    if stored in (ALL, DEFAULT):
        return stored
    return [int(part) for part in stored.split(",") if part]


@dataclass(frozen=True)
class PresentLibrary:
    key: int
    title: str
    is_default: bool


# Libraries change when the owner refreshes them; public pages read them on every request.
LIBRARY_CACHE_SECONDS = 30.0
_present_cache: dict[int, tuple[float, tuple[PresentLibrary, ...]]] = {}


def present_libraries(server_id: int) -> tuple[PresentLibrary, ...]:
    cached = _present_cache.get(server_id)
    if cached is not None and time.monotonic() - cached[0] < LIBRARY_CACHE_SECONDS:
        return cached[1]
    rows = tuple(
        PresentLibrary(key, title, is_default)
        for key, title, is_default in Library.objects.filter(server_id=server_id, is_present=True)
        .order_by("key")
        .values_list("key", "title", "is_default")
    )
    _present_cache[server_id] = (time.monotonic(), rows)
    return rows


def forget_cached_libraries() -> None:
    _present_cache.clear()


def _resolve(stored: str, present: tuple[PresentLibrary, ...]) -> list[PresentLibrary]:
    if stored == ALL:
        return list(present)
    if stored == DEFAULT:
        return [library for library in present if library.is_default] or list(present)
    wanted = {int(part) for part in stored.split(",") if part}
    return [library for library in present if library.key in wanted]


def keys_of(stored: str, server_id: int) -> list[int]:
    """The keys a stored selection stands for (as ``titles``, from the cached libraries)."""
    return [library.key for library in _resolve(stored, present_libraries(server_id))]


def resolve_keys(stored: str, server: MediaServer) -> tuple[int, ...]:
    """The PMS keys an invite grants right now (``default`` and ``all`` follow the server)."""
    forget_cached_libraries()  # a redemption must see the libraries as they are now
    return tuple(keys_of(stored, server.pk))


def titles(stored: str, server_id: int) -> list[str]:
    return [library.title for library in _resolve(stored, present_libraries(server_id))]
