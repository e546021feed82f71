"""Logging filters that turn library messages into Guestlist's words."""

from __future__ import annotations

import logging


class ForeignHostWarning(logging.Filter):
    """Django reports a request for a host name it does not serve at ERROR, with a traceback,
    and tells the reader to edit ``ALLOWED_HOSTS``, a setting Guestlist users never see. It is
    a misdirected request or a scanner, not a bug: one WARNING line naming our variable."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        meta = getattr(request, "META", {}) or {}
        host = meta.get("HTTP_HOST") or "?"
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg = (
            "Refused a request for the host %r: add it to GUESTLIST_ALLOWED_HOSTS if Guestlist should serve it."
        )
        record.args = (str(host)[:200],)
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True
