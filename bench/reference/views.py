"""Three plain Django views, each the counterpart of one Guestlist page."""

from __future__ import annotations

import json

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from bench.reference.models import Item


@require_GET
def page(request: HttpRequest, code: str) -> HttpResponse:
    """The invite page's counterpart: one row by code, a page with a form (and its CSRF token)."""
    try:
        item = Item.objects.get(code=code)
    except Item.DoesNotExist:
        raise Http404 from None
    return render(request, "reference/page.html", {"item": item})


@csrf_exempt
@require_POST
def validate(request: HttpRequest) -> HttpResponse:
    """`POST /api/invites/validate`'s counterpart: a JSON body in, one row read, JSON out."""
    try:
        code = str(json.loads(request.body)["code"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "invalid"}, status=422)
    try:
        item = Item.objects.get(code=code)
    except Item.DoesNotExist:
        return JsonResponse({"valid": False, "reason": "not_found"})
    usable = item.is_active and (item.usage_limit is None or item.used_count < item.usage_limit)
    return JsonResponse({"valid": usable, "expires_at": item.expires_at.isoformat() if item.expires_at else None})


@require_GET
def item_list(request: HttpRequest) -> HttpResponse:
    """The dashboard's invites list's counterpart: one query for a page of 50 rows, a table."""
    items = list(Item.objects.all()[:50])
    return render(request, "reference/list.html", {"items": items})
