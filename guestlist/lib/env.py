"""Strict readers for Guestlist's environment variables.

Every bad value is refused with a message that names the variable, so a typo in a
compose file stops the start instead of silently changing behaviour.
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

TRUE_WORDS = frozenset({"on", "true", "1"})
FALSE_WORDS = frozenset({"off", "false", "0"})
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(Exception):
    """A configuration value Guestlist refuses to start with."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean: use on/off, true/false or 1/0.")


def env_seconds(name: str, default: float, *, low: float, high: float) -> float:
    raw = env_str(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not low <= value <= high:
        raise ConfigError(f"{name}={raw!r} must be a number of seconds from {low:g} to {high:g}.")
    return value


def env_origin(name: str, default: str) -> str:
    """A public origin: ``scheme://host[:port]`` without a path."""
    raw = env_str(name, default) or default
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name}={raw!r} must look like https://guestlist.example.com (scheme and host).")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(f"{name}={raw!r} must not contain a path; put a sub-path into GUESTLIST_URL_BASE instead.")
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} has an invalid port.") from exc
    return f"{parts.scheme}://{parts.netloc}".rstrip("/")


def env_url(name: str) -> str | None:
    """An optional http(s) base URL, returned without a trailing slash."""
    raw = env_str(name)
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name}={raw!r} must be an http:// or https:// URL.")
    return raw.rstrip("/")


def env_path_prefix(name: str) -> str:
    """A URL path prefix such as ``/guestlist`` (empty when unset)."""
    raw = env_str(name)
    if raw in ("", "/"):
        return ""
    prefix = "/" + raw.strip("/")
    if any(ch in prefix for ch in "?#% ") or "//" in prefix:
        raise ConfigError(f"{name}={raw!r} must be a plain path such as /guestlist.")
    return prefix


def env_list(name: str) -> list[str]:
    return [item.strip() for item in env_str(name).split(",") if item.strip()]


def env_networks(name: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for item in env_list(name):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ConfigError(f"{name} contains {item!r}, which is not an IP address or CIDR.") from exc
    return networks


def env_log_level(name: str, default: str) -> str:
    level = (env_str(name) or default).upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"{name}={level!r} is not a log level: use one of {', '.join(LOG_LEVELS)}.")
    return level


def env_secret(name: str) -> str | None:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE`` (Docker secrets)."""
    file_name = env_str(f"{name}_FILE")
    if file_name:
        try:
            with open(file_name, encoding="utf-8") as handle:
                return handle.read().strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE={file_name!r} cannot be read: {exc.strerror}.") from exc
    value = env_str(name)
    return value or None
