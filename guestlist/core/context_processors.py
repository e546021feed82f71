from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from guestlist import __version__


def guestlist(request: HttpRequest) -> dict[str, Any]:
    return {"guestlist_version": __version__, "base_url": settings.BASE_URL}
