"""Keep Plex tokens out of logs and error texts.

plexapi, requests and urllib3 put whole URLs and response bodies into their messages,
and both can hold a token (`X-Plex-Token=…` in a query, `authToken="…"` in XML or JSON).
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict

REDACTED = "<redacted>"
_PATTERNS = (
    re.compile(r"(?i)(x-plex-token['\"]?\s*[=:]\s*['\"]?)([^&\s'\",}<>]+)"),
    re.compile(r"(?i)((?:auth|access|authentication)Token['\"]?\s*[=:]\s*['\"]?)([^&\s'\",}<>]+)"),
)
# Enough for every token a long-running process handles in a while; old ones age out.
_MAX_REMEMBERED = 10_000
_secrets: OrderedDict[str, None] = OrderedDict()
_lock = threading.Lock()

LOGGERS = (
    "plexapi",
    "guestlist.plex",
    "urllib3",
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.response",
    "urllib3.util.retry",
    "urllib3.poolmanager",
    "requests",
)


def remember_secret(secret: str | None) -> None:
    """Scrub this value wherever it shows up, not only where a pattern expects one."""
    if not secret or len(secret) < 6:
        return
    with _lock:
        _secrets[secret] = None
        _secrets.move_to_end(secret)
        while len(_secrets) > _MAX_REMEMBERED:
            _secrets.popitem(last=False)


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda match: match.group(1) + REDACTED, text)
    with _lock:
        known = list(_secrets)
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            # Formatters render tracebacks after filters run; render it now, scrubbed,
            # instead.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


_installed = RedactTokens()


def install_log_filter() -> None:
    """Attach the filter to every logger that may see a token (a filter on a parent
    logger does not apply to records its children emit, hence the explicit urllib3
    children)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _installed not in logger.filters:
            logger.addFilter(_installed)
