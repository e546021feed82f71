"""``{% request_link %}``: the /join page's link to /request, shown only while requests are open."""

from __future__ import annotations

from typing import Any

from django import template

from guestlist.invite_requests.models import RequestSettings

register = template.Library()


@register.inclusion_tag("invite_requests/_join_link.html")
def request_link() -> dict[str, Any]:
    return {"open": RequestSettings.load().enabled}
