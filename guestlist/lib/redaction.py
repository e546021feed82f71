"""Keep Plex tokens out of logs and error texts.

Tokens travel in headers, query strings (``X-Plex-Token=…``) and XML/JSON bodies
(``authToken="…"``); plexapi and urllib3 put whole URLs and bodies into their messages.
"""

from __future__ import annotations

import logging
import re
import threading

REDACTED = "[redacted]"

_TOKEN_PATTERNS = [
    re.compile(r"(?i)(x-plex-token[=:]\s*['\"]?)([^&\s'\",}]+)"),
    re.compile(r"(?i)((?:auth|access|authentication)token\s*[=:]\s*['\"])([^'\"]+)"),
    re.compile(r"(?i)(['\"]token['\"]\s*:\s*['\"])([^'\"]+)"),
]

_known_secrets: set[str] = set()
_lock = threading.Lock()


def remember_secret(secret: str) -> None:
    """Register a token so it is scrubbed wherever it appears, not only in known patterns."""
    if len(secret) >= 8:
        with _lock:
            _known_secrets.add(secret)


def redact(text: str) -> str:
    for pattern in _TOKEN_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    with _lock:
        secrets = list(_known_secrets)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactTokensFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            # The traceback text is rendered later by the formatter; pre-render and scrub it.
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(formatted)
            record.exc_info = None
            record.msg = f"{record.msg}\n{record.exc_text}"
            record.exc_text = None
        return True
