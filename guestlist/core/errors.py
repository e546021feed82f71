"""Domain errors raised by services and turned into answers by the API and the pages."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A refusal with a machine code (contract.md "Errors") and a sentence for people."""

    status = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        details: Any = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details
        self.retry_after = retry_after


class Invalid(ServiceError):
    status = 422
    code = "invalid"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Gone(ServiceError):
    """An invite or PIN that exists but cannot be used (disabled, expired, used up)."""

    status = 410
    code = "gone"


class PlexRefused(ServiceError):
    status = 502
    code = "plex_refused"


class PlexUnavailableError(ServiceError):
    status = 503
    code = "plex_unavailable"


class TooManyRequests(ServiceError):
    status = 429
    code = "rate_limited"
