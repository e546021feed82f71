"""Sending one message: a signed webhook, an Apprise notification, or a mail over SMTP.

Only the job runner's worker calls these (``notifications.delivery``); they hold no database
transaction and give up after a short timeout, so a dead destination costs seconds, not minutes.
Each returns a ``Sent``; none raises for a refusal or a network failure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

SEND_TIMEOUT_SECONDS = 10.0
WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix the specification gives secrets, not a secret)


@dataclass(frozen=True)
class Sent:
    ok: bool
    status_code: int | None = None
    error: str = ""


def new_webhook_secret() -> str:
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """``v1,<signature>`` as the Standard Webhooks specification says."""
    key = base64.b64decode(secret.removeprefix(WEBHOOK_SECRET_PREFIX))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def webhook_body(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True)


def send_webhook(url: str, secret: str, msg_id: str, payload: dict[str, Any]) -> Sent:
    import requests

    body = webhook_body(payload)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Guestlist-Webhooks",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }
    try:
        response = requests.post(
            url, data=body.encode(), headers=headers, timeout=SEND_TIMEOUT_SECONDS, allow_redirects=False
        )
    except requests.RequestException as error:
        return Sent(False, None, f"{type(error).__name__}: could not reach the webhook")
    if 200 <= response.status_code < 300:
        return Sent(True, response.status_code)
    return Sent(False, response.status_code, f"The webhook answered HTTP {response.status_code}.")


def send_apprise(url: str, title: str, body: str) -> Sent:
    # apprise loads dozens of plugins: imported only here, in the worker, when one is sent.
    import apprise

    notifier = apprise.Apprise()
    if not notifier.add(url):
        return Sent(False, None, "Apprise does not understand this URL.")
    try:
        ok = notifier.notify(title=title, body=body)
    except Exception as error:
        # The URL holds credentials: name the error's kind, never its text.
        return Sent(False, None, f"Apprise failed ({type(error).__name__}).")
    return Sent(True) if ok else Sent(False, None, "Apprise could not deliver the message.")


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str
    username: str
    password: str
    from_address: str


def send_mail(
    config: SmtpConfig, to: str, subject: str, text: str, html: str | None, headers: dict[str, str] | None = None
) -> Sent:
    import smtplib
    import ssl

    from django.core.mail import EmailMultiAlternatives

    if not config.host or not config.from_address:
        return Sent(False, None, "No SMTP server is set up.")
    # Django builds the message (both parts, encodings, Date, Message-ID); smtplib sends it,
    # with the security and timeout of this server rather than the settings module's.
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=config.from_address, to=[to], headers=headers or {}
    )
    if html:
        message.attach_alternative(html, "text/html")
    try:
        if config.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host, config.port, timeout=SEND_TIMEOUT_SECONDS, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=SEND_TIMEOUT_SECONDS)
        with client:
            if config.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if config.username:
                client.login(config.username, config.password)
            client.send_message(message.message(), from_addr=config.from_address, to_addrs=[to])
    except smtplib.SMTPResponseException as error:
        return Sent(False, error.smtp_code, f"The SMTP server refused: {error.smtp_code}.")
    except (smtplib.SMTPException, OSError) as error:
        return Sent(False, None, f"{type(error).__name__}: could not send through the SMTP server.")
    return Sent(True, 250)
