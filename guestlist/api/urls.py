from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt


# Nothing is here to protect, and CSRF checking first would answer 403 csrf_failed for a
# path that does not exist; every real endpoint checks CSRF itself (api.auth).
@csrf_exempt
def api_catch_all(request: HttpRequest) -> JsonResponse:
    """Unknown paths under /api/ answer 404 in the API's shape, signed in or not."""
    return JsonResponse({"error": "not_found", "message": "There is no API endpoint at this path."}, status=404)
