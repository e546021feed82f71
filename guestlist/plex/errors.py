"""What can go wrong when Guestlist talks to Plex, in words an owner can act on.

Every error the gateway raises is one of these. None of them ever carries a token:
messages are written by Guestlist, and Plex's own words (`plex_text`) are scrubbed
before they are kept.
"""

from __future__ import annotations

from typing import Literal

Whose = Literal["owner", "user"]


class PlexError(Exception):
    # True when trying again later may well succeed (the outbox retries these).
    transient: bool = False

    def __init__(self, message: str, *, status: int | None = None, plex_text: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.plex_text = plex_text

    def __str__(self) -> str:
        if self.plex_text and self.plex_text not in self.message:
            return f"{self.message} (Plex said: {self.plex_text})"
        return self.message


class PlexTokenRejected(PlexError):
    def __init__(
        self,
        message: str,
        *,
        whose: Whose,
        status: int | None = None,
        plex_text: str | None = None,
    ) -> None:
        super().__init__(message, status=status, plex_text=plex_text)
        self.whose = whose
        # A rejected owner token blocks every job until the owner signs in again, so
        # queued work
        # waits; a rejected user token will not get better by waiting.
        self.transient = whose == "owner"


class PlexNotFound(PlexError):
    pass


class PlexAlreadyShared(PlexError):
    pass


class PlexPassRequired(PlexError):
    pass


class PlexRateLimited(PlexError):
    transient = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = 429,
        plex_text: str | None = None,
    ) -> None:
        super().__init__(message, status=status, plex_text=plex_text)
        self.retry_after = retry_after


class PlexUnavailable(PlexError):
    """Plex could not be reached, did not answer in time, or answered with a server
    error."""

    transient = True


class PlexUnexpected(PlexError):
    """Plex refused for a reason Guestlist has no special handling for; `plex_text` says
    why."""


class PinExpired(PlexError):
    pass
