"""The one place that sends requests to plex.tv and turns every failure into a typed
error.

Both gateways use it: raw calls go through `PlexHttp`, plexapi calls through
`via_plexapi`.
"""

from __future__ import annotations

import json
import logging
import platform
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from typing import Any

import requests

from guestlist import __version__
from guestlist.plex import _plexapi
from guestlist.plex.errors import (
    PlexAlreadyShared,
    PlexError,
    PlexNotFound,
    PlexPassRequired,
    PlexRateLimited,
    PlexTokenRejected,
    PlexUnavailable,
    PlexUnexpected,
    Whose,
)
from guestlist.plex.redaction import install_log_filter, redact
from guestlist.plex.transport import build_session

logger = logging.getLogger("guestlist.plex")

_STATUS_IN_PLEXAPI_MESSAGE = re.compile(r"^\((\d{3})\)")
_MESSAGE_ATTRIBUTE = re.compile(r'message="([^"]+)"')
_STATUS_ATTRIBUTE = re.compile(r'status="([^"]+)"')


def parse_xml(text: str) -> ET.Element | None:
    """None for an empty or unreadable body."""
    try:
        root = _plexapi.parse_xml(text)
    except ET.ParseError:
        return None
    return root if isinstance(root, ET.Element) else None


def plex_words(text: str) -> str | None:
    """Plex's own explanation from an error body (XML `<Response status>`, the
    `<errors>` envelope, or JSON), scrubbed of tokens. None when the body says nothing
    readable."""
    stripped = text.strip()
    words: str | None = None
    if stripped.startswith(("{", "[")):
        try:
            payload = json.loads(stripped)
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            listed = payload.get("errors")
            if isinstance(listed, list) and listed and isinstance(listed[0], dict):
                words = str(listed[0].get("message") or "") or None
            elif payload.get("error"):
                words = str(payload["error"])
    elif stripped.startswith("<") and not stripped.lower().startswith(("<!doctype", "<html")):
        root = parse_xml(stripped)
        if root is not None:
            node = root.find("error") if root.tag == "errors" else root
            if node is not None:
                # <Response status="words"/>, but <error message="words" status="401"/>.
                first, second = ("message", "status") if node.tag == "error" else ("status", "message")
                words = node.get(first) or node.get(second) or (node.text or "").strip() or None
    if words is None:
        # plexapi folds the body into its message, after the URL.
        found = _MESSAGE_ATTRIBUTE.search(text) or _STATUS_ATTRIBUTE.search(text)
        words = found.group(1) if found else None
        if words is None and "Invalid token" in text:
            words = "Invalid token"
    return redact(words) if words else None


def error_for(
    status: int,
    text: str,
    *,
    whose: Whose,
    what: str,
    retry_after: str | None = None,
) -> PlexError:
    words = plex_words(text)
    lowered = (words or text).lower()
    if status == 401 or (status == 422 and "invalid token" in lowered):
        if whose == "owner":
            message = "Plex rejected the server owner's token; the owner needs to sign in to Plex again."
        else:
            message = "Plex rejected this person's sign-in; they need to sign in again."
        return PlexTokenRejected(message, whose=whose, status=status, plex_text=words)
    if status == 429:
        try:
            seconds = float(retry_after) if retry_after else None
        except ValueError:
            seconds = None
        return PlexRateLimited(
            "Plex is limiting how often Guestlist may ask; try again shortly.",
            retry_after=seconds,
            plex_text=words,
        )
    if status >= 500:
        return PlexUnavailable(
            f"Plex is having trouble (HTTP {status}); try again later.",
            status=status,
            plex_text=words,
        )
    if "plex pass" in lowered:
        return PlexPassRequired(
            "Plex requires an active Plex Pass on the server owner's account for this.",
            status=status,
            plex_text=words,
        )
    if status == 404:
        return PlexNotFound(f"Plex could not find {what}.", status=status, plex_text=words)
    if "already sharing" in lowered:
        return PlexAlreadyShared(
            "The server is already shared with this person.",
            status=status,
            plex_text=words,
        )
    return PlexUnexpected(f"Plex refused {what}.", status=status, plex_text=words)


