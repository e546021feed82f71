"""How Guestlist logs: plain lines for people, one JSON object a line for log shippers.

Shared by the web process (Django's ``LOGGING``) and the Django-free job runner, so both
speak the same format. Redaction is a filter on the handler: it rewrites the message and
renders tracebacks before any formatter runs, so JSON output is scrubbed like plain output.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from guestlist.lib.env import ConfigError, env_str

LOG_FORMATS = ("plain", "json")
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Attributes a request log line carries (``extra=`` of guestlist.core.middleware.RequestLogMiddleware).
REQUEST_FIELDS = ("method", "path", "status", "duration_ms", "client")
# Libraries that are chatty at INFO; their warnings still come through.
QUIET_LOGGERS = ("apscheduler", "django.request", "django.server")


def env_log_format(name: str = "GUESTLIST_LOG_FORMAT") -> str:
    value = (env_str(name) or "plain").lower()
    if value not in LOG_FORMATS:
        raise ConfigError(f"{name}={value!r} is not a log format: use plain or json.")
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
    ``exception`` when there is one, and the request fields on request lines."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in REQUEST_FIELDS:
            if field in record.__dict__:
                entry[field] = record.__dict__[field]
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(*, level: str, log_format: str, filters: dict[str, dict[str, str]]) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for one console handler with ``filters`` on it."""
    formatter: dict[str, Any] = (
        {"()": "guestlist.lib.logs.JsonFormatter"} if log_format == "json" else {"format": PLAIN_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": filters,
        "formatters": {"default": formatter},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "default", "filters": list(filters)},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {name: {"level": "ERROR" if name == "django.request" else "WARNING"} for name in QUIET_LOGGERS},
    }
