"""A secret shown once, on the page after the redirect (Post/Redirect/Get).

A form that makes a secret (an API key, recovery codes, a webhook's signing secret) answers
with a redirect, so reloading never makes another; the secret waits in the session until
the next GET shows it. It is encrypted there, like every secret at rest, and taken out the
first time it is read, so a second visit or a reload shows it no more.
"""

from __future__ import annotations

from django.http import HttpRequest

from guestlist.lib import crypto

PREFIX = "guestlist_shown_once_"


def keep(request: HttpRequest, name: str, secret: str) -> None:
    request.session[PREFIX + name] = crypto.encrypt(secret)


def take(request: HttpRequest, name: str) -> str | None:
    """The secret kept under ``name``, once, and only for a GET (never for the POST itself)."""
    if request.method != "GET":
        return None
    sealed = request.session.pop(PREFIX + name, None)
    return crypto.decrypt(sealed) if isinstance(sealed, str) else None
