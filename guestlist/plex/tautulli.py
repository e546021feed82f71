"""Reading each user's last seen from Tautulli (its ``get_users_table`` API command).

Tautulli watches one Plex Media Server and keeps its own history, often longer than the
server's. Guestlist only reads: ``GET {url}/api/v2?apikey=…&cmd=get_users_table``, paged.
The API key travels in the query string, so it is registered with the log scrubber and
never put into an error message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from guestlist.plex.redaction import remember_secret

logger = logging.getLogger("guestlist.plex")

PAGE = 500
MAX_PAGES = 40  # 20,000 users: far beyond any Plex server's friends list


class TautulliError(Exception):
    """Tautulli did not answer usefully; the message is safe to show (no key, no URL query)."""


@dataclass(frozen=True)
class TautulliUser:
    user_id: int  # the plex.tv account id
    last_seen: datetime | None
    last_played: str


def _number(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def users_last_seen(url: str, api_key: str, *, timeout: float = 5.0) -> list[TautulliUser]:
    """Every user in Tautulli's users table with their last seen and last played title."""
    # Imported here: requests stays off the web process's idle path.
    import requests

    if not url or not api_key:
        raise TautulliError("Tautulli's address and API key are both needed.")
    remember_secret(api_key)
    endpoint = url.rstrip("/") + "/api/v2"
    found: list[TautulliUser] = []
    with requests.Session() as session:
        session.trust_env = False  # a local Tautulli is never reached through a proxy
        for page in range(MAX_PAGES):
            params = {
                "apikey": api_key,
                "cmd": "get_users_table",
                "start": str(page * PAGE),
                "length": str(PAGE),
                "order_column": "last_seen",
                "order_dir": "desc",
            }
            try:
                response = session.get(endpoint, params=params, timeout=timeout)
            except requests.RequestException as exc:
                logger.debug("Tautulli unreachable: %s", type(exc).__name__)
                raise TautulliError(f"Tautulli did not answer ({type(exc).__name__}).") from None
            if response.status_code in (401, 403):
                raise TautulliError("Tautulli refused the API key.")
            if response.status_code != 200:
                raise TautulliError(f"Tautulli answered with status {response.status_code}.")
            try:
                body = response.json()["response"]
            except (ValueError, KeyError, TypeError):
                raise TautulliError("Tautulli answered in a way Guestlist could not read.") from None
            if not isinstance(body, dict) or body.get("result") != "success":
                message = str(body.get("message") or "") if isinstance(body, dict) else ""
                raise TautulliError(f"Tautulli refused: {message[:200] or 'no reason given'}.".replace(api_key, "…"))
            data = body.get("data") or {}
            rows = data.get("data") if isinstance(data, dict) else None
            if not isinstance(rows, list):
                raise TautulliError("Tautulli answered in a way Guestlist could not read.")
            for row in rows:
                if not isinstance(row, dict):
                    continue
                user_id = _number(row.get("user_id"))
                if user_id is None:
                    continue
                seen = _number(row.get("last_seen"))
                found.append(
                    TautulliUser(
                        user_id=user_id,
                        last_seen=datetime.fromtimestamp(seen, UTC) if seen else None,
                        last_played=str(row.get("last_played") or "")[:300],
                    )
                )
            total = _number(data.get("recordsFiltered")) or 0
            if len(rows) < PAGE or (page + 1) * PAGE >= total:
                break
    return found
