"""The invitee's side of Plex: the PIN sign-in, reading who signed in, and accepting the
invite with their own token. None of it needs the server owner's token.

Round trips: create_pin 1, check_pin 1, account_for_token 1, pending_invites 1
(clients.plex.tv), accept_invite 2 when the invite is already visible and Plex's answer
to the accept says it took (list, accept), 3 when the answer is not definite (a second
list verifies), plus one list per retry while the invite is not visible.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from guestlist.plex import _plexapi
from guestlist.plex.client import PlexHttp, as_int, unreadable, via_plexapi
from guestlist.plex.errors import PinExpired, PlexError, PlexNotFound, PlexTokenRejected
from guestlist.plex.records import PendingInvite, Pin, PlexAccount
from guestlist.plex.redaction import remember_secret
from guestlist.plex.transport import auth_page_base

logger = logging.getLogger("guestlist.plex")

PLEX_TV = "https://plex.tv"
CLIENTS = "https://clients.plex.tv"
_DEFAULT_PIN_LIFETIME = timedelta(minutes=15)


def account_from_plexapi(account: Any) -> PlexAccount:
    roles = account.roles or []
    return PlexAccount(
        id=int(account.id),
        uuid=str(account.uuid or ""),
        username=str(account.username or ""),
        email=str(account.email or ""),
        title=str(account.title or ""),
        thumb=str(account.thumb or ""),
        has_plex_pass=bool(account.subscriptionActive) or "plexpass" in roles,
        email_confirmed=account.confirmed is True,
    )


class PlexInviteeGateway:
    """Plex calls made for the person redeeming an invite."""

    def __init__(
        self,
        *,
        client_identifier: str,
        plex_tv_url: str | None = None,
        timeout: float = 5.0,
    ) -> None:
        self._http = PlexHttp(
            client_identifier=client_identifier,
            plex_tv_url=plex_tv_url,
            timeout=timeout,
        )
        self._plex_tv_url = plex_tv_url

    # Sign-in

    def create_pin(self) -> Pin:
        root = self._http.xml(
            "POST",
            f"{PLEX_TV}/api/v2/pins",
            token=None,
            whose="user",
            what="a sign-in PIN",
            params={"strong": "true"},
        )
        return self._pin(root, "a sign-in PIN")

    def check_pin(self, pin_id: int) -> Pin:
        try:
            root = self._http.xml(
                "GET",
                f"{PLEX_TV}/api/v2/pins/{pin_id}",
                token=None,
                whose="user",
                what="the sign-in PIN",
            )
        except PlexNotFound:
            raise PinExpired("This Plex sign-in has expired; start again.", status=404) from None
        return self._pin(root, "the sign-in PIN")

    def auth_url(self, pin_code: str, *, forward_url: str | None = None) -> str:
        """The Plex sign-in page for this PIN (the simulator's own page when one is
        configured)."""
        params = {
            "clientID": self._http.client_identifier,
            "code": pin_code,
            "context[device][product]": _plexapi.PRODUCT,
        }
        if forward_url:
            params["forwardUrl"] = forward_url
        return f"{auth_page_base(self._plex_tv_url)}#?{urlencode(params)}"

    def account_for_token(self, user_token: str) -> PlexAccount:
        if not user_token:
            raise PlexTokenRejected("Plex did not hand over a sign-in token.", whose="user")
        remember_secret(user_token)
        account = via_plexapi(
            lambda: _plexapi.MyPlexAccount(token=user_token, session=self._http.session, timeout=self._http.timeout),
            whose="user",
            what="the signed-in account",
        )
        return account_from_plexapi(account)

    # Invites

    def pending_invites(self, user_token: str) -> list[PendingInvite]:
        if not user_token:
            raise PlexTokenRejected("Plex did not hand over a sign-in token.", whose="user")
        remember_secret(user_token)
        payload = self._http.json(
            "GET",
            f"{CLIENTS}/api/v2/shared_servers/invites/received/pending",
            token=user_token,
            whose="user",
            what="the pending invites",
        )
        if not isinstance(payload, list):
            raise unreadable("the pending invites")
        invites = []
        for entry in payload:
            if not isinstance(entry, dict):
                continue
            owner = entry.get("owner") or {}
            for shared in entry.get("sharedServers") or []:
                share_id = as_int(shared.get("id"))
                owner_id = as_int(owner.get("id")) or as_int(shared.get("ownerId"))
                if share_id is None or owner_id is None:
                    continue
                invites.append(
                    PendingInvite(
                        share_id=share_id,
                        owner_id=owner_id,
                        owner_username=str(owner.get("username") or owner.get("title") or ""),
                        machine_identifier=str(shared.get("machineIdentifier") or ""),
                    )
                )
        return invites

    def accept_invite(
        self,
        user_token: str,
        *,
        owner_account_id: int,
        machine_identifier: str,
        attempts: int = 5,
        delay: float = 1.5,
    ) -> bool:
        """Accepts our owner's invite to our server as the invitee, and checks that it
        took.

        A fresh invite can take a moment to show up, so this looks again after `delay`,
        2 × `delay`, … seconds, `attempts` times in all. Returns False if it never
        showed up (the member stays pending; they can still accept from Plex's e-mail).
        Transient errors are retried the same way and raised if the last attempt still
        hit one.
        """
        last_error: PlexError | None = None
        for attempt in range(1, attempts + 1):
            try:
                invite = self._our_invite(user_token, owner_account_id, machine_identifier)
                if invite is not None:
                    answer = self._accept(user_token, invite.share_id)
                    if _says_accepted(answer, invite.share_id):
                        return True
                    if (
                        self._our_invite(
                            user_token,
                            owner_account_id,
                            machine_identifier,
                            invite.share_id,
                        )
                        is None
                    ):
                        return True
                last_error = None
            except PlexError as error:
                if not error.transient:
                    raise
                logger.info(
                    "Accepting the invite failed for now (attempt %s of %s): %s",
                    attempt,
                    attempts,
                    error,
                )
                last_error = error
            if attempt < attempts:
                time.sleep(delay * attempt)
        if last_error is not None:
            raise last_error
        return False

    # Internals

    def _our_invite(
        self,
        user_token: str,
        owner_id: int,
        machine_identifier: str,
        share_id: int | None = None,
    ) -> PendingInvite | None:
        # Never the first invite blindly: the invitee may have others, even from the
        # same owner.
        for invite in self.pending_invites(user_token):
            ours = invite.owner_id == owner_id and invite.machine_identifier == machine_identifier
            if ours and (share_id is None or invite.share_id == share_id):
                return invite
        return None

    def _accept(self, user_token: str, share_id: int) -> Any:
        try:
            return self._http.json(
                "POST",
                f"{CLIENTS}/api/v2/shared_servers/{share_id}/accept",
                token=user_token,
                whose="user",
                what="the invite",
            )
        except PlexNotFound:
            # Gone between listing and accepting (accepted from the e-mail, say); the
            # check after
            # this tells whether it is still pending.
            logger.info("The invite %s vanished before it could be accepted", share_id)
            return None

    def _pin(self, root: Any, what: str) -> Pin:
        if root is None:
            raise unreadable(what)
        pin_id, code = as_int(root.get("id")), root.get("code")
        if pin_id is None or not code:
            raise unreadable(what)
        token = root.get("authToken") or None
        remember_secret(token)
        return Pin(id=pin_id, code=code, expires_at=_expiry(root), auth_token=token)


def _says_accepted(answer: Any, share_id: int) -> bool:
    """Plex's answer to the accept is definite: this share, marked accepted.

    Anything less (an empty body, another shape, a share still pending) is checked by
    listing the pending invites again.
    """
    return (
        isinstance(answer, dict)
        and as_int(answer.get("id")) == share_id
        and (answer.get("accepted") is True or bool(as_int(answer.get("acceptedAt"))))
    )


def _expiry(root: Any) -> datetime:
    stamp = root.get("expiresAt")
    if stamp:
        try:
            return datetime.fromisoformat(stamp).astimezone(UTC)
        except ValueError:
            pass
    seconds = as_int(root.get("expiresIn"))
    lifetime = timedelta(seconds=seconds) if seconds is not None else _DEFAULT_PIN_LIFETIME
    return datetime.now(UTC) + lifetime
