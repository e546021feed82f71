from __future__ import annotations

from django.http import HttpRequest, JsonResponse


def api_catch_all(request: HttpRequest) -> JsonResponse:
    """Unknown paths under /api/ answer 404 in the API's shape, signed in or not."""
    return JsonResponse({"error": "not_found", "message": "There is no API endpoint at this path."}, status=404)