def unreachable(error: requests.RequestException, where: str) -> PlexUnavailable:
    if isinstance(error, requests.Timeout):
        return PlexUnavailable(f"{where} did not answer in time; try again later.")
    return PlexUnavailable(f"Could not reach {where}; try again later.")


def unreadable(what: str) -> PlexUnexpected:
    return PlexUnexpected(f"Plex answered {what} in a way Guestlist could not read.")


def via_plexapi[T](action: Callable[[], T], *, whose: Whose, what: str, where: str = "Plex") -> T:
    """Runs a plexapi call, translating its exceptions (whose messages embed URLs and
    bodies)."""
    try:
        return action()
    except PlexError:
        raise
    except _plexapi.exceptions.PlexApiException as error:
        message = str(error)
        found = _STATUS_IN_PLEXAPI_MESSAGE.match(message)
        status = int(found.group(1)) if found else 0
        logger.debug("plexapi refused %s: %s", what, message)
        if not status:
            raise PlexUnexpected(f"Plex refused {what}.", plex_text=plex_words(message)) from None
        raise error_for(status, message, whose=whose, what=what) from None
    except requests.RequestException as error:
        logger.debug("%s unreachable: %s", where, error)
        raise unreachable(error, where) from None
    except (ET.ParseError, ValueError, KeyError, AttributeError, TypeError, IndexError):
        logger.debug("Could not read %s", what, exc_info=True)
        raise unreadable(what) from None


class PlexHttp:
    """A session plus Guestlist's X-Plex headers, for the calls plexapi gets wrong or
    makes twice."""

    def __init__(self, *, client_identifier: str, plex_tv_url: str | None, timeout: float) -> None:
        if not client_identifier:
            raise PlexUnexpected("Guestlist has no Plex client identifier configured.")
        install_log_filter()
        _plexapi.configure(client_identifier)
        self.session = build_session(plex_tv_url)
        self.timeout = timeout
        self.client_identifier = client_identifier

    def headers(self, token: str | None, *, accept_json: bool = False) -> dict[str, str]:
        headers = {
            "X-Plex-Product": _plexapi.PRODUCT,
            "X-Plex-Version": __version__,
            "X-Plex-Client-Identifier": self.client_identifier,
            "X-Plex-Device": _plexapi.PRODUCT,
            "X-Plex-Device-Name": _plexapi.PRODUCT,
            "X-Plex-Platform": platform.system(),
            "Accept": "application/json" if accept_json else "application/xml",
        }
        if token:
            headers["X-Plex-Token"] = token
        return headers

    def send(
        self,
        method: str,
        url: str,
        *,
        token: str | None,
        whose: Whose,
        what: str,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        accept_json: bool = False,
    ) -> requests.Response:
        headers = self.headers(token, accept_json=accept_json)
        if json_body is not None or method in ("POST", "PUT"):
            headers["Content-Type"] = "application/json"
        logger.debug("%s %s", method, url)
        try:
            response = self.session.request(
                method,
                url,
                headers=headers,
                params=params,
                json=json_body,
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            logger.debug("plex.tv unreachable for %s: %s", what, error)
            raise unreachable(error, "plex.tv") from None
        if not 200 <= response.status_code < 300:
            logger.debug(
                "plex.tv answered %s to %s %s: %s",
                response.status_code,
                method,
                url,
                response.text[:500],
            )
            raise error_for(
                response.status_code,
                response.text,
                whose=whose,
                what=what,
                retry_after=response.headers.get("Retry-After"),
            )
        return response

    def xml(self, method: str, url: str, **options: Any) -> ET.Element | None:
        response = self.send(method, url, **options)
        if not response.text.strip():
            return None
        root = parse_xml(response.text)
        if root is None:
            raise unreadable(str(options.get("what", "the request")))
        return root

    def json(self, method: str, url: str, **options: Any) -> Any:
        response = self.send(method, url, accept_json=True, **options)
        if not response.text.strip():
            return None
        try:
            return response.json()
        except ValueError:
            raise unreadable(str(options.get("what", "the request"))) from None


def as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true")
    return bool(value)
