"""Library selections on invites: ``all``, ``default`` or specific PMS section keys."""

from __future__ import annotations

import re
from collections.abc import Iterable

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


def resolve_keys(stored: str, server: MediaServer) -> tuple[int, ...]:
    """The PMS keys an invite grants right now (``default`` and ``all`` follow the server)."""
    present = Library.objects.filter(server=server, is_present=True)
    if stored == ALL:
        keys = list(present.values_list("key", flat=True))
    elif stored == DEFAULT:
        keys = list(present.filter(is_default=True).values_list("key", flat=True)) or list(
            present.values_list("key", flat=True)
        )
    else:
        wanted = {int(part) for part in stored.split(",") if part}
        keys = [key for key in present.values_list("key", flat=True) if key in wanted]
    return tuple(sorted(keys))


def titles(stored: str, server: MediaServer) -> list[str]:
    keys = set(resolve_keys(stored, server))
    return [library.title for library in server.libraries.all() if library.key in keys and library.is_present]
