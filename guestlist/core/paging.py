"""Paging of long lists, the same on the owner's dashboard and in the member area.

A list shows one page and says how many there are (``partials/pagination.html``); nothing is
cut off without a link to the rest.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, QueryDict


def page_count(total: int, page_size: int) -> int:
    return max(1, (total + page_size - 1) // page_size)


def requested_page(request: HttpRequest) -> int:
    """The ``?page=`` asked for; anything that is not a positive number means the first."""
    raw = request.GET.get("page", "")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


def page_link(request: HttpRequest, page: int) -> str:
    """This page's URL with its other query parameters, at ``page``."""
    params: QueryDict = request.GET.copy()
    if page > 1:
        params["page"] = str(page)
    else:
        params.pop("page", None)
    encoded = params.urlencode()
    return request.path + (f"?{encoded}" if encoded else "")


def pagination(request: HttpRequest, page: int, total: int, page_size: int) -> dict[str, Any]:
    """What ``partials/pagination.html`` needs."""
    pages = page_count(total, page_size)
    return {
        "page": page,
        "pages": pages,
        "previous_url": page_link(request, page - 1) if page > 1 else None,
        "next_url": page_link(request, page + 1) if page < pages else None,
    }
